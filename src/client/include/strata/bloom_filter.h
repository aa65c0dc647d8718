// BloomFilter: a scalable Bloom filter kept in the client, for when the server offers no BF.*
// commands. It follows the scalable design RedisBloom uses (Almeida et al., "Scalable Bloom
// Filters", 2007):
//   * layer 0 holds `capacity` items at error rate `error_rate`; each further layer is
//     `expansion` times larger and has half the previous layer's error rate, so the compound
//     false-positive rate stays below 2 x error_rate however far the filter grows;
//   * a layer of n items at error e has ceil(-n ln(e) / ln(2)^2) bits and k = ceil(-ln(e) / ln 2)
//     hash functions, derived as h1 + i * h2 from the two 64-bit halves of the item's XXH3-128;
//   * Add() puts an item into the newest layer, opening a new layer first when the newest one
//     holds its capacity; an item any layer already reports is not added again.
// Guarantees: no false negatives (Exists is true for every item ever added); Items() counts the
// Add calls that returned true.
//
// Thread-safety: all members may be called concurrently. Queries share a std::shared_mutex;
// Add/MAdd take it exclusively (the batch calls take it once for the whole batch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

class BloomFilter {
 public:
  static constexpr unsigned kDefaultExpansion = 2;
  static constexpr double kTighteningRatio = 0.5;

  // Throws std::invalid_argument unless capacity >= 1, 0 < error_rate < 1 and expansion >= 1.
  BloomFilter(uint64_t capacity, double error_rate, unsigned expansion = kDefaultExpansion);
  ~BloomFilter();
  BloomFilter(const BloomFilter&) = delete;
  BloomFilter& operator=(const BloomFilter&) = delete;

  // true when the item was added; false when the filter already (possibly falsely) held it.
  bool Add(std::string_view item);
  // false: certainly never added; true: added, or a false positive.
  bool Exists(std::string_view item) const;
  // Add / Exists for each item, in order.
  std::vector<bool> MAdd(std::span<const std::string_view> items);
  std::vector<bool> MAdd(std::span<const std::string> items);
  std::vector<bool> MExists(std::span<const std::string_view> items) const;
  std::vector<bool> MExists(std::span<const std::string> items) const;

  uint64_t Items() const;
  size_t Layers() const;
  // Memory held: the bit arrays plus the per-layer bookkeeping.
  size_t SizeBytes() const;
  // Items the current layers hold before the next one opens.
  uint64_t Capacity() const;
  double error_rate() const { return error_rate_; }
  unsigned expansion() const { return expansion_; }

 private:
  struct State;
  const double error_rate_;
  const unsigned expansion_;
  std::unique_ptr<State> state_;
};

}  // namespace strata
