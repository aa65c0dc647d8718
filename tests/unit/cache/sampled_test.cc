// Sampled keyspace policies: Redis's per-key metadata, the eviction pool, policy names, scores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cache/sampled/eviction_pool.h"
#include "cache/sampled/keyspace_policy.h"
#include "cache/sampled/policy_names.h"
#include "cache/sampled/redis_meta.h"
#include "cache/sampled/victim_picker.h"

namespace strata::cache::sampled {
namespace {

constexpr uint64_t kSec = 1000;
constexpr uint64_t kMin = 60 * kSec;

TEST(RedisLru, ClockIsSecondsModulo24Bits) {
  EXPECT_EQ(redis::LruClock(0), 0u);
  EXPECT_EQ(redis::LruClock(1999), 1u);
  EXPECT_EQ(redis::LruClock((uint64_t{1} << 24) * kSec + 5 * kSec), 5u);
}

TEST(RedisLru, IdleTimeIsWrapAware) {
  uint32_t w = redis::LruOnInsert(100 * kSec);
  EXPECT_EQ(redis::LruIdleMs(w, 100 * kSec + 999), 0u);
  EXPECT_EQ(redis::LruIdleMs(w, 160 * kSec), 60 * kSec);
  // Stored near the top of the clock, read after the wrap (Redis's formula).
  uint32_t late = redis::kLruClockMax - 10;
  uint64_t after_wrap = (uint64_t{1} << 24) * kSec + 5 * kSec;
  EXPECT_EQ(redis::LruIdleMs(late, after_wrap), (5 + 10) * kSec);
}

TEST(RedisLfu, NewKeysStartAtFiveAndDecayPerPeriod) {
  redis::LfuParams p{10, 1};
  uint32_t w = redis::LfuOnInsert(3 * kMin);
  EXPECT_EQ(w & 0xFF, redis::kLfuInitVal);
  EXPECT_EQ(redis::LfuDecayed(w, 3 * kMin, p), 5u);
  EXPECT_EQ(redis::LfuDecayed(w, 5 * kMin, p), 3u);
  EXPECT_EQ(redis::LfuDecayed(w, 60 * kMin, p), 0u);
  redis::LfuParams slow{10, 2};
  EXPECT_EQ(redis::LfuDecayed(w, 7 * kMin, slow), 3u);
  redis::LfuParams none{10, 0};
  EXPECT_EQ(redis::LfuDecayed(w, 600 * kMin, none), 5u);
  EXPECT_EQ(redis::LfuScore(w, 3 * kMin, p), 250u);
}

TEST(RedisLfu, MinutesClockWraps) {
  redis::LfuParams p{10, 1};
  uint32_t w = redis::LfuPack(20, 65534 * kMin);  // stored at minute 65534
  EXPECT_EQ(redis::LfuElapsedMinutes(65534, 65536 * kMin + 2 * kMin), 3u);
  EXPECT_EQ(redis::LfuDecayed(w, 65536 * kMin + 2 * kMin, p), 17u);
}

TEST(RedisLfu, LogarithmicIncrement) {
  redis::LfuParams p{10, 1};
  EXPECT_EQ(redis::LfuLogIncr(0, 0.999, p), 1u);  // below LFU_INIT_VAL: always
  EXPECT_EQ(redis::LfuLogIncr(5, 0.999, p), 6u);
  // counter 6: p = 1 / (1 * 10 + 1)
  EXPECT_EQ(redis::LfuLogIncr(6, 0.09, p), 7u);
  EXPECT_EQ(redis::LfuLogIncr(6, 0.091, p), 6u);
  EXPECT_EQ(redis::LfuLogIncr(255, 0.0, p), 255u);
  // Redis's table: with factor 10, ~100 hits reach about 10, ~1M hits saturate near 255.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  uint32_t c = redis::kLfuInitVal;
  for (int i = 0; i < 100; ++i) c = redis::LfuLogIncr(c, u(rng), p);
  EXPECT_GE(c, 8u);
  EXPECT_LE(c, 14u);
}

TEST(RedisLfu, AccessDecaysThenIncrements) {
  redis::LfuParams p{10, 1};
  uint32_t w = redis::LfuPack(10, 0);
  uint32_t after = redis::LfuOnAccess(w, 4 * kMin, p, 0.999);  // 10 - 4 = 6, no increment
  EXPECT_EQ(after & 0xFF, 6u);
  EXPECT_EQ(after >> 8, 4u);
}

std::string Key(int i) { return "key:" + std::to_string(i); }

TEST(EvictionPool, KeepsTheBestSixteenInOrder) {
  EvictionPool pool;
  for (int i = 0; i < 40; ++i) pool.Offer((i * 7) % 40, 0, Key(i), i);
  EXPECT_EQ(pool.size(), EvictionPool::kSize);
  for (size_t i = 1; i < pool.size(); ++i) EXPECT_LE(pool.at(i - 1).score, pool.at(i).score);
  std::vector<uint64_t> scores;
  while (const auto* c = pool.PopBest()) {
    scores.push_back(c->score);
    EXPECT_EQ(c->key, Key(static_cast<int>(c->key_hash)));
  }
  std::vector<uint64_t> expect;
  for (uint64_t s = 39; s >= 24; --s) expect.push_back(s);
  EXPECT_EQ(scores, expect);
}

TEST(EvictionPool, FullPoolDropsWorseCandidates) {
  EvictionPool pool;
  for (int i = 0; i < 16; ++i) pool.Offer(100 + i, 0, Key(i), i);
  pool.Offer(50, 0, "worse", 999);  // below everything: dropped
  EXPECT_EQ(pool.at(0).score, 100u);
  pool.Offer(105, 1, "middle", 555);  // replaces the worst, lands before the equal score
  EXPECT_EQ(pool.at(0).score, 101u);
  EXPECT_EQ(pool.at(4).key, "middle");
  EXPECT_EQ(pool.at(4).db, 1);
  EXPECT_EQ(pool.at(5).score, 105u);
}

TEST(EvictionPool, StaleCandidatesAreSkippedByTheCaller) {
  // The kv side's loop: pop best first, skip keys that no longer exist.
  EvictionPool pool;
  std::vector<bool> exists = {true, false, true, false};
  for (int i = 0; i < 4; ++i) pool.Offer(i, 0, Key(i), i);
  const EvictionPool::Candidate* victim = nullptr;
  while ((victim = pool.PopBest()) != nullptr && !exists[victim->key_hash]) {
  }
  ASSERT_NE(victim, nullptr);
  EXPECT_EQ(victim->key, Key(2));
  EXPECT_EQ(pool.size(), 2u);
}

TEST(EvictionPool, ForgetDropsOneDb) {
  EvictionPool pool;
  for (int i = 0; i < 10; ++i) pool.Offer(i, i % 2, Key(i), i);
  pool.Forget(1);
  EXPECT_EQ(pool.size(), 5u);
  for (size_t i = 0; i < pool.size(); ++i) EXPECT_EQ(pool.at(i).db, 0);
  for (size_t i = 1; i < pool.size(); ++i) EXPECT_LE(pool.at(i - 1).score, pool.at(i).score);
  pool.Forget(-1);
  EXPECT_TRUE(pool.empty());
}

TEST(EvictionPool, LongKeysAreCopied) {
  EvictionPool pool;
  std::string big(1000, 'x');
  pool.Offer(1, 3, big, 42);
  big[0] = 'y';
  const auto* c = pool.PopBest();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->key, std::string(1000, 'x'));
}

TEST(PolicyNames, RoundTripAndHelpList) {
  auto names = MaxmemoryPolicyNames();
  EXPECT_EQ(names.size(), 14u);
  for (std::string_view n : names) {
    auto p = ParseMaxmemoryPolicy(n);
    ASSERT_TRUE(p.ok()) << n;
    EXPECT_EQ(MaxmemoryPolicyName(*p), n);
  }
  auto lfu = ParseMaxmemoryPolicy("ALLKEYS-LFU");
  ASSERT_TRUE(lfu.ok());
  EXPECT_EQ(lfu->algorithm, Algorithm::kLfu);
  EXPECT_FALSE(lfu->volatile_only);
  auto ttl = ParseMaxmemoryPolicy("volatile-ttl");
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(ttl->algorithm, Algorithm::kTtl);
  EXPECT_TRUE(ttl->volatile_only);
  EXPECT_EQ(ParseMaxmemoryPolicy("allkeys-bogus").status(), OpStatus::kInvalidArgument);
  EXPECT_FALSE(ParseMaxmemoryPolicy("").ok());
  EXPECT_EQ(MaxmemoryPolicyName(DefaultModernPolicy()), "allkeys-lrfu");
}

TEST(KeyspacePolicy, LruScoresIdleTime) {
  KeyspacePolicy p(Algorithm::kLru);
  uint32_t old_key = p.OnInsert(1, 10 * kSec);
  uint32_t new_key = p.OnInsert(2, 50 * kSec);
  EXPECT_GT(p.Score(old_key, 1, KeyspacePolicy::kNoExpire, 60 * kSec),
            p.Score(new_key, 2, KeyspacePolicy::kNoExpire, 60 * kSec));
  EXPECT_EQ(p.ObjectIdleSeconds(old_key, 60 * kSec), 50u);
  EXPECT_FALSE(p.ObjectFreq(old_key, 1, 60 * kSec).has_value());
  old_key = p.OnAccess(old_key, 1, 61 * kSec);
  EXPECT_EQ(p.ObjectIdleSeconds(old_key, 61 * kSec), 0u);
}

TEST(KeyspacePolicy, LfuReportsObjectFreq) {
  KeyspacePolicy p(Algorithm::kLfu);
  uint32_t w = p.OnInsert(1, 0);
  EXPECT_EQ(p.ObjectFreq(w, 1, 0), 5u);
  w = p.OnAccess(w, 1, 0);
  EXPECT_EQ(p.ObjectFreq(w, 1, 0), 6u);
  EXPECT_FALSE(p.ObjectIdleSeconds(w, 0).has_value());
  EXPECT_EQ(p.Score(w, 1, KeyspacePolicy::kNoExpire, 0), 249u);
}

TEST(KeyspacePolicy, TtlPrefersTheNearestExpiry) {
  KeyspacePolicy p(Algorithm::kTtl);
  uint32_t w = p.OnInsert(1, 0);
  EXPECT_GT(p.Score(w, 1, 1000, 0), p.Score(w, 2, 5000, 0));
  EXPECT_EQ(p.Score(w, 3, KeyspacePolicy::kNoExpire, 0), 0u);
  EXPECT_TRUE(p.UsesPool());
  EXPECT_FALSE(KeyspacePolicy(Algorithm::kRandom).UsesPool());
  EXPECT_FALSE(KeyspacePolicy(Algorithm::kNone).UsesPool());
}

TEST(KeyspacePolicy, FifoScoresInsertionOrderAndIgnoresAccess) {
  KeyspacePolicy p(Algorithm::kFifo);
  uint32_t a = p.OnInsert(1, 0);
  uint32_t b = p.OnInsert(2, 0);
  a = p.OnAccess(a, 1, 0);
  EXPECT_GT(p.Score(a, 1, KeyspacePolicy::kNoExpire, 0),
            p.Score(b, 2, KeyspacePolicy::kNoExpire, 0));
}

TEST(KeyspacePolicy, LrfuWeighsIdleTimeByFrequency) {
  KeyspacePolicy p(Algorithm::kLrfu, KeyspacePolicyParams{.expected_keys = 1024});
  uint32_t hot = p.OnInsert(1, 0);
  for (int i = 0; i < 3; ++i) hot = p.OnAccess(hot, 1, 0);  // counter 4
  uint32_t cold = p.OnInsert(2, 1000);                      // counter 1, more recent
  EXPECT_EQ(p.ObjectFreq(hot, 1, 0), 4u);
  EXPECT_EQ(p.ObjectFreq(cold, 2, 0), 1u);
  // At t=2s: hot 2000 / 5^1.75 ~ 120, cold 1000 / 2^1.75 ~ 297: cold goes first.
  EXPECT_GT(p.Score(cold, 2, KeyspacePolicy::kNoExpire, 2000),
            p.Score(hot, 1, KeyspacePolicy::kNoExpire, 2000));
  // Much later the hot key's idle time wins over its frequency.
  uint32_t fresh = p.OnInsert(3, 100000);
  EXPECT_GT(p.Score(hot, 1, KeyspacePolicy::kNoExpire, 101000),
            p.Score(fresh, 3, KeyspacePolicy::kNoExpire, 101000));
  EXPECT_EQ(p.ObjectIdleSeconds(hot, 101000), 101u);
  // Equal counters: the longer idle key first.
  uint32_t other = p.OnInsert(4, 1500);
  EXPECT_GT(p.Score(cold, 2, KeyspacePolicy::kNoExpire, 2000),
            p.Score(other, 4, KeyspacePolicy::kNoExpire, 2000));
  // The counter saturates at 15.
  for (int i = 0; i < 40; ++i) hot = p.OnAccess(hot, 1, 0);
  EXPECT_EQ(p.ObjectFreq(hot, 1, 0), 15u);
  EXPECT_GT(p.MemoryBytes(), 8u * 1024);
}

TEST(KeyspacePolicy, LrfuRemembersReturningKeys) {
  KeyspacePolicy p(Algorithm::kLrfu, KeyspacePolicyParams{.expected_keys = 1024});
  EXPECT_EQ(p.ObjectFreq(p.OnInsert(77, 0), 77, 0), 1u);
  // The key was evicted (the keyspace does not tell the policy) and comes back: the sketch
  // remembers its earlier insert.
  EXPECT_EQ(p.ObjectFreq(p.OnInsert(77, 10), 77, 10), 2u);
  EXPECT_EQ(p.ObjectFreq(p.OnInsert(78, 10), 78, 10), 1u);
}

// A miniature of policy-sim's sampled loop over a request stream `next(i)`, with a clock of
// `per_ms` requests per millisecond (the end-to-end replays run at about 200).
template <class NextFn>
double SampledRun(KeyspacePolicy& policy, size_t cap, int requests, uint64_t per_ms,
                  NextFn&& next) {
  EvictionPool pool;
  std::vector<uint32_t> resident;
  std::vector<int> pos(1 << 20, -1);
  std::vector<uint32_t> word(1 << 20);
  std::mt19937_64 rng(5);
  uint64_t hits = 0, n = 0;
  for (int i = 0; i < requests; ++i) {
    uint32_t k = next(i);
    uint64_t now = static_cast<uint64_t>(i) / per_ms;
    ++n;
    if (pos[k] >= 0) {
      ++hits;
      word[k] = policy.OnAccess(word[k], k, now);
      continue;
    }
    if (resident.size() >= cap) {
      uint32_t victim = 0;
      for (bool found = false; !found;) {
        for (int s = 0; s < 5; ++s) {
          uint32_t c = resident[rng() % resident.size()];
          pool.Offer(policy.Score(word[c], c, KeyspacePolicy::kNoExpire, now), 0,
                     std::string_view(reinterpret_cast<const char*>(&c), 4), c);
        }
        while (const auto* best = pool.PopBest()) {
          if (pos[best->key_hash] >= 0) {
            victim = static_cast<uint32_t>(best->key_hash);
            found = true;
            break;
          }
        }
      }
      int j = pos[victim];
      resident[j] = resident.back();
      pos[resident[j]] = j;
      resident.pop_back();
      pos[victim] = -1;
    }
    pos[k] = static_cast<int>(resident.size());
    resident.push_back(k);
    word[k] = policy.OnInsert(k, now);
  }
  return static_cast<double>(hits) / static_cast<double>(n);
}

// A hot set plus a one-time scan. The modern policy keeps the hot set; Redis's LRU (one-second
// clock) and FIFO cannot tell the scan apart.
double SampledHitRatio(Algorithm a) {
  KeyspacePolicy policy(a, KeyspacePolicyParams{.expected_keys = 200});
  std::mt19937_64 rng(5);
  uint32_t scan = 1000;
  return SampledRun(policy, 200, 60000, 1, [&](int i) {
    return (i % 3 == 0) ? scan++ : static_cast<uint32_t>(rng() % 150);
  });
}

// Zipf(s) ranks over `keys` keys (inverse CDF over a table), optionally scattered so that the
// popular keys are not the small ids.
class Zipf {
 public:
  Zipf(uint32_t keys, double s, uint64_t seed) : rng_(seed), cdf_(keys) {
    double sum = 0;
    for (uint32_t r = 0; r < keys; ++r) cdf_[r] = sum += 1.0 / std::pow(r + 1.0, s);
    for (auto& c : cdf_) c /= sum;
  }
  uint32_t Next() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<uint32_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

KeyspacePolicyParams LrfuParams(uint64_t keys, KeyspacePolicyParams::LrfuRule rule) {
  KeyspacePolicyParams p;
  p.expected_keys = keys;
  p.lrfu_rule = rule;
  return p;
}

TEST(KeyspacePolicy, SampledLrfuResistsScans) {
  double lrfu = SampledHitRatio(Algorithm::kLrfu);
  double lru = SampledHitRatio(Algorithm::kLru);
  double fifo = SampledHitRatio(Algorithm::kFifo);
  EXPECT_GT(lrfu, 0.6);  // the hot set is 2/3 of the requests
  EXPECT_GT(lrfu, lru + 0.05);
  EXPECT_GT(lrfu, fifo + 0.05);
}

TEST(KeyspacePolicy, LrfuFrequencyRuleRanksByCounterThenIdle) {
  KeyspacePolicy p(Algorithm::kLrfu, LrfuParams(1024, KeyspacePolicyParams::LrfuRule::kFrequency));
  EXPECT_TRUE(p.LrfuScoresByFrequency());
  uint32_t hot = p.OnInsert(1, 0);
  for (int i = 0; i < 3; ++i) hot = p.OnAccess(hot, 1, 0);  // counter 4, idle 100 s
  uint32_t cold = p.OnInsert(2, 99000);                     // counter 1, idle 1 s
  uint32_t colder = p.OnInsert(3, 50000);                   // counter 1, idle 50 s
  // The recency rule would evict the hot key (100 s / 5^1.75 > 1 s / 2^1.75); the frequency
  // rule keeps it, and evicts the longer idle of two equal counters first.
  EXPECT_GT(p.Score(cold, 2, KeyspacePolicy::kNoExpire, 100000),
            p.Score(hot, 1, KeyspacePolicy::kNoExpire, 100000));
  EXPECT_GT(p.Score(colder, 3, KeyspacePolicy::kNoExpire, 100000),
            p.Score(cold, 2, KeyspacePolicy::kNoExpire, 100000));
  KeyspacePolicy r(Algorithm::kLrfu, LrfuParams(1024, KeyspacePolicyParams::LrfuRule::kRecency));
  EXPECT_FALSE(r.LrfuScoresByFrequency());
  EXPECT_GT(r.Score(hot, 1, KeyspacePolicy::kNoExpire, 100000),
            r.Score(cold, 2, KeyspacePolicy::kNoExpire, 100000));
}

// A stationary Zipf stream at the end-to-end replays' request rate (200 per ms): the shadows
// pick the frequency rule, which keeps the frequent keys where recency-weighting loses them.
TEST(KeyspacePolicy, LrfuAdaptiveKeepsFrequentKeysOfAStationaryStream) {
  const uint32_t kKeys = 200000;
  const size_t kCap = 2000;
  auto run = [&](KeyspacePolicyParams::LrfuRule rule, bool* by_frequency) {
    KeyspacePolicy p(Algorithm::kLrfu, LrfuParams(kCap, rule));
    Zipf z(kKeys, 0.8, 7);
    double h = SampledRun(p, kCap, 400000, 200, [&](int) { return z.Next(); });
    if (by_frequency) *by_frequency = p.LrfuScoresByFrequency();
    return h;
  };
  bool by_frequency = false;
  double adaptive = run(KeyspacePolicyParams::LrfuRule::kAdaptive, &by_frequency);
  double recency = run(KeyspacePolicyParams::LrfuRule::kRecency, nullptr);
  double frequency = run(KeyspacePolicyParams::LrfuRule::kFrequency, nullptr);
  printf("zipf 0.8: adaptive %.4f, recency %.4f, frequency %.4f\n", adaptive, recency, frequency);
  EXPECT_TRUE(by_frequency);
  EXPECT_GT(frequency, recency + 0.01);
  EXPECT_GT(adaptive, recency + 0.01);
  EXPECT_GT(adaptive, frequency - 0.005);
}

// The same stationary stream with a one-time scan mixed in (a third of the requests): the scan
// does not flush the frequent keys.
TEST(KeyspacePolicy, LrfuAdaptiveScanDoesNotFlushFrequentKeys) {
  const size_t kCap = 2000;
  KeyspacePolicy p(Algorithm::kLrfu, LrfuParams(kCap, KeyspacePolicyParams::LrfuRule::kAdaptive));
  Zipf z(200000, 0.99, 9);
  uint32_t scan = 300000;
  double h = SampledRun(p, kCap, 300000, 200, [&](int i) {
    if (i % 3 == 0) return scan++;
    return z.Next();
  });
  // Two thirds of the requests are Zipf(0.99) over 200,000 keys; the best 2,000 of them take
  // about 64% of those, 43% of all requests.
  printf("zipf 0.99 + scan: hit ratio %.4f\n", h);
  EXPECT_GT(h, 0.38);
  EXPECT_TRUE(p.LrfuScoresByFrequency());
}

// Popularity that moves: every 20,000 requests a new set of 1,500 keys takes the traffic. The
// frequency rule keeps the old, dead favourites; the shadows see it and stay with recency.
TEST(KeyspacePolicy, LrfuAdaptiveStaysWithRecencyWhenPopularityShifts) {
  const size_t kCap = 2000;
  auto run = [&](KeyspacePolicyParams::LrfuRule rule, bool* by_frequency) {
    KeyspacePolicy p(Algorithm::kLrfu, LrfuParams(kCap, rule));
    std::mt19937_64 rng(11);
    double h = SampledRun(p, kCap, 300000, 200, [&](int i) {
      uint32_t phase = static_cast<uint32_t>(i / 20000);
      // Within a phase, a skewed choice among its 1,500 keys.
      uint32_t r = static_cast<uint32_t>(rng() % 1500);
      r = static_cast<uint32_t>(r * (rng() % 1500) / 1500);
      return phase * 1500 + r;
    });
    if (by_frequency) *by_frequency = p.LrfuScoresByFrequency();
    return h;
  };
  bool by_frequency = true;
  double adaptive = run(KeyspacePolicyParams::LrfuRule::kAdaptive, &by_frequency);
  double recency = run(KeyspacePolicyParams::LrfuRule::kRecency, nullptr);
  double frequency = run(KeyspacePolicyParams::LrfuRule::kFrequency, nullptr);
  printf("shifting: adaptive %.4f, recency %.4f, frequency %.4f\n", adaptive, recency, frequency);
  EXPECT_FALSE(by_frequency);
  EXPECT_GT(recency, frequency + 0.02);
  EXPECT_GT(adaptive, recency - 0.005);
}

TEST(KeyspacePolicy, LrfuShadowsAreSmallAndFollowTheKeyspace) {
  KeyspacePolicy p(Algorithm::kLrfu,
                   LrfuParams(1 << 20, KeyspacePolicyParams::LrfuRule::kAdaptive));
  size_t base = p.MemoryBytes() - p.sketch()->bytes();
  // Each shadow holds at most 2,048 keys: 8-byte entries and a 16-bit index.
  for (uint32_t k = 0; k < 200000; ++k) p.OnInsert(FrequencySketch::Mix64(k), k / 200);
  EXPECT_LT(p.MemoryBytes() - p.sketch()->bytes(), base + 2 * (2048 * 8 + 4096 * 2) + 1024);
  p.FitSketch(1000);  // all keys sampled now
  for (uint32_t k = 0; k < 5000; ++k) p.OnInsert(FrequencySketch::Mix64(k), 1000 + k / 200);
  // A new sampling rate with the same shadow size starts the shadows over (their index too).
  KeyspacePolicy q(Algorithm::kLrfu, LrfuParams(4000, KeyspacePolicyParams::LrfuRule::kAdaptive));
  for (uint32_t k = 0; k < 20000; ++k) q.OnInsert(FrequencySketch::Mix64(k), k / 200);
  q.FitSketch(8000);
  for (uint32_t k = 0; k < 20000; ++k) q.OnInsert(FrequencySketch::Mix64(k + 50000), 100 + k / 200);
  auto [recency_hits, frequency_hits] = p.LrfuShadowHits();
  EXPECT_GE(recency_hits, 0);
  EXPECT_GE(frequency_hits, 0);
  KeyspacePolicy fixed(Algorithm::kLrfu,
                       LrfuParams(1 << 20, KeyspacePolicyParams::LrfuRule::kRecency));
  EXPECT_EQ(fixed.LrfuShadowHits(), (std::pair<double, double>{0, 0}));
}

}  // namespace
}  // namespace strata::cache::sampled

