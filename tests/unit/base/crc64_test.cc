#include "base/crc64.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

// One bit at a time, straight from the definition: reflected Jones polynomial, init 0, no xorout.
uint64_t BitwiseCrc64(uint64_t crc, std::string_view data) {
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; bit++)
      crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
  }
  return crc;
}

std::string PseudoRandomBytes(size_t n) {
  std::string s;
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    s.push_back(char(x >> 16));
  }
  return s;
}

TEST(Crc64, KnownVectors) {
  EXPECT_EQ(Crc64(""), 0u);
  EXPECT_EQ(Crc64("123456789"), 0xe9c6d914c4b8d9caULL);  // the standard check value
  EXPECT_EQ(Crc64("a"), 0x5fb354025b277b14ULL);
  EXPECT_EQ(Crc64("The quick brown fox jumps over the lazy dog"), 0xbf7ee596c3aa372bULL);
  // The footer of an empty FUNCTION DUMP from Redis 7.0.15: version 10, then this CRC.
  EXPECT_EQ(Crc64(std::string_view("\x0a\x00", 2)), 0xdaa27f0f405c9b5dULL);
}

TEST(Crc64, MatchesBitwiseAtEveryLengthAndAlignment) {
  std::string data = PseudoRandomBytes(300);
  for (size_t off = 0; off < 8; off++) {
    for (size_t len = 0; off + len <= data.size(); len++) {
      std::string_view piece(data.data() + off, len);
      ASSERT_EQ(Crc64(piece), BitwiseCrc64(0, piece)) << "off " << off << " len " << len;
    }
  }
}

TEST(Crc64, Continues) {
  std::string data = PseudoRandomBytes(1000);
  uint64_t whole = Crc64(data);
  for (size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    std::string_view a(data.data(), cut), b(data.data() + cut, data.size() - cut);
    EXPECT_EQ(Crc64(Crc64(a), b), whole) << cut;
  }
  EXPECT_EQ(Crc64(7, "xyz"), BitwiseCrc64(7, "xyz"));
}

}  // namespace
}  // namespace strata
