// RDB object codecs: payloads DUMPed by redis-server 7.0.15 decode to their contents, every type
// round-trips through its written form, the older encodings (ziplist, zipmap, intset, text
// scores, plain lists) decode, and damaged input is refused without crashing.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {
namespace {

using namespace std::string_literals;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

RdbValue Decode(std::string_view payload) {
  RdbValue v;
  EXPECT_TRUE(VerifyDumpPayload(payload));
  EXPECT_TRUE(DecodeDumpPayload(payload, &v));
  return v;
}

// ---- payloads produced by redis-server 7.0.15's DUMP ----

TEST(RdbObject, RedisString) {
  RdbValue v = Decode(Unhex("000568656c6c6f0a006372df766534200a"));
  EXPECT_EQ(v.kind, 0);
  EXPECT_EQ(v.str, "hello");
  EXPECT_EQ(Decode(Unhex("00c139300a009d94ea2793fc08b9")).str, "12345");
  // Our own payload for the same value is byte-identical.
  RdbValue s;
  s.str = "hello";
  EXPECT_EQ(CreateDumpPayload(s), Unhex("000568656c6c6f0a006372df766534200a"));
}

TEST(RdbObject, RedisQuicklist2) {
  RdbValue v = Decode(Unhex(
      "120102c320407e187e00000006008161028162020101df3802f270110104e06478e05a000166ff0a0019ac255f"
      "9109df63"));
  EXPECT_EQ(v.kind, 1);
  std::vector<std::string> want = {"a", "b", "1", "-200", "70000", std::string(100, 'x')};
  EXPECT_EQ(v.elems, want);
}

TEST(RdbObject, RedisSets) {
  RdbValue v = Decode(Unhex("0b100200000004000000fbff0100020003000a00c8e4dfb66f7396f0"));
  EXPECT_EQ(v.kind, 2);
  EXPECT_EQ(v.elems, (std::vector<std::string>{"-5", "1", "2", "3"}));
  v = Decode(Unhex("0202016101620a00fe642125eb033d0d"));
  EXPECT_EQ(v.elems.size(), 2u);
}

TEST(RdbObject, RedisZSets) {
  RdbValue v = Decode(
      Unhex("111d1d0000000600816202dffe0281610283312e350481630283696e6604ff0a007356ad6cc2484ad0"));
  EXPECT_EQ(v.kind, 3);
  ASSERT_EQ(v.scored.size(), 3u);
  EXPECT_EQ(v.scored[0], (std::pair<std::string, double>{"b", -2}));
  EXPECT_EQ(v.scored[1], (std::pair<std::string, double>{"a", 1.5}));
  EXPECT_EQ(v.scored[2].first, "c");
  EXPECT_TRUE(std::isinf(v.scored[2].second));
  v = Decode(Unhex("0501016d00000000000004400a001ae43279fefd04f5"));
  ASSERT_EQ(v.scored.size(), 1u);
  EXPECT_EQ(v.scored[0], (std::pair<std::string, double>{"m", 2.5}));
}

TEST(RdbObject, RedisHashes) {
  RdbValue v = Decode(Unhex("10151500000004008266310382763103826632031601ff0a00794ee62e9c48a90c"));
  EXPECT_EQ(v.kind, 4);
  std::vector<std::pair<std::string, std::string>> want = {{"f1", "v1"}, {"f2", "22"}};
  EXPECT_EQ(v.pairs, want);
  v = Decode(Unhex("04010266310276310a00fcf27c841f560a15"));
  EXPECT_EQ(v.pairs, (std::vector<std::pair<std::string, std::string>>{{"f1", "v1"}}));
}

// Listpack hashes and sorted sets are written as Redis writes them, byte for byte.
TEST(RdbObject, PackedHashAndZSetByteIdentical) {
  for (const char* hex :
       {"10151500000004008266310382763103826632031601ff0a00794ee62e9c48a90c",
        "111d1d0000000600816202dffe0281610283312e350481630283696e6604ff0a007356ad6cc2484ad0"}) {
    RdbValue v = Decode(Unhex(hex));
    EXPECT_TRUE(v.packed);
    EXPECT_EQ(CreateDumpPayload(v), Unhex(hex));
  }
}

// XADD 1-1 a 1 b 2, 1-2 a 3 b 4, 2-0 c 5; group g from 0 read two entries by c1; XDEL 1-2.
const char* kRedisStream =
    "13011000000000000000010000000000000001c3383d123d000000190002010101020181610281620200200900"
    "002001401102050103600902030104200b401301dfff202b0781630205010601ff020200010101020301016701"
    "020202000000000000000100000000000000015867b041a201000001000000000000000100000000000000025867"
    "b041a201000001010263315867b041a201000002000000000000000100000000000000010000000000000001000"
    "00000000000020a00fede00b33c4da0e9";

TEST(RdbObject, RedisStream) {
  RdbValue v = Decode(Unhex(kRedisStream));
  EXPECT_EQ(v.kind, 6);
  const RdbStream& s = v.stream;
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].id, (RdbStreamId{1, 1}));
  EXPECT_EQ(s.entries[0].fields, (std::vector<std::string>{"a", "1", "b", "2"}));
  EXPECT_EQ(s.entries[1].id, (RdbStreamId{2, 0}));
  EXPECT_EQ(s.entries[1].fields, (std::vector<std::string>{"c", "5"}));
  EXPECT_EQ(s.last_id, (RdbStreamId{2, 0}));
  EXPECT_EQ(s.max_deleted_id, (RdbStreamId{1, 2}));
  EXPECT_EQ(s.entries_added, 3u);
  ASSERT_EQ(s.groups.size(), 1u);
  const RdbStreamGroup& g = s.groups[0];
  EXPECT_EQ(g.name, "g");
  EXPECT_EQ(g.last_id, (RdbStreamId{1, 2}));
  EXPECT_EQ(g.entries_read, 2);
  ASSERT_EQ(g.pel.size(), 2u);
  EXPECT_EQ(g.pel[0].delivery_count, 1u);
  ASSERT_EQ(g.consumers.size(), 1u);
  EXPECT_EQ(g.consumers[0].name, "c1");
  EXPECT_EQ(g.consumers[0].pel.size(), 2u);
}

