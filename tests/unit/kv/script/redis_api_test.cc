// The redis.* API: argument checks, call vs pcall, the error format of failed scripts, and the
// small helpers. Expected texts are Redis 7.0.15's.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;

class RedisApiTest : public ::testing::Test, public EvalFixture {
 protected:
  std::string Err(std::string_view body, std::string_view msg, int line = 1) {
    return RuntimeError(body, msg, line);
  }
};

TEST_F(RedisApiTest, CallSendsArgvToTheHost) {
  fake.Reply("SET k v", "+OK\r\n");
  EXPECT_EQ(Eval("return redis.call('SET', KEYS[1], ARGV[1])", {"k"}, {"v"}), "+OK\r\n");
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].argv, (std::vector<std::string>{"SET", "k", "v"}));
  EXPECT_EQ(fake.calls[0].resp, 2);
}

TEST_F(RedisApiTest, NumbersAreFormattedLikeRedis) {
  Eval("redis.call('set', 'n', 0.1, 3, 1e100, 1/0, 2^53)");
  ASSERT_EQ(fake.calls.size(), 1u);
  EXPECT_EQ(fake.calls[0].argv, (std::vector<std::string>{"set", "n", "0.10000000000000001", "3",
                                                          "1e+100", "inf", "9007199254740992"}));
  // (In Lua 5.1 -0.0 and 0 share one constant slot, so -0.0 gets a script of its own.)
  Eval("redis.call('set', 'n', -0.0)");
  EXPECT_EQ(fake.calls[1].argv[2], "-0");
  Eval("redis.call('set', 'k\\0z', 'v\\0w')");
  EXPECT_EQ(fake.calls[2].argv[1], std::string("k\0z", 3));
  EXPECT_EQ(fake.calls[2].argv[2], std::string("v\0w", 3));
}

TEST_F(RedisApiTest, ArgumentErrors) {
  std::string body = "return redis.call()";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR Please specify at least one argument for this redis lib call"));
  EXPECT_EQ(Eval("return redis.pcall()"),
            "-ERR Please specify at least one argument for this redis lib call\r\n");
  for (const char* b : {"return redis.call({})", "return redis.call('get', {})",
                        "return redis.call('get', true)", "return redis.call('get', nil)"}) {
    EXPECT_EQ(Eval(b), Err(b, "ERR Lua redis lib command arguments must be strings or integers"))
        << b;
  }
  EXPECT_EQ(Eval("return redis.pcall('get', {})"),
            "-ERR Lua redis lib command arguments must be strings or integers\r\n");
  EXPECT_TRUE(fake.calls.empty());  // nothing reached the server
}

