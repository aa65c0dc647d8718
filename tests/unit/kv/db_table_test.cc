#include "kv/engine/db_table.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace strata::kv {
namespace {

void Put(DbTable& t, const std::string& k, int64_t expire = -1) {
  t.Insert(Entry::Create(k, "v" + k, expire, false), DbTable::Hash(k));
}

TEST(DbTable, InsertFindUnlink) {
  DbTable t;
  for (int i = 0; i < 1000; i++) Put(t, "key:" + std::to_string(i));
  EXPECT_EQ(t.size(), 1000u);
  for (int i = 0; i < 1000; i++) {
    std::string k = "key:" + std::to_string(i);
    Entry* e = t.Find(k, DbTable::Hash(k));
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value(), "v" + k);
  }
  EXPECT_EQ(t.Find("nope", DbTable::Hash("nope")), nullptr);
  for (int i = 0; i < 1000; i += 2) {
    std::string k = "key:" + std::to_string(i);
    Entry::Destroy(t.Unlink(t.FindLink(k, DbTable::Hash(k))));
  }
  EXPECT_EQ(t.size(), 500u);
}

TEST(DbTable, GrowsIncrementally) {
  DbTable t;
  bool saw_rehash = false;
  for (int i = 0; i < 100000; i++) {
    Put(t, std::to_string(i));
    saw_rehash |= t.rehashing();
    // Lookups stay correct while both tables are live.
    if (t.rehashing() && i % 97 == 0) {
      std::string k = std::to_string(i / 2);
      ASSERT_NE(t.Find(k, DbTable::Hash(k)), nullptr);
    }
  }
  EXPECT_TRUE(saw_rehash);
  while (t.RehashStep(1000)) {
  }
  EXPECT_GE(t.bucket_count(), 100000u);
  EXPECT_EQ(t.size(), 100000u);
}

TEST(DbTable, ScanReturnsEveryKeyPresentThroughoutDespiteGrowth) {
  DbTable t;
  std::set<std::string> original;
  for (int i = 0; i < 5000; i++) {
    std::string k = "orig:" + std::to_string(i);
    Put(t, k);
    original.insert(k);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = t.Scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table in the middle of the scan (several resizes).
    if (step++ % 3 == 0 && step < 60) {
      for (int j = 0; j < 300; j++) Put(t, "new:" + std::to_string(step) + ":" + std::to_string(j));
    }
  } while (cursor != 0);
  for (const auto& k : original) ASSERT_TRUE(seen.count(k)) << k;
}

TEST(DbTable, ScanSurvivesShrink) {
  DbTable t;
  for (int i = 0; i < 4000; i++) Put(t, "k" + std::to_string(i));
  while (t.RehashStep(1000)) {
  }
  std::set<std::string> keep;
  for (int i = 0; i < 100; i++) keep.insert("k" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = t.Scan(0, [&](Entry* e) { seen.insert(std::string(e->key())); });
  for (int i = 100; i < 4000; i++) {
    std::string k = "k" + std::to_string(i);
    Entry::Destroy(t.Unlink(t.FindLink(k, DbTable::Hash(k))));
  }
  t.MaybeShrink();
  while (cursor != 0)
    cursor = t.Scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
  for (const auto& k : keep) ASSERT_TRUE(seen.count(k)) << k;
}

TEST(DbTable, VolatileSetTracksTtls) {
  DbTable t;
  Put(t, "a", 1000);
  Put(t, "b");
  Put(t, "c", 2000);
  EXPECT_EQ(t.volatile_count(), 2u);
  Entry** l = t.FindLink("b", DbTable::Hash("b"));
  Entry* b = t.SetExpire(l, 5000);  // reallocates to add the slot
  EXPECT_EQ(b->expire_ms(), 5000);
  EXPECT_EQ(t.volatile_count(), 3u);
  t.Persist(t.Find("a", DbTable::Hash("a")));
  EXPECT_EQ(t.volatile_count(), 2u);
  Entry::Destroy(t.Unlink(t.FindLink("c", DbTable::Hash("c"))));
  EXPECT_EQ(t.volatile_count(), 1u);
  std::mt19937_64 rng(1);
  EXPECT_EQ(t.RandomVolatile(rng)->key(), "b");
}

TEST(DbTable, SampleAndRandom) {
  DbTable t;
  std::mt19937_64 rng(7);
  EXPECT_EQ(t.RandomEntry(rng), nullptr);
  for (int i = 0; i < 100; i++) Put(t, std::to_string(i));
  std::vector<Entry*> sample;
  t.Sample(5, rng, &sample);
  EXPECT_EQ(sample.size(), 5u);
  EXPECT_NE(t.RandomEntry(rng), nullptr);
}

TEST(DbTable, SwapAndClear) {
  DbTable a, b;
  Put(a, "x");
  a.Swap(b);
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(b.Clear(), 1u);
}

}  // namespace
}  // namespace strata::kv
