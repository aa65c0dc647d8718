#include "kv/types/zset.h"

#include "kv/types/geohash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace strata::kv {
namespace {

using Limits = ZSet::Limits;

// The reference model: (score, member) pairs in order plus member -> score.
struct Model {
  std::set<std::pair<double, std::string>> ordered;
  std::map<std::string, double> scores;

  void Add(double s, const std::string& m) {
    auto it = scores.find(m);
    if (it != scores.end()) ordered.erase({it->second, m});
    scores[m] = s;
    ordered.insert({s, m});
  }
  bool Remove(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return false;
    ordered.erase({it->second, m});
    scores.erase(it);
    return true;
  }
  std::vector<std::pair<double, std::string>> Vec() const {
    return {ordered.begin(), ordered.end()};
  }
};

std::vector<std::pair<double, std::string>> Contents(const ZSet& z) {
  std::vector<std::pair<double, std::string>> v;
  z.Visit(0, z.Length(), false, [&](std::string_view m, double s) {
    v.emplace_back(s, std::string(m));
    return true;
  });
  return v;
}

void ExpectSame(const ZSet& z, const Model& m) {
  ASSERT_TRUE(z.Validate());
  ASSERT_EQ(z.Length(), m.ordered.size());
  ASSERT_EQ(Contents(z), m.Vec());
}

TEST(ZSet, ListpackBasics) {
  ZSet z;
  Limits lim;
  double ns;
  EXPECT_EQ(z.Add(2, "b", 0, lim, &ns), ZSet::AddResult::kAdded);
  EXPECT_EQ(z.Add(1, "a", 0, lim, &ns), ZSet::AddResult::kAdded);
  EXPECT_EQ(z.Add(1, "c", 0, lim, &ns), ZSet::AddResult::kAdded);
  EXPECT_EQ(z.Add(1, "c", 0, lim, &ns), ZSet::AddResult::kUnchanged);
  EXPECT_EQ(z.Add(5, "c", ZSet::kNX, lim, &ns), ZSet::AddResult::kNop);
  EXPECT_EQ(z.Add(5, "d", ZSet::kXX, lim, &ns), ZSet::AddResult::kNop);
  EXPECT_EQ(z.Add(0, "c", ZSet::kGT, lim, &ns), ZSet::AddResult::kNop);
  EXPECT_EQ(z.Add(3, "c", ZSet::kGT, lim, &ns), ZSet::AddResult::kUpdated);
  EXPECT_STREQ(z.Encoding(), "listpack");
  auto v = Contents(z);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].second, "a");
  EXPECT_EQ(v[1].second, "b");
  EXPECT_EQ(v[2].second, "c");
  size_t rank;
  double s;
  ASSERT_TRUE(z.Rank("b", &rank, &s));
  EXPECT_EQ(rank, 1u);
  EXPECT_EQ(s, 2);
  EXPECT_EQ(z.Add(1, "c", ZSet::kIncr, lim, &ns), ZSet::AddResult::kUpdated);
  EXPECT_EQ(ns, 4);
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(z.Add(inf, "x", 0, lim, &ns), ZSet::AddResult::kAdded);
  EXPECT_EQ(z.Add(-inf, "x", ZSet::kIncr, lim, &ns), ZSet::AddResult::kNaN);
  EXPECT_TRUE(z.Remove("x"));
  EXPECT_FALSE(z.Remove("x"));
}

TEST(ZSet, ConversionThresholds) {
  Limits lim;  // 128 entries, 64 bytes
  {
    ZSet z;
    double ns;
    for (int i = 0; i < 128; i++) z.Add(i, "m" + std::to_string(i), 0, lim, &ns);
    EXPECT_STREQ(z.Encoding(), "listpack");
    z.Add(1, "m1", 0, lim, &ns);  // an update does not convert
    EXPECT_STREQ(z.Encoding(), "listpack");
    z.Add(200, "m200", 0, lim, &ns);
    EXPECT_STREQ(z.Encoding(), "skiplist");
    EXPECT_EQ(z.Length(), 129u);
    EXPECT_TRUE(z.Validate());
    for (int i = 0; i < 120; i++) z.Remove("m" + std::to_string(i));
    EXPECT_STREQ(z.Encoding(), "skiplist");  // never converts back
  }
  {
    ZSet z;
    double ns;
    z.Add(1, std::string(64, 'x'), 0, lim, &ns);
    EXPECT_STREQ(z.Encoding(), "listpack");
    z.Add(1, std::string(65, 'x'), 0, lim, &ns);
    EXPECT_STREQ(z.Encoding(), "skiplist");
    EXPECT_TRUE(z.Validate());
  }
  EXPECT_EQ(ZSet::EncodingFor(64, lim), ZSet::Enc::kListpack);
  EXPECT_EQ(ZSet::EncodingFor(65, lim), ZSet::Enc::kSkiplist);
  EXPECT_EQ(ZSet::EncodingFor(1, Limits{0, 64}), ZSet::Enc::kSkiplist);
  std::vector<ZEntry> e;
  for (int i = 0; i < 128; i++) e.push_back({"m" + std::to_string(i), double(i)});
  EXPECT_STREQ(ZSet::Build(e, lim)->Encoding(), "listpack");
  e.push_back({"extra", 0});
  EXPECT_STREQ(ZSet::Build(e, lim)->Encoding(), "skiplist");
  e.resize(3);
  e[1].member = std::string(65, 'y');
  EXPECT_STREQ(ZSet::Build(e, lim)->Encoding(), "skiplist");
}

