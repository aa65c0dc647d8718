// RDB lengths and strings: the bytes Redis writes, and reading every encoding back.
#include "kv/rdb/rdb_string.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::kv::rdb {
namespace {

using namespace std::string_view_literals;

std::string Length(uint64_t len) {
  std::string out;
  AppendRdbLength(&out, len);
  return out;
}

std::string Str(std::string_view s, bool compress = true) {
  std::string out;
  AppendRdbString(&out, s, compress);
  return out;
}

// The string read from `bytes`, which must consume all of them; "<fail>" when it fails.
std::string Read(std::string_view bytes) {
  RdbReader reader(bytes);
  std::string out;
  if (!reader.ReadString(&out)) return "<fail>";
  EXPECT_EQ(reader.remaining(), 0u) << "left over after reading";
  return out;
}

TEST(RdbString, Lengths) {
  EXPECT_EQ(Length(0), "\x00"sv);
  EXPECT_EQ(Length(63), "\x3f");
  EXPECT_EQ(Length(64), "\x40\x40");
  EXPECT_EQ(Length(16383), "\x7f\xff");
  EXPECT_EQ(Length(16384), "\x80\x00\x00\x40\x00"sv);
  EXPECT_EQ(Length(0xffffffffULL), "\x80\xff\xff\xff\xff");
  EXPECT_EQ(Length(0x100000000ULL), "\x81\x00\x00\x00\x01\x00\x00\x00\x00"sv);
  for (uint64_t len : {0ULL, 1ULL, 63ULL, 64ULL, 300ULL, 16383ULL, 16384ULL, 0xffffffffULL,
                       0x100000000ULL, ~0ULL}) {
    std::string bytes = Length(len);
    RdbReader reader(bytes);
    uint64_t got = 0;
    bool encoded = true;
    ASSERT_TRUE(reader.ReadLength(&got, &encoded)) << len;
    EXPECT_EQ(got, len);
    EXPECT_FALSE(encoded);
    EXPECT_EQ(reader.remaining(), 0u);
  }
}

TEST(RdbString, LengthErrors) {
  for (std::string_view bad : {""sv, "\x40"sv, "\x80\x00\x00\x00"sv, "\x81\x00"sv}) {
    RdbReader reader(bad);
    uint64_t len;
    EXPECT_FALSE(reader.ReadLength(&len)) << testing::PrintToString(bad);
  }
  // 0x82..0xbf are not lengths.
  for (int b = 0x82; b <= 0xbf; b++) {
    std::string bytes(9, '\0');
    bytes[0] = char(b);
    RdbReader reader(bytes);
    uint64_t len;
    EXPECT_FALSE(reader.ReadLength(&len)) << b;
  }
  // The 11 prefix is an encoding type; a caller that does not ask gets its low bits as a length.
  RdbReader reader("\xc3\xc3");
  uint64_t len = 0;
  bool encoded = false;
  ASSERT_TRUE(reader.ReadLength(&len, &encoded));
  EXPECT_TRUE(encoded);
  EXPECT_EQ(len, 3u);
  ASSERT_TRUE(reader.ReadLength(&len));
  EXPECT_EQ(len, 3u);
}

TEST(RdbString, Integers) {
  // Canonical decimals that fit in 32 bits are stored as integers, in the smallest width.
  EXPECT_EQ(Str("0"), "\xc0\x00"sv);
  EXPECT_EQ(Str("-1"), "\xc0\xff");
  EXPECT_EQ(Str("127"), "\xc0\x7f");
  EXPECT_EQ(Str("-128"), "\xc0\x80");
  EXPECT_EQ(Str("128"), "\xc1\x80\x00"sv);
  EXPECT_EQ(Str("-129"), "\xc1\x7f\xff");
  EXPECT_EQ(Str("32767"), "\xc1\xff\x7f");
  EXPECT_EQ(Str("-32768"), "\xc1\x00\x80"sv);
  EXPECT_EQ(Str("32768"), "\xc2\x00\x80\x00\x00"sv);
  EXPECT_EQ(Str("2147483647"), "\xc2\xff\xff\xff\x7f");
  EXPECT_EQ(Str("-2147483648"), "\xc2\x00\x00\x00\x80"sv);
  // Everything else is a plain string.
  for (std::string_view s :
       {"2147483648", "-2147483649", "007", "-0", "+1", " 1", "1 ", "-", "", "1a", "12345678901"}) {
    EXPECT_EQ(Str(s), Length(s.size()) + std::string(s)) << s;
  }
  for (std::string_view s : {"0", "-1", "127", "-128", "128", "-129", "32767", "-32768", "32768",
                             "2147483647", "-2147483648"}) {
    EXPECT_EQ(Read(Str(s)), s);
  }
  EXPECT_EQ(Read("\xc0\xfe"), "-2");
  EXPECT_EQ(Read("\xc1\x34\x12"), "4660");
  EXPECT_EQ(Read("\xc2\x01\x00\x00\x80"sv), "-2147483647");
  EXPECT_EQ(Read("\xc0"), "<fail>");
  EXPECT_EQ(Read("\xc1\x01"), "<fail>");
  EXPECT_EQ(Read("\xc2\x01\x02\x03"), "<fail>");
}

TEST(RdbString, PlainStrings) {
  for (size_t n : {0, 1, 20, 63, 64, 16383, 16384, 70000}) {
    std::string s;
    for (size_t i = 0; i < n; i++) s.push_back(char('a' + i % 26));
    std::string plain = Str(s, false);
    EXPECT_EQ(plain, Length(n) + s);
    EXPECT_EQ(Read(plain), s);
  }
  std::string binary("\x00\r\n\xff\xc3", 5);
  EXPECT_EQ(Read(Str(binary)), binary);
  EXPECT_EQ(Read("\x05"
                 "abcd"),
            "<fail>");
  EXPECT_EQ(Read("\x80\x00\x00\x01\x00"
                 "abc"sv),
            "<fail>");
}

TEST(RdbString, Lzf) {
  std::string repetitive;
  for (int i = 0; i < 50; i++) repetitive += "redis.register_function('f', function() end)\n";
  std::string packed = Str(repetitive);
  ASSERT_EQ(uint8_t(packed[0]), 0xc3);
  EXPECT_LT(packed.size(), repetitive.size() / 4);
  EXPECT_EQ(Read(packed), repetitive);
  EXPECT_EQ(Str(repetitive, false), Length(repetitive.size()) + repetitive);

  // Up to 20 bytes, and whenever LZF saves 4 bytes or fewer, strings stay plain.
  EXPECT_EQ(Str("aaaaaaaaaaaaaaaaaaaa"),
            "\x14"
            "aaaaaaaaaaaaaaaaaaaa");
  std::string incompressible;
  uint32_t x = 1;
  for (int i = 0; i < 300; i++) {
    x = x * 1103515245u + 12345u;
    incompressible.push_back(char(x >> 16));
  }
  EXPECT_EQ(Str(incompressible), Length(300) + incompressible);

  // Hand-made: two literal runs, "hello " and "world".
  EXPECT_EQ(Read("\xc3\x0d\x0b\x05hello \x04world"), "hello world");
  // The decompressed size must be exactly the stated one.
  EXPECT_EQ(Read("\xc3\x0d\x0a\x05hello \x04world"), "<fail>");
  EXPECT_EQ(Read("\xc3\x0d\x0c\x05hello \x04world"), "<fail>");
  EXPECT_EQ(Read("\xc3\x0d\x0b\x05hello \x04worl"), "<fail>");                  // truncated
  EXPECT_EQ(Read("\xc3\x05\x20\xff\xff\xff\xff\xff"), "<fail>");                // garbage
  EXPECT_EQ(Read("\xc3\x81\x00\x00\x00\x00\x00\x00\x01\x00\x0b"sv), "<fail>");  // clen past the end
  EXPECT_EQ(Read("\xc3\x0d\x81\x00\x00\x01\x00\x00\x00\x00\x00\x05hello \x04world"sv), "<fail>");
  // A stated size of 0 always succeeds, as in Redis.
  EXPECT_EQ(Read("\xc3\x02\x00\x00"
                 "a"sv),
            "");
  EXPECT_EQ(Read("\xc3\x00\x00"sv), "");
}

TEST(RdbString, UnknownEncodings) {
  for (int enc = 4; enc < 64; enc++) {
    std::string bytes(1, char(0xc0 | enc));
    bytes += "\x05hello";
    RdbReader reader(bytes);
    std::string out;
    EXPECT_FALSE(reader.ReadString(&out)) << enc;
  }
}

TEST(RdbString, Sequence) {
  std::string bytes;
  AppendRdbString(&bytes, "first");
  AppendRdbString(&bytes, "42");
  AppendRdbLength(&bytes, 7);
  AppendRdbString(&bytes, std::string(100, 'z'));
  RdbReader reader(bytes);
  std::string s;
  uint64_t len;
  uint8_t byte;
  ASSERT_TRUE(reader.ReadString(&s));
  EXPECT_EQ(s, "first");
  ASSERT_TRUE(reader.ReadString(&s));
  EXPECT_EQ(s, "42");
  ASSERT_TRUE(reader.ReadLength(&len));
  EXPECT_EQ(len, 7u);
  ASSERT_TRUE(reader.ReadString(&s));
  EXPECT_EQ(s, std::string(100, 'z'));
  EXPECT_EQ(reader.pos(), bytes.size());
  EXPECT_FALSE(reader.ReadByte(&byte));
}

}  // namespace
}  // namespace strata::kv::rdb
