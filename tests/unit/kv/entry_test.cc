#include "kv/engine/entry.h"

#include <gtest/gtest.h>

#include <string>

#include "base/memory.h"

namespace strata::kv {
namespace {

TEST(Entry, CompactLayout) {
  std::string key(16, 'k'), value(32, 'v');
  Entry* e = Entry::Create(key, value, -1, false);
  EXPECT_EQ(e->key(), key);
  EXPECT_EQ(e->value(), value);
  EXPECT_FALSE(e->has_expire());
#ifdef STRATA_JEMALLOC
  // Header 14 bytes + 1 + 16 + 1 + 32 = 64: one jemalloc size class, no slack.
  EXPECT_EQ(e->AllocatedSize(), 64u);
#endif
  Entry::Destroy(e);
}

TEST(Entry, ExpireSlot) {
  Entry* e = Entry::Create("key", "value", 12345, false);
  EXPECT_TRUE(e->has_expire());
  EXPECT_TRUE(e->has_expire_slot());
  EXPECT_EQ(e->expire_ms(), 12345);
  EXPECT_EQ(e->key(), "key");
  EXPECT_EQ(e->value(), "value");
  e->clear_expire();
  EXPECT_FALSE(e->has_expire());
  EXPECT_TRUE(e->has_expire_slot());
  Entry::Destroy(e);
}

TEST(Entry, LongKeysAndValuesUseVarints) {
  std::string key(300, 'k'), value(100000, 'v');
  Entry* e = Entry::Create(key, value, -1, false);
  EXPECT_EQ(e->key(), key);
  EXPECT_EQ(e->value(), value);
  Entry::Destroy(e);
}

TEST(Entry, ResizeInPlace) {
  Entry* e = Entry::Create("k", "abc", -1, false, 100);
  EXPECT_GE(e->ValueCapacity(), 100u);
  ASSERT_TRUE(e->CanResizeInPlace(6));
  e->ResizeInPlace(6);
  memcpy(e->mutable_value() + 3, "def", 3);
  EXPECT_EQ(e->value(), "abcdef");
  EXPECT_FALSE(e->CanResizeInPlace(200));  // varint width changes at 128
  Entry::Destroy(e);
}

}  // namespace
}  // namespace strata::kv
