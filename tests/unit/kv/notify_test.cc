// Keyspace notifications: the notify-keyspace-events flags, the channel formats, and the events
// the command families and the engine publish (captured with the test sink instead of pub/sub),
// in-process with 1 and with 4 shards.
#include "kv/messaging/notify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "kv/server/config.h"
#include "test_server.h"

namespace strata::kv {
namespace {

using testing::RespClient;
using testing::TestServer;
using Msg = std::pair<std::string, std::string>;

TEST(NotifyFlags, ParseAndFormatAsRedis) {
  uint32_t f = 0;
  ASSERT_TRUE(notify::ParseFlags("KEA", &f));
  EXPECT_EQ(f, notify::kKeyspace | notify::kKeyevent | notify::kAll);
  EXPECT_EQ(notify::FormatFlags(f), "AKE");
  ASSERT_TRUE(notify::ParseFlags("g$lshzxetd", &f));
  EXPECT_EQ(f, uint32_t(notify::kAll));
  EXPECT_EQ(notify::FormatFlags(f), "A");
  ASSERT_TRUE(notify::ParseFlags("nmEKx$", &f));
  EXPECT_EQ(notify::FormatFlags(f), "$xnKEm");
  ASSERT_TRUE(notify::ParseFlags("Aznm", &f));  // A covers z; n and m are not in A
  EXPECT_EQ(notify::FormatFlags(f), "Am");
  EXPECT_TRUE(f & notify::kNew);
  ASSERT_TRUE(notify::ParseFlags("", &f));
  EXPECT_EQ(f, 0u);
  EXPECT_EQ(notify::FormatFlags(0), "");
  ASSERT_TRUE(notify::ParseFlags(std::string_view("E\0Q", 3), &f));  // read as a C string
  EXPECT_EQ(f, uint32_t(notify::kKeyevent));
  f = 7;
  EXPECT_FALSE(notify::ParseFlags("KEQ", &f));
  EXPECT_EQ(f, 7u);
  EXPECT_FALSE(notify::ParseFlags("a", &f));
  EXPECT_FALSE(notify::ParseFlags("k", &f));
}

TEST(NotifyFlags, ConfigOption) {
  Config c;  // not the process's: notify::g_flags stays as it is
  EXPECT_EQ(c.Get("notify-keyspace-events")[0].second, "");
  EXPECT_EQ(c.Set("notify-keyspace-events", "Elg", true), "");
  EXPECT_EQ(c.Get("notify-keyspace-events")[0].second, "glE");
  EXPECT_EQ(notify::g_flags.load(), 0u);
  EXPECT_EQ(c.Set("notify-keyspace-events", "Q", true),
            "CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid "
            "event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(c.Get("notify-keyspace-events")[0].second, "glE");

  Config& g = GlobalConfig();
  EXPECT_EQ(g.Set("notify-keyspace-events", "KEA", true), "");
  EXPECT_EQ(notify::g_flags.load(), notify::kKeyspace | notify::kKeyevent | notify::kAll);
  EXPECT_EQ(g.Get("notify-keyspace-events")[0].second, "AKE");
  EXPECT_EQ(g.Set("notify-keyspace-events", "", true), "");
  EXPECT_EQ(notify::g_flags.load(), 0u);
}

// Collects what the families publish.
class Sink {
 public:
  Sink() {
    notify::SetSinkForTest([this](std::string_view channel, std::string_view message) {
      std::lock_guard<std::mutex> l(mu_);
      got_.emplace_back(std::string(channel), std::string(message));
    });
  }
  ~Sink() { notify::SetSinkForTest(nullptr); }

  // Waits (up to 5 s) for n messages, then a moment for more; returns them all and clears.
  std::vector<Msg> Take(size_t n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(n ? 2 : 20));
    std::lock_guard<std::mutex> l(mu_);
    std::vector<Msg> out;
    out.swap(got_);
    return out;
  }

 private:
  size_t Size() {
    std::lock_guard<std::mutex> l(mu_);
    return got_.size();
  }
  std::mutex mu_;
  std::vector<Msg> got_;
};

TEST(NotifyPublish, ChannelsAndBinaryKeys) {
  Sink sink;
  std::string key("a\0b c", 5);
  notify::g_flags.store(notify::kKeyspace | notify::kKeyevent | notify::kString);
  notify::Notify(notify::kString, "set", key, 3);
  notify::Notify(notify::kGeneric, "del", key, 3);  // class off
  notify::g_flags.store(notify::kKeyevent | notify::kGeneric);
  notify::Notify(notify::kGeneric, "del", key, 12);
  notify::g_flags.store(notify::kAll);  // no K, no E: nothing
  notify::Notify(notify::kGeneric, "del", key, 0);
  notify::g_flags.store(0);
  EXPECT_EQ(sink.Take(3), (std::vector<Msg>{{"__keyspace@3__:" + key, "set"},
                                            {"__keyevent@3__:set", key},
                                            {"__keyevent@12__:del", key}}));
}

TEST(NotifyPublish, CaptureHoldsDropsAndAdopts) {
  Sink sink;
  notify::g_flags.store(notify::kKeyevent | notify::kAll);
  std::vector<notify::Note> held;
  {
    notify::Capture keep(true);
    notify::Notify(notify::kString, "set", "a", 0);
    {
      notify::Capture drop(false);
      notify::Notify(notify::kString, "set", "dropped", 0);
    }
    std::thread other([c = notify::Capture::Current()] {
      notify::Capture::Adopt adopt(c);
      notify::Notify(notify::kExpired, "expired", "b", 0);
    });
    other.join();
    held = std::move(keep.notes);
  }
  EXPECT_EQ(sink.Take(0), std::vector<Msg>{});
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[1].cls, uint32_t(notify::kExpired));
  EXPECT_EQ(held[1].key, "b");
  notify::PublishNotes(held);
  notify::g_flags.store(0);
  EXPECT_EQ(sink.Take(2),
            (std::vector<Msg>{{"__keyevent@0__:set", "a"}, {"__keyevent@0__:expired", "b"}}));
}

// ---- The families, in-process ----

// (event, key, db): expanded to the keyspace and keyevent messages.
struct Ev {
  std::string event, key;
  int db = 0;
};

std::vector<Msg> Expand(const std::vector<Ev>& evs) {
  std::vector<Msg> out;
  for (const Ev& e : evs) {
    out.emplace_back("__keyspace@" + std::to_string(e.db) + "__:" + e.key, e.event);
    out.emplace_back("__keyevent@" + std::to_string(e.db) + "__:" + e.event, e.key);
  }
  return out;
}

std::string KeyOf(const Msg& m) {
  size_t at = m.first.find("__:");
  std::string rest = m.first.substr(at + 3);
  std::string db = m.first.substr(0, at);
  return db.substr(db.find('@')) + "/" + (m.first.rfind("__keyspace", 0) == 0 ? rest : m.second);
}

class Notifications : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(uint32_t(GetParam()));
    c_ = server_->Connect();
  }
  void TearDown() override {
    Run({"CONFIG", "SET", "notify-keyspace-events", ""});
    server_.reset();
  }
  std::string Run(const std::vector<std::string>& args) { return c_->Cmd(args); }

  // Runs the command and checks what it published: in order with one shard; with several, each
  // key's own events in order (a command publishes each key's events on that key's shard).
  void Expect(const std::vector<std::string>& args, const std::vector<Ev>& evs) {
    std::string reply = Run(args);
    ASSERT_NE(reply.substr(0, 1), "-") << args[0] << ": " << reply;
    Check(sink_.Take(evs.size() * 2), Expand(evs), args[0]);
  }
  void Check(const std::vector<Msg>& got, const std::vector<Msg>& want, const std::string& what) {
    if (GetParam() == 1) {
      EXPECT_EQ(got, want) << what;
      return;
    }
    std::map<std::string, std::vector<Msg>> g, w;
    for (const Msg& m : got) g[KeyOf(m)].push_back(m);
    for (const Msg& m : want) w[KeyOf(m)].push_back(m);
    EXPECT_EQ(g, w) << what;
  }

  Sink sink_;
  std::unique_ptr<TestServer> server_;
  RespClient* c_;
};

