#include "strata/near_cache.h"

#include <chrono>
#include <cmath>
#include <list>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using strata::NearCache;
using strata::NearCacheOptions;

NearCacheOptions Opts(size_t capacity, size_t stripes) {
  NearCacheOptions o;
  o.capacity_bytes = capacity;
  o.stripes = stripes;
  return o;
}

size_t EntryBytes(const std::string& k, const std::string& v) {
  return k.size() + v.size() + NearCache::kEntryOverhead;
}

TEST(NearCache, PutGetInvalidate) {
  NearCache c(Opts(1 << 20, 4));
  EXPECT_EQ(c.Get("a"), std::nullopt);
  EXPECT_TRUE(c.Put("a", "1"));
  EXPECT_EQ(c.Get("a"), "1");
  EXPECT_TRUE(c.Put("a", "22"));
  EXPECT_EQ(c.Get("a"), "22");
  EXPECT_TRUE(c.Invalidate("a"));
  EXPECT_FALSE(c.Invalidate("a"));
  EXPECT_EQ(c.Get("a"), std::nullopt);
  EXPECT_TRUE(c.Put(std::string("bin\0key", 7), std::string("v\0v", 3)));
  EXPECT_EQ(c.Get(std::string("bin\0key", 7)), std::string("v\0v", 3));
  EXPECT_EQ(c.Get("bin"), std::nullopt);
  const auto st = c.stats();
  EXPECT_EQ(st.hits, 3u);
  EXPECT_EQ(st.misses, 3u);
  EXPECT_EQ(st.invalidations, 1u);
  EXPECT_EQ(st.entries, 1u);
  EXPECT_EQ(st.bytes, 7u + 3u + NearCache::kEntryOverhead);
  c.Clear();
  EXPECT_EQ(c.Get(std::string("bin\0key", 7)), std::nullopt);
  EXPECT_EQ(c.stats().entries, 0u);
  EXPECT_EQ(c.stats().bytes, 0u);
}

TEST(NearCache, StripeCountIsAPowerOfTwoAndKeepsAMinimumShare) {
  EXPECT_EQ(NearCache(Opts(64 << 20, 5)).stripe_count(), 8u);
  EXPECT_EQ(NearCache(Opts(64 << 20, 16)).stripe_count(), 16u);
  NearCache automatic(Opts(64 << 20, 0));
  EXPECT_GE(automatic.stripe_count(), 16u);
  EXPECT_EQ(automatic.stripe_count() & (automatic.stripe_count() - 1), 0u);
  EXPECT_EQ(NearCache(Opts(4 * NearCache::kMinStripeBytes, 16)).stripe_count(), 4u);
  EXPECT_EQ(NearCache(Opts(1000, 16)).stripe_count(), 1u);
}

TEST(NearCache, ByteBoundNeverExceededUnderRandomPuts) {
  const size_t capacity = 256 << 10;
  NearCache c(Opts(capacity, 8));
  std::mt19937_64 rng(42);
  std::unordered_map<std::string, std::string> last;  // the last value put per key
  for (int i = 0; i < 50000; ++i) {
    const std::string key = "key:" + std::to_string(rng() % 3000);
    const size_t len = (rng() % 10 == 0) ? rng() % 20000 : rng() % 400;
    std::string value(len, static_cast<char>('a' + rng() % 26));
    value += std::to_string(i);
    c.Put(key, value);
    last[key] = value;
    const auto st = c.stats();
    ASSERT_LE(st.bytes, capacity) << i;
    if (i % 7 == 0) {
      const std::string probe = "key:" + std::to_string(rng() % 3000);
      auto got = c.Get(probe);
      if (got) {
        ASSERT_EQ(*got, last[probe]);  // a hit is always the latest value
      }
    }
  }
  const auto st = c.stats();
  EXPECT_GT(st.evictions, 0u);
  EXPECT_GT(st.bytes, capacity / 2);  // it does use its space
  // Recount: the bytes of the entries still present match the reported total.
  size_t present = 0, entries = 0;
  for (const auto& [k, v] : last) {
    auto got = c.Get(k);
    if (got) {
      ASSERT_EQ(*got, v);
      present += EntryBytes(k, v);
      ++entries;
    }
  }
  EXPECT_EQ(present, st.bytes);
  EXPECT_EQ(entries, st.entries);
}