// ---- round trips of what Strata writes ----

RdbValue RoundTrip(const RdbValue& in) { return Decode(CreateDumpPayload(in)); }

TEST(RdbObject, RoundTripEveryType) {
  RdbValue l;
  l.kind = 1;
  for (int i = 0; i < 5000; i++)
    l.elems.push_back(i % 3 ? std::to_string(i * 7919 - 100000)
                            : std::string(size_t(i % 300), 'q'));
  EXPECT_EQ(RoundTrip(l).elems, l.elems);

  RdbValue s;
  s.kind = 2;
  for (int i = 0; i < 1000; i++) s.elems.push_back("m" + std::to_string(i));
  EXPECT_EQ(RoundTrip(s).elems, s.elems);

  RdbValue z;
  z.kind = 3;
  for (int i = 0; i < 1000; i++) z.scored.emplace_back("m" + std::to_string(i), i * 0.25 - 3);
  z.scored.emplace_back("neg", -INFINITY);
  EXPECT_EQ(RoundTrip(z).scored.size(), z.scored.size());

  RdbValue h;
  h.kind = 4;
  for (int i = 0; i < 1000; i++)
    h.pairs.emplace_back("f" + std::to_string(i), std::string(size_t(i % 70), 'v'));
  EXPECT_EQ(RoundTrip(h).pairs, h.pairs);

  RdbValue x;
  x.kind = 6;
  for (uint64_t i = 0; i < 500; i++) {
    RdbStreamEntry e;
    e.id = {1000 + i / 3, i % 3};
    e.fields = {"a", std::to_string(i)};
    if (i % 7 == 0) e.fields = {"other", "x", "more", std::string(size_t(i), 'y')};
    x.stream.entries.push_back(e);
  }
  x.stream.last_id = {5000, 0};
  x.stream.first_id = x.stream.entries[0].id;
  x.stream.entries_added = 600;
  RdbStreamGroup g;
  g.name = "grp";
  g.last_id = {1001, 1};
  g.entries_read = -1;
  g.pel = {{{1000, 0}, 123, 2}, {{1000, 1}, 456, 1}};
  g.consumers = {{"alice", 99, {{1000, 1}}}, {"bob", 100, {{1000, 0}}}, {"idle", 5, {}}};
  x.stream.groups.push_back(g);
  RdbValue y = RoundTrip(x);
  ASSERT_EQ(y.stream.entries.size(), x.stream.entries.size());
  for (size_t i = 0; i < x.stream.entries.size(); i++) {
    EXPECT_EQ(y.stream.entries[i].id, x.stream.entries[i].id);
    EXPECT_EQ(y.stream.entries[i].fields, x.stream.entries[i].fields);
  }
  EXPECT_EQ(y.stream.entries_added, 600u);
  ASSERT_EQ(y.stream.groups.size(), 1u);
  EXPECT_EQ(y.stream.groups[0].entries_read, -1);
  EXPECT_EQ(y.stream.groups[0].consumers.size(), 3u);
  EXPECT_EQ(y.stream.groups[0].pel[0].delivery_time, 123);
}

