// KeyspacePolicy: eviction for a keyspace that cannot afford list hooks per key (strata-server's
// per-shard hash table). Each key carries one 32-bit policy word; maxmemory eviction samples
// random keys (maxmemory-samples), scores them with Score() and feeds them to an EvictionPool,
// exactly as Redis does. One instance per shard; not thread-safe.
//
// Algorithms and what the word holds:
//   kLru    Redis LRU: 24-bit seconds clock (redis_meta.h). Score = estimated idle ms.
//   kLfu    Redis LFU: 16-bit minutes + 8-bit log counter. Score = 255 - decayed counter.
//   kTtl    volatile-ttl: word unused. Score = UINT64_MAX - expire time.
//   kRandom word unused; no pool: the kv side evicts a uniformly random key.
//   kFifo   insertion order: the word is a per-shard insertion sequence number (wraps at 2^32).
//           Score = inserts since the key's insertion.
//   kLrfu   (modern; Strata's recommended allkeys policy, see docs/design/eviction.md)
//           recency weighted by frequency. Word = 4-bit access counter << 28 | 28-bit
//           millisecond clock of the last access (wraps after ~74 hours; a key idle longer looks
//           recent again, as Redis's LRU clock does after 194 days). A hit only rewrites the word.
//           A per-shard FrequencySketch keyed by the 64-bit key hash (8 bytes per expected key) is
//           consulted and counted on insert only: it remembers keys evicted recently, so a
//           returning key starts with the count of its past inserts instead of 1 (TinyLFU's
//           history, paid on the miss path). The word is scored by one of two rules:
//             recency   score = idle ms / (counter + 1)^1.75: a key seen twice as often must stay
//                       idle ~3.4 times longer to go first. In the spirit of LRFU (Lee et al.,
//                       2001) and hyperbolic caching (Blankstein et al., ATC'17).
//             frequency score = (15 - counter, idle ms): the least counted sampled key goes
//                       first, the longest idle among equals (a pure LFU over the word's
//                       counter, as Redis's allkeys-lfu is when its counters do not decay).
//           Recency wins where popularity shifts; frequency wins on stationary skewed traffic,
//           whose keys' idle times are noise around a fixed rate. The rule is chosen per shard
//           by miniature simulation (Waldspurger et al., ATC'17): a hash-sampled 1/R of the keys
//           (R a power of two, so each shadow holds 1,024 to 4,096 keys) is replayed through two
//           shadow caches of keys/R entries, one per rule, and the real keyspace scores by the
//           rule whose shadow hits more (by at least 1%, recency otherwise; decayed hit counts
//           over windows of 4,096 sampled references). The shadows cost 1/R of the hits a table
//           lookup each and ~80 KB per shard at most; they change no key's word.
//   kTinyLru (modern, experimental) same word and sketch; score = (15 - frequency) << 32 | idle:
//           the rarest sampled key goes first, LRU among equals. Stronger on heavy-tailed
//           workloads, much weaker on recency-only ones (see the design note).
//
// Time: `now_ms` is the shard's cached wall clock in milliseconds (Redis's LRU and LFU clocks are
// derived from it). The word's meaning depends on the algorithm: after the policy changes at run
// time, old words are read under the new meaning (as in Redis); they settle on the next access.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "cache/sampled/redis_meta.h"
#include "cache/sketch/frequency_sketch.h"

namespace strata::cache::sampled {

enum class Algorithm : uint8_t {
  kNone,  // noeviction
  kLru,
  kLfu,
  kRandom,
  kTtl,
  kFifo,
  kTinyLru,
  kLrfu,
};

struct KeyspacePolicyParams {
  redis::LfuParams lfu;
  // Keys the frequency sketch is sized for (kTinyLru, kLrfu); clamped to [16, 2^28].
  uint64_t expected_keys = 1 << 16;
  uint64_t seed = 1;
  // kLrfu: the recency rule's score = idle / (counter + 1)^frequency_exponent (chosen by
  // simulation, see docs/design/eviction.md).
  double frequency_exponent = 1.75;
  // kLrfu: how the rule is chosen; kAdaptive (shadow caches) unless pinned.
  enum class LrfuRule : uint8_t { kAdaptive, kRecency, kFrequency };
  LrfuRule lrfu_rule = LrfuRule::kAdaptive;
};

class LrfuShadows;

class KeyspacePolicy {
 public:
  static constexpr int64_t kNoExpire = -1;

