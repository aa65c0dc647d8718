// Textbook reference strings with known fault counts and eviction orders, and behaviours specific
// to each policy.
#include <gtest/gtest.h>

#include <string>

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

// Silberschatz's reference string: 3 frames give FIFO 15 faults, LRU 12, OPT 9.
const std::vector<uint64_t> kSilberschatz = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
                                             0, 3, 2, 1, 2, 0, 1, 7, 0, 1};

template <class P, class... Args>
int Faults(const std::vector<uint64_t>& refs, uint64_t capacity, Args&&... args) {
  Harness<P> c(capacity, std::forward<Args>(args)...);
  int faults = 0;
  for (uint64_t k : refs) faults += c.Request(k) ? 0 : 1;
  return faults;
}

std::vector<uint64_t> Keys(const std::string& s) { return {s.begin(), s.end()}; }

TEST(LruSequence, EvictionOrder) {
  Harness<Lru> c(3);
  for (uint64_t k : Keys("ABCADBE")) c.Request(k);
  EXPECT_EQ(c.evicted(), Keys("BCA"));
}

TEST(LruSequence, SilberschatzFaults) { EXPECT_EQ(Faults<Lru>(kSilberschatz, 3), 12); }

TEST(FifoSequence, SilberschatzFaults) { EXPECT_EQ(Faults<Fifo>(kSilberschatz, 3), 15); }

TEST(FifoSequence, BeladyAnomaly) {
  // FIFO faults more with 4 frames than with 3 on this string; LRU (a stack algorithm) cannot.
  const std::vector<uint64_t> refs = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
  EXPECT_EQ(Faults<Fifo>(refs, 3), 9);
  EXPECT_EQ(Faults<Fifo>(refs, 4), 10);
  EXPECT_EQ(Faults<Lru>(refs, 3), 10);
  EXPECT_EQ(Faults<Lru>(refs, 4), 8);
}

TEST(ClockSequence, SecondChance) {
  // A is referenced, so the hand clears it and takes B; D lands behind the hand; then C, then A
  // (its bit was cleared on the first sweep).
  Harness<Clock> c(3);
  for (uint64_t k : Keys("ABCADEF")) c.Request(k);
  EXPECT_EQ(c.evicted(), Keys("BCA"));
}

TEST(SieveSequence, NewEntriesAreDemotedQuickly) {
  // Same string as CLOCK: SIEVE keeps the hand where it stopped and new entries join at the
  // newest end, so after B and C it evicts the unvisited newcomer D, not A.
  Harness<Sieve> c(3);
  for (uint64_t k : Keys("ABCADEF")) c.Request(k);
  EXPECT_EQ(c.evicted(), Keys("BCD"));
  EXPECT_TRUE(c.Contains('A'));
}

TEST(RandomSequence, EvictsUniformly) {
  std::vector<int> counts(10, 0);
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    Harness<RandomPolicy> c(10, seed);
    for (uint64_t k = 0; k < 11; ++k) c.Request(k);
    counts[c.evicted().at(0)]++;
  }
  for (int n : counts) EXPECT_NEAR(n, 200, 60);
}

TEST(LfuSequence, FrequentKeysStayAndIdleCountersDecay) {
  Lfu p(3, redis::LfuParams{0, 1});  // log factor 0: every access increments
  std::vector<Entry<Lfu>> e(4);
  for (int i = 0; i < 3; ++i) {
    e[i].key = i;
    p.Insert(&e[i], i, 1);
  }
  for (int n = 0; n < 3; ++n) p.Access(&e[0]);  // counter 5 -> 8
  p.Access(&e[1]);                              // 5 -> 6
  EXPECT_EQ(p.Frequency(&e[0]), 8u);
  EXPECT_EQ(p.Frequency(&e[2]), 5u);
  EXPECT_EQ(static_cast<Entry<Lfu>*>(p.Evict())->key, 2u);
  // Ten minutes later both counters have decayed by 10 (to 0); the tie goes to the lower list.
  p.SetNow(10 * 60 * 1000);
  EXPECT_EQ(p.Frequency(&e[0]), 0u);
  e[3].key = 3;
  p.Insert(&e[3], 3, 1);  // fresh: counter 5
  EXPECT_EQ(static_cast<Entry<Lfu>*>(p.Evict())->key, 1u);
  EXPECT_EQ(static_cast<Entry<Lfu>*>(p.Evict())->key, 0u);
  EXPECT_EQ(static_cast<Entry<Lfu>*>(p.Evict())->key, 3u);
}

