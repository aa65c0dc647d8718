#include "kv/types/sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace strata::kv {
namespace {

using namespace std::string_literals;
using Kind = SortPattern::Kind;

TEST(SortPattern, SelfNoneKeyField) {
  EXPECT_EQ(SortPattern::Parse("#").kind(), Kind::kSelf);
  EXPECT_EQ(SortPattern::Parse("#\0tail"s).kind(), Kind::kSelf);  // read as a C string
  EXPECT_EQ(SortPattern::Parse("##").kind(), Kind::kNone);
  EXPECT_EQ(SortPattern::Parse("nosort").kind(), Kind::kNone);
  EXPECT_EQ(SortPattern::Parse("").kind(), Kind::kNone);
  EXPECT_EQ(SortPattern::Parse("w_\0*"s).kind(), Kind::kNone);  // '*' after a NUL is not seen

  SortPattern k = SortPattern::Parse("weight_*");
  EXPECT_EQ(k.kind(), Kind::kKey);
  EXPECT_EQ(k.KeyFor("12"), "weight_12");
  EXPECT_EQ(SortPattern::Parse("*").KeyFor("abc"), "abc");
  EXPECT_EQ(SortPattern::Parse("a*b*c").KeyFor("X"), "aXb*c");  // only the first '*'
  EXPECT_EQ(SortPattern::Parse("w_*\0x"s).KeyFor("1"), "w_1\0x"s);

  SortPattern f = SortPattern::Parse("obj_*->weight");
  EXPECT_EQ(f.kind(), Kind::kField);
  EXPECT_EQ(f.KeyFor("7"), "obj_7");
  EXPECT_EQ(f.field(), "weight");
  SortPattern f2 = SortPattern::Parse("o{*}x->a->b");
  EXPECT_EQ(f2.KeyFor("1"), "o{1}x");
  EXPECT_EQ(f2.field(), "a->b");  // split at the first "->" after the '*'
  SortPattern f3 = SortPattern::Parse("o->*->f");
  EXPECT_EQ(f3.KeyFor("1"), "o->1");
  EXPECT_EQ(f3.field(), "f");
  SortPattern f4 = SortPattern::Parse("o_*->f\0g"s);
  EXPECT_EQ(f4.field(), "f\0g"s);  // the field runs to the end of the pattern
}

TEST(SortPattern, EmptyFieldIsAKey) {
  SortPattern p = SortPattern::Parse("obj_*->");
  EXPECT_EQ(p.kind(), Kind::kKey);
  EXPECT_EQ(p.KeyFor("1"), "obj_1->");
  SortPattern q = SortPattern::Parse("obj_*->\0x"s);  // field starting with NUL: no dereference
  EXPECT_EQ(q.kind(), Kind::kKey);
  EXPECT_EQ(q.KeyFor("1"), "obj_1->\0x"s);
}

TEST(SortPattern, ByDisablesSorting) {
  EXPECT_TRUE(SortByDisablesSorting("nosort"));
  EXPECT_TRUE(SortByDisablesSorting("#"));
  EXPECT_TRUE(SortByDisablesSorting("a\0*"s));
  EXPECT_FALSE(SortByDisablesSorting("w_*"));
  EXPECT_FALSE(SortByDisablesSorting("*"));
}

TEST(SortWeight, StrtodRules) {
  double d;
  EXPECT_TRUE(SortWeight("1.5", &d));
  EXPECT_EQ(d, 1.5);
  EXPECT_TRUE(SortWeight("-7", &d));
  EXPECT_EQ(d, -7);
  EXPECT_TRUE(SortWeight("0x10", &d));
  EXPECT_EQ(d, 16);
  EXPECT_TRUE(SortWeight(" 5", &d));  // leading space accepted
  EXPECT_EQ(d, 5);
  EXPECT_TRUE(SortWeight("", &d));  // nothing to read: 0
  EXPECT_EQ(d, 0);
  EXPECT_TRUE(SortWeight("inf", &d));
  EXPECT_TRUE(std::isinf(d));
  EXPECT_TRUE(SortWeight("3\0junk"s, &d));  // stops at the NUL
  EXPECT_EQ(d, 3);
  EXPECT_FALSE(SortWeight("5 ", &d));
  EXPECT_FALSE(SortWeight("abc", &d));
  EXPECT_FALSE(SortWeight("12abc", &d));
  EXPECT_FALSE(SortWeight("nan", &d));
  EXPECT_FALSE(SortWeight("1e400", &d));   // overflow
  EXPECT_FALSE(SortWeight("1e-400", &d));  // underflow
}

// The reference definition of the LIMIT window, with wide arithmetic.
SortWindow ModelWindow(int64_t s, int64_t c, size_t n) {
  __int128 len = __int128(n), start = s < 0 ? 0 : s;
  __int128 end = c < 0 ? len - 1 : start + c - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  return SortWindow{int64_t(start), int64_t(end)};
}

TEST(SortWindow, Limits) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> vals{kMin, kMin + 1, -100, -2, -1, 0,   1,        2,
                            3,    5,        9,    10, 11, 100, kMax - 1, kMax};
  for (size_t n : {0u, 1u, 2u, 10u, 1000u}) {
    for (int64_t s : vals) {
      for (int64_t c : vals) {
        SortWindow w = SortLimitWindow(s, c, n);
        SortWindow m = ModelWindow(s, c, n);
        ASSERT_EQ(w.size(), m.size()) << n << " " << s << " " << c;
        if (m.size()) {
          ASSERT_EQ(w.start, m.start);
          ASSERT_EQ(w.end, m.end);
          ASSERT_LT(size_t(w.end), n);
        }
      }
    }
  }
  EXPECT_EQ(SortLimitWindow(0, -1, 5).size(), 5u);
  EXPECT_EQ(SortLimitWindow(0, 0, 5).size(), 0u);
  EXPECT_EQ(SortLimitWindow(3, 10, 5).size(), 2u);
  EXPECT_EQ(SortLimitWindow(5, 1, 5).size(), 0u);
  EXPECT_EQ(SortLimitWindow(-3, 2, 5).start, 0);
}

