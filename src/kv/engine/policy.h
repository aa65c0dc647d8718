// The keyspace's per-entry policy word: what maxmemory-policy means for one entry.
//
// Redis semantics, bit for bit where observable (OBJECT IDLETIME, OBJECT FREQ):
// - LRU: a 24-bit clock in seconds (LRU_CLOCK_RESOLUTION 1000 ms), idle = clock difference.
// - LFU: high 16 bits = last decrement time in minutes, low 8 bits = logarithmic counter
//   (LFU_INIT_VAL 5, incremented with probability 1/((counter-5)*lfu_log_factor+1), decayed by
//   one per lfu-decay-time minutes).
// - FIFO: the insertion time in seconds (24-bit clock), never updated on access.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace strata::kv {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllKeysFifo,
};

struct PolicyConfig {
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
  int samples = 5;
  int lfu_log_factor = 10;
  int lfu_decay_time = 1;
};

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out);
const char* EvictionPolicyName(EvictionPolicy p);
// Every accepted name, space separated (for --help and error messages).
std::string EvictionPolicyNames();

inline bool PolicyIsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}
inline bool PolicyIsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}

constexpr uint32_t kLruClockMax = (1u << 24) - 1;
constexpr uint32_t kLfuInitVal = 5;

inline uint32_t LruClock(int64_t now_ms) { return uint32_t(now_ms / 1000) & kLruClockMax; }
// Idle milliseconds of an entry whose word holds an LRU clock.
inline uint64_t LruIdleMs(uint32_t word, int64_t now_ms) {
  uint32_t now = LruClock(now_ms), then = word & kLruClockMax;
  uint32_t secs = now >= then ? now - then : (kLruClockMax - then) + now;
  return uint64_t(secs) * 1000;
}

inline uint32_t LfuMinutes(int64_t now_ms) { return uint32_t(now_ms / 1000 / 60) & 0xffff; }
uint32_t LfuDecayedCounter(uint32_t word, int64_t now_ms, int decay_time);
uint32_t LfuTouch(uint32_t word, int64_t now_ms, const PolicyConfig& cfg, std::mt19937_64& rng);
inline uint32_t LfuInitial(int64_t now_ms) { return (LfuMinutes(now_ms) << 8) | kLfuInitVal; }

// Word for a new entry / after an access.
uint32_t PolicyOnInsert(const PolicyConfig& cfg, int64_t now_ms);
uint32_t PolicyOnAccess(uint32_t word, const PolicyConfig& cfg, int64_t now_ms,
                        std::mt19937_64& rng);
// Eviction score: higher = evict first.
uint64_t PolicyScore(uint32_t word, int64_t expire_ms, const PolicyConfig& cfg, int64_t now_ms);

}  // namespace strata::kv