TEST(TtlSequence, NearestExpiryFirst) {
  TtlNearest p(10);
  std::vector<Entry<TtlNearest>> e(5);
  const int64_t expires[] = {500, TtlNearest::kNoExpire, 100, 300, 200};
  for (int i = 0; i < 5; ++i) {
    e[i].key = i;
    p.Insert(&e[i], i, 1);
    if (expires[i] != TtlNearest::kNoExpire) p.SetExpire(&e[i], expires[i]);
  }
  p.SetExpire(&e[0], 50);  // moved up
  p.Remove(&e[4]);
  std::vector<uint64_t> order;
  while (auto* h = p.Evict()) order.push_back(static_cast<Entry<TtlNearest>*>(h)->key);
  EXPECT_EQ(order, (std::vector<uint64_t>{0, 2, 3, 1}));
}

TEST(TtlSequence, OnlyVolatileNeverEvictsPersistentEntries) {
  TtlNearest p(10, TtlNearest::Options{.only_volatile = true});
  Entry<TtlNearest> a, b;
  p.Insert(&a, 1, 1);
  p.Insert(&b, 2, 1);
  p.SetExpire(&b, 1000);
  EXPECT_EQ(p.Evict(), &b);
  EXPECT_EQ(p.Evict(), nullptr);
  EXPECT_EQ(p.size(), 1u);
}

TEST(TwoQueueSequence, CorrelatedHitsDoNotPromote) {
  // capacity 4: A1in 1, A1out 2.
  Harness<TwoQueue> c(4);
  for (uint64_t k : Keys("AABCDE")) c.Request(k);  // A hit while in A1in: still FIFO
  EXPECT_EQ(c.evicted(), Keys("A"));
  EXPECT_TRUE(c.policy().ghost().Contains(Harness<TwoQueue>::Hash('A')));
  c.Request('A');  // ghost hit -> Am
  for (uint64_t k : Keys("FGHIJ")) c.Request(k);
  EXPECT_TRUE(c.Contains('A'));
}

TEST(ArcSequence, GhostHitsMoveTheTarget) {
  Harness<Arc> c(4);
  for (uint64_t k : Keys("ABCD")) c.Request(k);
  c.Request('A');  // A -> T2
  c.Request('E');  // evicts B from T1 into B1
  EXPECT_EQ(c.evicted(), Keys("B"));
  EXPECT_EQ(c.policy().target_t1(), 0.0);
  c.Request('B');  // B1 hit: p grows, B -> T2
  EXPECT_EQ(c.policy().target_t1(), 1.0);
  EXPECT_TRUE(c.Contains('B'));
  EXPECT_TRUE(c.Contains('A'));
}

TEST(PolicyMetadata, HookSizes) {
  EXPECT_EQ(sizeof(Lru::Hook), 24u);
  EXPECT_EQ(sizeof(Fifo::Hook), 24u);
  EXPECT_EQ(sizeof(Clock::Hook), 24u);
  EXPECT_EQ(sizeof(Sieve::Hook), 24u);
  EXPECT_EQ(sizeof(RandomPolicy::Hook), 8u);
  EXPECT_EQ(sizeof(Lfu::Hook), 24u);
  EXPECT_EQ(sizeof(TtlNearest::Hook), 16u);
  EXPECT_EQ(sizeof(S3Fifo::Hook), 32u);
  EXPECT_EQ(sizeof(WTinyLfu::Hook), 32u);
  EXPECT_EQ(sizeof(TwoQueue::Hook), 32u);
  EXPECT_EQ(sizeof(Arc::Hook), 32u);
}

