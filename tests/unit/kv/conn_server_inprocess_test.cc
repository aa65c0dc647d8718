// Connection and server commands through real connections (in-process server, clients over
// socketpairs), with 1 and 4 shards: per-connection state, commands that visit every shard
// (CLIENT LIST/KILL, INFO, CONFIG) and pipelines mixing them with keyed commands.
#include <gtest/gtest.h>

#include <algorithm>

#include <string>
#include <vector>

#include "kv/server/config.h"
#include "test_server.h"

namespace strata::kv {
namespace {

using testing::RespClient;
using testing::TestServer;

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
std::string Int(long long v) { return ":" + std::to_string(v) + "\r\n"; }
const std::string kOk = "+OK\r\n";

// The text of a bulk or verbatim reply.
std::string Text(const std::string& reply) {
  size_t nl = reply.find("\r\n");
  std::string body = reply.substr(nl + 2, reply.size() - nl - 4);
  if (reply[0] == '=') body = body.substr(4);  // "txt:"
  return body;
}

long long IdOf(RespClient* c) { return atoll(c->Cmd({"CLIENT", "ID"}).c_str() + 1); }

class ConnServer : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(uint32_t(GetParam()));
    c_ = server_->Connect();
  }
  void TearDown() override {
    server_.reset();
    GlobalConfig().set_requirepass("");
    GlobalConfig().maxmemory.store(0);
  }
  std::string Run(const std::vector<std::string>& args) { return c_->Cmd(args); }

  std::unique_ptr<TestServer> server_;
  RespClient* c_;
};

TEST_P(ConnServer, HelloSwitchesProtocolForLaterReplies) {
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  std::string hello = Run({"HELLO", "3", "SETNAME", "me"});
  EXPECT_EQ(hello.substr(0, 4), "%7\r\n");
  EXPECT_NE(hello.find("$5\r\nproto\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  EXPECT_EQ(Run({"GET", "nokey"}), "_\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), Bulk("me"));
  EXPECT_EQ(Run({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(Run({"GET", "nokey"}), "$-1\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
}

TEST_P(ConnServer, PipelinedSelectAndHelloApplyOnlyToLaterCommands) {
  std::string batch;
  for (int i = 0; i < 8; i++) batch += RespClient::Encode({"SET", "a" + std::to_string(i), "0"});
  batch += RespClient::Encode({"SELECT", "1"});
  for (int i = 0; i < 8; i++) batch += RespClient::Encode({"SET", "b" + std::to_string(i), "1"});
  batch += RespClient::Encode({"HELLO", "3"});
  batch += RespClient::Encode({"GET", "missing"});
  c_->SendRaw(batch);
  for (int i = 0; i < 17; i++) EXPECT_EQ(c_->ReadReply(), kOk) << i;
  EXPECT_EQ(c_->ReadReply().substr(0, 4), "%7\r\n");
  EXPECT_EQ(c_->ReadReply(), "_\r\n");
  EXPECT_EQ(Run({"SELECT", "0"}), kOk);
  for (int i = 0; i < 8; i++) {
    EXPECT_EQ(Run({"GET", "a" + std::to_string(i)}), "$1\r\n0\r\n");
    EXPECT_EQ(Run({"GET", "b" + std::to_string(i)}), "_\r\n");
  }
  std::string ks = Text(Run({"INFO", "keyspace"}));
  EXPECT_EQ(ks,
            "# Keyspace\r\ndb0:keys=8,expires=0,avg_ttl=0\r\ndb1:keys=8,expires=0,avg_ttl=0\r\n");
}

TEST_P(ConnServer, ClientListAndKillAcrossShards) {
  std::vector<RespClient*> others;
  for (int i = 0; i < 6; i++) {
    others.push_back(server_->Connect());
    EXPECT_EQ(others.back()->Cmd({"CLIENT", "SETNAME", "w" + std::to_string(i)}), kOk);
  }
  std::string list = Text(Run({"CLIENT", "LIST"}));
  for (int i = 0; i < 6; i++)
    EXPECT_NE(list.find(" name=w" + std::to_string(i) + " "), std::string::npos) << list;
  EXPECT_NE(list.find("cmd=client|list"), std::string::npos);
  long long id2 = IdOf(others[2]);
  std::string one = Text(Run({"CLIENT", "LIST", "ID", std::to_string(id2)}));
  EXPECT_EQ(one.rfind("id=" + std::to_string(id2) + " ", 0), 0u) << one;
  EXPECT_NE(one.find(" name=w2 "), std::string::npos);
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 1);

  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", std::to_string(id2)}), Int(1));
  EXPECT_EQ(others[2]->ReadReply(), "");  // closed
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", std::to_string(id2)}), Int(0));
  // Everyone else but the caller (SKIPME yes by default).
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "normal"}), Int(5));
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  std::string rest = Text(Run({"CLIENT", "LIST"}));
  EXPECT_EQ(std::count(rest.begin(), rest.end(), '\n'), 1) << rest;
  // Killing oneself: the reply arrives, then the connection closes.
  c_->SendRaw(
      RespClient::Encode({"CLIENT", "KILL", "SKIPME", "no", "ID", std::to_string(IdOf(c_))}) +
      RespClient::Encode({"PING"}));
  EXPECT_EQ(c_->ReadReply(), Int(1));
  EXPECT_EQ(c_->ReadReply(), "");
}