// Random operations against the model, compared after every step, in both encodings.
void RandomOps(uint64_t seed, int ops, int members, bool big_from_start, int check_every) {
  std::mt19937_64 rng(seed);
  Limits lim{16, 10};
  auto z = std::make_unique<ZSet>(big_from_start ? ZSet::Enc::kSkiplist : ZSet::Enc::kListpack);
  Model m;
  auto member = [&]() {
    int k = int(rng() % uint64_t(members));
    std::string s = "m" + std::to_string(k);
    if (k % 37 == 0) s += std::string(12, 'z');    // longer than the listpack value limit
    if (k % 101 == 0) s += std::string(300, 'L');  // long-form blob
    return s;
  };
  auto score = [&]() { return double(int(rng() % 50)) - 25 + ((rng() % 4) == 0 ? 0.5 : 0); };
  for (int step = 0; step < ops; step++) {
    int op = int(rng() % 100);
    if (op < 45) {
      std::string k = member();
      double s = score(), ns;
      int flags = (rng() % 8 == 0) ? ZSet::kIncr : 0;
      auto r = z->Add(s, k, flags, lim, &ns);
      auto it = m.scores.find(k);
      if (flags & ZSet::kIncr) s += it == m.scores.end() ? 0 : it->second;
      ASSERT_NE(r, ZSet::AddResult::kNaN);
      m.Add(s, k);
      ASSERT_EQ(ns, s);
    } else if (op < 70) {
      std::string k = member();
      ASSERT_EQ(z->Remove(k), m.Remove(k));
    } else if (op < 75 && z->Length()) {
      size_t a = rng() % z->Length(), b = a + rng() % 20;
      size_t removed = z->RemoveRanks(a, b);
      auto v = m.Vec();
      size_t end = std::min(b, v.size());
      ASSERT_EQ(removed, end - a);
      for (size_t i = a; i < end; i++) m.Remove(v[i].second);
    } else if (op < 78) {
      size_t cnt = rng() % 5;
      bool max = rng() % 2;
      auto popped = max ? z->PopMax(cnt) : z->PopMin(cnt);
      auto v = m.Vec();
      ASSERT_EQ(popped.size(), std::min(cnt, v.size()));
      for (size_t i = 0; i < popped.size(); i++) {
        const auto& want = max ? v[v.size() - 1 - i] : v[i];
        ASSERT_EQ(popped[i].member, want.second);
        ASSERT_EQ(popped[i].score, want.first);
        m.Remove(want.second);
      }
    } else if (op < 88) {
      // Rank, score and range bounds.
      std::string k = member();
      size_t rank;
      double s;
      bool found = z->Rank(k, &rank, &s);
      auto it = m.scores.find(k);
      ASSERT_EQ(found, it != m.scores.end());
      if (found) {
        ASSERT_EQ(s, it->second);
        ASSERT_EQ(rank, size_t(std::distance(m.ordered.begin(), m.ordered.find({s, k}))));
        auto at = z->At(rank);
        ASSERT_EQ(at.first, k);
      }
      ZScoreRange r{score(), score(), rng() % 2 == 0, rng() % 2 == 0};
      size_t below = 0, upto = 0;
      for (auto& [sc, mm] : m.ordered) {
        if (r.minex ? sc <= r.min : sc < r.min) below++;
        if (r.maxex ? sc < r.max : sc <= r.max) upto++;
      }
      ASSERT_EQ(z->CountBelowMin(r), below);
      ASSERT_EQ(z->CountUpToMax(r), upto);
    } else if (op < 92 && z->Length()) {
      size_t a = rng() % z->Length(), b = a + rng() % 300;
      bool rev = rng() % 2;
      std::vector<std::pair<double, std::string>> got;
      z->Visit(a, b, rev, [&](std::string_view mm, double s) {
        got.emplace_back(s, std::string(mm));
        return true;
      });
      auto v = m.Vec();
      std::vector<std::pair<double, std::string>> want(v.begin() + long(a),
                                                       v.begin() + long(std::min(b, v.size())));
      if (rev) std::reverse(want.begin(), want.end());
      ASSERT_EQ(got, want);
    } else if (op < 94) {
      auto c = z->Clone();
      z.reset(static_cast<ZSet*>(c.release()));
    } else if (op < 96) {
      // SCAN to the end returns every member.
      std::set<std::string> seen;
      uint64_t cur = 0;
      do {
        std::vector<ZEntry> out;
        cur = z->Scan(cur, 3, &out);
        for (auto& e : out) seen.insert(e.member);
      } while (cur != 0);
      ASSERT_EQ(seen.size(), m.scores.size());
    } else {
      double s;
      std::string k = member();
      ASSERT_EQ(z->Score(k, &s), m.scores.count(k) > 0);
    }
    if (step % check_every == 0 || step == ops - 1) ExpectSame(*z, m);
  }
}

