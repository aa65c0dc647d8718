#include "kv/engine/entry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/memory.h"
#include "kv/engine/db_table.h"
#include "kv/engine/lazy_free.h"

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

// A value that would land the entry just past a size class gets a block of its own.
TEST(Entry, LargeValueJustPastASizeClassGoesOutOfLine) {
  std::string key(10, 'k'), value(1000, 'v');
  Entry* e = Entry::Create(key, value, -1, false);
  EXPECT_TRUE(e->out_of_line());
  EXPECT_EQ(e->key(), key);
  EXPECT_EQ(e->value(), value);
#ifdef STRATA_JEMALLOC
  EXPECT_EQ(e->AllocatedSize(), 48u + 1024u);  // against 1,280 in one block
#endif
  EXPECT_GE(e->ValueCapacity(), 1000u);
  // Values that fit their class well, and small ones, stay inline.
  Entry* fits = Entry::Create(key, std::string(1200, 'v'), -1, false);
  EXPECT_FALSE(fits->out_of_line());
  Entry* small = Entry::Create(key, std::string(300, 'v'), -1, false);
  EXPECT_FALSE(small->out_of_line());
  Entry::Destroy(fits);
  Entry::Destroy(small);
  Entry::Destroy(e);
}

TEST(Entry, OutOfLineValueWithExpireResizesInPlace) {
  Entry* e = Entry::Create("key", std::string(1000, 'a'), 777, false, 1024);
  ASSERT_TRUE(e->out_of_line());
  EXPECT_EQ(e->expire_ms(), 777);
  ASSERT_TRUE(e->CanResizeInPlace(1010));
  e->ResizeInPlace(1010);
  memcpy(e->mutable_value() + 1000, "0123456789", 10);
  EXPECT_EQ(e->value(), std::string(1000, 'a') + "0123456789");
  EXPECT_EQ(e->key(), "key");
  Entry::Destroy(e);
}

// A container whose destruction is observable.
class CountedObject : public Object {
 public:
  static constexpr ObjType kType = ObjType::kSet;
  explicit CountedObject(int* live, size_t n = 1) : live_(live), n_(n) { ++*live_; }
  ~CountedObject() override { --*live_; }
  ObjType type() const override { return kType; }
  const char* Encoding() const override { return "hashtable"; }
  size_t Length() const override { return n_; }
  std::unique_ptr<Object> Clone() const override {
    return std::make_unique<CountedObject>(live_, n_);
  }
  size_t MemoryUsage() const override { return 100; }
  size_t FreeEffort() const override { return n_; }

 private:
  int* live_;
  size_t n_;
};

TEST(Entry, ObjectEntryOwnsItsObject) {
  int live = 0;
  Entry* e = Entry::CreateObject("key", new CountedObject(&live), -1, false);
  EXPECT_TRUE(e->is_object());
  EXPECT_EQ(e->type, ObjType::kSet);
  EXPECT_EQ(e->key(), "key");
  EXPECT_EQ(e->object()->Length(), 1u);
  EXPECT_GE(e->AllocatedSize(), 100u);
  EXPECT_EQ(live, 1);
  Entry::Destroy(e);
  EXPECT_EQ(live, 0);
}

TEST(Entry, SettingATtlRebuildsTheEntryAroundTheSameObject) {
  int live = 0;
  DbTable t;
  Entry* e = Entry::CreateObject("k", new CountedObject(&live), -1, false);
  Object* obj = e->object();
  e->meta = 77;
  t.Insert(e, DbTable::Hash("k"));
  Entry* n = t.SetExpire(t.FindLink("k", DbTable::Hash("k")), 123456);
  EXPECT_EQ(n->object(), obj);
  EXPECT_EQ(n->meta, 77u);
  EXPECT_EQ(n->expire_ms(), 123456);
  EXPECT_EQ(live, 1);
  t.Clear();
  EXPECT_EQ(live, 0);
}

TEST(Entry, LargeObjectsAreFreedInTheBackground) {
  int live = 0;
  LazyFreer::Start();
  Entry::Destroy(Entry::CreateObject("big", new CountedObject(&live, 1000), -1, false));
  LazyFreer::Drain();
  EXPECT_EQ(live, 0);
  EXPECT_GE(LazyFreer::Freed(), 1u);
  EXPECT_EQ(LazyFreer::Pending(), 0u);
  LazyFreer::Stop();
  // Without the background thread, large objects are freed at once.
  Entry::Destroy(Entry::CreateObject("big", new CountedObject(&live, 1000), -1, false));
  EXPECT_EQ(live, 0);
}

