#include "kv/types/hash.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace strata::kv {
namespace {

using Map = std::map<std::string, std::string>;

Map Contents(const HashObject& h) {
  Map m;
  h.ForEach([&m](std::string_view f, std::string_view v) {
    EXPECT_TRUE(m.emplace(std::string(f), std::string(v)).second) << "duplicate field " << f;
  });
  return m;
}

std::set<std::string> ScanAll(const HashObject& h) {
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = h.Scan(cursor, [&seen](std::string_view f, std::string_view) { seen.emplace(f); });
  } while (cursor != 0);
  return seen;
}

TEST(Hash, PackedBasics) {
  HashObject h;
  HashObject::Limits lim;
  EXPECT_EQ(h.Length(), 0u);
  EXPECT_TRUE(h.Set("a", "1", lim));
  EXPECT_TRUE(h.Set("b", "2", lim));
  EXPECT_FALSE(h.Set("a", "longer value", lim));
  std::string_view v;
  ASSERT_TRUE(h.Get("a", &v));
  EXPECT_EQ(v, "longer value");
  EXPECT_FALSE(h.Set("a", "", lim));
  ASSERT_TRUE(h.Get("a", &v));
  EXPECT_EQ(v, "");
  EXPECT_FALSE(h.Get("c", &v));
  EXPECT_STREQ(h.Encoding(), "listpack");
  EXPECT_EQ(h.Length(), 2u);
  EXPECT_TRUE(h.Delete("a"));
  EXPECT_FALSE(h.Delete("a"));
  EXPECT_EQ(Contents(h), (Map{{"b", "2"}}));
  EXPECT_TRUE(h.Delete("b"));
  EXPECT_EQ(h.Length(), 0u);
}

TEST(Hash, PackedKeepsInsertionOrder) {
  HashObject h;
  HashObject::Limits lim;
  std::vector<std::string> order = {"z", "a", "m", "b"};
  for (auto& f : order) h.Set(f, f + "v", lim);
  std::vector<std::string> got;
  h.ForEach([&got](std::string_view f, std::string_view) { got.emplace_back(f); });
  EXPECT_EQ(got, order);
}

TEST(Hash, ConvertsAboveMaxEntries) {
  HashObject::Limits lim;  // 512 entries, 64 bytes
  HashObject h;
  for (int i = 0; i < 512; i++) h.Set("f" + std::to_string(i), "v", lim);
  EXPECT_STREQ(h.Encoding(), "listpack");
  h.Set("f0", "again", lim);  // an update does not count
  EXPECT_STREQ(h.Encoding(), "listpack");
  h.Set("f512", "v", lim);
  EXPECT_STREQ(h.Encoding(), "hashtable");
  EXPECT_EQ(h.Length(), 513u);
  // Never converts back.
  for (int i = 0; i < 500; i++) h.Delete("f" + std::to_string(i));
  EXPECT_STREQ(h.Encoding(), "hashtable");
  EXPECT_EQ(h.Length(), 13u);
  std::string_view v;
  ASSERT_TRUE(h.Get("f512", &v));
  EXPECT_EQ(v, "v");
}

TEST(Hash, ConvertsAboveMaxValue) {
  HashObject::Limits lim;
  for (int which = 0; which < 2; which++) {
    HashObject h;
    h.Set("a", "b", lim);
    std::string at_limit(64, 'x'), over(65, 'x');
    h.Set(which ? at_limit : "f", which ? "v" : at_limit, lim);
    EXPECT_STREQ(h.Encoding(), "listpack");
    h.Set(which ? over : "g", which ? "v" : over, lim);
    EXPECT_STREQ(h.Encoding(), "hashtable");
    EXPECT_EQ(h.Length(), 3u);
  }
  HashObject h;
  h.ConvertIfTooLong(std::string(64, 'x'), lim);
  EXPECT_STREQ(h.Encoding(), "listpack");
  h.ConvertIfTooLong(std::string(65, 'x'), lim);
  EXPECT_STREQ(h.Encoding(), "hashtable");
  EXPECT_EQ(h.Length(), 0u);
}

