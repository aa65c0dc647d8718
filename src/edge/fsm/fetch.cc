#include "edge/fsm/fetch.h"

#include <algorithm>

#include "base/log.h"
#include "base/strutil.h"
#include "edge/rfc9111/conditional.h"
#include "edge/rfc9111/http_date.h"
#include "edge/rfc9111/invalidation.h"
#include "edge/rfc9111/vary.h"

namespace strata::edge {

using rfc9111::StoreVerdict;

const char* FetchStepName(FetchStep s) {
  switch (s) {
#define STRATA_STEP_NAME(id, name) \
  case FetchStep::id:              \
    return name;
    STRATA_FETCH_STEPS(STRATA_STEP_NAME)
#undef STRATA_STEP_NAME
  }
  return "?";
}

FetchTask::FetchTask(WorkerContext* w, FetchKind kind, std::string key, std::string authority,
                     const http1::RequestHead& request, std::string request_bytes, ObjectRef stale,
                     bool coalesce)
    : w_(w),
      kind_(kind),
      key_(std::move(key)),
      authority_(std::move(authority)),
      request_(request),
      request_bytes_(std::move(request_bytes)),
      stale_(std::move(stale)),
      coalesce_(coalesce) {
  w_->fetches.insert(this);
}

FetchTask::~FetchTask() {
  if (conn_) conn_->Abort();
  if (registered_) w_->inflight.Remove(key_, this);
  if (object_ && object_->producer == this) object_->producer = nullptr;
}

void FetchTask::Trace(FetchStep s) {
  LOG_DEBUG("fetch %p %s: %s", static_cast<void*>(this), key_.c_str(), FetchStepName(s));
}

void FetchTask::Start() {
  Trace(FetchStep::kSend);
  if (coalesce_ && kind_ != FetchKind::kPass) {
    w_->inflight.Add(key_, this);
    registered_ = true;
  }
  request_time_ms_ = w_->NowWallMs();
  w_->metrics.Inc(w_->metrics.origin_fetches);
  if (kind_ == FetchKind::kRevalidate || kind_ == FetchKind::kBackground)
    w_->metrics.Inc(w_->metrics.revalidations);
  OriginPool* pool = w_->PoolFor(authority_);
  pool->Send(std::move(request_bytes_),
             request_.Method() == "HEAD"
                 ? "HEAD"
                 : (kind_ == FetchKind::kPass ? request_.Method() : std::string_view("GET")),
             this, std::move(request_body_));
}

void FetchTask::RemoveObserver(FetchObserver* o) {
  if (initiator_ == o) initiator_ = nullptr;
  std::erase(waiters_, o);
  // A pass nobody wants any more is abandoned; cache fills continue for the cache's sake.
  if (kind_ == FetchKind::kPass && !initiator_ && outcome_ == FetchOutcome::kPending) Finish();
}

void FetchTask::OnOriginInterim(const http1::ResponseHead& head) {
  if (initiator_) initiator_->OnFetchInterim(head);
}

ObjectRef FetchTask::MakeObject(const http1::ResponseHead& head, http1::HeaderList headers) {
  auto o = std::make_shared<CachedObject>();
  o->key = key_;
  o->status = head.status;
  o->reason = std::string(head.Reason());
  o->request_time_ms = request_time_ms_;
  o->response_time_ms = w_->NowWallMs();
  if (head.framing == http1::BodyFraming::kContentLength) o->expected_length = head.content_length;
  if (head.framing == http1::BodyFraming::kNone) {
    o->expected_length = 0;
    if (request_.Method() == "HEAD" && head.Count("content-length") > 0)
      o->head_length = head.content_length;
  }
  // Age and freshness (RFC 9111 §4.2).
  int64_t age_s = 0;
  if (auto a = headers.Get("age")) age_s = rfc9111::ParseAge(*a).value_or(0);
  std::optional<int64_t> date;
  if (auto d = headers.Get("date")) date = rfc9111::ParseHttpDate(*d);
  int64_t date_ms = date ? *date * 1000 : o->response_time_ms;
  o->corrected_initial_age_ms =
      rfc9111::CorrectedInitialAge(date_ms, age_s * 1000, o->request_time_ms, o->response_time_ms);
  rfc9111::EffectiveControl ctl = rfc9111::SelectResponseControl(headers);
  o->cc = ctl.cc;
  o->lifetime_s = rfc9111::FreshnessLifetime(head.status, headers, ctl, o->response_time_ms / 1000,
                                             w_->config->policy);
  // RFC 9110 §6.6.1: a recipient with a clock appends Date when the response lacks one.
  if (!headers.Has("date"))
    headers.Add("Date", rfc9111::FormatHttpDate(o->response_time_ms / 1000));
  o->vary = rfc9111::ParseVary(headers.GetCombined("vary"));
  o->secondary = rfc9111::SecondaryKey(o->vary, request_);
  o->headers = std::move(headers);
  o->RefreshDerivedFields();
  return o;
}

std::string* FetchTask::OnOriginHeaders(http1::ResponseHead&& head) {
  origin_status_ = head.status;
  head_ = std::move(head);
  FetchStep s = StepHeaders(head_);
  for (;;) {
    Trace(s);
    switch (s) {
      case FetchStep::kNotModified:
        s = StepNotModified(head_);
        break;
      case FetchStep::kStore:
        s = StepStore(head_);
        break;
      case FetchStep::kUncacheable:
        s = StepUncacheable(head_);
        break;
      case FetchStep::kBody:
        return object_ ? &object_->body : nullptr;
      default:
        return nullptr;
    }
    if (finished_) return nullptr;
  }
}

FetchStep FetchTask::StepHeaders(http1::ResponseHead& head) {
  // Unsafe methods invalidate the target (and same-origin Location/Content-Location).
  if (kind_ == FetchKind::kPass && rfc9111::InvalidatesOnSuccess(request_.Method(), head.status)) {
    // The key's own path (key_ is authority + path), so an absolute-form request invalidates
    // what its authority names.
    auto keys = rfc9111::InvalidationKeys(
        authority_, std::string_view(key_).substr(authority_.size()),
        head.Get("location").value_or(""), head.Get("content-location").value_or(""));
    w_->Broadcast([keys](WorkerContext* w) {
      size_t n = 0;
      for (const auto& k : keys) {
        n += w->store.PurgeKey(k, false, 0);
        w->inflight.ClearHitForPass(k);
      }
      w->metrics.Inc(w->metrics.invalidations, n);
      w->PublishStoreStats();
    });
  }
  if ((kind_ == FetchKind::kRevalidate || kind_ == FetchKind::kBackground) && head.status == 304 &&
      stale_)
    return FetchStep::kNotModified;
  if (kind_ == FetchKind::kPass) return FetchStep::kUncacheable;
  if (kind_ == FetchKind::kBackground && head.status >= 500) {
    return FetchStep::kUncacheable;  // keep serving the stale object
  }
  return FetchStep::kStore;
}

FetchStep FetchTask::StepNotModified(http1::ResponseHead& head) {
  w_->metrics.Inc(w_->metrics.revalidated_304);
  CachedObject* o = stale_.get();
  rfc9111::ApplyNotModified(head, &o->headers);
  o->headers.Remove("age");
  o->request_time_ms = request_time_ms_;
  o->response_time_ms = w_->NowWallMs();
  int64_t age_s = 0;
  if (auto a = head.Get("age")) age_s = rfc9111::ParseAge(*a).value_or(0);
  std::optional<int64_t> date;
  if (auto d = o->headers.Get("date")) date = rfc9111::ParseHttpDate(*d);
  int64_t date_ms = date ? *date * 1000 : o->response_time_ms;
  o->corrected_initial_age_ms =
      rfc9111::CorrectedInitialAge(date_ms, age_s * 1000, o->request_time_ms, o->response_time_ms);
  rfc9111::EffectiveControl ctl = rfc9111::SelectResponseControl(o->headers);
  o->cc = ctl.cc;
  o->lifetime_s = rfc9111::FreshnessLifetime(o->status, o->headers, ctl, o->response_time_ms / 1000,
                                             w_->config->policy);
  o->soft_purged = false;
  o->refreshing = false;
  if (o->in_store)
    w_->store.Recharge(o);
  else
    o->RefreshDerivedFields();
  w_->PublishStoreStats();
  object_ = stale_;
  Decide(FetchOutcome::kNotModified);
  return FetchStep::kDone;  // a 304 has no body; OnOriginBody(true) follows
}

namespace {
// Strips hop-by-hop and framing fields; moves upstream cache-status fields aside.
http1::HeaderList CleanResponseHeaders(const http1::ResponseHead& head, bool keep_age,
                                       std::string* upstream_status) {
  http1::HeaderList h;
  std::string connection = head.GetCombined("connection");
  for (size_t i = 0; i < head.FieldCount(); i++) {
    std::string_view n = head.Name(i);
    if (http1::IsHopByHop(n) || EqualsIgnoreCase(n, "content-length")) continue;
    if (!connection.empty() && http1::NamedInConnection(connection, n)) continue;
    if (EqualsIgnoreCase(n, "cache-status")) {
      if (!upstream_status->empty()) *upstream_status += ", ";
      *upstream_status += head.Value(i);
      continue;
    }
    if (EqualsIgnoreCase(n, "x-cache") || EqualsIgnoreCase(n, "x-cache-hits")) continue;
    if (!keep_age && EqualsIgnoreCase(n, "age")) {
      h.Add(n, head.Value(i));  // MakeObject reads it, then it is dropped
      continue;
    }
    h.Add(n, head.Value(i));
  }
  return h;
}

bool ResponseDrivenVerdict(StoreVerdict v) {
  return v == StoreVerdict::kStatus || v == StoreVerdict::kNoStore || v == StoreVerdict::kPrivate ||
         v == StoreVerdict::kNotCacheable || v == StoreVerdict::kSetCookie ||
         v == StoreVerdict::kVaryStar;
}
}  // namespace

FetchStep FetchTask::StepStore(http1::ResponseHead& head) {
  std::string upstream;
  http1::HeaderList headers = CleanResponseHeaders(head, false, &upstream);
  rfc9111::RequestFacts facts{request_.Method(), rfc9111::RequestControl(request_),
                              request_.Count("authorization") > 0};
  rfc9111::EffectiveControl ctl = rfc9111::SelectResponseControl(headers);
  verdict_ = rfc9111::CanStore(facts, head.status, headers, ctl, w_->config->policy);
  if (verdict_ != StoreVerdict::kStore) {
    if (registered_ && ResponseDrivenVerdict(verdict_) && head.status < 500) {
      w_->inflight.MarkHitForPass(key_, w_->reactor.NowMs() + w_->config->hit_for_pass_s * 1000);
    }
    return FetchStep::kUncacheable;
  }
  object_ = MakeObject(head, std::move(headers));
  object_->headers.Remove("age");
  object_->upstream_cache_status = std::move(upstream);
  object_->producer = this;
  if (object_->expected_length && *object_->expected_length == 0) object_->complete = true;
  // A stale variant being replaced by the new response is removed by Insert.
  if (!w_->store.Insert(object_)) {
    LOG_DEBUG("fetch %s: not admitted (too large)", key_.c_str());
  }
  if (stale_ && stale_.get() != object_.get()) stale_->refreshing = false;
  w_->inflight.ClearHitForPass(key_);
  w_->PublishStoreStats();
  Decide(FetchOutcome::kStored);
  return FetchStep::kBody;
}

FetchStep FetchTask::StepUncacheable(http1::ResponseHead& head) {
  std::string upstream;
  http1::HeaderList headers = CleanResponseHeaders(head, true, &upstream);
  object_ = MakeObject(head, std::move(headers));
  object_->upstream_cache_status = std::move(upstream);
  // A pass or uncacheable fill has one reader that may be slow: stream with back-pressure.
  // Error pages from a failed revalidation stay shared (several waiters may read them).
  object_->transient = !(kind_ == FetchKind::kRevalidate && head.status >= 500);
  object_->producer = this;
  if (object_->expected_length && *object_->expected_length == 0) object_->complete = true;
  if (stale_) stale_->refreshing = false;
  bool reader = initiator_ != nullptr || !object_->transient;
  Decide(FetchOutcome::kUncacheable);
  if (kind_ == FetchKind::kBackground || !reader) {
    // Nobody will read this body.
    Finish();
    return FetchStep::kDone;
  }
  return FetchStep::kBody;
}

void FetchTask::Decide(FetchOutcome o) {
  outcome_ = o;
  if (registered_) {
    w_->inflight.Remove(key_, this);
    registered_ = false;
  }
  FetchObserver* init = initiator_;
  std::vector<FetchObserver*> waiters;
  waiters.swap(waiters_);
  initiator_ = nullptr;
  if (init) init->OnFetchReady(this);
  for (FetchObserver* obs : waiters) obs->OnFetchReady(this);
}

void FetchTask::OnOriginBody(bool done) {
  if (!object_) {
    if (done) Finish();
    return;
  }
  CachedObject* o = object_.get();
  if (done) {
    o->complete = true;
    w_->metrics.Inc(w_->metrics.bytes_from_origin, o->available());
    if (o->in_store) w_->store.Recharge(o);
    w_->PublishStoreStats();
    o->producer = nullptr;
    o->NotifyListeners();
    Finish();
    return;
  }
  if (o->transient) {
    if (o->body.size() > (1u << 20) && conn_) conn_->PauseBody();
  } else if (o->in_store && !o->expected_length &&
             o->available() > w_->store.limits().max_object_bytes) {
    w_->store.Remove(o);  // grew too large: keep streaming to current readers only
    w_->PublishStoreStats();
  }
  o->NotifyListeners();
}

void FetchTask::OnOriginError(OriginError e) {
  error_ = e;
  w_->metrics.Inc(w_->metrics.origin_errors);
  LOG_VERBOSE("origin fetch %s failed: %s", key_.c_str(), OriginErrorName(e));
  if (outcome_ == FetchOutcome::kPending) {
    if (stale_) stale_->refreshing = false;
    Decide(FetchOutcome::kError);
    Finish();
    return;
  }
  if (object_) {
    CachedObject* o = object_.get();
    o->failed = true;
    o->producer = nullptr;
    if (o->in_store) w_->store.Remove(o);
    w_->PublishStoreStats();
    o->NotifyListeners();
  }
  Finish();
}

void FetchTask::ResumeBody() {
  if (conn_) conn_->ResumeBody();
}

void FetchTask::Abandon() {
  if (object_ && object_->producer == this) object_->producer = nullptr;
  Finish();
}

void FetchTask::Finish() {
  if (finished_) return;
  finished_ = true;
  Trace(FetchStep::kDone);
  if (conn_) {
    conn_->Abort();
    conn_ = nullptr;
  }
  if (registered_) {
    w_->inflight.Remove(key_, this);
    registered_ = false;
  }
  if (object_ && object_->producer == this) object_->producer = nullptr;
  w_->RetireFetch(this);
}

}  // namespace strata::edge
