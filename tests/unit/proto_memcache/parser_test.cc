#include "proto/memcache/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::memcache {
namespace {

using St = Parser::Status;

struct Harness {
  Parser p;
  Limits limits;
  Request req;
  size_t consumed = 0;
  St Parse(std::string_view buf) { return p.Parse(buf, limits, &req, &consumed); }
};

TEST(McParser, GetMultiKey) {
  Harness r;
  std::string in = "get a bb  ccc\r\n";
  ASSERT_EQ(r.Parse(in), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kGet);
  ASSERT_EQ(r.req.keys.size(), 3u);
  EXPECT_EQ(r.req.keys[1], "bb");
  EXPECT_EQ(r.req.keys[2], "ccc");
  EXPECT_EQ(r.consumed, in.size());
  // Zero-copy: the key points into the input.
  EXPECT_EQ(r.req.keys[0].data(), in.data() + 4);
}

TEST(McParser, BareLfAndGat) {
  Harness r;
  ASSERT_EQ(r.Parse("gats 100 k\n"), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kGats);
  EXPECT_EQ(r.req.exptime, 100);
  EXPECT_EQ(r.req.keys.size(), 1u);
  EXPECT_EQ(r.Parse("gat x k\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid exptime argument");
  ASSERT_EQ(r.Parse("gat 1\r\n"), St::kRequest);  // no key: an empty answer, as memcached
  EXPECT_TRUE(r.req.keys.empty());
  EXPECT_EQ(r.Parse("gat\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "ERROR");
}

TEST(McParser, SetWithData) {
  Harness r;
  std::string in = "set k 5 -1 3 noreply\r\nabc\r\nget k\r\n";
  ASSERT_EQ(r.Parse(in), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kSet);
  EXPECT_EQ(r.req.key, "k");
  EXPECT_EQ(r.req.flags, 5u);
  EXPECT_EQ(r.req.exptime, -1);
  EXPECT_TRUE(r.req.noreply);
  EXPECT_EQ(r.req.data, "abc");
  EXPECT_EQ(r.consumed, in.find("get"));
}

TEST(McParser, DataArrivesInPieces) {
  Harness r;
  std::string in = "set k 0 0 10\r\n0123456789\r\n";
  for (size_t n = 0; n < in.size(); n++) {
    ASSERT_EQ(r.Parse(std::string_view(in).substr(0, n)), St::kNeedMore) << n;
    EXPECT_EQ(r.consumed, 0u);
  }
  EXPECT_EQ(r.p.BytesWanted(), 1u);
  ASSERT_EQ(r.Parse(in), St::kRequest);
  EXPECT_EQ(r.req.data, "0123456789");
}

TEST(McParser, BadDataChunk) {
  Harness r;
  std::string in = "set a 0 0 1\r\nxy\r\nget a\r\n";
  ASSERT_EQ(r.Parse(in), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR bad data chunk");
  EXPECT_FALSE(r.p.silent());
  // vlen + 2 bytes are taken: the rest ("\n") is an empty line, as in memcached.
  EXPECT_EQ(r.consumed, std::string("set a 0 0 1\r\nxy\r").size());
  ASSERT_EQ(r.Parse("set a 0 0 1 noreply\r\nxyz\r\n"), St::kError);
  EXPECT_TRUE(r.p.silent());
}

TEST(McParser, TooLargeIsSkippedNotBuffered) {
  Harness r;
  r.limits.item_size_max = 1024;
  std::string line = "set big 0 0 5000\r\n";
  ASSERT_EQ(r.Parse(line), St::kRequest);
  EXPECT_TRUE(r.req.too_large);
  EXPECT_EQ(r.req.key, "big");
  EXPECT_EQ(r.consumed, line.size());
  std::string chunk(3000, 'v');
  ASSERT_EQ(r.Parse(chunk), St::kNeedMore);
  EXPECT_EQ(r.consumed, 3000u);
  std::string rest = std::string(2000, 'v') + "\r\nversion\r\n";
  ASSERT_EQ(r.Parse(rest), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kVersion);
  EXPECT_EQ(r.consumed, rest.size());
}

TEST(McParser, KeyLimits) {
  Harness r;
  std::string k250(250, 'k'), k251(251, 'k');
  EXPECT_EQ(r.Parse("get " + k250 + "\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("get " + k251 + "\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR bad command line format");
  EXPECT_EQ(r.Parse("set " + k251 + " 0 0 1\r\nx\r\n"), St::kError);
  EXPECT_EQ(r.Parse("get a\x01"
                    "b\r\n"),
            St::kError);
}

TEST(McParser, NumbersAndArity) {
  Harness r;
  EXPECT_EQ(r.Parse("set a 0 0 -1\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR bad command line format");
  EXPECT_EQ(r.Parse("set a -1 0 1\r\n"), St::kError);
  ASSERT_EQ(r.Parse("set a 4294967296 0 1\r\nx\r\n"), St::kRequest);
  EXPECT_EQ(r.req.flags, 0u);  // low 32 bits, as memcached
  EXPECT_EQ(r.Parse("set a 0 0\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "ERROR");
  ASSERT_EQ(r.Parse("cas a 1 2 1 77\r\nx\r\n"), St::kRequest);
  EXPECT_EQ(r.req.cas, 77u);
  ASSERT_EQ(r.Parse("incr a 18446744073709551615\r\n"), St::kRequest);
  EXPECT_EQ(r.req.delta, UINT64_MAX);
  EXPECT_EQ(r.Parse("incr a -1\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid numeric delta argument");
  EXPECT_EQ(r.Parse("incr a x noreply\r\n"), St::kError);
  EXPECT_TRUE(r.p.silent());
  EXPECT_EQ(r.Parse("touch a x\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid exptime argument");
}

TEST(McParser, Delete) {
  Harness r;
  EXPECT_EQ(r.Parse("delete a\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("delete a 0\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("delete a noreply\r\n"), St::kRequest);
  EXPECT_TRUE(r.req.noreply);
  EXPECT_EQ(r.Parse("delete a 0 noreply\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("delete a 1\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
  EXPECT_EQ(r.Parse("delete\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "ERROR");
}

TEST(McParser, MiscCommands) {
  Harness r;
  ASSERT_EQ(r.Parse("flush_all 10 noreply\r\n"), St::kRequest);
  EXPECT_EQ(r.req.delay, 10);
  EXPECT_TRUE(r.req.noreply);
  EXPECT_EQ(r.Parse("flush_all x\r\n"), St::kError);
  ASSERT_EQ(r.Parse("stats settings\r\n"), St::kRequest);
  ASSERT_EQ(r.req.args.size(), 1u);
  EXPECT_EQ(r.Parse("verbosity\r\n"), St::kError);
  EXPECT_EQ(r.Parse("verbosity 1\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("version\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("quit\r\n"), St::kRequest);
  EXPECT_EQ(r.Parse("\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "ERROR");
  EXPECT_EQ(r.Parse("mx foo v\r\n"), St::kError);  // not a meta command
  EXPECT_EQ(r.Parse("GET foo\r\n"), St::kError);   // names are case-sensitive
}

TEST(McParser, MetaFlags) {
  Harness r;
  ASSERT_EQ(r.Parse("mg foo v k O12 c t N30 q\r\n"), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kMetaGet);
  EXPECT_EQ(r.req.Key(), "foo");
  EXPECT_TRUE(r.req.meta.value && r.req.meta.quiet && r.req.meta.vivify);
  EXPECT_EQ(r.req.meta.vivify_ttl, 30);
  EXPECT_EQ(r.req.meta.order, "kOctN");  // returned flags and where N/T/R apply, in order
  EXPECT_EQ(r.req.meta.opaque, "O12");
  EXPECT_EQ(r.Parse("mg foo v v\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR duplicate flag");
  EXPECT_EQ(r.Parse("mg foo z\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid flag");
  EXPECT_EQ(r.Parse("mg foo Nx\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR bad token in command line format");
  EXPECT_EQ(r.Parse("md foo v v\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid or duplicate flag");
  EXPECT_EQ(r.Parse("ma foo MX\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR invalid mode for ma M token");
  EXPECT_EQ(r.Parse("mg\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "ERROR");
  ASSERT_EQ(r.Parse("mn\r\n"), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kMetaNoop);
}

TEST(McParser, MetaSetAndBase64) {
  Harness r;
  std::string in = "ms Zm9v 3 b F7 T10 MA C5 I\r\nbar\r\n";
  ASSERT_EQ(r.Parse(in), St::kRequest);
  EXPECT_EQ(r.req.cmd, Command::kMetaSet);
  EXPECT_EQ(r.req.Key(), "foo");
  EXPECT_TRUE(r.req.binary_key);
  EXPECT_EQ(r.req.data, "bar");
  EXPECT_EQ(r.req.meta.client_flags, 7u);
  EXPECT_EQ(r.req.meta.mode, 'A');
  EXPECT_EQ(r.req.meta.cas, 5u);
  EXPECT_TRUE(r.req.meta.invalidate && r.req.meta.has_ttl);
  EXPECT_EQ(r.consumed, in.size());
  // A bad flag: the error, then the data block is skipped as memcached does.
  Harness e;
  std::string bad = "ms foo 3 MX\r\nbar\r\nmn\r\n";
  ASSERT_EQ(e.Parse(bad), St::kError);
  EXPECT_EQ(e.p.error(), "CLIENT_ERROR invalid mode for ms M token");
  std::string rest = bad.substr(e.consumed);
  ASSERT_EQ(e.Parse(rest), St::kRequest);
  EXPECT_EQ(e.req.cmd, Command::kMetaNoop);
  EXPECT_EQ(r.Parse("mg Zm9 b\r\n"), St::kError);
  EXPECT_EQ(r.p.error(), "CLIENT_ERROR error decoding key");
  std::string enc;
  Base64Encode("\x01\xff bin", &enc);
  std::string dec;
  ASSERT_TRUE(Base64Decode(enc, &dec));
  EXPECT_EQ(dec, "\x01\xff bin");
}

TEST(McParser, LineLimitAndForeignProtocols) {
  Harness r;
  EXPECT_EQ(r.Parse(std::string(3000, 'x')), St::kClose);
  EXPECT_TRUE(r.p.error().empty());
  EXPECT_EQ(r.Parse("get " + std::string(3000, 'k')), St::kNeedMore);  // long multiget
  EXPECT_EQ(r.Parse(std::string("\x80\x00\x00\x00", 4)), St::kClose);
  EXPECT_FALSE(r.p.error().empty());
  EXPECT_EQ(r.Parse("GET / HTTP/1.0\r\n"), St::kClose);
  EXPECT_TRUE(r.p.error().empty());
}

}  // namespace
}  // namespace strata::memcache
