// The libraries scripts get besides the Lua standard ones: cjson, bit, struct and cmsgpack.
// Byte layouts and messages are those of Redis 7.0.15.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/kv/script/fake_host.h"

namespace strata::kv::script {
namespace {

using testing::EvalFixture;

class LibsTest : public ::testing::Test, public EvalFixture {
 protected:
  // Evaluates `expr` (a Lua string expression) and returns its bytes in hex.
  std::string Hex(const std::string& expr) {
    std::string r = Eval(
        "local function hex(s) return (s:gsub('.', function(c) "
        "return string.format('%02x', c:byte()) end)) end return hex(" +
        expr + ")");
    if (r.empty() || r[0] != '$') return r;
    size_t nl = r.find("\r\n");
    return r.substr(nl + 2, r.size() - nl - 4);
  }
  std::string Err(std::string_view body, std::string_view msg) { return RuntimeError(body, msg); }
};

TEST_F(LibsTest, CjsonEncodeDecode) {
  EXPECT_EQ(Eval("return cjson.encode({1,2,3})"), "$7\r\n[1,2,3]\r\n");
  EXPECT_EQ(Eval("return cjson.encode({a={true,false}})"), "$18\r\n{\"a\":[true,false]}\r\n");
  EXPECT_EQ(Eval("return cjson.encode(0.1)"), "$3\r\n0.1\r\n");
  EXPECT_EQ(Eval("return cjson.encode(cjson.null)"), "$4\r\nnull\r\n");
  EXPECT_EQ(Eval("return cjson.encode({[1]=1,[2]=2,[4]=4})"), "$12\r\n[1,2,null,4]\r\n");
  EXPECT_EQ(Eval("return cjson.encode('a\"b\\\\c\\n/')"), "$13\r\n\"a\\\"b\\\\c\\n\\/\"\r\n");
  EXPECT_EQ(Eval("local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}') "
                 "return {t.a[1], t.a[2], tostring(t.a[3].b == cjson.null), t.c}"),
            "*4\r\n:1\r\n:2\r\n$4\r\ntrue\r\n$1\r\nx\r\n");
  EXPECT_EQ(Eval("return cjson.encode(cjson.decode('{\"x\":[1,2,3]}'))"),
            "$13\r\n{\"x\":[1,2,3]}\r\n");
  std::string body = "return cjson.decode('[1,2')";
  EXPECT_EQ(Eval(body), Err(body,
                            "ERR user_script:1: Expected comma or array end but found T_END at "
                            "character 5"));
  body = "return cjson.encode(function() end)";
  EXPECT_EQ(Eval(body),
            Err(body, "ERR user_script:1: Cannot serialise function: type not supported"));
}

TEST_F(LibsTest, Bit) {
  EXPECT_EQ(Eval("return {bit.band(0xff, 0x0f), bit.bor(1,2), bit.bxor(3,5), bit.bnot(0), "
                 "bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(1, 33), "
                 "bit.ror(1, 1), bit.bswap(0x12345678)}"),
            "*10\r\n:15\r\n:3\r\n:6\r\n:-1\r\n:-2147483648\r\n:15\r\n:-4\r\n:2\r\n"
            ":-2147483648\r\n:2018915346\r\n");
  EXPECT_EQ(Eval("return {bit.tohex(-1), bit.tohex(255, 4), bit.tohex(255, -4), "
                 "bit.tobit(2^32+5)}"),
            "*4\r\n$8\r\nffffffff\r\n$4\r\n00ff\r\n$4\r\n00FF\r\n:5\r\n");
}

TEST_F(LibsTest, StructPackLayouts) {
  EXPECT_EQ(Hex("struct.pack('>i', 1)"), "00000001");
  EXPECT_EQ(Hex("struct.pack('<i', -2)"), "feffffff");
  EXPECT_EQ(Hex("struct.pack('bBhHlLT', -1, 255, -2, 65535, -3, 4, 5)"),
            "fffffefffffffdffffffffffffff04000000000000000500000000000000");
  EXPECT_EQ(Hex("struct.pack('>bBhHlLT', -1, 255, -2, 65535, -3, 4, 5)"),
            "fffffffefffffffffffffffffffd00000000000000040000000000000005");
  EXPECT_EQ(Hex("struct.pack('!4 b i', 1, 2)"), "0100000002000000");
  EXPECT_EQ(Hex("struct.pack('! b d', 1, 2)"), "01000000000000000000000000000040");
  EXPECT_EQ(Hex("struct.pack('b d', 1, 2)"), "010000000000000040");
  EXPECT_EQ(Hex("struct.pack('>d', 1.5)"), "3ff8000000000000");
  EXPECT_EQ(Hex("struct.pack('<f', 1.5)"), "0000c03f");
  EXPECT_EQ(Hex("struct.pack('s', 'abc')"), "61626300");
  EXPECT_EQ(Hex("struct.pack('c', 'abc')"), "61");
  EXPECT_EQ(Hex("struct.pack('c0', 'abc')"), "616263");
  EXPECT_EQ(Hex("struct.pack('c2', 'abc')"), "6162");
  EXPECT_EQ(Hex("struct.pack('>i3', -1)"), "ffffff");
  EXPECT_EQ(Hex("struct.pack('>i16', -1)"), "0000000000000000ffffffffffffffff");
  EXPECT_EQ(Hex("struct.pack('x>xb', 1)"), "000001");
  EXPECT_EQ(Hex("struct.pack('i', '12')"), "0c000000");
  EXPECT_EQ(Hex("struct.pack('>I', 2^32+5)"), "00000005");
  EXPECT_EQ(Hex("struct.pack('>i', -3.9)"), "fffffffd");
  // Out-of-range values give the bytes of the C conversion.
  EXPECT_EQ(Hex("struct.pack('>L', 2^64)"), "0000000000000000");
  EXPECT_EQ(Hex("struct.pack('>l', 0/0)"), "8000000000000000");
  EXPECT_EQ(Hex("struct.pack('>L', 2^63+2^12)"), "8000000000001000");
}

TEST_F(LibsTest, StructUnpackAndSize) {
  EXPECT_EQ(Eval("return {struct.unpack('>i', '\\0\\0\\1\\0')}"), "*2\r\n:256\r\n:5\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('<h', '\\255\\255')}"), "*2\r\n:-1\r\n:3\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('<H', '\\255\\255')}"), "*2\r\n:65535\r\n:3\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('>i16', string.rep('\\255', 16))}"),
            "*2\r\n:-1\r\n:17\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('s', 'ab\\0cd')}"), "*2\r\n$2\r\nab\r\n:4\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('bc0', '\\3abcd')}"), "*2\r\n$3\r\nabc\r\n:5\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('c2c2', 'abcd')}"), "*3\r\n$2\r\nab\r\n$2\r\ncd\r\n:5\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('b', 'abcd', 3)}"), "*2\r\n:99\r\n:4\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('', 'x')}"), "*1\r\n:1\r\n");
  EXPECT_EQ(Eval("return tostring(struct.unpack('<f', struct.pack('<f', 0.1)))"),
            "$16\r\n0.10000000149012\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}"),
            "*3\r\n:1\r\n:2\r\n:9\r\n");
  EXPECT_EQ(Eval("return {struct.unpack('>fd', struct.pack('>fd', 1.25, -2.5))}"),
            "*3\r\n:1\r\n:-2\r\n:13\r\n");
  EXPECT_EQ(Eval("return struct.size('bhi')"), ":7\r\n");
  EXPECT_EQ(Eval("return struct.size('!bhi')"), ":8\r\n");
  EXPECT_EQ(Eval("return struct.size('!bd')"), ":16\r\n");
  EXPECT_EQ(Eval("return struct.size('>x<i!2')"), ":5\r\n");
  EXPECT_EQ(Eval("return struct.size('q')"), ":0\r\n");  // letters that are no option
}