TEST_F(RedisApiTest, CallRaisesPcallReturns) {
  fake.Reply("INCR s", "-ERR value is not an integer or out of range\r\n");
  fake.Reply("GET h", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  std::string body = "return redis.call('incr','s')";
  EXPECT_EQ(Eval(body), Err(body, "ERR value is not an integer or out of range"));
  EXPECT_EQ(Eval("return redis.pcall('incr','s')"),
            "-ERR value is not an integer or out of range\r\n");
  body = "\nlocal x = 1\nreturn redis.call('get','h')";
  EXPECT_EQ(Eval(body),
            Err(body, "WRONGTYPE Operation against a key holding the wrong kind of value", 3));
  EXPECT_EQ(
      Eval(
          "local e = redis.pcall('get','h') return {e.err, tostring(e.ignore_error_stats_update)}"),
      "*2\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n"
      "$4\r\ntrue\r\n");
  ScriptReply r = EvalReply("return redis.call('incr','s')");
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(r.error_stats_counted);
  // Not raised for a successful reply.
  EXPECT_EQ(Eval("return redis.pcall('ping')"), "+OK\r\n");
}

TEST_F(RedisApiTest, UncaughtErrorFormats) {
  std::string body = "error('foo')";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: foo"));
  body = "error({err='foo'})";
  EXPECT_EQ(Eval(body), Err(body, "foo"));  // a table error is sent as written
  body = "error({err='XX foo'})";
  EXPECT_EQ(Eval(body), Err(body, "XX foo"));
  body = "error('foo', 0)";
  EXPECT_EQ(Eval(body), Err(body, "ERR foo"));
  body = "error()";
  EXPECT_EQ(Eval(body), Err(body, "ERR nil"));
  body = "error(true)";
  EXPECT_EQ(Eval(body), Err(body, "ERR true"));
  body = "error(12)";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: 12"));
  body = "error({err=5})";
  EXPECT_EQ(Eval(body), Err(body, "5"));
  body = "error({err='x', source='y', line=3})";  // the handler's own position wins
  EXPECT_EQ(Eval(body), Err(body, "x"));
  body = "error('x', 2)";
  EXPECT_EQ(Eval(body), Err(body, "ERR x"));
  body = "error('a\\nb\\r\\nc')";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: a b  c"));
  body = "error('a\\0b')";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: a"));
  body = "error(string.rep('x', 300))";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: " + std::string(300, 'x')));
  body = "return assert(false)";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: assertion failed!"));
  body = "error(redis.error_reply('MY err'))";
  EXPECT_EQ(Eval(body), Err(body, "MY err"));
  // A table without a message: Redis 7.0.15 crashes here; Strata reports a generic failure.
  body = "error({})";
  EXPECT_EQ(Eval(body), "-ERR Error running script " + Sha1Hex(body) + ", execution failure\r\n");
}

TEST_F(RedisApiTest, ErrorAndStatusReplies) {
  EXPECT_EQ(Eval("return redis.error_reply('foo')"), "-ERR foo\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('-foo')"), "-ERR foo\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('-XX foo')"), "-XX foo\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('XX foo')"), "-XX foo\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('a\\nb\\n')"), "-ERR a b\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('a\\0b')"), "-ERR a\r\n");
  EXPECT_EQ(Eval("return redis.error_reply(1)"), "-ERR wrong number or type of arguments\r\n");
  EXPECT_EQ(Eval("return redis.error_reply()"), "-ERR wrong number or type of arguments\r\n");
  EXPECT_EQ(Eval("return redis.error_reply('x').err"), "$5\r\nERR x\r\n");
  EXPECT_EQ(Eval("return redis.status_reply('foo')"), "+foo\r\n");
  EXPECT_EQ(Eval("return redis.status_reply('a\\0b')"), "+a\r\n");
  EXPECT_EQ(Eval("return #redis.status_reply('a\\0b').ok"), ":3\r\n");
  EXPECT_EQ(Eval("return redis.status_reply(1)"), "-ERR wrong number or type of arguments\r\n");
}

TEST_F(RedisApiTest, SetResp) {
  std::string body = "return redis.setresp()";
  EXPECT_EQ(Eval(body), Err(body, "ERR redis.setresp() requires one argument."));
  body = "return redis.setresp(2, 3)";
  EXPECT_EQ(Eval(body), Err(body, "ERR redis.setresp() requires one argument."));
  body = "return redis.setresp(4)";
  EXPECT_EQ(Eval(body), Err(body, "ERR RESP version must be 2 or 3."));
  body = "return redis.setresp('x')";
  EXPECT_EQ(Eval(body), Err(body, "ERR RESP version must be 2 or 3."));
  EXPECT_EQ(Eval("return redis.setresp('3')"), "$-1\r\n");
  EXPECT_EQ(Eval("local ok, e = pcall(redis.setresp) return e"),
            "$42\r\nERR redis.setresp() requires one argument.\r\n");
}

