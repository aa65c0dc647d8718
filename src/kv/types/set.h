// SetObject: the value of a set key (SADD, SMEMBERS, SINTER, ...).
//
// Three internal representations, chosen by contents and never converted back:
// - IntSet: a sorted array of 16-, 32- or 64-bit integers (the narrowest width that holds every
//   member, widened on demand), searched by bisection. Used while every member is an integer in
//   canonical decimal form and the set holds at most `max_intset` members. Reported "intset".
// - IntTable: an open-addressing hash table of int64 (linear probing, backward-shift deletion),
//   for larger all-integer sets: 8 bytes per slot, no per-member allocation. Reported "hashtable".
// - StrTable: an open-addressing hash table whose 8-byte slots pack a pointer to the member (one
//   allocation: varint length, then the bytes) with 16 bits of its hash, so most failed probes
//   never touch the member. Reported "hashtable".
//
// Both tables are powers of two in size, grow at 3/4 load and shrink below 1/8, so a random
// member is found in a few probes. SCAN walks home buckets with Redis's reverse-binary cursor,
// which covers every member present for the whole scan across grows and shrinks, and across the
// IntTable -> StrTable conversion too: StrTable hashes canonical integer text as IntTable hashes
// the integer, so every member keeps its home bucket.
//
// The structure does no I/O and reads no configuration: limits are parameters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kv/engine/object.h"

namespace strata::kv {

// Sorted array of integers stored at the narrowest width (2, 4 or 8 bytes) holding them all.
class IntSet {
 public:
  IntSet() = default;
  IntSet(const IntSet& o);
  IntSet& operator=(const IntSet&) = delete;
  ~IntSet();

  size_t size() const { return n_; }
  unsigned width() const { return width_; }
  int64_t at(size_t i) const;
  bool Contains(int64_t v) const;
  // True if v was inserted (absent before).
  bool Insert(int64_t v);
  // True if v was present.
  bool Erase(int64_t v);
  void EraseAt(size_t i);
  size_t Bytes() const;  // allocated bytes of the array

 private:
  // Position of v, or where it would go; *found tells which.
  size_t Find(int64_t v, bool* found) const;
  void Set(size_t i, int64_t v);
  void Widen(unsigned width);

  uint8_t* data_ = nullptr;
  uint32_t n_ = 0;
  uint8_t width_ = 2;
};

// Open-addressing hash set of int64 (see the file comment).
class IntTable {
 public:
  IntTable() = default;
  IntTable(const IntTable& o);
  IntTable& operator=(const IntTable&) = delete;
  ~IntTable();

  size_t size() const { return n_; }
  bool Contains(int64_t v) const;
  bool Insert(int64_t v);
  bool Erase(int64_t v);
  int64_t Random(std::mt19937_64& rng) const;  // requires size() > 0
  template <typename F>
  void ForEach(F&& f) const {
    if (has_empty_value_) f(kEmpty);
    for (size_t i = 0; i < cap_; i++)
      if (slots_[i] != kEmpty) f(slots_[i]);
  }
  uint64_t Scan(uint64_t cursor, const std::function<void(int64_t)>& f) const;
  size_t Bytes() const { return cap_ * sizeof(int64_t); }
  void Reserve(size_t n);
  // The hash of a member; StrTable hashes canonical integer text the same way.
  static uint64_t Hash(int64_t v);

 private:
  static constexpr int64_t kEmpty = INT64_MIN;  // the member INT64_MIN lives in a flag
  void Resize(size_t cap);
  void MaybeShrink();

  int64_t* slots_ = nullptr;
  size_t cap_ = 0;  // 0 or a power of two
  size_t n_ = 0;    // members, including the flagged one
  bool has_empty_value_ = false;
};

// Open-addressing hash set of byte strings (see the file comment).
class StrTable {
 public:
  StrTable() = default;
  StrTable(const StrTable& o);
  StrTable& operator=(const StrTable&) = delete;
  ~StrTable();

  size_t size() const { return n_; }
  bool Contains(std::string_view m) const;
  bool Insert(std::string_view m);
  bool Erase(std::string_view m);
  std::string_view Random(std::mt19937_64& rng) const;  // requires size() > 0
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < cap_; i++)
      if (slots_[i]) f(View(slots_[i]));
  }
  uint64_t Scan(uint64_t cursor, const std::function<void(std::string_view)>& f) const;
  size_t Bytes() const { return cap_ * sizeof(uint64_t) + member_bytes_; }
  void Reserve(size_t n);

 private:
  static uint64_t Hash(std::string_view m);
  static std::string_view View(uint64_t slot);
  static uint64_t Tag(uint64_t hash) { return hash >> 48; }
  // Slot index holding m, or cap_ if absent.
  size_t Find(std::string_view m, uint64_t hash) const;
  void Resize(size_t cap);
  void MaybeShrink();
  void FreeMember(uint64_t slot);

  uint64_t* slots_ = nullptr;  // 0 = empty; else (tag << 48) | pointer
  size_t cap_ = 0;
  size_t n_ = 0;
  size_t member_bytes_ = 0;  // allocator bytes of the member allocations
};

class SetObject final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kSet;
  enum class Enc : uint8_t { kIntSet, kIntTable, kStrTable };

  SetObject() = default;
  ~SetObject() override;

  ObjType type() const override { return kType; }
  const char* Encoding() const override;
  size_t Length() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override;

  Enc enc() const { return enc_; }

  // Adds m; true if it was not a member. max_intset: the most members an intset may hold
  // (set-max-intset-entries); a larger or non-integer set converts to a hash table.
  bool Add(std::string_view m, size_t max_intset);
  bool Remove(std::string_view m);
  bool Contains(std::string_view m) const;

  // A uniformly chosen (close enough) member; the set must not be empty.
  std::string RandomMember(std::mt19937_64& rng) const;
  // Removes and returns a random member; the set must not be empty.
  std::string PopRandom(std::mt19937_64& rng);

  // Calls f(std::string_view) for every member (intset: ascending order).
  void ForEach(const std::function<void(std::string_view)>& f) const;
  std::vector<std::string> Members() const;

  // One SSCAN step from cursor: calls f for the members of the buckets visited (at least `count`
  // members' worth unless the scan ends) and returns the next cursor, 0 at the end. An intset
  // returns everything at once.
  uint64_t Scan(uint64_t cursor, size_t count,
                const std::function<void(std::string_view)>& f) const;

 private:
  void ToTable(size_t reserve);  // intset -> IntTable
  void ToStrTable();             // intset or IntTable -> StrTable

  Enc enc_ = Enc::kIntSet;
  IntSet is_;
  std::unique_ptr<IntTable> it_;
  std::unique_ptr<StrTable> st_;
};

}  // namespace strata::kv