namespace strata::cache::sampled {
namespace {

struct FakeKey {
  std::string name;
  uint32_t word;
  int64_t expire_ms;
  bool present = true;
};

TEST(PickVictim, EvictsTheBestLiveCandidateAcrossDbs) {
  KeyspacePolicy policy(Algorithm::kLru);
  EvictionPool pool;
  // db 0: idle 10 s and 50 s; db 1: idle 100 s but already deleted, and idle 70 s.
  std::vector<std::vector<FakeKey>> dbs = {
      {{"a", redis::LruClock(90 * kSec), KeyspacePolicy::kNoExpire},
       {"b", redis::LruClock(50 * kSec), KeyspacePolicy::kNoExpire}},
      {{"gone", redis::LruClock(0), KeyspacePolicy::kNoExpire, false},
       {"c", redis::LruClock(30 * kSec), KeyspacePolicy::kNoExpire}}};
  const int ids[] = {0, 1};
  auto sample = [&](int db, auto&& offer) {
    for (auto& k : dbs[db]) offer(k.word, k.name.size(), k.expire_ms, k.name);
  };
  auto exists = [&](const EvictionPool::Candidate& c) {
    for (auto& k : dbs[c.db]) {
      if (k.name == c.key) return k.present;
    }
    return false;
  };
  const auto* v = PickVictim(policy, pool, ids, 100 * kSec, sample, exists);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->key, "c");
  EXPECT_EQ(v->db, 1);
}

TEST(PickVictim, GivesUpOnAnEmptyOrStaleKeyspace) {
  KeyspacePolicy policy(Algorithm::kLfu);
  EvictionPool pool;
  const int ids[] = {0, 1, 2};
  int rounds = 0;
  auto nothing = [&](int, auto&&) { ++rounds; };
  EXPECT_EQ(PickVictim(policy, pool, ids, 0, nothing, [](const auto&) { return true; }), nullptr);
  EXPECT_EQ(rounds, 3);  // one round over three dbs
  auto stale = [&](int, auto&& offer) { offer(5u, 1u, KeyspacePolicy::kNoExpire, "k"); };
  EXPECT_EQ(PickVictim(
                policy, pool, ids, 0, stale, [](const auto&) { return false; }, 4),
            nullptr);
  EXPECT_TRUE(pool.empty());
}

TEST(PickVictim, VolatileTtlPrefersTheNearestExpiry) {
  KeyspacePolicy policy(Algorithm::kTtl);
  EvictionPool pool;
  const int ids[] = {0};
  auto sample = [&](int, auto&& offer) {
    offer(0u, 1u, 5000, "later");
    offer(0u, 2u, 1000, "soon");
    offer(0u, 3u, 3000, "middle");
  };
  const auto* v = PickVictim(policy, pool, ids, 0, sample, [](const auto&) { return true; });
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->key, "soon");
}

