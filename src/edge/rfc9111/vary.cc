#include "edge/rfc9111/vary.h"

#include <algorithm>

#include "base/strutil.h"

namespace strata::edge::rfc9111 {

VarySpec ParseVary(std::string_view value) {
  VarySpec spec;
  http1::ForEachListElement(value, [&](std::string_view el) {
    if (el == "*") {
      spec.star = true;
    } else if (http1::IsToken(el)) {
      spec.names.push_back(ToLower(el));
    }
    return true;
  });
  std::sort(spec.names.begin(), spec.names.end());
  spec.names.erase(std::unique(spec.names.begin(), spec.names.end()), spec.names.end());
  return spec;
}

std::string NormalizeVaryValue(std::string_view name, std::string_view value) {
  bool fold_case = name.size() >= 6 && EqualsIgnoreCase(name.substr(0, 6), "accept");
  std::string out;
  http1::ForEachListElement(value, [&](std::string_view el) {
    if (!out.empty()) out += ", ";
    bool space = false;
    for (char c : el) {
      if (c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space) out.push_back(' ');
      space = false;
      out.push_back(fold_case && c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
    }
    return true;
  });
  return out;
}

std::string SecondaryKey(const VarySpec& spec, const http1::MessageHead& request) {
  std::string key;
  for (const auto& name : spec.names) {
    key += name;
    if (request.Count(name) == 0) {
      key += "\x01\n";  // absent
      continue;
    }
    key += ':';
    key += NormalizeVaryValue(name, request.GetCombined(name));
    key += '\n';
  }
  return key;
}

}  // namespace strata::edge::rfc9111
