// The contract every list/queue eviction policy must keep (policy.h), run against each policy.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "cache/policy/arc.h"
#include "cache/policy/clock.h"
#include "cache/policy/fifo.h"
#include "cache/policy/lfu.h"
#include "cache/policy/lru.h"
#include "cache/policy/random.h"
#include "cache/policy/s3fifo.h"
#include "cache/policy/sieve.h"
#include "cache/policy/ttl.h"
#include "cache/policy/two_queue.h"
#include "cache/policy/wtinylfu.h"
#include "policy_test_util.h"

namespace strata::cache::testing {
namespace {

// W-TinyLFU with the hill climber moving the window/main split.
struct AdaptiveWTinyLfu : WTinyLfu {
  explicit AdaptiveWTinyLfu(uint64_t capacity)
      : WTinyLfu(capacity, Options{.expected_entries = 0, .seed = 1, .adaptive = true}) {}
};

template <class P>
class PolicyContractTest : public ::testing::Test {};

using Policies = ::testing::Types<Lru, Fifo, Clock, Sieve, RandomPolicy, Lfu, TtlNearest, S3Fifo,
                                  WTinyLfu, AdaptiveWTinyLfu, TwoQueue, Arc>;
TYPED_TEST_SUITE(PolicyContractTest, Policies);

// Policies that use recency or frequency (not FIFO, Random or TTL order).
template <class P>
class AdaptivePolicyTest : public ::testing::Test {};
using AdaptivePolicies =
    ::testing::Types<Lru, Clock, Sieve, Lfu, S3Fifo, WTinyLfu, AdaptiveWTinyLfu, TwoQueue, Arc>;
TYPED_TEST_SUITE(AdaptivePolicyTest, AdaptivePolicies);

TYPED_TEST(PolicyContractTest, SatisfiesConcept) {
  static_assert(EvictionPolicy<TypeParam>);
  SUCCEED();
}

TYPED_TEST(PolicyContractTest, EmptyPolicyHasNoVictim) {
  TypeParam p(10);
  EXPECT_EQ(p.Evict(), nullptr);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.weight(), 0u);
  EXPECT_EQ(p.capacity(), 10u);
}

TYPED_TEST(PolicyContractTest, EvictReturnsEveryEntryOnce) {
  TypeParam p(1000);
  std::vector<Entry<TypeParam>> entries(100);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].key = i;
    p.OnMiss(i, 3);
    p.Insert(&entries[i], i, 3);
  }
  EXPECT_EQ(p.size(), 100u);
  EXPECT_EQ(p.weight(), 300u);
  for (size_t i = 0; i < entries.size(); i += 3) p.Access(&entries[i]);
  std::set<uint64_t> seen;
  while (auto* h = p.Evict()) {
    EXPECT_TRUE(seen.insert(static_cast<Entry<TypeParam>*>(h)->key).second);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.weight(), 0u);
}

TYPED_TEST(PolicyContractTest, RemovedEntriesAreNeverVictims) {
  TypeParam p(1000);
  std::vector<Entry<TypeParam>> entries(200);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].key = i;
    p.Insert(&entries[i], i, 1);
    if (i % 4 == 0) p.Access(&entries[i]);
  }
  for (size_t i = 0; i < entries.size(); i += 2) p.Remove(&entries[i]);
  EXPECT_EQ(p.size(), 100u);
  EXPECT_EQ(p.weight(), 100u);
  size_t n = 0;
  while (auto* h = p.Evict()) {
    EXPECT_EQ(static_cast<Entry<TypeParam>*>(h)->key % 2, 1u);
    ++n;
  }
  EXPECT_EQ(n, 100u);
}

TYPED_TEST(PolicyContractTest, HitsWhileEverythingFits) {
  Harness<TypeParam> c(64);
  for (uint64_t k = 0; k < 64; ++k) EXPECT_FALSE(c.Request(k));
  for (int round = 0; round < 3; ++round) {
    for (uint64_t k = 0; k < 64; ++k) EXPECT_TRUE(c.Request(k)) << k;
  }
  EXPECT_TRUE(c.evicted().empty());
}

// Byte weights: random sizes, random keys, deletes; the total weight never exceeds the capacity
// and always equals the owner's view.
TYPED_TEST(PolicyContractTest, ByteWeightsNeverExceedCapacity) {
  for (uint64_t capacity : {1ull, 2ull, 3ull, 10ull, 1000ull, 100000ull}) {
    Harness<TypeParam> c(capacity);
    std::mt19937_64 rng(capacity);
    std::uniform_int_distribution<uint64_t> key(0, 500);
    std::uniform_int_distribution<uint32_t> size(1, 2000);
    for (int i = 0; i < 20000; ++i) {
      uint64_t k = key(rng);
      if (rng() % 10 == 0) {
        c.Erase(k);
      } else {
        uint32_t w = capacity < 10 ? 1 : size(rng);
        c.Request(k, w);
      }
      ASSERT_LE(c.policy().weight(), capacity);
      ASSERT_EQ(c.policy().weight(), c.OwnerWeight());
      ASSERT_EQ(c.policy().size(), c.OwnerSize());
    }
  }
}

TYPED_TEST(PolicyContractTest, OversizedEntryIsRejected) {
  Harness<TypeParam> c(100);
  c.Request(1, 60);
  EXPECT_FALSE(c.Request(2, 101));
  EXPECT_FALSE(c.Contains(2));
  EXPECT_TRUE(c.Contains(1));
  EXPECT_TRUE(c.evicted().empty());
}

TYPED_TEST(PolicyContractTest, CountCapacityIsExact) {
  for (uint64_t capacity : {1ull, 2ull, 5ull, 37ull}) {
    Harness<TypeParam> c(capacity);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 5000; ++i) {
      c.Request(rng() % 100);
      ASSERT_LE(c.policy().size(), capacity);
    }
    EXPECT_EQ(c.policy().size(), capacity);
  }
}

// A hot key requested between every miss of a long scan survives in every policy.
TYPED_TEST(AdaptivePolicyTest, HotKeySurvivesScan) {
  Harness<TypeParam> c(100);
  for (uint64_t i = 0; i < 10000; ++i) {
    c.Request(1'000'000);
    c.Request(i);
  }
  EXPECT_TRUE(c.Contains(1'000'000));
}

TYPED_TEST(PolicyContractTest, RemoveAllThenReuse) {
  Harness<TypeParam> c(50);
  for (uint64_t k = 0; k < 200; ++k) c.Request(k % 70);
  for (uint64_t k = 0; k < 70; ++k) c.Erase(k);
  EXPECT_EQ(c.policy().size(), 0u);
  EXPECT_EQ(c.policy().weight(), 0u);
  EXPECT_EQ(c.policy().Evict(), nullptr);
  for (uint64_t k = 0; k < 50; ++k) c.Request(k + 1000);
  EXPECT_EQ(c.policy().size(), 50u);
}

}  // namespace
}  // namespace strata::cache::testing