TEST_P(Notifications, StringsAndGeneric) {
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "+OK\r\n");
  Expect({"SET", "a", "1", "EX", "100"}, {{"set", "a"}, {"expire", "a"}});
  Expect({"SET", "a", "1", "NX"}, {});
  Expect({"INCR", "n"}, {{"incrby", "n"}});
  Expect({"INCRBYFLOAT", "n", "1.5"}, {{"incrbyfloat", "n"}});
  Expect({"APPEND", "n", "x"}, {{"append", "n"}});
  Expect({"SETRANGE", "n", "0", "y"}, {{"setrange", "n"}});
  Expect({"SETBIT", "b", "3", "1"}, {{"setbit", "b"}});
  Expect({"SETBIT", "b", "3", "1"}, {});
  Expect({"PFADD", "h", "x"}, {{"pfadd", "h"}});
  Expect({"MSET", "m1", "1", "m2", "2", "m3", "3"}, {{"set", "m1"}, {"set", "m2"}, {"set", "m3"}});
  Expect({"GETEX", "a", "PERSIST"}, {{"persist", "a"}});
  Expect({"GETDEL", "a"}, {{"del", "a"}});
  Expect({"DEL", "m1", "m2", "nokey"}, {{"del", "m1"}, {"del", "m2"}});
  Expect({"EXPIRE", "m3", "100"}, {{"expire", "m3"}});
  Expect({"PERSIST", "m3"}, {{"persist", "m3"}});
  Expect({"EXPIRE", "m3", "0"}, {{"del", "m3"}});
  Expect({"SET", "r1", "v"}, {{"set", "r1"}});
  // Across shards with 4: rename_from on the source's shard, rename_to on the destination's.
  Expect({"RENAME", "r1", "r2"}, {{"rename_from", "r1"}, {"rename_to", "r2"}});
  Expect({"COPY", "r2", "r3"}, {{"copy_to", "r3"}});
  Expect({"COPY", "r2", "r3", "DB", "4"}, {{"copy_to", "r3", 4}});
  Expect({"MOVE", "r3", "5"}, {{"move_from", "r3"}, {"move_to", "r3", 5}});
  Expect({"FLUSHALL"}, {});
}

