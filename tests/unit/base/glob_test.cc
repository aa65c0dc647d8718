#include "base/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

TEST(Glob, Basics) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "abc"));
  EXPECT_TRUE(GlobMatch("a*c", "abbbc"));
  EXPECT_FALSE(GlobMatch("a*c", "abbb"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", true));
  EXPECT_TRUE(GlobMatch("user:*:name", "user:42:name"));
  EXPECT_FALSE(GlobMatch("[]", "a"));
}

TEST(Glob, PathologicalPatternIsBounded) {
  std::string pattern;
  for (int i = 0; i < 5000; i++) pattern += "*a";
  pattern += "b";
  std::string s(10000, 'a');
  EXPECT_FALSE(GlobMatch(pattern, s));  // must return promptly (quadratic at worst, no recursion)
}

}  // namespace
}  // namespace strata
