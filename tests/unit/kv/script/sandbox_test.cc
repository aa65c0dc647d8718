// The sandbox: which globals exist, read-only globals and libraries, and the ways out of the
// sandbox that must stay shut. Expected texts are Redis 7.0.15's.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;

class SandboxTest : public ::testing::Test, public EvalFixture {
 protected:
  // The reply of a script that fails at line 1 with `msg`.
  std::string Err(std::string_view body, std::string_view msg) { return RuntimeError(body, msg); }
  std::string NoGlobal(std::string_view body, std::string_view name) {
    return Err(body, "ERR user_script:1: Script attempted to access nonexistent global variable '" +
                         std::string(name) + "'");
  }
};

TEST_F(SandboxTest, GlobalsAreExactlyRedisSet) {
  EXPECT_EQ(Eval("local t={} for k,v in pairs(_G) do t[#t+1]=k..':'..type(v) end "
                 "table.sort(t) return table.concat(t, ' ')"),
            "$548\r\nARGV:table KEYS:table _G:table _VERSION:string "
            "__redis__err__handler:function assert:function bit:table cjson:table "
            "cmsgpack:table collectgarbage:function coroutine:table error:function "
            "gcinfo:function getmetatable:function ipairs:function load:function "
            "loadstring:function math:table next:function pairs:function pcall:function "
            "rawequal:function rawget:function rawset:function redis:table select:function "
            "setmetatable:function string:table struct:table table:table tonumber:function "
            "tostring:function type:function unpack:function xpcall:function\r\n");
  EXPECT_EQ(Eval("local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) "
                 "return table.concat(t, ' ')"),
            "$243\r\nLOG_DEBUG LOG_NOTICE LOG_VERBOSE LOG_WARNING REDIS_VERSION "
            "REDIS_VERSION_NUM REPL_ALL REPL_AOF REPL_NONE REPL_REPLICA REPL_SLAVE acl_check_cmd "
            "breakpoint call debug error_reply log pcall replicate_commands set_repl setresp "
            "sha1hex status_reply\r\n");
  EXPECT_EQ(Eval("return _VERSION"), "$7\r\nLua 5.1\r\n");
}

TEST_F(SandboxTest, RemovedFunctionsAreUnknownGlobals) {
  for (const char* name : {"os", "io", "print", "loadfile", "dofile", "require", "package",
                           "module", "debug", "getfenv", "setfenv", "newproxy"}) {
    std::string body = std::string("return ") + name;
    EXPECT_EQ(Eval(body), NoGlobal(body, name)) << name;
  }
  std::string body = "os.execute('true')";
  EXPECT_EQ(Eval(body), NoGlobal(body, "os"));
  body = "io.open('/etc/passwd')";
  EXPECT_EQ(Eval(body), NoGlobal(body, "io"));
}

TEST_F(SandboxTest, UndeclaredGlobals) {
  std::string body = "return x";
  EXPECT_EQ(Eval(body), NoGlobal(body, "x"));
  body = "return _G.nosuch";
  EXPECT_EQ(Eval(body), NoGlobal(body, "nosuch"));
  EXPECT_EQ(Eval("return rawget(_G, 'nosuch')"), "$-1\r\n");
  EXPECT_EQ(Eval("return type(rawget(_G, 'pairs'))"), "$8\r\nfunction\r\n");
  // Missing fields of library tables are plain nils.
  EXPECT_EQ(Eval("return string.foo"), "$-1\r\n");
  EXPECT_EQ(Eval("return redis.nosuch"), "$-1\r\n");
  // Caught by pcall the message has the position and no code.
  EXPECT_EQ(Eval("local ok, e = pcall(function() return x end) return e"),
            "$73\r\nuser_script:1: Script attempted to access nonexistent global variable 'x'\r\n");
  // Calling the guard directly.
  body = "return getmetatable(_G).__index(1)";
  EXPECT_EQ(Eval(body), Err(body,
                            "ERR user_script:1: Wrong number of arguments to "
                            "luaProtectedTableError"));
}

