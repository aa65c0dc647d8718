// FUNCTION DUMP / RESTORE payloads. The hex payloads are FUNCTION DUMP replies of Redis 7.0.15,
// and the expected RESTORE answers are what Redis 7.0.15 replied to the same bytes.
#include "kv/script/function_dump.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/crc64.h"
#include "kv/script/function_registry.h"

namespace strata::kv::script {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Codes = std::vector<std::string>;

std::string Hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The libraries, as loaded into Redis with FUNCTION LOAD.
const std::string kTiny = "#!lua name=t\nredis.register_function('t',function() end)";
const std::string kSmall =
    "#!lua name=small\nredis.register_function('s1', function() return 1 end)";
const std::string kBig =
    "#!lua name=big\n"
    "redis.register_function('b0', function(keys, args) return 0 end)\n"
    "redis.register_function('b1', function(keys, args) return 1 end)\n"
    "redis.register_function('b2', function(keys, args) return 2 end)\n"
    "redis.register_function('b3', function(keys, args) return 3 end)\n";
const std::string kBinary(
    "#!lua name=bin\nredis.register_function('bin1', function() return '\\0\\1\\255' end)\n"
    "-- \x00\x01\xff\xfe\r\n--\xc3\xa9\x80\x7f"sv);

// FUNCTION DUMP with no libraries: the footer alone.
const std::string kEmptyDump = Hex("0a005d9b5c400f7fa2da");
// 56 bytes: a 6-bit length.
const std::string kTinyDump = Hex(
    "f53823216c7561206e616d653d740a72656469732e72656769737465725f66756e6374696f6e282774272c66756e"
    "6374696f6e282920656e64290a00ff6d464f6c6c89e9");
// 71 bytes: a 14-bit length; LZF would not save enough.
const std::string kSmallDump = Hex(
    "f5404723216c7561206e616d653d736d616c6c0a72656469732e72656769737465725f66756e6374696f6e28277331"
    "272c2066756e6374696f6e28292072657475726e203120656e64290a00a838e5fe89298e7f");
// 275 bytes, LZF-compressed to 111.
const std::string kBigDump = Hex(
    "f5c3406f41131f23216c7561206e616d653d6269670a72656469732e72656769737465725f66750c6e6374696f6e"
    "28276230272c20e0000e186b6579732c2061726773292072657475726e203020656e6429e012400031e016400031"
    "e017400032e016400032e017400033e016400033404001290a0a00d07f889897c032e1");
// NUL, CR, LF and high bytes in a comment.
const std::string kBinaryDump = Hex(
    "f5406023216c7561206e616d653d62696e0a72656469732e72656769737465725f66756e6374696f6e282762696e"
    "31272c2066756e6374696f6e28292072657475726e20275c305c315c3235352720656e64290a2d2d200001fffe0d"
    "0a2d2dc3a9807f0a0012f63603f363bbee");
// The three libraries bin, big and small together (Redis's order).
const std::string kMultiDump = Hex(
    "f5406023216c7561206e616d653d62696e0a72656469732e72656769737465725f66756e6374696f6e282762696e"
    "31272c2066756e6374696f6e28292072657475726e20275c305c315c3235352720656e64290a2d2d200001fffe0d"
    "0a2d2dc3a9807ff5c3406f41131f23216c7561206e616d653d6269670a72656469732e72656769737465725f6675"
    "0c6e6374696f6e28276230272c20e0000e186b6579732c2061726773292072657475726e203020656e6429e01240"
    "0031e016400031e017400032e016400032e017400033e016400033404001290af5404723216c7561206e616d653d"
    "736d616c6c0a72656469732e72656769737465725f66756e6374696f6e28277331272c2066756e6374696f6e2829"
    "2072657475726e203120656e64290a00522a28f54328ba27");

// A library of 20071 bytes, mostly an incompressible comment: a 32-bit length. Redis's payload
// is its first bytes, the code, and its footer.
std::string RandomLibrary() {
  std::string code = "#!lua name=rnd\nredis.register_function('r', function() return 1 end)\n--";
  uint32_t x = 1;
  for (int i = 0; i < 20000; i++) {
    x = x * 1103515245u + 12345u;
    char c = char((x >> 16) & 0xff);
    code.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  return code;
}
const std::string kRandomDumpHead = Hex("f58000004e67");
const std::string kRandomDumpFooter = Hex("0a00d4aea4745b96fac5");

// Records, then the version and a correct checksum.
std::string Seal(std::string_view records, uint16_t version = 10) {
  std::string out(records);
  out.push_back(char(version & 0xff));
  out.push_back(char(version >> 8));
  uint64_t crc = Crc64(out);
  for (int i = 0; i < 8; i++) out.push_back(char(crc >> (8 * i)));
  return out;
}

// An RDB length below 16384: 6 or 14 bits.
std::string Len(size_t n) {
  if (n < 64) return std::string(1, char(n));
  return std::string{char(0x40 | (n >> 8)), char(n & 0xff)};
}

std::string PlainString(std::string_view s) { return Len(s.size()) + std::string(s); }

// What FUNCTION RESTORE answers on a server with no libraries: Redis creates each library as it
// reads it, so a library's own error comes before a later bad record. "OK" and the names of the
// libraries on success.
std::string Restore(std::string_view payload) {
  FunctionDumpContents contents = DecodeFunctionDump(payload);
  FunctionRegistry registry;
  for (const std::string& code : contents.codes) {
    FunctionRegistry::LoadResult r = registry.Load(code, /*replace=*/false);
    if (!r.ok) return r.error;
  }
  if (!contents.ok()) return contents.error;
  std::string reply = "OK";
  for (const auto& [name, lib] : registry.libraries()) reply += " " + name;
  return reply;
}

Codes Decode(std::string_view payload) {
  FunctionDumpContents contents = DecodeFunctionDump(payload);
  EXPECT_TRUE(contents.ok()) << contents.error;
  return contents.codes;
}

TEST(FunctionDump, DecodesRedisPayloads) {
  EXPECT_EQ(Decode(kEmptyDump), Codes{});
  EXPECT_EQ(Decode(kTinyDump), Codes{kTiny});
  EXPECT_EQ(Decode(kSmallDump), Codes{kSmall});
  EXPECT_EQ(Decode(kBigDump), Codes{kBig});
  EXPECT_EQ(Decode(kBinaryDump), Codes{kBinary});
  EXPECT_EQ(Decode(kMultiDump), (Codes{kBinary, kBig, kSmall}));
  std::string random = RandomLibrary();
  EXPECT_EQ(Decode(kRandomDumpHead + random + kRandomDumpFooter), Codes{random});
  EXPECT_EQ(Restore(kMultiDump), "OK big bin small");
}

TEST(FunctionDump, EncodesRedisBytes) {
  EXPECT_EQ(EncodeFunctionDump({}), kEmptyDump);
  EXPECT_EQ(EncodeFunctionDump({kTiny}), kTinyDump);
  EXPECT_EQ(EncodeFunctionDump({kSmall}), kSmallDump);
  EXPECT_EQ(EncodeFunctionDump({kBig}), kBigDump);
  EXPECT_EQ(EncodeFunctionDump({kBinary}), kBinaryDump);
  EXPECT_EQ(EncodeFunctionDump({kBinary, kBig, kSmall}), kMultiDump);
  std::string random = RandomLibrary();
  EXPECT_EQ(EncodeFunctionDump({random}), kRandomDumpHead + random + kRandomDumpFooter);
}

TEST(FunctionDump, RoundTrips) {
  Codes codes = {"",
                 "0",
                 "-17",
                 "70000",
                 "x",
                 std::string(20, 'a'),
                 std::string(21, 'a'),
                 std::string(5000, 'q'),
                 std::string(70000, 'r'),
                 kBinary,
                 kBig};
  EXPECT_EQ(Decode(EncodeFunctionDump(codes)), codes);
  for (const std::string& code : codes) EXPECT_EQ(Decode(EncodeFunctionDump({code})), Codes{code});
}

TEST(FunctionDump, VersionAndChecksum) {
  const std::string wrong = errors::kDumpPayloadWrong;
  EXPECT_EQ(Restore(""), wrong);
  EXPECT_EQ(Restore(std::string(9, '\0')), wrong);
  EXPECT_EQ(Restore(std::string(10, '\0')), "OK");  // version 0; the CRC of two zero bytes is 0
  for (uint16_t version : {0, 1, 9, 10}) EXPECT_EQ(Restore(Seal("", version)), "OK") << version;
  for (uint16_t version : {11, 0x100, 0xffff}) EXPECT_EQ(Restore(Seal("", version)), wrong);
  std::string records = "\xf5" + PlainString(kSmall);
  EXPECT_EQ(Restore(Seal(records, 1)), "OK small");
  EXPECT_EQ(Restore(Seal(records, 11)), wrong);
  // A zero checksum is not "no checksum" here.
  std::string unchecked = records + "\x0a\x00"s + std::string(8, '\0');
  EXPECT_EQ(Restore(unchecked), wrong);

  // Every single-bit change and every truncation is caught.
  for (size_t i = 0; i < kSmallDump.size(); i++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string bad = kSmallDump;
      bad[i] = char(bad[i] ^ (1 << bit));
      FunctionDumpContents contents = DecodeFunctionDump(bad);
      EXPECT_EQ(contents.error, wrong) << i << "/" << bit;
      EXPECT_TRUE(contents.codes.empty());
    }
  }
  for (size_t len = 0; len < kBigDump.size(); len++) {
    EXPECT_EQ(DecodeFunctionDump(std::string_view(kBigDump).substr(0, len)).error, wrong) << len;
  }
}

TEST(FunctionDump, BadRecords) {
  const std::string g = "#!lua name=g\nredis.register_function('g', function() return 7 end)";
  const std::string not_function = errors::kNotAFunction;
  const std::string bad_payload = errors::kBadLibraryPayload;
  EXPECT_EQ(Restore(Seal("\x00"s + PlainString(g))), not_function);
  EXPECT_EQ(Restore(Seal("\xf7" + PlainString(g))), not_function);
  EXPECT_EQ(Restore(Seal("\xf5")), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5" + PlainString(g).substr(0, 50))), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5\x82" + g)), bad_payload);  // not a length
  EXPECT_EQ(Restore(Seal("\xf5\xbf" + g)), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5\xc4" + g)), bad_payload);  // unknown string encodings
  EXPECT_EQ(Restore(Seal("\xf5\xff" + g)), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5\x81\x40\x00\x00\x00\x00\x00\x00\x00"s + g)), bad_payload);
  // 32- and 64-bit lengths are fine.
  EXPECT_EQ(Restore(Seal("\xf5\x80\x00\x00\x00"s + char(g.size()) + g)), "OK g");
  EXPECT_EQ(Restore(Seal("\xf5\x81\x00\x00\x00\x00\x00\x00\x00"s + char(g.size()) + g)), "OK g");

  // LZF: literal runs of at most 32 bytes; the stated size must be exact.
  std::string literals;
  for (size_t i = 0; i < g.size(); i += 32) {
    std::string run = g.substr(i, 32);
    literals += char(run.size() - 1) + run;
  }
  auto lzf = [&](size_t len) { return "\xf5\xc3" + Len(literals.size()) + Len(len) + literals; };
  EXPECT_EQ(Restore(Seal(lzf(g.size()))), "OK g");
  EXPECT_EQ(Restore(Seal(lzf(g.size() - 1))), bad_payload);
  EXPECT_EQ(Restore(Seal(lzf(g.size() + 1))), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5\xc3\x05\x20\xff\xff\xff\xff\xff"s)), bad_payload);
  EXPECT_EQ(Restore(Seal("\xf5\xc3\x30\x20\x01"
                         "ab"s)),
            bad_payload);
  // A stated size of 0 gives an empty code, which is no library.
  EXPECT_EQ(Restore(Seal("\xf5\xc3\x01\x00\x00"
                         "a"s)),
            "ERR Missing library metadata");
  EXPECT_EQ(Restore(Seal("\xf5\xc3\x00\x00"s)), "ERR Missing library metadata");

  // Integer strings read as their decimal text.
  EXPECT_EQ(Decode(Seal("\xf5\xc0\x05\xf5\xc0\xff\xf5\xc1\x05\x01\xf5\xc2\x05\x01\x00\x80"s)),
            (Codes{"5", "-1", "261", "-2147483387"}));
  EXPECT_EQ(Restore(Seal("\xf5\xc0\x05"s)), "ERR Missing library metadata");

  // Libraries are created as they are read: their errors come before a later bad record.
  EXPECT_EQ(Restore(Seal("\xf5" + PlainString(g) + "\xf5" + PlainString(g))),
            "ERR Library 'g' already exists");
  EXPECT_EQ(Restore(Seal("\xf5" + PlainString("return 1") + "\xf5\x30")),
            "ERR Missing library metadata");
  FunctionDumpContents partial = DecodeFunctionDump(Seal("\xf5" + PlainString(g) + "\xf5\x30"));
  EXPECT_EQ(partial.error, bad_payload);
  EXPECT_EQ(partial.codes, Codes{g});
  EXPECT_EQ(Restore(Seal("\xf5" + PlainString(g) + "\xf5\x30")), bad_payload);
}

// Strings are read from the whole payload, so one that runs into the footer takes its bytes.
TEST(FunctionDump, StringIntoFooter) {
  const std::string g = "#!lua name=g\nredis.register_function('g', function() return 7 end)\n--";
  for (size_t extra : {1, 5, 10}) {
    std::string payload = Seal("\xf5" + Len(g.size() + extra) + g);
    Codes codes = Decode(payload);
    ASSERT_EQ(codes.size(), 1u);
    EXPECT_EQ(codes[0], g + payload.substr(payload.size() - 10, extra)) << extra;
  }
  EXPECT_EQ(Restore(Seal("\xf5" + Len(g.size() + 1) + g)), "OK g");
  EXPECT_EQ(Restore(Seal("\xf5" + Len(g.size() + 11) + g)), errors::kBadLibraryPayload);
  // An integer's bytes too.
  EXPECT_EQ(Restore(Seal("\xf5\xc2\x01"s)), "ERR Missing library metadata");
}

// Records of Redis 7.0 release candidates: name, engine, description flag, [description,] code.
TEST(FunctionDump, PreGaRecords) {
  const std::string body = "redis.register_function('p', function() return 8 end)";
  const std::string head = "\xf6" + PlainString("plib") + PlainString("lua");
  const std::string code = "#!lua name=plib\n" + body;
  EXPECT_EQ(Decode(Seal(head + "\x00"s + PlainString(body))), Codes{code});
  EXPECT_EQ(Decode(Seal(head + "\x01" + PlainString("a description") + PlainString(body))),
            Codes{code});
  EXPECT_EQ(Decode(Seal(head + "\x05" + PlainString("d") + PlainString(body))), Codes{code});
  EXPECT_EQ(Decode(Seal(head + "\xc0" + PlainString(body))), Codes{code});  // flag 0, encoded
  EXPECT_EQ(Restore(Seal(head + "\x00"s + PlainString(body))), "OK plib");
  // Fields end at a NUL byte.
  EXPECT_EQ(Decode(Seal("\xf6" + PlainString("plib\0zz"sv) + PlainString("lua\0q"sv) + "\x00"s +
                        PlainString(body + "\n-- a\0b"s))),
            Codes{code + "\n-- a"});
  EXPECT_EQ(Restore(Seal("\xf6\xc0\x07"s + PlainString("lua") + "\x00"s + PlainString(body))),
            "OK 7");

  EXPECT_EQ(Restore(Seal("\xf6\x82")), errors::kBadPreGaName);
  EXPECT_EQ(Restore(Seal("\xf6" + PlainString("plib") + "\x3f")), errors::kBadPreGaEngine);
  EXPECT_EQ(Restore(Seal(head + "\x82")), errors::kBadPreGaDescIndicator);
  EXPECT_EQ(Restore(Seal(head + "\x01\x82")), errors::kBadPreGaDesc);
  EXPECT_EQ(Restore(Seal(head + "\x00\x82"s)), errors::kBadPreGaBlob);
  // Here the engine name runs into the footer and cannot be read.
  const std::string g = "#!lua name=g\nredis.register_function('g', function() return 7 end)";
  EXPECT_EQ(Restore(Seal("\xf6" + PlainString(g))), errors::kBadPreGaEngine);
  FunctionDumpContents after =
      DecodeFunctionDump(Seal("\xf5" + PlainString(g) + "\xf6" + PlainString(g)));
  EXPECT_EQ(after.error, errors::kBadPreGaEngine);
  EXPECT_EQ(after.codes, Codes{g});
}

}  // namespace
}  // namespace strata::kv::script
