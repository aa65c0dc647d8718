// The function engine: FUNCTION LOAD metadata and registration errors, calls, and the load
// environment. Expected texts are Redis 7.0.15's.
#include "kv/script/function_registry.h"

#include <gtest/gtest.h>

#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::FakeHost;

class FunctionRegistryTest : public ::testing::Test {
 protected:
  // The FUNCTION LOAD reply: the library name as a bulk string, or the error.
  std::string Load(std::string_view payload, bool replace = false) {
    FunctionRegistry::LoadResult r = registry.Load(payload, replace, &fake.host);
    if (!r.ok) return "-" + r.error + "\r\n";
    return "$" + std::to_string(r.library.size()) + "\r\n" + r.library + "\r\n";
  }
  std::string LoadLib(std::string_view code) {
    return Load("#!lua name=lib\n" + std::string(code), true);
  }
  std::string Call(std::string_view name, std::vector<std::string_view> keys = {},
                   std::vector<std::string_view> args = {}, int resp = 2) {
    const FunctionRegistry::Function* f = registry.FindFunction(name);
    if (!f) return "-ERR Function not found\r\n";
    return registry.Call(*f, keys, args, resp, &fake.host).bytes;
  }
  static std::string RegErr(std::string_view msg) {
    return "-ERR Error registering functions: ERR " + std::string(msg) + "\r\n";
  }

  FunctionRegistry registry;
  FakeHost fake;
};

TEST_F(FunctionRegistryTest, LoadAndCall) {
  EXPECT_EQ(Load("#!lua name=lib1\n"
                 "redis.register_function('f1', function(keys, args) return {keys, args} end)"),
            "$4\r\nlib1\r\n");
  EXPECT_EQ(Call("f1", {"k1", "k2"}, {"a1"}),
            "*2\r\n*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n*1\r\n$2\r\na1\r\n");
  EXPECT_EQ(Call("F1"), "*2\r\n*0\r\n*0\r\n");  // function names ignore case
  EXPECT_EQ(Call("nosuch"), "-ERR Function not found\r\n");
  const FunctionRegistry::Library* lib = registry.FindLibrary("lib1");
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->functions, std::vector<std::string>{"f1"});
  EXPECT_EQ(lib->engine, "LUA");
  EXPECT_EQ(registry.FindLibrary("LIB1"), nullptr);  // library names do not
}

TEST_F(FunctionRegistryTest, LibraryConflicts) {
  ASSERT_EQ(Load("#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"),
            "$4\r\nlib1\r\n");
  EXPECT_EQ(Load("#!lua name=lib1\nredis.register_function('f1', function() return 2 end)"),
            "-ERR Library 'lib1' already exists\r\n");
  // Checked before compiling.
  EXPECT_EQ(Load("#!lua name=lib1\nreturn ("), "-ERR Library 'lib1' already exists\r\n");
  EXPECT_EQ(Load("#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"),
            "-ERR Function f1 already exists\r\n");
  EXPECT_EQ(Load("#!lua name=lib2\nredis.register_function('F1', function() return 1 end)"),
            "-ERR Function F1 already exists\r\n");
  EXPECT_EQ(registry.FindLibrary("lib2"), nullptr);
  // REPLACE swaps the library; a failing replacement keeps the old one.
  EXPECT_EQ(Load("#!lua name=lib1\nreturn (", true),
            "-ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'\r\n");
  EXPECT_EQ(Call("f1"), ":1\r\n");
  EXPECT_EQ(Load("#!lua name=lib1\nredis.register_function('f2', function() return 2 end)", true),
            "$4\r\nlib1\r\n");
  EXPECT_EQ(Call("f1"), "-ERR Function not found\r\n");
  EXPECT_EQ(Call("f2"), ":2\r\n");
  EXPECT_TRUE(registry.Delete("lib1"));
  EXPECT_FALSE(registry.Delete("lib1"));
  EXPECT_EQ(Call("f2"), "-ERR Function not found\r\n");
}