TEST(Hash, CustomLimits) {
  HashObject::Limits lim{2, 3};
  HashObject h;
  h.Set("a", "1", lim);
  h.Set("b", "123", lim);
  EXPECT_STREQ(h.Encoding(), "listpack");
  h.Set("c", "1", lim);
  EXPECT_STREQ(h.Encoding(), "hashtable");
  HashObject z;
  HashObject::Limits none{0, 64};
  z.Set("a", "1", none);
  EXPECT_STREQ(z.Encoding(), "hashtable");
}

TEST(Hash, LongFieldsAndValuesUseVarints) {
  HashObject::Limits lim{512, 100000};
  HashObject h;
  std::string f(300, 'f'), v(70000, 'v');
  h.Set(f, v, lim);
  h.Set("small", "x", lim);
  std::string_view got;
  ASSERT_TRUE(h.Get(f, &got));
  EXPECT_EQ(got, v);
  h.Set(f, "short", lim);
  ASSERT_TRUE(h.Get("small", &got));
  EXPECT_EQ(got, "x");
  EXPECT_EQ(Contents(h), (Map{{f, "short"}, {"small", "x"}}));
}

TEST(Hash, TableGrowsIncrementally) {
  HashObject::Limits lim;
  HashObject h;
  h.ConvertToTable();
  bool saw_rehash = false;
  for (int i = 0; i < 100000; i++) {
    h.Set("f:" + std::to_string(i), std::to_string(i), lim);
    saw_rehash |= h.Rehashing();
  }
  EXPECT_TRUE(saw_rehash);
  EXPECT_EQ(h.Length(), 100000u);
  for (int i = 0; i < 100000; i += 997) {
    std::string_view v;
    ASSERT_TRUE(h.Get("f:" + std::to_string(i), &v));
    EXPECT_EQ(v, std::to_string(i));
  }
  EXPECT_EQ(ScanAll(h).size(), 100000u);
  // Shrinks as it empties.
  size_t buckets = h.BucketCount();
  for (int i = 0; i < 99990; i++) ASSERT_TRUE(h.Delete("f:" + std::to_string(i)));
  for (int i = 0; i < 1000000 && h.Rehashing(); i++) h.Exists("x");  // drive the resizes
  EXPECT_LT(h.BucketCount(), buckets / 100);
  EXPECT_EQ(Contents(h).size(), 10u);
}

// Every field present for the whole scan is returned, however the table resizes in between.
TEST(Hash, ScanSurvivesResizes) {
  HashObject::Limits lim;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 4; round++) {
    HashObject h;
    h.ConvertToTable();
    for (int i = 0; i < 5000; i++) h.Set("base" + std::to_string(i), "v", lim);
    int tmp = round < 2 ? 0 : 60000;  // rounds 2, 3 shrink: transient fields are deleted
    for (int i = 0; i < tmp; i++) h.Set("tmp" + std::to_string(i), "v", lim);
    bool resized = false;  // a resize was in progress during the scan
    std::set<std::string> seen;
    uint64_t cursor = 0;
    int step = 0, extra = 0;
    do {
      cursor = h.Scan(cursor, [&seen](std::string_view f, std::string_view) { seen.emplace(f); });
      resized |= h.Rehashing();
      if (round < 2) {
        for (int k = 0; k < 20 && extra < 30000; k++)
          h.Set("extra" + std::to_string(extra++), "v", lim);
      } else {
        for (int k = 0; k < 400 && tmp > 0; k++) h.Delete("tmp" + std::to_string(--tmp));
        if (rng() % 2) h.Delete("tmp" + std::to_string(rng() % 60000));
      }
      step++;
    } while (cursor != 0);
    for (int i = 0; i < 5000; i++)
      ASSERT_TRUE(seen.count("base" + std::to_string(i))) << "round " << round << " field " << i;
    EXPECT_GT(step, 1);
    EXPECT_TRUE(resized) << "round " << round;
  }
}

