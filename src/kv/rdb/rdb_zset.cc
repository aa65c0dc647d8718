// Sorted sets. Written as RDB_TYPE_ZSET_2 (a count, then member string and binary double score),
// which Redis 7.0 loads into a listpack or a skiplist as its limits say. Read: that, RDB_TYPE_ZSET
// (scores as text), RDB_TYPE_ZSET_LISTPACK and RDB_TYPE_ZSET_ZIPLIST (flat member, score, ...).
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>

#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {
namespace {

// A score in text form (ZSET, packed encodings): the whole string must be a number, not NaN.
bool ParseScore(const std::string& s, double* out) {
  if (s.empty() || s.size() > 128 || isspace(uint8_t(s[0]))) return false;
  char* end = nullptr;
  errno = 0;
  double d = strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(d)) return false;
  *out = d;
  return true;
}

// RDB_TYPE_ZSET's score: a length byte (253 NaN, 254 +inf, 255 -inf) and that much text.
bool ReadTextScore(RdbReader* r, double* out) {
  uint8_t len;
  if (!r->ReadByte(&len)) return false;
  if (len == 253) return false;  // NaN is not a valid score
  if (len == 254 || len == 255) {
    *out = len == 254 ? INFINITY : -INFINITY;
    return true;
  }
  std::string_view raw;
  if (!r->ReadBytes(len, &raw)) return false;
  return ParseScore(std::string(raw), out);
}

// A score as text, as Redis writes it into listpacks: "inf" / "-inf", "0" / "-0", an integer
// when the value is one (and well inside the 64-bit range), else 17 significant digits (which
// read back to the same double).
std::string ScoreText(double d) {
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  constexpr double kLimit = double(LLONG_MAX / 2);
  if (d > -kLimit && d < kLimit && double(static_cast<long long>(d)) == d)
    return std::to_string(static_cast<long long>(d));
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, size_t(n));
}

}  // namespace

void SaveZSet(std::string* out, const std::vector<std::pair<std::string, double>>& entries,
              bool packed) {
  if (packed) {
    // Member, score pairs in the set's order (ascending), the score as Redis formats it.
    out->push_back(char(kRdbZSetListpack));
    ListpackWriter w;
    for (const auto& [m, d] : entries) {
      w.Append(m);
      w.Append(ScoreText(d));
    }
    AppendRdbString(out, w.Finish());
    return;
  }
  out->push_back(char(kRdbZSet2));
  AppendRdbLength(out, entries.size());
  // Redis writes the largest score first so loading inserts at the head; order is free here.
  for (size_t i = entries.size(); i-- > 0;) {
    AppendRdbString(out, entries[i].first);
    AppendBinaryDouble(out, entries[i].second);
  }
}

bool LoadZSet(uint8_t type, RdbReader* r, RdbValue* out) {
  auto& scored = out->scored;
  if (type == kRdbZSet || type == kRdbZSet2) {
    uint64_t n;
    if (!ReadCount(r, 2, &n) || n == 0) return false;
    scored.reserve(n);
    for (uint64_t i = 0; i < n; i++) {
      std::string m;
      double d;
      if (!r->ReadString(&m)) return false;
      if (type == kRdbZSet2 ? !ReadBinaryDouble(r, &d) : !ReadTextScore(r, &d)) return false;
      if (std::isnan(d)) return false;
      scored.emplace_back(std::move(m), d);
    }
  } else {
    std::string blob;
    std::vector<std::string> flat;
    if (!r->ReadString(&blob)) return false;
    bool ok = type == kRdbZSetListpack ? ListpackDecode(blob, &flat) : ZiplistDecode(blob, &flat);
    if (!ok || flat.empty() || flat.size() % 2 != 0) return false;
    out->packed = true;
    scored.reserve(flat.size() / 2);
    for (size_t i = 0; i < flat.size(); i += 2) {
      double d;
      if (!ParseScore(flat[i + 1], &d)) return false;
      scored.emplace_back(std::move(flat[i]), d);
    }
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(scored.size());
  for (const auto& e : scored)
    if (!seen.insert(e.first).second) return false;  // duplicate member
  return true;
}

}  // namespace strata::kv::rdb