TEST_F(LibsTest, StructErrors) {
  struct Case {
    const char* body;
    const char* msg;
  } cases[] = {
      {"return struct.pack('c5', 'abc')", "bad argument #3 to 'pack' (string too short)"},
      {"return struct.pack('i33', 1)", "integral size 33 is larger than limit of 32"},
      {"return struct.pack('z', 1)", "bad argument #1 to 'pack' (invalid format option 'z')"},
      {"return struct.pack('!3', 1)", "alignment 3 is not a power of 2"},
      {"return struct.pack('i')", "bad argument #2 to 'pack' (number expected, got nil)"},
      {"return struct.unpack('i', 'ab')", "bad argument #2 to 'unpack' (data string too short)"},
      {"return struct.unpack('s', 'ab')", "unfinished string in data"},
      {"return struct.unpack('c0', 'abcd')", "format 'c0' needs a previous size"},
      {"return struct.unpack('b', 'abcd', 0)",
       "bad argument #3 to 'unpack' (offset must be 1 or greater)"},
      {"return struct.unpack('b', 'abcd', -1)",
       "bad argument #2 to 'unpack' (data string too short)"},
      {"return struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"},
      {"return struct.size('c0')", "bad argument #1 to 'size' (option 'c0' has no fixed size)"},
      {"return struct.size('i99999999999')", "integral size overflow"},
      {"return struct.size('!0')", "alignment 0 is not a power of 2"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Eval(c.body), Err(c.body, std::string("ERR user_script:1: ") + c.msg)) << c.body;
  }
}