std::vector<std::string> Elems(const std::vector<SortItem>& v) {
  std::vector<std::string> out;
  for (const auto& i : v) out.push_back(i.elem);
  return out;
}

SortItem Num(std::string e) {
  SortItem i{std::move(e)};
  EXPECT_TRUE(SortWeight(i.elem, &i.score));
  return i;
}

TEST(SortItems, NumericTiesByBytes) {
  std::vector<SortItem> v{Num("10"), Num("-0"), Num("0"), Num("1e1"), Num("2"), Num("0x2")};
  SortItems(&v, SortOrder{});
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"-0", "0", "0x2", "2", "10", "1e1"}));
  SortItems(&v, SortOrder{.desc = true});
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"1e1", "10", "2", "0x2", "0", "-0"}));
}

TEST(SortItems, AlphaCStringVersusBinary) {
  std::vector<SortItem> v{{"b"}, {"a\0z"s}, {"a"}, {"a\0b"s}, {"ab"}};
  // Compared as C strings, "a\0z", "a" and "a\0b" are equal: they keep their order.
  SortItems(&v, SortOrder{.alpha = true});
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"a\0z"s, "a", "a\0b"s, "ab", "b"}));
  SortItems(&v, SortOrder{.alpha = true, .store = true});  // whole bytes when storing
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"a", "a\0b"s, "a\0z"s, "ab", "b"}));
}

TEST(SortItems, AlphaByMissingFirst) {
  std::vector<SortItem> v{{"x", 0, "b", true}, {"y"}, {"z", 0, "a", true}, {"w"}};
  SortItems(&v, SortOrder{.alpha = true, .by_pattern = true});
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"y", "w", "z", "x"}));
  SortItems(&v, SortOrder{.desc = true, .alpha = true, .by_pattern = true});
  EXPECT_EQ(Elems(v), (std::vector<std::string>{"x", "z", "y", "w"}));
}

// Property test: random elements, weights (some missing) and options, sorted and compared with
// a model that orders by an explicit key (a std::multimap), then the LIMIT window.
TEST(SortItems, MatchesModel) {
  std::mt19937_64 rng(42);
  const std::vector<std::string> pool{"",    "a",  "b", "ab", "a\0b"s, "10",   "9", "-1",
                                      "1.5", "zz", "0", "-0", "007",   "x\0"s, "Z"};
  for (int round = 0; round < 4000; round++) {
    size_t n = rng() % 30;
    SortOrder order;
    order.desc = rng() % 2;
    order.alpha = rng() % 2;
    order.by_pattern = rng() % 2;
    order.store = rng() % 2;
    std::vector<SortItem> items;
    for (size_t i = 0; i < n; i++) {
      SortItem it;
      // Distinct elements (an index suffix) so the model's order is unique where it must be.
      it.elem = pool[rng() % pool.size()] + std::to_string(i % 7);
      if (order.by_pattern && order.alpha) {
        it.has_cmp = rng() % 4 != 0;
        if (it.has_cmp) it.cmp = pool[rng() % pool.size()];
      } else {
        it.score = double(int64_t(rng() % 9) - 4) / 2;
      }
      items.push_back(it);
    }
    // Model key: (primary, tie-break), where ties left equal keep insertion order.
    auto cstr = [](const std::string& s) { return s.substr(0, s.find('\0')); };
    std::vector<std::pair<std::string, size_t>> model;  // (elem, original position)
    for (size_t i = 0; i < n; i++) model.emplace_back(items[i].elem, i);
    auto key_less = [&](size_t a, size_t b) {
      const SortItem &x = items[a], &y = items[b];
      if (!order.alpha) {
        if (x.score != y.score) return x.score < y.score;
        return x.elem < y.elem;  // std::string compares bytes, shorter first on a prefix
      }
      if (order.by_pattern) {
        if (x.has_cmp != y.has_cmp) return !x.has_cmp;
        if (!x.has_cmp) return false;
        return order.store ? x.cmp < y.cmp : cstr(x.cmp) < cstr(y.cmp);
      }
      return order.store ? x.elem < y.elem : cstr(x.elem) < cstr(y.elem);
    };
    std::stable_sort(model.begin(), model.end(), [&](const auto& a, const auto& b) {
      return order.desc ? key_less(b.second, a.second) : key_less(a.second, b.second);
    });
    SortItems(&items, order);
    std::vector<std::string> want;
    for (const auto& m : model) want.push_back(m.first);
    ASSERT_EQ(Elems(items), want) << "round " << round;
    // The comparison is antisymmetric and agrees with the order produced.
    for (size_t i = 0; i + 1 < items.size(); i++) {
      ASSERT_LE(SortCompare(items[i], items[i + 1], order), 0);
      ASSERT_EQ(SortCompare(items[i], items[i + 1], order),
                -SortCompare(items[i + 1], items[i], order));
    }
    // The LIMIT window selects a slice of that order.
    int64_t s = int64_t(rng() % 40) - 5, c = int64_t(rng() % 40) - 5;
    SortWindow w = SortLimitWindow(s, c, n);
    SortWindow m = ModelWindow(s, c, n);
    ASSERT_EQ(w.size(), m.size());
  }
}

}  // namespace
}  // namespace strata::kv
