// The client core against real servers: every test runs against strata-server and Debian's
// redis-server alike.
#include "strata/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "strata/task.h"
#include "support/server_process.h"

namespace strata {
namespace {

using namespace std::chrono_literals;
using testing::ServerKind;
using testing::ServerProcess;

class ClientTest : public ::testing::TestWithParam<ServerKind> {
 protected:
  void SetUp() override {
    if (GetParam() == ServerKind::kRedis && testing::RedisServerPath().empty()) {
      GTEST_SKIP() << "redis-server not installed";
    }
    server_ = std::make_unique<ServerProcess>(GetParam());
  }
  ClientOptions Options() {
    ClientOptions o;
    o.port = server_->port();
    return o;
  }
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(ClientTest, CommandsAndTypedReplies) {
  Client c(Options());
  ASSERT_TRUE(c.WaitConnected(5s));
  EXPECT_EQ(c.protocol(), 3);
  EXPECT_TRUE(c.Set("k", "v"));
  EXPECT_EQ(c.Get("k"), "v");
  EXPECT_EQ(c.Get("missing"), std::nullopt);
  EXPECT_FALSE(c.Set("k", "w", 0ms, /*nx=*/true));
  EXPECT_EQ(c.Incr("n", 5), 5);
  EXPECT_EQ(c.Del("n"), 1);
  EXPECT_TRUE(c.Set("t", "x", 10000ms));
  int64_t ttl = c.PTtl("t");
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 10000);
  // RESP3 types: a map from HGETALL, a double from ZSCORE.
  c.Command({"HSET", "h", "a", "1", "b", "2"});
  Reply h = c.Command({"HGETALL", "h"});
  EXPECT_EQ(h.type(), Reply::Type::kMap);
  EXPECT_EQ(h.size(), 4u);
  c.Command({"ZADD", "z", "1.5", "m"});
  EXPECT_DOUBLE_EQ(c.Command({"ZSCORE", "z", "m"}).as_double(), 1.5);
}

TEST_P(ClientTest, ServerErrorsAreTyped) {
  Client c(Options());
  c.Set("s", "v");
  try {
    c.Command({"LPUSH", "s", "x"});
    FAIL() << "no error";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "WRONGTYPE");
  }
  EXPECT_THROW(c.Command({"NOSUCHCOMMAND"}), ServerError);
  // The connection is still in step after errors.
  EXPECT_EQ(c.Get("s"), "v");
}

TEST_P(ClientTest, Resp2WhenAsked) {
  ClientOptions o = Options();
  o.protocol = 2;
  Client c(o);
  c.Command({"HSET", "h", "a", "1"});
  EXPECT_EQ(c.Command({"HGETALL", "h"}).type(), Reply::Type::kArray);
  EXPECT_EQ(c.protocol(), 2);
}

TEST_P(ClientTest, PipelineKeepsOrderAndErrorsInPlace) {
  Client c(Options());
  std::vector<Args> cmds;
  for (int i = 0; i < 1000; i++) cmds.push_back({"RPUSH", "l", std::to_string(i)});
  cmds.push_back({"INCR", "l"});  // WRONGTYPE, in place
  cmds.push_back({"LLEN", "l"});
  auto r = c.Pipeline(cmds);
  ASSERT_EQ(r.size(), 1002u);
  for (int i = 0; i < 1000; i++) EXPECT_EQ(r[i].integer(), i + 1);
  EXPECT_TRUE(r[1000].is_error());
  EXPECT_EQ(r[1001].integer(), 1000);
  auto tx = c.Transaction({{"SET", "a", "1"}, {"INCR", "a"}});
  ASSERT_TRUE(tx.has_value());
  EXPECT_EQ((*tx)[1].integer(), 2);
}

Task<int64_t> CountUp(Client& c, int n) {
  int64_t last = 0;
  for (int i = 0; i < n; i++) {
    Reply r = co_await c.Async("INCR", "co");
    last = r.integer();
  }
  co_return last;
}

Task<std::string> ThrowsWrongType(Client& c) {
  co_await c.Async("SET", "str", "v");
  try {
    co_await c.Async("LPUSH", "str", "x");
  } catch (const ServerError& e) {
    co_return e.code();
  }
  co_return "none";
}

TEST_P(ClientTest, Coroutines) {
  Client c(Options());
  EXPECT_EQ(SyncWait(CountUp(c, 100)), 100);
  EXPECT_EQ(SyncWait(ThrowsWrongType(c)), "WRONGTYPE");
}

TEST_P(ClientTest, ManyThreadsOneKeyInOrder) {
  ClientOptions o = Options();
  o.pool_size = 4;
  Client c(o);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; t++) {
    ts.emplace_back([&] {
      for (int i = 0; i < 500; i++) c.Incr("shared");
    });
  }
  // Async sends of one key from one thread arrive in order (the key picks the connection).
  std::atomic<int> done{0};
  std::atomic<bool> ordered{true};
  for (int i = 0; i < 1000; i++) {
    c.Send({"RPUSH", "seq", std::to_string(i)}, [&, i](Reply&& r, std::exception_ptr e) {
      if (e || r.integer() != i + 1) ordered = false;
      done++;
    });
  }
  for (auto& t : ts) t.join();
  while (done < 1000) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(ordered);
  EXPECT_EQ(c.Get("shared"), "2000");
}

