// Command families in-process: the real shard threads, dispatcher and connections (clients over
// socketpairs), run with 1 and with 4 shards so cross-shard paths are exercised.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "base/memory.h"
#include "kv/engine/memory_accounting.h"
#include "kv/server/config.h"
#include "test_server.h"

namespace strata::kv {
namespace {

using testing::RespClient;
using testing::TestServer;

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
const std::string kOk = "+OK\r\n";
const std::string kNil = "$-1\r\n";
std::string Int(long long v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Err(const std::string& s) { return "-" + s + "\r\n"; }

class Commands : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(uint32_t(GetParam()));
    c_ = server_->Connect();
  }
  void TearDown() override { server_.reset(); }
  std::string Run(const std::vector<std::string>& args) { return c_->Cmd(args); }

  std::unique_ptr<TestServer> server_;
  RespClient* c_;
};

TEST_P(Commands, SetGetAndOptions) {
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v"));
  EXPECT_EQ(Run({"GET", "missing"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "n", "1", "XX"}), kNil);
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), Err("ERR invalid expire time in 'set' command"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}),
            Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(100));
  EXPECT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(100));
  EXPECT_EQ(Run({"SET", "k", "v3"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Run({"GET"}), Err("ERR wrong number of arguments for 'get' command"));
  EXPECT_EQ(Run({"NOSUCH", "a", "b"}),
            Err("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
}

TEST_P(Commands, Counters) {
  EXPECT_EQ(Run({"INCR", "c"}), Int(1));
  EXPECT_EQ(Run({"INCRBY", "c", "41"}), Int(42));
  EXPECT_EQ(Run({"DECR", "c"}), Int(41));
  EXPECT_EQ(Run({"DECRBY", "c", "-1"}), Int(42));
  EXPECT_EQ(Run({"SET", "s", "abc"}), kOk);
  EXPECT_EQ(Run({"INCR", "s"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"SET", "big", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"INCR", "big"}), Err("ERR increment or decrement would overflow"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "10.5"}), Bulk("10.5"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.5"}), Bulk("11"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "f"}), Bulk("embstr"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "c"}), Bulk("int"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "s", "1"}), Err("ERR value is not a valid float"));
}

TEST_P(Commands, AppendAndRanges) {
  EXPECT_EQ(Run({"APPEND", "a", "hello"}), Int(5));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "a"}), Bulk("embstr"));
  EXPECT_EQ(Run({"APPEND", "a", " world"}), Int(11));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "a"}), Bulk("raw"));
  EXPECT_EQ(Run({"GETRANGE", "a", "0", "4"}), Bulk("hello"));
  EXPECT_EQ(Run({"GETRANGE", "a", "-5", "-1"}), Bulk("world"));
  EXPECT_EQ(Run({"GETRANGE", "a", "5", "1"}), Bulk(""));
  EXPECT_EQ(Run({"SETRANGE", "a", "6", "WORLD"}), Int(11));
  EXPECT_EQ(Run({"GET", "a"}), Bulk("hello WORLD"));
  EXPECT_EQ(Run({"SETRANGE", "z", "3", "x"}), Int(4));
  EXPECT_EQ(Run({"GET", "z"}), Bulk(std::string("\0\0\0x", 4)));
  EXPECT_EQ(Run({"SETRANGE", "a", "-1", "x"}), Err("ERR offset is out of range"));
  EXPECT_EQ(Run({"STRLEN", "a"}), Int(11));
  // Many appends stay correct as the entry grows geometrically.
  std::string expect;
  for (int i = 0; i < 500; i++) {
    std::string piece = std::to_string(i) + ",";
    expect += piece;
    Run({"APPEND", "grow", piece});
  }
  EXPECT_EQ(Run({"GET", "grow"}), Bulk(expect));
}