TEST(NearCache, OversizedEntryIsRefusedAndDropsTheOldValue) {
  NearCache c(Opts(4 * NearCache::kMinStripeBytes, 4));  // 4 stripes of kMinStripeBytes
  EXPECT_TRUE(c.Put("k", "small"));
  EXPECT_FALSE(c.Put("k", std::string(NearCache::kMinStripeBytes, 'x')));
  EXPECT_EQ(c.Get("k"), std::nullopt);  // the old value is stale now: not served
  EXPECT_TRUE(
      c.Put("k", std::string(NearCache::kMinStripeBytes - 1 - NearCache::kEntryOverhead, 'x')));
  EXPECT_TRUE(c.Get("k").has_value());
}

// Zipf(s) over n ranks by inverse CDF.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), s));
    for (double& x : cdf_) x /= sum;
  }
  size_t operator()(std::mt19937_64& rng) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// A plain LRU bounded by the same bytes, for comparison.
class LruModel {
 public:
  explicit LruModel(size_t capacity) : capacity_(capacity) {}
  bool Get(const std::string& k) {
    auto it = map_.find(k);
    if (it == map_.end()) return false;
    order_.splice(order_.end(), order_, it->second);
    return true;
  }
  void Put(const std::string& k, size_t bytes) {
    while (used_ + bytes > capacity_ && !order_.empty()) {
      used_ -= order_.front().second;
      map_.erase(order_.front().first);
      order_.pop_front();
    }
    order_.emplace_back(k, bytes);
    map_[k] = std::prev(order_.end());
    used_ += bytes;
  }

 private:
  size_t capacity_;
  size_t used_ = 0;
  std::list<std::pair<std::string, size_t>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, size_t>>::iterator> map_;
};

TEST(NearCache, ZipfHitRatioIsSaneAndAtLeastLru) {
  // 20000 keys of ~200 bytes, room for about 5% of them; a cache-aside loop (miss -> fill).
  const size_t keys = 20000;
  const std::string value(100, 'v');
  const size_t entry = 12 + value.size() + NearCache::kEntryOverhead;
  const size_t capacity = keys / 20 * entry;
  NearCacheOptions o = Opts(capacity, 4);
  o.expected_entry_bytes = entry;
  NearCache c(o);
  LruModel lru(capacity);
  Zipf zipf(keys, 0.9);
  std::mt19937_64 rng(1);
  size_t near_hits = 0, lru_hits = 0;
  const int requests = 400000;
  for (int i = 0; i < requests; ++i) {
    char key[16];
    snprintf(key, sizeof(key), "obj:%07zu", zipf(rng));
    if (c.Get(key)) {
      ++near_hits;
    } else {
      auto t = c.BeginFill(key);
      EXPECT_TRUE(c.CompleteFill(t, value));
    }
    if (lru.Get(key)) {
      ++lru_hits;
    } else {
      lru.Put(key, entry);
    }
  }
  const double near_ratio = static_cast<double>(near_hits) / requests;
  const double lru_ratio = static_cast<double>(lru_hits) / requests;
  RecordProperty("near_hit_ratio", std::to_string(near_ratio));
  RecordProperty("lru_hit_ratio", std::to_string(lru_ratio));
  std::printf("zipf 0.9: near cache hit ratio %.4f, LRU %.4f\n", near_ratio, lru_ratio);
  EXPECT_GT(near_ratio, 0.3);
  EXPECT_LT(near_ratio, 0.95);
  EXPECT_GE(near_ratio, lru_ratio);
  EXPECT_EQ(c.stats().hits, near_hits);
  EXPECT_LE(c.stats().bytes, capacity);
}

TEST(NearCache, TtlExpiry) {
  NearCache c(Opts(1 << 20, 1));
  EXPECT_TRUE(c.Put("long", "v", 1h));
  EXPECT_TRUE(c.Put("short", "v", 1ms));
  EXPECT_FALSE(c.Put("zero", "v", 0ms));
  EXPECT_FALSE(c.Put("negative", "v", -5ms));
  EXPECT_EQ(c.Get("zero"), std::nullopt);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(c.Get("short"), std::nullopt);
  EXPECT_EQ(c.Get("long"), "v");
  EXPECT_EQ(c.stats().expirations, 1u);
  EXPECT_EQ(c.stats().entries, 1u);
  // A put without ttl replaces an expiring entry with a lasting one.
  EXPECT_TRUE(c.Put("short", "w", 1ms));
  EXPECT_TRUE(c.Put("short", "x"));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(c.Get("short"), "x");
  // Fills carry a ttl too.
  auto t = c.BeginFill("filled");
  EXPECT_TRUE(c.CompleteFill(t, "f", 1ms));
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(c.Get("filled"), std::nullopt);
}