// An object small enough to live inside its entry. `g_embedded_live` counts the instances that
// still own their contents (n > 0); a moved-from instance owns nothing.
int g_embedded_live = 0;
class EmbeddedObject final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kHash;
  explicit EmbeddedObject(size_t n) : n_(n) { ++g_embedded_live; }
  EmbeddedObject(EmbeddedObject&& o) noexcept : n_(o.n_) { o.n_ = 0; }
  ~EmbeddedObject() override {
    if (n_) --g_embedded_live;
  }
  ObjType type() const override { return kType; }
  const char* Encoding() const override { return "listpack"; }
  size_t Length() const override { return n_; }
  std::unique_ptr<Object> Clone() const override { return std::make_unique<EmbeddedObject>(n_); }
  size_t MemoryUsage() const override { return AllocationSize(sizeof(*this)) + 100; }
  size_t FreeEffort() const override { return n_; }
  bool Embeddable() const override { return true; }
  Object* EmbedInto(void* dst) override { return new (dst) EmbeddedObject(std::move(*this)); }
  std::unique_ptr<Object> MoveToHeap() override {
    return std::make_unique<EmbeddedObject>(std::move(*this));
  }

 private:
  size_t n_;
};
static_assert(sizeof(EmbeddedObject) == Object::kEmbedBytes);

TEST(Entry, SmallObjectsLiveInsideTheirEntry) {
  // A 10-byte key and a 16-byte object: one 48-byte block instead of 48 + 16.
  Entry* e = Entry::CreateObject("user:12345", new EmbeddedObject(3), -1, false);
  EXPECT_TRUE(e->embedded());
  EXPECT_EQ(g_embedded_live, 1);
  EXPECT_EQ(e->key(), "user:12345");
  EXPECT_EQ(e->object()->Length(), 3u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(e->object()) % 8, 0u);
  EXPECT_EQ(AllocationSize(48), 48u);
  EXPECT_EQ(e->AllocatedSize(), 48u + 100u);
  Entry::Destroy(e);
  EXPECT_EQ(g_embedded_live, 0);
}

TEST(Entry, EmbeddedObjectsMoveWithTheirEntry) {
  DbTable t;
  for (int len : {1, 6, 7, 8, 9, 15, 16, 17, 200}) {  // every alignment of the object
    std::string key(size_t(len), 'k');
    Entry* e = Entry::CreateObject(key, new EmbeddedObject(size_t(len)), -1, false);
    e->meta = 5;
    t.Insert(e, DbTable::Hash(key));
    Entry* n = t.SetExpire(t.FindLink(key, DbTable::Hash(key)), 999);
    EXPECT_TRUE(n->embedded());
    EXPECT_EQ(n->key(), key);
    EXPECT_EQ(n->object()->Length(), size_t(len));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(n->object()) % 8, 0u);
    EXPECT_EQ(n->expire_ms(), 999);
    EXPECT_EQ(n->meta, 5u);
  }
  EXPECT_EQ(g_embedded_live, 9);
  // Taking the object out (RENAME) gives a heap object the caller owns; the shell owns nothing.
  Entry** link = t.FindLink("kkkkkk", DbTable::Hash("kkkkkk"));
  std::unique_ptr<Object> taken((*link)->TakeObject());
  EXPECT_EQ(taken->Length(), 6u);
  Entry::Destroy(t.Unlink(link));
  EXPECT_EQ(g_embedded_live, 9);
  taken.reset();
  EXPECT_EQ(g_embedded_live, 8);
  t.Clear();
  EXPECT_EQ(g_embedded_live, 0);
}

TEST(Entry, LargeEmbeddedObjectsAreFreedInTheBackground) {
  LazyFreer::Start();
  uint64_t before = LazyFreer::Freed();
  Entry::Destroy(Entry::CreateObject("big", new EmbeddedObject(1000), -1, false));
  LazyFreer::Drain();
  EXPECT_EQ(g_embedded_live, 0);
  EXPECT_EQ(LazyFreer::Freed(), before + 1);
  LazyFreer::Stop();
}

}  // namespace
}  // namespace strata::kv
