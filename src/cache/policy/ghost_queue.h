// GhostQueue: the keys (64-bit hashes) of recently evicted entries, without their data, in
// eviction order and bounded by the total weight they had. S3-FIFO's ghost queue, 2Q's A1out and
// ARC's B1/B2 are ghost queues. Erasing a ghost (a "ghost hit") is O(1); the FIFO keeps a stale
// record that is skipped when it reaches the front and compacted away when stale records outnumber
// live ones. Memory: ~24 bytes of FIFO record plus one hash-map node (~40 bytes) per ghost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>

namespace strata::cache {

class GhostQueue {
 public:
  explicit GhostQueue(uint64_t capacity = 0) : capacity_(capacity) {}

  void set_capacity(uint64_t capacity) {
    capacity_ = capacity;
    Trim();
  }
  uint64_t capacity() const { return capacity_; }
  size_t size() const { return live_.size(); }
  uint64_t weight() const { return weight_; }

  bool Contains(uint64_t hash) const { return live_.find(hash) != live_.end(); }
  // Removes the ghost; false when absent.
  bool Erase(uint64_t hash);
  // Appends a ghost (replacing an older ghost of the same hash), then drops the oldest ghosts
  // while the total weight exceeds the capacity.
  void Push(uint64_t hash, uint32_t weight);
  // Drops the oldest ghost; false when empty.
  bool PopOldest();
  void Clear();

 private:
  struct Record {
    uint64_t hash;
    uint64_t seq;
  };
  struct Live {
    uint64_t seq;
    uint32_t weight;
  };
  void Trim() {
    while (weight_ > capacity_ && PopOldest()) {
    }
  }
  void MaybeCompact();

  std::deque<Record> fifo_;
  std::unordered_map<uint64_t, Live> live_;
  uint64_t seq_ = 0;
  uint64_t weight_ = 0;
  uint64_t capacity_;
};

}  // namespace strata::cache
