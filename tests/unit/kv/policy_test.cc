#include "kv/engine/policy.h"

#include <gtest/gtest.h>

namespace strata::kv {
namespace {

TEST(Policy, NamesRoundTrip) {
  for (const char* n :
       {"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
        "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-fifo"}) {
    EvictionPolicy p;
    ASSERT_TRUE(ParseEvictionPolicy(n, &p)) << n;
    EXPECT_STREQ(EvictionPolicyName(p), n);
  }
  EvictionPolicy p;
  EXPECT_FALSE(ParseEvictionPolicy("allkeys-magic", &p));
}

TEST(Policy, LruIdleGrowsWithTime) {
  PolicyConfig cfg;
  cfg.policy = EvictionPolicy::kAllKeysLru;
  uint32_t w = PolicyOnInsert(cfg, 1000000);
  EXPECT_EQ(PolicyScore(w, -1, cfg, 1000000), 0u);
  EXPECT_EQ(PolicyScore(w, -1, cfg, 1010000), 10000u);
}

TEST(Policy, LfuCounterIsLogarithmicAndDecays) {
  PolicyConfig cfg;
  cfg.policy = EvictionPolicy::kAllKeysLfu;
  std::mt19937_64 rng(1);
  int64_t now = 60 * 60 * 1000;
  uint32_t w = PolicyOnInsert(cfg, now);
  EXPECT_EQ(LfuDecayedCounter(w, now, 1), kLfuInitVal);
  for (int i = 0; i < 100; i++) w = PolicyOnAccess(w, cfg, now, rng);
  uint32_t c100 = LfuDecayedCounter(w, now, 1);
  EXPECT_GT(c100, kLfuInitVal);
  EXPECT_LT(c100, 30u);  // logarithmic: 100 hits are far from 100
  // Ten minutes later the counter has decayed by ten.
  EXPECT_EQ(LfuDecayedCounter(w, now + 10 * 60 * 1000, 1), c100 > 10 ? c100 - 10 : 0);
  // A hot key scores lower (evicted later) than a cold one.
  EXPECT_LT(PolicyScore(w, -1, cfg, now), PolicyScore(PolicyOnInsert(cfg, now), -1, cfg, now));
}

TEST(Policy, VolatileTtlPrefersSoonestExpiry) {
  PolicyConfig cfg;
  cfg.policy = EvictionPolicy::kVolatileTtl;
  EXPECT_GT(PolicyScore(0, 1000, cfg, 0), PolicyScore(0, 2000, cfg, 0));
}

}  // namespace
}  // namespace strata::kv