TEST_P(Notifications, Containers) {
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "+OK\r\n");
  Expect({"HSET", "h", "f", "v", "g", "w"}, {{"hset", "h"}});
  Expect({"HINCRBYFLOAT", "h", "c", "1"}, {{"hincrbyfloat", "h"}});
  Expect({"HDEL", "h", "f", "g", "c"}, {{"hdel", "h"}, {"del", "h"}});
  Expect({"RPUSH", "l", "a", "b"}, {{"rpush", "l"}});
  Expect({"LMOVE", "l", "l2", "LEFT", "RIGHT"}, {{"rpush", "l2"}, {"lpop", "l"}});
  Expect({"RPOPLPUSH", "l", "l2"}, {{"lpush", "l2"}, {"rpop", "l"}, {"del", "l"}});
  Expect({"LTRIM", "l2", "0", "0"}, {{"ltrim", "l2"}});
  Expect({"LMPOP", "2", "l", "l2", "RIGHT"}, {{"rpop", "l2"}, {"del", "l2"}});
  Expect({"SADD", "s1", "a", "b"}, {{"sadd", "s1"}});
  Expect({"SADD", "s2", "b"}, {{"sadd", "s2"}});
  Expect({"SINTERSTORE", "s3", "s1", "s2"}, {{"sinterstore", "s3"}});
  Expect({"SDIFFSTORE", "s3", "s2", "s1"}, {{"del", "s3"}});
  Expect({"SMOVE", "s2", "s1", "b"}, {{"srem", "s2"}, {"del", "s2"}});
  Expect({"SPOP", "s1", "5"}, {{"spop", "s1"}, {"del", "s1"}});
  Expect({"ZADD", "z", "1", "a", "2", "b"}, {{"zadd", "z"}});
  Expect({"ZINCRBY", "z", "1", "a"}, {{"zincr", "z"}});
  Expect({"ZUNIONSTORE", "z2", "1", "z"}, {{"zunionstore", "z2"}});
  Expect({"ZRANGESTORE", "z2", "z", "5", "6"}, {{"del", "z2"}});
  Expect({"ZREMRANGEBYSCORE", "z", "0", "1"}, {});
  Expect({"ZPOPMAX", "z", "5"}, {{"zpopmax", "z"}, {"del", "z"}});
  Expect({"GEOADD", "g", "13.361389", "38.115556", "Palermo"}, {{"zadd", "g"}});
  Expect({"GEOSEARCHSTORE", "g2", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"},
         {{"geosearchstore", "g2"}});
  Expect({"XADD", "x", "MAXLEN", "1", "1-1", "f", "v"}, {{"xadd", "x"}});
  Expect({"XADD", "x", "MAXLEN", "1", "2-1", "f", "v"}, {{"xadd", "x"}, {"xtrim", "x"}});
  Expect({"XGROUP", "CREATE", "x", "grp", "0"}, {{"xgroup-create", "x"}});
  Expect({"XREADGROUP", "GROUP", "grp", "c", "STREAMS", "x", ">"},
         {{"xgroup-createconsumer", "x"}});
  Expect({"XGROUP", "DELCONSUMER", "x", "grp", "c"}, {{"xgroup-delconsumer", "x"}});
  Expect({"RPUSH", "srt", "2", "1"}, {{"rpush", "srt"}});
  Expect({"SORT", "srt", "STORE", "srt2"}, {{"sortstore", "srt2"}});
  Expect({"SORT", "nokey", "STORE", "srt2"}, {{"del", "srt2"}});
}