TEST(NearCache, FillRefusedAfterInvalidate) {
  NearCache c(Opts(1 << 20, 4));
  auto t = c.BeginFill("k");
  EXPECT_FALSE(c.Invalidate("k"));  // nothing cached, but the fill in flight is now stale
  EXPECT_FALSE(c.CompleteFill(t, "old"));
  EXPECT_EQ(c.Get("k"), std::nullopt);
  auto t2 = c.BeginFill("k");
  EXPECT_TRUE(c.CompleteFill(t2, "new"));
  EXPECT_EQ(c.Get("k"), "new");
  EXPECT_EQ(c.stats().fills_refused, 1u);
}

TEST(NearCache, TicketBelongsToItsCache) {
  NearCache a(Opts(1 << 20, 4));
  NearCache b(Opts(1 << 20, 4));
  auto t = a.BeginFill("k");
  EXPECT_FALSE(b.CompleteFill(t, "v"));
  EXPECT_EQ(b.Get("k"), std::nullopt);
  EXPECT_TRUE(a.CompleteFill(t, "v"));
}

TEST(NearCache, HugeTtlMeansNoExpiry) {
  NearCache c(Opts(1 << 20, 1));
  EXPECT_TRUE(c.Put("k", "v", NearCache::Clock::duration::max()));
  EXPECT_EQ(c.Get("k"), "v");
  EXPECT_TRUE(c.Put("h", "v", std::chrono::hours(24 * 365 * 100)));
  EXPECT_EQ(c.Get("h"), "v");
}

TEST(NearCache, FillRefusedAfterClear) {
  NearCache c(Opts(1 << 20, 4));
  std::vector<NearCache::Ticket> tickets;
  for (int i = 0; i < 50; ++i) tickets.push_back(c.BeginFill("k" + std::to_string(i)));
  c.Clear();
  for (auto& t : tickets) EXPECT_FALSE(c.CompleteFill(t, "old")) << t.key;
  EXPECT_EQ(c.stats().entries, 0u);
}

TEST(NearCache, FillRefusedAfterPutAndPutWins) {
  NearCache c(Opts(1 << 20, 4));
  auto t = c.BeginFill("k");
  EXPECT_TRUE(c.Put("k", "written"));
  EXPECT_FALSE(c.CompleteFill(t, "read-before-write"));
  EXPECT_EQ(c.Get("k"), "written");
}

TEST(NearCache, FillOfInvalidatedKeyLeavesOtherFillsAlone) {
  NearCache c(Opts(1 << 20, 16));
  // Invalidating one key drops at most the fills that share its generation slot: with 16
  // stripes x 256 slots most of 200 unrelated fills still complete.
  std::vector<NearCache::Ticket> tickets;
  for (int i = 0; i < 200; ++i) tickets.push_back(c.BeginFill("other" + std::to_string(i)));
  c.Invalidate("victim");
  int done = 0;
  for (auto& t : tickets) done += c.CompleteFill(t, "v") ? 1 : 0;
  EXPECT_GE(done, 190);
}

TEST(NearCache, NotServingMissesAndRefuses) {
  NearCache c(Opts(1 << 20, 4));
  EXPECT_TRUE(c.serving());
  EXPECT_TRUE(c.Put("a", "1"));
  auto before = c.BeginFill("b");
  c.SetServing(false);
  EXPECT_FALSE(c.serving());
  EXPECT_EQ(c.Get("a"), std::nullopt);
  EXPECT_EQ(c.stats().entries, 0u);  // dropped: invalidations may be lost while down
  EXPECT_FALSE(c.Put("a", "2"));
  EXPECT_FALSE(c.CompleteFill(before, "x"));
  auto during = c.BeginFill("c");
  EXPECT_FALSE(c.CompleteFill(during, "x"));
  c.SetServing(true);
  EXPECT_EQ(c.Get("a"), std::nullopt);        // nothing from before came back
  EXPECT_FALSE(c.CompleteFill(during, "x"));  // read while the stream was down
  EXPECT_FALSE(c.CompleteFill(before, "x"));
  auto after = c.BeginFill("c");
  EXPECT_TRUE(c.CompleteFill(after, "y"));
  EXPECT_EQ(c.Get("c"), "y");
}

}  // namespace
