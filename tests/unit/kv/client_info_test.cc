#include "kv/commands/client_info.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace strata::kv {
namespace {

TEST(ClientInfoTest, LineHasRedisFieldsInOrder) {
  ClientInfo c;
  c.id = 7;
  c.addr = "127.0.0.1:5000";
  c.laddr = "127.0.0.1:6379";
  c.fd = 9;
  c.name = "worker";
  c.age_s = 12;
  c.idle_s = 3;
  c.db = 2;
  c.qbuf = 26;
  c.omem = 0;
  c.tot_mem = 800;
  c.cmd = "client|list";
  c.resp = 3;
  c.lib_name = "redis-py";
  c.lib_ver = "4.3.4";
  EXPECT_EQ(FormatClientLine(c),
            "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name=worker age=12 idle=3 "
            "flags=N db=2 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=0 argv-mem=0 "
            "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=800 events=r cmd=client|list "
            "user=default redir=-1 resp=3 lib-name=redis-py lib-ver=4.3.4");
}

TEST(ClientInfoTest, ValidNames) {
  EXPECT_TRUE(ValidClientName(""));
  EXPECT_TRUE(ValidClientName("a-b_c.1!~"));
  EXPECT_FALSE(ValidClientName("a b"));
  EXPECT_FALSE(ValidClientName("a\nb"));
  EXPECT_FALSE(ValidClientName("caf\xc3\xa9"));
}

std::string List(std::vector<std::string_view> args, ClientFilter* f) {
  return ParseListFilter(args, f);
}
std::string Kill(std::vector<std::string_view> args, ClientFilter* f) {
  return ParseKillFilter(args, f);
}

TEST(ClientInfoTest, ListFilterErrorsMatchRedis) {
  ClientFilter f;
  EXPECT_EQ(List({}, &f), "");
  EXPECT_EQ(List({"TYPE", "normal"}, &f), "");
  EXPECT_EQ(f.type, "normal");
  EXPECT_EQ(List({"type", "foo"}, &f), "ERR Unknown client type 'foo'");
  EXPECT_EQ(List({"ID"}, &f), "ERR syntax error");
  EXPECT_EQ(List({"ID", "1", "x"}, &f), "ERR Invalid client ID");
  EXPECT_EQ(List({"ID", "0"}, &f), "ERR Invalid client ID");
  EXPECT_EQ(List({"foo"}, &f), "ERR syntax error");
  ClientFilter g;
  EXPECT_EQ(List({"id", "3", "5"}, &g), "");
  EXPECT_EQ(g.ids, (std::vector<uint64_t>{3, 5}));
}

TEST(ClientInfoTest, KillFilterErrorsMatchRedis) {
  ClientFilter f;
  EXPECT_EQ(Kill({"foo", "bar"}, &f), "ERR syntax error");
  EXPECT_EQ(Kill({"ID", "x"}, &f), "ERR client-id should be greater than 0");
  EXPECT_EQ(Kill({"ID", "1", "SKIPME"}, &f), "ERR syntax error");
  EXPECT_EQ(Kill({"SKIPME", "maybe"}, &f), "ERR syntax error");
  EXPECT_EQ(Kill({"USER", "bob"}, &f), "ERR No such user 'bob'");
  EXPECT_EQ(Kill({"TYPE", "x"}, &f), "ERR Unknown client type 'x'");
  ClientFilter g;
  EXPECT_EQ(Kill({"ADDR", "1.2.3.4:5", "skipme", "NO", "user", "default"}, &g), "");
  EXPECT_EQ(g.addr, "1.2.3.4:5");
  EXPECT_FALSE(g.skipme);
}

TEST(ClientInfoTest, FilterMatching) {
  ClientInfo a;
  a.id = 1;
  a.addr = "127.0.0.1:1000";
  a.laddr = "127.0.0.1:6379";
  ClientInfo b = a;
  b.id = 2;
  b.addr = "127.0.0.1:2000";

  ClientFilter f;  // default kill filter: skip the caller
  f.self_id = 1;
  EXPECT_FALSE(f.Matches(a));
  EXPECT_TRUE(f.Matches(b));
  f.skipme = false;
  EXPECT_TRUE(f.Matches(a));
  f.addr = "127.0.0.1:2000";
  EXPECT_FALSE(f.Matches(a));
  EXPECT_TRUE(f.Matches(b));

  ClientFilter t;
  t.skipme = false;
  t.type = "pubsub";
  EXPECT_FALSE(t.Matches(a));
  t.type = "normal";
  EXPECT_TRUE(t.Matches(a));
  t.ids = {2, 9};
  EXPECT_FALSE(t.Matches(a));
  EXPECT_TRUE(t.Matches(b));
  t.laddr = "127.0.0.1:1";
  EXPECT_FALSE(t.Matches(b));
}

}  // namespace
}  // namespace strata::kv
