#include "cache/sampled/keyspace_policy.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "cache/sampled/eviction_pool.h"

namespace strata::cache::sampled {

namespace {
bool UsesSketch(Algorithm a) { return a == Algorithm::kTinyLru || a == Algorithm::kLrfu; }
constexpr uint32_t kClockMask = (1u << 28) - 1;
constexpr uint32_t kMaxCounter = 15;
uint32_t Clock28(uint64_t now_ms) { return static_cast<uint32_t>(now_ms) & kClockMask; }
uint32_t LrfuWord(uint32_t counter, uint64_t now_ms) { return (counter << 28) | Clock28(now_ms); }
uint32_t LrfuTouch(uint32_t word, uint64_t now_ms) {
  uint32_t c = word >> 28;
  return LrfuWord(c < kMaxCounter ? c + 1 : c, now_ms);
}
uint64_t LrfuIdle(uint32_t word, uint64_t now_ms) { return (Clock28(now_ms) - word) & kClockMask; }
// The two rules (keyspace_policy.h). Recency: idle / (counter + 1)^exponent, in 1/256 ms.
// Frequency: the counter first (fewest counts highest), the idle time among equals.
uint64_t RecencyScore(uint32_t word, uint64_t now_ms, const uint32_t* divisor) {
  return (LrfuIdle(word, now_ms) << 16) / divisor[word >> 28];
}
uint64_t FrequencyScore(uint32_t word, uint64_t now_ms) {
  return (uint64_t{kMaxCounter - (word >> 28)} << 28) | LrfuIdle(word, now_ms);
}
uint32_t FirstCount(const FrequencySketch& sketch, uint64_t key_hash) {
  uint32_t f = sketch.Estimate(key_hash) + 1;
  return f > kMaxCounter ? kMaxCounter : f;
}

// One shadow cache: a miniature of the sampled keyspace (keys identified by a 32-bit
// fingerprint, one LRFU word each, Redis's sampling loop and eviction pool) that scores by one
// fixed rule. Entries are a dense array (for uniform sampling) indexed by a linear-probing table
// of 16-bit slot numbers.
class ShadowCache {
 public:
  explicit ShadowCache(bool by_frequency) : by_frequency_(by_frequency) {}

  void Reset(uint64_t capacity) {
    entries_.clear();
    entries_.shrink_to_fit();
    index_.clear();
    pool_.Clear();
    SetCapacity(capacity);
  }
  // A smaller capacity keeps the entries until the next references evict them.
  void SetCapacity(uint64_t capacity) {
    capacity_ = capacity < 1 ? 1 : capacity;
    size_t want = 64;
    while (want < 2 * std::max<uint64_t>(capacity_, entries_.size())) want *= 2;
    if (want != index_.size()) {
      index_.assign(want, 0);
      for (size_t i = 0; i < entries_.size(); ++i) Place(entries_[i].fp, i);
    }
  }
  // One reference of a sampled key; true on a hit.
  template <class FirstCountFn>
  bool Reference(uint32_t fp, uint64_t now_ms, const uint32_t* divisor, uint64_t& rng,
                 FirstCountFn&& first_count) {
    size_t at = Find(fp);
    if (at != kNone) {
      entries_[at].word = LrfuTouch(entries_[at].word, now_ms);
      return true;
    }
    while (entries_.size() >= capacity_) Evict(now_ms, divisor, rng);
    Place(fp, entries_.size());
    entries_.push_back({fp, LrfuWord(first_count(), now_ms)});
    return false;
  }
  size_t bytes() const {
    return entries_.capacity() * sizeof(Entry) + index_.size() * sizeof(uint16_t);
  }

 private:
  struct Entry {
    uint32_t fp;
    uint32_t word;
  };
  static constexpr size_t kNone = ~size_t{0};

  size_t Find(uint32_t fp) const {
    const size_t mask = index_.size() - 1;
    for (size_t i = fp & mask;; i = (i + 1) & mask) {
      uint16_t v = index_[i];
      if (v == 0) return kNone;
      if (entries_[v - 1u].fp == fp) return v - 1u;
    }
  }
  void Place(uint32_t fp, size_t slot) {
    const size_t mask = index_.size() - 1;
    size_t i = fp & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<uint16_t>(slot + 1);
  }
  // Removes entry `slot` (the last entry takes its place), with backward-shift deletion.
  void Remove(size_t slot) {
    const size_t mask = index_.size() - 1;
    size_t i = entries_[slot].fp & mask;
    while (index_[i] != slot + 1) i = (i + 1) & mask;
    for (size_t j = (i + 1) & mask; index_[j] != 0; j = (j + 1) & mask) {
      size_t home = entries_[index_[j] - 1u].fp & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        index_[i] = index_[j];
        i = j;
      }
    }
    index_[i] = 0;
    size_t last = entries_.size() - 1;
    if (slot != last) {
      size_t k = entries_[last].fp & mask;
      while (index_[k] != last + 1) k = (k + 1) & mask;
      index_[k] = static_cast<uint16_t>(slot + 1);
      entries_[slot] = entries_[last];
    }
    entries_.pop_back();
  }
  void Evict(uint64_t now_ms, const uint32_t* divisor, uint64_t& rng) {
    for (;;) {
      for (int s = 0; s < 5; ++s) {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        uint64_t r = rng * 0x2545F4914F6CDD1DULL;
        const Entry& e = entries_[static_cast<size_t>(
            (static_cast<unsigned __int128>(r) * entries_.size()) >> 64)];
        uint64_t score =
            by_frequency_ ? FrequencyScore(e.word, now_ms) : RecencyScore(e.word, now_ms, divisor);
        pool_.Offer(score, 0, std::string_view(reinterpret_cast<const char*>(&e.fp), 4), e.fp);
      }
      while (const auto* best = pool_.PopBest()) {
        size_t at = Find(static_cast<uint32_t>(best->key_hash));
        if (at != kNone) {
          Remove(at);
          return;
        }
      }
    }
  }

