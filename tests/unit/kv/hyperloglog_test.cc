// HyperLogLog encoding and estimator: byte-exact sketches and counts as redis-server 7.0.15
// produces them (the expected values were taken from it), promotion, merging and corrupt input.
#include "kv/types/hyperloglog.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace strata::kv::hll {
namespace {

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string Sketch(int n, size_t sparse_max = kDefaultSparseMaxBytes) {
  std::string h = NewSparse();
  for (int i = 0; i < n; i++) Add(&h, "e" + std::to_string(i), sparse_max);
  return h;
}

uint64_t Card(const std::string& h) {
  bool invalid = false;
  uint64_t c = Count(h, &invalid);
  EXPECT_FALSE(invalid);
  return c;
}

TEST(HyperLogLog, MurmurHash64AKnownValues) {
  EXPECT_EQ(MurmurHash64A("", 0, kHashSeed), 0xd8dfea6585bc9732ULL);
  EXPECT_EQ(MurmurHash64A("a", 1, kHashSeed), 0x53d2470a9b43b1a7ULL);
  EXPECT_EQ(MurmurHash64A("hello", 5, kHashSeed), 0x0f656f01eecfe400ULL);
  EXPECT_EQ(MurmurHash64A("0123456789abcdef!", 17, kHashSeed), 0xb917c99b031f7674ULL);
  uint32_t index;
  EXPECT_EQ(PatternLength("a", &index), 2);
  EXPECT_EQ(index, 12711u);
  EXPECT_EQ(PatternLength("hello", &index), 1);
  EXPECT_EQ(index, 9216u);
}

TEST(HyperLogLog, EmptySketch) {
  std::string h = NewSparse();
  EXPECT_EQ(Hex(h),
            "48594c4c010000000000000000000000"
            "7fff");
  EXPECT_TRUE(IsHll(h));
  EXPECT_FALSE(IsDense(h));
  EXPECT_TRUE(CacheValid(h));
  EXPECT_EQ(CachedCardinality(h), 0u);
  EXPECT_EQ(Card(h), 0u);
}

TEST(HyperLogLog, SparseBytesMatchRedis) {
  std::string h = NewSparse();
  int changed = 0;
  for (const char* e : {"a", "b", "c"}) changed += Add(&h, e, kDefaultSparseMaxBytes);
  EXPECT_EQ(changed, 3);
  EXPECT_EQ(Add(&h, "a", kDefaultSparseMaxBytes), 0);
  // PFADD k a b c in redis-server, then GET k.
  EXPECT_EQ(Hex(h), "48594c4c01000000000000000000008060f38050b1844bfb80425a");
  EXPECT_FALSE(CacheValid(h));
  SetCachedCardinality(h.data(), Card(h));
  EXPECT_EQ(Hex(h), "48594c4c01000000030000000000000060f38050b1844bfb80425a");
  EXPECT_EQ(CachedCardinality(h), 3u);
}

TEST(HyperLogLog, CountsMatchRedis) {
  // (elements "e0".."e<n-1>", PFCOUNT, string length, encoding) from redis-server.
  struct Known {
    int n;
    uint64_t card;
    size_t len;
    uint8_t enc;
  };
  for (Known k : {Known{1, 1, 21, 1}, Known{10, 10, 48, 1}, Known{100, 100, 285, 1},
                  Known{1000, 1008, 1906, 1}, Known{10000, 9973, 12304, 0},
                  Known{100000, 100853, 12304, 0}}) {
    std::string h = Sketch(k.n);
    EXPECT_EQ(Card(h), k.card) << k.n;
    EXPECT_EQ(h.size(), k.len) << k.n;
    EXPECT_EQ(uint8_t(h[4]), k.enc) << k.n;
  }
}

TEST(HyperLogLog, PromotionAtSparseMaxBytes) {
  // With a low limit the sketch turns dense as soon as a split would pass it.
  std::string h = NewSparse();
  int i = 0;
  while (!IsDense(h)) {
    size_t before = h.size();
    ASSERT_GE(Add(&h, "x" + std::to_string(i++), 100), 0);
    EXPECT_LE(IsDense(h) ? before : h.size(), 100u);
  }
  EXPECT_EQ(h.size(), kDenseSize);
  // The registers survive the conversion: a sketch grown sparse to the same elements counts the
  // same.
  std::string ref = NewSparse();
  for (int j = 0; j < i; j++) Add(&ref, "x" + std::to_string(j), 1 << 20);
  EXPECT_FALSE(IsDense(ref));
  EXPECT_EQ(Card(ref), Card(h));
  // A register above 32 cannot be sparse.
  std::string big = NewSparse();
  EXPECT_EQ(Raise(&big, 7, 40, kDefaultSparseMaxBytes), 1);
  EXPECT_TRUE(IsDense(big));
  EXPECT_EQ(DenseGet(reinterpret_cast<const uint8_t*>(big.data()) + kHeaderSize, 7), 40);
}

TEST(HyperLogLog, SparseToDenseKeepsRegisters) {
  std::string s = Sketch(500);
  std::string d = s;
  ASSERT_TRUE(SparseToDense(&d));
  EXPECT_TRUE(IsDense(d));
  std::vector<uint8_t> a(kRegisters), b(kRegisters);
  ASSERT_TRUE(MergeInto(s, a.data()));
  ASSERT_TRUE(MergeInto(d, b.data()));
  EXPECT_EQ(a, b);
  EXPECT_EQ(Card(s), Card(d));
  EXPECT_EQ(CountRaw(a.data()), Card(s));
}

TEST(HyperLogLog, DenseRegisterPacking) {
  std::vector<uint8_t> regs(kDenseRegisterBytes, 0);
  std::mt19937 rng(7);
  std::vector<uint8_t> want(kRegisters);
  for (int i = 0; i < kRegisters; i++) {
    want[size_t(i)] = uint8_t(rng() % 64);
    DenseSet(regs.data(), uint32_t(i), want[size_t(i)]);
  }
  for (int i = 0; i < kRegisters; i++)
    EXPECT_EQ(DenseGet(regs.data(), uint32_t(i)), want[size_t(i)]);
  // Register 1 spans bytes 0 and 1: six bits from bit 6 on, least significant first.
  std::vector<uint8_t> one(kDenseRegisterBytes, 0);
  DenseSet(one.data(), 1, 0x3f);
  EXPECT_EQ(one[0], 0xc0);
  EXPECT_EQ(one[1], 0x0f);
}

TEST(HyperLogLog, MergeIsUnion) {
  std::string a = NewSparse(), b = NewSparse(), both = NewSparse();
  for (int i = 0; i < 3000; i++) {
    std::string e = "m" + std::to_string(i);
    Add(i % 2 ? &a : &b, e, kDefaultSparseMaxBytes);
    Add(&both, e, kDefaultSparseMaxBytes);
  }
  std::vector<uint8_t> max(kRegisters, 0);
  ASSERT_TRUE(MergeInto(a, max.data()));
  ASSERT_TRUE(MergeInto(b, max.data()));
  EXPECT_EQ(CountRaw(max.data()), Card(both));
  std::string dest = NewSparse();
  ASSERT_TRUE(StoreMerged(&dest, max.data(), IsDense(a) || IsDense(b), kDefaultSparseMaxBytes));
  EXPECT_FALSE(CacheValid(dest));
  EXPECT_EQ(Card(dest), Card(both));
}

TEST(HyperLogLog, HeaderValidation) {
  EXPECT_FALSE(IsHll(""));
  EXPECT_FALSE(IsHll("HYLL"));
  std::string h = NewSparse();
  EXPECT_FALSE(IsHll(h.substr(0, 15)));
  EXPECT_TRUE(IsHll(h.substr(0, 16)));  // no opcodes: a header is enough here
  std::string bad = h;
  bad[0] = 'h';
  EXPECT_FALSE(IsHll(bad));
  bad = h;
  bad[4] = 2;
  EXPECT_FALSE(IsHll(bad));
  bad = h;
  bad[4] = 0;  // dense but not 12304 bytes
  EXPECT_FALSE(IsHll(bad));
  std::string d = Sketch(20000);
  EXPECT_TRUE(IsHll(d));
  EXPECT_FALSE(IsHll(d + "x"));
}

TEST(HyperLogLog, CorruptSparseIsReported) {
  std::vector<uint8_t> max(kRegisters);
  bool invalid;
  // Opcodes short of 16384 registers.
  std::string shortfall = NewSparse();
  shortfall[17] = char(0xfe);  // XZERO 16383
  invalid = false;
  Count(shortfall, &invalid);
  EXPECT_TRUE(invalid);
  EXPECT_FALSE(MergeInto(shortfall, max.data()));
  std::string copy = shortfall;
  EXPECT_FALSE(SparseToDense(&copy));
  EXPECT_EQ(copy, shortfall);
  // A trailing opcode past the last register.
  std::string extra = NewSparse() + char(0x80);
  invalid = false;
  Count(extra, &invalid);
  EXPECT_TRUE(invalid);
  EXPECT_FALSE(MergeInto(extra, max.data()));
  // No opcodes at all: setting a register fails.
  std::string empty = NewSparse().substr(0, kHeaderSize);
  EXPECT_EQ(Raise(&empty, 5, 3, kDefaultSparseMaxBytes), -1);
  // A register beyond the opcodes' reach.
  std::string partial = NewSparse();
  partial[16] = 0x40;  // XZERO 256: registers 0..255 only
  partial.resize(18);
  partial[17] = char(0xff);
  EXPECT_EQ(Raise(&partial, 1000, 3, kDefaultSparseMaxBytes), -1);
  EXPECT_EQ(Raise(&partial, 10, 3, kDefaultSparseMaxBytes), 1);  // inside the reach: set
  // An XZERO cut short by the end of the string reads its second byte as zero.
  std::string cut = NewSparse().substr(0, kHeaderSize) + char(0x7f);
  invalid = false;
  Count(cut, &invalid);  // 0x3f00 + 1 registers: short
  EXPECT_TRUE(invalid);
}

TEST(HyperLogLog, RandomBytesNeverBreakIt) {
  std::mt19937 rng(1);
  std::vector<uint8_t> max(kRegisters);
  for (int iter = 0; iter < 2000; iter++) {
    std::string h = NewSparse().substr(0, kHeaderSize);
    size_t n = rng() % 64;
    for (size_t i = 0; i < n; i++) h += char(rng() & 0xff);
    bool invalid = false;
    Count(h, &invalid);
    MergeInto(h, max.data());
    std::string d = h;
    SparseToDense(&d);
    for (int k = 0; k < 8; k++) Add(&h, std::to_string(rng()), rng() % 2 ? 20 : 3000);
  }
}

}  // namespace
}  // namespace strata::kv::hll