TEST_P(Notifications, NewKeymissAndExpired) {
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KE$lgnmx"}), "+OK\r\n");
  Expect({"SET", "a", "1"}, {{"new", "a"}, {"set", "a"}});
  Expect({"SET", "a", "2"}, {{"set", "a"}});
  Expect({"GET", "nokey"}, {{"keymiss", "nokey"}});
  Expect({"EXISTS", "nokey"}, {{"keymiss", "nokey"}});
  Expect({"TTL", "nokey"}, {{"keymiss", "nokey"}});
  Expect({"INCR", "nokey"}, {{"new", "nokey"}, {"incrby", "nokey"}});
  Expect({"OBJECT", "ENCODING", "nokey2"}, {});
  Expect({"RENAME", "a", "b"}, {{"new", "b"}, {"rename_from", "a"}, {"rename_to", "b"}});
  Expect({"LPUSH", "l", "x"}, {{"new", "l"}, {"lpush", "l"}});
  Expect({"SET", "e", "v", "PX", "20"}, {{"new", "e"}, {"set", "e"}, {"expire", "e"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  // Lazily (or already actively) expired, then missed.
  Expect({"GET", "e"}, {{"expired", "e"}, {"keymiss", "e"}});
  Expect({"SET", "act", "v", "PX", "20"}, {{"new", "act"}, {"set", "act"}, {"expire", "act"}});
  // Nobody reads it: the cron's active expiry removes it.
  Check(sink_.Take(2), Expand({{"expired", "act"}}), "active expiry");
}

TEST_P(Notifications, BlockedClientServed) {
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "+OK\r\n");
  RespClient* waiter = server_->Connect();
  waiter->SendRaw(RespClient::Encode({"BLPOP", "q", "0"}));
  // Wait until it blocks.
  for (int i = 0; i < 500; i++) {
    std::string r = Run({"INFO", "clients"});
    if (r.find("blocked_clients:1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  Expect({"LPUSH", "q", "a"}, {{"lpush", "q"}, {"lpop", "q"}, {"del", "q"}});
  EXPECT_EQ(waiter->ReadReply(), "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
}

// A key on each of the 4 shards (with 4 shards), by the shard set's own mapping.
std::vector<std::string> KeysOnEveryShard() {
  std::vector<std::string> keys(4);
  for (int i = 0; keys[0].empty() || keys[1].empty() || keys[2].empty() || keys[3].empty(); i++) {
    std::string k = "k" + std::to_string(i);
    uint32_t shard = uint32_t((HashKey(k) >> 32) % 4);
    if (keys[shard].empty()) keys[shard] = k;
  }
  return keys;
}

TEST_P(Notifications, ScriptEventsComeOnce) {
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "+OK\r\n");
  std::vector<std::string> k = KeysOnEveryShard();
  // Keys it did not declare, on every shard with 4: the run is undone and run again holding
  // every shard; its events come once, after it commits.
  Expect({"EVAL",
          "redis.call('set', '" + k[0] + "', '1') redis.call('set', '" + k[1] +
              "', '2') redis.call('rpush', '" + k[2] + "', 'x') redis.call('del', '" + k[0] +
              "') redis.call('incr', '" + k[3] + "') return 1",
          "0"},
         {{"set", k[0]}, {"set", k[1]}, {"rpush", k[2]}, {"del", k[0]}, {"incrby", k[3]}});
  Expect({"EVAL", "return redis.call('rename', KEYS[1], '" + k[2] + "')", "1", k[1]},
         {{"rename_from", k[1]}, {"rename_to", k[2]}});
}

TEST_P(Notifications, NothingWhenOff) {
  Expect({"SET", "a", "1"}, {});
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "A"}), "+OK\r\n");  // no K, no E
  Expect({"SET", "a", "1"}, {});
  ASSERT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Kh"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK\r\n");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1\r\n");
  Check(sink_.Take(1), {{"__keyspace@0__:h", "hset"}}, "Kh");
}

INSTANTIATE_TEST_SUITE_P(Shards, Notifications, ::testing::Values(1, 4));

}  // namespace
}  // namespace strata::kv
