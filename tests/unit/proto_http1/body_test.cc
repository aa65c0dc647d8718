#include "proto/http1/body.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::http1 {
namespace {

// Feeds `in` in pieces of `step` bytes; returns the final status, payload and leftover.
ParseStatus FeedAll(BodyReader* r, const std::string& in, size_t step, std::string* out,
                    size_t* used) {
  size_t pos = 0;
  std::string window;
  ParseStatus st = ParseStatus::kNeedMore;
  size_t fed = 0;
  while (st == ParseStatus::kNeedMore && fed < in.size()) {
    size_t n = std::min(step, in.size() - fed);
    window.append(in, fed, n);
    fed += n;
    size_t consumed = 0;
    ParseError err;
    st = r->Feed(window, &consumed, out, &err);
    window.erase(0, consumed);
    pos += consumed;
  }
  *used = pos;
  return st;
}

struct ChunkCase {
  const char* name;
  std::string input;
  ParseStatus status;
  std::string payload;
};

// RFC 9112 §7.1: chunked transfer coding.
TEST(Rfc9112Chunked, Table) {
  const ChunkCase cases[] = {
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n", ParseStatus::kDone, "hello"},
      {"two chunks", "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", ParseStatus::kDone, "abcde"},
      {"uppercase hex", "A\r\n0123456789\r\n0\r\n\r\n", ParseStatus::kDone, "0123456789"},
      {"extension", "3;name=val\r\nabc\r\n0\r\n\r\n", ParseStatus::kDone, "abc"},
      {"bws extension", "3 ;x\r\nabc\r\n0\r\n\r\n", ParseStatus::kDone, "abc"},
      {"trailers", "3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", ParseStatus::kDone, "abc"},
      {"missing crlf after data", "3\r\nabcX\r\n0\r\n\r\n", ParseStatus::kError, "abc"},
      {"bare lf size", "3\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"negative size", "-3\r\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"space before size", " 3\r\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"0x prefix", "0x3\r\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"overflow", "10000000000000003\r\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"garbage after size", "3x\r\nabc\r\n0\r\n\r\n", ParseStatus::kError, ""},
      {"bad trailer", "0\r\nnot a field\r\n\r\n", ParseStatus::kError, ""},
      {"empty size", "\r\n", ParseStatus::kError, ""},
  };
  for (const auto& c : cases) {
    for (size_t step : {size_t(1), size_t(3), size_t(1000)}) {
      BodyReader r;
      r.Reset(BodyFraming::kChunked, 0);
      std::string out;
      size_t used;
      ParseStatus st = FeedAll(&r, c.input, step, &out, &used);
      EXPECT_EQ(st, c.status) << c.name << " step " << step;
      if (st == ParseStatus::kDone) {
        EXPECT_EQ(out, c.payload) << c.name;
        EXPECT_EQ(used, c.input.size()) << c.name;
      }
    }
  }
}

TEST(Rfc9112Body, ContentLengthStopsAtLength) {
  BodyReader r;
  r.Reset(BodyFraming::kContentLength, 5);
  std::string out;
  size_t consumed;
  ParseError err;
  EXPECT_EQ(r.Feed("hel", &consumed, &out, &err), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 3u);
  EXPECT_EQ(r.Feed("loGET", &consumed, &out, &err), ParseStatus::kDone);
  EXPECT_EQ(consumed, 2u);
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(BodyReader().FinishOnClose() == false);
}

TEST(Rfc9112Body, UntilCloseAndTruncation) {
  BodyReader r;
  r.Reset(BodyFraming::kUntilClose, 0);
  std::string out;
  size_t consumed;
  ParseError err;
  EXPECT_EQ(r.Feed("abc", &consumed, &out, &err), ParseStatus::kNeedMore);
  EXPECT_TRUE(r.FinishOnClose());
  EXPECT_TRUE(r.done());
  BodyReader t;
  t.Reset(BodyFraming::kContentLength, 10);
  EXPECT_EQ(t.Feed("abc", &consumed, &out, &err), ParseStatus::kNeedMore);
  EXPECT_FALSE(t.FinishOnClose());
}

TEST(Rfc9112Body, ChunkSizeLine) {
  uint64_t v;
  EXPECT_TRUE(ParseChunkSizeLine("ff", 64, &v));
  EXPECT_EQ(v, 255u);
  EXPECT_TRUE(ParseChunkSizeLine("fffffffffffffff", 64, &v));
  EXPECT_FALSE(ParseChunkSizeLine("ffffffffffffffff", 64, &v));
  EXPECT_FALSE(ParseChunkSizeLine("", 64, &v));
  EXPECT_FALSE(ParseChunkSizeLine("1;" + std::string(100, 'a'), 64, &v));
}

}  // namespace
}  // namespace strata::http1
