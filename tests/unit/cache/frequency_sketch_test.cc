#include "cache/sketch/frequency_sketch.h"

#include <gtest/gtest.h>

namespace strata::cache {
namespace {

TEST(FrequencySketch, CountsAndSaturates) {
  FrequencySketch s(1024);
  EXPECT_EQ(s.Estimate(42), 0u);
  for (int i = 0; i < 5; ++i) s.Increment(42);
  EXPECT_EQ(s.Estimate(42), 5u);
  for (int i = 0; i < 100; ++i) s.Increment(42);
  EXPECT_EQ(s.Estimate(42), 15u);
}

TEST(FrequencySketch, NeverUnderestimatesBeforeAging) {
  FrequencySketch s(4096);
  for (uint64_t k = 0; k < 2000; ++k) {
    for (uint64_t i = 0; i <= k % 7; ++i) s.Increment(k);
  }
  for (uint64_t k = 0; k < 2000; ++k) EXPECT_GE(s.Estimate(k), k % 7 + 1) << k;
}

TEST(FrequencySketch, AgesByHalving) {
  FrequencySketch s(16);
  EXPECT_EQ(s.width(), 64u);
  EXPECT_EQ(s.sample_size(), 160u);
  for (int i = 0; i < 12; ++i) s.Increment(7);
  s.Age();
  EXPECT_EQ(s.Estimate(7), 6u);
  // Automatic aging: after sample_size() additions the counters were halved at least once.
  FrequencySketch t(16);
  for (int i = 0; i < 14; ++i) t.Increment(1);
  for (uint64_t k = 100; k < 100 + t.sample_size(); ++k) t.Increment(k);
  EXPECT_LE(t.Estimate(1), 7u);
}

TEST(FrequencySketch, MemoryIsEightBytesPerExpectedEntry) {
  FrequencySketch s(1 << 16);
  EXPECT_EQ(s.bytes(), 8u << 16);
}

// Counts survive growing and shrinking, while the migration is under way and after it.
TEST(FrequencySketch, ResizeKeepsWhatWasCounted) {
  FrequencySketch s(1024);
  EXPECT_EQ(s.capacity(), 1024u);
  auto count = [](uint64_t k) { return k % 5 + 1; };
  for (uint64_t k = 0; k < 500; ++k)
    for (uint64_t i = 0; i < count(k); ++i) s.Increment(k);
  for (uint64_t grow : {2048u, 4096u}) {
    s.Resize(grow);
    EXPECT_EQ(s.capacity(), grow);
    EXPECT_TRUE(s.resizing());
    EXPECT_EQ(s.bytes(), 8 * grow + 8 * (grow / 2));
    s.MigrateSome(3);  // part-way: some words from each table
    for (uint64_t k = 0; k < 500; ++k) EXPECT_GE(s.Estimate(k), count(k)) << k;
    s.Increment(7);  // an increment during the migration is not lost
    while (!s.MigrateSome(5)) {
    }
    EXPECT_FALSE(s.resizing());
    EXPECT_EQ(s.bytes(), 8 * grow);
    for (uint64_t k = 0; k < 500; ++k) EXPECT_GE(s.Estimate(k), count(k) + (k == 7)) << k;
    EXPECT_LE(s.Estimate(1000000), 2u);  // an unseen key stays (nearly) unseen
  }
  // Shrinking folds counters together: still upper bounds.
  s.Resize(256);
  EXPECT_EQ(s.capacity(), 256u);
  for (uint64_t k = 0; k < 500; ++k) EXPECT_GE(s.Estimate(k), count(k)) << k;
  s.MigrateSome(UINT64_MAX);
  for (uint64_t k = 0; k < 500; ++k) EXPECT_GE(s.Estimate(k), count(k)) << k;
  EXPECT_EQ(s.bytes(), 8u * 256);
  // A second resize before the first is carried over finishes the first.
  s.Resize(512);
  s.Resize(1024);
  for (uint64_t k = 0; k < 500; ++k) EXPECT_GE(s.Estimate(k), count(k)) << k;
  s.Resize(1024);  // same size: nothing to do
  EXPECT_TRUE(s.resizing());
  // Grown 4x or more, the old counters are dropped: the keys had outgrown that table.
  s.Resize(1u << 14);
  EXPECT_FALSE(s.resizing());
  EXPECT_EQ(s.Estimate(4), 0u);
}

TEST(FrequencySketch, IncrementAndEstimateMatchesTheTwoCalls) {
  FrequencySketch a(64), b(64);
  for (uint64_t i = 0; i < 40000; ++i) {
    if (i == 20000) {  // and while a resize (a shrink, which keeps the old table) is carried over
      a.Resize(16);
      b.Resize(16);
      ASSERT_TRUE(a.resizing());
    }
    if (i > 20000 && i % 100 == 0) {
      a.MigrateSome(1);
      b.MigrateSome(1);
    }
    uint64_t k = (i * 7919) % 1000 < 900 ? i % 50 : i;
    b.Increment(k);
    ASSERT_EQ(a.IncrementAndEstimate(k), b.Estimate(k)) << i;
  }
  EXPECT_EQ(a.agings(), b.agings());
  EXPECT_GT(a.agings(), 0u);
  EXPECT_EQ(a.resizing(), b.resizing());
}

}  // namespace
}  // namespace strata::cache