// LRFU's frequency sketch follows the keys the shard holds (the shard's cron calls FitSketch):
// small for a small keyspace, so a tight maxmemory is not spent on counters, and large enough
// for a big one that cold keys do not saturate it.
struct SketchRun {
  double hot_mean, cold_mean;
  uint64_t capacity;
};

// `cold_keys` keys inserted once each, and 1,000 hot keys inserted 8 times each, spread evenly
// among them (a returning key is re-inserted after its eviction).
SketchRun FillKeyspace(uint64_t cold_keys, bool fit) {
  KeyspacePolicyParams params;
  params.expected_keys = fit ? KeyspacePolicy::kMinSketchKeys : 65536;  // 65536: the old fixed size
  KeyspacePolicy p(Algorithm::kLrfu, params);
  const uint64_t kHot = 1000, kHotInserts = 8 * kHot;
  uint64_t hot_done = 0;
  for (uint64_t k = 0; k < cold_keys; k++) {
    p.OnInsert(FrequencySketch::Mix64(k + (1ull << 40)), 0);
    for (; hot_done * cold_keys < (k + 1) * kHotInserts; hot_done++)
      p.OnInsert(FrequencySketch::Mix64(hot_done % kHot), 0);
    if (fit && (k + 1) % 1000 == 0) p.FitSketch(k + 1);  // the cron: every 1,000 inserts
  }
  if (fit) p.FitSketch(cold_keys + kHot);
  SketchRun r{0, 0, p.sketch()->capacity()};
  for (uint64_t h = 0; h < kHot; h++) r.hot_mean += p.sketch()->Estimate(FrequencySketch::Mix64(h));
  // Cold keys from the last fifth of the run (earlier ones were counted while the keyspace was
  // still outgrowing the sketch, between two of the cron's resizes).
  const uint64_t samples = std::min<uint64_t>(10000, cold_keys / 5);
  for (uint64_t k = 0; k < samples; k++)
    r.cold_mean += p.sketch()->Estimate(
        FrequencySketch::Mix64(cold_keys - 1 - k * (cold_keys / 5 / samples) + (1ull << 40)));
  r.hot_mean /= double(kHot);
  r.cold_mean /= double(samples);
  printf("cold keys %llu, %s: capacity %zu, hot %.2f, cold %.2f\n",
         static_cast<unsigned long long>(cold_keys), fit ? "fitted" : "fixed", r.capacity,
         r.hot_mean, r.cold_mean);
  return r;
}

