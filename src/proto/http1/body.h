// Incremental HTTP/1.1 body decoder (RFC 9112 §6, §7.1): Content-Length, chunked (with strict
// chunk-size parsing, bounded extensions and trailers) and read-until-close. Pure: the caller
// feeds bytes as they arrive and receives the payload bytes appended to a string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/http1/message.h"
#include "proto/http1/parser.h"

namespace strata::http1 {

class BodyReader {
 public:
  void Reset(BodyFraming framing, uint64_t content_length, const Limits& limits = Limits{});

  // Consumes a prefix of `in` (*consumed bytes) and appends the decoded payload to *out.
  // kDone: the body is complete (bytes after it belong to the next message). kNeedMore: feed
  // more. kError: the framing is invalid; *err says why.
  ParseStatus Feed(std::string_view in, size_t* consumed, std::string* out, ParseError* err);

  // For kUntilClose bodies: the peer closed, so the body is complete. For other framings a
  // close before kDone means a truncated body (returns false).
  bool FinishOnClose();

  bool done() const { return state_ == State::kDone; }
  BodyFraming framing() const { return framing_; }
  // Payload bytes decoded so far.
  uint64_t decoded() const { return decoded_; }

 private:
  enum class State : uint8_t {
    kLength,
    kChunkSize,
    kChunkData,
    kChunkDataCrlf,
    kTrailers,
    kUntilClose,
    kDone
  };

  BodyFraming framing_ = BodyFraming::kNone;
  State state_ = State::kDone;
  uint64_t remaining_ = 0;
  uint64_t decoded_ = 0;
  size_t trailer_bytes_ = 0;
  Limits limits_;
};

// Parses one chunk-size line (without its CRLF): 1*HEXDIG [ BWS ";" ext ... ]. Exposed for
// tests. Returns false on an invalid or overflowing size.
bool ParseChunkSizeLine(std::string_view line, size_t max_ext, uint64_t* size);

}  // namespace strata::http1
