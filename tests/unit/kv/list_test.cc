#include "kv/types/list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace strata::kv {
namespace {

std::vector<std::string> Contents(const ListObject& l) {
  std::vector<std::string> out;
  l.ForRange(0, l.Length(), false, [&](const ListElem& e) { out.push_back(e.ToString()); });
  return out;
}

std::vector<std::string> Model(const std::deque<std::string>& d) { return {d.begin(), d.end()}; }

TEST(List, PushPopBothEnds) {
  ListObject l;
  l.Push(ListObject::kTail, "b", -2, 0);
  l.Push(ListObject::kHead, "a", -2, 0);
  l.Push(ListObject::kTail, "42", -2, 0);
  EXPECT_EQ(l.Length(), 3u);
  EXPECT_STREQ(l.Encoding(), "quicklist");
  EXPECT_EQ(Contents(l), (std::vector<std::string>{"a", "b", "42"}));
  std::string v;
  ASSERT_TRUE(l.Pop(ListObject::kTail, &v, 0));
  EXPECT_EQ(v, "42");
  ASSERT_TRUE(l.Pop(ListObject::kHead, &v, 0));
  EXPECT_EQ(v, "a");
  ASSERT_TRUE(l.Pop(ListObject::kHead, &v, 0));
  EXPECT_EQ(v, "b");
  EXPECT_FALSE(l.Pop(ListObject::kHead, &v, 0));
  EXPECT_EQ(l.NodeCount(), 0u);
}

TEST(List, IntegerRoundTrips) {
  std::vector<std::string> vals = {"0",
                                   "127",
                                   "128",
                                   "-1",
                                   "4095",
                                   "-4096",
                                   "4096",
                                   "32767",
                                   "-32768",
                                   "8388607",
                                   "-8388608",
                                   "2147483647",
                                   "-2147483648",
                                   "9223372036854775807",
                                   "-9223372036854775808",
                                   "007",
                                   "+5",
                                   "-0",
                                   " 1",
                                   "1 ",
                                   "12345678901234567890",
                                   "",
                                   "x",
                                   std::string(64, 'y'),
                                   std::string(4095, 'z'),
                                   std::string(4096, 'w'),
                                   std::string(70000, 'q')};
  ListObject l;
  for (auto& v : vals) l.Push(ListObject::kTail, v, -2, 0);
  EXPECT_TRUE(l.Validate());
  EXPECT_EQ(Contents(l), vals);
  // Walk backwards too.
  std::vector<std::string> rev;
  l.ForRange(l.Length() - 1, l.Length(), true,
             [&](const ListElem& e) { rev.push_back(e.ToString()); });
  EXPECT_EQ(rev, std::vector<std::string>(vals.rbegin(), vals.rend()));
  ListNeedle n1("007"), n2("7");
  ListElem e;
  std::string text;
  ASSERT_TRUE(l.Index(15, &e, &text));  // "007" stays text
  EXPECT_TRUE(n1.Matches(e));
  EXPECT_FALSE(n2.Matches(e));
}

TEST(List, NodeThresholdsBytes) {
  // fill -2: a node's allocation stays within 8 KB; fill -1: 4 KB.
  for (int fill : {-1, -2, -3, -5}) {
    ListObject l;
    std::string v(100, 'a');
    for (int i = 0; i < 1000; i++) l.Push(ListObject::kTail, v, fill, 0);
    size_t limit = size_t(4096) << (-fill - 1);
    // Each element takes 100 + 2 + 1 bytes (tag, 1-byte length, backlen).
    size_t per_node = (limit - sizeof(ListObject::Node)) / 103;
    EXPECT_EQ(l.NodeCount(), (1000 + per_node - 1) / per_node) << fill;
    EXPECT_TRUE(l.Validate());
  }
}

TEST(List, NodeThresholdsCount) {
  ListObject l;
  for (int i = 0; i < 100; i++) l.Push(ListObject::kTail, "x", 10, 0);
  EXPECT_EQ(l.NodeCount(), 10u);
  l.Push(ListObject::kTail, "x", 10, 0);
  EXPECT_EQ(l.NodeCount(), 11u);
  // Positive fill still caps a node at 8 KB.
  ListObject m;
  std::string big(2000, 'b');
  for (int i = 0; i < 8; i++) m.Push(ListObject::kTail, big, 128, 0);
  EXPECT_EQ(m.NodeCount(), 2u);
  // An element larger than the cap has a node of its own.
  ListObject b;
  b.Push(ListObject::kTail, "a", -2, 0);
  b.Push(ListObject::kTail, std::string(10000, 'c'), -2, 0);
  b.Push(ListObject::kTail, "d", -2, 0);
  EXPECT_EQ(b.NodeCount(), 3u);
  // LINSERT into a full node splits it.
  ListObject s;
  for (int i = 0; i < 20; i++) s.Push(ListObject::kTail, std::to_string(i), 4, 0);
  EXPECT_EQ(s.NodeCount(), 5u);
  EXPECT_TRUE(s.Insert("5", false, "new", 4, 0));
  EXPECT_EQ(s.NodeCount(), 6u);
  EXPECT_TRUE(s.Validate());
  ListElem e;
  std::string text;
  ASSERT_TRUE(s.Index(5, &e, &text));
  EXPECT_EQ(e.ToString(), "new");
}

TEST(List, CloneAndMemory) {
  ListObject l;
  for (int i = 0; i < 5000; i++) l.Push(ListObject::kTail, "element" + std::to_string(i), -2, 0);
  auto c = l.Clone();
  auto* lc = static_cast<ListObject*>(c.get());
  EXPECT_EQ(Contents(l), Contents(*lc));
  EXPECT_GE(l.MemoryUsage(), 5000u * 12);
  EXPECT_LE(l.MemoryUsage(), 5000u * 12 * 3 / 2);
  EXPECT_GT(l.FreeEffort(), 1u);
}

// Random operations against a std::deque model, compared after every step.
TEST(List, PropertyAgainstModel) {
  for (int fill : {-2, -1, 3, 1}) {
    std::mt19937_64 rng(1234 + fill);
    ListObject l;
    std::deque<std::string> m;
    auto rnd = [&](uint64_t n) { return size_t(rng() % n); };
    auto value = [&]() -> std::string {
      switch (rnd(6)) {
        case 0:
          return std::to_string(int64_t(rng() % 300) - 150);
        case 1:
          return std::to_string(int64_t(rng()));
        case 2:
          return std::string(rnd(5000), char('a' + rnd(3)));
        case 3:
          return "0" + std::to_string(rnd(10));
        default:
          return std::string(1 + rnd(3), char('a' + rnd(4)));
      }
    };
    for (int step = 0; step < 4000; step++) {
      int op = int(rnd(11));
      if (op <= 2) {
        auto v = value();
        bool head = rnd(2);
        l.Push(head ? ListObject::kHead : ListObject::kTail, v, fill, 0);
        head ? m.push_front(v) : m.push_back(v);
      } else if (op == 3) {
        std::string v;
        bool head = rnd(2);
        bool got = l.Pop(head ? ListObject::kHead : ListObject::kTail, &v, 0);
        ASSERT_EQ(got, !m.empty());
        if (got) {
          ASSERT_EQ(v, head ? m.front() : m.back());
          head ? m.pop_front() : m.pop_back();
        }
      } else if (op == 4 && !m.empty()) {
        int64_t idx = int64_t(rnd(m.size() * 2)) - int64_t(m.size());
        auto v = value();
        ASSERT_TRUE(l.Set(idx, v, fill, 0));
        m[size_t(idx < 0 ? idx + int64_t(m.size()) : idx)] = v;
      } else if (op == 5) {
        auto pivot = m.empty() || rnd(4) == 0 ? value() : m[rnd(m.size())];
        auto v = value();
        bool after = rnd(2);
        auto it = std::find(m.begin(), m.end(), pivot);
        ASSERT_EQ(l.Insert(pivot, after, v, fill, 0), it != m.end());
        if (it != m.end()) m.insert(after ? it + 1 : it, v);
      } else if (op == 6) {
        auto v = m.empty() || rnd(3) == 0 ? value() : m[rnd(m.size())];
        int64_t count = int64_t(rnd(5)) - 2;
        size_t removed = l.Remove(count, v, 0);
        size_t want = 0;
        if (count >= 0) {
          for (auto it = m.begin(); it != m.end();) {
            if (*it == v && (count == 0 || want < size_t(count))) {
              it = m.erase(it);
              want++;
            } else {
              ++it;
            }
          }
        } else {
          for (size_t i = m.size(); i-- > 0;) {
            if (m[i] == v && want < size_t(-count)) {
              m.erase(m.begin() + ptrdiff_t(i));
              want++;
            }
          }
        }
        ASSERT_EQ(removed, want);
      } else if (op == 7 && !m.empty()) {
        size_t start = rnd(m.size()), n = rnd(m.size() - start + 1);
        l.Keep(start, n, 0);
        m = std::deque<std::string>(m.begin() + ptrdiff_t(start), m.begin() + ptrdiff_t(start + n));
      } else if (op == 8 && !m.empty()) {
        size_t n = rnd(m.size() + 2);
        bool head = rnd(2);
        std::vector<std::string> got;
        l.PopMany(head ? ListObject::kHead : ListObject::kTail, n, 0,
                  [&](const ListElem& e) { got.push_back(e.ToString()); });
        std::vector<std::string> want;
        for (size_t i = 0; i < n && !m.empty(); i++) {
          want.push_back(head ? m.front() : m.back());
          head ? m.pop_front() : m.pop_back();
        }
        ASSERT_EQ(got, want);
      } else if (op == 9 && !m.empty()) {
        int64_t idx = int64_t(rnd(m.size() * 2 + 2)) - int64_t(m.size()) - 1;
        ListElem e;
        std::string text;
        bool in = idx >= -int64_t(m.size()) && idx < int64_t(m.size());
        ASSERT_EQ(l.Index(idx, &e, &text), in);
        if (in) {
          ASSERT_EQ(e.ToString(), m[size_t(idx < 0 ? idx + int64_t(m.size()) : idx)]);
        }
      } else if (op == 10 && !m.empty()) {
        size_t start = rnd(m.size()), n = rnd(m.size() + 1);
        bool reverse = rnd(2);
        std::vector<std::string> got, want;
        l.ForRange(start, n, reverse, [&](const ListElem& e) { got.push_back(e.ToString()); });
        for (size_t i = 0; i < n; i++) {
          if (reverse ? i > start : start + i >= m.size()) break;
          want.push_back(m[reverse ? start - i : start + i]);
        }
        ASSERT_EQ(got, want);
      }
      ASSERT_EQ(l.Length(), m.size()) << "step " << step;
      ASSERT_TRUE(l.Validate()) << "step " << step;
      ASSERT_EQ(Contents(l), Model(m)) << "step " << step << " op " << op;
    }
  }
}

// The nodes within `depth` of either end are plain; every other one is compressed exactly when
// compressing it makes its allocation smaller.
::testing::AssertionResult LaidOut(const ListObject& l, int depth) {
  size_t n = l.NodeCount(), d = size_t(depth);
  for (size_t i = 0; i < n; i++) {
    bool interior = d > 0 && i >= d && i + d < n;
    bool want = interior && l.NodeCompressible(i);
    if (l.NodeCompressed(i) != want)
      return ::testing::AssertionFailure() << "node " << i << " of " << n << " at depth " << depth
                                           << " is " << (want ? "plain" : "compressed");
  }
  return ::testing::AssertionSuccess();
}

// Text that LZF compresses well (repeated runs, shared prefixes), some that it does not (random
// bytes), numbers, and values of a few KB that fill most of a node.
std::string CompressValue(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return std::to_string(int64_t(rng() % 2000) - 1000);
    case 1: {
      std::string v(8 + rng() % 40, ' ');
      for (char& c : v) c = char(rng());
      return v;
    }
    case 2:
      return std::string(3000 + rng() % 3000, char('a' + rng() % 3));
    case 3:
      return "k" + std::to_string(rng() % 8);
    default:
      return "user:" + std::to_string(rng() % 16) + ":" + std::string(10 + rng() % 60, 'x');
  }
}

