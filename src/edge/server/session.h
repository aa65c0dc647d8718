// Session: one client connection on a worker thread (owned by the Worker, touched only on its
// thread). Reads and strictly parses requests one at a time (pipelined requests wait in the
// input buffer), streams request bodies of passes to the origin as they arrive (with
// back-pressure: the socket is not read while the pipe is full; a body that stalls or trickles
// is cut off with 408, see BodyPace; GET/HEAD bodies are read, bounded, before the lookup),
// runs a Transaction per request, and writes the Delivery it produces: the head, then body bytes
// straight from the cached object (writev, no copy) or chunk-framed when the length is unknown,
// waking up as the object grows. Any parse error answers 400/413/501/505 and closes the connection:
// a request is never given two interpretations.
//
// Hand-off: with several workers, a GET/HEAD whose key another worker owns is run there. Once
// its head is parsed (the previous response is complete and nothing else is in flight), the
// session leaves its reactor from a posted task (never from inside another call stack) and is
// Posted whole, input buffer and parsed head included, to the owner, which adopts it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "edge/fsm/transaction.h"
#include "edge/rfc9111/request_target.h"
#include "edge/upstream/body_pace.h"
#include "edge/upstream/request_body.h"
#include "io/reactor.h"
#include "proto/http1/body.h"
#include "proto/http1/parser.h"

namespace strata::edge {

class Worker;

class Session : public io::EventHandler,
                public TxnSink,
                public BodyListener,
                public RequestBodyPipe::Writer {
 public:
  Session(Worker* worker, int fd);
  ~Session() override;

  void OnEvent(uint32_t events) override;
  void SendInterim(std::string bytes) override;
  void Deliver(Delivery d) override;
  void OnBodyProgress() override;
  void OnRequestBodyDrained() override;
  // Owner worker's thread: continue a session handed over by another worker.
  void Adopt(Worker* worker);

  int64_t last_activity_ms() const { return last_activity_ms_; }
  // When the first byte of a still-incomplete request (head or body) arrived; 0 if none.
  int64_t request_started_ms() const { return request_started_ms_; }
  bool idle() const { return !txn_ && !delivering_; }
  void Close();

 private:
  // kParsed: the head is parsed and the request not started yet (it may be handed off).
  // kBody: buffering a body before the request starts (GET/HEAD). kStream: the request runs
  // while its body streams to the origin. kHeld: the request runs, its body (if any) is read.
  enum class ReadState : uint8_t { kHead, kParsed, kBody, kStream, kHeld };
  void ReadAvailable(bool hangup);
  void ProcessInput();
  void ProcessInputLoop();
  void StartTransaction();
  void RejectRequest(http1::ParseError e);
  // Whether the parsed request's body streams to the origin (passes) instead of being buffered.
  bool StreamsBody() const;
  // Decodes buffered input into the request body pipe, reading more while it has room.
  void PumpBody();
  void BodyFailed(http1::ParseError e);
  void DropBodyStream(bool failed);
  // Slow streamed bodies (BodyPace): the timer re-checks at the pace's deadline; a body that
  // stalls or trickles is cut off (408 if no response has started) and its origin request is
  // never completed.
  void ArmPaceTimer();
  void OnPaceTimer();
  void BodyTimedOut(BodyPaceVerdict v);
  // Answers `status` with a short text body and Connection: close, then closes.
  void RefuseAndClose(int status, std::string_view body, const char* why);
  void Flush();
  void FinishResponse();
  void Kick();  // continue processing outside of foreign call stacks
  // The worker that owns the parsed request's key, if it is another one (else -1).
  int HandOffTarget() const;
  void FinishHandOff(int to);

  Worker* worker_;
  WorkerContext* w_;
  int fd_;
  std::string peer_;
  std::string in_;
  ReadState read_state_ = ReadState::kHead;
  bool peer_closed_ = false;
  bool closed_ = false;
  bool read_blocked_ = false;  // stopped reading: input buffer full
  int depth_ = 0;
  bool in_process_input_ = false;
  bool kick_posted_ = false;
  bool handing_off_ = false;  // posted to leave this worker: ignore events until adopted
  int64_t last_activity_ms_ = 0;
  int64_t request_started_ms_ = 0;

  // Current request.
  http1::RequestHead head_;
  std::optional<rfc9111::RequestTarget> target_;  // resolved once, when the head is parsed
  http1::BodyReader body_reader_;
  std::string body_;
  RequestBodyRef body_stream_;  // kStream: the pipe the body goes into
  std::string scratch_;         // decoded body bytes on their way into the pipe
  BodyPace pace_;               // kStream: is the client sending its body fast enough?
  io::Reactor::TimerId pace_timer_ = 0;
  int64_t pace_timer_due_ms_ = 0;
  bool sent_continue_ = false;
  std::unique_ptr<Transaction> txn_;
  std::unique_ptr<Transaction> retired_;  // finished, possibly still on the call stack
  int64_t started_us_ = 0;

  // Current response.
  bool delivering_ = false;
  Delivery d_;
  std::string out_;
  size_t out_off_ = 0;
  uint64_t body_sent_ = 0;
  bool body_done_ = false;
  bool listening_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace strata::edge