TEST(RdbObject, OlderStreamForm) {
  RdbValue v = Decode(Unhex(kRedisStream));
  std::string body;
  SaveStream(&body, v.stream, kRdbStreamListpacks);
  EXPECT_EQ(uint8_t(body[0]), kRdbStreamListpacks);
  RdbReader r(std::string_view(body).substr(1));
  RdbValue w;
  ASSERT_TRUE(LoadObject(kRdbStreamListpacks, &r, &w));
  EXPECT_EQ(r.remaining(), 0u);
  ASSERT_EQ(w.stream.entries.size(), 2u);
  EXPECT_EQ(w.stream.entries[1].fields, v.stream.entries[1].fields);
  // Without the 7.0 metadata: entries added is the length, the first ID the first entry's, the
  // groups' read counters unknown.
  EXPECT_EQ(w.stream.entries_added, 2u);
  EXPECT_EQ(w.stream.first_id, (RdbStreamId{1, 1}));
  ASSERT_EQ(w.stream.groups.size(), 1u);
  EXPECT_EQ(w.stream.groups[0].entries_read, -1);
  EXPECT_EQ(w.stream.groups[0].consumers[0].pel.size(), 2u);
}

TEST(RdbObject, ListpackIntegerEncodings) {
  std::vector<std::string> in = {"0",
                                 "127",
                                 "128",
                                 "-1",
                                 "-4096",
                                 "4095",
                                 "4096",
                                 "-32768",
                                 "32767",
                                 "8388607",
                                 "-8388608",
                                 "2147483647",
                                 "-2147483648",
                                 "9223372036854775807",
                                 "-9223372036854775808",
                                 "007",
                                 "+1",
                                 "",
                                 std::string(5000, 'z')};
  ListpackWriter w;
  for (const auto& s : in) w.Append(s);
  std::vector<std::string> out;
  ASSERT_TRUE(ListpackDecode(w.Finish(), &out));
  EXPECT_EQ(out, in);
}

// ---- older encodings ----

// A ziplist of `items` (integers where canonical and small enough for the int encodings).
std::string Ziplist(const std::vector<std::string>& items) {
  std::string body;
  size_t prev = 0, last = 10;
  for (const std::string& s : items) {
    std::string e;
    if (prev < 254) {
      e.push_back(char(prev));
    } else {
      e.push_back(char(254));
      for (int i = 0; i < 4; i++) e.push_back(char((prev >> (8 * i)) & 0xff));
    }
    char* end;
    long long v = strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == 0 && std::to_string(v) == s) {
      if (v >= 0 && v <= 12) {
        e.push_back(char(0xf1 + v));
      } else if (v >= -128 && v <= 127) {
        e.push_back(char(0xfe));
        e.push_back(char(v));
      } else {
        e.push_back(char(0xe0));
        for (int i = 0; i < 8; i++) e.push_back(char((uint64_t(v) >> (8 * i)) & 0xff));
      }
    } else if (s.size() < 64) {
      e.push_back(char(s.size()));
      e += s;
    } else {
      e.push_back(char(0x40 | (s.size() >> 8)));
      e.push_back(char(s.size() & 0xff));
      e += s;
    }
    last = 10 + body.size();
    body += e;
    prev = e.size();
  }
  std::string zl(10, '\0');
  zl += body;
  zl.push_back(char(0xff));
  for (int i = 0; i < 4; i++) zl[size_t(i)] = char((zl.size() >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; i++) zl[size_t(4 + i)] = char((last >> (8 * i)) & 0xff);
  zl[8] = char(items.size() & 0xff);
  zl[9] = char(items.size() >> 8);
  return zl;
}

