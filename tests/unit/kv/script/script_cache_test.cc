// The EVAL engine's cache and the shebang line.
#include "kv/script/script_cache.h"

#include <gtest/gtest.h>

#include "kv/script/shebang.h"
#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;

class ScriptCacheTest : public ::testing::Test, public EvalFixture {};

TEST_F(ScriptCacheTest, LoadCachesBySha) {
  ScriptCache::LoadResult a = cache.Load("return 'up'");
  ASSERT_NE(a.entry, nullptr);
  EXPECT_EQ(a.entry->sha, "58054efbc95eea2c48e459152c07e3b1d3d44f87");
  EXPECT_EQ(cache.Load("return 'up'").entry, a.entry);  // compiled once
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.Exists("58054efbc95eea2c48e459152c07e3b1d3d44f87"));
  EXPECT_TRUE(cache.Exists("58054EFBC95EEA2C48E459152C07E3B1D3D44F87"));  // any case
  EXPECT_FALSE(cache.Exists("58054efbc95eea2c48e459152c07e3b1d3d44f87a"));
  EXPECT_FALSE(cache.Exists("abc"));
  const ScriptCache::Entry* e = cache.Find("58054EFBC95EEA2C48E459152C07E3B1D3D44F87");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(cache.Run(*e, {}, {}, 2, &fake.host).bytes, "$2\r\nup\r\n");
  EXPECT_EQ(cache.scripts_memory(), 11u);
  EXPECT_GT(cache.vm_memory(), 0u);
}

TEST_F(ScriptCacheTest, CompileErrorsAreNotCached) {
  EXPECT_EQ(Eval("return ("),
            "-ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'<eof>'\r\n");
  EXPECT_EQ(Eval("x x x"),
            "-ERR Error compiling script (new function): user_script:1: '=' expected near 'x'\r\n");
  EXPECT_EQ(Eval("return 1 --[["),
            "-ERR Error compiling script (new function): user_script:1: unfinished long comment "
            "near '<eof>'\r\n");
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ScriptCacheTest, FlushForgetsScriptsAndState) {
  ScriptCache::LoadResult a = cache.Load("return math.random(1000000)");
  ASSERT_NE(a.entry, nullptr);
  std::string sha = a.entry->sha;
  EXPECT_EQ(cache.Run(*a.entry, {}, {}, 2, &fake.host).bytes, ":396465\r\n");
  cache.Flush();
  EXPECT_FALSE(cache.Exists(sha));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.scripts_memory(), 0u);
  // A fresh VM: the generator starts over.
  EXPECT_EQ(Eval("return math.random(1000000)"), ":396465\r\n");
}

TEST_F(ScriptCacheTest, ShebangFlags) {
  ScriptCache::LoadResult r = cache.Load("return 1");
  ASSERT_NE(r.entry, nullptr);
  EXPECT_FALSE(r.entry->shebang.present);
  r = cache.Load("#!lua\nreturn 1");
  ASSERT_NE(r.entry, nullptr);
  EXPECT_TRUE(r.entry->shebang.present);
  EXPECT_EQ(r.entry->shebang.flags, 0u);
  r = cache.Load(
      "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1");
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->shebang.flags, uint32_t(kScriptNoWrites | kScriptAllowOom | kScriptAllowStale |
                                             kScriptNoCluster | kScriptAllowCrossSlotKeys));
  r = cache.Load("#!lua \"flags=no-writes\"  flags=allow-oom  \nreturn 1");
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->shebang.flags, uint32_t(kScriptNoWrites | kScriptAllowOom));
  EXPECT_EQ(Eval("#!lua flags=no-writes\nreturn 1"), ":1\r\n");
  EXPECT_EQ(Eval("#!lua flags=\nreturn 1"), ":1\r\n");
  // Line numbers count the shebang line.
  std::string body = "#!lua\nerror('x')";
  EXPECT_EQ(Eval(body), RuntimeError(body, "ERR user_script:2: x", 2));
}

TEST_F(ScriptCacheTest, ShebangErrors) {
  struct Case {
    const char* body;
    const char* reply;
  } cases[] = {
      {"#!lua flags=bad\nreturn 1", "-ERR Unexpected flag in script shebang: bad\r\n"},
      {"#!lua flags=no-writes,\nreturn 1", "-ERR Unexpected flag in script shebang: \r\n"},
      {"#!lua flags=NO-WRITES\nreturn 1", "-ERR Unexpected flag in script shebang: NO-WRITES\r\n"},
      {"#!lua flags=no-writes\"x\"\nreturn 1",
       "-ERR Unexpected flag in script shebang: no-writesx\r\n"},
      {"#!lua name=foo\nreturn 1", "-ERR Unknown lua shebang option: name=foo\r\n"},
      {"#!lua Flags=no-writes\nreturn 1", "-ERR Unknown lua shebang option: Flags=no-writes\r\n"},
      {"#!python\nreturn 1", "-ERR Unexpected engine in script shebang: #!python\r\n"},
      {"#!LUA\nreturn 1", "-ERR Unexpected engine in script shebang: #!LUA\r\n"},
      {"#! lua\nreturn 1", "-ERR Unexpected engine in script shebang: #!\r\n"},
      {"#!lua", "-ERR Invalid script shebang\r\n"},
      {"#!lua \"flags\nreturn 1", "-ERR Invalid engine in script shebang\r\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(Eval(c.body), c.reply) << c.body;
  EXPECT_EQ(cache.size(), 0u);
}

TEST(SplitArgs, RedisQuoting) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitArgs("  a  \"b c\" 'd e' f\"g\"", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "b c", "d e", "fg"}));
  ASSERT_TRUE(SplitArgs("\"\\x41\\n\\t\\\\\" 'it\\'s'", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"A\n\t\\", "it's"}));
  ASSERT_TRUE(SplitArgs("", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(SplitArgs("\"unterminated", &out));
  EXPECT_FALSE(SplitArgs("\"a\"b", &out));  // a closing quote must end the argument
  EXPECT_FALSE(SplitArgs("'a'b", &out));
}

TEST(ScriptFlags, NamesAndLookup) {
  uint32_t f = 0;
  EXPECT_TRUE(LookupScriptFlag("no-writes", false, &f));
  EXPECT_EQ(f, uint32_t(kScriptNoWrites));
  EXPECT_FALSE(LookupScriptFlag("NO-WRITES", false, &f));
  EXPECT_TRUE(LookupScriptFlag("NO-WRITES", true, &f));
  EXPECT_EQ(ScriptFlagStrings(kScriptAllowCrossSlotKeys | kScriptNoWrites),
            (std::vector<std::string>{"no-writes", "allow-cross-slot-keys"}));
}

}  // namespace
}  // namespace strata::kv::script
