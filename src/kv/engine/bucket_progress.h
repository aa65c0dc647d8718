// BucketProgress: which buckets of one table a background snapshot has written, and where its
// in-order walk stands. Buckets are written either by the walk (ascending) or out of order, just
// before a write touches them; each bucket is written exactly once.
//
// Pure bookkeeping (no table access): the owner asks Take(i) before writing bucket i and writes it
// only on true; NextForWalk() gives the walk's next bucket not yet written. One shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::kv {

class BucketProgress {
 public:
  BucketProgress() = default;
  explicit BucketProgress(size_t buckets) : n_(buckets), bits_((buckets + 63) / 64, 0) {}

  size_t buckets() const { return n_; }
  size_t written() const { return written_; }
  bool complete() const { return written_ == n_; }
  bool done(size_t i) const { return (bits_[i >> 6] >> (i & 63)) & 1; }

  // Marks bucket i written; false if it already was (then it must not be written again).
  bool Take(size_t i) {
    uint64_t m = uint64_t(1) << (i & 63);
    if (bits_[i >> 6] & m) return false;
    bits_[i >> 6] |= m;
    written_++;
    return true;
  }

  // The walk's next bucket not yet written (ascending), or buckets() when none is left. Whole
  // words of written buckets are skipped at once.
  size_t NextForWalk() {
    while (cursor_ < n_) {
      uint64_t w = ~bits_[cursor_ >> 6] >> (cursor_ & 63);
      if (w == 0) {
        cursor_ = (cursor_ | 63) + 1;
        continue;
      }
      cursor_ += size_t(__builtin_ctzll(w));
      if (cursor_ >= n_) break;
      return cursor_;
    }
    cursor_ = n_;
    return n_;
  }

 private:
  size_t n_ = 0;
  size_t written_ = 0;
  size_t cursor_ = 0;
  std::vector<uint64_t> bits_;
};

}  // namespace strata::kv
