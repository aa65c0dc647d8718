#include "cache/sketch/top_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace strata::cache {
namespace {

uint64_t HashOf(const std::string& k) { return std::hash<std::string>{}(k); }

void Access(TopKeys& t, const std::string& k, uint32_t tag = 0) { t.Record(tag, k, HashOf(k)); }

// Key ranks drawn from a Zipf(s) distribution over n keys (rank 0 the most frequent).
class Zipf {
 public:
  Zipf(size_t n, double s, uint64_t seed) : rng_(seed) {
    cdf_.resize(n);
    double sum = 0;
    for (size_t i = 0; i < n; i++) cdf_[i] = sum += 1.0 / std::pow(double(i + 1), s);
    for (double& c : cdf_) c /= sum;
  }
  size_t Next() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return size_t(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::mt19937_64 rng_;
  std::vector<double> cdf_;
};

std::string Key(size_t i) { return "key:" + std::to_string(i); }

TEST(TopKeys, EmptyAndSmall) {
  TopKeys t;
  EXPECT_TRUE(t.Top(10).empty());
  for (int i = 0; i < 5; i++) Access(t, "a");
  for (int i = 0; i < 3; i++) Access(t, "b");
  Access(t, "c");
  auto top = t.Top(10);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[0].count, 5u);
  EXPECT_EQ(top[1].key, "b");
  EXPECT_EQ(top[1].count, 3u);
  EXPECT_EQ(top[2].key, "c");
  EXPECT_EQ(t.Top(1).size(), 1u);
}

TEST(TopKeys, TagIsPartOfTheIdentity) {
  TopKeys t;
  for (int i = 0; i < 4; i++) Access(t, "k", 0);
  for (int i = 0; i < 2; i++) Access(t, "k", 3);
  auto top = t.Top(10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].tag, 0u);
  EXPECT_EQ(top[0].count, 4u);
  EXPECT_EQ(top[1].tag, 3u);
  EXPECT_EQ(top[1].count, 2u);
}

void ExpectZipfTop10(uint32_t period, size_t must_find) {
  TopKeys t;
  t.set_sample_period(period);
  Zipf z(100000, 1.0, 7);
  std::vector<uint64_t> truth(100000);
  for (int i = 0; i < 2000000; i++) {
    size_t r = z.Next();
    truth[r]++;
    Access(t, Key(r));
  }
  std::vector<size_t> order(truth.size());
  for (size_t i = 0; i < order.size(); i++) order[i] = i;
  std::partial_sort(order.begin(), order.begin() + 10, order.end(),
                    [&](size_t a, size_t b) { return truth[a] > truth[b]; });
  std::set<std::string> want;
  for (size_t i = 0; i < 10; i++) want.insert(Key(order[i]));
  auto top = t.Top(10);
  ASSERT_EQ(top.size(), 10u);
  size_t found = 0;
  for (const auto& it : top) found += want.count(it.key);
  EXPECT_GE(found, must_find) << "period " << period;
  // The hottest key comes first.
  EXPECT_EQ(top[0].key, Key(order[0]));
  for (size_t i = 1; i < top.size(); i++) EXPECT_GE(top[i - 1].count, top[i].count);
  EXPECT_LE(t.size(), t.capacity());
}

TEST(TopKeys, FindsTheTrueTop10OfAZipfStream) { ExpectZipfTop10(1, 10); }

TEST(TopKeys, FindsTheTop10WhenSampling) { ExpectZipfTop10(8, 9); }

TEST(TopKeys, MemoryIsBounded) {
  TopKeys t;
  size_t sketch = t.sketch().bytes();
  std::string pad(200, 'x');
  for (int i = 0; i < 300000; i++) Access(t, pad + std::to_string(i % 50000));
  // Keys longer than kMaxKeyBytes are ignored.
  std::string huge(TopKeys::kMaxKeyBytes + 1, 'h');
  for (int i = 0; i < 100; i++) Access(t, huge);
  EXPECT_LE(t.size(), TopKeys::kDefaultCapacity);
  for (const auto& it : t.Top(100)) EXPECT_NE(it.key, huge);
  size_t bound = sketch + 4 * 256 + TopKeys::kDefaultCapacity * (64 + TopKeys::kMaxKeyBytes + 1);
  EXPECT_LE(t.bytes(), bound);
  EXPECT_EQ(t.sketch().bytes(), sketch);
}

