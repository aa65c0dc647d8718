// Runs the keyless handlers of the connection/server families directly (no sockets, no
// connection: ctx.conn is null) and checks their exact RESP2/RESP3 replies.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/server/task.h"

namespace strata::kv {
namespace {

class HandlerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RegisterAllCommands(); }

  // Runs the command's synchronous handler and returns the raw reply.
  std::string Run(std::vector<std::string_view> args, int proto = 2) {
    const CommandSpec* spec = CommandRegistry::Get().Find(args[0]);
    EXPECT_NE(spec, nullptr) << args[0];
    if (!spec || (!spec->handler && !spec->multi)) return "<no handler>";
    std::string out;
    resp::ReplyBuilder rb(&out, proto);
    CmdContext ctx;
    ctx.args = args;
    ctx.rb = &rb;
    ctx.spec = spec;
    if (spec->handler) {
      spec->handler(ctx);
    } else {
      // A coroutine handler (SHUTDOWN): only paths that finish without waiting on a shard.
      bool finished = false;
      RunDetached(spec->multi(ctx), [&finished] { finished = true; });
      EXPECT_TRUE(finished) << args[0];
    }
    return out;
  }
};

TEST_F(HandlerTest, PingAndEcho) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(Run({"PING"}, 3), "+PONG\r\n");
  EXPECT_EQ(Run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(Run({"ECHO", ""}), "$0\r\n\r\n");
}

TEST_F(HandlerTest, HelloReplies) {
  const std::string body =
      "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n"
      "$2\r\nid\r\n:0\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
      "$7\r\nmodules\r\n*0\r\n";
  EXPECT_EQ(Run({"HELLO", "3"}), "%7\r\n" + body);
  std::string resp2 = Run({"HELLO", "2"}, 3);
  EXPECT_EQ(resp2.substr(0, 4), "*14\r");
  EXPECT_NE(resp2.find("$5\r\nproto\r\n:2\r\n"), std::string::npos);
  EXPECT_EQ(Run({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(Run({"HELLO", "1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(Run({"HELLO", "x"}), "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"HELLO", "3", "SETNAME"}), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "default"}), "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "bob", "pw"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"HELLO", "3", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
}

TEST_F(HandlerTest, AuthWithoutPassword) {
  EXPECT_EQ(Run({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
  EXPECT_EQ(Run({"AUTH", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(Run({"AUTH", "bob", "x"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"AUTH", "a", "b", "c"}), "-ERR syntax error\r\n");
}

TEST_F(HandlerTest, SelectChecksRange) {
  EXPECT_EQ(Run({"SELECT", "15"}), "+OK\r\n");
  EXPECT_EQ(Run({"SELECT", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"SELECT", "-1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
}

TEST_F(HandlerTest, CommandIntrospection) {
  std::string count = Run({"COMMAND", "COUNT"});
  EXPECT_EQ(count, ":" + std::to_string(CommandRegistry::Get().all().size()) + "\r\n");
  EXPECT_EQ(Run({"COMMAND", "INFO", "nosuch"}), "*1\r\n$-1\r\n");
  EXPECT_EQ(Run({"COMMAND", "INFO", "nosuch"}, 3), "*1\r\n_\r\n");
  std::string get = Run({"COMMAND", "INFO", "get"});
  EXPECT_EQ(get.substr(0, 60),
            "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n");
  EXPECT_NE(get.find("+@read\r\n+@string\r\n+@fast\r\n"), std::string::npos);
  std::string get3 = Run({"COMMAND", "INFO", "get"}, 3);
  EXPECT_NE(get3.find("~2\r\n+readonly\r\n+fast\r\n"), std::string::npos);
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "-ERR Invalid command specified\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ping", "a"}), "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "set", "a"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  EXPECT_EQ(Run({"COMMAND", "foo"}), "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "ech*"}), "*1\r\n$4\r\necho\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "*0\r\n");
  EXPECT_EQ(Run({"COMMAND", "DOCS", "echo"}),
            "*2\r\n$4\r\necho\r\n*8\r\n$7\r\nsummary\r\n$25\r\nReturns the given string.\r\n"
            "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$10\r\nconnection\r\n"
            "$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
  std::string docs = Run({"COMMAND", "DOCS", "client"}, 3);
  EXPECT_NE(docs.find("$11\r\nsubcommands\r\n%"), std::string::npos);
  EXPECT_NE(docs.find("$11\r\nclient|list\r\n"), std::string::npos);
}

TEST_F(HandlerTest, SlowlogTimeDebugShutdownErrors) {
  EXPECT_EQ(Run({"SLOWLOG", "GET", "x"}), "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "-2"}), "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "0"}), "*0\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "LEN", "x"}),
            "-ERR wrong number of arguments for 'slowlog|len' command\r\n");
  EXPECT_EQ(Run({"SLOWLOG", "foo"}), "-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n");
  std::string help = Run({"SLOWLOG", "HELP"});
  EXPECT_EQ(help.substr(0, 5), "*12\r\n");
  EXPECT_NE(help.find("+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"),
            std::string::npos);

  std::string t = Run({"TIME"});
  EXPECT_EQ(t.substr(0, 8), "*2\r\n$10\r");

  EXPECT_EQ(Run({"DEBUG", "SLEEP", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "x"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"DEBUG", "foo"}),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n");

  // Only error paths: a valid SHUTDOWN would stop this test process.
  EXPECT_EQ(Run({"SHUTDOWN", "ABORT"}), "-ERR No shutdown in progress.\r\n");
  EXPECT_EQ(Run({"SHUTDOWN", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SHUTDOWN", "SAVE", "NOSAVE"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SHUTDOWN", "ABORT", "NOW"}), "-ERR syntax error\r\n");
}

TEST_F(HandlerTest, ContainerSubcommandsAreRegistered) {
  for (const char* parent : {"client", "config", "command", "slowlog"}) {
    const auto* subs = SubcommandsOf(parent);
    ASSERT_NE(subs, nullptr) << parent;
    bool has_help = false;
    for (const auto& s : *subs) has_help |= std::string_view(s.name) == "help";
    EXPECT_TRUE(has_help) << parent;
  }
  EXPECT_EQ(SubcommandsOf("get"), nullptr);
}

}  // namespace
}  // namespace strata::kv
