#include "kv/types/stream.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

namespace strata::kv {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
using Model = std::map<StreamID, Fields>;

void Add(StreamObject& s, StreamID id, const Fields& f, size_t max_bytes = 4096,
         size_t max_entries = 100) {
  std::vector<std::string_view> fv;
  for (const auto& [k, v] : f) {
    fv.push_back(k);
    fv.push_back(v);
  }
  s.Append(id, fv, max_bytes, max_entries);
}

std::vector<std::pair<StreamID, Fields>> All(const StreamObject& s, bool rev = false,
                                             StreamID start = StreamID::Min(),
                                             StreamID end = StreamID::Max()) {
  std::vector<std::pair<StreamID, Fields>> out;
  s.Range(start, end, rev, [&](StreamID id, const StreamFields& f) {
    Fields copy;
    for (auto [k, v] : f) copy.emplace_back(std::string(k), std::string(v));
    out.emplace_back(id, copy);
    return true;
  });
  return out;
}

std::vector<std::pair<StreamID, Fields>> ModelRange(const Model& m, StreamID start, StreamID end,
                                                    bool rev) {
  std::vector<std::pair<StreamID, Fields>> out;
  if (start > end) return out;
  for (auto it = m.lower_bound(start); it != m.end() && it->first <= end; ++it)
    out.emplace_back(it->first, it->second);
  if (rev) std::reverse(out.begin(), out.end());
  return out;
}

TEST(StreamID, ParseAndFormat) {
  StreamID id;
  bool seq_given;
  EXPECT_TRUE(ParseStreamID("5-3", &id, 0, true));
  EXPECT_EQ(id, (StreamID{5, 3}));
  EXPECT_TRUE(ParseStreamID("7", &id, UINT64_MAX, false));
  EXPECT_EQ(id, (StreamID{7, UINT64_MAX}));
  EXPECT_TRUE(ParseStreamID("-", &id, 0, false));
  EXPECT_EQ(id, StreamID::Min());
  EXPECT_TRUE(ParseStreamID("+", &id, 0, false));
  EXPECT_EQ(id, StreamID::Max());
  EXPECT_FALSE(ParseStreamID("-", &id, 0, true));
  EXPECT_FALSE(ParseStreamID("1-x", &id, 0, true));
  EXPECT_FALSE(ParseStreamID("-1", &id, 0, true));
  EXPECT_FALSE(ParseStreamID("18446744073709551616", &id, 0, true));
  EXPECT_TRUE(ParseStreamID("18446744073709551615-18446744073709551615", &id, 0, true));
  EXPECT_EQ(id, StreamID::Max());
  EXPECT_TRUE(ParseStreamID("9-*", &id, 0, true, &seq_given));
  EXPECT_FALSE(seq_given);
  EXPECT_FALSE(ParseStreamID("9-*", &id, 0, true));
  EXPECT_EQ((StreamID{12, 4}).ToString(), "12-4");
  StreamID m = StreamID::Max();
  EXPECT_FALSE(m.Incr());
  EXPECT_EQ(m, StreamID::Min());
  EXPECT_FALSE(m.Decr());
  EXPECT_EQ(m, StreamID::Max());
}

// Node boundaries follow Redis's listpack sizes: these counts are what Redis 7.0 reports as
// radix-tree-keys for the same insertions.
TEST(Stream, NodeBoundariesMatchRedis) {
  {
    StreamObject s;
    for (uint64_t i = 1; i <= 10; i++) Add(s, {i, 0}, {{"f", std::string(1000, 'x')}});
    EXPECT_EQ(s.NodeCount(), 3u);
  }
  {
    StreamObject s;
    for (uint64_t i = 1; i <= 100; i++)
      Add(s, {i, 0}, {{"f", std::string(100, 'y')}, {"g", "12345"}});
    EXPECT_EQ(s.NodeCount(), 3u);
  }
  {
    StreamObject s;
    for (uint64_t i = 1; i <= 250; i++) Add(s, {i, 0}, {{"f", "1"}});
    EXPECT_EQ(s.NodeCount(), 3u);
    EXPECT_EQ(s.NodeEntryCount(0), 100u);
    EXPECT_EQ(s.NodeEntryCount(2), 50u);
  }
  {
    StreamObject s;
    for (uint64_t i = 1; i <= 300; i++) Add(s, {i, i}, {{"f", "1"}, {"name", "hello"}}, 4096, 0);
    EXPECT_EQ(s.NodeCount(), 2u);
    // The size check comes before the append, so a node may end a little past the limit.
    EXPECT_LT(s.NodeListpackBytes(0), 4096u + 32);
  }
}

TEST(Stream, ApproxTrimRemovesWholeNodesOnly) {
  StreamObject s;
  for (uint64_t i = 1; i <= 250; i++) Add(s, {i, 0}, {{"f", std::to_string(i)}});
  StreamTrimArgs t;
  t.strategy = StreamTrimArgs::kMaxLen;
  t.maxlen = 120;
  t.approx = true;
  t.limit = 10000;
  EXPECT_EQ(s.Trim(t), 100);  // one whole node; the next would leave fewer than 120
  EXPECT_EQ(s.Length(), 150u);
  EXPECT_EQ(s.first_id(), (StreamID{101, 0}));
  t.approx = false;
  t.limit = 0;
  EXPECT_EQ(s.Trim(t), 30);
  EXPECT_EQ(s.Length(), 120u);
  EXPECT_EQ(s.first_id(), (StreamID{131, 0}));
  t.strategy = StreamTrimArgs::kMinId;
  t.minid = {200, 0};
  EXPECT_EQ(s.Trim(t), 69);
  EXPECT_EQ(s.first_id(), (StreamID{200, 0}));
}

TEST(Stream, DeleteKeepsTombstonesAndDropsEmptyNodes) {
  StreamObject s;
  for (uint64_t i = 1; i <= 150; i++) Add(s, {i, 0}, {{"f", "v"}});
  EXPECT_EQ(s.NodeCount(), 2u);
  for (uint64_t i = 101; i <= 150; i++) EXPECT_TRUE(s.Delete({i, 0}));
  EXPECT_EQ(s.NodeCount(), 1u);
  EXPECT_FALSE(s.Delete({120, 0}));
  EXPECT_TRUE(s.Delete({1, 0}));
  EXPECT_EQ(s.first_id(), (StreamID{2, 0}));
  EXPECT_EQ(s.max_deleted_id(), (StreamID{150, 0}));
  EXPECT_EQ(s.last_id(), (StreamID{150, 0}));
  EXPECT_EQ(s.Length(), 99u);
  StreamID last;
  ASSERT_TRUE(s.LastId(&last));
  EXPECT_EQ(last, (StreamID{100, 0}));
}

// XSETID may move the last ID back below a deleted entry (Redis allows it once MAXDELETEDID has
// lowered the max-deleted ID). An entry then added with that same ID lies after the deleted one
// in the node, and must still be found and deleted.
TEST(Stream, DeleteSkipsDeletedEntriesAboveTheLastId) {
  StreamObject s;
  for (uint64_t i = 1; i <= 3; i++) Add(s, {0, i}, {{"f", std::to_string(i)}});
  EXPECT_TRUE(s.Delete({0, 3}));
  s.set_last_id({0, 2});
  Add(s, {0, 3}, {{"f", "again"}});
  Add(s, {0, 4}, {{"f", "4"}});
  EXPECT_TRUE(s.Exists({0, 3}));
  EXPECT_TRUE(s.Delete({0, 4}));
  EXPECT_TRUE(s.Delete({0, 3}));
  EXPECT_FALSE(s.Exists({0, 3}));
  EXPECT_FALSE(s.Delete({0, 3}));
  EXPECT_EQ(s.Length(), 2u);
  EXPECT_EQ(All(s).size(), 2u);
}

// An exact trim that deletes every live entry of the first node keeps the node (as Redis does).
// If XSETID then moves the last ID below that node's master ID, new entries must still be found
// by ID.
TEST(Stream, EntriesAddedBelowATrimmedNodeAreFound) {
  StreamObject s;
  Add(s, {4, 0}, {{"f", "v"}});
  Add(s, {4, 1}, {{"f", "v"}});
  EXPECT_TRUE(s.Delete({4, 1}));
  StreamTrimArgs t;
  t.strategy = StreamTrimArgs::kMinId;
  t.minid = {4, 1};
  EXPECT_EQ(s.Trim(t), 1);
  EXPECT_EQ(s.Length(), 0u);
  s.set_last_id({0, 5});
  Add(s, {0, 6}, {{"f", "w"}});
  EXPECT_TRUE(s.Exists({0, 6}));
  EXPECT_EQ(All(s, false, {0, 6}, {0, 6}).size(), 1u);
  EXPECT_EQ(All(s, true, {0, 6}, {0, 6}).size(), 1u);
  EXPECT_EQ(s.first_id(), (StreamID{0, 6}));
  EXPECT_TRUE(s.Delete({0, 6}));
  EXPECT_EQ(s.Length(), 0u);
}

TEST(Stream, SameFieldsAndMixedFields) {
  StreamObject s;
  Add(s, {1, 0}, {{"a", "1"}, {"b", "2"}});
  Add(s, {1, 1}, {{"a", "3"}, {"b", "4"}});
  Add(s, {2, 0}, {{"b", "5"}, {"a", "6"}});
  Add(s, {3, 0}, {{"a", "7"}});
  Add(s, {3, 5}, {{"a", "x"}, {"b", ""}, {"c", std::string(300, 'z')}});
  auto all = All(s);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[1].second, (Fields{{"a", "3"}, {"b", "4"}}));
  EXPECT_EQ(all[2].second, (Fields{{"b", "5"}, {"a", "6"}}));
  EXPECT_EQ(all[3].second, (Fields{{"a", "7"}}));
  EXPECT_EQ(all[4].first, (StreamID{3, 5}));
  EXPECT_EQ(all[4].second[2].second, std::string(300, 'z'));
}

