#include "edge/rfc9111/invalidation.h"

#include "base/strutil.h"

namespace strata::edge::rfc9111 {

bool IsSafeMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE";
}

bool InvalidatesOnSuccess(std::string_view method, int status) {
  return !IsSafeMethod(method) && status >= 200 && status < 400;
}

namespace {
std::string NormHost(std::string_view host) {
  std::string h = ToLower(host);
  if (h.size() > 3 && h.compare(h.size() - 3, 3, ":80") == 0) h.resize(h.size() - 3);
  return h;
}
}  // namespace

std::string PrimaryKey(std::string_view host, std::string_view target) {
  if (!target.empty() && target[0] == '/') return NormHost(host) + std::string(target);
  if (target.size() > 7 && EqualsIgnoreCase(target.substr(0, 7), "http://")) {
    std::string_view rest = target.substr(7);
    size_t slash = rest.find('/');
    std::string_view auth = rest.substr(0, slash);
    std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    return NormHost(auth) + path;
  }
  if (target == "*") return NormHost(host) + "*";
  return {};
}

std::vector<std::string> InvalidationKeys(std::string_view host, std::string_view target,
                                          std::string_view location,
                                          std::string_view content_location) {
  std::vector<std::string> keys;
  std::string own = PrimaryKey(host, target);
  if (!own.empty()) keys.push_back(own);
  std::string h = NormHost(host);
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
