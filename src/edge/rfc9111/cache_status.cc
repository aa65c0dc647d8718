#include "edge/rfc9111/cache_status.h"

namespace strata::edge::rfc9111 {

const char* ForwardName(Forward f) {
  switch (f) {
    case Forward::kNone:
      return "";
    case Forward::kBypass:
      return "bypass";
    case Forward::kMethod:
      return "method";
    case Forward::kUriMiss:
      return "uri-miss";
    case Forward::kVaryMiss:
      return "vary-miss";
    case Forward::kMiss:
      return "miss";
    case Forward::kRequest:
      return "request";
    case Forward::kStale:
      return "stale";
  }
  return "";
}

std::string FormatCacheStatus(std::string_view name, const CacheStatus& s) {
  std::string out(name);
  if (s.hit) out += "; hit";
  if (s.fwd != Forward::kNone) {
    out += "; fwd=";
    out += ForwardName(s.fwd);
  }
  if (s.fwd_status) out += "; fwd-status=" + std::to_string(*s.fwd_status);
  if (s.stored) out += "; stored";
  if (s.collapsed) out += "; collapsed";
  if (s.ttl) out += "; ttl=" + std::to_string(*s.ttl);
  if (!s.detail.empty()) {
    out += "; detail=";
    out += s.detail;
  }
  return out;
}

}  // namespace strata::edge::rfc9111