// Random operations against a std::map model, compared after every step.
TEST(Stream, PropertyAgainstModel) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 4; round++) {
    StreamObject s;
    Model m;
    StreamID last;
    size_t max_entries = round % 2 ? 7 : 100;
    size_t max_bytes = round >= 2 ? 300 : 4096;
    for (int step = 0; step < 3000; step++) {
      int op = int(rng() % 100);
      if (op < 50) {
        StreamID id = last;
        if (rng() % 3)
          id = {last.ms + rng() % 3, rng() % 4};
        else
          id.Incr();
        if (id <= last) id = {last.ms + 1, 0};
        Fields f;
        size_t nf = 1 + rng() % 3;
        for (size_t i = 0; i < nf; i++)
          f.emplace_back(rng() % 4 ? "f" + std::to_string(i) : "x" + std::to_string(rng() % 9),
                         std::string(rng() % 5 == 0 ? 70 : rng() % 6, char('a' + rng() % 26)));
        Add(s, id, f, max_bytes, max_entries);
        m[id] = f;
        last = id;
      } else if (op < 70 && !m.empty()) {
        auto it = m.begin();
        std::advance(it, ptrdiff_t(rng() % m.size()));
        StreamID id = rng() % 5 ? it->first : StreamID{it->first.ms, it->first.seq + 1};
        bool expect = m.erase(id) > 0;
        EXPECT_EQ(s.Delete(id), expect);
      } else if (op < 78) {
        StreamTrimArgs t;
        t.approx = rng() % 2;
        t.limit = t.approx ? 10000 : 0;
        if (rng() % 2) {
          t.strategy = StreamTrimArgs::kMaxLen;
          t.maxlen = int64_t(rng() % (m.size() + 5));
        } else {
          t.strategy = StreamTrimArgs::kMinId;
          t.minid = {rng() % (last.ms + 2), rng() % 3};
        }
        int64_t removed = s.Trim(t);
        // Trimming removes a prefix; exact trimming removes exactly what the bound says.
        auto rest = All(s);
        ASSERT_LE(rest.size(), m.size());
        size_t cut = m.size() - rest.size();
        EXPECT_EQ(int64_t(cut), removed);
        for (size_t i = 0; i < cut; i++) m.erase(m.begin());
        if (!t.approx && t.strategy == StreamTrimArgs::kMaxLen) {
          EXPECT_LE(int64_t(m.size()), t.maxlen);
        } else if (!t.approx && !m.empty()) {
          EXPECT_GE(m.begin()->first, t.minid);
        }
      } else {
        StreamID a{rng() % (last.ms + 2), rng() % 4}, b{rng() % (last.ms + 2), rng() % 4};
        bool rev = rng() % 2;
        EXPECT_EQ(All(s, rev, a, b), ModelRange(m, a, b, rev));
      }
      ASSERT_EQ(s.Length(), m.size());
      EXPECT_EQ(s.last_id(), last);
      if (m.empty()) {
        EXPECT_EQ(s.first_id(), StreamID::Min());
      } else {
        EXPECT_EQ(s.first_id(), m.begin()->first);
        StreamID l;
        ASSERT_TRUE(s.LastId(&l));
        EXPECT_EQ(l, m.rbegin()->first);
      }
      if (step % 50 == 0) {
        EXPECT_EQ(All(s), ModelRange(m, StreamID::Min(), StreamID::Max(), false));
        EXPECT_EQ(All(s, true), ModelRange(m, StreamID::Min(), StreamID::Max(), true));
        for (size_t n = 0; n < s.NodeCount(); n++) {
          EXPECT_LE(s.NodeEntryCount(n), max_entries);
        }
        auto copy = s.Clone();
        EXPECT_EQ(All(static_cast<StreamObject&>(*copy)), All(s));
      }
    }
  }
}