TEST_P(ConnServer, InfoStatsAndConfigResetstat) {
  RespClient* other = server_->Connect();
  for (int i = 0; i < 10; i++) EXPECT_EQ(other->Cmd({"SET", "k" + std::to_string(i), "v"}), kOk);
  EXPECT_EQ(other->Cmd({"GET", "k1"}), Bulk("v"));
  EXPECT_EQ(other->Cmd({"GET", "nope"}), "$-1\r\n");
  EXPECT_EQ(other->Cmd({"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(other->Cmd({"NOSUCH"}).substr(0, 21), "-ERR unknown command ");
  std::string info = Text(Run({"INFO", "stats", "commandstats", "errorstats", "clients"}));
  EXPECT_NE(info.find("connected_clients:2\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("keyspace_hits:1\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("keyspace_misses:1\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("total_error_replies:2\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("errorstat_ERR:count=2\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_set:calls=10,"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_select:calls=1,"), std::string::npos) << info;
  EXPECT_NE(info.find("failed_calls=1"), std::string::npos) << info;

  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), kOk);
  info = Text(Run({"INFO", "stats", "commandstats", "errorstats"}));
  EXPECT_NE(info.find("keyspace_hits:0\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("total_error_replies:0\r\n"), std::string::npos) << info;
  EXPECT_EQ(info.find("cmdstat_set:"), std::string::npos) << info;
  EXPECT_EQ(info.find("errorstat_ERR"), std::string::npos) << info;
  EXPECT_NE(info.find("cmdstat_config:calls=1,"), std::string::npos) << info;
}

TEST_P(ConnServer, ConfigSetIsAllOrNothing) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "10mb", "hz", "abc"}),
            "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be "
            "parsed into an integer\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "1", "MAXMEMORY", "2"}),
            "-ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate "
            "parameter\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru"}), kOk);
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory*"}).substr(0, 4), "*6\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$8\r\n10485760\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction"}), kOk);
  EXPECT_EQ(Run({"CONFIG", "SET", "a", "b", "c"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "-ERR The server is running without a config file\r\n");
}

TEST_P(ConnServer, AuthWithRequirepass) {
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "pw"}), kOk);
  RespClient* c = server_->Connect();
  EXPECT_EQ(c->Cmd({"PING"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(c->Cmd({"HELLO", "3"}).substr(0, 40), "-NOAUTH HELLO must be called with the cl");
  EXPECT_EQ(c->Cmd({"AUTH", "bad"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(c->Cmd({"AUTH", "pw"}), kOk);
  EXPECT_EQ(c->Cmd({"PING"}), "+PONG\r\n");
  EXPECT_EQ(c->Cmd({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(c->Cmd({"PING"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(c->Cmd({"HELLO", "2", "AUTH", "default", "pw"}).substr(0, 4), "*14\r");
  EXPECT_EQ(c->Cmd({"PING"}), "+PONG\r\n");
  // The connection that set the password stays authenticated, as in Redis.
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", ""}), kOk);
}

TEST_P(ConnServer, MonitorSeesOtherClientsCommands) {
  RespClient* m = server_->Connect();
  EXPECT_EQ(m->Cmd({"MONITOR"}), kOk);
  // Administrative commands are not shown (CONFIG SET may carry a password).
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", ""}), kOk);
  EXPECT_EQ(Run({"SET", "mk", "a\"b"}), kOk);
  std::string line = m->ReadReply();
  EXPECT_NE(line.find("] \"SET\" \"mk\" \"a\\\"b\"\r\n"), std::string::npos) << line;
  EXPECT_EQ(line[0], '+');
  EXPECT_EQ(m->Cmd({"GET", "mk"}), "-ERR Replica can't interact with the keyspace\r\n");
  EXPECT_EQ(m->Cmd({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(m->Cmd({"GET", "mk"}), Bulk("a\"b"));
}

TEST_P(ConnServer, QuitClosesAfterReply) {
  RespClient* c = server_->Connect();
  c->SendRaw(RespClient::Encode({"SET", "q", "1"}) + RespClient::Encode({"QUIT"}) +
             RespClient::Encode({"PING"}));
  EXPECT_EQ(c->ReadReply(), kOk);
  EXPECT_EQ(c->ReadReply(), kOk);
  EXPECT_EQ(c->ReadReply(), "");
}

INSTANTIATE_TEST_SUITE_P(Shards, ConnServer, ::testing::Values(1, 4));

}  // namespace
}  // namespace strata::kv