TEST_P(Commands, MultiKeyAcrossShards) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), kOk);
  EXPECT_EQ(Run({"MGET", "a", "b", "x", "d"}), "*4\r\n" + Bulk("1") + Bulk("2") + kNil + Bulk("4"));
  EXPECT_EQ(Run({"MSETNX", "x", "1", "a", "9"}), Int(0));
  EXPECT_EQ(Run({"GET", "x"}), kNil);
  EXPECT_EQ(Run({"MSETNX", "x", "1", "y", "2"}), Int(1));
  EXPECT_EQ(Run({"EXISTS", "a", "b", "nope", "a"}), Int(3));
  EXPECT_EQ(Run({"DEL", "a", "b", "nope"}), Int(2));
  EXPECT_EQ(Run({"TOUCH", "a", "c", "d"}), Int(2));
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), Err("ERR wrong number of arguments for 'mset' command"));
}

TEST_P(Commands, RenameCopyMove) {
  EXPECT_EQ(Run({"SET", "src", "v", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"RENAME", "src", "dst"}), kOk);
  EXPECT_EQ(Run({"GET", "dst"}), Bulk("v"));
  EXPECT_EQ(Run({"TTL", "dst"}), Int(100));
  EXPECT_EQ(Run({"EXISTS", "src"}), Int(0));
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), Err("ERR no such key"));
  EXPECT_EQ(Run({"SET", "other", "o"}), kOk);
  EXPECT_EQ(Run({"RENAMENX", "dst", "other"}), Int(0));
  EXPECT_EQ(Run({"RENAMENX", "dst", "fresh"}), Int(1));
  EXPECT_EQ(Run({"COPY", "fresh", "other"}), Int(0));
  EXPECT_EQ(Run({"COPY", "fresh", "other", "REPLACE"}), Int(1));
  EXPECT_EQ(Run({"GET", "other"}), Bulk("v"));
  EXPECT_EQ(Run({"COPY", "fresh", "fresh"}),
            Err("ERR source and destination objects are the same"));
  EXPECT_EQ(Run({"COPY", "fresh", "x", "DB", "99"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"MOVE", "fresh", "1"}), Int(1));
  EXPECT_EQ(Run({"EXISTS", "fresh"}), Int(0));
  EXPECT_EQ(Run({"MOVE", "other", "0"}), Err("ERR source and destination objects are the same"));
}

TEST_P(Commands, ExpireFamily) {
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "LT"}), Int(1));
  EXPECT_EQ(Run({"TTL", "k"}), Int(50));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "NX", "XX"}),
            Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "FOO"}), Err("ERR Unsupported option FOO"));
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(Run({"TTL", "nokey"}), Int(-2));
  EXPECT_EQ(Run({"PEXPIREAT", "k", "1"}), Int(1));  // in the past: deleted
  EXPECT_EQ(Run({"EXISTS", "k"}), Int(0));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "30"}), kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(Run({"GET", "k"}), kNil);  // lazily expired
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
}

TEST_P(Commands, DatabaseWide) {
  for (int i = 0; i < 100; i++) Run({"SET", "key:" + std::to_string(i), "v"});
  EXPECT_EQ(Run({"DBSIZE"}), Int(100));
  // SCAN visits every key exactly as a full iteration must.
  std::set<std::string> seen;
  std::string cursor = "0";
  do {
    std::string r = Run({"SCAN", cursor, "COUNT", "7"});
    // Parse "*2\r\n$n\r\n<cursor>\r\n*m\r\n$..."
    size_t p = r.find("\r\n$") + 3;
    size_t e = r.find("\r\n", p);
    size_t cs = e + 2;
    size_t ce = r.find("\r\n", cs);
    cursor = r.substr(cs, ce - cs);
    size_t q = r.find("\r\n*", ce) + 3;
    q = r.find("\r\n", q) + 2;
    while (q < r.size()) {
      size_t le = r.find("\r\n", q);
      size_t len = std::stoul(r.substr(q + 1, le - q - 1));
      seen.insert(r.substr(le + 2, len));
      q = le + 2 + len + 2;
    }
  } while (cursor != "0");
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(Run({"SCAN", "abc"}), Err("ERR invalid cursor"));
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "0"}), Err("ERR syntax error"));
  std::string keys = Run({"KEYS", "key:1?"});
  EXPECT_EQ(keys.substr(0, 5), "*10\r\n");
  EXPECT_NE(Run({"RANDOMKEY"}), kNil);
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), kOk);
  EXPECT_EQ(Run({"DBSIZE"}), Int(0));
  EXPECT_EQ(Run({"SWAPDB", "0", "x"}), Err("ERR invalid second DB index"));
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), kOk);
  EXPECT_EQ(Run({"FLUSHDB"}), kOk);
  EXPECT_EQ(Run({"DBSIZE"}), Int(0));
  EXPECT_EQ(Run({"RANDOMKEY"}), kNil);
  EXPECT_EQ(Run({"FLUSHALL", "BAD"}), Err("ERR syntax error"));
  EXPECT_EQ(Run({"TYPE", "nokey"}), "+none\r\n");
}

