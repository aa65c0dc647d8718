// GhostQueue: the keys (64-bit hashes) of recently evicted entries, without their data, in
// eviction order and bounded by the total weight they had. S3-FIFO's ghost queue, 2Q's A1out and
// ARC's B1/B2 are ghost queues. Lookups go through a flat open-addressing table (linear probing,
// backward-shift deletion, load <= 1/2), so a ghost hit or push never allocates once warm. Erasing
// a ghost (a "ghost hit") leaves a stale FIFO record that is skipped when it reaches the front and
// compacted away when stale records outnumber live ones. Memory: ~48 bytes per ghost (a 16-byte
// slot at half load plus a 16-byte FIFO record).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace strata::cache {

class GhostQueue {
 public:
  explicit GhostQueue(uint64_t capacity = 0) : capacity_(capacity) {}

  void set_capacity(uint64_t capacity) {
    capacity_ = capacity;
    Trim();
  }
  uint64_t capacity() const { return capacity_; }
  size_t size() const { return live_; }
  uint64_t weight() const { return weight_; }

  bool Contains(uint64_t hash) const { return Find(Key(hash)) != kNotFound; }
  // Removes the ghost; false when absent.
  bool Erase(uint64_t hash);
  // Appends a ghost (replacing an older ghost of the same hash), then drops the oldest ghosts
  // while the total weight exceeds the capacity.
  void Push(uint64_t hash, uint32_t weight);
  // Drops the oldest ghost; false when empty.
  bool PopOldest();
  void Clear();

  size_t MemoryBytes() const {
    return slots_.size() * sizeof(Slot) + fifo_.size() * sizeof(Record);
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  static constexpr size_t kNotFound = ~size_t{0};
  struct Slot {
    uint64_t hash = kEmpty;
    uint32_t seq = 0;
    uint32_t weight = 0;
  };
  struct Record {
    uint64_t hash;
    uint32_t seq;
  };
  // The empty marker is reserved: that one hash value shares a slot with its neighbour.
  static uint64_t Key(uint64_t hash) { return hash == kEmpty ? kEmpty - 1 : hash; }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  size_t Find(uint64_t key) const;
  void EraseSlot(size_t i);
  void Grow();
  void Trim() {
    while (weight_ > capacity_ && PopOldest()) {
    }
  }
  void MaybeCompact();

  std::vector<Slot> slots_;  // power-of-two size, or empty
  unsigned shift_ = 64;
  size_t live_ = 0;
  std::deque<Record> fifo_;
  uint32_t seq_ = 0;
  uint64_t weight_ = 0;
  uint64_t capacity_;
};

}  // namespace strata::cache