TEST(KeyspacePolicy, SketchIsSizedToTenThousandKeys) {
  SketchRun r = FillKeyspace(10000, true);
  EXPECT_LE(r.capacity, 16384u);  // 128 KB at most; the old floor was 512 KB per shard
  EXPECT_LT(r.cold_mean, 2.0);
  EXPECT_GT(r.hot_mean, r.cold_mean + 2);
}

TEST(KeyspacePolicy, SketchGrowsWithFiveMillionKeys) {
  SketchRun fixed = FillKeyspace(5000000, false);
  SketchRun fit = FillKeyspace(5000000, true);
  EXPECT_GE(fit.capacity, 4000000u);
  // Sized to the keyspace, hot keys (8 inserts each) stand out from cold ones (1 insert) ...
  EXPECT_LT(fit.cold_mean, 2.0);
  EXPECT_GT(fit.hot_mean, fit.cold_mean + 4);
  // ... where 65,536 counters per row, aged every 655,360 additions, remember only the last
  // eighth of the keyspace's history: hot keys look nearly as cold as cold ones.
  EXPECT_LT(fixed.hot_mean, fixed.cold_mean + 1.5);
}

TEST(KeyspacePolicy, SketchShrinksWhenTheKeyspaceDoes) {
  KeyspacePolicyParams params;
  params.expected_keys = 1 << 20;
  KeyspacePolicy p(Algorithm::kLrfu, params);
  p.FitSketch(600000);  // within the hysteresis band: no resize
  EXPECT_EQ(p.sketch()->capacity(), 1u << 20);
  p.FitSketch(100000);
  EXPECT_EQ(p.sketch()->capacity(), 1u << 17);
  p.FitSketch(10);  // never below the floor
  EXPECT_EQ(p.sketch()->capacity(), KeyspacePolicy::kMinSketchKeys);
}

}  // namespace
}  // namespace strata::cache::sampled
