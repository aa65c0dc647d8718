// RespParser: incremental parser for client requests in RESP (multibulk) and inline form.
//
// The connection owns one parser and one input buffer. Parse() is called with the unconsumed
// bytes; it either yields one complete command (argument views pointing into those bytes), asks
// for more input, or reports a protocol error whose text matches Redis's. State survives across
// calls, so a large bulk arriving in many reads is scanned once, not re-parsed from the start.
// Every length is checked against its limit before anything is allocated for it; the parser never
// allocates for payload itself (the caller may reserve `BytesWanted()`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::resp {

struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
  // Before authentication (requirepass set and client not yet authenticated) only small requests
  // are accepted, as Redis does: at most 10 arguments of at most 16 KiB each.
  bool unauthenticated = false;

  bool operator==(const ParserLimits&) const = default;
};

class RespParser {
 public:
  enum class Status { kCommand, kNeedMore, kError, kHttp };

  static constexpr size_t kInlineMax = 64 * 1024;  // longest line without a newline
  static constexpr int64_t kUnauthMaxArgs = 10;
  static constexpr int64_t kUnauthMaxBulk = 16 * 1024;

  // Parses from `buf` (the bytes not yet consumed). On kCommand, `args` holds the command and
  // `*consumed` the number of bytes it used; views stay valid until the caller discards those
  // bytes. On kNeedMore, `*consumed` may be > 0 (skipped empty lines/commands). On kError the
  // connection must reply error() and close; on kHttp it must close silently.
  Status Parse(std::string_view buf, const ParserLimits& limits,
               std::vector<std::string_view>* args, size_t* consumed);

  const std::string& error() const { return error_; }
  // For large bulks: how many bytes the current command still needs (0 if unknown).
  size_t BytesWanted() const { return wanted_; }
  // Whether the parser sits in the middle of a command.
  bool InProgress() const { return multibulk_left_ > 0 || pos_ > 0; }
  // Bytes of the current, incomplete command already parsed (its header and complete arguments),
  // counted from the first unconsumed byte. The rest of the buffer is still raw input: that is
  // what client-query-buffer-limit bounds, as Redis bounds its query buffer.
  size_t ParsedBytes() const { return multibulk_left_ > 0 ? pos_ : 0; }
  void Reset();
  // True when the last command came from an inline line: its argument views point into parser
  // storage that the next Parse() overwrites, so it must run before the next one is parsed.
  bool last_was_inline() const { return last_inline_; }

 private:
  Status ParseMultibulk(std::string_view buf, const ParserLimits& limits,
                        std::vector<std::string_view>* args, size_t* consumed);
  Status ParseInline(std::string_view buf, std::vector<std::string_view>* args, size_t* consumed);
  Status Fail(const char* msg);

  // Multibulk state, as offsets relative to the start of the current command.
  int64_t multibulk_left_ = 0;  // arguments still to read; 0 = not in a multibulk
  int64_t bulk_len_ = -1;       // length of the bulk being read, -1 = header not read yet
  size_t pos_ = 0;              // scan position within the current command
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of parsed args
  size_t wanted_ = 0;
  std::string error_;
  bool last_inline_ = false;
  std::string inline_storage_;  // unescaped inline arguments (quoted forms)
};

}  // namespace strata::resp
