// A pipeline parsed once, ahead: what a window holds, and when it gives nothing back.
#include "proto/resp/parse_ahead.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::resp {
namespace {

std::string Cmd(std::vector<std::string> args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (auto& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

std::vector<std::string> Strings(const std::vector<std::string_view>& v) {
  return {v.begin(), v.end()};
}

TEST(ParsedAhead, HoldsAWindowAndHandsItOutInOrder) {
  std::string in;
  for (int i = 0; i < 20; i++) in += Cmd({"SET", "k" + std::to_string(i), "v"});
  ParserLimits limits;
  ParsedAhead a;
  ASSERT_EQ(a.Fill(in, limits), ParsedAhead::kMax);
  EXPECT_EQ(Strings({a.Args(3).begin(), a.Args(3).end()}),
            (std::vector<std::string>{"SET", "k3", "v"}));
  std::string_view rest = in;
  std::vector<std::string_view> args;
  for (size_t i = 0; i < ParsedAhead::kMax; i++) {
    size_t consumed = 0;
    ASSERT_TRUE(a.Take(rest, limits, &args, &consumed)) << i;
    EXPECT_EQ(Strings(args), (std::vector<std::string>{"SET", "k" + std::to_string(i), "v"}));
    EXPECT_EQ(consumed, Cmd({"SET", "k" + std::to_string(i), "v"}).size());
    rest.remove_prefix(consumed);
    EXPECT_EQ(a.size(), ParsedAhead::kMax - i - 1);
  }
  size_t consumed = 0;
  EXPECT_FALSE(a.Take(rest, limits, &args, &consumed));
  EXPECT_EQ(a.Fill(rest, limits), 4u);
}

TEST(ParsedAhead, StopsBeforeWhatTheConnectionsParserMustSee) {
  ParserLimits limits;
  ParsedAhead a;
  std::string two = Cmd({"GET", "a"}) + Cmd({"GET", "b"});
  // An incomplete command, an inline one (its arguments would live in the scratch parser), a
  // malformed one, an HTTP request line: the window ends before each.
  EXPECT_EQ(a.Fill(two + "*2\r\n$3\r\nGET\r\n$5\r\nab", limits), 2u);
  EXPECT_EQ(a.Fill(two + "GET c\r\n" + Cmd({"GET", "d"}), limits), 2u);
  EXPECT_EQ(a.Fill(two + "*1\r\n+oops\r\n", limits), 2u);
  EXPECT_EQ(a.Fill("GET / HTTP/1.1\r\n", limits), 0u);
  EXPECT_EQ(a.Fill("", limits), 0u);
  // Empty multibulks are skipped within the command that follows them.
  ASSERT_EQ(a.Fill("*0\r\n" + Cmd({"PING"}), limits), 1u);
  std::vector<std::string_view> args;
  size_t consumed = 0;
  std::string in = "*0\r\n" + Cmd({"PING"});
  ASSERT_TRUE(a.Fill(in, limits) && a.Take(in, limits, &args, &consumed));
  EXPECT_EQ(consumed, in.size());
  // Too big for the limits: not held (the connection's parser reports the error).
  ParserLimits small;
  small.max_bulk_len = 2;
  EXPECT_EQ(a.Fill(Cmd({"GET", "abc"}), small), 0u);
}

TEST(ParsedAhead, GivesNothingOnceTheBufferMovedOrTheLimitsChanged) {
  ParserLimits limits;
  ParsedAhead a;
  std::string in = Cmd({"GET", "a"}) + Cmd({"GET", "b"}) + Cmd({"GET", "c"});
  std::vector<std::string_view> args;
  size_t consumed = 0;
  ASSERT_EQ(a.Fill(in, limits), 3u);
  std::string moved = in;  // the same bytes elsewhere: a read compacted or grew the buffer
  EXPECT_FALSE(a.Take(moved, limits, &args, &consumed));
  EXPECT_EQ(a.size(), 0u);  // dropped, not kept for later

  ASSERT_EQ(a.Fill(in, limits), 3u);
  ASSERT_TRUE(a.Take(in, limits, &args, &consumed));
  ParserLimits after = limits;
  after.unauthenticated = true;  // RESET under requirepass
  EXPECT_FALSE(a.Take(std::string_view(in).substr(consumed), after, &args, &consumed));

  ASSERT_EQ(a.Fill(in, limits), 3u);
  after = limits;
  after.max_bulk_len = 1;  // CONFIG SET proto-max-bulk-len
  EXPECT_FALSE(a.Take(in, after, &args, &consumed));

  ASSERT_EQ(a.Fill(in, limits), 3u);
  EXPECT_FALSE(a.Take(std::string_view(in).substr(0, 5), limits, &args, &consumed));  // cut short
}

}  // namespace
}  // namespace strata::resp
