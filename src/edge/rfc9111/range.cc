#include "edge/rfc9111/range.h"

#include <algorithm>
#include <limits>

#include "base/strutil.h"
#include "proto/http1/message.h"

namespace strata::edge::rfc9111 {
namespace {

constexpr uint64_t kSat = std::numeric_limits<uint64_t>::max();

// 1*DIGIT, saturating at UINT64_MAX. False when empty or not digits.
bool Num(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = uint64_t(c - '0');
    v = (v > (kSat - d) / 10) ? kSat : v * 10 + d;
  }
  *out = v;
  return true;
}

}  // namespace

RangeVerdict EvaluateRange(std::string_view header, uint64_t size, std::vector<ByteRange>* out) {
  out->clear();
  header = http1::TrimOws(header);
  size_t eq = header.find('=');
  if (eq == std::string_view::npos ||
      !EqualsIgnoreCase(http1::TrimOws(header.substr(0, eq)), "bytes"))
    return RangeVerdict::kFull;
  std::vector<ByteRange> ranges;
  bool valid = true, any = false;
  size_t count = 0;
  http1::ForEachListElement(header.substr(eq + 1), [&](std::string_view spec) {
    any = true;
    if (++count > kMaxRanges) return valid = false;
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return valid = false;
    std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
    uint64_t first, last;
    if (a.empty()) {  // suffix range: last N bytes
      if (!Num(b, &last)) return valid = false;
      if (last == 0 || size == 0) return true;  // unsatisfiable member
      uint64_t n = std::min(last, size);
      ranges.push_back({size - n, size - 1});
      return true;
    }
    if (!Num(a, &first)) return valid = false;
    if (b.empty()) {
      last = kSat;
    } else if (!Num(b, &last) || last < first) {
      return valid = false;
    }
    if (first >= size) return true;  // unsatisfiable member
    ranges.push_back({first, std::min(last, size - 1)});
    return true;
  });
  if (!valid || !any) return RangeVerdict::kFull;
  if (ranges.empty()) return RangeVerdict::kUnsatisfiable;
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
  for (const auto& r : ranges) {
    if (!out->empty() && r.first <= out->back().last + 1) {
      out->back().last = std::max(out->back().last, r.last);
    } else {
      out->push_back(r);
    }
  }
  if (out->size() == 1 && out->front().first == 0 && out->front().last == size - 1)
    return RangeVerdict::kFull;
  return RangeVerdict::kPartial;
}

std::string ContentRange(const ByteRange& r, uint64_t size) {
  return "bytes " + std::to_string(r.first) + "-" + std::to_string(r.last) + "/" +
         std::to_string(size);
}

Multipart BuildMultipart(const std::vector<ByteRange>& ranges, uint64_t size,
                         std::string_view content_type, std::string_view boundary) {
  Multipart m;
  m.boundary = std::string(boundary);
  for (const auto& r : ranges) {
    std::string h = "\r\n--" + m.boundary + "\r\n";
    if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
    h += "Content-Range: " + ContentRange(r, size) + "\r\n\r\n";
    m.total_length += h.size() + r.length();
    m.part_heads.push_back(std::move(h));
  }
  m.tail = "\r\n--" + m.boundary + "--\r\n";
  m.total_length += m.tail.size();
  return m;
}

}  // namespace strata::edge::rfc9111
