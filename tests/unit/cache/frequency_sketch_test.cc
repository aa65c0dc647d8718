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

}  // namespace
}  // namespace strata::cache