  bool by_frequency_;
  uint64_t capacity_ = 1;
  std::vector<Entry> entries_;
  std::vector<uint16_t> index_;
  EvictionPool pool_;
};

}  // namespace

// The two shadow caches of kLrfu's adaptive rule and the sampling that feeds them.
class LrfuShadows {
 public:
  static constexpr uint64_t kMinKeys = 512;   // per shadow, once the shard holds 2,048 keys
  static constexpr uint64_t kMaxKeys = 2048;  // grow the sampling divisor at this size
  static constexpr uint64_t kWindow = 4096;   // sampled references per decision

  explicit LrfuShadows(uint64_t keys) { Fit(keys); }

  bool Samples(uint64_t key_hash) const {
    return ((key_hash * 0x9E3779B97F4A7C15ULL) >> 40 & (rate_ - 1)) == 0;
  }
  // Sizes the shadows to keys / R, adjusting R (a power of two) to keep them within
  // [kMinKeys, kMaxKeys); a new R samples other keys, so the shadows start over.
  void Fit(uint64_t keys) {
    uint64_t rate = rate_;
    while (keys / rate >= kMaxKeys) rate *= 2;
    while (rate > 1 && keys / rate < kMinKeys) rate /= 2;
    if (rate != rate_ || !fitted_) {
      rate_ = rate;
      fitted_ = true;
      for (auto& s : shadows_) s.Reset(keys / rate);
      hits_[0] = hits_[1] = 0;
      refs_ = 0;
    } else {
      for (auto& s : shadows_) s.SetCapacity(keys / rate);
    }
  }
  // One reference of a sampled key; returns the rule to score by (true: frequency).
  template <class FirstCountFn>
  bool Reference(uint64_t key_hash, uint64_t now_ms, const uint32_t* divisor,
                 FirstCountFn&& first_count, bool by_frequency) {
    uint32_t fp = static_cast<uint32_t>(FrequencySketch::Mix64(key_hash));
    for (int r = 0; r < 2; ++r) {
      if (shadows_[r].Reference(fp, now_ms, divisor, rng_, first_count)) hits_[r] += 1;
    }
    if (++refs_ % kWindow != 0) return by_frequency;
    by_frequency = hits_[1] > hits_[0] * 1.01;
    hits_[0] /= 2;
    hits_[1] /= 2;
    return by_frequency;
  }
  std::pair<double, double> hits() const { return {hits_[0], hits_[1]}; }
  size_t bytes() const { return sizeof(*this) + shadows_[0].bytes() + shadows_[1].bytes(); }

 private:
  uint64_t rate_ = 1;
  bool fitted_ = false;
  ShadowCache shadows_[2] = {ShadowCache(false), ShadowCache(true)};
  double hits_[2] = {0, 0};
  uint64_t refs_ = 0;
  uint64_t rng_ = 0x5eed;
};

KeyspacePolicy::KeyspacePolicy(Algorithm algorithm, KeyspacePolicyParams params)
    : algorithm_(algorithm), params_(params), rng_(params.seed * 0x9E3779B97F4A7C15ULL + 1) {
  if (UsesSketch(algorithm)) {
    sketch_ = std::make_unique<FrequencySketch>(params.expected_keys, params.seed);
  }
  for (uint32_t f = 0; f < 16; ++f) {
    divisor_[f] =
        static_cast<uint32_t>(std::lround(256 * std::pow(f + 1.0, params.frequency_exponent)));
  }
  if (algorithm == Algorithm::kLrfu) {
    lrfu_by_frequency_ = params.lrfu_rule == KeyspacePolicyParams::LrfuRule::kFrequency;
    if (params.lrfu_rule == KeyspacePolicyParams::LrfuRule::kAdaptive) {
      shadows_ = std::make_unique<LrfuShadows>(params.expected_keys);
    }
  }
}