RdbValue LoadRaw(uint8_t type, const std::string& body, bool* ok) {
  RdbReader r(body);
  RdbValue v;
  *ok = LoadObject(type, &r, &v);
  return v;
}

std::string Blob(const std::string& b) {
  std::string out;
  AppendRdbString(&out, b, false);
  return out;
}

TEST(RdbObject, Ziplists) {
  std::vector<std::string> items = {"a", "0", "12", "13", "-100", "100000", std::string(300, 'k'),
                                    "b"};
  std::vector<std::string> out;
  ASSERT_TRUE(ZiplistDecode(Ziplist(items), &out));
  EXPECT_EQ(out, items);
  bool ok;
  RdbValue v = LoadRaw(kRdbListZiplist, Blob(Ziplist(items)), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.elems, items);
  // Quicklist of ziplists: two nodes.
  std::string ql;
  AppendRdbLength(&ql, 2);
  ql += Blob(Ziplist({"x", "y"}));
  ql += Blob(Ziplist({"7"}));
  v = LoadRaw(kRdbListQuicklist, ql, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.elems, (std::vector<std::string>{"x", "y", "7"}));
  v = LoadRaw(kRdbHashZiplist, Blob(Ziplist({"f", "v", "g", "1"})), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.pairs.size(), 2u);
  v = LoadRaw(kRdbZSetZiplist, Blob(Ziplist({"m", "1.5", "n", "3"})), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.scored[0].second, 1.5);
  EXPECT_EQ(v.scored[1].second, 3);
  // Duplicate hash field, odd count, NaN score: refused.
  LoadRaw(kRdbHashZiplist, Blob(Ziplist({"f", "v", "f", "w"})), &ok);
  EXPECT_FALSE(ok);
  LoadRaw(kRdbHashZiplist, Blob(Ziplist({"f", "v", "g"})), &ok);
  EXPECT_FALSE(ok);
  LoadRaw(kRdbZSetZiplist, Blob(Ziplist({"m", "nan"})), &ok);
  EXPECT_FALSE(ok);
}

