#include "proto/resp/reply_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace strata::resp {
namespace {

// Records tokens as text: "type:data" and "]" for each aggregate end.
class Recorder : public ReplySink {
 public:
  void OnToken(const ReplyToken& t) override {
    std::string s = std::to_string(int(t.type)) + ":";
    switch (t.type) {
      case ReplyType::kInteger:
      case ReplyType::kArray:
      case ReplyType::kMap:
      case ReplyType::kSet:
      case ReplyType::kPush:
      case ReplyType::kAttribute:
        s += std::to_string(t.integer);
        break;
      case ReplyType::kDouble:
        s += std::to_string(t.dbl);
        break;
      case ReplyType::kBool:
        s += t.boolean ? "t" : "f";
        break;
      case ReplyType::kVerbatim:
        s += std::string(t.format) + "|" + std::string(t.data);
        break;
      default:
        s += std::string(t.data);
    }
    out.push_back(s);
  }
  void EndAggregate() override { out.push_back("]"); }
  std::vector<std::string> out;
};

// Parses `wire` byte by byte (the worst split) and returns the tokens and the reply count.
std::vector<std::string> ParseAll(const std::string& wire, int* replies) {
  ReplyParser p;
  Recorder r;
  std::string buf;
  *replies = 0;
  for (char c : wire) {
    buf.push_back(c);
    for (;;) {
      size_t used = 0;
      auto st = p.Parse(buf, &r, &used);
      buf.erase(0, used);
      if (st == ReplyParser::Status::kError) {
        r.out.push_back("ERROR " + p.error());
        return r.out;
      }
      if (st == ReplyParser::Status::kNeedMore) break;
      ++*replies;
    }
  }
  EXPECT_TRUE(buf.empty());
  return r.out;
}

TEST(ReplyParser, Resp2Scalars) {
  int n = 0;
  auto t = ParseAll("+OK\r\n-ERR bad\r\n:42\r\n$3\r\nfoo\r\n$-1\r\n*-1\r\n$0\r\n\r\n", &n);
  EXPECT_EQ(n, 7);
  std::vector<std::string> want{"0:OK", "1:ERR bad", "2:42", "3:foo", "4:", "4:", "3:"};
  EXPECT_EQ(t, want);
}

TEST(ReplyParser, NestedAggregatesCompleteOnce) {
  int n = 0;
  auto t = ParseAll("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n+x\r\n", &n);
  EXPECT_EQ(n, 1);
  std::vector<std::string> want{"9:3", "2:1", "9:2", "3:a", "9:0", "]", "]", "0:x", "]"};
  EXPECT_EQ(t, want);
}

TEST(ReplyParser, Resp3Types) {
  int n = 0;
  auto t = ParseAll(
      "%1\r\n+k\r\n,1.5\r\n~1\r\n#t\r\n_\r\n(123456789012345678901234567890\r\n"
      "=7\r\ntxt:abc\r\n!5\r\nOOPS!\r\n>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n,inf\r\n",
      &n);
  EXPECT_EQ(n, 8);
  std::vector<std::string> want{"10:1",
                                "0:k",
                                "5:1.500000",
                                "]",
                                "11:1",
                                "6:t",
                                "]",
                                "4:",
                                "7:123456789012345678901234567890",
                                "8:txt|abc",
                                "1:OOPS!",
                                "12:2",
                                "3:invalidate",
                                "9:1",
                                "3:k",
                                "]",
                                "]",
                                "5:inf"};
  ASSERT_EQ(t.size(), want.size());
  for (size_t i = 0; i + 1 < want.size(); i++) EXPECT_EQ(t[i], want[i]) << i;
  EXPECT_EQ(t.back().rfind("5:inf", 0), 0u);
}

TEST(ReplyParser, AttributesTakeNoSlot) {
  int n = 0;
  // An attribute before a top-level reply, and one inside an array.
  auto t = ParseAll("|1\r\n+ttl\r\n:3\r\n:7\r\n*2\r\n|0\r\n:1\r\n:2\r\n", &n);
  EXPECT_EQ(n, 2);
  std::vector<std::string> want{"13:1", "0:ttl", "2:3", "]",   "2:7", "9:2",
                                "13:0", "]",     "2:1", "2:2", "]"};
  EXPECT_EQ(t, want);
}

TEST(ReplyParser, BadInputIsAnError) {
  for (std::string bad : {"?x\r\n", ":12a\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "#x\r\n", "*-5\r\n",
                          "_x\r\n", "=2\r\nab\r\n", ",abc\r\n"}) {
    int n = 0;
    auto t = ParseAll(bad, &n);
    ASSERT_FALSE(t.empty()) << bad;
    EXPECT_EQ(t.back().rfind("ERROR", 0), 0u) << bad;
  }
}

TEST(ReplyParser, LimitsAreCheckedBeforeAnyAllocation) {
  ReplyParser p;
  ReplyLimits lim;
  lim.max_bulk_len = 10;
  lim.max_depth = 3;
  p.set_limits(lim);
  Recorder r;
  size_t used;
  EXPECT_EQ(p.Parse("$11\r\n", &r, &used), ReplyParser::Status::kError);
  p.Reset();
  EXPECT_EQ(p.Parse("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", &r, &used), ReplyParser::Status::kError);
  ReplyParser q;
  std::string line(70000, 'a');
  EXPECT_EQ(q.Parse("+" + line, &r, &used), ReplyParser::Status::kError);
}

}  // namespace
}  // namespace strata::resp
