// EntryIndex<E>: the near cache's per-stripe hash index, key -> E*, by open addressing with
// linear probing over (hash, pointer) slots. A lookup reads one slot run (usually one cache line)
// and compares the key only on a full 64-bit hash match, so a hit touches the slot array and the
// entry itself, nothing else. Erase shifts the following run back (no tombstones), so probe runs
// stay short under churn. The table doubles at 3/4 load and never shrinks except on Clear().
//
// E is any type with a `key` member comparable to std::string_view. The index does not own the
// entries. Single-threaded: the owner (a stripe) serialises access with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace strata::client_local {

template <class E>
class EntryIndex {
 public:
  EntryIndex() { slots_.resize(kMinSlots); }

  size_t size() const { return size_; }

  E* Find(std::string_view key, uint64_t hash) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = Home(hash, mask);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.entry == nullptr) return nullptr;
      if (s.hash == hash && s.entry->key == key) return s.entry;
    }
  }

  // e's key must not be present.
  void Insert(E* e, uint64_t hash) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    Place(e, hash);
    ++size_;
  }

  // Removes the slot holding exactly e, inserted with `hash`; false if absent.
  bool Erase(const E* e, uint64_t hash) {
    const size_t mask = slots_.size() - 1;
    size_t i = Home(hash, mask);
    for (;; i = (i + 1) & mask) {
      if (slots_[i].entry == nullptr) return false;
      if (slots_[i].entry == e) break;
    }
    // Backward-shift: move later members of the run into the hole when their home allows.
    size_t hole = i;
    for (size_t j = (hole + 1) & mask; slots_[j].entry != nullptr; j = (j + 1) & mask) {
      const size_t home = Home(slots_[j].hash, mask);
      // slots_[j] may fill the hole when its home is not cyclically within (hole, j].
      const bool home_in_between =
          hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!home_in_between) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  template <class F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.entry != nullptr) f(s.entry);
    }
  }

  void Clear() {
    slots_.assign(kMinSlots, Slot{});
    size_ = 0;
  }

 private:
  static constexpr size_t kMinSlots = 16;
  struct Slot {
    uint64_t hash = 0;
    E* entry = nullptr;
  };

  // The stripe is chosen by the hash's top bits; the slot by a remix of all of them.
  static size_t Home(uint64_t hash, size_t mask) {
    return static_cast<size_t>((hash * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
  }

  void Place(E* e, uint64_t hash) {
    const size_t mask = slots_.size() - 1;
    size_t i = Home(hash, mask);
    while (slots_[i].entry != nullptr) i = (i + 1) & mask;
    slots_[i] = Slot{hash, e};
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.entry != nullptr) Place(s.entry, s.hash);
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace strata::client_local
