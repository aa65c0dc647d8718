// RequestBodyPipe: a client's request body on its way to the origin, streamed as it arrives
// instead of buffered whole. One worker thread; shared (shared_ptr) by its two ends:
//
//   writer (the client Session) ── Append(framed bytes) / Finish / Fail ──► pipe
//   pipe ── pending() / Consume(n) ──► reader (the OriginConn carrying the request)
//
// The session decodes the body with the strict body parser and appends it re-framed for the
// origin (raw bytes under Content-Length, or chunks it encodes itself), so the origin never sees
// the client's own framing. Back-pressure: the session stops decoding (and then reading its
// socket) while `Full()`; the origin connection consumes as its socket accepts bytes, and the
// writer is woken once the pipe has drained below half. A body that fails (bad framing, client
// gone) is never completed upstream: the reader stops sending and its connection is not reused.
//
// Wake-ups are Posted to the worker's reactor, never called from inside the other end's call
// stack, so neither end is re-entered while it is changing state.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "io/reactor.h"

namespace strata::edge {

class RequestBodyPipe : public std::enable_shared_from_this<RequestBodyPipe> {
 public:
  class Reader {
   public:
    virtual ~Reader() = default;
    // Bytes were appended, or the body finished or failed.
    virtual void OnRequestBodyReadable() = 0;
  };
  class Writer {
   public:
    virtual ~Writer() = default;
    // The pipe has room again (or its reader went away).
    virtual void OnRequestBodyDrained() = 0;
  };

  static constexpr size_t kHighWater = 256 * 1024;

  explicit RequestBodyPipe(io::Reactor* reactor) : reactor_(reactor) {}

  void SetReader(Reader* r) { reader_ = r; }
  void SetWriter(Writer* w) { writer_ = w; }
  bool has_reader() const { return reader_ != nullptr; }

  // --- writer side ---
  // Appends framed bytes (callers check Full() first to bound the buffer).
  void Append(std::string_view bytes);
  std::string* mutable_buffer() { return &buf_; }  // append, then call Appended()
  void Appended();
  void Finish();
  void Fail();
  // True when the writer must stop appending; it is then woken (OnRequestBodyDrained) once the
  // reader has drained the pipe below half.
  bool Full() {
    writer_blocked_ = buf_.size() - off_ >= kHighWater;
    return writer_blocked_;
  }

  // --- reader side ---
  std::string_view pending() const { return std::string_view(buf_).substr(off_); }
  void Consume(size_t n);
  bool finished() const { return finished_; }
  bool failed() const { return failed_; }
  uint64_t forwarded() const { return forwarded_; }
  // The reader stops (its exchange ended): the writer may discard the rest.
  void DetachReader();

 private:
  void WakeReader();
  void WakeWriter();

  io::Reactor* reactor_;
  std::string buf_;
  size_t off_ = 0;
  uint64_t forwarded_ = 0;
  bool finished_ = false;
  bool failed_ = false;
  bool reader_wake_posted_ = false;
  bool writer_wake_posted_ = false;
  bool writer_blocked_ = false;
  Reader* reader_ = nullptr;
  Writer* writer_ = nullptr;
};

using RequestBodyRef = std::shared_ptr<RequestBodyPipe>;

}  // namespace strata::edge
