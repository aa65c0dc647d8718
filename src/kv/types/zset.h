// ZSet: the sorted-set value (ZADD, ZRANGE, ...), ordered by (score, member).
//
// Two encodings, reported as Redis 7.0 names them:
// - "listpack": one packed byte array of entries [varint member length][member][8-byte score],
//   sorted by score then member. Used while the set has at most max_listpack_entries members and
//   every member is at most max_listpack_value bytes; every operation is a linear walk.
// - "skiplist": an order-statistic B+tree over the members plus a member index. Each member
//   lives in one small blob ([8-byte score][member], a 4-byte length first for members of 255
//   bytes or more); the tree's leaves and the index both hold 8-byte references to the blobs
//   (pointer, length byte and an 8-bit hash tag packed in one word). Inner nodes keep per-child
//   counts, so rank, select and range bounds are O(log n); the index (open addressing, linear
//   probing) gives O(1) member -> score.
// A set never converts back from skiplist to listpack (as Redis), except that results built
// from scratch (Z*STORE) pick the encoding their contents call for.
//
// Positions are ranks: 0 is the lowest (score, member). Range queries are expressed as rank
// bounds (CountBelow*), then visited or removed by rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/engine/object.h"

namespace strata::kv {

// A score interval: [min, max], either end exclusive.
struct ZScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
};

// A lexicographic interval: "-" / "+" are the open ends, "[x" inclusive, "(x" exclusive.
struct ZLexBound {
  enum Kind : uint8_t { kNegInf, kPosInf, kValue } kind = kNegInf;
  bool excl = false;
  std::string_view value;
};
struct ZLexRange {
  ZLexBound min, max;
};

// Parses a lex range item ("-", "+", "[x", "(x"); false if invalid.
bool ParseLexBound(std::string_view s, ZLexBound* out);

struct ZEntry {
  std::string member;
  double score;
};

class ZSet final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kZSet;

  struct Limits {
    size_t max_listpack_entries = 128;
    size_t max_listpack_value = 64;
  };

  enum class Enc : uint8_t { kListpack, kSkiplist };

  // ZADD flags.
  enum : int { kNX = 1, kXX = 2, kGT = 4, kLT = 8, kIncr = 16 };
  // kUnchanged: the member exists and keeps its score (it still counts as processed for INCR);
  // kNop: NX/XX/GT/LT prevented the change.
  enum class AddResult { kAdded, kUpdated, kUnchanged, kNop, kNaN };

  explicit ZSet(Enc enc = Enc::kListpack);
  ~ZSet() override;
  ZSet(const ZSet&) = delete;
  ZSet& operator=(const ZSet&) = delete;

  // The encoding a new set starts in (ZADD on a missing key): listpack unless the limits forbid
  // any listpack or the first member is already too long.
  static Enc EncodingFor(size_t first_member_len, const Limits& lim) {
    return lim.max_listpack_entries == 0 || first_member_len > lim.max_listpack_value
               ? Enc::kSkiplist
               : Enc::kListpack;
  }
  // A set built from scratch with these contents (Z*STORE destinations): listpack if it fits.
  static std::unique_ptr<ZSet> Build(std::vector<ZEntry> entries, const Limits& lim);

  // Object
  ObjType type() const override { return kType; }
  const char* Encoding() const override { return enc_ == Enc::kListpack ? "listpack" : "skiplist"; }
  size_t Length() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override;

  Enc enc() const { return enc_; }
  bool is_listpack() const { return enc_ == Enc::kListpack; }

  bool Score(std::string_view member, double* score) const;
  // ZADD semantics for one member (flags above); *newscore gets the resulting score (INCR).
  // kNaN: an increment produced NaN, nothing changed. Converts to skiplist when the set would
  // exceed the limits.
  AddResult Add(double score, std::string_view member, int flags, const Limits& lim,
                double* newscore);
  bool Remove(std::string_view member);
  // Ascending rank of member (and its score); false if absent.
  bool Rank(std::string_view member, size_t* rank, double* score) const;

  // Number of members ordered before the range's lower end / up to its upper end: the members
  // in the range are the ranks [CountBelowMin, CountUpToMax).
  size_t CountBelowMin(const ZScoreRange& r) const;
  size_t CountUpToMax(const ZScoreRange& r) const;
  size_t CountBelowMin(const ZLexRange& r) const;
  size_t CountUpToMax(const ZLexRange& r) const;

  // Calls fn(member, score) for ranks [start, end), ascending, or descending from end - 1 when
  // rev; stops early when fn returns false. The member view is valid during the call only.
  using Visitor = std::function<bool(std::string_view, double)>;
  void Visit(size_t start, size_t end, bool rev, const Visitor& fn) const;
  // The member at a rank (< Length()).
  std::pair<std::string_view, double> At(size_t rank) const;
  // Removes ranks [start, end); returns how many.
  size_t RemoveRanks(size_t start, size_t end);
  // Removes up to count of the lowest (or highest) members, returned in pop order. The building
  // block of ZPOPMIN/ZPOPMAX, ZMPOP and the blocking pops.
  std::vector<ZEntry> PopMin(size_t count);
  std::vector<ZEntry> PopMax(size_t count);
  // Every member with its score, ascending.
  std::vector<ZEntry> Entries() const;

  // ZSCAN: appends the members of one or more buckets to out and returns the next cursor (0 at
  // the end). A listpack returns everything at once.
  uint64_t Scan(uint64_t cursor, size_t count, std::vector<ZEntry>* out) const;

  void ConvertToSkiplist();
  // Checks the internal invariants (ordering, counts, index); for tests.
  bool Validate() const;

 private:
  struct Big;
  // Listpack helpers.
  size_t LpFind(std::string_view member, double* score) const;  // offset or npos
  void LpInsert(double score, std::string_view member);
  void LpErase(size_t off);
  std::vector<size_t> LpOffsets() const;
  template <typename Less>
  size_t LpCountWhile(Less less) const;
  void ReinsertBig(std::string_view member, double score);

  Enc enc_;
  uint32_t lp_count_ = 0;
  std::string lp_;            // listpack bytes
  std::unique_ptr<Big> big_;  // skiplist form
};

}  // namespace strata::kv