TEST_P(Commands, PipelineKeepsOrder) {
  std::string batch;
  for (int i = 0; i < 2000; i++) {
    batch += RespClient::Encode({"SET", "p" + std::to_string(i), std::to_string(i)});
    batch += RespClient::Encode({"GET", "p" + std::to_string(i)});
  }
  c_->SendRaw(batch);
  for (int i = 0; i < 2000; i++) {
    ASSERT_EQ(c_->ReadReply(), kOk);
    ASSERT_EQ(c_->ReadReply(), Bulk(std::to_string(i)));
  }
}

TEST_P(Commands, ProtocolErrorClosesConnection) {
  c_->SendRaw("*1\r\n$abc\r\n");
  EXPECT_EQ(c_->ReadReply(), Err("ERR Protocol error: invalid bulk length"));
  EXPECT_TRUE(c_->PeerClosed());
  RespClient* d = server_->Connect();
  d->SendRaw("SET a b\r\nPOST / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(d->ReadReply(), kOk);  // what came before still ran, as in Redis
  EXPECT_TRUE(d->PeerClosed());
  RespClient* e = server_->Connect();
  EXPECT_EQ(e->Cmd({"GET", "a"}), Bulk("b"));  // server unharmed
}

TEST_P(Commands, MsetIsAtomicAgainstConcurrentReaders) {
  RespClient* reader = server_->Connect();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread t([&] {
    while (!stop.load()) {
      std::string r = reader->Cmd({"MGET", "x1", "x2", "x3", "x4", "x5", "x6"});
      // All six values must be equal (each MSET writes one generation to all of them).
      std::set<std::string> vals;
      size_t p = 0;
      while ((p = r.find("\r\n$", p)) != std::string::npos) {
        size_t e = r.find("\r\n", p + 3);
        if (r[p + 3] == '-') {  // nil: no MSET yet
          vals.insert("(nil)");
          p = e;
          continue;
        }
        size_t len = std::stoul(r.substr(p + 3, e - p - 3));
        vals.insert(r.substr(e + 2, len));
        p = e + 2 + len;
      }
      if (vals.size() > 1) torn++;
    }
  });
  for (int gen = 0; gen < 300; gen++) {
    std::string g = std::to_string(gen);
    ASSERT_EQ(Run({"MSET", "x1", g, "x2", g, "x3", g, "x4", g, "x5", g, "x6", g}), kOk);
  }
  stop = true;
  t.join();
  EXPECT_EQ(torn.load(), 0);
}

TEST_P(Commands, ActiveExpiryReclaimsKeysWithoutTraffic) {
  std::string batch;
  const int n = 50000;
  for (int i = 0; i < n; i++)
    batch += RespClient::Encode({"SET", "e" + std::to_string(i), "v", "PX", "200"});
  c_->SendRaw(batch);
  for (int i = 0; i < n; i++) ASSERT_EQ(c_->ReadReply(), kOk);
  std::string size;
  for (int i = 0; i < 100; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    size = Run({"DBSIZE"});
    if (size == Int(0)) break;
  }
  EXPECT_EQ(size, Int(0));
}

TEST_P(Commands, MaxmemoryEvictsOrRefuses) {
  if (!HaveThreadAllocationCounters())
    GTEST_SKIP() << "sanitizer build: memory is counted process-wide, test buffers included";
  Config& cfg = GlobalConfig();
  int64_t used = MemoryAccounting::Get().Used();
  cfg.maxmemory.store(uint64_t(used) + 8 * 1024 * 1024);
  cfg.set_policy(*cache::sampled::ParseMaxmemoryPolicy("allkeys-lru"));
  std::string value(1000, 'x');
  std::string batch;
  for (int i = 0; i < 30000; i++)
    batch += RespClient::Encode({"SET", "m" + std::to_string(i), value});
  c_->SendRaw(batch);
  for (int i = 0; i < 30000; i++) ASSERT_EQ(c_->ReadReply(), kOk);
  std::string dbsize = Run({"DBSIZE"});
  long keys = std::stol(dbsize.substr(1));
  EXPECT_LT(keys, 30000);  // some were evicted
  EXPECT_GT(keys, 1000);
  EXPECT_LE(MemoryAccounting::Get().Used(), int64_t(cfg.maxmemory.load()) + 2 * 1024 * 1024);

  cfg.set_policy(*cache::sampled::ParseMaxmemoryPolicy("noeviction"));
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // shards reload on cron
  std::string r;
  for (int i = 0; i < 20000 && r.empty(); i++) {
    std::string x = Run({"SET", "n" + std::to_string(i), value});
    if (x != kOk) r = x;
  }
  EXPECT_EQ(r, Err("OOM command not allowed when used memory > 'maxmemory'."));
  EXPECT_EQ(Run({"GET", "m29999"}), Bulk(value));  // reads still work
  EXPECT_EQ(Run({"DEL", "m29999"}), Int(1));       // and deletes
  cfg.maxmemory.store(0);
}

TEST_P(Commands, EveryEvictingPolicyKeepsMemoryUnderTheLimit) {
  if (!HaveThreadAllocationCounters())
    GTEST_SKIP() << "sanitizer build: memory is counted process-wide, test buffers included";
  Config& cfg = GlobalConfig();
  std::string value(1000, 'x');
  for (const char* name :
       {"allkeys-lru", "allkeys-lfu", "allkeys-random", "allkeys-fifo", "allkeys-lrfu",
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "volatile-lrfu"}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(Run({"FLUSHALL"}), kOk);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // every shard has published
    int64_t used = MemoryAccounting::Get().Used();
    cfg.maxmemory.store(uint64_t(used) + 4 * 1024 * 1024);
    cfg.set_policy(*cache::sampled::ParseMaxmemoryPolicy(name));
    bool volatile_keys = std::string(name).rfind("volatile", 0) == 0;
    std::string batch;
    for (int i = 0; i < 12000; i++) {
      std::vector<std::string> cmd = {"SET", "k" + std::to_string(i), value};
      if (volatile_keys) {
        cmd.push_back("EX");
        cmd.push_back(std::to_string(1000 + i));
      }
      batch += RespClient::Encode(cmd);
    }
    c_->SendRaw(batch);
    for (int i = 0; i < 12000; i++) ASSERT_EQ(c_->ReadReply(), kOk);
    long keys = std::stol(Run({"DBSIZE"}).substr(1));
    EXPECT_LT(keys, 12000);
    EXPECT_GT(keys, 500);
    EXPECT_LE(MemoryAccounting::Get().Used(), int64_t(cfg.maxmemory.load()) + 2 * 1024 * 1024);
  }
  cfg.maxmemory.store(0);
}

INSTANTIATE_TEST_SUITE_P(Shards, Commands, ::testing::Values(1, 4));

}  // namespace
}  // namespace strata::kv
