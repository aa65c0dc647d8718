// Transaction: the client-side request state machine (REQ_STEPS in steps.h). One per client
// request, owned by its Session, living on the session's worker thread.
//
// The transaction decides *what* to answer; the Session does the socket I/O. Decisions come
// from the pure rfc9111 functions; the transaction only sequences them and the I/O they need
// (store lookups, origin fetches, purges). It hands the session exactly one Delivery (the final
// response head plus a body source) and, for passes, any 1xx interim responses before it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "edge/fsm/context.h"
#include "edge/fsm/fetch.h"
#include "edge/fsm/steps.h"
#include "edge/rfc9111/cache_status.h"
#include "edge/rfc9111/freshness.h"
#include "edge/rfc9111/request_target.h"
#include "edge/store/object.h"
#include "edge/upstream/request_body.h"
#include "proto/http1/message.h"

namespace strata::edge {

// The final response, ready for the session to write.
struct Delivery {
  std::string head;             // status line + fields + CRLF
  ObjectRef obj;                // body source (nullptr: `body` is the whole body)
  uint64_t offset = 0;          // first body byte of obj to send
  std::optional<uint64_t> end;  // one past the last byte; nullopt = until obj completes
  bool chunked = false;         // frame obj bytes with chunked coding
  std::string body;             // inline body (synthetic responses, multipart ranges)
  bool close = false;           // close the connection afterwards
  bool from_cache = false;
};

class TxnSink {
 public:
  virtual ~TxnSink() = default;
  virtual void SendInterim(std::string bytes) = 0;
  virtual void Deliver(Delivery d) = 0;  // exactly once per transaction
};

class Transaction : public FetchObserver {
 public:
  // `target` is the request's resolved target (rfc9111::ResolveTarget; nullopt: unusable, the
  // request is refused): its authority is the one used for the key, the upstream and the Host
  // sent there. `body` is a buffered request body; `body_stream`, if set, streams it instead
  // (passes only: the session starts the transaction right after the head and feeds the pipe as
  // bytes arrive).
  Transaction(WorkerContext* w, TxnSink* sink, http1::RequestHead request,
              std::optional<rfc9111::RequestTarget> target, std::string body, std::string client_ip,
              RequestBodyRef body_stream = nullptr);
  ~Transaction() override;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs the machine from recv until it delivers or suspends.
  void Start() { Run(Step::kRecv); }

  // FetchObserver
  void OnFetchInterim(const http1::ResponseHead& head) override;
  void OnFetchReady(FetchTask* f) override;

  // For the access log.
  const http1::RequestHead& request() const { return req_; }
  int status() const { return status_; }
  const char* cache_label() const { return x_cache_hit_ ? "HIT" : (passed_ ? "PASS" : "MISS"); }

 private:
  struct StepEntry {
    Step step;
    const char* name;
    Step (Transaction::*fn)();
  };
  // One entry per step, in enum order (kSuspend is not a step).
  static const StepEntry kSteps[static_cast<size_t>(Step::kSuspend)];

  void Run(Step s);
  Step StepRecv();
  Step StepPurge();
  Step StepLookup();
  Step StepHit();
  Step StepMiss();
  Step StepPass();
  Step StepWait();
  Step StepRevalidate();
  Step StepFetched();
  Step StepDeliver();
  Step StepSynth();
  Step StepDone();

  Step Synth(int status, std::string body = {});
  bool ForwardingLoop() const;
  rfc9111::StoredFreshness FreshnessOf(const CachedObject& o) const;
  void StartBackgroundRefresh(const ObjectRef& o);
  // Age (cached objects), Cache-Status, X-Cache, X-Cache-Hits and (unless `via_done`) Via.
  void AppendCommonFields(std::string* head, const CachedObject* o, bool cached,
                          bool via_done = false);
  void LeaveFetch();

  WorkerContext* w_;
  TxnSink* sink_;
  http1::RequestHead req_;
  std::optional<rfc9111::RequestTarget> target_;
  std::string body_;
  RequestBodyRef body_stream_;
  std::string client_ip_;
  std::string method_;
  std::string key_;
  rfc9111::CacheControl req_cc_;
  bool is_head_ = false;
  bool has_auth_ = false;

  Step next_ = Step::kRecv;
  bool running_ = false;
  bool resume_pending_ = false;
  Step resume_step_ = Step::kRecv;
  int relookups_ = 0;

  FetchTask* fetch_ = nullptr;
  bool initiator_ = false;
  FetchOutcome fetch_outcome_ = FetchOutcome::kPending;
  ObjectRef fetched_;
  int fetch_status_ = 0;
  OriginError fetch_error_ = OriginError::kConnect;
  rfc9111::StoreVerdict fetch_verdict_ = rfc9111::StoreVerdict::kStore;

  ObjectRef obj_;    // what we deliver
  ObjectRef stale_;  // stale candidate found at lookup
  rfc9111::CacheStatus cs_;
  bool x_cache_hit_ = false;
  bool passed_ = false;
  bool stale_served_ = false;
  std::string_view detail_;

  int status_ = 0;
  int synth_status_ = 0;
  std::string synth_body_;
  http1::HeaderList synth_fields_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace strata::edge
