// Redis's per-key eviction metadata, as pure functions over the 24 low bits of a key's policy
// word (Redis keeps the same 24 bits in robj.lru). Shared by the sampled keyspace policies and the
// exact LFU policy, so OBJECT IDLETIME / OBJECT FREQ read what Redis would report.
//
// LRU: the word is a 24-bit clock of seconds (LRU_CLOCK_RESOLUTION 1000 ms, wraps every ~194
//      days); idle time = clock difference, wrap-aware.
// LFU: the word is (16-bit minutes clock << 8) | 8-bit logarithmic counter. A new key starts at
//      LFU_INIT_VAL 5. On access the counter first decays by one per lfu-decay-time minutes
//      elapsed since the stored time, then grows by one with probability
//      1 / ((counter - 5) * lfu-log-factor + 1) (always below 5), saturating at 255.
#pragma once

#include <cstdint>

namespace strata::cache::redis {

inline constexpr uint32_t kLruClockMax = (1u << 24) - 1;
inline constexpr uint64_t kLruClockResolutionMs = 1000;
inline constexpr uint32_t kLfuInitVal = 5;

struct LfuParams {
  double log_factor = 10;   // lfu-log-factor
  uint32_t decay_time = 1;  // lfu-decay-time, minutes; 0 = never decay
};

// ---- LRU ----
inline uint32_t LruClock(uint64_t now_ms) {
  return static_cast<uint32_t>((now_ms / kLruClockResolutionMs) & kLruClockMax);
}
inline uint32_t LruOnInsert(uint64_t now_ms) { return LruClock(now_ms); }
inline uint32_t LruOnAccess(uint64_t now_ms) { return LruClock(now_ms); }
// Estimated idle time in milliseconds (Redis estimateObjectIdleTime).
inline uint64_t LruIdleMs(uint32_t word, uint64_t now_ms) {
  uint32_t clock = LruClock(now_ms);
  word &= kLruClockMax;
  uint64_t ticks = clock >= word ? clock - word : clock + (kLruClockMax - word);
  return ticks * kLruClockResolutionMs;
}

// ---- LFU ----
inline uint32_t LfuMinutes(uint64_t now_ms) {
  return static_cast<uint32_t>((now_ms / 60000) & 0xFFFF);
}
inline uint32_t LfuElapsedMinutes(uint32_t ldt, uint64_t now_ms) {
  uint32_t now = LfuMinutes(now_ms);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}
// The decayed counter (what OBJECT FREQ reports), without storing it.
inline uint32_t LfuDecayed(uint32_t word, uint64_t now_ms, const LfuParams& params) {
  uint32_t ldt = (word >> 8) & 0xFFFF;
  uint32_t counter = word & 0xFF;
  uint32_t periods =
      params.decay_time != 0 ? LfuElapsedMinutes(ldt, now_ms) / params.decay_time : 0;
  return periods > counter ? 0 : counter - periods;
}
// Redis LFULogIncr; r is a uniform random number in [0, 1).
inline uint32_t LfuLogIncr(uint32_t counter, double r, const LfuParams& params) {
  if (counter >= 255) return 255;
  double base = counter > kLfuInitVal ? static_cast<double>(counter - kLfuInitVal) : 0.0;
  double p = 1.0 / (base * params.log_factor + 1);
  return r < p ? counter + 1 : counter;
}
inline uint32_t LfuPack(uint32_t counter, uint64_t now_ms) {
  return (LfuMinutes(now_ms) << 8) | (counter & 0xFF);
}
inline uint32_t LfuOnInsert(uint64_t now_ms) { return LfuPack(kLfuInitVal, now_ms); }
inline uint32_t LfuOnAccess(uint32_t word, uint64_t now_ms, const LfuParams& params, double r) {
  return LfuPack(LfuLogIncr(LfuDecayed(word, now_ms, params), r, params), now_ms);
}
// Eviction-pool score (higher = evict first): 255 - decayed counter.
inline uint64_t LfuScore(uint32_t word, uint64_t now_ms, const LfuParams& params) {
  return 255 - LfuDecayed(word, now_ms, params);
}

}  // namespace strata::cache::redis
