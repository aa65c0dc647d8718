// Stopping scripts: the abort poll (SCRIPT KILL / FUNCTION KILL), the FUNCTION LOAD timeout and
// the Lua heap limit.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;
using testing::FakeHost;

VmOptions FastHook() {
  VmOptions o;
  o.hook_interval = 1000;
  return o;
}

const char kKilled[] = "ERR Script killed by user with SCRIPT KILL...";

TEST(KillTest, InfiniteLoopIsKilled) {
  EvalFixture f(FastHook());
  f.fake.abort_after = 5;
  std::string body = "while true do end";
  ScriptReply r = f.EvalReply(body);
  EXPECT_EQ(r.bytes, EvalFixture::RuntimeError(body, kKilled));
  EXPECT_TRUE(r.is_error);
  EXPECT_FALSE(r.error_stats_counted);
  EXPECT_EQ(f.fake.polls, 6);
  // The VM is usable afterwards and the next script is not killed by leftover state.
  f.fake.abort_after = -1;
  EXPECT_EQ(f.Eval("local n = 0 for i = 1, 100000 do n = n + i end return n"), ":5000050000\r\n");
}

TEST(KillTest, PcallCannotSwallowTheKill) {
  EvalFixture f(FastHook());
  f.fake.abort_after = 3;
  std::string body =
      "local x = 0\nwhile true do pcall(function() while true do x = x + 1 end end) end";
  EXPECT_EQ(f.Eval(body), EvalFixture::RuntimeError(body, kKilled, 2));
  body =
      "local ok, e\nfor i = 1, 10 do ok, e = pcall(function() while true do end end) end\n"
      "return e";
  f.fake.polls = 0;
  EXPECT_EQ(f.Eval(body).substr(0, 47), "-ERR Script killed by user with SCRIPT KILL... ");
}

TEST(KillTest, CoroutinesAreKilledToo) {
  EvalFixture f(FastHook());
  f.fake.abort_after = 3;
  std::string body =
      "local co = coroutine.create(function() while true do end end)\n"
      "while true do coroutine.resume(co) end";
  EXPECT_EQ(f.Eval(body).substr(0, 47), "-ERR Script killed by user with SCRIPT KILL... ");
}

TEST(KillTest, TailCallLoopIsKilled) {
  EvalFixture f(FastHook());
  f.fake.abort_after = 2;
  std::string body = "local function f() return f() end return f()";
  EXPECT_EQ(f.Eval(body), EvalFixture::RuntimeError(body, kKilled));
}

TEST(KillTest, FunctionsAreKilledWithTheSameMessage) {
  FunctionRegistry registry(FastHook());
  FakeHost fake;
  ASSERT_TRUE(registry
                  .Load("#!lua name=inf\nredis.register_function('inf', function() "
                        "while true do end end)",
                        false, &fake.host)
                  .ok);
  fake.abort_after = 2;
  EXPECT_EQ(registry.Call(*registry.FindFunction("inf"), {}, {}, 2, &fake.host).bytes,
            "-ERR Script killed by user with SCRIPT KILL... script: inf, on @user_function:2.\r\n");
}

TEST(KillTest, LibraryLoadTimesOut) {
  VmOptions o = FastHook();
  o.load_timeout = std::chrono::milliseconds(50);
  FunctionRegistry registry(o);
  FakeHost fake;
  fake.abort_after = 0;  // not consulted while loading
  auto start = std::chrono::steady_clock::now();
  FunctionRegistry::LoadResult r = registry.Load(
      "#!lua name=slow\nredis.register_function('f', function() end) while true do end", false,
      &fake.host);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "ERR Error registering functions: ERR FUNCTION LOAD timeout");
  EXPECT_EQ(fake.polls, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(registry.functions().empty());
  fake.abort_after = -1;
  EXPECT_TRUE(registry
                  .Load("#!lua name=ok\nredis.register_function('f', function() return 1 "
                        "end)",
                        false, &fake.host)
                  .ok);
}

TEST(MemoryLimitTest, RunawayAllocationFailsCleanly) {
  VmOptions o;
  o.memory_limit = 8 << 20;
  EvalFixture f(o);
  std::string body = "local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 100) .. i end";
  EXPECT_EQ(f.Eval(body), "-ERR Error running script " + Sha1Hex(body) + ", not enough memory\r\n");
  EXPECT_EQ(f.Eval("return #string.rep('x', 1e9)").substr(0, 26), "-ERR Error running script ");
  // pcall catches it like any error; the heap is usable again afterwards.
  EXPECT_EQ(f.Eval("return {pcall(string.rep, 'x', 1e9)}"),
            "*2\r\n$-1\r\n$17\r\nnot enough memory\r\n");
  EXPECT_EQ(f.Eval("return #string.rep('x', 1000)"), ":1000\r\n");
  EXPECT_LT(f.cache.vm_memory(), size_t(8 << 20));
}

TEST(MemoryLimitTest, HostRepliesAreConvertedEvenAtTheLimit) {
  VmOptions o;
  o.memory_limit = 4 << 20;
  EvalFixture f(o);
  std::string big = "*20000\r\n";
  for (int i = 0; i < 20000; i++) big += "$10\r\n0123456789\r\n";
  f.fake.Reply("LRANGE l 0 -1", big);
  EXPECT_EQ(f.Eval("return #redis.call('lrange', 'l', 0, -1)"), ":20000\r\n");
}

}  // namespace
}  // namespace strata::kv::script
