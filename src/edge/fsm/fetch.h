// FetchTask: one request to the origin and what the cache makes of its response (the
// FETCH_STEPS of steps.h). Owned by its worker (WorkerContext::fetches), not by the client that
// started it: a cacheable fill outlives a client that disconnects, and a background refresh
// (stale-while-revalidate) has no client at all.
//
// Observers (client transactions) are told once, when the outcome is known (after the response
// head, or on error); from then on they read the body from `object` as it streams in. For
// cache fills the task is registered in the worker's InFlightTable until the outcome is known,
// so concurrent misses wait instead of fetching again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edge/fsm/context.h"
#include "edge/fsm/steps.h"
#include "edge/rfc9111/freshness.h"
#include "edge/store/object.h"
#include "edge/upstream/origin.h"
#include "edge/upstream/request_body.h"
#include "proto/http1/message.h"

namespace strata::edge {

class FetchTask;

class FetchObserver {
 public:
  virtual ~FetchObserver() = default;
  virtual void OnFetchInterim(const http1::ResponseHead& head) = 0;
  virtual void OnFetchReady(FetchTask* f) = 0;
};

enum class FetchKind : uint8_t { kMiss, kPass, kRevalidate, kBackground };

enum class FetchOutcome : uint8_t {
  kPending,
  kStored,       // cacheable; `object` is in the store (streaming)
  kUncacheable,  // `object` is transient (one reader) or shared-but-unstored (error pages)
  kNotModified,  // `object` is the revalidated stored object
  kError,        // no response; `error` says why
};

class FetchTask : public OriginHandler, public BodyProducer {
 public:
  // `authority` is the request's resolved authority (rfc9111::ResolveTarget): it picks the
  // upstream ([[origins]] by host) and scopes invalidations.
  FetchTask(WorkerContext* w, FetchKind kind, std::string key, std::string authority,
            const http1::RequestHead& request, std::string request_bytes, ObjectRef stale,
            bool coalesce);
  ~FetchTask() override;

  void Start();
  void SetInitiator(FetchObserver* o) { initiator_ = o; }
  // A request body streamed after the head (passes), sent by the origin connection.
  void SetRequestBody(RequestBodyRef body) { request_body_ = std::move(body); }
  void AddWaiter(FetchObserver* o) { waiters_.push_back(o); }
  // An observer leaves before the outcome is known.
  void RemoveObserver(FetchObserver* o);

  FetchKind kind() const { return kind_; }
  FetchOutcome outcome() const { return outcome_; }
  const ObjectRef& object() const { return object_; }
  const ObjectRef& stale() const { return stale_; }
  int origin_status() const { return origin_status_; }
  OriginError error() const { return error_; }
  rfc9111::StoreVerdict verdict() const { return verdict_; }
  const std::string& key() const { return key_; }

  // OriginHandler
  void OnOriginInterim(const http1::ResponseHead& head) override;
  std::string* OnOriginHeaders(http1::ResponseHead&& head) override;
  void OnOriginBody(bool done) override;
  void OnOriginError(OriginError e) override;
  void OnOriginConn(OriginConn* c) override { conn_ = c; }
  // BodyProducer
  void ResumeBody() override;
  void Abandon() override;

 private:
  FetchStep StepHeaders(http1::ResponseHead& head);
  FetchStep StepNotModified(http1::ResponseHead& head);
  FetchStep StepStore(http1::ResponseHead& head);
  FetchStep StepUncacheable(http1::ResponseHead& head);
  void Decide(FetchOutcome o);
  void Finish();
  void Trace(FetchStep s);
  ObjectRef MakeObject(const http1::ResponseHead& head, http1::HeaderList headers);

  WorkerContext* w_;
  FetchKind kind_;
  std::string key_;
  std::string authority_;
  http1::RequestHead request_;
  std::string request_bytes_;
  RequestBodyRef request_body_;
  ObjectRef stale_;
  bool coalesce_;
  bool registered_ = false;
  bool finished_ = false;

  FetchObserver* initiator_ = nullptr;
  std::vector<FetchObserver*> waiters_;
  OriginConn* conn_ = nullptr;

  FetchOutcome outcome_ = FetchOutcome::kPending;
  ObjectRef object_;
  int origin_status_ = 0;
  OriginError error_ = OriginError::kConnect;
  rfc9111::StoreVerdict verdict_ = rfc9111::StoreVerdict::kStore;
  int64_t request_time_ms_ = 0;
  http1::ResponseHead head_;  // kept for 304 processing
};

}  // namespace strata::edge
