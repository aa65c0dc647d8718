// Scalable Bloom filter; see <strata/bloom_filter.h>.
#include "strata/bloom_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include <xxhash.h>

namespace strata {

namespace {

struct ItemHash {
  uint64_t h1;
  uint64_t h2;
};

ItemHash HashItem(std::string_view item) {
  const XXH128_hash_t h = XXH3_128bits(item.data(), item.size());
  return {h.low64, h.high64};
}

// One fixed-size classic Bloom filter.
class Layer {
 public:
  Layer(uint64_t capacity, double error_rate) : capacity_(capacity), error_rate_(error_rate) {
    const double ln2 = std::log(2.0);
    const double bits =
        std::ceil(-static_cast<double>(capacity) * std::log(error_rate) / (ln2 * ln2));
    if (!(bits < 0x1p62)) throw std::length_error("BloomFilter: layer too large");
    bits_ = std::max<uint64_t>(64, static_cast<uint64_t>(bits));
    hashes_ = static_cast<uint32_t>(std::max(1.0, std::ceil(-std::log(error_rate) / ln2)));
    words_.assign((bits_ + 63) / 64, 0);
  }

  bool Test(const ItemHash& h) const {
    for (uint32_t i = 0; i < hashes_; ++i) {
      const uint64_t bit = (h.h1 + i * h.h2) % bits_;
      if ((words_[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
    }
    return true;
  }
  void Set(const ItemHash& h) {
    for (uint32_t i = 0; i < hashes_; ++i) {
      const uint64_t bit = (h.h1 + i * h.h2) % bits_;
      words_[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
    ++items_;
  }

  bool full() const { return items_ >= capacity_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t items() const { return items_; }
  double error_rate() const { return error_rate_; }
  size_t bytes() const { return words_.size() * sizeof(uint64_t) + sizeof(*this); }

 private:
  uint64_t capacity_;
  double error_rate_;
  uint64_t bits_ = 0;
  uint32_t hashes_ = 0;
  uint64_t items_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace

struct BloomFilter::State {
  mutable std::shared_mutex mu;
  std::vector<Layer> layers;  // guarded by mu
  uint64_t items = 0;         // guarded by mu

  bool TestLocked(const ItemHash& h) const {
    // Newest first: the largest layer holds most items.
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
      if (it->Test(h)) return true;
    }
    return false;
  }

  bool AddLocked(std::string_view item, unsigned expansion) {
    const ItemHash h = HashItem(item);
    if (TestLocked(h)) return false;
    if (layers.back().full()) {
      const Layer& last = layers.back();
      const double next_capacity = static_cast<double>(last.capacity()) * expansion;
      if (!(next_capacity < 0x1p56)) throw std::length_error("BloomFilter: cannot grow further");
      layers.emplace_back(static_cast<uint64_t>(next_capacity),
                          last.error_rate() * kTighteningRatio);
    }
    layers.back().Set(h);
    ++items;
    return true;
  }
};

BloomFilter::BloomFilter(uint64_t capacity, double error_rate, unsigned expansion)
    : error_rate_(error_rate), expansion_(expansion), state_(std::make_unique<State>()) {
  if (capacity < 1) throw std::invalid_argument("BloomFilter: capacity must be at least 1");
  if (!(error_rate > 0.0 && error_rate < 1.0)) {
    throw std::invalid_argument("BloomFilter: error rate must be in (0, 1)");
  }
  if (expansion < 1) throw std::invalid_argument("BloomFilter: expansion must be at least 1");
  state_->layers.emplace_back(capacity, error_rate);
}

BloomFilter::~BloomFilter() = default;

bool BloomFilter::Add(std::string_view item) {
  std::unique_lock lock(state_->mu);
  return state_->AddLocked(item, expansion_);
}

bool BloomFilter::Exists(std::string_view item) const {
  const ItemHash h = HashItem(item);
  std::shared_lock lock(state_->mu);
  return state_->TestLocked(h);
}

std::vector<bool> BloomFilter::MAdd(std::span<const std::string_view> items) {
  std::unique_lock lock(state_->mu);
  std::vector<bool> out;
  out.reserve(items.size());
  for (std::string_view item : items) out.push_back(state_->AddLocked(item, expansion_));
  return out;
}

std::vector<bool> BloomFilter::MAdd(std::span<const std::string> items) {
  std::unique_lock lock(state_->mu);
  std::vector<bool> out;
  out.reserve(items.size());
  for (const std::string& item : items) out.push_back(state_->AddLocked(item, expansion_));
  return out;
}

std::vector<bool> BloomFilter::MExists(std::span<const std::string_view> items) const {
  std::shared_lock lock(state_->mu);
  std::vector<bool> out;
  out.reserve(items.size());
  for (std::string_view item : items) out.push_back(state_->TestLocked(HashItem(item)));
  return out;
}

std::vector<bool> BloomFilter::MExists(std::span<const std::string> items) const {
  std::shared_lock lock(state_->mu);
  std::vector<bool> out;
  out.reserve(items.size());
  for (const std::string& item : items) out.push_back(state_->TestLocked(HashItem(item)));
  return out;
}

uint64_t BloomFilter::Items() const {
  std::shared_lock lock(state_->mu);
  return state_->items;
}

size_t BloomFilter::Layers() const {
  std::shared_lock lock(state_->mu);
  return state_->layers.size();
}

size_t BloomFilter::SizeBytes() const {
  std::shared_lock lock(state_->mu);
  size_t n = sizeof(*this) + sizeof(State);
  for (const Layer& l : state_->layers) n += l.bytes();
  return n;
}

uint64_t BloomFilter::Capacity() const {
  std::shared_lock lock(state_->mu);
  uint64_t n = 0;
  for (const Layer& l : state_->layers) n += l.capacity();
  return n;
}

}  // namespace strata
