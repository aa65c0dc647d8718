#include "cache/sampled/keyspace_policy.h"

#include <cmath>

namespace strata::cache::sampled {

namespace {
bool UsesSketch(Algorithm a) { return a == Algorithm::kTinyLru || a == Algorithm::kLrfu; }
constexpr uint32_t kClockMask = (1u << 28) - 1;
uint32_t Clock28(uint64_t now_ms) { return static_cast<uint32_t>(now_ms) & kClockMask; }
}  // namespace

KeyspacePolicy::KeyspacePolicy(Algorithm algorithm, KeyspacePolicyParams params)
    : algorithm_(algorithm), params_(params), rng_(params.seed * 0x9E3779B97F4A7C15ULL + 1) {
  if (UsesSketch(algorithm)) {
    sketch_ = std::make_unique<FrequencySketch>(params.expected_keys, params.seed);
  }
  for (uint32_t f = 0; f < 16; ++f) {
    divisor_[f] =
        static_cast<uint32_t>(std::lround(256 * std::pow(f + 1.0, params.frequency_exponent)));
  }
}

void KeyspacePolicy::FitSketch(uint64_t keys) {
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
      uint32_t f = sketch_->Estimate(key_hash);
      sketch_->Increment(key_hash);
      uint32_t c = f + 1 > 15 ? 15 : f + 1;
      return (c << 28) | Clock28(now_ms);
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
    case Algorithm::kLrfu: {
      uint32_t c = word >> 28;
      if (c < 15) ++c;
      return (c << 28) | Clock28(now_ms);
    }
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
    case Algorithm::kLrfu: {
      uint64_t idle = (Clock28(now_ms) - word) & kClockMask;
      return (idle << 16) / divisor_[word >> 28];
    }
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
      return ((Clock28(now_ms) - word) & kClockMask) / 1000;
    default:
      return std::nullopt;
  }
}

}  // namespace strata::cache::sampled
