#include "kv/engine/bucket_progress.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kv/engine/db_table.h"

namespace strata::kv {
namespace {

TEST(BucketProgress, WalkVisitsEveryBucketOnce) {
  for (size_t n : {size_t(0), size_t(1), size_t(63), size_t(64), size_t(65), size_t(1000)}) {
    BucketProgress p(n);
    std::vector<size_t> seen;
    for (size_t i = p.NextForWalk(); i < n; i = p.NextForWalk()) {
      EXPECT_TRUE(p.Take(i));
      seen.push_back(i);
    }
    ASSERT_EQ(seen.size(), n);
    for (size_t i = 0; i < n; i++) EXPECT_EQ(seen[i], i);
    EXPECT_TRUE(p.complete());
  }
}

TEST(BucketProgress, OutOfOrderTakesAreSkippedByTheWalk) {
  std::mt19937_64 rng(7);
  const size_t n = 777;
  BucketProgress p(n);
  std::set<size_t> early;
  for (int k = 0; k < 300; k++) {
    size_t i = rng() % n;
    EXPECT_EQ(p.Take(i), early.insert(i).second);
  }
  EXPECT_EQ(p.written(), early.size());
  size_t walked = 0;
  size_t prev = 0;
  bool first = true;
  for (size_t i = p.NextForWalk(); i < n; i = p.NextForWalk()) {
    EXPECT_FALSE(early.count(i));
    if (!first) {
      EXPECT_GT(i, prev);
    }
    first = false;
    prev = i;
    EXPECT_TRUE(p.Take(i));
    walked++;
    // Interleave: a write takes a bucket ahead of the walk.
    size_t j = rng() % n;
    if (p.Take(j)) early.insert(j);
  }
  EXPECT_EQ(walked + early.size(), n);
  EXPECT_TRUE(p.complete());
  EXPECT_FALSE(p.Take(0));
}

// A snapshot observer over a real table: buckets are copied before any change touches them, so
// the copy is the table as it was at the start, whatever happens during the walk.
struct CopyObserver final : BucketObserver {
  BucketProgress progress;
  std::map<std::string, std::string> copy;
  DbTable* table = nullptr;
  void Write(size_t idx) {
    table->ForEachInBucket(
        idx, [&](Entry* e) { copy[std::string(e->key())] = std::string(e->value()); });
  }
  void BeforeBucket(DbTable&, size_t idx) override {
    if (progress.Take(idx)) Write(idx);
  }
  void BeforeWhole(DbTable& t) override {
    for (size_t i = progress.NextForWalk(); i < progress.buckets(); i = progress.NextForWalk())
      if (progress.Take(i)) Write(i);
    t.SetObserver(nullptr);
  }
};

TEST(BucketProgress, TableObserverKeepsPointInTime) {
  DbTable t;
  std::map<std::string, std::string> before;
  for (int i = 0; i < 5000; i++) {
    std::string k = "k" + std::to_string(i);
    t.Insert(Entry::Create(k, "v" + k, -1, false), DbTable::Hash(k));
    before[k] = "v" + k;
  }
  t.FinishRehash();
  CopyObserver o;
  o.table = &t;
  o.progress = BucketProgress(t.main_buckets());
  size_t buckets = t.main_buckets();
  t.SetObserver(&o);
  std::mt19937_64 rng(3);
  int step = 0;
  for (size_t i = o.progress.NextForWalk(); i < o.progress.buckets();
       i = o.progress.NextForWalk()) {
    o.progress.Take(i);
    o.Write(i);
    // Writes during the walk: overwrite, delete, add (the table must not resize).
    for (int k = 0; k < 3; k++, step++) {
      std::string key = "k" + std::to_string(rng() % 8000);
      uint64_t h = DbTable::Hash(key);
      Entry** link = t.FindLink(key, h);
      if (step % 3 == 0 && link) {
        Entry::Destroy(t.Unlink(link));
      } else if (link) {
        Entry::Destroy(t.Replace(link, Entry::Create(key, "new", -1, false)));
      } else {
        t.Insert(Entry::Create(key, "added", -1, false), h);
      }
    }
  }
  EXPECT_EQ(t.main_buckets(), buckets);
  EXPECT_EQ(o.copy, before);
  t.SetObserver(nullptr);
}

TEST(BucketProgress, ClearFinishesTheWalkFirst) {
  DbTable t;
  for (int i = 0; i < 300; i++) {
    std::string k = "k" + std::to_string(i);
    t.Insert(Entry::Create(k, "x", -1, false), DbTable::Hash(k));
  }
  t.FinishRehash();
  CopyObserver o;
  o.table = &t;
  o.progress = BucketProgress(t.main_buckets());
  t.SetObserver(&o);
  t.Clear();
  EXPECT_EQ(o.copy.size(), 300u);
  EXPECT_EQ(t.observer(), nullptr);
}

}  // namespace
}  // namespace strata::kv
