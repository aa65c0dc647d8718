#include "strata/bloom_filter.h"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::string Item(const char* prefix, int i) { return std::string(prefix) + std::to_string(i); }

// Fills a filter of `capacity` with `capacity` items, then probes 100k items never added.
double MeasuredFpRate(double error_rate) {
  constexpr int kCapacity = 100000;
  constexpr int kProbes = 100000;
  strata::BloomFilter bf(kCapacity, error_rate);
  for (int i = 0; i < kCapacity; ++i) bf.Add(Item("member:", i));
  EXPECT_EQ(bf.Layers(), 1u);
  for (int i = 0; i < kCapacity; ++i) EXPECT_TRUE(bf.Exists(Item("member:", i))) << i;
  int fp = 0;
  for (int i = 0; i < kProbes; ++i) fp += bf.Exists(Item("stranger:", i)) ? 1 : 0;
  return static_cast<double>(fp) / kProbes;
}

TEST(BloomFilter, FalsePositiveRateAtOnePercent) {
  const double rate = MeasuredFpRate(0.01);
  EXPECT_LE(rate, 0.015);
  EXPECT_GT(rate, 0.0);
}

TEST(BloomFilter, FalsePositiveRateAtOnePerMille) {
  const double rate = MeasuredFpRate(0.001);
  EXPECT_LE(rate, 0.0015);
}

TEST(BloomFilter, AddReportsNewItems) {
  strata::BloomFilter bf(100, 0.01);
  EXPECT_FALSE(bf.Exists("a"));
  EXPECT_TRUE(bf.Add("a"));
  EXPECT_FALSE(bf.Add("a"));
  EXPECT_TRUE(bf.Exists("a"));
  EXPECT_EQ(bf.Items(), 1u);
  std::vector<std::string> items{"a", "b", "c", "b"};
  EXPECT_EQ(bf.MAdd(items), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(bf.Items(), 3u);
  std::vector<std::string_view> probe{"c", "a", "b"};
  EXPECT_EQ(bf.MExists(probe), (std::vector<bool>{true, true, true}));
  EXPECT_TRUE(bf.Add(std::string("with\0nul", 8)));
  EXPECT_TRUE(bf.Exists(std::string("with\0nul", 8)));
}

TEST(BloomFilter, ScalingAddsLayersWithoutFalseNegatives) {
  strata::BloomFilter bf(1000, 0.01);
  const size_t size0 = bf.SizeBytes();
  EXPECT_EQ(bf.Capacity(), 1000u);
  uint64_t added = 0;
  for (int i = 0; i < 10000; ++i) added += bf.Add(Item("k", i)) ? 1 : 0;
  EXPECT_EQ(bf.Items(), added);
  EXPECT_GE(added, 9800u);  // a few adds may be refused as (false) duplicates
  // Layers of 1000, 2000, 4000, 8000 hold the 10000 items.
  EXPECT_EQ(bf.Layers(), 4u);
  EXPECT_EQ(bf.Capacity(), 15000u);
  EXPECT_GT(bf.SizeBytes(), 10 * size0);
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(bf.Exists(Item("k", i))) << i;
  // Tightened layers keep the compound rate under 2 x the configured rate.
  int fp = 0;
  for (int i = 0; i < 100000; ++i) fp += bf.Exists(Item("other", i)) ? 1 : 0;
  EXPECT_LE(fp, 2000);
}

TEST(BloomFilter, ExpansionOneKeepsLayerSize) {
  strata::BloomFilter bf(100, 0.01, 1);
  for (int i = 0; i < 1000; ++i) bf.Add(Item("x", i));
  EXPECT_GE(bf.Layers(), 10u);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bf.Exists(Item("x", i)));
}

TEST(BloomFilter, RejectsBadParameters) {
  EXPECT_THROW(strata::BloomFilter(0, 0.01), std::invalid_argument);
  EXPECT_THROW(strata::BloomFilter(10, 0.0), std::invalid_argument);
  EXPECT_THROW(strata::BloomFilter(10, 1.0), std::invalid_argument);
  EXPECT_THROW(strata::BloomFilter(10, -0.5), std::invalid_argument);
  EXPECT_THROW(strata::BloomFilter(10, 0.01, 0), std::invalid_argument);
}

TEST(BloomFilter, ConcurrentAddsAndQueries) {
  strata::BloomFilter bf(5000, 0.01);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        bf.Add(Item("t", t * 100000 + i));
        // Our own earlier adds must be visible.
        if (i % 100 == 0) {
          EXPECT_TRUE(bf.Exists(Item("t", t * 100000 + i / 2)));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 5000; ++i) EXPECT_TRUE(bf.Exists(Item("t", t * 100000 + i)));
  }
  EXPECT_GE(bf.Layers(), 3u);  // 20000 items: 5000 + 10000 + 20000
}

}  // namespace