TEST_F(LibsTest, StructRoundTrips) {
  EXPECT_EQ(Eval("local s = struct.pack('>bhilBHIL', -5, -300, -70000, -2^40, 200, 60000, "
                 "4000000000, 2^50) return {struct.unpack('>bhilBHIL', s)}"),
            "*9\r\n:-5\r\n:-300\r\n:-70000\r\n:-1099511627776\r\n:200\r\n:60000\r\n"
            ":4000000000\r\n:1125899906842624\r\n:31\r\n");
  EXPECT_EQ(Eval("local s = struct.pack('<sc3d', 'key', 'xyz', 2.5) "
                 "local a, b, c, n = struct.unpack('<sc3d', s) return {a, b, tostring(c), n}"),
            "*4\r\n$3\r\nkey\r\n$3\r\nxyz\r\n$3\r\n2.5\r\n:16\r\n");
}

TEST_F(LibsTest, CmsgpackEncodings) {
  // fixint, uint8/16/32/64
  EXPECT_EQ(Hex("cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)"),
            "00017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000");
  // negative fixint, int8/16/32/64
  EXPECT_EQ(Hex("cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, "
                "-2147483649)"),
            "ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff");
  // float32 when exact, float64 otherwise; -0.0 is the integer 0
  EXPECT_EQ(Hex("cmsgpack.pack(1.5, 0.1, -0.0, 1/0, -1/0, 2^63, -2^63, 2^64, 1e300)"),
            "ca3fc00000cb3fb999999999999a00caff800000ca7f800000ca5f000000d38000000000000000"
            "ca5f800000cb7e37e43c8800759c");
  EXPECT_EQ(Hex("cmsgpack.pack(0/0)"), "cbfff8000000000000");
  // fixstr, str8, str16, str32
  EXPECT_EQ(Hex("cmsgpack.pack('', 'abc')"), "a0a3616263");
  EXPECT_EQ(Hex("cmsgpack.pack(string.rep('x', 31)):sub(1, 2)"), "bf78");
  EXPECT_EQ(Hex("cmsgpack.pack(string.rep('x', 32)):sub(1, 3)"), "d92078");
  EXPECT_EQ(Hex("cmsgpack.pack(string.rep('x', 256)):sub(1, 4)"), "da010078");
  EXPECT_EQ(Hex("cmsgpack.pack(string.rep('x', 65536)):sub(1, 6)"), "db0001000078");
  EXPECT_EQ(Hex("cmsgpack.pack(true, false, nil, type)"), "c3c2c0c0");
  // fixarray / array16 / array32, fixmap / map16
  EXPECT_EQ(Hex("cmsgpack.pack({}, {1,2,3}, {a=1})"), "909301020381a16101");
  EXPECT_EQ(Hex("cmsgpack.pack({1,2,nil,4})"), "83010102020404");  // holes make a map
  EXPECT_EQ(Eval("local t={} for i=1,16 do t[i]=i end return {cmsgpack.pack(t):byte(1, 3)}"),
            "*3\r\n:220\r\n:0\r\n:16\r\n");
  EXPECT_EQ(Eval("local t={} for i=1,70000 do t[i]=1 end return {cmsgpack.pack(t):byte(1, 5)}"),
            "*5\r\n:221\r\n:0\r\n:1\r\n:17\r\n:112\r\n");
  EXPECT_EQ(Eval("local t={} for i=1,16 do t['k'..i]=1 end return {cmsgpack.pack(t):byte(1, 3)}"),
            "*3\r\n:222\r\n:0\r\n:16\r\n");
  EXPECT_EQ(Hex("cmsgpack.pack({[0]=1})"), "810001");
  // Tables nested 16 deep become nil.
  EXPECT_EQ(Hex("(function() local t={} local c=t for i=1,20 do c[1]={} c=c[1] end "
                "return cmsgpack.pack(t) end)()"),
            "91919191919191919191919191919191c0");
}