TEST(Stream, GroupsDeliverAckAndLag) {
  StreamObject s;
  for (uint64_t i = 1; i <= 5; i++) Add(s, {i, 0}, {{"f", "v"}});
  StreamGroup* g = s.CreateGroup("g", StreamID::Min(), 0);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(s.CreateGroup("g", StreamID::Min(), 0), nullptr);
  int64_t lag;
  ASSERT_TRUE(s.Lag(*g, &lag));
  EXPECT_EQ(lag, 5);
  StreamConsumer* c = g->CreateConsumer("c", 100);
  std::vector<StreamID> got;
  EXPECT_EQ(s.DeliverNew(g, c, 3, false, 1000,
                         [&](StreamID id, const StreamFields&) { got.push_back(id); }),
            3u);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(g->last_id, (StreamID{3, 0}));
  EXPECT_EQ(g->entries_read, 3);
  EXPECT_EQ(g->pel.size(), 3u);
  EXPECT_EQ(c->pel.size(), 3u);
  ASSERT_TRUE(s.Lag(*g, &lag));
  EXPECT_EQ(lag, 2);
  EXPECT_TRUE(g->Ack({2, 0}));
  EXPECT_FALSE(g->Ack({2, 0}));
  EXPECT_EQ(c->pel.size(), 2u);
  // A second consumer takes over a pending entry.
  StreamConsumer* d = g->CreateConsumer("d", 100);
  s.AddPending(g, d, {1, 0}, 2000);
  EXPECT_EQ(c->pel.size(), 1u);
  EXPECT_EQ(d->pel.size(), 1u);
  EXPECT_EQ(g->pel.at({1, 0}).consumer, d);
  // A deletion after the group's position makes the lag unknown.
  EXPECT_TRUE(s.Delete({4, 0}));
  EXPECT_FALSE(s.Lag(*g, &lag));
  // Deleting a consumer drops its pending entries.
  EXPECT_EQ(g->DeleteConsumer("c"), 1u);
  EXPECT_EQ(g->pel.size(), 1u);
  auto copy = s.Clone();
  StreamGroup* cg = static_cast<StreamObject&>(*copy).FindGroup("g");
  ASSERT_NE(cg, nullptr);
  EXPECT_EQ(cg->pel.at({1, 0}).consumer, cg->FindConsumer("d"));
  EXPECT_NE(cg->FindConsumer("d"), d);
  EXPECT_TRUE(s.DestroyGroup("g"));
  EXPECT_EQ(s.FindGroup("g"), nullptr);
}

