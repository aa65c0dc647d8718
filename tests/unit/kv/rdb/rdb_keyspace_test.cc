// Keyspace values through their DUMP form and back: every type's contents survive, the rebuilt
// value takes the encoding the limits call for, and streams keep their metadata, groups, PEL
// ownership and consumers; Bloom filters travel as Redis module values and corrupt ones are
// refused.
#include "kv/rdb/rdb_keyspace.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kv/types/bloom.h"
#include "kv/types/hash.h"
#include "kv/types/list.h"
#include "kv/types/set.h"
#include "kv/types/stream.h"
#include "kv/types/zset.h"

namespace strata::kv::rdb {
namespace {

// DUMPs the object (held in an entry, as the keyspace holds it), RESTOREs the payload.
std::unique_ptr<Object> RoundTrip(Object* obj, const BuildLimits& lim = {}) {
  Entry* e = Entry::CreateObject("key", obj, -1, false);
  std::string payload = CreateDumpPayload(ValueOf(e));
  Entry::Destroy(e);
  RdbValue v;
  EXPECT_TRUE(VerifyDumpPayload(payload));
  EXPECT_TRUE(DecodeDumpPayload(payload, &v));
  return BuildObject(&v, lim);
}

TEST(RdbKeyspace, Hash) {
  for (size_t n : {3, 1000}) {
    auto* h = new HashObject();
    for (size_t i = 0; i < n; i++) h->Set("f" + std::to_string(i), std::to_string(i * 3), {});
    auto back = RoundTrip(h);
    auto* h2 = static_cast<HashObject*>(back.get());
    EXPECT_EQ(h2->Length(), n);
    EXPECT_EQ(h2->packed(), n <= 128);
    std::string_view v;
    ASSERT_TRUE(h2->Get("f2", &v));
    EXPECT_EQ(v, "6");
  }
}

TEST(RdbKeyspace, ListSetZSet) {
  auto* l = new ListObject();
  for (int i = 0; i < 3000; i++) l->Push(ListObject::kTail, std::to_string(i * 31) + "x", -2, 0);
  auto back = RoundTrip(l);
  auto* l2 = static_cast<ListObject*>(back.get());
  ASSERT_EQ(l2->Length(), 3000u);
  ListElem el;
  std::string text;
  ASSERT_TRUE(l2->Index(2999, &el, &text));
  EXPECT_EQ(el.ToString(), std::to_string(2999 * 31) + "x");

  auto* s = new SetObject();
  for (int i = 0; i < 10; i++) s->Add(std::to_string(i), 512);
  back = RoundTrip(s);
  EXPECT_EQ(static_cast<SetObject*>(back.get())->enc(), SetObject::Enc::kIntSet);
  EXPECT_TRUE(static_cast<SetObject*>(back.get())->Contains("7"));

  auto* z = new ZSet();
  double ns;
  for (int i = 0; i < 200; i++) z->Add(i * 0.5, "m" + std::to_string(i), 0, {}, &ns);
  back = RoundTrip(z);
  auto* z2 = static_cast<ZSet*>(back.get());
  EXPECT_FALSE(z2->is_listpack());
  EXPECT_EQ(z2->Length(), 200u);
  double score;
  ASSERT_TRUE(z2->Score("m9", &score));
  EXPECT_EQ(score, 4.5);
  EXPECT_TRUE(z2->Validate());
}

TEST(RdbKeyspace, StreamWithGroups) {
  auto* s = new StreamObject();
  for (uint64_t i = 1; i <= 250; i++) {
    std::string v = std::to_string(i);
    std::vector<std::string_view> fv = {"f", v};
    s->Append({i, 0}, fv, 4096, 100);
  }
  s->Delete({5, 0});
  StreamGroup* g = s->CreateGroup("g", {10, 0}, 9);
  StreamConsumer* c = g->CreateConsumer("alice", 100);
  s->AddPending(g, c, {3, 0}, 2000);
  s->AddPending(g, c, {5, 0}, 2001);  // deleted entry, still pending
  g->CreateConsumer("bob", 200);
  auto back = RoundTrip(s);
  auto* s2 = static_cast<StreamObject*>(back.get());
  EXPECT_EQ(s2->Length(), 249u);
  EXPECT_EQ(s2->last_id(), (StreamID{250, 0}));
  EXPECT_EQ(s2->max_deleted_id(), (StreamID{5, 0}));
  EXPECT_EQ(s2->entries_added(), 250u);
  StreamGroup* g2 = s2->FindGroup("g");
  ASSERT_NE(g2, nullptr);
  EXPECT_EQ(g2->entries_read, 9);
  EXPECT_EQ(g2->pel.size(), 2u);
  StreamConsumer* a = g2->FindConsumer("alice");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->pel.size(), 2u);
  EXPECT_EQ(g2->pel.at({5, 0}).consumer, a);
  EXPECT_EQ(g2->pel.at({5, 0}).delivery_time, 2001);
  ASSERT_NE(g2->FindConsumer("bob"), nullptr);
  EXPECT_EQ(g2->FindConsumer("bob")->seen_time, 200);
}

TEST(RdbKeyspace, BloomFilter) {
  auto f = BloomFilter::Create(0.01, 100, 3, false);
  for (int i = 0; i < 1000; i++) f->Add("item" + std::to_string(i));
  std::string bytes = f->Serialize();
  Entry* e = Entry::CreateObject("key", f.release(), -1, false);
  RdbValue v = ValueOf(e);
  EXPECT_EQ(v.kind, 5);
  std::string payload = CreateDumpPayload(v);
  Entry::Destroy(e);
  // RDB_TYPE_MODULE_2, then the module id as a 64-bit length.
  ASSERT_GT(payload.size(), 10u);
  EXPECT_EQ(uint8_t(payload[0]), 7);
  EXPECT_EQ(uint8_t(payload[1]), 0x81);
  uint64_t id = 0;
  for (int i = 0; i < 8; i++) id = (id << 8) | uint8_t(payload[2 + size_t(i)]);
  EXPECT_EQ(id, BloomModuleId());
  EXPECT_EQ(id & 1023, kBloomEncVer);
  std::string name;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 8; i >= 0; i--) name += alphabet[(id >> (10 + 6 * i)) & 63];
  EXPECT_EQ(name, "MBbloom--");

  RdbValue back;
  ASSERT_TRUE(VerifyDumpPayload(payload));
  ASSERT_TRUE(DecodeDumpPayload(payload, &back));
  EXPECT_EQ(back.kind, 5);
  auto obj = BuildObject(&back, {});
  ASSERT_TRUE(obj);
  auto* g = static_cast<BloomFilter*>(obj.get());
  EXPECT_EQ(g->Serialize(), bytes);
  for (int i = 0; i < 1000; i++) ASSERT_TRUE(g->Contains("item" + std::to_string(i)));

  // Bytes that decode as a module string but are no filter: BuildObject refuses them.
  RdbValue bad;
  bad.kind = 5;
  bad.str = bytes.substr(0, bytes.size() - 1);
  EXPECT_FALSE(BuildObject(&bad, {}));
  // Another module's id is refused by the decoder.
  std::string other = payload;
  other[9] = char(other[9] ^ 1);
  RdbValue o;
  EXPECT_FALSE(DecodeDumpPayload(other, &o));
}

}  // namespace
}  // namespace strata::kv::rdb
