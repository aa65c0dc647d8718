// memcached support beside the keyspace: expiry conversion, counters, and the flags/CAS side
// table with the shard hooks that keep it true to the key's value.
#include <gtest/gtest.h>

#include "kv/engine/shard.h"
#include "kv/memcache/commands.h"
#include "kv/memcache/meta_table.h"
#include "kv/tx/lock_table.h"

namespace strata::kv::memcache {
namespace {

TEST(Memcache, ExpireAtMs) {
  const int64_t now = 1'700'000'000'000;
  EXPECT_EQ(ExpireAtMs(0, now), -1);                                 // never
  EXPECT_EQ(ExpireAtMs(-1, now), 0);                                 // already expired
  EXPECT_EQ(ExpireAtMs(10, now), now + 10'000);                      // relative
  EXPECT_EQ(ExpireAtMs(60 * 60 * 24 * 30, now), now + 2592000'000);  // 30 days: relative
  EXPECT_EQ(ExpireAtMs(now / 1000 + 100, now), now + 100'000);       // absolute unix time
  EXPECT_EQ(ExpireAtMs(now / 1000 - 100, now), 0);                   // absolute, past
}

TEST(Memcache, ParseCounter) {
  uint64_t v;
  EXPECT_TRUE(ParseCounter("42", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_TRUE(ParseCounter("  7 ", &v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(ParseCounter("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
  EXPECT_FALSE(ParseCounter("18446744073709551616", &v));
  EXPECT_FALSE(ParseCounter("-1", &v));
  EXPECT_FALSE(ParseCounter("", &v));
  EXPECT_FALSE(ParseCounter(" ", &v));
  EXPECT_FALSE(ParseCounter("12a", &v));
}

TEST(Memcache, MetaTableRowsAndUniques) {
  MetaTable t(3);
  EXPECT_TRUE(t.empty());
  t.Put("k", Meta{5, 0});
  ASSERT_NE(t.Find("k"), nullptr);
  EXPECT_EQ(t.Find("k")->flags, 5u);
  t.Put("k", Meta{0, 0});  // nothing to keep: no row
  EXPECT_EQ(t.Find("k"), nullptr);
  uint64_t a = t.NextCas(), b = t.NextCas();
  EXPECT_NE(a, b);
  EXPECT_EQ(a >> 56, 3u);  // the shard id in the top bits
  MetaTable other(4);
  EXPECT_NE(other.NextCas(), MetaTable(3).NextCas());
}

TEST(Memcache, ShardHooksDropRows) {
  Shard s(0, 2);
  EXPECT_FALSE(s.ObservesWrites());
  s.mc_meta().Put("a", Meta{1, 9});
  s.mc_meta().Put("b", Meta{2, 0});
  s.mc_meta().Put("c", Meta{3, 0});
  EXPECT_TRUE(s.ObservesWrites());  // write paths report keys while rows exist
  s.KeyModified(1, "a");            // another database: memcached's is 0
  EXPECT_NE(s.mc_meta().Find("a"), nullptr);
  s.KeyModified(0, "a");
  EXPECT_EQ(s.mc_meta().Find("a"), nullptr);
  s.EncodedKeyModified(LockTable::Encode(0, "b"));
  EXPECT_EQ(s.mc_meta().Find("b"), nullptr);
  s.DbModified(1);
  EXPECT_NE(s.mc_meta().Find("c"), nullptr);
  s.DbModified(0);
  EXPECT_TRUE(s.mc_meta().empty());
}

}  // namespace
}  // namespace strata::kv::memcache
