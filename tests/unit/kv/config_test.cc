#include "kv/server/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/reactor.h"

namespace strata::kv {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/strata-config-test-XXXXXX";
    int fd = mkstemp(tmpl);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
    std::ofstream(path_) << content;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
};

bool Parse(Config& c, std::vector<std::string> args, std::string* err) {
  args.insert(args.begin(), "strata-server");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  bool exit_now = false;
  return c.ParseArgs(int(argv.size()), argv.data(), err, &exit_now);
}

std::string GetOne(const Config& c, const std::string& name) {
  auto v = c.Get(name);
  return v.size() == 1 ? v[0].second : "<" + std::to_string(v.size()) + " matches>";
}

TEST(ConfigTest, FlagsOverrideFileAndValuesParse) {
  TempFile f(
      "# comment\n"
      "port 7001\n"
      "maxmemory 100mb\n"
      "maxmemory-policy allkeys-lru\n"
      "requirepass \"two words\"\n"
      "client-output-buffer-limit normal 1mb 512kb 10\n");
  Config c;
  std::string err;
  ASSERT_TRUE(Parse(c, {f.path(), "--port", "7002", "--threads", "3"}, &err)) << err;
  EXPECT_EQ(c.port, 7002);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.maxmemory.load(), 100ULL * 1024 * 1024);
  EXPECT_EQ(GetOne(c, "maxmemory-policy"), "allkeys-lru");
  EXPECT_EQ(c.requirepass(), "two words");
  EXPECT_TRUE(c.has_password());
  EXPECT_EQ(c.obuf_hard.load(), 1024 * 1024);
  EXPECT_EQ(c.obuf_soft.load(), 512 * 1024);
  EXPECT_EQ(c.obuf_soft_seconds.load(), 10);
  EXPECT_FALSE(c.config_file.empty());
  EXPECT_EQ(c.config_file[0], '/');
}

TEST(ConfigTest, BadFlagsAndFilesAreReported) {
  std::string err;
  {
    Config c;
    EXPECT_FALSE(Parse(c, {"--nosuch", "1"}, &err));
    EXPECT_NE(err.find("unknown option '--nosuch'"), std::string::npos) << err;
  }
  {
    Config c;
    EXPECT_FALSE(Parse(c, {"--port"}, &err));
    EXPECT_NE(err.find("needs a value"), std::string::npos) << err;
  }
  {
    Config c;
    EXPECT_FALSE(Parse(c, {"--port", "99999"}, &err));
    EXPECT_NE(err.find("between 0 and 65535"), std::string::npos) << err;
  }
  {
    Config c;
    EXPECT_FALSE(Parse(c, {"/nonexistent/strata.conf"}, &err));
    EXPECT_NE(err.find("cannot open"), std::string::npos) << err;
  }
  {
    TempFile f("port 7000\nbogus-option 1\n");
    Config c;
    EXPECT_FALSE(Parse(c, {f.path()}, &err));
    EXPECT_NE(err.find("line 2"), std::string::npos) << err;
    EXPECT_NE(err.find("unknown option 'bogus-option'"), std::string::npos) << err;
  }
  {
    TempFile f("requirepass \"unterminated\n");
    Config c;
    EXPECT_FALSE(Parse(c, {f.path()}, &err));
    EXPECT_NE(err.find("unbalanced quotes"), std::string::npos) << err;
  }
}

TEST(ConfigTest, RuntimeSetErrorsUseRedisTexts) {
  Config c;
  const std::string pre = "CONFIG SET failed (possibly related to argument ";
  EXPECT_EQ(c.Set("nosuch", "1", true),
            "Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(c.Set("databases", "3", true), pre + "'databases') - can't set immutable config");
  EXPECT_EQ(c.Set("maxmemory", "abc", true),
            pre + "'maxmemory') - argument must be a memory value");
  EXPECT_EQ(c.Set("hz", "abc", true), pre + "'hz') - argument couldn't be parsed into an integer");
  EXPECT_EQ(c.Set("timeout", "-1", true),
            pre + "'timeout') - argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(c.Set("appendonly", "maybe", true),
            pre + "'appendonly') - argument must be 'yes' or 'no'");
  EXPECT_EQ(c.Set("save", "foo", true), pre + "'save') - Invalid save parameters");
  EXPECT_EQ(c.Set("loglevel", "loud", true),
            pre +
                "'loglevel') - argument(s) must be one of the following: debug, verbose, "
                "notice, warning");
  EXPECT_NE(c.Set("maxmemory-policy", "foo", true).find("must be one of the following: "),
            std::string::npos);
  EXPECT_EQ(c.Set("client-output-buffer-limit", "normal x 0 0", true),
            pre +
                "'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting "
                "in buffer limit configuration.");
  EXPECT_EQ(c.Set("client-output-buffer-limit", "weird 0 0 0", true),
            pre +
                "'client-output-buffer-limit') - Invalid client class specified in buffer "
                "limit configuration.");
  // Failed sets change nothing.
  EXPECT_EQ(c.maxmemory.load(), 0u);
  EXPECT_EQ(c.hz.load(), 10);
}