TEST(RdbObject, ZipmapIntsetAndPlainForms) {
  // zipmap {f1: v1, f2: v22}
  std::string zm =
      "\x02\x02"
      "f1"
      "\x02\x00"
      "v1"
      "\x02"
      "f2"
      "\x03\x01"
      "v22"
      "x"
      "\xff"s;
  std::vector<std::string> out;
  ASSERT_TRUE(ZipmapDecode(zm, &out));
  EXPECT_EQ(out, (std::vector<std::string>{"f1", "v1", "f2", "v22"}));
  bool ok;
  RdbValue v = LoadRaw(kRdbHashZipmap, Blob(zm), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.pairs.size(), 2u);

  // intset, 8-byte width: {-1, 1 << 40}
  std::string is = std::string("\x08\x00\x00\x00\x02\x00\x00\x00", 8);
  for (int64_t x : {int64_t(-1), int64_t(1) << 40})
    for (int i = 0; i < 8; i++) is.push_back(char((uint64_t(x) >> (8 * i)) & 0xff));
  std::vector<int64_t> ints;
  ASSERT_TRUE(IntsetDecode(is, &ints));
  EXPECT_EQ(ints, (std::vector<int64_t>{-1, int64_t(1) << 40}));
  // Out of order or wrong length: refused.
  std::string bad = is.substr(0, 8) + is.substr(16, 8) + is.substr(8, 8);
  ints.clear();
  EXPECT_FALSE(IntsetDecode(bad, &ints));
  EXPECT_FALSE(IntsetDecode(is.substr(0, is.size() - 1), &ints));

  // RDB_TYPE_LIST and RDB_TYPE_ZSET (text scores, 254/255 infinities).
  std::string body;
  AppendRdbLength(&body, 2);
  AppendRdbString(&body, "p");
  AppendRdbString(&body, "q");
  v = LoadRaw(kRdbList, body, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.elems, (std::vector<std::string>{"p", "q"}));
  body.clear();
  AppendRdbLength(&body, 2);
  AppendRdbString(&body, "a");
  body +=
      "\x03"
      "2.5";
  AppendRdbString(&body, "b");
  body += "\xff";
  v = LoadRaw(kRdbZSet, body, &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(v.scored[0].second, 2.5);
  EXPECT_TRUE(std::isinf(v.scored[1].second) && v.scored[1].second < 0);
}

// ---- damaged input ----

TEST(RdbObject, ChecksumAndVersion) {
  std::string p = Unhex("000568656c6c6f0a006372df766534200a");
  std::string q = p;
  q[2] ^= 1;
  EXPECT_FALSE(VerifyDumpPayload(q));
  q = p;
  q[p.size() - 10] = 11;  // version 11
  EXPECT_FALSE(VerifyDumpPayload(q));
  EXPECT_FALSE(VerifyDumpPayload("short"));
}

// Every truncation and every single-byte change of valid objects is either refused or decodes;
// none reads out of bounds (run under the sanitizers in the ASan build and the fuzzer).
TEST(RdbObject, DamagedObjectsNeverCrash) {
  std::vector<std::string> payloads = {
      Unhex("120102c320407e187e00000006008161028162020101df3802f270110104e06478e05a000166ff0a0019"
            "ac255f9109df63"),
      Unhex("0b100200000004000000fbff0100020003000a00c8e4dfb66f7396f0"),
      Unhex("111d1d0000000600816202dffe0281610283312e350481630283696e6604ff0a007356ad6cc2484ad0"),
      Unhex("10151500000004008266310382763103826632031601ff0a00794ee62e9c48a90c"),
      Unhex(kRedisStream)};
  for (const std::string& p : payloads) {
    std::string body = p.substr(0, p.size() - 10);
    for (size_t n = 0; n < body.size(); n++) {
      RdbReader r(std::string_view(body).substr(1, n));
      RdbValue v;
      LoadObject(uint8_t(body[0]), &r, &v);
    }
    for (size_t i = 1; i < body.size(); i++) {
      for (int bit = 0; bit < 8; bit++) {
        std::string b = body;
        b[i] = char(b[i] ^ (1 << bit));
        RdbReader r(std::string_view(b).substr(1));
        RdbValue v;
        LoadObject(uint8_t(b[0]), &r, &v);
      }
    }
  }
}

TEST(RdbObject, RefusesEmptyAndForgedCounts) {
  bool ok;
  std::string body;
  AppendRdbLength(&body, 0);
  for (uint8_t t : {kRdbList, kRdbSet, kRdbHash, kRdbZSet2, kRdbListQuicklist2}) {
    LoadRaw(t, body, &ok);
    EXPECT_FALSE(ok) << int(t);
  }
  body.clear();
  AppendRdbLength(&body, uint64_t(1) << 40);  // a count no input could hold
  LoadRaw(kRdbSet,
          body +
              "\x01"
              "a",
          &ok);
  EXPECT_FALSE(ok);
  // Duplicate set members.
  body.clear();
  AppendRdbLength(&body, 2);
  AppendRdbString(&body, "a");
  AppendRdbString(&body, "a");
  LoadRaw(kRdbSet, body, &ok);
  EXPECT_FALSE(ok);
  // Unknown object types (7 is unused, modules are not supported).
  LoadRaw(7, "", &ok);
  EXPECT_FALSE(ok);
  LoadRaw(kRdbStreamListpacks2 + 1, "", &ok);
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace strata::kv::rdb
