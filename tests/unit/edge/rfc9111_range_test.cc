// RFC 9110 §14: Range requests served from a stored full response.
#include <gtest/gtest.h>

#include "edge/rfc9111/range.h"

namespace strata::edge::rfc9111 {
namespace {

TEST(Rfc9110Range, Table) {
  struct {
    const char* header;
    uint64_t size;
    RangeVerdict verdict;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
  } cases[] = {
      {"bytes=0-9", 100, RangeVerdict::kPartial, {{0, 9}}},
      {"BYTES=0-9", 100, RangeVerdict::kPartial, {{0, 9}}},
      {"bytes=90-", 100, RangeVerdict::kPartial, {{90, 99}}},
      {"bytes=-10", 100, RangeVerdict::kPartial, {{90, 99}}},
      {"bytes=-1000", 100, RangeVerdict::kFull, {}},
      {"bytes=0-", 100, RangeVerdict::kFull, {}},
      {"bytes=50-1000", 100, RangeVerdict::kPartial, {{50, 99}}},
      {"bytes=0-1,5-6", 100, RangeVerdict::kPartial, {{0, 1}, {5, 6}}},
      {"bytes=5-6,0-1", 100, RangeVerdict::kPartial, {{0, 1}, {5, 6}}},
      {"bytes=0-5,3-8,9-10", 100, RangeVerdict::kPartial, {{0, 10}}},
      {"bytes=100-", 100, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=200-300", 100, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=-0", 100, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=200-300,0-1", 100, RangeVerdict::kPartial, {{0, 1}}},
      {"bytes=9-5", 100, RangeVerdict::kFull, {}},
      {"bytes=a-b", 100, RangeVerdict::kFull, {}},
      {"items=0-5", 100, RangeVerdict::kFull, {}},
      {"bytes=", 100, RangeVerdict::kFull, {}},
      {"bytes=5", 100, RangeVerdict::kFull, {}},
      {"bytes=--5", 100, RangeVerdict::kFull, {}},
      {"bytes=-9223372036854775808", 100, RangeVerdict::kFull, {}},
      {"bytes=18446744073709551615-", 100, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=99999999999999999999999-", 100, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=0-99999999999999999999999", 100, RangeVerdict::kFull, {}},
      {"bytes=1-99999999999999999999999", 100, RangeVerdict::kPartial, {{1, 99}}},
      {"bytes=0-0", 0, RangeVerdict::kUnsatisfiable, {}},
      {"bytes=0-1,2-3,4-5,6-7,8-9,10-11,12-13,14-15,16-17,18-19,20-21,22-23,24-25,26-27,28-29,"
       "30-31,32-33",
       100,
       RangeVerdict::kFull,
       {}},
  };
  for (auto& c : cases) {
    std::vector<ByteRange> out;
    EXPECT_EQ(EvaluateRange(c.header, c.size, &out), c.verdict) << c.header;
    if (c.verdict == RangeVerdict::kPartial) {
      ASSERT_EQ(out.size(), c.ranges.size()) << c.header;
      for (size_t i = 0; i < out.size(); i++) {
        EXPECT_EQ(out[i].first, c.ranges[i].first) << c.header;
        EXPECT_EQ(out[i].last, c.ranges[i].second) << c.header;
      }
    }
  }
}

TEST(Rfc9110Range, Multipart) {
  std::vector<ByteRange> r = {{0, 1}, {5, 6}};
  Multipart m = BuildMultipart(r, 10, "text/plain", "B");
  ASSERT_EQ(m.part_heads.size(), 2u);
  EXPECT_EQ(m.part_heads[0],
            "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n");
  EXPECT_EQ(m.tail, "\r\n--B--\r\n");
  EXPECT_EQ(m.total_length, m.part_heads[0].size() + m.part_heads[1].size() + 4 + m.tail.size());
  EXPECT_EQ(ContentRange({2, 4}, 9), "bytes 2-4/9");
}

}  // namespace
}  // namespace strata::edge::rfc9111