TEST(ConfigTest, RuntimeSetAndGet) {
  Config c;
  EXPECT_EQ(c.Set("MAXMEMORY", "1gb", true), "");
  EXPECT_EQ(c.maxmemory.load(), 1ULL << 30);
  EXPECT_EQ(c.Set("maxmemory-policy", "ALLKEYS-LFU", true), "");
  EXPECT_EQ(GetOne(c, "maxmemory-policy"), "allkeys-lfu");
  EXPECT_EQ(c.Set("hz", "0", true), "");  // clamped as Redis does
  EXPECT_EQ(c.hz.load(), 1);
  EXPECT_EQ(c.Set("hz", "100000", true), "");
  EXPECT_EQ(c.hz.load(), 500);
  // --io: fixed at start, uring unless told otherwise.
  EXPECT_EQ(GetOne(c, "io"), "uring");
  EXPECT_EQ(c.Set("io", "epoll", false), "");
  EXPECT_EQ(GetOne(c, "io"), "epoll");
  EXPECT_NE(c.Set("io", "epoll", true), "");
  EXPECT_EQ(c.Set("io", "kqueue", false), "argument(s) must be one of the following: epoll, uring");
  // Only the global config pushes the event loops' nap ceiling to io::Reactor.
  const std::string pre = "CONFIG SET failed (possibly related to argument 'loop-nap-us') - ";
  EXPECT_EQ(GetOne(c, "loop-nap-us"), "50");
  EXPECT_EQ(c.Set("loop-nap-us", "1001", true),
            pre + "argument must be between 0 and 1000 inclusive");
  EXPECT_EQ(c.Set("loop-nap-us", "x", true), pre + "argument couldn't be parsed into an integer");
  int64_t before = io::Reactor::MaxNapMicros();
  EXPECT_EQ(c.Set("loop-nap-us", "7", true), "");
  EXPECT_EQ(GetOne(c, "loop-nap-us"), "7");
  EXPECT_EQ(io::Reactor::MaxNapMicros(), before);
  EXPECT_EQ(GlobalConfig().Set("loop-nap-us", "9", true), "");
  EXPECT_EQ(io::Reactor::MaxNapMicros(), 9);
  EXPECT_EQ(GlobalConfig().Set("loop-nap-us", "50", true), "");
  EXPECT_EQ(io::Reactor::MaxNapMicros(), 50);
  EXPECT_EQ(c.Set("save", "", true), "");
  EXPECT_EQ(c.Set("save", "3600 1 300 100", true), "");
  EXPECT_EQ(c.Set("appendonly", "no", true), "");

  auto mm = c.Get("maxmemory*");
  ASSERT_EQ(mm.size(), 3u);
  EXPECT_EQ(mm[0].first, "maxmemory");
  EXPECT_EQ(mm[0].second, std::to_string(1ULL << 30));
  EXPECT_TRUE(c.Get("nosuch").empty());
  EXPECT_EQ(GetOne(c, "appendonly"), "no");
  EXPECT_EQ(GetOne(c, "save"), "3600 1 300 100");
  EXPECT_EQ(c.Set("stop-writes-on-bgsave-error", "maybe", true),
            std::string("CONFIG SET failed (possibly related to argument ") +
                "'stop-writes-on-bgsave-error') - argument must be 'yes' or 'no'");
  EXPECT_EQ(GetOne(c, "stop-writes-on-bgsave-error"), "yes");
}

TEST(ConfigTest, RewriteWithoutFileFails) {
  Config c;
  EXPECT_EQ(c.Rewrite(), "The server is running without a config file");
}

