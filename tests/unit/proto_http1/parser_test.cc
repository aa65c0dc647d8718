#include "proto/http1/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::http1 {
namespace {

struct RequestCase {
  const char* name;
  std::string input;
  ParseStatus status;
  ParseError error;
};

// RFC 9112 §2-§6: request line, field syntax, framing. One row per rule.
TEST(Rfc9112Request, Table) {
  const RequestCase cases[] = {
      {"simple get", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kDone, ParseError::kNone},
      {"http/1.0 without host", "GET / HTTP/1.0\r\n\r\n", ParseStatus::kDone, ParseError::kNone},
      {"leading empty line ignored", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kDone,
       ParseError::kNone},
      {"incomplete", "GET / HTTP/1.1\r\nHost: a\r\n", ParseStatus::kNeedMore, ParseError::kNone},
      {"incomplete cr", "GET / HTTP/1.1\r", ParseStatus::kNeedMore, ParseError::kNone},
      {"unknown method ok", "FOO /x HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kDone,
       ParseError::kNone},
      {"bare lf line end", "GET / HTTP/1.1\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBareCrOrLf},
      {"bare lf head end", "GET / HTTP/1.1\r\nHost: a\n\n", ParseStatus::kError,
       ParseError::kBareCrOrLf},
      {"bare cr in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", ParseStatus::kError,
       ParseError::kBareCrOrLf},
      {"nul in value", std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29), ParseStatus::kError,
       ParseError::kBadFieldValue},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", ParseStatus::kError,
       ParseError::kObsFold},
      {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadFieldName},
      {"empty field name", "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadFieldName},
      {"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadFieldName},
      {"double space request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadRequestLine},
      {"missing version", "GET /\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadRequestLine},
      {"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadMethod},
      {"control in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadTarget},
      {"http/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kUnsupportedVersion},
      {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", ParseStatus::kError,
       ParseError::kBadVersion},
      {"missing host 1.1", "GET / HTTP/1.1\r\n\r\n", ParseStatus::kError, ParseError::kMissingHost},
      {"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ParseStatus::kError,
       ParseError::kDuplicateHost},
      {"host with path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", ParseStatus::kError,
       ParseError::kBadFieldValue},
      {"cl ok", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", ParseStatus::kDone,
       ParseError::kNone},
      {"cl identical duplicates",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
       "Content-Length: 3\r\n\r\n",
       ParseStatus::kDone, ParseError::kNone},
      {"cl conflicting",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
       "Content-Length: 4\r\n\r\n",
       ParseStatus::kError, ParseError::kConflictingContentLength},
      {"cl conflicting list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n",
       ParseStatus::kError, ParseError::kConflictingContentLength},
      {"cl sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\n", ParseStatus::kError,
       ParseError::kBadContentLength},
      {"cl negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
       ParseStatus::kError, ParseError::kBadContentLength},
      {"cl hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", ParseStatus::kError,
       ParseError::kBadContentLength},
      {"cl empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", ParseStatus::kError,
       ParseError::kBadContentLength},
      {"cl overflow",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n"
       "\r\n",
       ParseStatus::kError, ParseError::kBadContentLength},
      {"cl with te",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       ParseStatus::kError, ParseError::kContentLengthWithTransferEncoding},
      {"te chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::kDone, ParseError::kNone},
      {"te chunked uppercase", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
       ParseStatus::kDone, ParseError::kNone},
      {"te chunked identity",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
       "identity\r\n\r\n",
       ParseStatus::kError, ParseError::kUnsupportedTransferEncoding},
      {"te twice",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n",
       ParseStatus::kError, ParseError::kUnsupportedTransferEncoding},
      {"te gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
       ParseStatus::kError, ParseError::kUnsupportedTransferEncoding},
      {"te space before colon",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n"
       "\r\n",
       ParseStatus::kError, ParseError::kBadFieldName},
      {"te in http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
       ParseStatus::kError, ParseError::kUnsupportedTransferEncoding},
  };
  for (const auto& c : cases) {
    RequestHead h;
    size_t consumed = 0;
    ParseError err;
    ParseStatus st = ParseRequest(c.input, Limits{}, &h, &consumed, &err);
    EXPECT_EQ(st, c.status) << c.name;
    EXPECT_EQ(err, c.error) << c.name << ": " << ParseErrorName(err);
    if (st == ParseStatus::kDone) {
      EXPECT_EQ(consumed, c.input.size()) << c.name;
    }
  }
}

TEST(Rfc9112Request, FieldsAndFraming) {
  std::string in =
      "POST /p?q=1 HTTP/1.1\r\nHost: example\r\nX-A:  v1 \t\r\nContent-Length: 5\r\n"
      "Connection: close\r\n\r\nhelloNEXT";
  RequestHead h;
  size_t consumed;
  ParseError err;
  ASSERT_EQ(ParseRequest(in, Limits{}, &h, &consumed, &err), ParseStatus::kDone);
  EXPECT_EQ(h.Method(), "POST");
  EXPECT_EQ(h.Target(), "/p?q=1");
  EXPECT_EQ(*h.Get("x-a"), "v1");
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_FALSE(h.keep_alive);
  EXPECT_EQ(in.substr(consumed), "helloNEXT");
  RequestHead moved = std::move(h);
  EXPECT_EQ(moved.Target(), "/p?q=1");
}

TEST(Rfc9112Request, KeepAliveDefaults) {
  RequestHead h;
  size_t c;
  ParseError e;
  ASSERT_EQ(ParseRequest("GET / HTTP/1.0\r\n\r\n", Limits{}, &h, &c, &e), ParseStatus::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(ParseRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Limits{}, &h, &c, &e),
            ParseStatus::kDone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", Limits{}, &h,
                         &c, &e),
            ParseStatus::kDone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_TRUE(h.expect_continue);
}

TEST(Rfc9112Request, Limits) {
  Limits lim;
  lim.max_head_bytes = 64;
  lim.max_fields = 2;
  RequestHead h;
  size_t c;
  ParseError e;
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'x');
  EXPECT_EQ(ParseRequest(big, lim, &h, &c, &e), ParseStatus::kError);
  EXPECT_EQ(e, ParseError::kHeadTooLarge);
  EXPECT_EQ(HttpStatusFor(e), 400);
  EXPECT_EQ(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", lim, &h, &c, &e),
            ParseStatus::kError);
  EXPECT_EQ(e, ParseError::kTooManyFields);
}

struct ResponseCase {
  const char* name;
  std::string input;
  const char* method;
  ParseStatus status;
  BodyFraming framing;
};

// RFC 9112 §6.3: message body length of responses.
TEST(Rfc9112Response, FramingTable) {
  const ResponseCase cases[] = {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kContentLength},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET",
       ParseStatus::kDone, BodyFraming::kChunked},
      {"until close", "HTTP/1.1 200 OK\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kUntilClose},
      {"head", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", "HEAD", ParseStatus::kDone,
       BodyFraming::kNone},
      {"204", "HTTP/1.1 204 No Content\r\n\r\n", "GET", ParseStatus::kDone, BodyFraming::kNone},
      {"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kNone},
      {"103", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kNone},
      {"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kContentLength},
      {"no reason no space", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "GET", ParseStatus::kDone,
       BodyFraming::kContentLength},
      {"cl and te", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       "GET", ParseStatus::kError, BodyFraming::kNone},
      {"te gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "GET", ParseStatus::kError,
       BodyFraming::kNone},
      {"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", "GET", ParseStatus::kError, BodyFraming::kNone},
      {"status 99", "HTTP/1.1 099 OK\r\n\r\n", "GET", ParseStatus::kError, BodyFraming::kNone},
      {"conflicting cl", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 2\r\n\r\n", "GET",
       ParseStatus::kError, BodyFraming::kNone},
      {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", "GET", ParseStatus::kError,
       BodyFraming::kNone},
  };
  for (const auto& c : cases) {
    ResponseHead h;
    size_t consumed;
    ParseError err;
    ParseStatus st = ParseResponse(c.input, Limits{}, c.method, &h, &consumed, &err);
    EXPECT_EQ(st, c.status) << c.name << ": " << ParseErrorName(err);
    if (st == ParseStatus::kDone) {
      EXPECT_EQ(h.framing, c.framing) << c.name;
    }
  }
}

TEST(Rfc9112Response, StatusAndReason) {
  ResponseHead h;
  size_t c;
  ParseError e;
  ASSERT_EQ(ParseResponse("HTTP/1.0 404 Not Found\r\nA: b\r\n\r\n", Limits{}, "GET", &h, &c, &e),
            ParseStatus::kDone);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.Reason(), "Not Found");
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_FALSE(h.keep_alive);
}

TEST(Http1Message, ListsAndHopByHop) {
  RequestHead h;
  size_t c;
  ParseError e;
  ASSERT_EQ(ParseRequest("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\n"
                         "Cache-Control: a, \"b,c\", d\r\nCache-Control: e\r\n\r\n",
                         Limits{}, &h, &c, &e),
            ParseStatus::kDone);
  EXPECT_TRUE(h.HasToken("connection", "x-foo"));
  EXPECT_EQ(h.GetCombined("cache-control"), "a, \"b,c\", d, e");
  int n = 0;
  ForEachListElement(h.GetCombined("cache-control"), [&](std::string_view) { return ++n; });
  EXPECT_EQ(n, 4);
  EXPECT_TRUE(IsHopByHop("Transfer-Encoding"));
  EXPECT_FALSE(IsHopByHop("Cache-Control"));
  EXPECT_TRUE(NamedInConnection("close, X-Foo", "x-foo"));
}

}  // namespace
}  // namespace strata::http1
