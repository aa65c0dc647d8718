// Scalable Bloom filter (types/bloom.h): sizing, no false negatives, measured false-positive
// rates, scaling and non-scaling behaviour, copies, and the serialized form with corrupt input.
#include "kv/types/bloom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace strata::kv {
namespace {

std::string Item(const char* prefix, int i) { return std::string(prefix) + std::to_string(i); }

TEST(BloomTest, Sizing) {
  EXPECT_NEAR(BloomFilter::BitsPerItem(0.01), 9.585, 0.001);
  EXPECT_EQ(BloomFilter::HashCount(0.01), 7u);
  EXPECT_EQ(BloomFilter::HashCount(0.001), 10u);
  EXPECT_EQ(BloomFilter::HashCount(0.5), 1u);
  auto f = BloomFilter::Create(0.01, 1000, 2, true);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->layer_count(), 1u);
  const auto& l = f->layer(0);
  EXPECT_EQ(l.bits % 64, 0u);
  EXPECT_GE(double(l.bits), 1000 * BloomFilter::BitsPerItem(0.01));
  EXPECT_LT(double(l.bits), 1000 * BloomFilter::BitsPerItem(0.01) + 64);
  EXPECT_EQ(l.hashes, 7u);
  // A scaling filter's first layer takes half the rate.
  auto s = BloomFilter::Create(0.01, 1000, 2, false);
  EXPECT_DOUBLE_EQ(s->layer(0).error, 0.005);
}

TEST(BloomTest, RefusesBadParameters) {
  EXPECT_FALSE(BloomFilter::Create(0, 100, 2, false));
  EXPECT_FALSE(BloomFilter::Create(1, 100, 2, false));
  EXPECT_FALSE(BloomFilter::Create(-0.5, 100, 2, false));
  EXPECT_FALSE(BloomFilter::Create(std::nan(""), 100, 2, false));
  EXPECT_FALSE(BloomFilter::Create(0.01, 0, 2, false));
  EXPECT_FALSE(BloomFilter::Create(0.01, 100, 0, false));
  EXPECT_TRUE(BloomFilter::Create(0.01, 100, 0, true));
  // Too large a layer.
  EXPECT_FALSE(BloomFilter::Create(0.01, uint64_t(1) << 40, 2, false));
  EXPECT_FALSE(BloomFilter::Create(1e-300, 1000000000, 2, false));
}

TEST(BloomTest, AddAndContains) {
  auto f = BloomFilter::Create(0.01, 100, 2, false);
  EXPECT_FALSE(f->Contains("a"));
  EXPECT_EQ(f->Add("a"), BloomFilter::AddResult::kAdded);
  EXPECT_EQ(f->Add("a"), BloomFilter::AddResult::kExists);
  EXPECT_TRUE(f->Contains("a"));
  EXPECT_EQ(f->items(), 1u);
  EXPECT_EQ(f->Add(""), BloomFilter::AddResult::kAdded);
  EXPECT_TRUE(f->Contains(""));
}

double MeasuredRate(const BloomFilter& f, int n) {
  int fp = 0;
  for (int i = 0; i < n; i++) fp += f.Contains(Item("absent-", i));
  return double(fp) / n;
}

TEST(BloomTest, FalsePositiveRateNonScaling) {
  for (double e : {0.01, 0.001}) {
    auto f = BloomFilter::Create(e, 10000, 2, true);
    for (int i = 0; i < 10000; i++) {
      auto r = f->Add(Item("in-", i));
      ASSERT_NE(r, BloomFilter::AddResult::kFull);
    }
    for (int i = 0; i < 10000; i++) ASSERT_TRUE(f->Contains(Item("in-", i)));
    double rate = MeasuredRate(*f, 100000);
    EXPECT_LT(rate, e * 1.5) << e;
    EXPECT_GT(rate, e * 0.3) << e;  // sized to the rate, not far beyond it
  }
}

TEST(BloomTest, NonScalingFills) {
  auto f = BloomFilter::Create(0.01, 10, 2, true);
  int added = 0;
  BloomFilter::AddResult r = BloomFilter::AddResult::kAdded;
  for (int i = 0; i < 100 && r != BloomFilter::AddResult::kFull; i++) {
    r = f->Add(Item("x", i));
    added += r == BloomFilter::AddResult::kAdded;
  }
  EXPECT_EQ(r, BloomFilter::AddResult::kFull);
  EXPECT_EQ(added, 10);
  EXPECT_EQ(f->items(), 10u);
  EXPECT_EQ(f->layer_count(), 1u);
}

TEST(BloomTest, ScalesWithoutFalseNegatives) {
  auto f = BloomFilter::Create(0.01, 100, 2, false);
  for (int i = 0; i < 1000; i++) ASSERT_NE(f->Add(Item("s", i)), BloomFilter::AddResult::kFull);
  EXPECT_EQ(f->layer_count(), 4u);  // 100 + 200 + 400 + 800 >= 1000
  EXPECT_EQ(f->TotalCapacity(), 1500u);
  for (size_t i = 1; i < f->layer_count(); i++) {
    EXPECT_EQ(f->layer(i).capacity, f->layer(i - 1).capacity * 2);
    EXPECT_DOUBLE_EQ(f->layer(i).error, f->layer(i - 1).error * 0.5);
  }
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(f->Contains(Item("s", i)));
  EXPECT_LT(MeasuredRate(*f, 100000), 0.01 * 1.5);
}

TEST(BloomTest, CloneAndSerializeRoundTrip) {
  auto f = BloomFilter::Create(0.001, 50, 3, false);
  for (int i = 0; i < 500; i++) f->Add(Item("r", i));
  auto c = f->Clone();
  auto* cf = static_cast<BloomFilter*>(c.get());
  std::string bytes = f->Serialize();
  EXPECT_EQ(cf->Serialize(), bytes);
  auto p = BloomFilter::Parse(bytes);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->Serialize(), bytes);
  EXPECT_EQ(p->items(), f->items());
  EXPECT_EQ(p->layer_count(), f->layer_count());
  EXPECT_EQ(p->expansion(), 3u);
  EXPECT_FALSE(p->nonscaling());
  for (int i = 0; i < 500; i++) ASSERT_TRUE(p->Contains(Item("r", i)));
  EXPECT_GT(p->MemoryUsage(), p->InfoSize() - 200);
}

TEST(BloomTest, ParseRejectsCorruptInput) {
  auto f = BloomFilter::Create(0.01, 100, 2, false);
  f->Add("a");
  std::string good = f->Serialize();
  ASSERT_TRUE(BloomFilter::Parse(good));
  EXPECT_FALSE(BloomFilter::Parse(""));
  for (size_t n = 0; n < good.size(); n += 7)
    EXPECT_FALSE(BloomFilter::Parse(good.substr(0, n))) << n;
  EXPECT_FALSE(BloomFilter::Parse(good + "x"));
  // Every single-byte change of the header and layer fields is refused or parses into a filter
  // that re-serializes to exactly what was read (never a crash).
  for (size_t i = 0; i < 46 && i < good.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ (1 << bit));
      auto p = BloomFilter::Parse(bad);
      if (p) {
        EXPECT_EQ(p->Serialize(), bad);
      }
    }
  }
}

}  // namespace
}  // namespace strata::kv
