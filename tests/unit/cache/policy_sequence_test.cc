// Textbook reference strings with known fault counts and eviction orders, and behaviours specific
// to each policy.
#include <gtest/gtest.h>

#include <string>

#include "cache/policy/lru.h"
#include "cache/policy/s3fifo.h"
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
