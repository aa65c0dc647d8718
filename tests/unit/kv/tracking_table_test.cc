// tracking::Table, the per-shard map of keys to the clients that read them: remembering readers
// once each, dropping a key on change, and the open-addressing table staying consistent through
// growth and deletes (checked against a reference model with random operations).
#include "kv/messaging/tracking.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace strata::kv::tracking {
namespace {

TEST(TrackingTable, RemembersEachReaderOnceAndForgetsTheKeyOnChange) {
  Table t;
  t.Remember("a", 1);
  t.Remember("a", 1);
  t.Remember("a", 2);
  t.Remember("b", 1);
  EXPECT_EQ(t.keys(), 2u);
  EXPECT_EQ(t.items(), 3u);
  t.Invalidate("a");
  EXPECT_EQ(t.keys(), 1u);
  EXPECT_EQ(t.items(), 1u);
  t.Invalidate("missing");
  EXPECT_EQ(t.keys(), 1u);
  t.Clear();
  EXPECT_EQ(t.keys(), 0u);
  EXPECT_EQ(t.items(), 0u);
  t.Remember("a", 3);  // usable after Clear
  EXPECT_EQ(t.keys(), 1u);
}

TEST(TrackingTable, StaysConsistentThroughGrowthAndDeletesAsAModel) {
  Table t;
  std::map<std::string, std::set<uint64_t>> model;
  std::mt19937_64 rng(7);
  auto items = [&] {
    size_t n = 0;
    for (const auto& [k, v] : model) n += v.size();
    return n;
  };
  for (int step = 0; step < 200000; step++) {
    // Few distinct keys at first (long probe runs, many shifts), then more (growth).
    size_t space = step < 50000 ? 300 : 5000;
    std::string key = "k" + std::to_string(rng() % space);
    if (rng() % 3 == 0) {
      t.Invalidate(key);
      model.erase(key);
    } else {
      uint64_t client = rng() % 8;
      t.Remember(key, client);
      model[key].insert(client);
    }
    if (step % 997 == 0) {
      ASSERT_EQ(t.keys(), model.size()) << "step " << step;
      ASSERT_EQ(t.items(), items()) << "step " << step;
    }
  }
  // Every key the model holds is found (a second Remember adds nothing) and drops.
  size_t keys = model.size();
  for (const auto& [k, readers] : model) t.Remember(k, *readers.begin());
  EXPECT_EQ(t.keys(), keys);
  for (const auto& [k, readers] : model) t.Invalidate(k);
  EXPECT_EQ(t.keys(), 0u);
  EXPECT_EQ(t.items(), 0u);
}

}  // namespace
}  // namespace strata::kv::tracking