TEST_P(ClientTest, TrackingPushesReachTheHandler) {
  std::atomic<int> invalidations{0};
  ClientOptions o = Options();
  o.pool_size = 1;
  o.on_connect = {{"CLIENT", "TRACKING", "on"}};
  o.on_push = [&](size_t, Reply&& push) {
    if (push.size() >= 1 && push[0].str() == "invalidate") invalidations++;
  };
  Client tracked(o);
  Client writer(Options());
  tracked.Set("tk", "1");
  EXPECT_EQ(tracked.Get("tk"), "1");  // now tracked
  writer.Set("tk", "2");
  for (int i = 0; i < 200 && invalidations == 0; i++) std::this_thread::sleep_for(5ms);
  EXPECT_GE(invalidations.load(), 1);
}

TEST_P(ClientTest, TimeoutFailsTheCommandAndTheClientRecovers) {
  ClientOptions o = Options();
  o.command_timeout = 100ms;
  o.pool_size = 1;
  Client c(o);
  ASSERT_TRUE(c.WaitConnected(5s));
  EXPECT_THROW(c.Command({"DEBUG", "SLEEP", "0.5"}), TimeoutError);
  // A longer per-call timeout lets a slow command finish.
  EXPECT_NO_THROW(c.Command({"DEBUG", "SLEEP", "0.2"}, 2000ms));
  // (The first sleep still holds a strata-server shard for a while: a generous timeout.)
  EXPECT_NO_THROW(c.Command({"SET", "after", "1"}, 2000ms));
  EXPECT_GE(c.stats().timeouts, 1u);
}