// Random operations against a std::vector model on lists whose small nodes are compressed: the
// contents and the compression layout are checked after every step, reads included (they must
// leave no node decompressed).
TEST(List, CompressedPropertyAgainstModel) {
  for (int depth : {0, 1, 2}) {
    for (int fill : {2, 5, 16, -1}) {
      SCOPED_TRACE(::testing::Message() << "depth " << depth << " fill " << fill);
      std::mt19937_64 rng(uint64_t(99 + depth * 10 + fill));
      auto rnd = [&](uint64_t n) { return size_t(rng() % n); };
      ListObject l;
      std::vector<std::string> m;
      auto value = [&] { return CompressValue(rng); };
      auto pick = [&] { return m.empty() || rnd(4) == 0 ? value() : m[rnd(m.size())]; };
      auto at = [&](int64_t idx) { return size_t(idx < 0 ? idx + int64_t(m.size()) : idx); };
      for (int step = 0; step < 2000; step++) {
        // Growth first: lists keep to a few hundred elements, dozens of nodes.
        int op = int(rnd(14));
        if (m.size() < 300 && rnd(2) == 0) op = 0;
        if (op <= 3) {
          auto v = value();
          bool head = rnd(2);
          l.Push(head ? ListObject::kHead : ListObject::kTail, v, fill, depth);
          m.insert(head ? m.begin() : m.end(), v);
        } else if (op == 4) {
          std::string v;
          bool head = rnd(2);
          bool got = l.Pop(head ? ListObject::kHead : ListObject::kTail, &v, depth);
          ASSERT_EQ(got, !m.empty());
          if (got) {
            ASSERT_EQ(v, head ? m.front() : m.back());
            m.erase(head ? m.begin() : m.end() - 1);
          }
        } else if (op == 5 && !m.empty()) {
          size_t n = rnd(std::min<size_t>(m.size(), 12) + 1);
          bool head = rnd(2);
          std::vector<std::string> got;
          l.PopMany(head ? ListObject::kHead : ListObject::kTail, n, depth,
                    [&](const ListElem& e) { got.push_back(e.ToString()); });
          std::vector<std::string> want;
          for (size_t i = 0; i < n; i++) {
            want.push_back(head ? m.front() : m.back());
            m.erase(head ? m.begin() : m.end() - 1);
          }
          ASSERT_EQ(got, want);
        } else if (op == 6 && !m.empty()) {
          int64_t idx = int64_t(rnd(m.size() * 2)) - int64_t(m.size());
          auto v = value();
          ASSERT_TRUE(l.Set(idx, v, fill, depth));
          m[at(idx)] = v;
        } else if (op == 7) {
          auto pivot = pick(), v = value();
          bool after = rnd(2);
          auto it = std::find(m.begin(), m.end(), pivot);
          ASSERT_EQ(l.Insert(pivot, after, v, fill, depth), it != m.end());
          if (it != m.end()) m.insert(after ? it + 1 : it, v);
        } else if (op == 8) {
          auto v = pick();
          int64_t count = int64_t(rnd(5)) - 2;
          std::vector<size_t> hits;
          for (size_t i = 0; i < m.size(); i++)
            if (m[i] == v) hits.push_back(i);
          if (count > 0 && hits.size() > size_t(count)) hits.resize(size_t(count));
          if (count < 0 && hits.size() > size_t(-count))
            hits.erase(hits.begin(), hits.end() - ptrdiff_t(-count));
          ASSERT_EQ(l.Remove(count, v, depth), hits.size());
          for (size_t k = hits.size(); k-- > 0;) m.erase(m.begin() + ptrdiff_t(hits[k]));
        } else if (op == 9 && !m.empty() && rnd(4) == 0) {
          // LTRIM, rarely, keeping most of the list.
          size_t start = rnd(m.size() / 4 + 1);
          size_t n = m.size() - start - rnd((m.size() - start) / 4 + 1);
          l.Keep(start, n, depth);
          m = std::vector<std::string>(m.begin() + ptrdiff_t(start),
                                       m.begin() + ptrdiff_t(start + n));
        } else if (op == 10 && !m.empty()) {
          int64_t idx = int64_t(rnd(m.size() * 2 + 2)) - int64_t(m.size()) - 1;
          ListElem e;
          std::string text;
          bool in = idx >= -int64_t(m.size()) && idx < int64_t(m.size());
          ASSERT_EQ(l.Index(idx, &e, &text), in);
          if (in) {
            ASSERT_EQ(e.ToString(), m[at(idx)]);
          }
        } else if (op == 11 && !m.empty()) {
          size_t start = rnd(m.size()), n = rnd(m.size() + 1);
          bool reverse = rnd(2);
          std::vector<std::string> got, want;
          l.ForRange(start, n, reverse, [&](const ListElem& e) { got.push_back(e.ToString()); });
          for (size_t i = 0; i < n; i++) {
            if (reverse ? i > start : start + i >= m.size()) break;
            want.push_back(m[reverse ? start - i : start + i]);
          }
          ASSERT_EQ(got, want);
        } else if (op == 12) {
          // LPOS: the positions of every match, searching from either end.
          std::string v = pick();
          ListNeedle needle(v);
          bool reverse = rnd(2);
          std::vector<size_t> got, want;
          for (size_t i = 0; i < m.size(); i++) {
            size_t pos = reverse ? m.size() - 1 - i : i;
            if (m[pos] == v) want.push_back(pos);
          }
          if (!m.empty()) {
            ListObject::Iter it(l, reverse ? m.size() - 1 : 0, reverse);
            ListElem e;
            for (size_t i = 0; it.Next(&e); i++)
              if (needle.Matches(e)) got.push_back(reverse ? m.size() - 1 - i : i);
          }
          ASSERT_EQ(got, want);
        } else if (op == 13 && rnd(10) == 0) {
          auto c = l.Clone();
          auto* lc = static_cast<ListObject*>(c.get());
          ASSERT_TRUE(lc->Validate());
          ASSERT_TRUE(LaidOut(*lc, depth));
          ASSERT_EQ(Contents(*lc), m);
          ASSERT_LE(lc->MemoryUsage(), l.MemoryUsage());  // plain nodes lose their slack
        }
        ASSERT_EQ(l.Length(), m.size()) << "step " << step;
        ASSERT_TRUE(l.Validate()) << "step " << step;
        ASSERT_TRUE(LaidOut(l, depth)) << "step " << step << " op " << op;
        if (step % 16 == 0) {
          ASSERT_EQ(Contents(l), m) << "step " << step << " op " << op;
        }
      }
      ASSERT_EQ(Contents(l), m);
    }
  }
}

