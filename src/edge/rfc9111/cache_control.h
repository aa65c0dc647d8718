// Cache-Control (RFC 9111 §5.2) and the targeted fields CDN-Cache-Control (RFC 9213) and
// Strata-Cache-Control. Parsing is strict and forgiving in the RFC's sense: directive names are
// case-insensitive, a directive whose value is invalid is ignored (as if absent), the first
// occurrence of a duplicated directive wins, and delta-seconds saturate at 2^31.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/http1/message.h"

namespace strata::edge::rfc9111 {

constexpr int64_t kDeltaSecondsMax = 2147483648LL;  // RFC 9111 §1.2.2

struct CacheControl {
  // Response directives
  bool no_store = false;
  bool no_cache = false;  // qualified no-cache="f" is treated as unqualified (allowed, safer)
  bool is_private = false;
  bool is_public = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool immutable = false;
  bool no_transform = false;
  std::optional<int64_t> max_age;
  std::optional<int64_t> s_maxage;
  std::optional<int64_t> stale_while_revalidate;
  std::optional<int64_t> stale_if_error;
  // Request directives
  std::optional<int64_t> max_stale;  // "max-stale" without value = kDeltaSecondsMax
  std::optional<int64_t> min_fresh;
  bool only_if_cached = false;
  bool any = false;  // at least one directive was recognised
};

CacheControl ParseCacheControl(std::string_view value);
// Strict delta-seconds: 1*DIGIT, saturating at 2^31. nullopt when invalid.
std::optional<int64_t> ParseDeltaSeconds(std::string_view s);

// The Cache-Control that governs this (shared, CDN) cache for a response: the first valid,
// non-empty targeted field in the order Strata-Cache-Control, CDN-Cache-Control; otherwise
// Cache-Control. `targeted` tells whether a targeted field was used (then Expires is ignored).
struct EffectiveControl {
  CacheControl cc;
  bool targeted = false;
};
EffectiveControl SelectResponseControl(const http1::HeaderList& response);
// Request directives (Cache-Control; Pragma: no-cache when Cache-Control is absent).
CacheControl RequestControl(const http1::MessageHead& request);

}  // namespace strata::edge::rfc9111
