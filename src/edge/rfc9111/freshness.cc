#include "edge/rfc9111/freshness.h"

#include <algorithm>

#include "base/strutil.h"
#include "edge/rfc9111/http_date.h"

namespace strata::edge::rfc9111 {

const char* StoreVerdictName(StoreVerdict v) {
  switch (v) {
    case StoreVerdict::kStore:
      return "store";
    case StoreVerdict::kMethod:
      return "method";
    case StoreVerdict::kStatus:
      return "status";
    case StoreVerdict::kNoStore:
      return "no-store";
    case StoreVerdict::kPrivate:
      return "private";
    case StoreVerdict::kAuthorization:
      return "authorization";
    case StoreVerdict::kNotCacheable:
      return "no-freshness";
    case StoreVerdict::kSetCookie:
      return "set-cookie";
    case StoreVerdict::kVaryStar:
      return "vary-star";
  }
  return "?";
}

const char* ReuseName(Reuse r) {
  switch (r) {
    case Reuse::kFresh:
      return "fresh";
    case Reuse::kStaleWhileRevalidate:
      return "stale-while-revalidate";
    case Reuse::kStaleAllowed:
      return "stale-allowed";
    case Reuse::kValidate:
      return "validate";
  }
  return "?";
}

bool HeuristicallyCacheable(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 206:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
  }
  return false;
}

bool UnderstoodStatus(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 302:
    case 303:
    case 307:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
  }
  return false;
}

namespace {
bool HasExplicitExpiration(const http1::HeaderList& h, const EffectiveControl& ctl) {
  return ctl.cc.s_maxage || ctl.cc.max_age || (!ctl.targeted && h.Has("expires"));
}
bool HasValidator(const http1::HeaderList& h) { return h.Has("etag") || h.Has("last-modified"); }
}  // namespace

StoreVerdict CanStore(const RequestFacts& req, int status, const http1::HeaderList& response,
                      const EffectiveControl& ctl, const CachePolicy& policy) {
  if (req.method != "GET") return StoreVerdict::kMethod;
  if (!UnderstoodStatus(status)) return StoreVerdict::kStatus;
  if (req.cc.no_store || ctl.cc.no_store) return StoreVerdict::kNoStore;
  if (ctl.cc.is_private) return StoreVerdict::kPrivate;
  if (req.has_authorization && !(ctl.cc.is_public || ctl.cc.s_maxage || ctl.cc.must_revalidate))
    return StoreVerdict::kAuthorization;
  if (!policy.store_set_cookie && response.Has("set-cookie")) return StoreVerdict::kSetCookie;
  if (response.HasToken("vary", "*")) return StoreVerdict::kVaryStar;
  bool heuristic_ok =
      (HeuristicallyCacheable(status) || ctl.cc.is_public) && response.Has("last-modified");
  if (!HasExplicitExpiration(response, ctl) && !heuristic_ok && !HasValidator(response))
    return StoreVerdict::kNotCacheable;
  return StoreVerdict::kStore;
}

int64_t FreshnessLifetime(int status, const http1::HeaderList& response,
                          const EffectiveControl& ctl, int64_t response_time_s,
                          const CachePolicy& policy, bool* heuristic) {
  if (heuristic) *heuristic = false;
  if (ctl.cc.s_maxage) return *ctl.cc.s_maxage;
  if (ctl.cc.max_age) return *ctl.cc.max_age;
  std::optional<int64_t> date;
  if (auto d = response.Get("date")) date = ParseHttpDate(*d);
  int64_t date_s = date.value_or(response_time_s);
  if (!ctl.targeted) {
    if (auto e = response.Get("expires")) {
      auto exp = ParseHttpDate(*e);
      if (!exp) return 0;  // invalid Expires (e.g. "0") means already expired
      return std::max<int64_t>(0, *exp - date_s);
    }
  }
  if (!(HeuristicallyCacheable(status) || ctl.cc.is_public)) return 0;
  if (auto lm = response.Get("last-modified")) {
    if (auto lm_s = ParseHttpDate(*lm); lm_s && *lm_s < date_s) {
      if (heuristic) *heuristic = true;
      int64_t h = int64_t(double(date_s - *lm_s) * policy.heuristic_fraction);
      return std::min(h, policy.heuristic_max_s);
    }
  }
  return 0;
}

std::optional<int64_t> ParseAge(std::string_view value) {
  std::optional<int64_t> out;
  bool first = true;
  http1::ForEachListElement(value, [&](std::string_view el) {
    if (first) out = ParseDeltaSeconds(el);
    first = false;
    return false;
  });
  return out;
}

int64_t CorrectedInitialAge(int64_t date_value_ms, int64_t age_value_ms, int64_t request_time_ms,
                            int64_t response_time_ms) {
  int64_t apparent_age = std::max<int64_t>(0, response_time_ms - date_value_ms);
  int64_t response_delay = std::max<int64_t>(0, response_time_ms - request_time_ms);
  int64_t corrected_age_value = age_value_ms + response_delay;
  return std::max(apparent_age, corrected_age_value);
}

Reuse DecideReuse(const StoredFreshness& s, const CacheControl& req) {
  int64_t lifetime_ms = s.lifetime_s * 1000;
  int64_t age = s.current_age_ms;
  bool fresh = age < lifetime_ms;
  if (s.cc.no_cache) return Reuse::kValidate;
  if (fresh && s.cc.immutable) return Reuse::kFresh;  // RFC 8246
  if (req.no_cache) return Reuse::kValidate;
  if (req.max_age && age >= *req.max_age * 1000) return Reuse::kValidate;
  if (fresh) {
    if (req.min_fresh && lifetime_ms - age < *req.min_fresh * 1000) return Reuse::kValidate;
    return Reuse::kFresh;
  }
  // Stale. must-revalidate, proxy-revalidate and s-maxage forbid serving stale in a shared cache.
  if (s.cc.must_revalidate || s.cc.proxy_revalidate || s.cc.s_maxage) return Reuse::kValidate;
  int64_t staleness = age - lifetime_ms;
  if (req.max_stale && staleness <= *req.max_stale * 1000) return Reuse::kStaleAllowed;
  if (s.cc.stale_while_revalidate && staleness <= *s.cc.stale_while_revalidate * 1000)
    return Reuse::kStaleWhileRevalidate;
  return Reuse::kValidate;
}

bool StaleIfErrorAllowed(const StoredFreshness& s, const CacheControl& req) {
  if (s.cc.must_revalidate || s.cc.proxy_revalidate || s.cc.s_maxage || s.cc.no_cache) return false;
  int64_t staleness = s.current_age_ms - s.lifetime_s * 1000;
  if (staleness < 0) staleness = 0;
  std::optional<int64_t> limit = s.cc.stale_if_error;
  if (req.stale_if_error)
    limit = limit ? std::max(*limit, *req.stale_if_error) : req.stale_if_error;
  return limit && staleness <= *limit * 1000;
}

}  // namespace strata::edge::rfc9111
