#include "edge/rfc9111/invalidation.h"

#include "edge/rfc9111/request_target.h"

namespace strata::edge::rfc9111 {

bool IsSafeMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE";
}

bool InvalidatesOnSuccess(std::string_view method, int status) {
  return !IsSafeMethod(method) && status >= 200 && status < 400;
}

std::string PrimaryKey(std::string_view host, std::string_view target) {
  auto t = ResolveTarget(host, target);
  return t ? t->Key() : std::string();
}

std::vector<std::string> InvalidationKeys(std::string_view host, std::string_view target,
                                          std::string_view location,
                                          std::string_view content_location) {
  std::vector<std::string> keys;
  std::string own = PrimaryKey(host, target);
  if (!own.empty()) keys.push_back(own);
  std::string h = NormalizeAuthority(host, 80).value_or("");
  for (std::string_view ref : {location, content_location}) {
    if (ref.empty()) continue;
    std::string k = PrimaryKey(host, ref);
    if (k.empty() || k.compare(0, h.size(), h) != 0 || (k.size() > h.size() && k[h.size()] != '/'))
      continue;  // other origin, or not a path we can key
    bool dup = false;
    for (const auto& e : keys) dup |= e == k;
    if (!dup) keys.push_back(k);
  }
  return keys;
}

}  // namespace strata::edge::rfc9111
