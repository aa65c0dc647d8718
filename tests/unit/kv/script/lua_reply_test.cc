// Conversions between Lua values and RESP, both ways and in both protocols. Expected bytes are
// what Redis 7.0.15 sends for the same scripts.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "kv/script/lua_reply.h"
#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;

class LuaToRespTest : public ::testing::Test, public EvalFixture {};

TEST_F(LuaToRespTest, ScalarsResp2) {
  EXPECT_EQ(Eval("return 1"), ":1\r\n");
  EXPECT_EQ(Eval("return 3.9"), ":3\r\n");  // truncated toward zero
  EXPECT_EQ(Eval("return -3.9"), ":-3\r\n");
  EXPECT_EQ(Eval("return -0.5"), ":0\r\n");
  EXPECT_EQ(Eval("return 9007199254740993"), ":9007199254740992\r\n");
  // Out of the int64 range (and NaN) the C conversion yields INT64_MIN.
  EXPECT_EQ(Eval("return 1e20"), ":-9223372036854775808\r\n");
  EXPECT_EQ(Eval("return 0/0"), ":-9223372036854775808\r\n");
  EXPECT_EQ(Eval("return 2^63"), ":-9223372036854775808\r\n");
  EXPECT_EQ(Eval("return 'hello'"), "$5\r\nhello\r\n");
  EXPECT_EQ(Eval("return 'a\\0b'"), std::string("$3\r\na\0b\r\n", 9));
  EXPECT_EQ(Eval("return true"), ":1\r\n");
  EXPECT_EQ(Eval("return false"), "$-1\r\n");
  EXPECT_EQ(Eval("return nil"), "$-1\r\n");
  EXPECT_EQ(Eval("return"), "$-1\r\n");
  EXPECT_EQ(Eval("return type"), "$-1\r\n");  // functions have no reply form
  EXPECT_EQ(Eval("return coroutine.create(function() end)"), "$-1\r\n");
}

TEST_F(LuaToRespTest, ScalarsResp3Client) {
  EXPECT_EQ(Eval("return 3.9", {}, {}, 3), ":3\r\n");
  EXPECT_EQ(Eval("return true", {}, {}, 3), ":1\r\n");  // the script still speaks RESP2
  EXPECT_EQ(Eval("return false", {}, {}, 3), "_\r\n");
  EXPECT_EQ(Eval("return nil", {}, {}, 3), "_\r\n");
}

TEST_F(LuaToRespTest, BooleansFollowTheScriptsProtocol) {
  EXPECT_EQ(Eval("redis.setresp(3) return true"), ":1\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return false"), ":0\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return {true,false,nil}"), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return true", {}, {}, 3), "#t\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return false", {}, {}, 3), "#f\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return nil", {}, {}, 3), "_\r\n");
}

TEST_F(LuaToRespTest, Arrays) {
  EXPECT_EQ(Eval("return {}"), "*0\r\n");
  EXPECT_EQ(Eval("return {a=1}"), "*0\r\n");
  EXPECT_EQ(Eval("return {1,2,nil,3}"), "*2\r\n:1\r\n:2\r\n");  // stops at the first nil
  EXPECT_EQ(Eval("return {1,2,err=3}"), "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {1,{2,{3,'x'}},false,true}"),
            "*4\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n$-1\r\n:1\r\n");
  EXPECT_EQ(Eval("return {1,{2,{3,'x'}},false,true}", {}, {}, 3),
            "*4\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n_\r\n:1\r\n");
  EXPECT_EQ(Eval("return {1, 2, 3, 'ciao', {1, 2}}"),
            "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n");
}

