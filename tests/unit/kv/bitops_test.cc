// Bit helpers (BITCOUNT/BITPOS ranges, BITFIELD integers and overflow rules, BITOP) and the LCS
// computation.
#include "kv/types/bitops.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "kv/types/lcs.h"

namespace strata::kv {
namespace {

using bits::Overflow;

bool BitAt(const std::string& s, uint64_t i) { return (uint8_t(s[i >> 3]) >> (7 - (i & 7))) & 1; }

TEST(Bits, CountRangeMatchesNaive) {
  std::mt19937 rng(3);
  for (int iter = 0; iter < 300; iter++) {
    std::string s(rng() % 40 + 1, '\0');
    for (char& c : s) c = char(rng() & 0xff);
    uint64_t nbits = s.size() * 8;
    uint64_t a = rng() % nbits, b = rng() % nbits;
    if (a > b) std::swap(a, b);
    uint64_t want = 0;
    for (uint64_t i = a; i <= b; i++) want += BitAt(s, i);
    EXPECT_EQ(bits::CountRange(s, a, b), want);
  }
  EXPECT_EQ(bits::CountRange("foobar", 0, 47), 26u);  // BITCOUNT of "foobar"
  EXPECT_EQ(bits::CountRange("foobar", 8, 15), 6u);   // byte 1
  EXPECT_EQ(bits::CountRange("foobar", 5, 30), 17u);
}

TEST(Bits, FindBitMatchesNaive) {
  std::mt19937 rng(4);
  for (int iter = 0; iter < 300; iter++) {
    std::string s(rng() % 100 + 1, char(iter % 3 == 0 ? 0xff : iter % 3 == 1 ? 0 : 0x10));
    if (rng() % 2) s[rng() % s.size()] = char(rng() & 0xff);
    uint64_t nbits = s.size() * 8;
    uint64_t a = rng() % nbits, b = rng() % nbits;
    if (a > b) std::swap(a, b);
    for (int bit = 0; bit <= 1; bit++) {
      int64_t want = -1;
      for (uint64_t i = a; i <= b; i++)
        if (BitAt(s, i) == bool(bit)) {
          want = int64_t(i);
          break;
        }
      EXPECT_EQ(bits::FindBit(s, bit, a, b), want);
    }
  }
  EXPECT_EQ(bits::FindBit(std::string("\xff\xf0\x00", 3), 0, 0, 23), 12);
  EXPECT_EQ(bits::FindBit(std::string("\x00\x00\x01", 3), 1, 0, 23), 23);
  EXPECT_EQ(bits::FindBit(std::string(3, '\0'), 1, 0, 23), -1);
}

TEST(Bits, FieldsReadAndWriteMostSignificantFirst) {
  uint8_t buf[4] = {0, 0, 0, 0};
  // 5-bit 23 at bit offset 7: 00000001 01110000.
  bits::SetUnsigned(buf, 7, 5, 23);
  EXPECT_EQ(buf[0], 0x01);
  EXPECT_EQ(buf[1], 0x70);
  EXPECT_EQ(bits::GetUnsigned(buf, 7, 5), 23u);
  EXPECT_EQ(bits::GetSigned(buf, 7, 5), -9);  // 10111
  bits::SetUnsigned(buf, 0, 32, 0xdeadbeef);
  EXPECT_EQ(bits::GetUnsigned(buf, 0, 32), 0xdeadbeefu);
  EXPECT_EQ(bits::GetSigned(buf, 0, 8), int8_t(0xde));
  // Reads past the end of a string see zeros.
  EXPECT_EQ(bits::GetUnsignedPadded(std::string("\xff", 1), 4, 8), 0xf0u);
  EXPECT_EQ(bits::GetSignedPadded(std::string("\xff", 1), 0, 64), int64_t(0xff00000000000000ULL));
  EXPECT_EQ(bits::GetUnsignedPadded("", 100, 63), 0u);
}

TEST(Bits, UnsignedOverflow) {
  uint64_t r = 0;
  EXPECT_EQ(bits::CheckUnsigned(250, 5, 8, Overflow::kWrap, &r), 0);
  EXPECT_EQ(bits::CheckUnsigned(250, 6, 8, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, 0u);
  EXPECT_EQ(bits::CheckUnsigned(250, 10, 8, Overflow::kSat, &r), 1);
  EXPECT_EQ(r, 255u);
  EXPECT_EQ(bits::CheckUnsigned(3, -4, 8, Overflow::kWrap, &r), -1);
  EXPECT_EQ(r, 255u);
  EXPECT_EQ(bits::CheckUnsigned(3, -4, 8, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, 0u);
  EXPECT_EQ(bits::CheckUnsigned(3, INT64_MIN, 63, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, 0u);
  // SET u8 with a value out of range (incr 0).
  EXPECT_EQ(bits::CheckUnsigned(uint64_t(-5), 0, 8, Overflow::kSat, &r), 1);
  EXPECT_EQ(r, 255u);
  EXPECT_EQ(bits::CheckUnsigned(300, 0, 8, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, 44u);
}

TEST(Bits, SignedOverflow) {
  int64_t r = 0;
  EXPECT_EQ(bits::CheckSigned(100, 27, 8, Overflow::kWrap, &r), 0);
  EXPECT_EQ(bits::CheckSigned(100, 28, 8, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, -128);
  EXPECT_EQ(bits::CheckSigned(100, 100, 8, Overflow::kSat, &r), 1);
  EXPECT_EQ(r, 127);
  EXPECT_EQ(bits::CheckSigned(-100, -100, 8, Overflow::kWrap, &r), -1);
  EXPECT_EQ(r, 56);
  EXPECT_EQ(bits::CheckSigned(-100, -100, 8, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, -128);
  EXPECT_EQ(bits::CheckSigned(INT64_MAX, 1, 64, Overflow::kWrap, &r), 1);
  EXPECT_EQ(r, INT64_MIN);
  EXPECT_EQ(bits::CheckSigned(INT64_MIN, -1, 64, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, INT64_MIN);
  EXPECT_EQ(bits::CheckSigned(INT64_MIN, 0, 64, Overflow::kSat, &r), 0);
  // Redis's answer for SET i8 -9223372036854775808 with SAT: its headroom arithmetic wraps and
  // reports an overflow upwards, so the field saturates to 127.
  EXPECT_EQ(bits::CheckSigned(INT64_MIN, 0, 8, Overflow::kSat, &r), 1);
  EXPECT_EQ(r, 127);
  EXPECT_EQ(bits::CheckSigned(-1000, 0, 8, Overflow::kSat, &r), -1);
  EXPECT_EQ(r, -128);
}

TEST(Bits, Combine) {
  using bits::Op;
  std::string a("\xff\x0f", 2), b("\xf0", 1);
  EXPECT_EQ(bits::Combine(Op::kAnd, {a, b}), std::string("\xf0\x00", 2));
  EXPECT_EQ(bits::Combine(Op::kOr, {a, b}), std::string("\xff\x0f", 2));
  EXPECT_EQ(bits::Combine(Op::kXor, {a, b}), std::string("\x0f\x0f", 2));
  EXPECT_EQ(bits::Combine(Op::kNot, {a}), std::string("\x00\xf0", 2));
  EXPECT_EQ(bits::Combine(Op::kAnd, {"", ""}), "");
  EXPECT_EQ(bits::Combine(Op::kOr, {"", b}), b);
  EXPECT_EQ(bits::Combine(Op::kOr, {std::string_view(), b}), b);  // a missing key
  EXPECT_EQ(bits::Combine(Op::kNot, {std::string_view()}), "");
  std::string big(1000, 'x');
  EXPECT_EQ(bits::Combine(Op::kXor, {big, big}), std::string(1000, '\0'));
}

TEST(Lcs, ExampleFromTheDocs) {
  lcs::Result r;
  ASSERT_TRUE(lcs::Compute("ohmytext", "mynewtext", true, true, 0, &r));
  EXPECT_EQ(r.len, 6u);
  EXPECT_EQ(r.seq, "mytext");
  ASSERT_EQ(r.matches.size(), 2u);
  EXPECT_EQ(r.matches[0].a_start, 4u);
  EXPECT_EQ(r.matches[0].a_end, 7u);
  EXPECT_EQ(r.matches[0].b_start, 5u);
  EXPECT_EQ(r.matches[0].b_end, 8u);
  EXPECT_EQ(r.matches[0].len, 4u);
  EXPECT_EQ(r.matches[1].a_start, 2u);
  EXPECT_EQ(r.matches[1].b_start, 0u);
  EXPECT_EQ(r.matches[1].len, 2u);
  ASSERT_TRUE(lcs::Compute("ohmytext", "mynewtext", false, true, 4, &r));
  EXPECT_EQ(r.matches.size(), 1u);
  ASSERT_TRUE(lcs::Compute("", "abc", true, true, 0, &r));
  EXPECT_EQ(r.len, 0u);
  EXPECT_EQ(r.seq, "");
  EXPECT_TRUE(r.matches.empty());
  EXPECT_EQ(lcs::TableBytes(2, 3), 48u);
}

}  // namespace
}  // namespace strata::kv