TEST_F(FunctionRegistryTest, MetadataErrors) {
  struct Case {
    const char* payload;
    const char* reply;
  } cases[] = {
      {"return 1", "-ERR Missing library metadata\r\n"},
      {"#!lua name=x", "-ERR Invalid library metadata\r\n"},
      {"#!lua\nreturn 1", "-ERR Library name was not given\r\n"},
      {"#!lua name=a-b\nreturn 1",
       "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
       "least one character long\r\n"},
      {"#!lua name=\nreturn 1",
       "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
       "least one character long\r\n"},
      {"#!python name=a-b\nreturn 1",
       "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
       "least one character long\r\n"},
      {"#!lua name=x flags=no-writes\nreturn 1",
       "-ERR Invalid metadata value given: flags=no-writes\r\n"},
      {"#!lua name=x name=y\nreturn 1",
       "-ERR Invalid metadata value, name argument was given multiple times\r\n"},
      {"#!python name=x\nreturn 1", "-ERR Engine 'python' not found\r\n"},
      {"#!lua name=x\nreturn 1", "-ERR No functions registered\r\n"},
      {"#!lua name=x\nreturn (",
       "-ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'\r\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(Load(c.payload), c.reply) << c.payload;
  EXPECT_TRUE(registry.libraries().empty());
  // Engine and "name=" ignore case; quoting works as in shebangs.
  EXPECT_EQ(Load("#!LUA NAME=up1\nredis.register_function('up1', function() return 1 end)"),
            "$3\r\nup1\r\n");
  EXPECT_EQ(Load("#!lua  \"name=q1\"  \nredis.register_function('q1', function() return 1 end)"),
            "$2\r\nq1\r\n");
}

TEST_F(FunctionRegistryTest, RegistrationErrors) {
  struct Case {
    const char* code;
    const char* msg;
  } cases[] = {
      {"redis.register_function()", "wrong number of arguments to redis.register_function"},
      {"redis.register_function('g1', function() end, 'x')",
       "wrong number of arguments to redis.register_function"},
      {"redis.register_function('g1')",
       "calling redis.register_function with a single argument is only applicable to Lua table "
       "(representing named arguments)."},
      {"redis.register_function({}, function() end)",
       "first argument to redis.register_function must be a string"},
      {"redis.register_function('g1', 'x')",
       "second argument to redis.register_function must be a function"},
      {"redis.register_function('f-1', function() end)",
       "Library names can only contain letters, numbers, or underscores(_) and must be at least "
       "one character long"},
      {"redis.register_function('', function() end)",
       "Library names can only contain letters, numbers, or underscores(_) and must be at least "
       "one character long"},
      {"redis.register_function('g1', function() end) redis.register_function('g1', function() "
       "end)",
       "Function already exists in the library"},
      {"redis.register_function{function_name='g1'}",
       "redis.register_function must get a callback argument"},
      {"redis.register_function{callback=function() end}",
       "redis.register_function must get a function name argument"},
      {"redis.register_function{function_name='g1', callback=1}",
       "callback argument given to redis.register_function must be a function"},
      {"redis.register_function{function_name={}, callback=function() end}",
       "function_name argument given to redis.register_function must be a string"},
      {"redis.register_function{function_name='g', callback=function() end, description={}}",
       "description argument given to redis.register_function must be a string"},
      {"redis.register_function{function_name='g1', callback=function() end, flags='no-writes'}",
       "flags argument to redis.register_function must be a table representing function flags"},
      {"redis.register_function{function_name='g1', callback=function() end, flags={'bad'}}",
       "unknown flag given"},
      {"redis.register_function{function_name='g1', callback=function() end, flags={1}}",
       "unknown flag given"},
      {"redis.register_function{function_name='g1', callback=function() end, extra=1}",
       "unknown argument given to redis.register_function"},
      {"redis.register_function{[1]='x', function_name='g1', callback=function() end}",
       "unknown argument given to redis.register_function"},
  };
  for (const Case& c : cases) EXPECT_EQ(LoadLib(c.code), RegErr(c.msg)) << c.code;
  EXPECT_TRUE(registry.functions().empty());
}

TEST_F(FunctionRegistryTest, RegistrationForms) {
  ASSERT_EQ(LoadLib("redis.register_function{FUNCTION_NAME='g1', CallBack=function() return 1 "
                    "end, flags={'NO-WRITES', 'allow-oom', 'no-writes'}, description='hello'}\n"
                    "redis.register_function(2, function() return 2 end)\n"
                    "redis.register_function{function_name='g3', callback=function() end, "
                    "flags={no=1}, description=5}"),
            "$3\r\nlib\r\n");
  const FunctionRegistry::Function* g1 = registry.FindFunction("g1");
  ASSERT_NE(g1, nullptr);
  EXPECT_EQ(g1->flags, uint32_t(kScriptNoWrites | kScriptAllowOom));
  EXPECT_EQ(g1->description, "hello");
  EXPECT_EQ(registry.FindFunction("2")->flags, 0u);  // a number name is its string
  EXPECT_FALSE(registry.FindFunction("2")->description.has_value());
  EXPECT_EQ(registry.FindFunction("g3")->description, "5");
  EXPECT_EQ(registry.FindLibrary("lib")->functions, (std::vector<std::string>{"g1", "2", "g3"}));
}

TEST_F(FunctionRegistryTest, LoadEnvironment) {
  // Only register_function, log and the constants exist while the library loads.
  const char* missing[][2] = {{"redis.call('ping')", "call"},
                              {"return redis.pcall('ping')", "pcall"},
                              {"redis.setresp(3)", "setresp"},
                              {"error('boom')", "error"},
                              {"local t = {} for k in pairs(redis) do end", "pairs"},
                              {"return y", "y"},
                              {"return KEYS", "KEYS"},
                              {"return string", "string"},
                              {"return _G", "_G"}};
  for (auto& m : missing) {
    EXPECT_EQ(LoadLib(m[0]),
              RegErr(std::string("user_function:2: Script attempted to access nonexistent global "
                                 "variable '") +
                     m[1] + "'"))
        << m[0];
  }
  EXPECT_EQ(LoadLib("x = 1"), RegErr("user_function:2: Attempt to modify a readonly table"));
  EXPECT_EQ(LoadLib("redis.log(redis.LOG_WARNING, 'loading', redis.REDIS_VERSION) "
                    "redis.register_function('g1', function() return 1 end)"),
            "$3\r\nlib\r\n");
  ASSERT_FALSE(fake.logs.empty());
  EXPECT_EQ(fake.logs.back().second, "loading 7.0.15");
}

TEST_F(FunctionRegistryTest, RuntimeEnvironment) {
  ASSERT_EQ(LoadLib("local n = 0\n"
                    "redis.register_function('count', function() n = n + 1 return n end)\n"
                    "redis.register_function('x', function() return x end)\n"
                    "redis.register_function('keys', function() return KEYS end)\n"
                    "redis.register_function('globals', function() local t = 0 "
                    "for k in pairs(_G) do t = t + 1 end "
                    "return {t, type(rawget(_G, 'pairs')), type(getmetatable(_G))} end)\n"
                    "redis.register_function('api', function() local t = {} for k in "
                    "pairs(redis) do t[#t+1] = k end table.sort(t) return table.concat(t, ' ') "
                    "end)\n"
                    "redis.register_function('call', function(k, a) "
                    "return redis.call('get', k[1]) end)\n"
                    "redis.register_function('boom', function() error('boom') end)\n"
                    "redis.register_function('ro', function() redis.call = 1 end)"),
            "$3\r\nlib\r\n");
  EXPECT_EQ(Call("count"), ":1\r\n");
  EXPECT_EQ(Call("count"), ":2\r\n");  // library state persists between calls
  EXPECT_EQ(Call("x"),
            "-ERR user_function:4: Script attempted to access nonexistent global "
            "variable 'x' script: x, on @user_function:4.\r\n");
  EXPECT_EQ(Call("keys"),
            "-ERR user_function:5: Script attempted to access nonexistent global "
            "variable 'KEYS' script: keys, on @user_function:5.\r\n");
  EXPECT_EQ(Call("globals"), "*3\r\n:32\r\n$8\r\nfunction\r\n$5\r\ntable\r\n");
  EXPECT_EQ(Call("api"),
            "$207\r\nLOG_DEBUG LOG_NOTICE LOG_VERBOSE LOG_WARNING REDIS_VERSION REDIS_VERSION_NUM "
            "REPL_ALL REPL_AOF REPL_NONE REPL_REPLICA REPL_SLAVE acl_check_cmd call error_reply "
            "log pcall set_repl setresp sha1hex status_reply\r\n");
  fake.Reply("GET k1", "$2\r\nv1\r\n");
  EXPECT_EQ(Call("call", {"k1"}), "$2\r\nv1\r\n");
  EXPECT_EQ(Call("boom"), "-ERR user_function:9: boom script: boom, on @user_function:9.\r\n");
  EXPECT_EQ(Call("ro"),
            "-ERR user_function:10: Attempt to modify a readonly table script: ro, "
            "on @user_function:10.\r\n");
}

TEST_F(FunctionRegistryTest, FlushDropsEverything) {
  ASSERT_EQ(LoadLib("redis.register_function('g1', function() return 1 end)"), "$3\r\nlib\r\n");
  registry.Flush();
  EXPECT_TRUE(registry.libraries().empty());
  EXPECT_TRUE(registry.functions().empty());
  EXPECT_EQ(Call("g1"), "-ERR Function not found\r\n");
  EXPECT_EQ(LoadLib("redis.register_function('g1', function() return 2 end)"), "$3\r\nlib\r\n");
  EXPECT_EQ(Call("g1"), ":2\r\n");
}

}  // namespace
}  // namespace strata::kv::script