// A list adopts a new depth at its next write, re-laying out every node.
TEST(List, DepthChangeRelaysOut) {
  ListObject l;
  std::string v(50, 'z');
  for (int i = 0; i < 200; i++) l.Push(ListObject::kTail, v + std::to_string(i), 4, 0);
  ASSERT_EQ(l.NodeCount(), 50u);
  EXPECT_TRUE(LaidOut(l, 0));
  size_t plain = l.MemoryUsage();
  for (int depth : {1, 3, 0, 2, 60}) {
    l.Push(ListObject::kTail, "x", 4, depth);
    EXPECT_TRUE(LaidOut(l, depth)) << depth;
    EXPECT_TRUE(l.Validate());
  }
  std::string got;
  ASSERT_TRUE(l.Pop(ListObject::kTail, &got, 1));
  EXPECT_EQ(got, "x");
  EXPECT_TRUE(LaidOut(l, 1));
  EXPECT_LT(l.MemoryUsage(), plain);
  // Reading an element of a compressed node copies its text out; the node stays compressed.
  ASSERT_TRUE(l.NodeCompressed(10));
  ListElem e;
  std::string text;
  ASSERT_TRUE(l.Index(41, &e, &text));
  EXPECT_EQ(e.ToString(), v + "41");
  EXPECT_EQ(e.str.data(), text.data());
  EXPECT_TRUE(l.NodeCompressed(10));
  EXPECT_TRUE(LaidOut(l, 1));
}

// Compression pays: 100,000 copies of a 40-byte repetitive string.
TEST(List, CompressionSavesMemory) {
  const std::string v = "event:login:user=alice:status=ok:ok:ok!!";
  ASSERT_EQ(v.size(), 40u);
  size_t usage[2];
  for (int depth : {0, 1}) {
    ListObject l;
    for (int i = 0; i < 100000; i++) l.Push(ListObject::kTail, v, -2, depth);
    EXPECT_TRUE(LaidOut(l, depth));
    usage[depth] = l.MemoryUsage();
    // Walking the list reads every compressed node back.
    size_t n = 0;
    l.ForRange(0, l.Length(), false, [&](const ListElem& e) { n += e.str == v; });
    EXPECT_EQ(n, 100000u);
  }
  // About 4.2 MB plain and 0.1 MB compressed: each 8 KB node of copies compresses to under
  // 200 bytes.
  EXPECT_GT(usage[0], 4000000u);
  EXPECT_LT(usage[1] * 20, usage[0]) << usage[0] << " plain, " << usage[1] << " compressed";
}

}  // namespace
}  // namespace strata::kv