TEST(Stream, EstimateDistance) {
  StreamObject s;
  EXPECT_EQ(s.EstimateDistance({5, 0}), 0);
  for (uint64_t i = 1; i <= 5; i++) Add(s, {i, 0}, {{"f", "v"}});
  EXPECT_EQ(s.EstimateDistance({5, 0}), 5);
  EXPECT_EQ(s.EstimateDistance({1, 0}), 1);
  EXPECT_EQ(s.EstimateDistance({0, 5}), 0);
  EXPECT_EQ(s.EstimateDistance({3, 0}), StreamGroup::kInvalidEntriesRead);
  EXPECT_EQ(s.EstimateDistance({9, 0}), StreamGroup::kInvalidEntriesRead);
}

TEST(Stream, AutoIdsAreMonotonic) {
  StreamObject s;
  StreamID id;
  ASSERT_TRUE(s.NextAutoId(1000, &id));
  EXPECT_EQ(id, (StreamID{1000, 0}));
  Add(s, id, {{"f", "v"}});
  ASSERT_TRUE(s.NextAutoId(900, &id));  // the clock went back
  EXPECT_EQ(id, (StreamID{1000, 1}));
  s.set_last_id(StreamID::Max());
  EXPECT_FALSE(s.NextAutoId(5, &id));
}

}  // namespace
}  // namespace strata::kv
