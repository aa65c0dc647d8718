#include "kv/types/set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/memory.h"

namespace strata::kv {
namespace {

std::set<std::string> Contents(const SetObject& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { EXPECT_TRUE(out.emplace(m).second) << m; });
  return out;
}

std::set<std::string> ScanAll(const SetObject& s, size_t count) {
  std::set<std::string> out;
  uint64_t cursor = 0;
  do {
    cursor = s.Scan(cursor, count, [&](std::string_view m) { out.emplace(m); });
  } while (cursor != 0);
  return out;
}

TEST(IntSet, WidensAndStaysSorted) {
  IntSet is;
  EXPECT_TRUE(is.Insert(5));
  EXPECT_TRUE(is.Insert(-3));
  EXPECT_FALSE(is.Insert(5));
  EXPECT_EQ(is.width(), 2u);
  EXPECT_TRUE(is.Insert(40000));
  EXPECT_EQ(is.width(), 4u);
  EXPECT_TRUE(is.Insert(INT64_MIN));
  EXPECT_EQ(is.width(), 8u);
  ASSERT_EQ(is.size(), 4u);
  EXPECT_EQ(is.at(0), INT64_MIN);
  EXPECT_EQ(is.at(1), -3);
  EXPECT_EQ(is.at(2), 5);
  EXPECT_EQ(is.at(3), 40000);
  EXPECT_TRUE(is.Contains(40000));
  EXPECT_FALSE(is.Contains(4));
  EXPECT_TRUE(is.Erase(-3));
  EXPECT_FALSE(is.Erase(-3));
  EXPECT_EQ(is.size(), 3u);
}

TEST(SetObject, IntsetLimitIsInclusive) {
  SetObject s;
  for (int i = 0; i < 512; i++) ASSERT_TRUE(s.Add(std::to_string(i * 3), 512));
  EXPECT_STREQ(s.Encoding(), "intset");
  EXPECT_EQ(s.enc(), SetObject::Enc::kIntSet);
  EXPECT_FALSE(s.Add("0", 512));
  EXPECT_STREQ(s.Encoding(), "intset");
  EXPECT_TRUE(s.Add("1", 512));  // the 513th member
  EXPECT_STREQ(s.Encoding(), "hashtable");
  EXPECT_EQ(s.enc(), SetObject::Enc::kIntTable);
  EXPECT_EQ(s.Length(), 513u);
  // Never converts back, even when small again.
  for (int i = 0; i < 512; i++) s.Remove(std::to_string(i * 3));
  EXPECT_EQ(s.Length(), 1u);
  EXPECT_STREQ(s.Encoding(), "hashtable");
  EXPECT_TRUE(s.Contains("1"));
}

TEST(SetObject, NonCanonicalIntegersAreStrings) {
  for (const char* m : {"007", "-0", "+5", " 3", "3 ", "1.0", "9223372036854775808", ""}) {
    SetObject s;
    s.Add("1", 512);
    EXPECT_STREQ(s.Encoding(), "intset");
    EXPECT_TRUE(s.Add(m, 512)) << m;
    EXPECT_STREQ(s.Encoding(), "hashtable") << m;
    EXPECT_EQ(s.enc(), SetObject::Enc::kStrTable);
    EXPECT_TRUE(s.Contains(m));
    EXPECT_TRUE(s.Contains("1"));
    EXPECT_FALSE(s.Contains("01"));
  }
  SetObject s;
  EXPECT_TRUE(s.Add("-9223372036854775808", 512));
  EXPECT_TRUE(s.Add("9223372036854775807", 512));
  EXPECT_STREQ(s.Encoding(), "intset");
}

TEST(SetObject, IntTableToStrTable) {
  SetObject s;
  for (int i = 0; i < 1000; i++) s.Add(std::to_string(i - 500), 512);
  s.Add("-9223372036854775808", 512);  // the table's reserved value, kept aside
  EXPECT_EQ(s.enc(), SetObject::Enc::kIntTable);
  EXPECT_TRUE(s.Contains("-9223372036854775808"));
  EXPECT_EQ(ScanAll(s, 10).size(), 1001u);
  EXPECT_TRUE(s.Add("abc", 512));
  EXPECT_EQ(s.enc(), SetObject::Enc::kStrTable);
  EXPECT_EQ(s.Length(), 1002u);
  EXPECT_TRUE(s.Contains("-500"));
  EXPECT_TRUE(s.Contains("-9223372036854775808"));
  EXPECT_FALSE(s.Contains("500"));
}

TEST(SetObject, ZeroIntsetLimit) {
  SetObject s;
  s.Add("1", 0);
  EXPECT_STREQ(s.Encoding(), "hashtable");
}

TEST(SetObject, CloneKeepsEncodingAndMembers) {
  for (int n : {3, 600}) {
    for (bool strings : {false, true}) {
      SetObject s;
      for (int i = 0; i < n; i++) s.Add((strings ? "m" : "") + std::to_string(i), 512);
      auto c = s.Clone();
      auto* cs = static_cast<SetObject*>(c.get());
      EXPECT_STREQ(cs->Encoding(), s.Encoding());
      EXPECT_EQ(cs->enc(), s.enc());
      EXPECT_EQ(Contents(*cs), Contents(s));
      EXPECT_GT(cs->MemoryUsage(), 0u);
    }
  }
}

TEST(SetObject, RandomAndPop) {
  std::mt19937_64 rng(7);
  for (int n : {1, 5, 600, 3000}) {
    for (bool strings : {false, true}) {
      SetObject s;
      std::set<std::string> model;
      for (int i = 0; i < n; i++) {
        std::string m = (strings ? "s" : "") + std::to_string(i * 7);
        s.Add(m, 512);
        model.insert(m);
      }
      std::set<std::string> seen;
      for (int i = 0; i < 20 * n; i++) {
        std::string m = s.RandomMember(rng);
        ASSERT_TRUE(model.count(m)) << m;
        seen.insert(m);
      }
      EXPECT_GT(seen.size(), model.size() * 9 / 10);
      while (s.Length() > 0) {
        std::string m = s.PopRandom(rng);
        ASSERT_EQ(model.erase(m), 1u) << m;
      }
      EXPECT_TRUE(model.empty());
    }
  }
}

// SSCAN's guarantee: a member present for the whole scan is returned, whatever is added or
// removed between the steps (the tables grow and shrink meanwhile).
TEST(SetObject, ScanCoversStableMembersAcrossResizes) {
  std::mt19937_64 rng(3);
  for (bool strings : {false, true}) {
    for (int phase = 0; phase < 2; phase++) {
      SetObject s;
      auto name = [&](int i) { return (strings ? "k" : "") + std::to_string(i); };
      for (int i = 0; i < 2000; i++) s.Add(name(i), 512);
      std::set<std::string> stable;
      for (int i = 0; i < 2000; i += 10) stable.insert(name(i));
      std::set<std::string> got;
      uint64_t cursor = 0;
      int step = 0;
      int next = 2000;
      do {
        cursor = s.Scan(cursor, 5, [&](std::string_view m) { got.emplace(m); });
        step++;
        if (phase == 0 && step < 40) {
          // Grow: add many new members.
          for (int j = 0; j < 50; j++) s.Add(name(next++), 512);
        } else if (phase == 1) {
          // Shrink: remove non-stable members.
          for (int j = 0; j < 40; j++) {
            int victim = int(rng() % 2000);
            if (victim % 10) s.Remove(name(victim));
          }
        }
      } while (cursor != 0);
      for (const auto& m : stable) EXPECT_TRUE(got.count(m)) << m << " phase " << phase;
    }
  }
}

// An all-integer table that becomes a string table between two SSCAN steps (SADD of a
// non-integer member) keeps every member's home bucket, so the scan still returns them all.
TEST(SetObject, ScanCoversMembersAcrossIntToStringConversion) {
  for (size_t first_count : {1, 2, 5, 20}) {
    SetObject s;
    std::set<std::string> members;
    for (int i = 0; i < 159; i++) {
      members.insert(std::to_string(1 + 70000 * i));
      s.Add(std::to_string(1 + 70000 * i), 12);
    }
    ASSERT_EQ(s.enc(), SetObject::Enc::kIntTable);
    std::set<std::string> got;
    auto collect = [&](std::string_view m) { got.emplace(m); };
    uint64_t cursor = s.Scan(0, first_count, collect);
    ASSERT_NE(cursor, 0u);
    s.Add("a", 12);
    ASSERT_EQ(s.enc(), SetObject::Enc::kStrTable);
    while (cursor != 0) cursor = s.Scan(cursor, 1, collect);
    for (const auto& m : members) EXPECT_TRUE(got.count(m)) << m << " first count " << first_count;
  }
}

TEST(SetObject, IntsetScanReturnsEverythingAtOnce) {
  SetObject s;
  for (int i = 0; i < 100; i++) s.Add(std::to_string(i), 512);
  size_t n = 0;
  EXPECT_EQ(s.Scan(0, 1, [&](std::string_view) { n++; }), 0u);
  EXPECT_EQ(n, 100u);
}

// Random operations replayed against std::set, compared after every step.
TEST(SetObject, PropertyAgainstModel) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 6; round++) {
    size_t max_intset = round % 3 == 0 ? 512 : (round % 3 == 1 ? 16 : 0);
    bool ints_only = round < 3;
    SetObject s;
    std::set<std::string> model;
    bool was_table = false;
    auto member = [&]() -> std::string {
      uint64_t r = rng() % 100;
      if (!ints_only && r < 20) return "s" + std::to_string(rng() % 300);
      if (r < 25) return std::to_string(int64_t(rng()));  // any width
      return std::to_string(int64_t(rng() % 700) - 350);
    };
    for (int step = 0; step < 4000; step++) {
      uint64_t op = rng() % 10;
      std::string m = member();
      if (op < 5) {
        ASSERT_EQ(s.Add(m, max_intset), model.insert(m).second) << m;
      } else if (op < 8) {
        ASSERT_EQ(s.Remove(m), model.erase(m) == 1) << m;
      } else if (op < 9) {
        if (!model.empty()) {
          ASSERT_EQ(model.erase(s.PopRandom(rng)), 1u);
        }
      } else {
        ASSERT_EQ(s.Contains(m), model.count(m) == 1) << m;
      }
      ASSERT_EQ(s.Length(), model.size());
      if (s.enc() != SetObject::Enc::kIntSet) was_table = true;
      if (was_table) {
        ASSERT_STREQ(s.Encoding(), "hashtable");
      }
      if (s.enc() == SetObject::Enc::kIntSet) {
        ASSERT_LE(s.Length(), max_intset);
      }
      if (step % 50 == 0 || model.size() < 20) {
        ASSERT_EQ(Contents(s), model);
        ASSERT_EQ(ScanAll(s, 1 + rng() % 20), model);
      }
    }
    ASSERT_EQ(Contents(s), model);
  }
}

TEST(SetObject, LargeSetsStayCompact) {
  SetObject ints;
  for (int i = 0; i < 100000; i++) ints.Add(std::to_string(i * 13), 512);
  EXPECT_EQ(ints.enc(), SetObject::Enc::kIntTable);
  // 8-byte slots at 3/8..3/4 load: at most ~22 bytes a member.
  EXPECT_LT(ints.MemoryUsage(), 100000u * 22);
  SetObject strs;
  for (int i = 0; i < 100000; i++) strs.Add("member:" + std::to_string(i), 512);
  EXPECT_LT(strs.MemoryUsage(), 100000u * 40);
}

}  // namespace
}  // namespace strata::kv