TEST_P(ClientTest, ReconnectsAfterTheServerComesBack) {
  ClientOptions o = Options();
  o.command_timeout = 300ms;
  o.reconnect_max = 100ms;
  Client c(o);
  ASSERT_TRUE(c.WaitConnected(5s));
  c.Set("a", "1");
  server_->Kill();
  EXPECT_THROW(c.Get("a"), ConnectionError);
  server_->Start();
  bool ok = false;
  for (int i = 0; i < 100 && !ok; i++) {
    try {
      c.Set("b", "2");
      ok = true;
    } catch (const ConnectionError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(c.Get("b"), "2");
  EXPECT_GE(c.stats().reconnects, 1u);
}

TEST_P(ClientTest, AuthAndWrongPassword) {
  server_ = std::make_unique<ServerProcess>(GetParam(),
                                            std::vector<std::string>{"--requirepass", "s3cret"});
  ClientOptions o = Options();
  o.password = "s3cret";
  o.client_name = "libstrata-test";
  Client good(o);
  EXPECT_TRUE(good.Set("x", "1"));
  EXPECT_EQ(good.Command({"CLIENT", "GETNAME"}).str(), "libstrata-test");
  o.password = "wrong";
  o.command_timeout = 300ms;
  Client bad(o);
  EXPECT_THROW(bad.Get("x"), ConnectionError);
}

TEST_P(ClientTest, ClosingWhileRepliesArriveCompletesEveryCommandOnce) {
  // The close runs on the I/O thread in a turn whose events may still name the connections it
  // ends: every command gets exactly one completion (a reply or the close), and nothing touches a
  // connection after it is gone (the sanitizer run would see it).
  for (int round = 0; round < 20; round++) {
    std::atomic<int> completed{0};
    constexpr int kCommands = 400;
    {
      ClientOptions o = Options();
      o.pool_size = 4;
      Client c(o);
      ASSERT_TRUE(c.WaitConnected(5s));
      for (int i = 0; i < kCommands; i++) {
        c.Send({"SET", "k" + std::to_string(i % 50), std::string(100, 'x')},
               [&completed](Reply&&, std::exception_ptr) { completed.fetch_add(1); });
      }
      if (round % 2 == 1) std::this_thread::sleep_for(std::chrono::microseconds(200 * round));
    }
    EXPECT_EQ(completed.load(), kCommands) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Servers, ClientTest,
                         ::testing::Values(ServerKind::kStrata, ServerKind::kRedis),
                         [](const auto& info) { return testing::KindName(info.param); });

TEST(ClientNoServer, CommandsFailAfterTheirTimeout) {
  ClientOptions o;
  o.port = testing::FreePort();
  o.command_timeout = 200ms;
  o.connect_timeout = 200ms;
  Client c(o);
  EXPECT_FALSE(c.WaitConnected(100ms));
  EXPECT_THROW(c.Get("k"), ConnectionError);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// A server that predates HELLO (as Redis 5 does): HELLO is an unknown command, everything else
// answers in RESP2. The client must fall back to RESP2 and work.
class OldServer {
 public:
  OldServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OldServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::atomic<int> hellos{0};

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    char buf[4096];
    for (;;) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, size_t(n));
      // Commands arrive as multibulk; answer each complete one by its name.
      for (;;) {
        size_t end = CommandEnd(in);
        if (end == 0) break;
        std::string cmd = in.substr(0, end);
        in.erase(0, end);
        std::string reply;
        if (cmd.find("HELLO") != std::string::npos) {
          hellos++;
          reply = "-ERR unknown command 'HELLO', with args beginning with: '3' \r\n";
        } else if (cmd.find("GET") != std::string::npos) {
          reply = "$3\r\nold\r\n";
        } else {
          reply = "+OK\r\n";
        }
        if (write(c, reply.data(), reply.size()) < 0) break;
      }
    }
    close(c);
  }
  // The length of the first complete multibulk command in `s`, or 0.
  static size_t CommandEnd(const std::string& s) {
    if (s.empty() || s[0] != '*') return 0;
    size_t pos = s.find("\r\n");
    if (pos == std::string::npos) return 0;
    int n = atoi(s.c_str() + 1);
    pos += 2;
    for (int i = 0; i < n; i++) {
      size_t e = s.find("\r\n", pos);
      if (e == std::string::npos) return 0;
      int len = atoi(s.c_str() + pos + 1);
      pos = e + 2 + size_t(len) + 2;
      if (pos > s.size()) return 0;
    }
    return pos;
  }
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

TEST(ClientFallback, ServerWithoutHelloGetsResp2) {
  OldServer old;
  ClientOptions o;
  o.port = old.port();
  o.pool_size = 1;
  Client c(o);
  EXPECT_EQ(c.Get("k"), "old");
  EXPECT_EQ(c.protocol(), 2);
  EXPECT_EQ(old.hellos.load(), 1);
}

}  // namespace
}  // namespace strata
