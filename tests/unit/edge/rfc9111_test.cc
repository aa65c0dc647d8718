// One table per RFC section: RFC 9110 §5.6.7 (dates), RFC 9111 §5.2 (Cache-Control), §3
// (storability), §4.2.1/§4.2.2 (freshness), §4.2.3/§5.1 (age), §4.2.4 (reuse of stale),
// RFC 9213 (targeted fields), §4.1 (Vary), RFC 9110 §13 (conditionals), §3.2 (304 updates),
// §4.4 (invalidation), RFC 9211 (Cache-Status), RFC 9112 §3.2 (the request's authority).
#include <gtest/gtest.h>

#include "edge/rfc9111/cache_control.h"
#include "edge/rfc9111/cache_status.h"
#include "edge/rfc9111/conditional.h"
#include "edge/rfc9111/freshness.h"
#include "edge/rfc9111/http_date.h"
#include "edge/rfc9111/invalidation.h"
#include "edge/rfc9111/request_target.h"
#include "edge/rfc9111/vary.h"
#include "proto/http1/parser.h"

namespace strata::edge::rfc9111 {
namespace {

http1::HeaderList H(std::initializer_list<std::pair<const char*, const char*>> f) {
  http1::HeaderList h;
  for (auto& [n, v] : f) h.Add(n, v);
  return h;
}

http1::RequestHead Req(const std::string& fields) {
  http1::RequestHead r;
  size_t c;
  http1::ParseError e;
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n";
  EXPECT_EQ(http1::ParseRequest(raw, http1::Limits{}, &r, &c, &e), http1::ParseStatus::kDone)
      << raw;
  return r;
}

TEST(Rfc9110Date, Table) {
  struct {
    const char* in;
    std::optional<int64_t> out;
  } cases[] = {
      {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
      {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
      {"Sun Nov  6 08:49:37 1994", 784111777},
      {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
      {"Thu, 01 Jan 1970 00:00:00 UTC", std::nullopt},
      {"0", std::nullopt},
      {"-1", std::nullopt},
      {"", std::nullopt},
      {"Sun, 06 Nov 1994 08:49:37 GMT ", std::nullopt},
      {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
      {"Sun, 06 Nov 1994 25:49:37 GMT", std::nullopt},
      {"sun, 06 nov 1994 08:49:37 gmt", std::nullopt},
  };
  for (auto& c : cases) EXPECT_EQ(ParseHttpDate(c.in), c.out) << c.in;
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(ParseHttpDate(FormatHttpDate(1700000000)), 1700000000);
}

TEST(Rfc9111CacheControl, Table) {
  struct {
    const char* in;
    std::optional<int64_t> max_age, s_maxage;
    bool no_store, no_cache, is_private, is_public;
  } cases[] = {
      {"max-age=60", 60, {}, false, false, false, false},
      {"MAX-AGE=60", 60, {}, false, false, false, false},
      {"max-age=\"60\"", 60, {}, false, false, false, false},
      {"max-age=6x", {}, {}, false, false, false, false},
      {"max-age=-1", {}, {}, false, false, false, false},
      {"max-age=", {}, {}, false, false, false, false},
      {"max-age", {}, {}, false, false, false, false},
      {"max-age=10, max-age=20", 10, {}, false, false, false, false},
      {"max-age=bad, max-age=20", {}, {}, false, false, false, false},
      {"max-age=99999999999999999999", kDeltaSecondsMax, {}, false, false, false, false},
      {"s-maxage=5, max-age=10", 10, 5, false, false, false, false},
      {"No-Store", {}, {}, true, false, false, false},
      {"no-cache=\"set-cookie, x\", public", {}, {}, false, true, false, true},
      {"private=\"x\"", {}, {}, false, false, true, false},
      {" public ,  max-age = 3 ", 3, {}, false, false, false, true},
      {"foo=bar, max-age=1", 1, {}, false, false, false, false},
  };
  for (auto& c : cases) {
    CacheControl cc = ParseCacheControl(c.in);
    EXPECT_EQ(cc.max_age, c.max_age) << c.in;
    EXPECT_EQ(cc.s_maxage, c.s_maxage) << c.in;
    EXPECT_EQ(cc.no_store, c.no_store) << c.in;
    EXPECT_EQ(cc.no_cache, c.no_cache) << c.in;
    EXPECT_EQ(cc.is_private, c.is_private) << c.in;
    EXPECT_EQ(cc.is_public, c.is_public) << c.in;
  }
  CacheControl r = ParseCacheControl("max-stale, min-fresh=5, stale-if-error=9, immutable");
  EXPECT_EQ(r.max_stale, kDeltaSecondsMax);
  EXPECT_EQ(r.min_fresh, 5);
  EXPECT_EQ(r.stale_if_error, 9);
  EXPECT_TRUE(r.immutable);
}

TEST(Rfc9213Targeted, Table) {
  struct {
    http1::HeaderList h;
    std::optional<int64_t> max_age;
    bool targeted;
  } cases[] = {
      {H({{"Cache-Control", "max-age=10"}}), 10, false},
      {H({{"Cache-Control", "max-age=10"}, {"CDN-Cache-Control", "max-age=99"}}), 99, true},
      {H({{"CDN-Cache-Control", "max-age=99"}, {"Strata-Cache-Control", "max-age=7"}}), 7, true},
      {H({{"Cache-Control", "max-age=10"}, {"CDN-Cache-Control", "Max-Age=99"}}), 10, false},
      {H({{"Cache-Control", "max-age=10"}, {"CDN-Cache-Control", ""}}), 10, false},
      {H({{"Cache-Control", "no-store"}, {"CDN-Cache-Control", "no-store"}}), {}, true},
  };
  for (auto& c : cases) {
    EffectiveControl e = SelectResponseControl(c.h);
    EXPECT_EQ(e.cc.max_age, c.max_age);
    EXPECT_EQ(e.targeted, c.targeted);
  }
  // A targeted field makes Expires irrelevant.
  auto h = H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
              {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"},
              {"CDN-Cache-Control", "public"}});
  EXPECT_EQ(FreshnessLifetime(200, h, SelectResponseControl(h), 784111777, CachePolicy{}), 0);
}

TEST(Rfc9111Storability, Table) {
  struct {
    const char* name;
    const char* method;
    bool auth;
    const char* req_cc;
    int status;
    http1::HeaderList resp;
    bool store_cookie;  // CachePolicy::store_set_cookie
    StoreVerdict want;
  } cases[] = {
      {"max-age", "GET", false, "", 200, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kStore},
      {"post", "POST", false, "", 200, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kMethod},
      {"head", "HEAD", false, "", 200, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kMethod},
      {"206", "GET", false, "", 206, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kStatus},
      {"500", "GET", false, "", 500, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kStatus},
      {"no-store resp", "GET", false, "", 200, H({{"Cache-Control", "max-age=60, no-store"}}),
       false, StoreVerdict::kNoStore},
      {"no-store req", "GET", false, "no-store", 200, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kNoStore},
      {"private", "GET", false, "", 200, H({{"Cache-Control", "private, max-age=60"}}), false,
       StoreVerdict::kPrivate},
      {"auth plain", "GET", true, "", 200, H({{"Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kAuthorization},
      {"auth public", "GET", true, "", 200, H({{"Cache-Control", "public, max-age=60"}}), false,
       StoreVerdict::kStore},
      {"auth s-maxage", "GET", true, "", 200, H({{"Cache-Control", "s-maxage=60"}}), false,
       StoreVerdict::kStore},
      {"auth must-revalidate", "GET", true, "", 200,
       H({{"Cache-Control", "must-revalidate, max-age=5"}}), false, StoreVerdict::kStore},
      {"nothing", "GET", false, "", 200, H({{"Content-Type", "text/plain"}}), false,
       StoreVerdict::kNotCacheable},
      {"etag only", "GET", false, "", 200, H({{"ETag", "\"a\""}}), false, StoreVerdict::kStore},
      {"heuristic lm", "GET", false, "", 200,
       H({{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}), false, StoreVerdict::kStore},
      {"302 no freshness", "GET", false, "", 302, H({{"Location", "/x"}}), false,
       StoreVerdict::kNotCacheable},
      {"expires", "GET", false, "", 200, H({{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}}), false,
       StoreVerdict::kStore},
      {"set-cookie stored when allowed", "GET", false, "", 200,
       H({{"Cache-Control", "max-age=60"}, {"Set-Cookie", "a=b"}}), true, StoreVerdict::kStore},
      {"set-cookie refused by default", "GET", false, "", 200,
       H({{"Cache-Control", "max-age=60"}, {"Set-Cookie", "a=b"}}), false,
       StoreVerdict::kSetCookie},
      {"set-cookie public refused by default", "GET", false, "", 200,
       H({{"Cache-Control", "public, s-maxage=60"}, {"set-cookie", "a=b"}}), false,
       StoreVerdict::kSetCookie},
      {"set-cookie private stays private", "GET", false, "", 200,
       H({{"Cache-Control", "private, max-age=60"}, {"Set-Cookie", "a=b"}}), true,
       StoreVerdict::kPrivate},
      {"vary star", "GET", false, "", 200,
       H({{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}}), false, StoreVerdict::kVaryStar},
      {"cdn no-store overrides", "GET", false, "", 200,
       H({{"Cache-Control", "max-age=60"}, {"CDN-Cache-Control", "no-store"}}), false,
       StoreVerdict::kNoStore},
      {"cdn max-age overrides private", "GET", false, "", 200,
       H({{"Cache-Control", "private"}, {"CDN-Cache-Control", "max-age=60"}}), false,
       StoreVerdict::kStore},
  };
  for (auto& c : cases) {
    RequestFacts rf{c.method, ParseCacheControl(c.req_cc), c.auth};
    CachePolicy p;
    p.store_set_cookie = c.store_cookie;
    EXPECT_EQ(CanStore(rf, c.status, c.resp, SelectResponseControl(c.resp), p), c.want)
        << c.name << " got "
        << StoreVerdictName(CanStore(rf, c.status, c.resp, SelectResponseControl(c.resp), p));
  }
}

TEST(Rfc9111Freshness, Table) {
  const int64_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  struct {
    const char* name;
    int status;
    http1::HeaderList h;
    int64_t want;
    bool heuristic;
  } cases[] = {
      {"s-maxage wins", 200, H({{"Cache-Control", "max-age=10, s-maxage=20"}}), 20, false},
      {"max-age over expires", 200,
       H({{"Cache-Control", "max-age=10"},
          {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}}),
       10, false},
      {"expires minus date", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Expires", "Sun, 06 Nov 1994 08:50:37 GMT"}}),
       60, false},
      {"expires rfc850", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Expires", "Sunday, 06-Nov-94 08:50:37 GMT"}}),
       60, false},
      {"expires asctime", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Expires", "Sun Nov  6 08:50:37 1994"}}), 60,
       false},
      {"expires invalid = stale", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Expires", "0"}}), 0, false},
      {"expires in past", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Expires", "Sun, 06 Nov 1994 08:00:00 GMT"}}),
       0, false},
      {"expires without date uses response time", 200,
       H({{"Expires", "Sun, 06 Nov 1994 08:50:37 GMT"}}), 60, false},
      {"heuristic 10%", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Last-Modified", "Sun, 06 Nov 1994 08:32:57 GMT"}}),
       100, true},
      {"heuristic capped", 200,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Last-Modified", "Thu, 01 Jan 1970 00:00:00 GMT"}}),
       86400, true},
      {"heuristic not for 302", 302,
       H({{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Last-Modified", "Sun, 06 Nov 1994 08:32:57 GMT"}}),
       0, false},
      {"heuristic for public 302", 302,
       H({{"Cache-Control", "public"},
          {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Last-Modified", "Sun, 06 Nov 1994 08:32:57 GMT"}}),
       100, true},
      {"invalid max-age falls to expires", 200,
       H({{"Cache-Control", "max-age=abc"},
          {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
          {"Expires", "Sun, 06 Nov 1994 08:50:37 GMT"}}),
       60, false},
      {"nothing", 200, H({}), 0, false},
  };
  for (auto& c : cases) {
    bool heur = false;
    EXPECT_EQ(
        FreshnessLifetime(c.status, c.h, SelectResponseControl(c.h), now, CachePolicy{}, &heur),
        c.want)
        << c.name;
    EXPECT_EQ(heur, c.heuristic) << c.name;
  }
}

TEST(Rfc9111Age, Table) {
  struct {
    const char* in;
    std::optional<int64_t> out;
  } parse[] = {{"10", 10},
               {"0", 0},
               {"10, 20", 10},
               {"abc", {}},
               {"-1", {}},
               {"1.5", {}},
               {"99999999999999999999", kDeltaSecondsMax},
               {"", {}}};
  for (auto& c : parse) EXPECT_EQ(ParseAge(c.in), c.out) << c.in;
  // §4.2.3: date 1000 ms, age header 5 s, request at 2000, response at 3000.
  struct {
    int64_t date, age, req, resp, now, want;
  } ages[] = {
      {1000, 5000, 2000, 3000, 3000, 6000},  // corrected_age_value = 5000 + 1000
      {0, 0, 3000, 3000, 3000, 3000},        // apparent age 3000
      {5000, 0, 3000, 3000, 3000, 0},        // Date in the future: apparent age 0
      {3000, 0, 3000, 3000, 10000, 7000},    // resident time
      {3000, 2000, 3000, 3000, 4000, 3000},  // received Age honoured
  };
  for (auto& a : ages) {
    EXPECT_EQ(CurrentAge(CorrectedInitialAge(a.date, a.age, a.req, a.resp), a.resp, a.now), a.want);
  }
}

TEST(Rfc9111Reuse, Table) {
  struct {
    const char* name;
    int64_t age_ms;
    int64_t lifetime;
    const char* resp_cc;
    const char* req_cc;
    Reuse want;
  } cases[] = {
      {"fresh", 1000, 10, "", "", Reuse::kFresh},
      {"stale", 11000, 10, "", "", Reuse::kValidate},
      {"exactly lifetime is stale", 10000, 10, "", "", Reuse::kValidate},
      {"no-cache resp", 0, 10, "no-cache", "", Reuse::kValidate},
      {"no-cache req", 0, 10, "", "no-cache", Reuse::kValidate},
      {"immutable ignores req no-cache", 0, 10, "immutable", "no-cache", Reuse::kFresh},
      {"req max-age", 5000, 10, "", "max-age=2", Reuse::kValidate},
      {"req min-fresh", 5000, 10, "", "min-fresh=6", Reuse::kValidate},
      {"swr in window", 12000, 10, "stale-while-revalidate=5", "", Reuse::kStaleWhileRevalidate},
      {"swr past window", 16000, 10, "stale-while-revalidate=5", "", Reuse::kValidate},
      {"swr with must-revalidate", 12000, 10, "must-revalidate, stale-while-revalidate=5", "",
       Reuse::kValidate},
      {"swr with proxy-revalidate", 12000, 10, "proxy-revalidate, stale-while-revalidate=5", "",
       Reuse::kValidate},
      {"s-maxage implies proxy-revalidate", 12000, 10, "s-maxage=10, stale-while-revalidate=5", "",
       Reuse::kValidate},
      {"req max-stale", 12000, 10, "", "max-stale=5", Reuse::kStaleAllowed},
      {"req max-stale exceeded", 16000, 10, "", "max-stale=5", Reuse::kValidate},
  };
  for (auto& c : cases) {
    StoredFreshness s{c.age_ms, c.lifetime, ParseCacheControl(c.resp_cc)};
    EXPECT_EQ(DecideReuse(s, ParseCacheControl(c.req_cc)), c.want) << c.name;
  }
  struct {
    int64_t age_ms;
    const char* resp_cc;
    const char* req_cc;
    bool want;
  } sie[] = {
      {15000, "stale-if-error=10", "", true},
      {25000, "stale-if-error=10", "", false},
      {15000, "", "stale-if-error=10", true},
      {15000, "must-revalidate, stale-if-error=10", "", false},
      {15000, "", "", false},
  };
  for (auto& c : sie) {
    StoredFreshness s{c.age_ms, 10, ParseCacheControl(c.resp_cc)};
    EXPECT_EQ(StaleIfErrorAllowed(s, ParseCacheControl(c.req_cc)), c.want) << c.resp_cc;
  }
  EXPECT_EQ(RemainingTtl(StoredFreshness{1500, 10, {}}), 8);
  EXPECT_EQ(RemainingTtl(StoredFreshness{10500, 10, {}}), -1);
}

TEST(Rfc9111Vary, Table) {
  VarySpec v = ParseVary("Accept-Encoding, accept-encoding , X-Foo");
  ASSERT_EQ(v.names.size(), 2u);
  EXPECT_EQ(v.names[0], "accept-encoding");
  EXPECT_TRUE(ParseVary("*").star);
  EXPECT_TRUE(ParseVary("").empty());
  struct {
    const char* a;
    const char* b;
    bool same;
  } cases[] = {
      {"Accept-Encoding: gzip, br\r\n", "Accept-Encoding: gzip,br\r\n", true},
      {"Accept-Encoding: GZIP\r\n", "Accept-Encoding: gzip\r\n", true},
      {"Accept-Encoding: gzip\r\nAccept-Encoding: br\r\n", "Accept-Encoding: gzip, br\r\n", true},
      {"Accept-Encoding: gzip\r\n", "Accept-Encoding: br\r\n", false},
      {"Accept-Encoding: \r\n", "", false},
      {"X-Foo: A\r\n", "X-Foo: a\r\n", false},
      {"X-Foo: a  b\r\n", "X-Foo: a b\r\n", true},
  };
  for (auto& c : cases) {
    EXPECT_EQ(SecondaryKey(v, Req(c.a)) == SecondaryKey(v, Req(c.b)), c.same) << c.a << c.b;
  }
}

TEST(Rfc9110Conditional, Table) {
  StoredValidators v{"\"abc\"", 784111777, 784111777};
  struct {
    const char* name;
    const char* method;
    const char* fields;
    Precondition want;
  } cases[] = {
      {"none", "GET", "", Precondition::kNone},
      {"inm match", "GET", "If-None-Match: \"abc\"\r\n", Precondition::kNotModified},
      {"inm weak match", "GET", "If-None-Match: W/\"abc\"\r\n", Precondition::kNotModified},
      {"inm list", "GET", "If-None-Match: \"x\", \"abc\"\r\n", Precondition::kNotModified},
      {"inm star", "GET", "If-None-Match: *\r\n", Precondition::kNotModified},
      {"inm miss", "GET", "If-None-Match: \"x\"\r\n", Precondition::kNone},
      {"inm beats ims", "GET",
       "If-None-Match: \"x\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
       Precondition::kNone},
      {"ims not modified", "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
       Precondition::kNotModified},
      {"ims modified", "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:00:00 GMT\r\n",
       Precondition::kNone},
      {"ims invalid ignored", "GET", "If-Modified-Since: yesterday\r\n", Precondition::kNone},
      {"if-match strong ok", "GET", "If-Match: \"abc\"\r\n", Precondition::kNone},
      {"if-match weak fails", "GET", "If-Match: W/\"abc\"\r\n", Precondition::kFailed},
      {"ius fails", "GET", "If-Unmodified-Since: Sun, 06 Nov 1994 08:00:00 GMT\r\n",
       Precondition::kFailed},
  };
  for (auto& c : cases) {
    EXPECT_EQ(EvaluatePreconditions(c.method, Req(c.fields), v), c.want) << c.name;
  }
  EXPECT_TRUE(IfRangeMatches(Req("If-Range: \"abc\"\r\n"), v));
  EXPECT_FALSE(IfRangeMatches(Req("If-Range: W/\"abc\"\r\n"), v));
  EXPECT_TRUE(IfRangeMatches(Req("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), v));
  EXPECT_FALSE(IfRangeMatches(Req("If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n"), v));
}

TEST(Rfc9111NotModifiedUpdate, Table) {
  http1::HeaderList stored = H(
      {{"Content-Length", "5"}, {"ETag", "\"1\""}, {"Cache-Control", "max-age=1"}, {"X-Old", "a"}});
  http1::ResponseHead nm;
  size_t c;
  http1::ParseError e;
  ASSERT_EQ(http1::ParseResponse("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n"
                                 "Cache-Control: max-age=60\r\nX-New: b\r\nConnection: close\r\n"
                                 "\r\n",
                                 http1::Limits{}, "GET", &nm, &c, &e),
            http1::ParseStatus::kDone);
  ApplyNotModified(nm, &stored);
  EXPECT_EQ(*stored.Get("content-length"), "5");
  EXPECT_EQ(*stored.Get("cache-control"), "max-age=60");
  EXPECT_EQ(*stored.Get("x-new"), "b");
  EXPECT_EQ(*stored.Get("x-old"), "a");
  EXPECT_FALSE(stored.Has("connection"));
  http1::HeaderList req;
  EXPECT_TRUE(AddValidators(stored, &req));
  EXPECT_EQ(*req.Get("if-none-match"), "\"1\"");
}

TEST(Rfc9111Invalidation, Table) {
  EXPECT_TRUE(InvalidatesOnSuccess("POST", 200));
  EXPECT_TRUE(InvalidatesOnSuccess("PURGEX", 302));
  EXPECT_FALSE(InvalidatesOnSuccess("POST", 500));
  EXPECT_FALSE(InvalidatesOnSuccess("GET", 200));
  EXPECT_EQ(PrimaryKey("Example.COM", "/a?b"), "example.com/a?b");
  EXPECT_EQ(PrimaryKey("example.com:80", "/a"), "example.com/a");
  EXPECT_EQ(PrimaryKey("x", "http://Other/p"), "other/p");
  auto keys = InvalidationKeys("h", "/a", "/b", "http://other/c");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1], "h/b");
  keys = InvalidationKeys("h", "/a", "http://h/d", "");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[1], "h/d");
}

TEST(Rfc9112RequestTarget, Table) {
  struct {
    const char* host;
    const char* target;
    bool ok;
    const char* authority;
    const char* path;
  } cases[] = {
      // Origin and asterisk form: the authority is the Host field's.
      {"Example.COM", "/a?b", true, "example.com", "/a?b"},
      {"example.com:80", "/a", true, "example.com", "/a"},
      {"example.com:", "/a", true, "example.com", "/a"},
      {"example.com:8080", "/a", true, "example.com:8080", "/a"},
      {"[::1]:8080", "/a", true, "[::1]:8080", "/a"},
      {"h", "*", true, "h", "*"},
      {"", "/a", true, "", "/a"},  // HTTP/1.0 without Host
      {"a\"b", "/a", false, "", ""},
      {"h:99999", "/a", false, "", ""},
      {"h:8x", "/a", false, "", ""},
      {"[::1", "/a", false, "", ""},
      // Absolute form: the target's authority, whatever Host says (RFC 9112 §3.2.2).
      {"attacker.example", "http://victim.example/home", true, "victim.example", "/home"},
      {"x", "HTTP://Victim.Example:80/p?q", true, "victim.example", "/p?q"},
      {"x", "https://v:443/p", true, "v", "/p"},
      {"x", "https://v:80/p", true, "v:80", "/p"},
      {"x", "http://v:443/p", true, "v:443", "/p"},
      {"x", "http://v", true, "v", "/"},
      {"x", "http://v?q=1", true, "v", "/?q=1"},
      {"x", "http://v%41/", true, "v%41", "/"},
      {"x", "http://[2001:db8::1]:81/", true, "[2001:db8::1]:81", "/"},
      {"", "http://v/p", true, "v", "/p"},
      // Refused: other schemes, no authority, userinfo, bad ports, other forms.
      {"x", "ftp://v/p", false, "", ""},
      {"x", "httpx://v/p", false, "", ""},
      {"x", "http:///p", false, "", ""},
      {"x", "http://:80/p", false, "", ""},
      {"x", "http://", false, "", ""},
      {"x", "http:/v/p", false, "", ""},
      {"x", "http://user@v/p", false, "", ""},
      {"x", "http://user:pw@v/p", false, "", ""},
      {"x", "http://v:x/p", false, "", ""},
      {"x", "http://v:65536/p", false, "", ""},
      {"x", "http://v#frag", false, "", ""},
      {"x", "http://v%4/", false, "", ""},
      {"x", "v:80", false, "", ""},  // authority form (CONNECT)
      {"x", "v/p", false, "", ""},
  };
  for (auto& c : cases) {
    auto t = ResolveTarget(c.host, c.target);
    ASSERT_EQ(t.has_value(), c.ok) << c.host << " " << c.target;
    if (!t) {
      EXPECT_EQ(PrimaryKey(c.host, c.target), "") << c.target;
      continue;
    }
    EXPECT_EQ(t->authority, c.authority) << c.host << " " << c.target;
    EXPECT_EQ(t->path, c.path) << c.host << " " << c.target;
    EXPECT_EQ(t->absolute_form, c.target[0] != '/' && c.target[0] != '*') << c.target;
    EXPECT_EQ(PrimaryKey(c.host, c.target), std::string(c.authority) + c.path);
  }
}

TEST(Rfc9211CacheStatus, Table) {
  CacheStatus hit{.hit = true, .ttl = 42};
  EXPECT_EQ(FormatCacheStatus("strata", hit), "strata; hit; ttl=42");
  CacheStatus miss{.fwd = Forward::kUriMiss, .fwd_status = 200, .stored = true, .ttl = 60};
  EXPECT_EQ(FormatCacheStatus("strata", miss),
            "strata; fwd=uri-miss; fwd-status=200; stored; ttl=60");
  CacheStatus bypass{.fwd = Forward::kMethod};
  EXPECT_EQ(FormatCacheStatus("strata", bypass), "strata; fwd=method");
}

}  // namespace
}  // namespace strata::edge::rfc9111