TEST_F(LibsTest, CmsgpackDecoding) {
  EXPECT_EQ(Eval("return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}, true))}"),
            "*4\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n:1\r\n");
  EXPECT_EQ(Eval("return cmsgpack.unpack('')"), "$-1\r\n");
  EXPECT_EQ(
      Eval("return tostring(cmsgpack.unpack('\\203\\63\\185\\153\\153\\153\\153\\153\\154'))"),
      "$3\r\n0.1\r\n");
  // uint64 is read through a signed integer.
  EXPECT_EQ(Eval("return tostring(cmsgpack.unpack('\\207' .. string.rep('\\255', 8)))"),
            "$2\r\n-1\r\n");
  EXPECT_EQ(Eval("local t = cmsgpack.unpack('\\130\\161a\\1\\161b\\2') return {t.a, t.b}"),
            "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(
      Eval("return cmsgpack.unpack('\\218\\0\\3abc') .. cmsgpack.unpack('\\219\\0\\0\\0\\2de')"),
      "$5\r\nabcde\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack(string.rep('\\145', 100) .. '\\1')}").size(), 408u);
  EXPECT_EQ(Eval("return {cmsgpack.unpack(1)}"), "*1\r\n:49\r\n");
}

TEST_F(LibsTest, CmsgpackStreams) {
  EXPECT_EQ(Eval("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}"), "*2\r\n:1\r\n:1\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 2)}"), "*2\r\n:-1\r\n:3\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}"),
            "*3\r\n:2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0)}"),
            "*3\r\n:1\r\n:2\r\n:3\r\n");  // limit 0 and offset 0: everything, no offset
  EXPECT_EQ(Eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0, 1)}"), "*1\r\n:1\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 3)}"), "*1\r\n:-1\r\n");
  EXPECT_EQ(Eval("return {cmsgpack.unpack_one('')}"), "*1\r\n:-1\r\n");
}

TEST_F(LibsTest, CmsgpackErrors) {
  struct Case {
    const char* body;
    const char* msg;
  } cases[] = {
      {"return cmsgpack.pack()",
       "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"},
      {"return cmsgpack.unpack('\\196\\1a')", "ERR user_script:1: Bad data format in input."},
      {"return cmsgpack.unpack('\\193')", "ERR user_script:1: Bad data format in input."},
      {"return cmsgpack.unpack('\\212\\1\\1')", "ERR user_script:1: Bad data format in input."},
      {"return cmsgpack.unpack('\\217')", "ERR user_script:1: Missing bytes in input."},
      {"return cmsgpack.unpack('\\145')", "ERR user_script:1: Missing bytes in input."},
      {"return cmsgpack.unpack('\\129\\192\\1')", "ERR table index is nil"},
      {"return cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), -1)",
       "ERR user_script:1: Invalid request to unpack with offset of 0 and limit of 3."},
      {"return cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 9)",
       "ERR user_script:1: Start offset 9 greater than input length 3."},
      {"return cmsgpack.unpack_limit('abc')",
       "ERR user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)"},
  };
  for (const Case& c : cases) EXPECT_EQ(Eval(c.body), Err(c.body, c.msg)) << c.body;
}

TEST_F(LibsTest, CmsgpackRoundTrip) {
  EXPECT_EQ(Eval("local v = {1, -1, 'x', {a = {b = {true, false}}}, 1.5, 2^40} "
                 "local u = cmsgpack.unpack(cmsgpack.pack(v)) "
                 "return cjson.encode(u) == cjson.encode(v)"),
            ":1\r\n");
}

}  // namespace
}  // namespace strata::kv::script