  KeyspacePolicy(Algorithm algorithm, KeyspacePolicyParams params = {});
  ~KeyspacePolicy();
  KeyspacePolicy(KeyspacePolicy&&) noexcept;
  KeyspacePolicy& operator=(KeyspacePolicy&&) noexcept;

  Algorithm algorithm() const { return algorithm_; }
  // False for noeviction and random (random needs no scores and no pool).
  bool UsesPool() const {
    return algorithm_ != Algorithm::kNone && algorithm_ != Algorithm::kRandom;
  }

  // The word of a newly created key.
  uint32_t OnInsert(uint64_t key_hash, uint64_t now_ms);
  // The word after a read or write of an existing key.
  uint32_t OnAccess(uint32_t word, uint64_t key_hash, uint64_t now_ms);
  // Eviction score of a sampled key, higher = evict first. expire_ms is the key's absolute expiry
  // (kNoExpire when it has none; volatile-ttl only samples keys that have one).
  uint64_t Score(uint32_t word, uint64_t key_hash, int64_t expire_ms, uint64_t now_ms) const;

  // OBJECT FREQ: the decayed LFU counter (kLfu), the word's counter (kLrfu), the sketch estimate
  // (kTinyLru); nullopt otherwise (Redis replies with an error outside LFU policies).
  std::optional<uint32_t> ObjectFreq(uint32_t word, uint64_t key_hash, uint64_t now_ms) const;
  // OBJECT IDLETIME in seconds, Redis's estimate from the LRU clock the word holds under
  // noeviction, LRU, random and TTL, or from kLrfu's millisecond clock; nullopt under LFU (Redis
  // replies with an error), FIFO and kTinyLru, whose word is a sequence number, not a clock.
  std::optional<uint64_t> ObjectIdleSeconds(uint32_t word, uint64_t now_ms) const;

  // The fewest keys the sketch is sized for (8 KB of counters).
  static constexpr uint64_t kMinSketchKeys = 1024;
  // Sizes the frequency sketch (kLrfu, kTinyLru) to `keys`, the keys the shard holds: it grows
  // once they pass its capacity and shrinks once they fall below a quarter of it (the
  // hysteresis keeps a steady keyspace from resizing back and forth). A resize neither stalls
  // nor forgets (FrequencySketch::Resize): each call also carries over at most
  // kMigrateWordsPerCall words of each row (512 KB in all). Cheap enough for every cron tick.
  // kLrfu: also sizes the shadow caches to `keys` (see above).
  void FitSketch(uint64_t keys);
  static constexpr uint64_t kMigrateWordsPerCall = 16384;
  const FrequencySketch* sketch() const { return sketch_.get(); }
  size_t MemoryBytes() const;

  // kLrfu: whether sampled keys are scored by the frequency rule now (see above).
  bool LrfuScoresByFrequency() const { return lrfu_by_frequency_; }
  // kLrfu: the shadow caches' decayed hit counts {recency, frequency}; {0, 0} without shadows.
  std::pair<double, double> LrfuShadowHits() const;

 private:
  double Uniform() {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return static_cast<double>((rng_ * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  }
  // kLrfu: feeds a sampled key's reference to the shadows and takes their choice of rule.
  void ShadowReference(uint64_t key_hash, uint64_t now_ms);

  Algorithm algorithm_;
  KeyspacePolicyParams params_;
  std::unique_ptr<FrequencySketch> sketch_;
  uint32_t seq_ = 0;           // kFifo: inserts; modern: accesses
  uint32_t divisor_[16] = {};  // kLrfu: 256 * (f + 1)^frequency_exponent
  uint64_t rng_;
  bool lrfu_by_frequency_ = false;        // kLrfu: the rule Score() applies
  std::unique_ptr<LrfuShadows> shadows_;  // kLrfu with LrfuRule::kAdaptive
};

}  // namespace strata::cache::sampled