TEST(ZSet, PropertySmall) {
  for (uint64_t seed = 1; seed <= 20; seed++) RandomOps(seed, 2000, 40, false, 1);
}

TEST(ZSet, PropertyLarge) {
  for (uint64_t seed = 1; seed <= 4; seed++) RandomOps(seed, 20000, 3000, true, 5000);
  RandomOps(99, 6000, 800, true, 1);
  // Deep enough for three levels of inner nodes to split and merge.
  RandomOps(7, 400000, 150000, true, 50000);
}

TEST(ZSet, LargeSequentialAndLex) {
  ZSet z(ZSet::Enc::kSkiplist);
  Limits lim;
  double ns;
  const int n = 100000;
  for (int i = 0; i < n; i++) z.Add(i, "m:" + std::to_string(i), 0, lim, &ns);
  ASSERT_TRUE(z.Validate());
  for (int i = 0; i < n; i += 97) {
    size_t rank;
    double s;
    ASSERT_TRUE(z.Rank("m:" + std::to_string(i), &rank, &s));
    ASSERT_EQ(rank, size_t(i));
    ASSERT_EQ(z.At(size_t(i)).first, "m:" + std::to_string(i));
  }
  ZScoreRange r{10, 20, true, false};
  EXPECT_EQ(z.CountBelowMin(r), 11u);
  EXPECT_EQ(z.CountUpToMax(r), 21u);
  // Equal scores: lex ranges.
  ZSet l(ZSet::Enc::kSkiplist);
  for (int i = 0; i < 1000; i++) {
    char buf[8];
    snprintf(buf, sizeof buf, "%04d", i);
    l.Add(0, buf, 0, lim, &ns);
  }
  ZLexRange lr;
  ASSERT_TRUE(ParseLexBound("[0100", &lr.min));
  ASSERT_TRUE(ParseLexBound("(0200", &lr.max));
  EXPECT_EQ(l.CountBelowMin(lr), 100u);
  EXPECT_EQ(l.CountUpToMax(lr), 200u);
  ASSERT_TRUE(ParseLexBound("-", &lr.min));
  ASSERT_TRUE(ParseLexBound("+", &lr.max));
  EXPECT_EQ(l.CountBelowMin(lr), 0u);
  EXPECT_EQ(l.CountUpToMax(lr), 1000u);
  EXPECT_FALSE(ParseLexBound("x", &lr.min));
  EXPECT_FALSE(ParseLexBound("", &lr.min));
  // Removing everything from the front and back keeps the tree valid.
  for (int i = 0; i < n / 2; i++) z.PopMin(1);
  ASSERT_TRUE(z.Validate());
  z.RemoveRanks(100, 40000);
  ASSERT_TRUE(z.Validate());
  EXPECT_EQ(z.Length(), size_t(n / 2 - 39900));
}

}  // namespace
}  // namespace strata::kv

namespace strata::kv {
namespace {

TEST(GeoHash, EncodeDecodeAndFormats) {
  double score = double(geo::EncodeScore(13.361389, 38.115556));
  EXPECT_EQ(uint64_t(score), 3479099956230698ull);  // Redis's score for the same point
  double lon, lat;
  ASSERT_TRUE(geo::DecodeScore(score, &lon, &lat));
  EXPECT_NEAR(lon, 13.361389, 1e-5);
  EXPECT_NEAR(lat, 38.115556, 1e-5);
  EXPECT_EQ(geo::HashString(score), "sqc8b49rny0");
  double c = double(geo::EncodeScore(15.087269, 37.502669));
  double lon2, lat2;
  ASSERT_TRUE(geo::DecodeScore(c, &lon2, &lat2));
  EXPECT_EQ(geo::FormatDistance(geo::Distance(lon, lat, lon2, lat2) / 1000), "166.2742");
  EXPECT_EQ(geo::FormatDistance(0), "0.0000");
  EXPECT_EQ(geo::FormatDistance(0.00005), "0.0000");  // halves round to even, as Redis
  EXPECT_EQ(geo::FormatDistance(12.34567), "12.3457");
  EXPECT_FALSE(geo::ValidLonLat(181, 0));
  EXPECT_FALSE(geo::ValidLonLat(0, 85.1));
  // The covering cells always include the centre's cell.
  geo::Shape s;
  s.lon = 15;
  s.lat = 37;
  s.radius = 200;
  s.conversion = 1000;
  geo::Cover cover = geo::CoverShape(&s);
  uint64_t min, max;
  geo::CellScores(cover.cells[0], &min, &max);
  uint64_t centre = geo::EncodeScore(15, 37);
  EXPECT_LE(min, centre);
  EXPECT_LT(centre, max);
}

}  // namespace
}  // namespace strata::kv
