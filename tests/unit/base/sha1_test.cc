#include "base/sha1.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

// FIPS 180 examples and the boundary lengths around the 55/56/64-byte padding cases.
TEST(Sha1, KnownVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(Sha1Hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

TEST(Sha1, PaddingBoundaries) {
  // Digests of 'a' * n for the lengths where the length field moves to a second block.
  EXPECT_EQ(Sha1Hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(Sha1Hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
  EXPECT_EQ(Sha1Hex(std::string(64, 'a')), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Sha1, IncrementalEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 1000; i++) data.push_back(char(i * 7));
  Sha1 s;
  for (size_t off = 0; off < data.size(); off += 13) s.Update(data.substr(off, 13));
  EXPECT_EQ(s.Final(), Sha1Digest(data));
}

TEST(Sha1, HexToBuffer) {
  char out[40];
  Sha1HexTo("a\0b", out);  // a NUL-free literal prefix: hashes "a"
  EXPECT_EQ(std::string(out, 40), Sha1Hex("a"));
  Sha1HexTo(std::string_view("a\0b", 3), out);
  EXPECT_EQ(std::string(out, 40), "4a3dec2d1f8245280855c42db0ee4239f917fdb8");
}

}  // namespace
}  // namespace strata