TEST(ConfigTest, RewriteKeepsCommentsAndUpdatesValues) {
  TempFile f(
      "# my settings\n"
      "port 7001\n"
      "maxmemory 100mb\n"
      "maxmemory 200mb\n"
      "\n"
      "# end\n");
  Config c;
  std::string err;
  ASSERT_TRUE(Parse(c, {f.path()}, &err)) << err;
  ASSERT_EQ(c.Set("maxmemory", "1mb", true), "");
  ASSERT_EQ(c.Set("maxmemory-policy", "allkeys-lru", true), "");
  ASSERT_EQ(c.Set("requirepass", "p w", true), "");
  ASSERT_EQ(c.Rewrite(), "");
  EXPECT_EQ(f.Read(),
            "# my settings\n"
            "port 7001\n"
            "maxmemory 1048576\n"
            "\n"
            "# end\n"
            "# Generated by CONFIG REWRITE\n"
            "maxmemory-policy allkeys-lru\n"
            "requirepass \"p w\"\n");
  // The rewritten file loads back to the same values.
  Config d;
  ASSERT_TRUE(Parse(d, {f.path()}, &err)) << err;
  EXPECT_EQ(d.maxmemory.load(), 1048576u);
  EXPECT_EQ(d.requirepass(), "p w");
  EXPECT_EQ(GetOne(d, "maxmemory-policy"), "allkeys-lru");
}

TEST(ConfigTest, LimitsThatWouldLockClientsOutAreRefused) {
  Config c;
  const std::string pre = "CONFIG SET failed (possibly related to argument ";
  const std::string floor = "argument must be between 1048576 and 9223372036854775807 inclusive";
  for (const char* name : {"client-query-buffer-limit", "proto-max-bulk-len"}) {
    for (const char* v : {"0", "1", "1048575", "1023kb", "99999999999999999999"})
      EXPECT_EQ(c.Set(name, v, true), pre + "'" + name + "') - " + floor) << name << " " << v;
    EXPECT_EQ(c.Set(name, "-1", true), pre + "'" + name + "') - argument must be a memory value");
    EXPECT_EQ(c.Set(name, "1mb", true), "");
  }
  EXPECT_EQ(c.proto_max_bulk_len.load(), 1024 * 1024);
  EXPECT_EQ(c.client_query_buffer_limit.load(), 1024 * 1024);
  // A number too large for 64 bits saturates, as Redis's memtoull: a valid (huge) maxmemory.
  EXPECT_EQ(c.Set("maxmemory", "99999999999999999999", true), "");
  EXPECT_EQ(c.maxmemory.load(), UINT64_MAX);
  EXPECT_EQ(c.Set("maxclients", "0", true),
            pre + "'maxclients') - argument must be between 1 and 4294967295 inclusive");
  EXPECT_EQ(c.Set("maxmemory-samples", "0", true),
            pre + "'maxmemory-samples') - argument must be between 1 and 2147483647 inclusive");
}

TEST(ConfigTest, SafeDefaultsAndTheirOptions) {
  Config c;
  EXPECT_EQ(GetOne(c, "enable-debug-command"), "no");
  EXPECT_EQ(GetOne(c, "protected-mode"), "yes");
  EXPECT_EQ(GetOne(c, "shutdown-timeout"), "10");
  EXPECT_EQ(c.Set("enable-debug-command", "local", true),
            "CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set "
            "immutable config");
  EXPECT_EQ(c.Set("enable-debug-command", "local", false), "");
  EXPECT_EQ(c.enable_debug_command, ProtectedAction::kLocal);
  EXPECT_EQ(c.Set("enable-debug-command", "always", false),
            "argument(s) must be one of the following: no, yes, local");
  EXPECT_EQ(c.Set("protected-mode", "no", true), "");
  EXPECT_FALSE(c.protected_mode.load());
}

TEST(ConfigTest, BadValueInFileNamesTheOption) {
  TempFile f("port 7000\nclient-query-buffer-limit 1\n");
  Config c;
  std::string err;
  EXPECT_FALSE(Parse(c, {f.path()}, &err));
  EXPECT_NE(err.find("line 2"), std::string::npos) << err;
  EXPECT_NE(err.find("'client-query-buffer-limit'"), std::string::npos) << err;
  EXPECT_NE(err.find("between 1048576 and"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::kv
