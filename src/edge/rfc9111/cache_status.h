// Cache-Status (RFC 9211) for this cache, plus the legacy X-Cache vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::edge::rfc9111 {

// fwd parameter values (RFC 9211 §2.2).
enum class Forward : uint8_t {
  kNone,
  kBypass,
  kMethod,
  kUriMiss,
  kVaryMiss,
  kMiss,
  kRequest,
  kStale
};
const char* ForwardName(Forward f);

struct CacheStatus {
  bool hit = false;
  Forward fwd = Forward::kNone;
  std::optional<int> fwd_status;
  bool stored = false;
  bool collapsed = false;
  std::optional<int64_t> ttl;
  std::string_view detail;
};

// e.g. `strata; hit; ttl=42` or `strata; fwd=uri-miss; fwd-status=200; stored; ttl=60`.
std::string FormatCacheStatus(std::string_view cache_name, const CacheStatus& s);

}  // namespace strata::edge::rfc9111
