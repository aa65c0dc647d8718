#include "kv/types/sort.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace strata::kv {
namespace {

std::string_view CString(std::string_view s) { return s.substr(0, s.find('\0')); }

// Byte comparison of two strings, shorter first on a common prefix.
int CompareBytes(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

SortPattern SortPattern::Parse(std::string_view pattern) {
  SortPattern p;
  std::string_view c = CString(pattern);
  if (c == "#") {
    p.kind_ = Kind::kSelf;
    return p;
  }
  size_t star = c.find('*');
  if (star == std::string_view::npos) return p;
  size_t arrow = c.find("->", star + 1);
  // A hash dereference needs a field whose first byte is not NUL; the field itself runs to the
  // end of the whole pattern.
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size() && pattern[arrow + 2] != '\0') {
    p.kind_ = Kind::kField;
    p.field_ = std::string(pattern.substr(arrow + 2));
    p.suffix_ = std::string(pattern.substr(star + 1, arrow - star - 1));
  } else {
    p.kind_ = Kind::kKey;
    p.suffix_ = std::string(pattern.substr(star + 1));
  }
  p.prefix_ = std::string(pattern.substr(0, star));
  return p;
}

std::string SortPattern::KeyFor(std::string_view elem) const {
  std::string k;
  k.reserve(prefix_.size() + elem.size() + suffix_.size());
  k.append(prefix_).append(elem).append(suffix_);
  return k;
}

bool SortByDisablesSorting(std::string_view pattern) {
  return CString(pattern).find('*') == std::string_view::npos;
}

bool SortWeight(std::string_view v, double* out) {
  std::string s(CString(v));
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(s.c_str(), &end);
  *out = d;
  return *end == '\0' && errno != ERANGE && !std::isnan(d);
}

SortWindow SortLimitWindow(int64_t limit_start, int64_t limit_count, size_t n) {
  int64_t len = int64_t(n);
  SortWindow w;
  w.start = limit_start < 0 ? 0 : limit_start;
  if (w.start >= len) {
    w.start = len - 1;
    w.end = len - 2;
    return w;
  }
  // start < len here, so a count past the end is clamped without overflowing.
  w.end = limit_count < 0 || limit_count > len ? len - 1 : w.start + limit_count - 1;
  if (w.end >= len) w.end = len - 1;
  return w;
}

int SortCompare(const SortItem& a, const SortItem& b, const SortOrder& order) {
  int cmp;
  if (!order.alpha) {
    if (a.score > b.score)
      cmp = 1;
    else if (a.score < b.score)
      cmp = -1;
    else
      cmp = CompareBytes(a.elem, b.elem);
  } else if (order.by_pattern) {
    if (!a.has_cmp || !b.has_cmp)
      cmp = a.has_cmp == b.has_cmp ? 0 : (a.has_cmp ? 1 : -1);
    else if (order.store)
      cmp = CompareBytes(a.cmp, b.cmp);
    else
      cmp = CompareBytes(CString(a.cmp), CString(b.cmp));
  } else if (order.store) {
    cmp = CompareBytes(a.elem, b.elem);
  } else {
    cmp = CompareBytes(CString(a.elem), CString(b.elem));
  }
  return order.desc ? -cmp : cmp;
}

void SortItems(std::vector<SortItem>* items, const SortOrder& order) {
  std::stable_sort(items->begin(), items->end(), [&order](const SortItem& a, const SortItem& b) {
    return SortCompare(a, b, order) < 0;
  });
}

}  // namespace strata::kv
