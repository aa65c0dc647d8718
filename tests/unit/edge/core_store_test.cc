// ObjectStore (variants, byte budget, eviction order, tags, soft purge), InFlightTable, origin
// request building and purge helpers.
#include <gtest/gtest.h>

#include "edge/coalesce/inflight.h"
#include "edge/fsm/origin_request.h"
#include "edge/purge/purge.h"
#include "edge/rfc9111/request_target.h"
#include "edge/rfc9111/vary.h"
#include "edge/store/object_store.h"
#include "proto/http1/parser.h"

namespace strata::edge {
namespace {

http1::RequestHead Req(const std::string& fields, const std::string& line = "GET /p HTTP/1.1") {
  http1::RequestHead r;
  size_t c;
  http1::ParseError e;
  std::string raw = line + "\r\nHost: h\r\n" + fields + "\r\n";
  EXPECT_EQ(http1::ParseRequest(raw, http1::Limits{}, &r, &c, &e), http1::ParseStatus::kDone);
  return r;
}

ObjectRef Obj(const std::string& key, size_t body, const std::string& vary = "",
              const http1::RequestHead* req = nullptr, const std::string& tags = "") {
  auto o = std::make_shared<CachedObject>();
  o->key = key;
  o->body.assign(body, 'x');
  o->complete = true;
  o->lifetime_s = 60;
  if (!tags.empty()) o->headers.Add("Surrogate-Key", tags);
  if (!vary.empty()) {
    o->vary = rfc9111::ParseVary(vary);
    o->secondary = rfc9111::SecondaryKey(o->vary, *req);
  }
  o->RefreshDerivedFields();
  return o;
}

TEST(ObjectStore, VariantsSelectedBySecondaryKey) {
  ObjectStore s(StoreLimits{});
  auto gz = Req("Accept-Encoding: gzip\r\n");
  auto br = Req("Accept-Encoding: br\r\n");
  ASSERT_TRUE(s.Insert(Obj("h/p", 10, "Accept-Encoding", &gz)));
  ASSERT_TRUE(s.Insert(Obj("h/p", 20, "Accept-Encoding", &br)));
  EXPECT_EQ(s.Lookup("h/p", gz).object->body.size(), 10u);
  EXPECT_EQ(s.Lookup("h/p", br).object->body.size(), 20u);
  auto none = Req("");
  LookupResult r = s.Lookup("h/p", none);
  EXPECT_FALSE(r.object);
  EXPECT_TRUE(r.key_known);
  // Same variant again replaces the old one.
  ASSERT_TRUE(s.Insert(Obj("h/p", 30, "Accept-Encoding", &gz)));
  EXPECT_EQ(s.Lookup("h/p", gz).object->body.size(), 30u);
  EXPECT_EQ(s.stats().objects, 2u);
  EXPECT_EQ(s.PurgeKey("h/p", false, 0), 2u);
  EXPECT_EQ(s.stats().objects, 0u);
  EXPECT_EQ(s.stats().bytes, 0u);
}

TEST(ObjectStore, VariantCap) {
  StoreLimits lim;
  lim.max_variants = 2;
  ObjectStore s(lim);
  for (int i = 0; i < 4; i++) {
    auto r = Req("X-V: " + std::to_string(i) + "\r\n");
    s.Insert(Obj("h/p", 1, "X-V", &r));
  }
  EXPECT_EQ(s.stats().objects, 2u);
  auto r0 = Req("X-V: 0\r\n"), r3 = Req("X-V: 3\r\n");
  EXPECT_FALSE(s.Lookup("h/p", r0).object);
  EXPECT_TRUE(s.Lookup("h/p", r3).object);
}

TEST(ObjectStore, ByteBudgetEvictsColdObjectsFirst) {
  StoreLimits lim;
  lim.budget_bytes = 10000;
  lim.max_object_bytes = 5000;
  ObjectStore s(lim);
  auto req = Req("");
  auto a = Obj("a", 2500), b = Obj("b", 2500), c = Obj("c", 2500);
  s.Insert(a);
  s.Insert(b);
  s.Insert(c);
  s.Touch(a.get());  // a was seen twice; b is the oldest object seen once
  s.Insert(Obj("d", 2500));
  EXPECT_TRUE(s.Lookup("a", req).object);
  EXPECT_FALSE(s.Lookup("b", req).object);
  EXPECT_FALSE(b->in_store);
  EXPECT_EQ(s.stats().evictions, 1u);
  EXPECT_LE(s.stats().bytes, lim.budget_bytes);
  EXPECT_FALSE(s.Insert(Obj("big", 6000)));  // larger than max_object_bytes
  // An object that grows past the limit while streaming is dropped.
  auto g = Obj("g", 100);
  g->complete = false;
  ASSERT_TRUE(s.Insert(g));
  g->body.assign(6000, 'y');
  EXPECT_FALSE(s.Recharge(g.get()));
  EXPECT_FALSE(s.Lookup("g", req).object);
}

TEST(ObjectStore, TagsAndSoftPurge) {
  ObjectStore s(StoreLimits{});
  auto req = Req("");
  auto a = Obj("a", 1, "", nullptr, "red blue");
  auto b = Obj("b", 1, "", nullptr, "blue");
  s.Insert(a);
  s.Insert(b);
  s.Insert(Obj("c", 1));
  EXPECT_EQ(s.PurgeTag("red", true, 0), 1u);
  EXPECT_TRUE(a->soft_purged);
  EXPECT_TRUE(s.Lookup("a", req).object);  // still there, but stale
  EXPECT_EQ(a->lifetime_s, 0);
  EXPECT_EQ(s.PurgeTag("blue", false, 0), 2u);
  EXPECT_FALSE(s.Lookup("a", req).object);
  EXPECT_EQ(s.PurgeTag("blue", false, 0), 0u);
  EXPECT_EQ(s.PurgeAll(false, 0), 1u);
  EXPECT_EQ(s.stats().objects, 0u);
}

TEST(InFlight, HitForPassExpires) {
  InFlightTable t;
  t.MarkHitForPass("k", 1000);
  EXPECT_TRUE(t.IsHitForPass("k", 999));
  EXPECT_FALSE(t.IsHitForPass("k", 1000));
  EXPECT_FALSE(t.IsHitForPass("other", 0));
}

TEST(OriginRequest, ForwardFillRevalidate) {
  auto req =
      Req("Connection: close, X-Hop\r\nX-Hop: 1\r\nX-E2e: Keep Me\r\nIf-None-Match: \"c\"\r\n"
          "Range: bytes=0-1\r\nVia: 1.1 other\r\nContent-Length: 3\r\nExpect: 100-continue\r\n",
          "POST /p?q HTTP/1.1");
  std::string fwd = BuildOriginRequest(
      {&req, OriginRequestKind::kForward, "POST", "abc", nullptr, "strata-edge", "10.0.0.1"});
  EXPECT_EQ(fwd.substr(0, 21), "POST /p?q HTTP/1.1\r\nH");
  EXPECT_EQ(fwd.find("X-Hop"), std::string::npos);
  EXPECT_EQ(fwd.find("Connection"), std::string::npos);
  EXPECT_EQ(fwd.find("Expect"), std::string::npos);
  EXPECT_NE(fwd.find("X-E2e: Keep Me\r\n"), std::string::npos);
  EXPECT_NE(fwd.find("If-None-Match: \"c\"\r\n"), std::string::npos);
  EXPECT_NE(fwd.find("Via: 1.1 other, 1.1 strata-edge\r\n"), std::string::npos);
  EXPECT_NE(fwd.find("X-Forwarded-For: 10.0.0.1\r\n"), std::string::npos);
  EXPECT_NE(fwd.find("Content-Length: 3\r\n\r\nabc"), std::string::npos);

  std::string fill =
      BuildOriginRequest({&req, OriginRequestKind::kFill, "GET", {}, nullptr, "strata-edge", ""});
  EXPECT_EQ(fill.find("If-None-Match"), std::string::npos);
  EXPECT_EQ(fill.find("Range"), std::string::npos);
  EXPECT_EQ(fill.find("Content-Length"), std::string::npos);

  http1::HeaderList stored;
  stored.Add("ETag", "\"v9\"");
  stored.Add("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
  std::string reval = BuildOriginRequest(
      {&req, OriginRequestKind::kRevalidate, "GET", {}, &stored, "strata-edge", ""});
  EXPECT_NE(reval.find("If-None-Match: \"v9\"\r\n"), std::string::npos);
  EXPECT_NE(reval.find("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), std::string::npos);
  EXPECT_EQ(reval.find("\"c\""), std::string::npos);
  EXPECT_EQ(OriginFormTarget("http://h/x?y"), "/x?y");
}

// The Host sent upstream is the request's resolved authority: an absolute-form target's, not
// the client's Host field.
TEST(OriginRequest, HostIsTheResolvedAuthority) {
  auto req = Req("X-A: 1\r\n", "GET http://Victim.Example/home?q HTTP/1.1");  // Host: h
  auto target = rfc9111::ResolveTarget(req.Get("host").value_or(""), req.Target());
  ASSERT_TRUE(target);
  // A plain fill of `head` to the authority `target` resolved.
  auto fill = [](const http1::RequestHead& head, const rfc9111::RequestTarget& target) {
    return BuildOriginRequest({&head,
                               OriginRequestKind::kFill,
                               "GET",
                               {},
                               nullptr,
                               "strata-edge",
                               "",
                               "",
                               http1::BodyFraming::kNone,
                               &target});
  };
  std::string out = fill(req, *target);
  EXPECT_EQ(out.rfind("GET /home?q HTTP/1.1\r\nHost: victim.example\r\n", 0), 0u);
  EXPECT_EQ(out.find("Host: h\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-A: 1\r\n"), std::string::npos);

  // No authority at all (HTTP/1.0 without Host): no Host is invented.
  http1::RequestHead old;
  size_t c;
  http1::ParseError e;
  ASSERT_EQ(http1::ParseRequest("GET /p HTTP/1.0\r\n\r\n", http1::Limits{}, &old, &c, &e),
            http1::ParseStatus::kDone);
  auto none = rfc9111::ResolveTarget("", old.Target());
  ASSERT_TRUE(none);
  out = fill(old, *none);
  EXPECT_EQ(out.substr(0, 17), "GET /p HTTP/1.1\r\n");
  EXPECT_EQ(out.find("Host"), std::string::npos);
}

TEST(Purge, Helpers) {
  EXPECT_TRUE(ValidTag("product-42"));
  EXPECT_FALSE(ValidTag(""));
  EXPECT_FALSE(ValidTag("a\r\nb"));
  EXPECT_FALSE(ValidTag("a b"));
  EXPECT_FALSE(ValidTag(std::string(300, 'a')));
  EXPECT_TRUE(CheckBearer("Bearer s3", {"x", "s3"}));
  EXPECT_TRUE(CheckBearer("bearer s3", {"s3"}));
  EXPECT_FALSE(CheckBearer("Bearer s4", {"s3"}));
  EXPECT_FALSE(CheckBearer("Basic s3", {"s3"}));
  EXPECT_FALSE(CheckBearer("Bearer ", {}));
  std::string out;
  EXPECT_TRUE(PercentDecode("a%20b+c%2F", &out));
  EXPECT_EQ(out, "a b c/");
  EXPECT_FALSE(PercentDecode("a%2", &out));
  EXPECT_FALSE(PercentDecode("a%zz", &out));
}

}  // namespace
}  // namespace strata::edge

namespace strata::edge {
namespace {

// The store drives the core policy through its contract: evictions keep it within the byte
// budget and every victim leaves the map, the tag index and the stats.
TEST(ObjectStore, CorePolicyKeepsBudgetUnderChurn) {
  StoreLimits lim;
  lim.budget_bytes = 64 * 1024;
  lim.max_object_bytes = 16 * 1024;
  ObjectStore s(lim);
  auto req = Req("");
  std::vector<ObjectRef> all;
  for (int i = 0; i < 500; i++) {
    auto o = Obj("k" + std::to_string(i % 50), size_t(500 + (i * 7919) % 8000), "", nullptr, "t");
    all.push_back(o);
    s.Insert(o);
    if (i % 3 == 0) {
      auto hit = s.Lookup("k" + std::to_string((i * 13) % 50), req);
      if (hit.object) s.Touch(hit.object.get());
    }
    ASSERT_LE(s.stats().bytes, lim.budget_bytes);
  }
  size_t stored = 0;
  for (auto& o : all) stored += o->in_store;
  EXPECT_EQ(stored, s.stats().objects);
  EXPECT_GT(s.stats().evictions, 0u);
  EXPECT_EQ(s.PurgeTag("t", false, 0), s.stats().objects + stored - s.stats().objects);
  EXPECT_EQ(s.stats().objects, 0u);
  EXPECT_EQ(s.stats().bytes, 0u);
}

}  // namespace
}  // namespace strata::edge
