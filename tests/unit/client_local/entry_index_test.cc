// The near cache's private index, against std::unordered_map under random churn.
#include "client/local/entry_index.h"

#include <memory>
#include <random>
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "base/hash.h"

namespace {

struct Item {
  std::string key;
};

TEST(EntryIndex, MatchesAMapUnderChurn) {
  strata::client_local::EntryIndex<Item> index;
  std::unordered_map<std::string, std::unique_ptr<Item>> model;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200000; ++i) {
    const std::string key = "k" + std::to_string(rng() % 5000);
    const uint64_t h = strata::HashKey(key);
    auto it = model.find(key);
    Item* found = index.Find(key, h);
    ASSERT_EQ(found, it == model.end() ? nullptr : it->second.get()) << i;
    if (it == model.end()) {
      auto item = std::make_unique<Item>(Item{key});
      index.Insert(item.get(), h);
      model.emplace(key, std::move(item));
    } else if (rng() % 3 != 0) {
      ASSERT_TRUE(index.Erase(it->second.get(), h));
      model.erase(it);
    }
    ASSERT_EQ(index.size(), model.size());
  }
  size_t seen = 0;
  index.ForEach([&](Item* item) {
    ++seen;
    ASSERT_EQ(model.at(item->key).get(), item);
  });
  EXPECT_EQ(seen, model.size());
  index.Clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.Find("k1", strata::HashKey("k1")), nullptr);
}

TEST(EntryIndex, CollidingHashesAndWrapAround) {
  // Ten keys with one hash form one run; over 64 different hashes the run starts at every slot
  // of the 16-slot table, so some runs wrap around its end. Erase from the middle, front, back.
  for (uint64_t hash = 0; hash < 64; ++hash) {
    strata::client_local::EntryIndex<Item> index;
    std::vector<std::unique_ptr<Item>> items;
    for (int i = 0; i < 10; ++i) {
      items.push_back(std::make_unique<Item>(Item{"c" + std::to_string(i)}));
      index.Insert(items.back().get(), hash);
    }
    for (int i = 0; i < 10; ++i) {
      EXPECT_EQ(index.Find("c" + std::to_string(i), hash), items[i].get());
    }
    for (int i : {5, 0, 9, 3}) {
      ASSERT_TRUE(index.Erase(items[i].get(), hash));
      EXPECT_FALSE(index.Erase(items[i].get(), hash));
    }
    for (int i = 0; i < 10; ++i) {
      const bool gone = i == 5 || i == 0 || i == 9 || i == 3;
      EXPECT_EQ(index.Find("c" + std::to_string(i), hash), gone ? nullptr : items[i].get())
          << hash << " " << i;
    }
    EXPECT_EQ(index.size(), 6u);
  }
}

}  // namespace