TEST_F(LuaToRespTest, StatusAndErrorTables) {
  EXPECT_EQ(Eval("return {ok='fine'}"), "+fine\r\n");
  EXPECT_EQ(Eval("return {ok='a\\r\\nb'}"), "+a  b\r\n");
  EXPECT_EQ(Eval("return {ok=''}"), "+\r\n");
  EXPECT_EQ(Eval("return {ok='a\\0b'}"), "+a\r\n");  // C string: ends at NUL
  EXPECT_EQ(Eval("return {ok=1}"), "*0\r\n");        // not a string: an (empty) array
  // A returned error table is sent as is: no "ERR" is added.
  EXPECT_EQ(Eval("return {err='foo'}"), "-foo\r\n");
  EXPECT_EQ(Eval("return {err='XX foo'}"), "-XX foo\r\n");
  EXPECT_EQ(Eval("return {err=''}"), "-\r\n");
  EXPECT_EQ(Eval("return {err='a\\r\\nb\\n'}"), "-a  b\r\n");
  EXPECT_EQ(Eval("return {err='a\\0b'}"), "-a\r\n");
  EXPECT_EQ(Eval("return {err=1}"), "*0\r\n");
  EXPECT_EQ(Eval("return {err='x',ok='y'}"), "-x\r\n");  // err wins
  EXPECT_EQ(Eval("return {ok='y',double=1}"), "+y\r\n");
}

TEST_F(LuaToRespTest, ErrorFlags) {
  ScriptReply r = EvalReply("return {err='x'}");
  EXPECT_TRUE(r.is_error);
  EXPECT_FALSE(r.error_stats_counted);
  fake.Reply("INCR s", "-ERR value is not an integer or out of range\r\n");
  r = EvalReply("return redis.pcall('incr', 's')");
  EXPECT_EQ(r.bytes, "-ERR value is not an integer or out of range\r\n");
  EXPECT_TRUE(r.is_error);
  EXPECT_TRUE(r.error_stats_counted);  // the command counted it already
  EXPECT_FALSE(EvalReply("return {1}").is_error);
}