TEST_F(SandboxTest, GlobalsAreReadOnly) {
  const std::string ro = "ERR user_script:1: Attempt to modify a readonly table";
  for (const char* body :
       {"x = 1", "KEYS = 1", "redis = nil", "_G.x = 1", "_G._G = 1", "print = function() end"}) {
    EXPECT_EQ(Eval(body), Err(body, ro)) << body;
  }
  EXPECT_EQ(Eval("local ok, e = pcall(function() x = 1 end) return e"),
            "$49\r\nuser_script:1: Attempt to modify a readonly table\r\n");
  // Raised inside C functions: no position.
  const std::string ro_c = "ERR Attempt to modify a readonly table";
  for (const char* body :
       {"rawset(_G, 'x', 1)", "setmetatable(_G, nil)", "setmetatable(string, {})",
        "table.insert(redis, 1)", "rawset(redis, 'call', 1)", "table.insert(_G, 1, 'x')"}) {
    EXPECT_EQ(Eval(body), Err(body, ro_c)) << body;
  }
  EXPECT_EQ(Eval("return rawequal(_G, _G._G)"), ":1\r\n");
  // Nothing leaked into the next script.
  std::string body = "return x";
  EXPECT_EQ(Eval(body), NoGlobal(body, "x"));
}

TEST_F(SandboxTest, LibrariesAreReadOnly) {
  const std::string ro = "ERR user_script:1: Attempt to modify a readonly table";
  for (const char* body :
       {"redis.call = 1", "string.foo = 1", "string.upper = string.lower", "cjson.encode = nil",
        "bit.band = nil", "struct.pack = nil", "cmsgpack.pack = nil", "math.random = nil",
        "table.sort = nil", "coroutine.yield = nil", "local s = string s.x = 1",
        "getmetatable('').__index.upper = nil", "getmetatable('').__index = nil",
        "getmetatable(_G).__index = nil"}) {
    EXPECT_EQ(Eval(body), Err(body, ro)) << body;
  }
  EXPECT_EQ(Eval("return ('abc'):upper()"), "$3\r\nABC\r\n");
  EXPECT_EQ(Eval("return type(getmetatable(''))"), "$5\r\ntable\r\n");
  EXPECT_EQ(Eval("return type(getmetatable(string))"), "$3\r\nnil\r\n");
  EXPECT_EQ(Eval("return type(getmetatable(_G).__index)"), "$8\r\nfunction\r\n");
  // Reads still see everything.
  EXPECT_EQ(Eval("local n = 0 for k in pairs(string) do n = n + 1 end return n"), ":15\r\n");
  EXPECT_EQ(Eval("local n = 0 table.foreach(math, function() n = n + 1 end) return n"), ":31\r\n");
  EXPECT_EQ(Eval("return type(next(redis))"), "$6\r\nstring\r\n");
  EXPECT_EQ(Eval("local f, s = pairs(_G) return rawequal(s, _G)"), ":1\r\n");
}

TEST_F(SandboxTest, KeysAndArgvAreFreshPlainTables) {
  EXPECT_EQ(Eval("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", {"k1", "k2"}, {"a1"}),
            "*4\r\n$2\r\nk1\r\n$2\r\na1\r\n:2\r\n:1\r\n");
  EXPECT_EQ(Eval("KEYS[1] = 'x' return KEYS", {"a"}), "*1\r\n$1\r\nx\r\n");
  EXPECT_EQ(Eval("table.insert(KEYS, 'z') return KEYS"), "*1\r\n$1\r\nz\r\n");
  EXPECT_EQ(Eval("return {#KEYS, #ARGV}"), "*2\r\n:0\r\n:0\r\n");
}

TEST_F(SandboxTest, PrecompiledChunksAreRejected) {
  EXPECT_EQ(Eval("local a, b = loadstring(string.dump(function() return 1 end)) return b"),
            "$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n");
  EXPECT_EQ(Eval("local d = string.dump(function() return 1 end) local sent "
                 "local a, b = load(function() if sent then return nil end sent = true "
                 "return d end) return b"),
            "$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n");
  // An EVAL body that is bytecode fails to compile the same way.
  std::string bytecode = "\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00";
  bytecode.resize(12);
  EXPECT_EQ(Eval(bytecode),
            "-ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'char(27)'\r\n");
}