TEST_F(RedisApiTest, Log) {
  EXPECT_EQ(Eval("return redis.log(redis.LOG_WARNING, 'hello', 1, 2.5)"), "$-1\r\n");
  EXPECT_EQ(Eval("redis.log(redis.LOG_DEBUG, {}, 'x')"), "$-1\r\n");
  EXPECT_EQ(Eval("redis.log('1', 'verbose')"), "$-1\r\n");
  ASSERT_EQ(fake.logs.size(), 3u);
  EXPECT_EQ(fake.logs[0], std::make_pair(ScriptLogLevel::kWarning, std::string("hello 1 2.5")));
  // Non-strings are skipped but the separator is still written.
  EXPECT_EQ(fake.logs[1], std::make_pair(ScriptLogLevel::kDebug, std::string(" x")));
  EXPECT_EQ(fake.logs[2], std::make_pair(ScriptLogLevel::kVerbose, std::string("verbose")));
  std::string body = "return redis.log()";
  EXPECT_EQ(Eval(body), Err(body, "ERR redis.log() requires two arguments or more."));
  body = "return redis.log(1)";
  EXPECT_EQ(Eval(body), Err(body, "ERR redis.log() requires two arguments or more."));
  body = "return redis.log('x', 'y')";
  EXPECT_EQ(Eval(body), Err(body, "ERR First argument must be a number (log level)."));
  body = "return redis.log(9, 'y')";
  EXPECT_EQ(Eval(body), Err(body, "ERR Invalid debug level."));
  EXPECT_EQ(
      Eval("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
      "*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n");
}

TEST_F(RedisApiTest, Sha1Hex) {
  EXPECT_EQ(Eval("return redis.sha1hex('')"),
            "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  EXPECT_EQ(Eval("return redis.sha1hex('abc')"),
            "$40\r\na9993e364706816aba3e25717850c26c9cd0d89d\r\n");
  EXPECT_EQ(Eval("return redis.sha1hex(1)"), "$40\r\n356a192b7913b04c54574d18c28d46e6395428ab\r\n");
  EXPECT_EQ(Eval("return redis.sha1hex({})"),
            "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  EXPECT_EQ(Eval("return redis.sha1hex('a\\0b')"),
            "$40\r\n4a3dec2d1f8245280855c42db0ee4239f917fdb8\r\n");
  std::string body = "return redis.sha1hex()";
  EXPECT_EQ(Eval(body), Err(body, "ERR wrong number of arguments"));
  body = "return redis.sha1hex('a', 'b')";
  EXPECT_EQ(Eval(body), Err(body, "ERR wrong number of arguments"));
}

TEST_F(RedisApiTest, ReplicationAndDebuggerStubs) {
  EXPECT_EQ(Eval("return redis.replicate_commands()"), ":1\r\n");
  EXPECT_EQ(Eval("return redis.breakpoint()"), "$-1\r\n");
  EXPECT_EQ(Eval("return redis.debug('x')"), "$-1\r\n");
  EXPECT_EQ(Eval("return redis.set_repl(redis.REPL_ALL)"), "$-1\r\n");
  EXPECT_EQ(Eval("return redis.set_repl('x')"), "$-1\r\n");
  std::string body = "return redis.set_repl()";
  EXPECT_EQ(Eval(body), Err(body, "ERR redis.set_repl() requires two arguments."));
  body = "return redis.set_repl(9)";
  EXPECT_EQ(Eval(body), Err(body,
                            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, "
                            "REPL_ALL or REPL_NONE."));
  EXPECT_EQ(Eval("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, "
                 "redis.REPL_ALL}"),
            "*5\r\n:0\r\n:1\r\n:2\r\n:2\r\n:3\r\n");
  EXPECT_EQ(Eval("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"),
            "*2\r\n$6\r\n7.0.15\r\n:458767\r\n");
}

TEST_F(RedisApiTest, AclCheckCmd) {
  fake.denied["set"] = true;
  EXPECT_EQ(Eval("return redis.acl_check_cmd('get', 'x')"), ":1\r\n");
  EXPECT_EQ(Eval("return redis.acl_check_cmd('set', 'x', 1)"), "$-1\r\n");
  std::string body = "return redis.acl_check_cmd('nosuch')";
  EXPECT_EQ(Eval(body), Err(body, "ERR Invalid command passed to redis.acl_check_cmd()"));
  body = "return redis.acl_check_cmd()";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR Please specify at least one argument for this redis lib call"));
  body = "return redis.acl_check_cmd({})";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR Lua redis lib command arguments must be strings or integers"));
}

}  // namespace
}  // namespace strata::kv::script