TEST_F(LuaToRespTest, Resp3TypesToResp2Client) {
  EXPECT_EQ(Eval("return {double=3.5}"), "$3\r\n3.5\r\n");
  EXPECT_EQ(Eval("return {double=3}"), "$1\r\n3\r\n");
  EXPECT_EQ(Eval("return {double=0.1}"), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(Eval("return {double=1/0}"), "$3\r\ninf\r\n");
  EXPECT_EQ(Eval("return {double=-0.0}"), "$2\r\n-0\r\n");
  EXPECT_EQ(Eval("return {double='3.5'}"), "*0\r\n");  // must be a number
  EXPECT_EQ(Eval("return {big_number='123456789012345678901234567890'}"),
            "$30\r\n123456789012345678901234567890\r\n");
  EXPECT_EQ(Eval("return {big_number='1\\r\\n2'}"), "$4\r\n1  2\r\n");
  EXPECT_EQ(Eval("return {verbatim_string={format='txt',string='hello'}}"), "$5\r\nhello\r\n");
  EXPECT_EQ(Eval("return {verbatim_string={format='txt'}}"), "*0\r\n");
  EXPECT_EQ(Eval("return {map={a=1}}"), "*2\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Eval("return {map={}}"), "*0\r\n");
  EXPECT_EQ(Eval("return {map={a=true,b=false}}"), "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n");
  EXPECT_EQ(Eval("return {map={[1.5]=2}}"), "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {set={a=true}}"), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(Eval("return {set={a=true,b=false}}"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST_F(LuaToRespTest, Resp3TypesToResp3Client) {
  EXPECT_EQ(Eval("return {double=3.5}", {}, {}, 3), ",3.5\r\n");
  EXPECT_EQ(Eval("return {double=1/0}", {}, {}, 3), ",inf\r\n");
  EXPECT_EQ(Eval("return {double=0.1}", {}, {}, 3), ",0.10000000000000001\r\n");
  EXPECT_EQ(Eval("return {big_number='1234'}", {}, {}, 3), "(1234\r\n");
  EXPECT_EQ(Eval("return {verbatim_string={format='txt',string='hello'}}", {}, {}, 3),
            "=9\r\ntxt:hello\r\n");
  // The format is cut or padded to three characters.
  EXPECT_EQ(Eval("return {verbatim_string={format='markdown',string='hello'}}", {}, {}, 3),
            "=9\r\nmar:hello\r\n");
  EXPECT_EQ(Eval("return {verbatim_string={format='a',string='hello'}}", {}, {}, 3),
            "=9\r\na  :hello\r\n");
  EXPECT_EQ(Eval("return {map={a=1}}", {}, {}, 3), "%1\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Eval("return {map={}}", {}, {}, 3), "%0\r\n");
  EXPECT_EQ(Eval("return {map={a=true,b=false}}", {}, {}, 3),
            "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n");
  EXPECT_EQ(Eval("return {set={a=true}}", {}, {}, 3), "~1\r\n$1\r\na\r\n");
  EXPECT_EQ(Eval("return {map={k={set={x=true}}}}", {}, {}, 3),
            "%1\r\n$1\r\nk\r\n~1\r\n$1\r\nx\r\n");
}

TEST_F(LuaToRespTest, SelfReferenceHitsTheStackLimit) {
  // Redis answers "reached lua stack limit" in place of the element that did not fit; the
  // depth follows from the Lua stack use per level (1 slot per array level).
  std::string r = Eval("local t = {} t[1] = t return t");
  EXPECT_EQ(r.size(), 32010u);
  EXPECT_EQ(r.substr(r.size() - 32), "\r\n-ERR reached lua stack limit\r\n");
  size_t levels = 0;
  for (size_t p = 0; (p = r.find("*1\r\n", p)) != std::string::npos; p += 4) levels++;
  EXPECT_EQ(levels, 7995u);
  // Maps use three slots per level, and the value fails as well as the key.
  r = Eval("local t = {} t.map = {a=t} return t", {}, {}, 3);
  EXPECT_EQ(r.size(), 29368u);
  EXPECT_EQ(r.substr(r.size() - 64),
            "%1\r\n-ERR reached lua stack limit\r\n-ERR reached lua stack limit\r\n");
}

class RespToLuaTest : public ::testing::Test, public EvalFixture {
 protected:
  // Describes a Lua value with sorted keys, so structure and types can be compared.
  static constexpr const char* kDump =
      "local function d(v) if type(v)=='table' then local ks={} for k,x in pairs(v) do "
      "ks[#ks+1]=d(k)..'='..d(x) end table.sort(ks) return '{'..table.concat(ks,',')..'}' "
      "else return type(v)..':'..tostring(v) end end ";

  std::string Dump(const std::string& reply, bool resp3 = false) {
    fake.Reply("CMD", reply);
    std::string body =
        std::string(kDump) + (resp3 ? "redis.setresp(3) " : "") + "return d(redis.pcall('cmd'))";
    std::string out = Eval(body);
    // Strip the bulk header.
    size_t nl = out.find("\r\n");
    return out.substr(nl + 2, out.size() - nl - 4);
  }
};

TEST_F(RespToLuaTest, Resp2Types) {
  EXPECT_EQ(Dump(":42\r\n"), "number:42");
  EXPECT_EQ(Dump(":-9223372036854775808\r\n"), "number:-9.2233720368548e+18");
  EXPECT_EQ(Dump("$3\r\nabc\r\n"), "string:abc");
  EXPECT_EQ(Dump("$0\r\n\r\n"), "string:");
  EXPECT_EQ(Dump("$-1\r\n"), "boolean:false");
  EXPECT_EQ(Dump("*-1\r\n"), "boolean:false");
  EXPECT_EQ(Dump("*0\r\n"), "{}");
  EXPECT_EQ(Dump("*3\r\n:1\r\n$1\r\nx\r\n$-1\r\n"),
            "{number:1=number:1,number:2=string:x,number:3=boolean:false}");
  EXPECT_EQ(Dump("+OK\r\n"), "{string:ok=string:OK}");
  EXPECT_EQ(Dump("-ERR bad thing\r\n"),
            "{string:err=string:ERR bad thing,string:ignore_error_stats_update=boolean:true}");
  EXPECT_EQ(Dump("-WRONGTYPE Operation\r\n"),
            "{string:err=string:WRONGTYPE Operation,"
            "string:ignore_error_stats_update=boolean:true}");
  // No space: the whole text is the message and ERR the code.
  EXPECT_EQ(Dump("-NOCODE\r\n"),
            "{string:err=string:ERR NOCODE,string:ignore_error_stats_update=boolean:true}");
  EXPECT_EQ(Dump("*2\r\n*1\r\n:1\r\n-ERR x\r\n"),
            "{number:1={number:1=number:1},number:2={string:err=string:ERR x,"
            "string:ignore_error_stats_update=boolean:true}}");
}

TEST_F(RespToLuaTest, Resp3Types) {
  EXPECT_EQ(Dump("_\r\n", true), "nil:nil");
  EXPECT_EQ(Dump("#t\r\n", true), "boolean:true");
  EXPECT_EQ(Dump("#f\r\n", true), "boolean:false");
  EXPECT_EQ(Dump(",1.5\r\n", true), "{string:double=number:1.5}");
  EXPECT_EQ(Dump(",inf\r\n", true), "{string:double=number:inf}");
  EXPECT_EQ(Dump("(12345678901234567890\r\n", true),
            "{string:big_number=string:12345678901234567890}");
  EXPECT_EQ(Dump("=9\r\ntxt:hello\r\n", true),
            "{string:verbatim_string={string:format=string:txt,string:string=string:hello}}");
  EXPECT_EQ(Dump("%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n:2\r\n", true),
            "{string:map={string:a=string:1,string:b=number:2}}");
  EXPECT_EQ(Dump("~2\r\n$1\r\nx\r\n$1\r\ny\r\n", true),
            "{string:set={string:x=boolean:true,string:y=boolean:true}}");
  // A null inside an array leaves a hole.
  EXPECT_EQ(Dump("*3\r\n:1\r\n_\r\n:3\r\n", true), "{number:1=number:1,number:3=number:3}");
  // Attributes are skipped.
  EXPECT_EQ(Dump("|1\r\n+key\r\n+val\r\n:7\r\n", true), "number:7");
  EXPECT_EQ(Dump("!5\r\nERR x\r\n", true),
            "{string:err=string:ERR x,string:ignore_error_stats_update=boolean:true}");
}

TEST_F(RespToLuaTest, MalformedRepliesBecomeErrors) {
  for (const char* bad : {"", "x", ":12", ":abc\r\n", "$5\r\nab\r\n", "*2\r\n:1\r\n", "#x\r\n",
                          ",notanumber\r\n", "=3\r\nabc\r\n"}) {
    EXPECT_EQ(Dump(bad), "{string:err=string:ERR Protocol error: invalid reply from the command}")
        << bad;
  }
}

TEST_F(RespToLuaTest, ScriptProtocolIsPassedToTheHost) {
  Eval("redis.call('get', 'a') redis.setresp(3) redis.call('get', 'b')");
  ASSERT_EQ(fake.calls.size(), 2u);
  EXPECT_EQ(fake.calls[0].resp, 2);
  EXPECT_EQ(fake.calls[1].resp, 3);
  // Every run starts again in RESP2.
  Eval("redis.call('get', 'c')");
  EXPECT_EQ(fake.calls[2].resp, 2);
}

TEST_F(RespToLuaTest, RoundTripThroughAScript) {
  fake.Reply("3:HGETALL h", "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  fake.Reply("2:HGETALL h", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  fake.Reply("3:ZSCORE z m", ",1.5\r\n");
  fake.Reply("3:SMEMBERS s", "~1\r\n$1\r\nx\r\n");
  std::string map = Eval("redis.setresp(3) return redis.call('hgetall','h')", {}, {}, 3);
  EXPECT_TRUE(map == "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n" ||
              map == "%2\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n")
      << map;
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('zscore','z','m')", {}, {}, 3), ",1.5\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('zscore','z','m')"), "$3\r\n1.5\r\n");
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('smembers','s')", {}, {}, 3),
            "~1\r\n$1\r\nx\r\n");
  EXPECT_EQ(Eval("return redis.call('hgetall','h')"),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST(LuaNumberToInt64, MatchesTheX86Cast) {
  EXPECT_EQ(LuaNumberToInt64(3.9), 3);
  EXPECT_EQ(LuaNumberToInt64(-3.9), -3);
  EXPECT_EQ(LuaNumberToInt64(std::ldexp(1.0, 63)), INT64_MIN);   // just out of range
  EXPECT_EQ(LuaNumberToInt64(-std::ldexp(1.0, 63)), INT64_MIN);  // exactly the minimum
  EXPECT_EQ(LuaNumberToInt64(-std::ldexp(1.0, 64)), INT64_MIN);
  EXPECT_EQ(LuaNumberToInt64(std::ldexp(1.0, 63) - 1024), 9223372036854774784);
  EXPECT_EQ(LuaNumberToInt64(std::nan("")), INT64_MIN);
}

}  // namespace
}  // namespace strata::kv::script
