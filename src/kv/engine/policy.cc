#include "kv/engine/policy.h"

#include <cstring>

namespace strata::kv {
namespace {

struct Name {
  const char* name;
  EvictionPolicy policy;
};
constexpr Name kNames[] = {
    {"noeviction", EvictionPolicy::kNoEviction},
    {"allkeys-lru", EvictionPolicy::kAllKeysLru},
    {"allkeys-lfu", EvictionPolicy::kAllKeysLfu},
    {"allkeys-random", EvictionPolicy::kAllKeysRandom},
    {"volatile-lru", EvictionPolicy::kVolatileLru},
    {"volatile-lfu", EvictionPolicy::kVolatileLfu},
    {"volatile-random", EvictionPolicy::kVolatileRandom},
    {"volatile-ttl", EvictionPolicy::kVolatileTtl},
    {"allkeys-fifo", EvictionPolicy::kAllKeysFifo},
};

}  // namespace

bool ParseEvictionPolicy(std::string_view name, EvictionPolicy* out) {
  for (const auto& n : kNames) {
    if (name.size() == strlen(n.name) && strncasecmp(name.data(), n.name, name.size()) == 0) {
      *out = n.policy;
      return true;
    }
  }
  return false;
}

const char* EvictionPolicyName(EvictionPolicy p) {
  for (const auto& n : kNames) {
    if (n.policy == p) return n.name;
  }
  return "noeviction";
}

std::string EvictionPolicyNames() {
  std::string s;
  for (const auto& n : kNames) {
    if (!s.empty()) s += ' ';
    s += n.name;
  }
  return s;
}

uint32_t LfuDecayedCounter(uint32_t word, int64_t now_ms, int decay_time) {
  uint32_t ldt = word >> 8;
  uint32_t counter = word & 0xff;
  uint32_t now = LfuMinutes(now_ms);
  uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  uint32_t periods = decay_time > 0 ? elapsed / uint32_t(decay_time) : 0;
  return periods > counter ? 0 : counter - periods;
}

uint32_t LfuTouch(uint32_t word, int64_t now_ms, const PolicyConfig& cfg, std::mt19937_64& rng) {
  uint32_t counter = LfuDecayedCounter(word, now_ms, cfg.lfu_decay_time);
  if (counter < 255) {
    double r = double(rng() >> 11) * (1.0 / 9007199254740992.0);
    double base = counter > kLfuInitVal ? double(counter - kLfuInitVal) : 0.0;
    double p = 1.0 / (base * cfg.lfu_log_factor + 1);
    if (r < p) counter++;
  }
  return (LfuMinutes(now_ms) << 8) | counter;
}

uint32_t PolicyOnInsert(const PolicyConfig& cfg, int64_t now_ms) {
  if (PolicyIsLfu(cfg.policy)) return LfuInitial(now_ms);
  return LruClock(now_ms);
}

uint32_t PolicyOnAccess(uint32_t word, const PolicyConfig& cfg, int64_t now_ms,
                        std::mt19937_64& rng) {
  if (PolicyIsLfu(cfg.policy)) return LfuTouch(word, now_ms, cfg, rng);
  if (cfg.policy == EvictionPolicy::kAllKeysFifo) return word;
  return LruClock(now_ms);
}

uint64_t PolicyScore(uint32_t word, int64_t expire_ms, const PolicyConfig& cfg, int64_t now_ms) {
  switch (cfg.policy) {
    case EvictionPolicy::kAllKeysLfu:
    case EvictionPolicy::kVolatileLfu:
      return 255 - LfuDecayedCounter(word, now_ms, cfg.lfu_decay_time);
    case EvictionPolicy::kVolatileTtl:
      return expire_ms < 0 ? 0 : UINT64_MAX - uint64_t(expire_ms);
    case EvictionPolicy::kAllKeysRandom:
    case EvictionPolicy::kVolatileRandom:
    case EvictionPolicy::kNoEviction:
      return 0;
    default:
      return LruIdleMs(word, now_ms);
  }
}

}  // namespace strata::kv
