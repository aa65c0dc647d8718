// RDB file framing: a file saved by redis-server 7.0.15 parses (AUX fields, databases, expiry,
// checksum); files written with the framing functions round-trip; faults are reported with the
// byte offset of the item that could not be read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/crc64.h"
#include "kv/rdb/rdb_file.h"

namespace strata::kv::rdb {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// redis-server 7.0.15, SAVE after: SET k v; SET n 12345 PX 99999999999999; SELECT 2;
// RPUSH l a b.
const std::string kRedisFile = Unhex(
    "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374"
    "696d65c2a5e7126bfa08757365642d6d656dc250160f00fa08616f662d62617365c000fe00fb0201fc291d5352"
    "955c000000016ec1393000016b0176fe02fb010012016c01020d0d0000000200816102816202ffff4869d635f9"
    "086a66");

struct Parsed {
  std::vector<RdbFileKey> keys;
  std::vector<std::pair<std::string, std::string>> aux;
  RdbFileError err;
  bool ok = false;
};

Parsed Parse(std::string_view data, uint64_t databases = 16) {
  Parsed p;
  p.ok = ParseRdbFile(
      data, databases,
      [&](RdbFileKey& k, std::string*) {
        p.keys.push_back(std::move(k));
        return true;
      },
      &p.err, [&](std::string_view n, std::string_view v) { p.aux.emplace_back(n, v); });
  return p;
}

TEST(RdbFile, RedisFile) {
  Parsed p = Parse(kRedisFile);
  ASSERT_TRUE(p.ok) << p.err.what << " at " << p.err.offset;
  ASSERT_EQ(p.aux.size(), 5u);
  EXPECT_EQ(p.aux[0], std::make_pair(std::string("redis-ver"), std::string("7.0.15")));
  EXPECT_EQ(p.aux[4].first, "aof-base");
  ASSERT_EQ(p.keys.size(), 3u);
  // Keys come in the order of Redis's hash table; find them by name.
  for (const RdbFileKey& k : p.keys) {
    if (k.key == "k") {
      EXPECT_EQ(k.db, 0u);
      EXPECT_EQ(k.value.str, "v");
      EXPECT_EQ(k.expire_ms, -1);
    } else if (k.key == "n") {
      EXPECT_EQ(k.value.str, "12345");
      EXPECT_GT(k.expire_ms, 99999999999999);
    } else {
      EXPECT_EQ(k.key, "l");
      EXPECT_EQ(k.db, 2u);
      EXPECT_EQ(k.value.kind, 1);
      EXPECT_EQ(k.value.elems, (std::vector<std::string>{"a", "b"}));
    }
  }
  // Two databases are too few for it.
  Parsed few = Parse(kRedisFile, 2);
  EXPECT_FALSE(few.ok);
  EXPECT_NE(few.err.what.find("database 2"), std::string::npos);
}

std::string Build(bool checksum) {
  std::string f;
  AppendFileMagic(&f);
  AppendAux(&f, "redis-ver", "7.0.15");
  AppendSelectDb(&f, 0, 2, 1);
  RdbValue s;
  s.str = std::string(100, 'x');  // LZF-compressed
  AppendKey(&f, "str", s, 1234567890123);
  RdbValue h;
  h.kind = 4;
  h.pairs = {{"f", "v"}, {"g", "1"}};
  h.packed = true;
  AppendKey(&f, "hash", h, -1);
  AppendSelectDb(&f, 7, 1, 0);
  RdbValue z;
  z.kind = 3;
  z.scored = {{"a", 1.5}, {"b", -2}};
  AppendKey(&f, "z", z, -1);
  AppendEof(&f, Crc64(f), checksum);
  return f;
}

TEST(RdbFile, RoundTrip) {
  for (bool checksum : {true, false}) {
    std::string f = Build(checksum);
    EXPECT_EQ(f.substr(0, 9), "REDIS0010");
    if (checksum)
      EXPECT_EQ(Crc64(f), 0u);  // a CRC64 appended little-endian zeroes the CRC of the whole
    else
      EXPECT_EQ(f.substr(f.size() - 8), std::string(8, '\0'));
    Parsed p = Parse(f);
    ASSERT_TRUE(p.ok) << p.err.what;
    ASSERT_EQ(p.keys.size(), 3u);
    EXPECT_EQ(p.keys[0].key, "str");
    EXPECT_EQ(p.keys[0].value.str, std::string(100, 'x'));
    EXPECT_EQ(p.keys[0].expire_ms, 1234567890123);
    EXPECT_EQ(p.keys[1].key, "hash");
    EXPECT_EQ(p.keys[1].value.pairs.size(), 2u);
    EXPECT_EQ(p.keys[1].expire_ms, -1);
    EXPECT_EQ(p.keys[2].db, 7u);
    EXPECT_EQ(p.keys[2].value.scored.size(), 2u);
  }
}

TEST(RdbFile, NoCompressionScope) {
  std::string a, b;
  AppendRdbString(&a, std::string(100, 'x'));
  {
    NoCompressionScope off;
    AppendRdbString(&b, std::string(100, 'x'));
  }
  EXPECT_LT(a.size(), 100u);
  EXPECT_EQ(b.size(), 102u);  // 14-bit length + the bytes
}

TEST(RdbFile, Faults) {
  std::string f = Build(true);
  EXPECT_EQ(Parse("").err.offset, 0u);
  EXPECT_FALSE(Parse("RUDIS0010" + f.substr(9)).ok);
  Parsed v = Parse("REDIS0011" + f.substr(9));
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.err.what, "can't handle RDB format version 11");
  // Truncated anywhere: refused.
  for (size_t n = 0; n < f.size(); n++) EXPECT_FALSE(Parse(f.substr(0, n)).ok) << n;
  // Any single flipped bit: refused (the checksum catches what parses).
  for (size_t i = 9; i < f.size(); i++) {
    std::string g = f;
    g[i] = char(g[i] ^ 0x04);
    EXPECT_FALSE(Parse(g).ok) << i;
  }
  // A wrong checksum is reported at the EOF marker's end; a zero one is not checked.
  std::string g = f;
  g.back() = char(g.back() ^ 1);
  Parsed bad = Parse(g);
  EXPECT_EQ(bad.err.what, "wrong RDB checksum");
  EXPECT_EQ(bad.err.offset, f.size() - 8);
  EXPECT_TRUE(Parse(f.substr(0, f.size() - 8) + std::string(8, '\0')).ok);
  // An unknown object type is reported at its type byte.
  std::string u = f;
  size_t at = u.find("\xfb\x02\x01", 0) + 3;
  ASSERT_EQ(uint8_t(u[at]), kOpExpireTimeMs);
  u[at + 9] = char(42);
  Parsed t = Parse(u.substr(0, u.size() - 8) + std::string(8, '\0'));
  EXPECT_EQ(t.err.offset, at + 9);
  EXPECT_EQ(t.err.what, "unknown object type 42");
  // The key callback can stop the load.
  RdbFileError e;
  EXPECT_FALSE(ParseRdbFile(
      f, 16,
      [](RdbFileKey&, std::string* why) {
        *why = "no";
        return false;
      },
      &e));
  EXPECT_EQ(e.what, "no");
}

}  // namespace
}  // namespace strata::kv::rdb
