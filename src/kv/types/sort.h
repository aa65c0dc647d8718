// SORT's pure parts: BY/GET pattern substitution, the numeric reading of sort weights, the
// LIMIT window and the ordering of the sort vector. No keyspace access: the command gathers the
// elements and the looked-up values, and this code decides what the reply holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

// A BY or GET pattern. Patterns are read as C strings: anything after a NUL byte is ignored when
// looking for '*' and "->", as the reference server does.
class SortPattern {
 public:
  enum class Kind : uint8_t {
    kSelf,   // "#": the element itself
    kNone,   // no '*': never resolves to anything
    kKey,    // a string key named prefix + element + suffix
    kField,  // a hash field: key prefix + element + suffix, field after "->"
  };

  static SortPattern Parse(std::string_view pattern);

  Kind kind() const { return kind_; }
  bool resolves() const { return kind_ == Kind::kKey || kind_ == Kind::kField; }
  // The key the pattern names for one element (kKey and kField only).
  std::string KeyFor(std::string_view elem) const;
  const std::string& field() const { return field_; }

 private:
  Kind kind_ = Kind::kNone;
  std::string prefix_, suffix_, field_;
};

// True when SORT's BY pattern disables sorting (no '*' before any NUL, e.g. "nosort").
bool SortByDisablesSorting(std::string_view pattern);

// The numeric weight of a value as SORT reads it (strtod over the C string, the whole string up
// to its first NUL must be consumed; out of range and NaN are errors). False on error.
bool SortWeight(std::string_view v, double* out);

// The LIMIT window over n elements: [start, end] inclusive, empty when end < start.
struct SortWindow {
  int64_t start = 0;
  int64_t end = -1;
  size_t size() const { return end >= start ? size_t(end - start + 1) : 0; }
};
SortWindow SortLimitWindow(int64_t limit_start, int64_t limit_count, size_t n);

struct SortItem {
  std::string elem;
  double score = 0;
  std::string cmp;       // ALPHA with BY: the looked-up value
  bool has_cmp = false;  // ALPHA with BY: whether the lookup found a value
};

struct SortOrder {
  bool desc = false;
  bool alpha = false;
  bool by_pattern = false;
  bool store = false;  // ALPHA compares whole byte strings when storing, C strings otherwise
};

// Three-way comparison of two items under `order` (DESC already applied).
int SortCompare(const SortItem& a, const SortItem& b, const SortOrder& order);

// Sorts items; elements that compare equal keep their relative order.
void SortItems(std::vector<SortItem>* items, const SortOrder& order);

}  // namespace strata::kv