TEST_F(SandboxTest, LoadstringCompilesTextInTheSandbox) {
  EXPECT_EQ(Eval("return loadstring('return 7')()"), ":7\r\n");
  EXPECT_EQ(Eval("local a, b = loadstring('return (') return b"),
            "$53\r\n[string \"return (\"]:1: unexpected symbol near '<eof>'\r\n");
  std::string body = "return loadstring('x=1')()";
  EXPECT_EQ(Eval(body), "-ERR [string \"x=1\"]:1: Attempt to modify a readonly table script: " +
                            Sha1Hex(body) + ", on x=1:1.\r\n");
  EXPECT_EQ(Eval("local p = {'return ', '4', '2'} local i = 0 "
                 "return load(function() i = i + 1 return p[i] end)()"),
            ":42\r\n");
}

TEST_F(SandboxTest, PcallReturnsRedisErrorMessages) {
  fake.Reply("NOSUCH", "-ERR Unknown Redis command called from script\r\n");
  EXPECT_EQ(Eval("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}"),
            "*2\r\n$5\r\nfalse\r\n$44\r\nERR Unknown Redis command called from script\r\n");
  EXPECT_EQ(Eval("return {pcall(error, {err='boo'})}"), "*2\r\n$-1\r\n$3\r\nboo\r\n");
  EXPECT_EQ(Eval("return {pcall(error, {err=7})}"), "*2\r\n$-1\r\n:7\r\n");
  EXPECT_EQ(Eval("return type(({pcall(error, {x=7})})[2])"), "$5\r\ntable\r\n");
  EXPECT_EQ(Eval("return {pcall(nil)}"), "*2\r\n$-1\r\n$27\r\nattempt to call a nil value\r\n");
  EXPECT_EQ(Eval("return {pcall(function(...) return select('#', ...) end, 1, 2, nil)}"),
            "*2\r\n:1\r\n:3\r\n");
  // xpcall is stock: its handler sees the error table.
  EXPECT_EQ(Eval("return type(({xpcall(function() redis.call('nosuch') end, "
                 "function(e) return e end)})[2])"),
            "$5\r\ntable\r\n");
}

TEST_F(SandboxTest, MathRandomIsRedisGenerator) {
  // Redis's 48-bit generator, seeded and unseeded.
  EXPECT_EQ(Eval("return math.random(1000000)"), ":396465\r\n");  // first draw of a fresh VM
  EXPECT_EQ(Eval("math.randomseed(12345) return {math.random(1000000), math.random(1000000)}"),
            "*2\r\n:225329\r\n:919184\r\n");
  EXPECT_EQ(Eval("math.randomseed(-3) return math.random(1000000)"), ":558422\r\n");
  EXPECT_EQ(Eval("math.randomseed(2^40) return math.random(1000000)"), ":170829\r\n");
  std::string body = "return math.random(0)";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR user_script:1: bad argument #1 to 'random' (interval is empty)"));
  body = "return math.random(1,2,3)";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: wrong number of arguments"));
}

TEST_F(SandboxTest, RuntimeErrorsCarryPositions) {
  std::string body = "return nil + 1";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR user_script:1: attempt to perform arithmetic on a nil value"));
  body = "local a = {} return a.b.c";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: attempt to index field 'b' (a nil value)"));
  body = "\n\nlocal function f() error('deep') end\nf()";
  EXPECT_EQ(Eval(body), RuntimeError(body, "ERR user_script:3: deep", 3));
  body = "local function f() return 1 + f() end return f()";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: stack overflow"));
  body = "local t = setmetatable({}, {__index=function(t,k) return t[k] end}) return t.x";
  EXPECT_EQ(Eval(body), Err(body, "ERR user_script:1: C stack overflow"));
}

}  // namespace
}  // namespace strata::kv::script