TEST(Hash, RandomPairCoversAll) {
  HashObject::Limits lim;
  std::mt19937_64 rng(1);
  for (bool table : {false, true}) {
    HashObject h;
    if (table) h.ConvertToTable();
    for (int i = 0; i < 20; i++) h.Set("f" + std::to_string(i), "v" + std::to_string(i), lim);
    std::set<std::string> seen;
    for (int i = 0; i < 2000; i++) {
      auto [f, v] = h.RandomPair(rng);
      EXPECT_EQ("v" + std::string(f.substr(1)), v);
      seen.emplace(f);
    }
    EXPECT_EQ(seen.size(), 20u);
  }
}

TEST(Hash, CloneIsDeep) {
  HashObject::Limits lim;
  for (int n : {3, 1000}) {
    HashObject h;
    for (int i = 0; i < n; i++) h.Set("f" + std::to_string(i), "v", lim);
    auto c = h.Clone();
    auto* hc = static_cast<HashObject*>(c.get());
    EXPECT_STREQ(hc->Encoding(), h.Encoding());
    EXPECT_EQ(Contents(*hc), Contents(h));
    h.Set("f0", "changed", lim);
    std::string_view v;
    ASSERT_TRUE(hc->Get("f0", &v));
    EXPECT_EQ(v, "v");
    EXPECT_GT(hc->MemoryUsage(), 0u);
  }
}

TEST(Hash, MemoryUsageTracksContents) {
  HashObject::Limits lim;
  HashObject h;
  size_t empty = h.MemoryUsage();
  for (int i = 0; i < 100; i++) h.Set("f" + std::to_string(i), "value", lim);
  size_t packed = h.MemoryUsage();
  EXPECT_GT(packed, empty + 100 * 8);
  EXPECT_EQ(h.FreeEffort(), 1u);
  h.ConvertToTable();
  EXPECT_GT(h.MemoryUsage(), packed);
  EXPECT_EQ(h.FreeEffort(), 100u);
  for (int i = 0; i < 100; i++) h.Delete("f" + std::to_string(i));
  EXPECT_LT(h.MemoryUsage(), packed);
}

// Thousands of random operations replayed against std::map, compared after every step.
TEST(Hash, PropertyAgainstModel) {
  for (uint64_t seed = 1; seed <= 6; seed++) {
    std::mt19937_64 rng(seed);
    HashObject::Limits lim{size_t(seed % 2 ? 512 : 16), size_t(seed % 3 ? 64 : 8)};
    HashObject h;
    Map model;
    auto field = [&rng]() {
      uint64_t r = rng() % 100;
      if (r < 3) return std::string(rng() % 80, 'L');
      return "f" + std::to_string(rng() % (r < 50 ? 40 : 900));
    };
    auto value = [&rng]() {
      uint64_t r = rng() % 100;
      return r < 5 ? std::string(rng() % 200, 'V') : std::to_string(rng() % 100000);
    };
    for (int step = 0; step < 6000; step++) {
      uint64_t op = rng() % 10;
      std::string f = field();
      if (op < 5) {
        std::string v = value();
        bool added = h.Set(f, v, lim);
        EXPECT_EQ(added, model.count(f) == 0);
        model[f] = v;
      } else if (op < 8) {
        EXPECT_EQ(h.Delete(f), model.erase(f) == 1);
      } else {
        std::string_view v;
        bool found = h.Get(f, &v);
        ASSERT_EQ(found, model.count(f) == 1);
        if (found) {
          EXPECT_EQ(v, model[f]);
        }
      }
      ASSERT_EQ(h.Length(), model.size()) << "seed " << seed << " step " << step;
      if (step % 50 == 0 || h.packed()) {
        ASSERT_EQ(Contents(h), model) << "seed " << seed << " step " << step;
      }
      if (step % 500 == 0) {
        std::set<std::string> want;
        for (auto& [k, _] : model) want.insert(k);
        EXPECT_EQ(ScanAll(h), want);
      }
      // Encoding follows Redis's rule: packed until a limit is crossed, then table for good.
      if (h.packed()) {
        EXPECT_LE(model.size(), lim.max_entries);
        for (auto& [k, v] : model) {
          EXPECT_LE(k.size(), lim.max_value);
          EXPECT_LE(v.size(), lim.max_value);
        }
      }
    }
    EXPECT_EQ(Contents(h), model);
  }
}

}  // namespace
}  // namespace strata::kv
