#include "edge/fsm/transaction.h"

#include "base/hash.h"
#include "base/log.h"
#include "base/strutil.h"
#include "edge/fsm/origin_request.h"
#include "edge/purge/purge.h"
#include "edge/rfc9111/conditional.h"
#include "edge/rfc9111/http_date.h"
#include "edge/rfc9111/invalidation.h"
#include "edge/rfc9111/range.h"
#include "edge/rfc9111/vary.h"
#include "proto/http1/writer.h"

namespace strata::edge {

using rfc9111::Forward;

const char* StepName(Step s) {
  switch (s) {
#define STRATA_STEP_NAME(id, name) \
  case Step::id:                   \
    return name;
    STRATA_REQ_STEPS(STRATA_STEP_NAME)
#undef STRATA_STEP_NAME
  }
  return "?";
}

// The one table of request steps (order matches enum class Step).
const Transaction::StepEntry Transaction::kSteps[static_cast<size_t>(Step::kSuspend)] = {
    {Step::kRecv, "recv", &Transaction::StepRecv},
    {Step::kPurge, "purge", &Transaction::StepPurge},
    {Step::kLookup, "lookup", &Transaction::StepLookup},
    {Step::kHit, "hit", &Transaction::StepHit},
    {Step::kMiss, "miss", &Transaction::StepMiss},
    {Step::kPass, "pass", &Transaction::StepPass},
    {Step::kWait, "wait", &Transaction::StepWait},
    {Step::kRevalidate, "revalidate", &Transaction::StepRevalidate},
    {Step::kFetched, "fetched", &Transaction::StepFetched},
    {Step::kDeliver, "deliver", &Transaction::StepDeliver},
    {Step::kSynth, "synth", &Transaction::StepSynth},
    {Step::kDone, "done", &Transaction::StepDone},
};

Transaction::Transaction(WorkerContext* w, TxnSink* sink, http1::RequestHead request,
                         std::optional<rfc9111::RequestTarget> target, std::string body,
                         std::string client_ip, RequestBodyRef body_stream)
    : w_(w),
      sink_(sink),
      req_(std::move(request)),
      target_(std::move(target)),
      body_(std::move(body)),
      body_stream_(std::move(body_stream)),
      client_ip_(std::move(client_ip)) {}

Transaction::~Transaction() {
  *alive_ = false;
  LeaveFetch();
}

void Transaction::LeaveFetch() {
  if (fetch_) {
    FetchTask* f = fetch_;
    fetch_ = nullptr;
    f->RemoveObserver(this);
  }
}

void Transaction::Run(Step s) {
  if (running_) {  // re-entered from a synchronous callback: continue in the outer loop
    resume_pending_ = true;
    resume_step_ = s;
    return;
  }
  running_ = true;
  for (;;) {
    while (s != Step::kSuspend && s != Step::kDone) {
      LOG_DEBUG("req %s %s: %s", method_.c_str(), key_.c_str(), StepName(s));
      next_ = s;
      Step (Transaction::*fn)() = kSteps[static_cast<size_t>(s)].fn;
      s = (this->*fn)();
    }
    if (s == Step::kDone) {
      StepDone();
      resume_pending_ = false;
      break;
    }
    if (!resume_pending_) break;
    resume_pending_ = false;
    s = resume_step_;
  }
  running_ = false;
}

rfc9111::StoredFreshness Transaction::FreshnessOf(const CachedObject& o) const {
  rfc9111::StoredFreshness sf;
  sf.current_age_ms =
      rfc9111::CurrentAge(o.corrected_initial_age_ms, o.response_time_ms, w_->NowWallMs());
  sf.lifetime_s = o.lifetime_s;
  sf.cc = o.cc;
  return sf;
}

Step Transaction::Synth(int status, std::string body) {
  synth_status_ = status;
  synth_body_ = std::move(body);
  return Step::kSynth;
}

// ---------------------------------------------------------------- steps

Step Transaction::StepRecv() {
  w_->metrics.Inc(w_->metrics.requests);
  method_ = std::string(req_.Method());
  is_head_ = method_ == "HEAD";
  has_auth_ = req_.Count("authorization") > 0;
  if (method_ == "CONNECT") return Synth(501, "CONNECT is not supported\n");
  if (ForwardingLoop()) return Synth(508, "forwarding loop detected (CDN-Loop)\n");
  if (!target_) return Synth(400, "invalid request target or Host\n");
  key_ = target_->Key();
  if (method_ == "PURGE" && w_->config->purge_method) return Step::kPurge;
  req_cc_ = rfc9111::RequestControl(req_);
  if (method_ == "GET" || method_ == "HEAD") return Step::kLookup;
  cs_.fwd = Forward::kMethod;
  return Step::kPass;
}

bool Transaction::ForwardingLoop() const {
  if (req_.Count("cdn-loop") == 0) return false;
  bool loop = false;
  http1::ForEachListElement(req_.GetCombined("cdn-loop"), [&](std::string_view el) {
    std::string_view id = http1::TrimOws(el.substr(0, el.find(';')));
    loop = id == w_->config->loop_id;
    return !loop;
  });
  return loop;
}

Step Transaction::StepPurge() {
  if (!CheckBearer(req_.Get("authorization").value_or(""), w_->config->purge_tokens)) {
    synth_fields_.Add("WWW-Authenticate", "Bearer");
    return Synth(401, "purge requires a valid bearer token\n");
  }
  PurgeSpec spec;
  spec.kind = PurgeSpec::Kind::kUrl;
  spec.value = key_;
  if (auto mode = req_.Get("purge-mode"); mode && EqualsIgnoreCase(*mode, "soft")) spec.soft = true;
  if (auto tag = req_.Get("purge-tag")) {
    if (!ValidTag(*tag)) return Synth(400, "invalid tag\n");
    spec.kind = PurgeSpec::Kind::kTag;
    spec.value = std::string(*tag);
  }
  std::weak_ptr<bool> alive = alive_;
  BroadcastPurge(*w_->all_workers, spec, &w_->reactor, [this, alive](size_t n) {
    if (alive.expired()) return;
    synth_fields_.Add("Content-Type", "application/json");
    synth_status_ = 200;
    synth_body_ = "{\"purged\": " + std::to_string(n) + "}\n";
    Run(Step::kSynth);
  });
  return Step::kSuspend;
}

Step Transaction::StepLookup() {
  if (w_->inflight.IsHitForPass(key_, w_->reactor.NowMs())) {
    cs_.fwd = Forward::kBypass;
    cs_.detail = "hit-for-pass";
    return Step::kPass;
  }
  LookupResult r = w_->store.Lookup(key_, req_);
  if (r.object) {
    const ObjectRef& o = r.object;
    if (has_auth_ && !(o->cc.is_public || o->cc.s_maxage || o->cc.must_revalidate)) {
      cs_.fwd = Forward::kRequest;
      return Step::kPass;
    }
    rfc9111::Reuse reuse = rfc9111::DecideReuse(FreshnessOf(*o), req_cc_);
    switch (reuse) {
      case rfc9111::Reuse::kFresh:
        obj_ = o;
        return Step::kHit;
      case rfc9111::Reuse::kStaleAllowed:
        obj_ = o;
        stale_served_ = true;
        detail_ = "max-stale";
        return Step::kHit;
      case rfc9111::Reuse::kStaleWhileRevalidate:
        obj_ = o;
        stale_served_ = true;
        detail_ = "stale-while-revalidate";
        if (!o->refreshing && o->complete) StartBackgroundRefresh(o);
        return Step::kHit;
      case rfc9111::Reuse::kValidate:
        break;
    }
    if (is_head_) {
      cs_.fwd = Forward::kStale;
      return Step::kPass;
    }
    stale_ = o;
    cs_.fwd = req_cc_.no_cache ? Forward::kRequest : Forward::kStale;
    if (w_->inflight.Find(key_)) return Step::kWait;
    return Step::kRevalidate;
  }
  if (req_cc_.only_if_cached) return Synth(504, "not in cache (only-if-cached)\n");
  cs_.fwd = r.key_known ? Forward::kVaryMiss : Forward::kUriMiss;
  if (!has_auth_ && w_->inflight.Find(key_)) return Step::kWait;
  if (is_head_) return Step::kPass;
  return Step::kMiss;
}

void Transaction::StartBackgroundRefresh(const ObjectRef& o) {
  if (w_->inflight.Find(key_)) return;
  o->refreshing = true;
  std::string bytes = BuildOriginRequest({&req_,
                                          OriginRequestKind::kRevalidate,
                                          "GET",
                                          {},
                                          &o->headers,
                                          w_->config->name,
                                          client_ip_,
                                          w_->config->loop_id,
                                          http1::BodyFraming::kNone,
                                          &*target_});
  auto* f = new FetchTask(w_, FetchKind::kBackground, key_, target_->authority, req_,
                          std::move(bytes), o, true);
  f->Start();
}

Step Transaction::StepHit() {
  w_->metrics.Inc(w_->metrics.hits);
  if (stale_served_) w_->metrics.Inc(w_->metrics.stale_served);
  obj_->hits++;
  w_->store.Touch(obj_.get());
  x_cache_hit_ = true;
  cs_.hit = true;
  cs_.fwd = Forward::kNone;
  return Step::kDeliver;
}

Step Transaction::StepMiss() {
  w_->metrics.Inc(w_->metrics.misses);
  std::string bytes = BuildOriginRequest({&req_,
                                          OriginRequestKind::kFill,
                                          "GET",
                                          {},
                                          nullptr,
                                          w_->config->name,
                                          client_ip_,
                                          w_->config->loop_id,
                                          http1::BodyFraming::kNone,
                                          &*target_});
  auto* f = new FetchTask(w_, FetchKind::kMiss, key_, target_->authority, req_, std::move(bytes),
                          nullptr, !has_auth_);
  fetch_ = f;
  initiator_ = true;
  f->SetInitiator(this);
  f->Start();
  return Step::kSuspend;
}

Step Transaction::StepPass() {
  w_->metrics.Inc(w_->metrics.passes);
  passed_ = true;
  // A streamed body can be sent once only: a released waiter or a re-lookup never streams.
  RequestBodyRef stream = std::move(body_stream_);
  std::string bytes = BuildOriginRequest(
      {&req_, OriginRequestKind::kForward, method_, body_, nullptr, w_->config->name, client_ip_,
       w_->config->loop_id, stream ? req_.framing : http1::BodyFraming::kNone, &*target_});
  auto* f = new FetchTask(w_, FetchKind::kPass, key_, target_->authority, req_, std::move(bytes),
                          nullptr, false);
  f->SetRequestBody(std::move(stream));
  fetch_ = f;
  initiator_ = true;
  f->SetInitiator(this);
  f->Start();
  return Step::kSuspend;
}

Step Transaction::StepWait() {
  FetchTask* f = w_->inflight.Find(key_);
  if (!f) return stale_ ? Step::kRevalidate : Step::kMiss;
  w_->metrics.Inc(w_->metrics.coalesced_waits);
  cs_.collapsed = true;
  fetch_ = f;
  initiator_ = false;
  f->AddWaiter(this);
  return Step::kSuspend;
}

Step Transaction::StepRevalidate() {
  std::string bytes = BuildOriginRequest({&req_,
                                          OriginRequestKind::kRevalidate,
                                          "GET",
                                          {},
                                          &stale_->headers,
                                          w_->config->name,
                                          client_ip_,
                                          w_->config->loop_id,
                                          http1::BodyFraming::kNone,
                                          &*target_});
  auto* f = new FetchTask(w_, FetchKind::kRevalidate, key_, target_->authority, req_,
                          std::move(bytes), stale_, true);
  fetch_ = f;
  initiator_ = true;
  f->SetInitiator(this);
  f->Start();
  return Step::kSuspend;
}

void Transaction::OnFetchInterim(const http1::ResponseHead& head) {
  if (req_.version_minor == 0) return;  // HTTP/1.0 clients never get 1xx
  if (head.status == 100 && !req_.expect_continue) return;
  std::string out;
  http1::AppendStatusLine(&out, head.status, head.Reason());
  for (size_t i = 0; i < head.FieldCount(); i++) {
    if (http1::IsHopByHop(head.Name(i))) continue;
    http1::AppendField(&out, head.Name(i), head.Value(i));
  }
  http1::EndHead(&out);
  sink_->SendInterim(std::move(out));
}

void Transaction::OnFetchReady(FetchTask* f) {
  fetch_ = nullptr;
  fetch_outcome_ = f->outcome();
  fetched_ = f->object();
  fetch_status_ = f->origin_status();
  fetch_error_ = f->error();
  fetch_verdict_ = f->verdict();
  Run(Step::kFetched);
}

Step Transaction::StepFetched() {
  cs_.fwd_status.reset();
  switch (fetch_outcome_) {
    case FetchOutcome::kStored: {
      const ObjectRef& o = fetched_;
      if (!initiator_ && !o->vary.empty() && rfc9111::SecondaryKey(o->vary, req_) != o->secondary) {
        // The coalesced response is another variant: look up again (at most a few times).
        cs_.collapsed = false;
        if (++relookups_ > 3) return Step::kPass;
        cs_.fwd = Forward::kVaryMiss;
        return Step::kLookup;
      }
      obj_ = o;
      cs_.fwd_status = fetch_status_;
      cs_.stored = o->in_store;
      cs_.ttl = rfc9111::RemainingTtl(FreshnessOf(*o));
      return Step::kDeliver;
    }
    case FetchOutcome::kNotModified: {
      if (!initiator_ && fetched_ != stale_) {
        cs_.collapsed = false;
        if (++relookups_ > 3) return Step::kPass;
        return Step::kLookup;
      }
      obj_ = fetched_;
      obj_->hits++;
      cs_.fwd = Forward::kStale;
      cs_.fwd_status = 304;
      cs_.ttl = rfc9111::RemainingTtl(FreshnessOf(*obj_));
      x_cache_hit_ = true;
      w_->metrics.Inc(w_->metrics.hits);
      return Step::kDeliver;
    }
    case FetchOutcome::kUncacheable: {
      const ObjectRef& o = fetched_;
      if (stale_ && fetch_status_ >= 500 &&
          rfc9111::StaleIfErrorAllowed(FreshnessOf(*stale_), req_cc_)) {
        obj_ = stale_;
        stale_served_ = true;
        detail_ = "stale-if-error";
        return Step::kHit;
      }
      if (o->transient && !initiator_) {
        // Released waiter: fetch on our own, in parallel with the others.
        cs_.collapsed = false;
        cs_.fwd = Forward::kBypass;
        cs_.detail = "hit-for-pass";
        return Step::kPass;
      }
      obj_ = o;
      cs_.fwd_status = fetch_status_;
      // Say why a response that looks cacheable was not stored (a policy, not the RFC).
      if (fetch_verdict_ == rfc9111::StoreVerdict::kSetCookie) cs_.detail = "set-cookie";
      return Step::kDeliver;
    }
    case FetchOutcome::kError:
    case FetchOutcome::kPending:
      break;
  }
  if (stale_ && rfc9111::StaleIfErrorAllowed(FreshnessOf(*stale_), req_cc_)) {
    obj_ = stale_;
    stale_served_ = true;
    detail_ = "stale-if-error";
    return Step::kHit;
  }
  cs_.detail = fetch_error_ == OriginError::kTimeout ? "origin-timeout" : "origin-unreachable";
  return Synth(fetch_error_ == OriginError::kTimeout ? 504 : 502,
               std::string("origin ") + OriginErrorName(fetch_error_) + " error\n");
}

void Transaction::AppendCommonFields(std::string* head, const CachedObject* o, bool cached,
                                     bool via_done) {
  if (cached && o) {
    int64_t age_ms =
        rfc9111::CurrentAge(o->corrected_initial_age_ms, o->response_time_ms, w_->NowWallMs());
    http1::AppendFieldInt(head, "Age", uint64_t(age_ms / 1000));
    if (cs_.hit) cs_.ttl = rfc9111::RemainingTtl(FreshnessOf(*o));
  }
  if (!detail_.empty()) cs_.detail = detail_;
  head->append("Cache-Status: ");
  if (o && !o->upstream_cache_status.empty() && !cs_.hit) {
    head->append(o->upstream_cache_status);
    head->append(", ");
  }
  head->append(rfc9111::FormatCacheStatus(w_->config->name, cs_));
  head->append("\r\n");
  http1::AppendField(head, "X-Cache", x_cache_hit_ ? "HIT" : "MISS");
  http1::AppendFieldInt(head, "X-Cache-Hits", o ? o->hits : 0);
  if (via_done) return;
  std::string via;
  if (o) via = o->headers.GetCombined("via");
  via += via.empty() ? "1.1 " : ", 1.1 ";
  via += w_->config->name;
  http1::AppendField(head, "Via", via);
}

Step Transaction::StepDeliver() {
  CachedObject* o = obj_.get();
  bool cached = !o->transient;
  // Conditional requests and ranges are answered from complete cacheable 200 responses.
  if (cached && o->status == 200 && (method_ == "GET" || method_ == "HEAD")) {
    rfc9111::StoredValidators v{o->etag ? std::optional<std::string_view>(*o->etag) : std::nullopt,
                                o->last_modified_s, o->date_s};
    rfc9111::Precondition pre = rfc9111::EvaluatePreconditions(method_, req_, v);
    if (pre == rfc9111::Precondition::kNotModified) {
      w_->metrics.Inc(w_->metrics.not_modified_sent);
      for (const auto& [n, val] : o->headers.fields()) {
        if (rfc9111::IsNotModifiedField(n)) synth_fields_.Add(n, val);
      }
      return Synth(304);
    }
    if (pre == rfc9111::Precondition::kFailed) return Synth(412, "precondition failed\n");
    auto range = req_.Get("range");
    if (range && !is_head_ && o->complete && rfc9111::IfRangeMatches(req_, v)) {
      std::vector<rfc9111::ByteRange> ranges;
      uint64_t size = o->available();
      switch (rfc9111::EvaluateRange(*range, size, &ranges)) {
        case rfc9111::RangeVerdict::kFull:
          break;
        case rfc9111::RangeVerdict::kUnsatisfiable:
          synth_fields_.Add("Content-Range", "bytes */" + std::to_string(size));
          return Synth(416);
        case rfc9111::RangeVerdict::kPartial: {
          Delivery d;
          d.from_cache = x_cache_hit_;
          http1::AppendStatusLine(&d.head, 206);
          std::string ctype(o->headers.Get("content-type").value_or(""));
          for (const auto& [n, val] : o->headers.fields()) {
            if (ranges.size() > 1 && EqualsIgnoreCase(n, "content-type")) continue;
            http1::AppendField(&d.head, n, val);
          }
          AppendCommonFields(&d.head, o, true);
          if (ranges.size() == 1) {
            http1::AppendField(&d.head, "Content-Range", rfc9111::ContentRange(ranges[0], size));
            http1::AppendFieldInt(&d.head, "Content-Length", ranges[0].length());
            d.obj = obj_;
            d.offset = ranges[0].first;
            d.end = ranges[0].last + 1;
          } else {
            std::string boundary = "strata" + std::to_string(HashKey(o->key) & 0xffffffffff);
            rfc9111::Multipart mp = rfc9111::BuildMultipart(ranges, size, ctype, boundary);
            http1::AppendField(&d.head, "Content-Type",
                               "multipart/byteranges; boundary=" + boundary);
            http1::AppendFieldInt(&d.head, "Content-Length", mp.total_length);
            for (size_t i = 0; i < ranges.size(); i++) {
              d.body += mp.part_heads[i];
              d.body.append(o->body, ranges[i].first - o->body_base, ranges[i].length());
            }
            d.body += mp.tail;
          }
          if (!req_.keep_alive) http1::AppendField(&d.head, "Connection", "close");
          http1::EndHead(&d.head);
          d.close = !req_.keep_alive;
          status_ = 206;
          sink_->Deliver(std::move(d));
          return Step::kDone;
        }
      }
    }
  }

  Delivery d;
  d.from_cache = x_cache_hit_;
  d.obj = obj_;
  if (cached) {
    const std::string& prefix = o->HeadPrefix(w_->config->name);
    d.head.reserve(prefix.size() + 192);
    d.head = prefix;
    AppendCommonFields(&d.head, o, true, true);
  } else {
    http1::AppendStatusLine(&d.head, o->status, o->reason);
    for (const auto& [n, val] : o->headers.fields()) http1::AppendField(&d.head, n, val);
    AppendCommonFields(&d.head, o, false);
  }
  bool no_body_status = o->status == 204 || o->status == 304 || o->status < 200;
  std::optional<uint64_t> len = o->head_length ? o->head_length : o->length();
  bool close = !req_.keep_alive;
  if (no_body_status) {
    d.end = 0;
  } else if (len) {
    http1::AppendFieldInt(&d.head, "Content-Length", *len);
    d.end = *len;
  } else if (is_head_) {
    d.end = 0;
  } else if (req_.version_minor >= 1) {
    http1::AppendField(&d.head, "Transfer-Encoding", "chunked");
    d.chunked = true;
  } else {
    close = true;  // HTTP/1.0 client, unknown length: delimit by closing
  }
  if (is_head_) d.end = d.offset;
  if (close) {
    http1::AppendField(&d.head, "Connection", "close");
  } else if (req_.version_minor == 0) {
    http1::AppendField(&d.head, "Connection", "keep-alive");
  }
  http1::EndHead(&d.head);
  d.close = close;
  status_ = o->status;
  sink_->Deliver(std::move(d));
  return Step::kDone;
}

Step Transaction::StepSynth() {
  Delivery d;
  status_ = synth_status_;
  http1::AppendStatusLine(&d.head, synth_status_);
  for (const auto& [n, v] : synth_fields_.fields()) http1::AppendField(&d.head, n, v);
  if (synth_status_ == 304 && obj_) {
    AppendCommonFields(&d.head, obj_.get(), true);
  } else {
    if (!synth_fields_.Has("content-type") && !synth_body_.empty())
      http1::AppendField(&d.head, "Content-Type", "text/plain");
    http1::AppendField(&d.head, "Date", rfc9111::FormatHttpDate(w_->NowWallMs() / 1000));
    if (cs_.fwd != Forward::kNone || cs_.hit || !cs_.detail.empty())
      http1::AppendField(&d.head, "Cache-Status",
                         rfc9111::FormatCacheStatus(w_->config->name, cs_));
  }
  if (synth_status_ != 304 && synth_status_ != 204)
    http1::AppendFieldInt(&d.head, "Content-Length", synth_body_.size());
  bool close = !req_.keep_alive || synth_status_ >= 500 || synth_status_ == 400;
  if (close) http1::AppendField(&d.head, "Connection", "close");
  http1::EndHead(&d.head);
  if (!is_head_ && synth_status_ != 304) d.body = std::move(synth_body_);
  d.close = close;
  d.from_cache = synth_status_ == 304 && x_cache_hit_;
  sink_->Deliver(std::move(d));
  return Step::kDone;
}

Step Transaction::StepDone() { return Step::kDone; }

}  // namespace strata::edge