TEST(S3FifoSequence, OneHitWondersLeaveFirst) {
  // capacity 10: small 1, main 9.
  Harness<S3Fifo> c(10);
  EXPECT_EQ(c.policy().small_capacity(), 1u);
  c.Request(100);
  c.Request(100);                                  // hit while in S
  for (uint64_t k = 0; k < 30; ++k) c.Request(k);  // one-hit wonders
  EXPECT_TRUE(c.Contains(100));
  // 100 was promoted to M; the rest churned through S and are ghosts.
  EXPECT_GT(c.policy().ghost().size(), 0u);
}

TEST(S3FifoSequence, GhostHitGoesToMain) {
  Harness<S3Fifo> c(10);
  c.Request(1);
  for (uint64_t k = 10; k < 20; ++k) c.Request(k);  // the 11th key evicts 1 (unused) from S
  EXPECT_EQ(c.evicted(), std::vector<uint64_t>{1});
  EXPECT_FALSE(c.Contains(1));
  EXPECT_TRUE(c.policy().ghost().Contains(Harness<S3Fifo>::Hash(1)));
  c.Request(1);  // ghost hit: straight into M
  EXPECT_FALSE(c.policy().ghost().Contains(Harness<S3Fifo>::Hash(1)));
  for (uint64_t k = 20; k < 28; ++k) c.Request(k);  // churn S only
  EXPECT_TRUE(c.Contains(1));
}

TEST(S3FifoSequence, MainIsAClock) {
  // capacity 3 -> small 1, main 2.
  Harness<S3Fifo> c(3);
  for (uint64_t k : Keys("abcd")) c.Request(k);  // d evicts a from S -> ghost
  c.Request('a');                                // evicts b (ghost); a is a ghost -> M
  c.Request('b');                                // evicts c (ghost); b -> M
  EXPECT_EQ(c.evicted(), Keys("abc"));
  c.Request('a');  // hit: a.freq = 1
  c.Request('e');  // M at its share: S's d is evicted
  c.Request('d');  // S's e is evicted; ghosts are bounded by M's share (2): c is forgotten, d is
                   // a ghost -> M, now over its share
  EXPECT_EQ(c.evicted(), Keys("abcde"));
  EXPECT_FALSE(c.policy().ghost().Contains(Harness<S3Fifo>::Hash('c')));
  c.Request('f');  // evict from M: a has freq 1 (second chance), b goes
  EXPECT_EQ(c.evicted(), Keys("abcdeb"));
  EXPECT_TRUE(c.Contains('a'));
  EXPECT_TRUE(c.Contains('d'));
  EXPECT_TRUE(c.Contains('f'));
}

TEST(WTinyLfuSequence, FrequentKeysResistAScan) {
  Harness<WTinyLfu> c(100);
  for (int round = 0; round < 20; ++round) {
    for (uint64_t k = 0; k < 50; ++k) c.Request(k);
  }
  for (uint64_t k = 1000; k < 20000; ++k) c.Request(k);  // one long scan
  int kept = 0;
  for (uint64_t k = 0; k < 50; ++k) kept += c.Contains(k) ? 1 : 0;
  EXPECT_GE(kept, 45);
}

TEST(WTinyLfuSequence, ShareSizes) {
  WTinyLfu p(1000);
  EXPECT_EQ(p.window_capacity(), 10u);
  EXPECT_EQ(p.protected_capacity(), 792u);
  WTinyLfu tiny(2);
  EXPECT_EQ(tiny.window_capacity(), 1u);
  EXPECT_EQ(tiny.protected_capacity(), 0u);
}

}  // namespace
}  // namespace strata::cache::testing
