// RFC 9111 decisions for a shared cache, as pure functions:
//  §3    storability            CanStore
//  §4.2.1 freshness lifetime    FreshnessLifetime (s-maxage > max-age > Expires-Date > heuristic)
//  §4.2.2 heuristic freshness   (10% of Date - Last-Modified, capped; heuristic statuses only)
//  §4.2.3 age                   ParseAge, CorrectedInitialAge, CurrentAge
//  §4.2.4/§4 reuse              DecideReuse (fresh / validate / serve stale), stale-if-error
// All times are milliseconds since the Unix epoch; lifetimes and directives are seconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "edge/rfc9111/cache_control.h"
#include "proto/http1/message.h"

namespace strata::edge::rfc9111 {

struct CachePolicy {
  // Store responses that carry Set-Cookie. RFC 9111 §3 allows it, but a shared cache that does
  // replays one user's cookie (often a session) to every other user; off by default, as in
  // nginx and Varnish. The operator may turn it on for origins known to set only shared cookies.
  bool store_set_cookie = false;
  double heuristic_fraction = 0.1;  // of (Date - Last-Modified)
  int64_t heuristic_max_s = 86400;  // cap on heuristic lifetime
};

enum class StoreVerdict : uint8_t {
  kStore,
  kMethod,         // only GET responses are stored
  kStatus,         // 1xx, 206, or a status we do not understand
  kNoStore,        // no-store in request or response
  kPrivate,        // private response
  kAuthorization,  // request had Authorization and response lacks public/s-maxage/must-revalidate
  kNotCacheable,   // no explicit freshness, no heuristic, no validator
  kSetCookie,      // the response sets a cookie and policy.store_set_cookie is off
  kVaryStar,       // Vary: * is never reusable
};
const char* StoreVerdictName(StoreVerdict v);

// Statuses that are heuristically cacheable (RFC 9110 §15.1).
bool HeuristicallyCacheable(int status);
// Statuses this cache understands well enough to store.
bool UnderstoodStatus(int status);

struct RequestFacts {
  std::string_view method;
  CacheControl cc;
  bool has_authorization = false;
};

StoreVerdict CanStore(const RequestFacts& req, int status, const http1::HeaderList& response,
                      const EffectiveControl& ctl, const CachePolicy& policy);

// Freshness lifetime in seconds (0 = stale on arrival). `response_time_s` stands in for a
// missing Date.
int64_t FreshnessLifetime(int status, const http1::HeaderList& response,
                          const EffectiveControl& ctl, int64_t response_time_s,
                          const CachePolicy& policy, bool* heuristic = nullptr);

// Age field value (§5.1): first list member, delta-seconds, saturating; nullopt if invalid.
std::optional<int64_t> ParseAge(std::string_view value);

// §4.2.3, all in milliseconds.
int64_t CorrectedInitialAge(int64_t date_value_ms, int64_t age_value_ms, int64_t request_time_ms,
                            int64_t response_time_ms);
inline int64_t CurrentAge(int64_t corrected_initial_age_ms, int64_t response_time_ms,
                          int64_t now_ms) {
  int64_t resident = now_ms - response_time_ms;
  return corrected_initial_age_ms + (resident > 0 ? resident : 0);
}

enum class Reuse : uint8_t {
  kFresh,                 // serve from cache
  kStaleWhileRevalidate,  // serve stale now, refresh once in the background
  kStaleAllowed,          // serve stale: the request's max-stale allows it
  kValidate,              // must validate with the origin before use
};
const char* ReuseName(Reuse r);

struct StoredFreshness {
  int64_t current_age_ms = 0;
  int64_t lifetime_s = 0;
  CacheControl cc;  // effective response directives
};

Reuse DecideReuse(const StoredFreshness& stored, const CacheControl& request_cc);
// §4.2.4 + RFC 5861: may a stale response be served because the origin failed?
bool StaleIfErrorAllowed(const StoredFreshness& stored, const CacheControl& request_cc);

// Remaining freshness in seconds (negative when stale): the Cache-Status ttl.
inline int64_t RemainingTtl(const StoredFreshness& s) {
  int64_t rem_ms = s.lifetime_s * 1000 - s.current_age_ms;
  return rem_ms >= 0 ? rem_ms / 1000 : -((-rem_ms + 999) / 1000);
}

}  // namespace strata::edge::rfc9111
