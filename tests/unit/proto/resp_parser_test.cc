#include "proto/resp/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::resp {
namespace {

using Status = RespParser::Status;

struct Parsed {
  Status status;
  std::vector<std::string> args;
  size_t consumed;
  std::string error;
};

Parsed ParseOnce(std::string_view input, ParserLimits limits = {}) {
  RespParser p;
  std::vector<std::string_view> args;
  size_t consumed = 0;
  Parsed r;
  r.status = p.Parse(input, limits, &args, &consumed);
  for (auto a : args) r.args.emplace_back(a);
  r.consumed = consumed;
  r.error = p.error();
  return r;
}

TEST(RespParser, Multibulk) {
  auto r = ParseOnce("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  ASSERT_EQ(r.status, Status::kCommand);
  EXPECT_EQ(r.args, (std::vector<std::string>{"SET", "k", "hello"}));
  EXPECT_EQ(r.consumed, 31u);
}

TEST(RespParser, BinarySafeBulk) {
  std::string in = std::string("*2\r\n$3\r\nGET\r\n$4\r\na\r\n") + '\0' + "\r\n";
  auto r = ParseOnce(in);
  ASSERT_EQ(r.status, Status::kCommand);
  EXPECT_EQ(r.args[1], std::string("a\r\n") + '\0');
}

TEST(RespParser, ByteByByteEqualsWhole) {
  std::string in = "*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n*1\r\n$4\r\nPING\r\n";
  RespParser p;
  std::vector<std::string> seen;
  std::string buf;
  std::vector<std::string_view> args;
  for (char c : in) {
    buf.push_back(c);
    for (;;) {
      size_t consumed = 0;
      auto st = p.Parse(buf, {}, &args, &consumed);
      if (st == Status::kCommand) {
        for (auto a : args) seen.emplace_back(a);
        buf.erase(0, consumed);
        continue;
      }
      ASSERT_EQ(st, Status::kNeedMore);
      buf.erase(0, consumed);
      break;
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ECHO", "hello world", "PING"}));
  EXPECT_TRUE(buf.empty());
}

TEST(RespParser, InlineWithQuotes) {
  auto r = ParseOnce("SET k \"a b\\x41\\n\" 'it\\'s'\r\n");
  ASSERT_EQ(r.status, Status::kCommand);
  EXPECT_EQ(r.args, (std::vector<std::string>{"SET", "k", "a bA\n", "it's"}));
  auto bad = ParseOnce("SET k \"open\r\n");
  EXPECT_EQ(bad.status, Status::kError);
  EXPECT_EQ(bad.error, "Protocol error: unbalanced quotes in request");
  auto bad2 = ParseOnce("SET k \"a\"b\r\n");
  EXPECT_EQ(bad2.status, Status::kError);
}

TEST(RespParser, EmptyAndNegativeCountsAreSkipped) {
  auto r = ParseOnce("*0\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n");
  ASSERT_EQ(r.status, Status::kCommand);
  EXPECT_EQ(r.args, (std::vector<std::string>{"PING"}));
}

struct Bad {
  const char* input;
  const char* error;
};

TEST(RespParser, MalformedInputGetsRedisErrors) {
  const Bad cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*2147483648\r\n", "Protocol error: invalid multibulk length"},
      {"*+1\r\n", "Protocol error: invalid multibulk length"},
      {"*2\r\n$-5\r\n", "Protocol error: invalid bulk length"},
      {"*2\r\n$abc\r\n", "Protocol error: invalid bulk length"},
      {"*2\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
      {"*3\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"*1\r\n$3\r\nabcde\r\n", "Protocol error: expected '\\r\\n' after bulk"},
  };
  for (const auto& c : cases) {
    auto r = ParseOnce(c.input, ParserLimits{512LL << 20, 1LL << 30, false});
    EXPECT_EQ(r.status, Status::kError) << c.input;
    EXPECT_EQ(r.error, c.error) << c.input;
  }
}

TEST(RespParser, OversizedHeadersAreRejectedBeforeAllocation) {
  std::string huge_count = "*" + std::string(70000, '1');
  EXPECT_EQ(ParseOnce(huge_count).error, "Protocol error: too big mbulk count string");
  std::string huge_inline(70000, 'a');
  EXPECT_EQ(ParseOnce(huge_inline).error, "Protocol error: too big inline request");
  ParserLimits small;
  small.max_bulk_len = 10;
  EXPECT_EQ(ParseOnce("*1\r\n$11\r\n", small).error, "Protocol error: invalid bulk length");
}

TEST(RespParser, UnauthenticatedLimits) {
  ParserLimits l;
  l.unauthenticated = true;
  EXPECT_EQ(ParseOnce("*1000000\r\n", l).error, "Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(ParseOnce("*2\r\n$536870912\r\n", l).error,
            "Protocol error: unauthenticated bulk length");
  EXPECT_EQ(ParseOnce("*2\r\n$4\r\nAUTH\r\n$3\r\npwd\r\n", l).status, Status::kCommand);
}

TEST(RespParser, HttpRequestLineIsDetected) {
  EXPECT_EQ(ParseOnce("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status, Status::kHttp);
  EXPECT_EQ(ParseOnce("POST /index.html HTTP/1.0\r\n").status, Status::kHttp);
  EXPECT_EQ(ParseOnce("GET key\r\n").status, Status::kCommand);
}

TEST(RespParser, LargeBulkAsksForWhatItNeeds) {
  RespParser p;
  std::vector<std::string_view> args;
  size_t consumed;
  std::string head = "*1\r\n$1000000\r\n";
  EXPECT_EQ(p.Parse(head, {}, &args, &consumed), Status::kNeedMore);
  EXPECT_EQ(p.BytesWanted(), 1000002u);
}

}  // namespace
}  // namespace strata::resp
