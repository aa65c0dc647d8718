// Origin client: HTTP/1.1 connections to one upstream (an origin server or a shield edge),
// pooled per worker thread (thread-owned, not thread-safe; driven by that worker's Reactor).
//
// An OriginConn carries one exchange at a time: it writes a serialised request, parses the
// response with the strict parser (relaying 1xx heads), decodes the body straight into the
// sink the handler names (the cached object's body), and goes back to the idle list when both
// sides allow keep-alive. A reused connection that fails before the first response byte is
// retried once on a fresh connection (the keep-alive close race) for idempotent requests.
// Body reading can be paused (back-pressure from a slow client on a pass response). A request
// body may be streamed from a RequestBodyPipe after the head: the response is read (and may
// complete) while the body is still being written; a connection whose request body was not
// sent completely is never reused.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "edge/upstream/request_body.h"
#include "io/reactor.h"
#include "proto/http1/body.h"
#include "proto/http1/message.h"
#include "proto/http1/parser.h"

namespace strata::edge {

enum class OriginError : uint8_t { kConnect, kTimeout, kProtocol, kReset, kTruncated };
const char* OriginErrorName(OriginError e);

struct OriginAddress {
  std::string host;
  uint16_t port = 80;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::string Authority() const { return host + ":" + std::to_string(port); }
};
// Parses "http://host:port" (or "host:port") and resolves it. False with *error on failure.
bool ParseOrigin(std::string_view url, OriginAddress* out, std::string* error);

class OriginConn;

class OriginHandler {
 public:
  virtual ~OriginHandler() = default;
  virtual void OnOriginInterim(const http1::ResponseHead& head) = 0;
  // Final response head; returns where decoded body bytes go (nullptr discards them).
  virtual std::string* OnOriginHeaders(http1::ResponseHead&& head) = 0;
  // Body bytes were appended to the sink (or the body completed: `done`).
  virtual void OnOriginBody(bool done) = 0;
  virtual void OnOriginError(OriginError e) = 0;
  // The connection carrying the exchange (set on start, changed by a retry, null when done).
  virtual void OnOriginConn(OriginConn* c) = 0;
};

struct OriginTimeouts {
  int64_t connect_ms = 3000;
  int64_t response_ms = 30000;  // first byte, and between body reads
  int64_t idle_ms = 30000;      // pooled idle connection lifetime
};

class OriginPool;

class OriginConn : public io::EventHandler, public RequestBodyPipe::Reader {
 public:
  OriginConn(OriginPool* pool, int fd, bool connecting);
  ~OriginConn() override;

  // `request` is the head (and any buffered body); `body`, if set, streams the rest.
  void Start(std::string request, std::string_view method, OriginHandler* h, bool reused,
             RequestBodyRef body = nullptr);
  void PauseBody() { paused_ = true; }
  void ResumeBody();
  // The handler is gone: abandon the exchange and close.
  void Abort();

  void OnEvent(uint32_t events) override;
  void OnRequestBodyReadable() override;
  int fd() const { return fd_; }
  int64_t idle_since_ms = 0;

 private:
  enum class State : uint8_t { kIdle, kConnecting, kWriting, kHead, kBody, kClosed };
  void Fail(OriginError e);
  void TryWrite();
  void WriteBody();
  void DropBody();
  void TryRead();
  bool Process();  // parse what is buffered; false when the conn was finished or failed
  void Finish();
  void ArmTimer(int64_t ms);

  OriginPool* pool_;
  io::Reactor* reactor_;
  int fd_;
  State state_;
  OriginHandler* handler_ = nullptr;
  std::string out_;
  size_t out_off_ = 0;
  std::string in_;
  std::string method_;
  std::string request_copy_;  // kept for a retry on a fresh connection
  bool reused_ = false;
  bool got_bytes_ = false;
  bool paused_ = false;
  bool eof_ = false;
  bool keep_alive_ = true;
  std::string* sink_ = nullptr;
  http1::BodyReader body_;
  RequestBodyRef req_body_;        // streamed request body, while attached
  bool req_body_sending_ = false;  // the head is sent; body bytes follow
  io::Reactor::TimerId timer_ = 0;
  friend class OriginPool;
};

class OriginPool {
 public:
  OriginPool(io::Reactor* reactor, OriginAddress addr, OriginTimeouts t);
  ~OriginPool();

  // Starts an exchange; returns the connection carrying it (for Pause/Resume/Abort) or nullptr
  // when no connection could be created (the handler was already told via OnOriginError).
  OriginConn* Send(std::string request, std::string_view method, OriginHandler* h,
                   RequestBodyRef body = nullptr);
  // Called by a connection whose exchange completed with keep-alive.
  void Release(OriginConn* c);
  // Called by a connection that is closing; deletes it later on the reactor.
  void Destroy(OriginConn* c);
  // A reused connection died before any response byte: move the exchange to a fresh one.
  OriginConn* Retry(std::string request, std::string_view method, OriginHandler* h);
  void SweepIdle(int64_t now_ms);

  io::Reactor* reactor() const { return reactor_; }
  const OriginTimeouts& timeouts() const { return timeouts_; }
  const OriginAddress& address() const { return addr_; }
  size_t idle_count() const { return idle_.size(); }
  uint64_t connects = 0;

 private:
  OriginConn* Connect();

  io::Reactor* reactor_;
  OriginAddress addr_;
  OriginTimeouts timeouts_;
  std::vector<OriginConn*> idle_;
  std::unordered_set<OriginConn*> all_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace strata::edge
