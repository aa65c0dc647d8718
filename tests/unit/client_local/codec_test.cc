#include "strata/codec.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

struct Profile {
  std::string name;
  int64_t visits = 0;
  std::vector<std::string> tags;
  bool operator==(const Profile&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Profile, name, visits, tags)

static_assert(strata::Codec<strata::JsonCodec<Profile>, Profile>);
static_assert(!strata::Codec<strata::Int64Codec, std::string>);

TEST(BytesCodec, KeepsBinaryBytes) {
  strata::BytesCodec c;
  const std::string v("a\0b\xff\r\n", 6);
  EXPECT_EQ(c.Encode(v), v);
  EXPECT_EQ(c.Decode(c.Encode(v)), v);
  EXPECT_EQ(c.Decode(""), "");
}

TEST(StringCodec, AcceptsUtf8RejectsMalformed) {
  strata::StringCodec c;
  for (std::string ok :
       {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_EQ(c.Decode(c.Encode(ok)), ok);
  }
  for (std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\x80", "ok\xe2\x82"}) {
    EXPECT_THROW(c.Decode(bad), strata::DecodeError) << bad;
    EXPECT_THROW(c.Encode(bad), std::invalid_argument) << bad;
  }
}

TEST(Int64Codec, CanonicalDecimalLikeIncr) {
  strata::Int64Codec c;
  const int64_t values[] = {0,
                            1,
                            -1,
                            42,
                            -9000,
                            std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min()};
  for (int64_t v : values) EXPECT_EQ(c.Decode(c.Encode(v)), v);
  EXPECT_EQ(c.Encode(-42), "-42");
  EXPECT_EQ(c.Encode(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  // What INCR refuses ("value is not an integer or out of range") Decode refuses too.
  for (const char* bad : {"", "+1", "01", "-0", " 1", "1 ", "1.0", "0x10", "abc", "-",
                          "9223372036854775808", "-9223372036854775809", "1e3"}) {
    EXPECT_THROW(c.Decode(bad), strata::DecodeError) << bad;
  }
}

TEST(JsonCodec, RoundTripsStructs) {
  strata::JsonCodec<Profile> c;
  Profile p{"ada", 7, {"x", "y"}};
  const std::string bytes = c.Encode(p);
  EXPECT_EQ(bytes, R"({"name":"ada","tags":["x","y"],"visits":7})");
  EXPECT_EQ(c.Decode(bytes), p);
  strata::JsonCodec<std::map<std::string, int>> m;
  EXPECT_EQ(m.Decode(m.Encode({{"a", 1}, {"b", 2}})),
            (std::map<std::string, int>{{"a", 1}, {"b", 2}}));
}

TEST(JsonCodec, DecodeErrors) {
  strata::JsonCodec<Profile> c;
  EXPECT_THROW(c.Decode("{"), strata::DecodeError);
  EXPECT_THROW(c.Decode(""), strata::DecodeError);
  EXPECT_THROW(c.Decode(R"({"name":1,"visits":2,"tags":[]})"), strata::DecodeError);
  EXPECT_THROW(c.Decode(R"({"name":"a"})"), strata::DecodeError);  // missing members
  strata::JsonCodec<int> i;
  EXPECT_THROW(i.Decode(R"("12")"), strata::DecodeError);
  EXPECT_EQ(i.Decode("12"), 12);
  try {
    c.Decode("[1,");
    FAIL();
  } catch (const std::runtime_error& e) {  // DecodeError is a runtime_error
    EXPECT_NE(std::string(e.what()).find("JsonCodec"), std::string::npos);
  }
}

}  // namespace