TEST(TopKeys, AgingLetsANewHotKeyDisplaceAnOldOne) {
  TopKeys t;
  std::mt19937_64 rng(3);
  // Phase 1: "old" is hot among 20000 cold keys.
  for (int i = 0; i < 400000; i++) {
    if (i % 10 == 0)
      Access(t, "old");
    else
      Access(t, Key(rng() % 20000));
  }
  ASSERT_EQ(t.Top(1)[0].key, "old");
  uint64_t agings = t.sketch().agings();
  // Phase 2: "new" is hot, "old" is never read again.
  for (int i = 0; i < 400000; i++) {
    if (i % 10 == 0)
      Access(t, "new");
    else
      Access(t, Key(rng() % 20000));
  }
  EXPECT_GT(t.sketch().agings(), agings);
  auto top = t.Top(64);
  ASSERT_FALSE(top.empty());
  EXPECT_EQ(top[0].key, "new");
  for (const auto& it : top)
    if (it.key == "old") {
      EXPECT_LT(it.count, top[0].count / 4);
    }
}

TEST(TopKeys, ANewHotKeyEntersAFullTableOfWarmKeys) {
  TopKeys t(8);
  // Eight warm keys fill the table, each seen many times.
  for (int r = 0; r < 2000; r++)
    for (int k = 0; k < 8; k++) Access(t, Key(k));
  // A new key, hotter than any of them, plus cold noise so that the sketch ages.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 300000; i++) {
    if (i % 4 == 0)
      Access(t, "hot");
    else if (i % 4 == 1)
      Access(t, Key(i % 8));
    else
      Access(t, Key(1000 + rng() % 50000));
  }
  EXPECT_EQ(t.Top(1)[0].key, "hot");
}

TEST(TopKeys, SwapTagsMovesCandidates) {
  TopKeys t;
  for (int i = 0; i < 30; i++) Access(t, "a", 0);
  for (int i = 0; i < 20; i++) Access(t, "b", 1);
  for (int i = 0; i < 10; i++) Access(t, "c", 2);
  t.SwapTags(0, 1);
  auto top = t.Top(10);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].key, "a");
  EXPECT_EQ(top[0].tag, 1u);
  EXPECT_EQ(top[1].key, "b");
  EXPECT_EQ(top[1].tag, 0u);
  EXPECT_EQ(top[2].tag, 2u);
  // Later accesses find the moved candidates under their new tag.
  for (int i = 0; i < 5; i++) Access(t, "a", 1);
  EXPECT_EQ(t.Top(1)[0].count, 35u);
  EXPECT_EQ(t.size(), 3u);
}

TEST(TopKeys, ResetForgets) {
  TopKeys t;
  for (int i = 0; i < 100; i++) Access(t, "a");
  t.Reset();
  EXPECT_TRUE(t.Top(10).empty());
  EXPECT_EQ(t.size(), 0u);
  Access(t, "b");
  ASSERT_EQ(t.Top(10).size(), 1u);
  EXPECT_EQ(t.Top(10)[0].key, "b");
}

TEST(TopKeys, SampledCountsAreScaled) {
  TopKeys t;
  t.set_sample_period(10);
  for (int i = 0; i < 100000; i++) Access(t, "a");
  auto top = t.Top(1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_GT(top[0].count, 80000u);
  EXPECT_LT(top[0].count, 120000u);
}

TEST(TopKeys, ChurnKeepsTheIndexConsistent) {
  // Many replacements (uniform keys) must never lose or duplicate a candidate.
  TopKeys t(16, 64);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 200000; i++) Access(t, Key(rng() % 300));
  for (int k = 0; k < 300; k++) {
    for (int i = 0; i < 3; i++) Access(t, Key(k));
  }
  auto top = t.Top(100);
  std::set<std::string> seen;
  for (const auto& it : top) EXPECT_TRUE(seen.insert(it.key).second) << it.key;
  EXPECT_LE(top.size(), 16u);
}

}  // namespace
}  // namespace strata::cache
