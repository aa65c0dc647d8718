#include "base/strutil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace strata {
namespace {

TEST(StrUtil, ParseInt64AcceptsRedisForms) {
  int64_t v;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-12", &v));
  EXPECT_EQ(v, -12);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
}

TEST(StrUtil, ParseInt64RejectsEverythingElse) {
  int64_t v;
  for (const char* s : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.0", "9223372036854775808",
                        "-9223372036854775809", "abc", "1e3", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseInt64(s, &v)) << s;
  }
}

TEST(StrUtil, LongDoubleRendering) {
  EXPECT_EQ(LongDoubleToString(10.5L), "10.5");
  EXPECT_EQ(LongDoubleToString(3.0L), "3");
  EXPECT_EQ(LongDoubleToString(-0.0L), "0");
  long double v;
  EXPECT_FALSE(ParseLongDouble("nan", &v));
  EXPECT_FALSE(ParseLongDouble(" 1", &v));
  EXPECT_TRUE(ParseLongDouble("5.0e3", &v));
  EXPECT_EQ(LongDoubleToString(v), "5000");
}

TEST(StrUtil, MemorySizes) {
  uint64_t v;
  EXPECT_TRUE(ParseMemorySize("100mb", &v));
  EXPECT_EQ(v, 100ull << 20);
  EXPECT_TRUE(ParseMemorySize("2GB", &v));
  EXPECT_EQ(v, 2ull << 30);
  EXPECT_TRUE(ParseMemorySize("1k", &v));
  EXPECT_EQ(v, 1000u);
  EXPECT_TRUE(ParseMemorySize("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(ParseMemorySize("mb", &v));
  EXPECT_FALSE(ParseMemorySize("10xb", &v));
  EXPECT_FALSE(ParseMemorySize("-1", &v));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Double replies must be byte-identical to printf's "%.17g" (what Redis sends).
TEST(StrUtil, DoubleToStringMatchesPrintf) {
  std::mt19937_64 rng(42);
  std::vector<double> cases = {0.0,    -0.0,
                               1.0,    -1.0,
                               0.1,    1e16,
                               1e17,   123456789012345678.0,
                               5e-324, 1.7976931348623157e308,
                               2.5e-5, 1e21,
                               3.0e-7, -42.25};
  for (int i = 0; i < 100000; i++) {
    uint64_t bits = rng();
    double d;
    memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) cases.push_back(d);
    cases.push_back(double(int64_t(rng() % 2000001) - 1000000) / 8);
  }
  char buf[128];
  for (double d : cases) {
    snprintf(buf, sizeof buf, "%.17g", d);
    ASSERT_EQ(DoubleToString(d), buf) << d;
  }
  EXPECT_EQ(DoubleToString(HUGE_VAL), "inf");
  EXPECT_EQ(DoubleToString(-HUGE_VAL), "-inf");
}

}  // namespace
}  // namespace strata