KeyspacePolicy::~KeyspacePolicy() = default;
KeyspacePolicy::KeyspacePolicy(KeyspacePolicy&&) noexcept = default;
KeyspacePolicy& KeyspacePolicy::operator=(KeyspacePolicy&&) noexcept = default;

size_t KeyspacePolicy::MemoryBytes() const {
  return sizeof(*this) + (sketch_ ? sketch_->bytes() : 0) + (shadows_ ? shadows_->bytes() : 0);
}

std::pair<double, double> KeyspacePolicy::LrfuShadowHits() const {
  return shadows_ ? shadows_->hits() : std::pair<double, double>{0, 0};
}

void KeyspacePolicy::ShadowReference(uint64_t key_hash, uint64_t now_ms) {
  lrfu_by_frequency_ = shadows_->Reference(
      key_hash, now_ms, divisor_, [&] { return FirstCount(*sketch_, key_hash); },
      lrfu_by_frequency_);
}

void KeyspacePolicy::FitSketch(uint64_t keys) {
  if (shadows_) shadows_->Fit(keys);
  if (!sketch_) return;
  uint64_t want = keys < kMinSketchKeys ? kMinSketchKeys : keys;
  uint64_t capacity = sketch_->capacity();
  if (want > capacity || want * 4 < capacity) {
    sketch_->Resize(want);
    params_.expected_keys = want;
  }
  sketch_->MigrateSome(kMigrateWordsPerCall);
}

uint32_t KeyspacePolicy::OnInsert(uint64_t key_hash, uint64_t now_ms) {
  switch (algorithm_) {
    case Algorithm::kLrfu: {
      uint32_t c = FirstCount(*sketch_, key_hash);
      if (shadows_ && shadows_->Samples(key_hash)) ShadowReference(key_hash, now_ms);
      sketch_->Increment(key_hash);
      return LrfuWord(c, now_ms);
    }
    case Algorithm::kLru:
      return redis::LruOnInsert(now_ms);
    case Algorithm::kLfu:
      return redis::LfuOnInsert(now_ms);
    case Algorithm::kFifo:
      return seq_++;
    case Algorithm::kTinyLru:
      sketch_->Increment(key_hash);
      return seq_++;
    default:
      // noeviction/random/ttl keep the LRU clock, so OBJECT IDLETIME works as in Redis.
      return redis::LruOnInsert(now_ms);
  }
}

uint32_t KeyspacePolicy::OnAccess(uint32_t word, uint64_t key_hash, uint64_t now_ms) {
  switch (algorithm_) {
    case Algorithm::kLrfu:
      if (shadows_ && shadows_->Samples(key_hash)) ShadowReference(key_hash, now_ms);
      return LrfuTouch(word, now_ms);
    case Algorithm::kLfu:
      return redis::LfuOnAccess(word, now_ms, params_.lfu, Uniform());
    case Algorithm::kFifo:
      return word;
    case Algorithm::kTinyLru:
      sketch_->Increment(key_hash);
      return seq_++;
    default:
      return redis::LruOnAccess(now_ms);
  }
}

uint64_t KeyspacePolicy::Score(uint32_t word, uint64_t key_hash, int64_t expire_ms,
                               uint64_t now_ms) const {
  switch (algorithm_) {
    case Algorithm::kLru:
      return redis::LruIdleMs(word, now_ms);
    case Algorithm::kLfu:
      return redis::LfuScore(word, now_ms, params_.lfu);
    case Algorithm::kTtl:
      return expire_ms < 0
                 ? 0
                 : std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(expire_ms);
    case Algorithm::kFifo:
      return static_cast<uint32_t>(seq_ - word);
    case Algorithm::kTinyLru: {
      uint64_t idle = static_cast<uint32_t>(seq_ - word);
      return (uint64_t{FrequencySketch::kMaxCount - sketch_->Estimate(key_hash)} << 32) | idle;
    }
    case Algorithm::kLrfu:
      return lrfu_by_frequency_ ? FrequencyScore(word, now_ms)
                                : RecencyScore(word, now_ms, divisor_);
    default:
      return 0;
  }
}

std::optional<uint32_t> KeyspacePolicy::ObjectFreq(uint32_t word, uint64_t key_hash,
                                                   uint64_t now_ms) const {
  if (algorithm_ == Algorithm::kLfu) return redis::LfuDecayed(word, now_ms, params_.lfu);
  if (algorithm_ == Algorithm::kLrfu) return word >> 28;
  if (sketch_) return sketch_->Estimate(key_hash);
  return std::nullopt;
}

std::optional<uint64_t> KeyspacePolicy::ObjectIdleSeconds(uint32_t word, uint64_t now_ms) const {
  switch (algorithm_) {
    case Algorithm::kLru:
    case Algorithm::kNone:
    case Algorithm::kRandom:
    case Algorithm::kTtl:
      return redis::LruIdleMs(word, now_ms) / 1000;
    case Algorithm::kLrfu:
      return LrfuIdle(word, now_ms) / 1000;
    default:
      return std::nullopt;
  }
}

}  // namespace strata::cache::sampled
