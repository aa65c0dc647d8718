// The append-only file's pure parts: record encoding, the record parser (torn tails, MULTI
// blocks, corruption), the manifest, and what commands are logged as.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kv/aof/aof_format.h"
#include "kv/aof/aof_rewrite.h"

namespace strata::kv::aof {
namespace {

using Cmds = std::vector<std::vector<std::string>>;

ParseResult Parse(std::string_view data, Cmds* out) {
  return ParseCommands(data, [out](const std::vector<std::string>& a, size_t, std::string*) {
    out->push_back(a);
    return true;
  });
}

std::string Enc(std::initializer_list<std::string_view> args) {
  std::string s;
  AppendCommand(&s, args);
  return s;
}

TEST(AofFormat, EncodesAndParses) {
  EXPECT_EQ(Enc({"set", "k", ""}), "*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n");
  std::string data = Enc({"set", "a", "1"}) + Enc({"MULTI"}) + Enc({"incr", "n"}) +
                     Enc({"del", "a"}) + Enc({"EXEC"}) + Enc({"ping"});
  Cmds cmds;
  ParseResult r = Parse(data, &cmds);
  EXPECT_EQ(r.kind, ParseResult::kOk);
  EXPECT_EQ(cmds, (Cmds{{"set", "a", "1"}, {"incr", "n"}, {"del", "a"}, {"ping"}}));
}

TEST(AofFormat, TornTailAndTornTransaction) {
  std::string good = Enc({"set", "a", "1"});
  std::string torn = Enc({"set", "b", "2"});
  for (size_t cut = 1; cut < torn.size(); cut++) {
    Cmds cmds;
    ParseResult r = Parse(good + torn.substr(0, cut), &cmds);
    EXPECT_EQ(r.kind, ParseResult::kTruncated) << cut;
    EXPECT_EQ(r.offset, good.size()) << cut;
    EXPECT_EQ(cmds.size(), 1u);
  }
  // A MULTI without its EXEC is torn from the MULTI on: none of it is applied.
  Cmds cmds;
  ParseResult r = Parse(good + Enc({"multi"}) + Enc({"set", "c", "3"}), &cmds);
  EXPECT_EQ(r.kind, ParseResult::kTruncated);
  EXPECT_EQ(r.offset, good.size());
  EXPECT_EQ(cmds.size(), 1u);
}

TEST(AofFormat, CorruptionIsNotATornTail) {
  Cmds cmds;
  ParseResult r = Parse(Enc({"set", "a", "1"}) + "!garbage\r\n" + Enc({"set", "b", "2"}), &cmds);
  EXPECT_EQ(r.kind, ParseResult::kCorrupt);
  EXPECT_EQ(r.offset, Enc({"set", "a", "1"}).size());
  cmds.clear();
  r = Parse("*1\r\n$3\r\nabcXY", &cmds);  // the bulk's CRLF is wrong
  EXPECT_EQ(r.kind, ParseResult::kCorrupt);
  cmds.clear();
  EXPECT_EQ(Parse(Enc({"exec"}), &cmds).kind, ParseResult::kCorrupt);
  EXPECT_EQ(Parse(Enc({"multi"}) + Enc({"multi"}), &cmds).kind, ParseResult::kCorrupt);
}

TEST(AofFormat, Manifest) {
  Manifest m;
  std::string err;
  ASSERT_TRUE(
      ParseManifest("file appendonly.aof.1.base.rdb seq 1 type b\n"
                    "file appendonly.aof.1.incr.aof seq 1 type i\n"
                    "file appendonly.aof.2.incr.aof seq 2 type i\n",
                    &m, &err))
      << err;
  ASSERT_EQ(m.files.size(), 3u);
  EXPECT_EQ(m.base()->name, "appendonly.aof.1.base.rdb");
  EXPECT_EQ(m.NextIncrSeq(), 3u);
  EXPECT_EQ(FormatManifest(m),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
  EXPECT_FALSE(ParseManifest("", &m, &err));
  EXPECT_FALSE(ParseManifest("file a seq 1 type x\n", &m, &err));
  EXPECT_FALSE(ParseManifest("file ../a seq 1 type i\n", &m, &err));
  EXPECT_FALSE(ParseManifest("file a seq 1\n", &m, &err));
  EXPECT_FALSE(ParseManifest("file a seq 1 type b\nfile b seq 2 type b\n", &m, &err));
  // Incr files ascend even with history lines between them (formatting puts the base first and
  // keeps the rest in order, so a manifest that parses formats to one that parses).
  EXPECT_FALSE(ParseManifest("file i1 seq 1 type i\nfile old seq 1 type h\nfile i1b seq 1 type i\n",
                             &m, &err));
  ASSERT_TRUE(ParseManifest(
      "file h seq 1 type h\nfile i1 seq 1 type i\nfile h2 seq 2 type h\nfile i2 seq 2 type i\n"
      "file b seq 3 type b\n",
      &m, &err))
      << err;
  Manifest again;
  ASSERT_TRUE(ParseManifest(FormatManifest(m), &again, &err)) << err;
  EXPECT_EQ(again.files.size(), m.files.size());
}

std::vector<std::string> Effect(std::initializer_list<std::string_view> args,
                                std::string_view reply, bool* logged = nullptr) {
  std::vector<std::string_view> v(args);
  std::vector<std::string> out;
  bool l = EffectOf(v, reply, 1000000, &out);
  if (logged) *logged = l;
  return out;
}

TEST(AofRewrite, RelativeTimesBecomeAbsolute) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Effect({"EXPIRE", "k", "10", "NX"}, ":1\r\n"), (V{"pexpireat", "k", "1010000", "NX"}));
  EXPECT_EQ(Effect({"pexpire", "k", "10"}, ":1\r\n"), (V{"pexpireat", "k", "1000010"}));
  EXPECT_EQ(Effect({"expireat", "k", "5"}, ":1\r\n"), (V{"pexpireat", "k", "5000"}));
  EXPECT_EQ(Effect({"SETEX", "k", "2", "v"}, "+OK\r\n"), (V{"set", "k", "v", "PXAT", "1002000"}));
  EXPECT_EQ(Effect({"set", "k", "v", "px", "7", "nx"}, "+OK\r\n"),
            (V{"set", "k", "v", "PXAT", "1000007", "nx"}));
  EXPECT_EQ(Effect({"getex", "k", "EX", "1"}, "$1\r\nv\r\n"), (V{"pexpireat", "k", "1001000"}));
  EXPECT_EQ(Effect({"getex", "k", "persist"}, "$1\r\nv\r\n"), (V{"persist", "k"}));
  EXPECT_EQ(Effect({"restore", "k", "50", "p"}, "+OK\r\n"),
            (V{"restore", "k", "1000050", "p", "ABSTTL"}));
  bool logged = true;
  Effect({"getex", "k"}, "$1\r\nv\r\n", &logged);
  EXPECT_FALSE(logged);
  Effect({"set", "k", "v", "ex", "0"}, "-ERR invalid expire time\r\n", &logged);
  EXPECT_FALSE(logged);
}

TEST(AofRewrite, EffectsFromReplies) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Effect({"incrbyfloat", "f", "0.5"}, "$3\r\n2.5\r\n"),
            (V{"set", "f", "2.5", "KEEPTTL"}));
  EXPECT_EQ(Effect({"spop", "s", "2"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"), (V{"srem", "s", "a", "b"}));
  EXPECT_EQ(Effect({"spop", "s"}, "$1\r\na\r\n"), (V{"srem", "s", "a"}));
  EXPECT_EQ(Effect({"blpop", "a", "b", "0"}, "*2\r\n$1\r\nb\r\n$1\r\nx\r\n"), (V{"lpop", "b"}));
  EXPECT_EQ(Effect({"blmpop", "0", "2", "a", "b", "RIGHT", "COUNT", "3"},
                   "*2\r\n$1\r\nb\r\n*2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
            (V{"rpop", "b", "2"}));
  EXPECT_EQ(Effect({"blmpop", "0", "1", "a", "LEFT"}, ""), (V{"lmpop", "1", "a", "LEFT"}));
  EXPECT_EQ(Effect({"xadd", "s", "MAXLEN", "~", "10", "*", "f", "v"}, "$3\r\n5-0\r\n"),
            (V{"xadd", "s", "MAXLEN", "~", "10", "5-0", "f", "v"}));
  bool logged = true;
  Effect({"spop", "s"}, "$-1\r\n", &logged);
  EXPECT_FALSE(logged);
  Effect({"brpop", "a", "1"}, "*-1\r\n", &logged);
  EXPECT_FALSE(logged);
}

// LoggedAsGiven is EffectOf's fast path: wherever it says yes, EffectOf must log the command as
// given, and the direct encoding must be the record EffectOf's copy would make.
TEST(AofRewrite, LoggedAsGivenAgreesWithEffectOf) {
  struct Case {
    std::vector<std::string_view> args;
    std::string_view reply;
    bool as_given;
  };
  const std::vector<Case> cases = {
      {{"SET", "k", "v"}, "+OK\r\n", true},
      {{"set", "k", "v", "EX", "5"}, "+OK\r\n", false},
      {{"Set", "k", "v", "KEEPTTL"}, "+OK\r\n", false},
      {{"INCR", "n"}, ":1\r\n", true},
      {{"hset", "h", "f", "v"}, ":1\r\n", true},
      {{"DEL", "a", "b"}, ":2\r\n", true},
      {{"set", "k", "v"}, "-OOM no\r\n", false},
      {{"incr", "n"}, "-ERR not an integer\r\n", false},
      {{"Expire", "k", "10"}, ":1\r\n", false},
      {{"PEXPIRE", "k", "10"}, ":1\r\n", false},
      {{"expireat", "k", "10"}, ":1\r\n", false},
      {{"setex", "k", "1", "v"}, "+OK\r\n", false},
      {{"psetex", "k", "1", "v"}, "+OK\r\n", false},
      {{"getex", "k", "persist"}, "$1\r\nv\r\n", false},
      {{"restore", "k", "0", "p"}, "+OK\r\n", false},
      {{"incrbyfloat", "f", "1"}, "$1\r\n1\r\n", false},
      {{"spop", "s"}, "$1\r\na\r\n", false},
      {{"BLPOP", "a", "0"}, "*2\r\n$1\r\na\r\n$1\r\nx\r\n", false},
      {{"brpop", "a", "0"}, "*2\r\n$1\r\na\r\n$1\r\nx\r\n", false},
      {{"bzpopmin", "a", "0"}, "*3\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\n1\r\n", false},
      {{"bzpopmax", "a", "0"}, "*3\r\n$1\r\na\r\n$1\r\nx\r\n$1\r\n1\r\n", false},
      {{"blmove", "a", "b", "LEFT", "RIGHT", "0"}, "$1\r\nx\r\n", false},
      {{"brpoplpush", "a", "b", "0"}, "$1\r\nx\r\n", false},
      {{"blmpop", "0", "1", "a", "LEFT"}, "", false},
      {{"bzmpop", "0", "1", "a", "MIN"}, "", false},
      {{"lmpop", "1", "a", "LEFT"}, "", false},
      {{"zmpop", "1", "a", "MIN"}, "", false},
      {{"lpop", "a"}, "$-1\r\n", false},
      {{"rpop", "a"}, "$-1\r\n", false},
      {{"zpopmin", "a"}, "*0\r\n", false},
      {{"zpopmax", "a"}, "*0\r\n", false},
      {{"lmove", "a", "b", "LEFT", "LEFT"}, "$-1\r\n", false},
      {{"rpoplpush", "a", "b"}, "$-1\r\n", false},
      {{"xadd", "s", "*", "f", "v"}, "$3\r\n1-0\r\n", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.args[0]));
    EXPECT_EQ(LoggedAsGiven(c.args, c.reply), c.as_given);
    if (!c.as_given) continue;
    std::vector<std::string> eff;
    ASSERT_TRUE(EffectOf(c.args, c.reply, 1000000, &eff));
    std::vector<std::string_view> ev(eff.begin(), eff.end());
    std::string slow, fast;
    AppendCommand(&slow, ev);
    AppendCommandLowerName(&fast, c.args);
    EXPECT_EQ(fast, slow);
  }
}

}  // namespace
}  // namespace strata::kv::aof
