#include "kv/server/config.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <type_traits>
#include <utility>

#include "base/fd_limit.h"
#include "base/glob.h"
#include "base/log.h"
#include "base/strutil.h"
#include "io/reactor.h"
#include "kv/messaging/notify.h"
#include "kv/server/bgsave.h"
#include "kv/version.h"

namespace strata::kv {
namespace {

using Setter = std::function<std::string(Config&, const std::vector<std::string>&)>;
using Getter = std::function<std::string(const Config&)>;

struct Option {
  const char* name;
  bool mutable_at_runtime;
  const char* help;
  Setter set;
  Getter get;
  bool alias = false;  // another name for the option before it (CONFIG REWRITE skips it)
};

// An older name of `o` (Redis keeps the ziplist-era names as aliases).
Option Alias(const char* alias, Option o) {
  o.name = alias;
  o.alias = true;
  return o;
}

std::string BadValue(const char* name, const std::string& v) {
  return std::string("argument(s) '") + v + "' is invalid for '" + name + "'";
}

// Redis's CONFIG SET error texts (the caller adds "CONFIG SET failed ... - ").
constexpr const char* kNotInteger = "argument couldn't be parsed into an integer";
constexpr const char* kNotMemory = "argument must be a memory value";
constexpr const char* kNotYesNo = "argument must be 'yes' or 'no'";

std::string OutOfRange(int64_t lo, int64_t hi) {
  return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
}

std::string OneOf(const std::string& names_space_separated) {
  std::string list;
  for (char ch : names_space_separated) {
    if (ch == ' ')
      list += ", ";
    else
      list += ch;
  }
  return "argument(s) must be one of the following: " + list;
}

template <typename T>
Option IntOption(const char* name, bool mut, const char* help, T Config::*field, int64_t lo,
                 int64_t hi) {
  return Option{name, mut, help,
                [=](Config& c, const std::vector<std::string>& v) -> std::string {
                  int64_t x;
                  if (v.size() != 1) return BadValue(name, v.empty() ? "" : v[0]);
                  if (!ParseInt64(v[0], &x)) return kNotInteger;
                  if (x < lo || x > hi) return OutOfRange(lo, hi);
                  if constexpr (std::is_same_v<T, int>)
                    c.*field = int(x);
                  else
                    (c.*field).store(decltype((c.*field).load())(x));
                  return "";
                },
                [=](const Config& c) -> std::string {
                  if constexpr (std::is_same_v<T, int>)
                    return std::to_string(c.*field);
                  else
                    return std::to_string((c.*field).load());
                }};
}

// maxclients: once the server runs (fd_reserved set), a new value must fit under the open-file
// limit, which is raised if the system allows; otherwise the error says what would fit.
Option MaxclientsOption() {
  Option o = IntOption("maxclients", true, "maximum simultaneous clients (default 10000)",
                       &Config::maxclients, 1, UINT32_MAX);
  Setter plain = o.set;
  o.set = [plain](Config& c, const std::vector<std::string>& v) -> std::string {
    int64_t before = c.maxclients.load();
    std::string err = plain(c, v);
    int64_t reserved = c.fd_reserved.load();
    if (!err.empty() || reserved == 0) return err;
    int64_t want = c.maxclients.load();
    int64_t fit = MakeRoomForClients(want, 1, reserved);
    if (fit >= want) return "";
    c.maxclients.store(before);
    return "The operating system is not able to handle the specified number of clients, try "
           "with " +
           std::to_string(fit < 1 ? 1 : fit);
  };
  return o;
}

// A memory value as Redis reads one: digits with an optional unit; a number too large for 64
// bits saturates (Redis's memtoull), so it fails the range check rather than the syntax check.
bool ParseConfigMemory(const std::string& s, uint64_t* out) {
  if (ParseMemorySize(s, out)) return true;
  size_t digits = 0;
  while (digits < s.size() && isdigit(static_cast<unsigned char>(s[digits]))) digits++;
  uint64_t unit_only;
  if (digits == 0 || !ParseMemorySize("1" + s.substr(digits), &unit_only)) return false;
  *out = UINT64_MAX;
  return true;
}

// A memory option whose value must lie in [lo, hi], with Redis's texts for both failures.
Option MemOption(const char* name, bool mut, const char* help, std::atomic<int64_t> Config::*field,
                 int64_t lo, int64_t hi = INT64_MAX) {
  return Option{name, mut, help,
                [=](Config& c, const std::vector<std::string>& v) -> std::string {
                  uint64_t x;
                  if (v.size() != 1) return BadValue(name, v.empty() ? "" : v[0]);
                  if (!ParseConfigMemory(v[0], &x)) return kNotMemory;
                  if (x < uint64_t(lo) || x > uint64_t(hi)) return OutOfRange(lo, hi);
                  (c.*field).store(int64_t(x));
                  return "";
                },
                [=](const Config& c) { return std::to_string((c.*field).load()); }};
}

// Options strata-server accepts for redis.conf compatibility but only in their "off" form.
Option OnlyNoOption(const char* name, bool mut, const char* help) {
  return Option{name, mut, help,
                [=](Config&, const std::vector<std::string>& v) -> std::string {
                  if (v.size() != 1) return BadValue(name, v.empty() ? "" : v[0]);
                  std::string x = ToLower(v[0]);
                  if (x == "no") return "";
                  if (x == "yes") return "'yes' is not supported by strata-server";
                  return kNotYesNo;
                },
                [](const Config&) { return std::string("no"); }};
}

Option YesNoOption(const char* name, bool mut, const char* help, std::atomic<bool> Config::*field) {
  return Option{name, mut, help,
                [=](Config& c, const std::vector<std::string>& v) -> std::string {
                  if (v.size() != 1) return BadValue(name, v.empty() ? "" : v[0]);
                  std::string x = ToLower(v[0]);
                  if (x != "yes" && x != "no") return kNotYesNo;
                  (c.*field).store(x == "yes");
                  return "";
                },
                [=](const Config& c) { return std::string((c.*field).load() ? "yes" : "no"); }};
}

// An option taking one of a fixed list of names (case-insensitive), stored as its value: an
// atomic int for options that change at run time, or a plain enum for those fixed at start.
template <typename Field>
Option EnumOption(const char* name, bool mut, const char* help, Field Config::*field,
                  std::vector<std::pair<const char*, int>> names) {
  return Option{name, mut, help,
                [=](Config& c, const std::vector<std::string>& v) -> std::string {
                  if (v.size() != 1) return BadValue(name, v.empty() ? "" : v[0]);
                  for (const auto& [n, value] : names) {
                    if (!EqualsIgnoreCase(v[0], n)) continue;
                    if constexpr (std::is_enum_v<Field>)
                      c.*field = Field(value);
                    else
                      (c.*field).store(value);
                    return "";
                  }
                  std::string all;
                  for (const auto& [n, value] : names)
                    all += (all.empty() ? "" : " ") + std::string(n);
                  return OneOf(all);
                },
                [=](const Config& c) {
                  int value;
                  if constexpr (std::is_enum_v<Field>)
                    value = int(c.*field);
                  else
                    value = (c.*field).load();
                  for (const auto& [n, v] : names)
                    if (v == value) return std::string(n);
                  return std::string(names.front().first);
                }};
}

const std::vector<Option>& Options() {
  static const std::vector<Option> opts = {
      Option{"bind", false, "address to listen on (default 127.0.0.1)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.empty()) return BadValue("bind", "");
               c.bind = v[0];  // first address; strata listens on one
               return "";
             },
             [](const Config& c) { return c.bind; }},
      IntOption("port", false, "TCP port (default 6379)", &Config::port, 0, 65535),
      Option{"memcached-max-item-size", true,
             "largest memcached item, key and overhead included, as memcached's -I "
             "(1k .. 1gb, default 1mb)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               uint64_t x;
               if (v.size() != 1 || !ParseMemorySize(v[0], &x) || x < 1024 || x > (1ull << 30))
                 return BadValue("memcached-max-item-size", v.empty() ? "" : v[0]);
               c.memcached_max_item_size.store(x);
               return "";
             },
             [](const Config& c) { return std::to_string(c.memcached_max_item_size.load()); }},
      IntOption("memcached-port", false,
                "TCP port of the memcached text protocol, on the same keyspace (default 0: off)",
                &Config::memcached_port, 0, 65535),
      IntOption("threads", false, "shard threads, one per core when 0 (default 0)",
                &Config::threads, 0, 256),
      EnumOption("io", false,
                 "epoll or uring: uring sends a loop turn's replies to all its connections with "
                 "one io_uring system call, falling back to epoll where io_uring is refused "
                 "(default uring)",
                 &Config::io_mode, {{"epoll", 0}, {"uring", 1}}),
      EnumOption("thread-packing", true,
                 "auto, never or always: at low load (auto) every shard is run by the first shard "
                 "thread while the others sleep (default auto)",
                 &Config::thread_packing,
                 {{"auto", int(ThreadPacking::kAuto)},
                  {"never", int(ThreadPacking::kNever)},
                  {"always", int(ThreadPacking::kAlways)}}),
      IntOption("databases", false, "number of logical databases (default 16)", &Config::databases,
                1, 1000000),
      Option{"maxmemory", true, "memory limit in bytes, with units: 100mb, 2gb (0 = none)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               uint64_t x;
               if (v.size() != 1) return BadValue("maxmemory", v.empty() ? "" : v[0]);
               if (!ParseConfigMemory(v[0], &x)) return kNotMemory;
               c.maxmemory.store(x);
               return "";
             },
             [](const Config& c) { return std::to_string(c.maxmemory.load()); }},
      Option{"maxmemory-policy", true, "eviction policy when maxmemory is reached",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("maxmemory-policy", v.empty() ? "" : v[0]);
               auto p = cache::sampled::ParseMaxmemoryPolicy(v[0]);
               if (!p.ok()) {
                 std::string names;
                 for (std::string_view n : cache::sampled::MaxmemoryPolicyNames())
                   names += (names.empty() ? "" : " ") + std::string(n);
                 return OneOf(names);
               }
               c.set_policy(*p);
               return "";
             },
             [](const Config& c) {
               return std::string(cache::sampled::MaxmemoryPolicyName(c.policy()));
             }},
      IntOption("maxmemory-samples", true, "keys sampled per eviction (default 5)",
                &Config::maxmemory_samples, 1, INT32_MAX),
      IntOption("lfu-log-factor", true, "LFU counter logarithm factor (default 10)",
                &Config::lfu_log_factor, 0, INT32_MAX),
      IntOption("lfu-decay-time", true, "LFU counter decay period in minutes (default 1)",
                &Config::lfu_decay_time, 0, INT32_MAX),
      YesNoOption("hotkeys-tracking", true,
                  "count each shard's most accessed keys for HOTKEYS (default yes)",
                  &Config::hotkeys_tracking),
      IntOption("hotkeys-sample-period", true,
                "count about one access in this many for HOTKEYS, counts scaled back; 1 counts "
                "every access (default 8)",
                &Config::hotkeys_sample_period, 1, 1 << 20),
      Option{"requirepass", true, "password clients must AUTH with (default none)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("requirepass", "");
               c.set_requirepass(v[0]);
               return "";
             },
             [](const Config& c) { return c.requirepass(); }},
      MaxclientsOption(),
      IntOption("timeout", true, "close clients idle for this many seconds (0 = never)",
                &Config::timeout, 0, INT32_MAX),
      // Below 1mb either limit would refuse ordinary commands (even CONFIG SET to undo it), so
      // Redis's floor applies here too.
      MemOption("proto-max-bulk-len", true,
                "largest bulk string accepted, at least 1mb (default 512mb)",
                &Config::proto_max_bulk_len, 1024 * 1024),
      MemOption("hll-sparse-max-bytes", true,
                "largest sparse HyperLogLog in bytes before it turns dense (default 3000)",
                &Config::hll_sparse_max_bytes, 0),
      IntOption("tracking-table-max-keys", true,
                "most keys remembered for client-side caching (default 1000000, 0 = no limit)",
                &Config::tracking_table_max_keys, 0, INT64_MAX),
      MemOption("client-query-buffer-limit", true,
                "most unparsed input a client may have buffered, at least 1mb (default 1gb)",
                &Config::client_query_buffer_limit, 1024 * 1024),
      Option{"client-output-buffer-limit", true,
             "<class> <hard> <soft> <soft-seconds>: disconnect slow readers (normal 0 0 0, pubsub "
             "32mb 8mb 60)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               std::vector<std::string> w;
               for (const auto& s : v) {
                 std::istringstream is(s);
                 std::string t;
                 while (is >> t) w.push_back(t);
               }
               std::string joined;
               for (const auto& s : w) joined += (joined.empty() ? "" : " ") + s;
               if (w.empty() || w.size() % 4 != 0)
                 return "Wrong number of arguments in buffer limit configuration.";
               for (size_t i = 0; i < w.size(); i += 4) {
                 std::string cls = ToLower(w[i]);
                 uint64_t hard, soft;
                 int64_t secs;
                 if (cls != "normal" && cls != "replica" && cls != "slave" && cls != "pubsub")
                   return "Invalid client class specified in buffer limit configuration.";
                 if (!ParseMemorySize(w[i + 1], &hard) || !ParseMemorySize(w[i + 2], &soft) ||
                     !ParseInt64(w[i + 3], &secs) || secs < 0)
                   return "Error in hard, soft or soft_seconds setting in buffer limit "
                          "configuration.";
               }
               for (size_t i = 0; i < w.size(); i += 4) {
                 std::string cls = ToLower(w[i]);
                 if (cls != "normal" && cls != "pubsub") continue;
                 uint64_t hard, soft;
                 int64_t secs;
                 ParseMemorySize(w[i + 1], &hard);
                 ParseMemorySize(w[i + 2], &soft);
                 ParseInt64(w[i + 3], &secs);
                 bool n = cls == "normal";
                 (n ? c.obuf_hard : c.obuf_pubsub_hard).store(int64_t(hard));
                 (n ? c.obuf_soft : c.obuf_pubsub_soft).store(int64_t(soft));
                 (n ? c.obuf_soft_seconds : c.obuf_pubsub_seconds).store(int(secs));
               }
               return "";
             },
             [](const Config& c) {
               return "normal " + std::to_string(c.obuf_hard.load()) + " " +
                      std::to_string(c.obuf_soft.load()) + " " +
                      std::to_string(c.obuf_soft_seconds.load()) +
                      " slave 268435456 67108864 60 pubsub " +
                      std::to_string(c.obuf_pubsub_hard.load()) + " " +
                      std::to_string(c.obuf_pubsub_soft.load()) + " " +
                      std::to_string(c.obuf_pubsub_seconds.load());
             }},
      Option{"loop-nap-us", true,
             "longest nap of a busy event loop before it sleeps in epoll_wait, 0..1000 "
             "microseconds, 0 = never nap (default 50)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               int64_t x;
               if (v.size() != 1) return BadValue("loop-nap-us", v.empty() ? "" : v[0]);
               if (!ParseInt64(v[0], &x)) return kNotInteger;
               if (x < 0 || x > 1000) return OutOfRange(0, 1000);
               c.loop_nap_us.store(int(x));
               if (&c == &GlobalConfig()) io::Reactor::SetMaxNapMicros(x);
               return "";
             },
             [](const Config& c) { return std::to_string(c.loop_nap_us.load()); }},
      Option{"hz", true, "background task frequency per second, 1..500 (default 10)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               int64_t x;
               if (v.size() != 1) return BadValue("hz", v.empty() ? "" : v[0]);
               if (!ParseInt64(v[0], &x)) return kNotInteger;
               if (x < 0 || x > INT32_MAX) return OutOfRange(0, INT32_MAX);
               c.hz.store(int(x < 1 ? 1 : x > 500 ? 500 : x));  // clamped, as Redis does
               return "";
             },
             [](const Config& c) { return std::to_string(c.hz.load()); }},
      Option{
          "loglevel", true, "debug, verbose, notice or warning (default notice)",
          [](Config& c, const std::vector<std::string>& v) -> std::string {
            LogLevel l;
            if (v.size() != 1) return BadValue("loglevel", v.empty() ? "" : v[0]);
            if (!ParseLogLevel(ToLower(v[0]), &l)) return OneOf("debug verbose notice warning");
            c.loglevel.store(int(l));
            SetLogLevel(l);
            return "";
          },
          [](const Config& c) { return std::string(LogLevelName(LogLevel(c.loglevel.load()))); }},
      Option{"logfile", false, "log file path (default: standard error)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("logfile", "");
               c.logfile = v[0];
               return "";
             },
             [](const Config& c) { return c.logfile; }},
      IntOption("slowlog-log-slower-than", true, "slow log threshold in microseconds",
                &Config::slowlog_log_slower_than, -1, INT64_MAX),
      IntOption("slowlog-max-len", true, "slow log length", &Config::slowlog_max_len, 0, INT64_MAX),
      IntOption("latency-monitor-threshold", true,
                "LATENCY records events from this many milliseconds (0: off)",
                &Config::latency_monitor_threshold, 0, INT64_MAX),
      // RDB snapshots (SAVE, SHUTDOWN SAVE, loading at start).
      Option{"dir", true, "working directory: the snapshot file is written and read there",
             [](Config&, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return "wrong number of arguments";
               if (chdir(v[0].c_str()) == -1) return strerror(errno);
               return "";
             },
             [](const Config&) {
               char buf[PATH_MAX];
               if (!getcwd(buf, sizeof(buf))) buf[0] = '\0';
               return std::string(buf);
             }},
      Option{"dbfilename", true, "snapshot file name in dir (default dump.rdb)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("dbfilename", v.empty() ? "" : v[0]);
               if (v[0].find('/') != std::string::npos || v[0].find('\\') != std::string::npos)
                 return "dbfilename can't be a path, just a filename";
               c.set_dbfilename(v[0]);
               return "";
             },
             [](const Config& c) { return c.dbfilename(); }},
      YesNoOption("rdbcompression", true,
                  "compress long strings in snapshots with LZF (default yes)",
                  &Config::rdbcompression),
      YesNoOption("rdbchecksum", false, "end snapshots with a CRC64 checksum (default yes)",
                  &Config::rdbchecksum),
      // Append-only file.
      Option{"appendonly", true, "log every write to the append-only file (default no)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("appendonly", v.empty() ? "" : v[0]);
               std::string x = ToLower(v[0]);
               if (x != "yes" && x != "no") return kNotYesNo;
               bool on = x == "yes";
               bool was = c.appendonly.exchange(on);
               if (auto* hook = c.appendonly_hook.load(); hook && was != on) hook(on);
               return "";
             },
             [](const Config& c) { return std::string(c.appendonly.load() ? "yes" : "no"); }},
      EnumOption("appendfsync", true, "always, everysec or no (default everysec)",
                 &Config::appendfsync, {{"everysec", 1}, {"always", 2}, {"no", 0}}),
      YesNoOption("aof-use-rdb-preamble", true, "write the AOF base file as an RDB (default yes)",
                  &Config::aof_use_rdb_preamble),
      YesNoOption("aof-load-truncated", true,
                  "load an AOF whose last record is torn, cutting it off (default yes)",
                  &Config::aof_load_truncated),
      IntOption("auto-aof-rewrite-percentage", true,
                "rewrite the AOF when it grew by this percentage since the last rewrite (0: off)",
                &Config::auto_aof_rewrite_percentage, 0, INT32_MAX),
      Option{"auto-aof-rewrite-min-size", true,
             "smallest AOF size for an automatic rewrite (default 64mb)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               uint64_t x;
               if (v.size() != 1 || !ParseMemorySize(v[0], &x))
                 return BadValue("auto-aof-rewrite-min-size", v.empty() ? "" : v[0]);
               c.auto_aof_rewrite_min_size.store(int64_t(x));
               return "";
             },
             [](const Config& c) { return std::to_string(c.auto_aof_rewrite_min_size.load()); }},
      Option{"appenddirname", false, "folder of the AOF files in dir (default appendonlydir)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("appenddirname", v.empty() ? "" : v[0]);
               if (v[0].empty() || v[0].find('/') != std::string::npos || v[0] == "." ||
                   v[0] == "..")
                 return "appenddirname can't be a path, just a dirname";
               c.appenddirname = v[0];
               return "";
             },
             [](const Config& c) { return c.appenddirname; }},
      Option{"appendfilename", false, "prefix of the AOF file names (default appendonly.aof)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               if (v.size() != 1) return BadValue("appendfilename", v.empty() ? "" : v[0]);
               if (v[0].empty() || v[0].find('/') != std::string::npos)
                 return "appendfilename can't be a path, just a filename";
               c.appendfilename = v[0];
               return "";
             },
             [](const Config& c) { return c.appendfilename; }},
      // Automatic snapshots (kv/server/bgsave.h): pairs of <seconds> <changes>, "" for none.
      Option{"save", true,
             "snapshot schedule: <seconds> <changes> pairs, \"\" for none "
             "(default 3600 1 300 100 60 10000)",
             [](Config&, const std::vector<std::string>& v) -> std::string {
               std::vector<SaveRule> rules;
               std::string err = ParseSaveRules(v, &rules);
               if (err.empty()) SetSaveRules(std::move(rules));
               return err;
             },
             [](const Config&) { return SaveRulesText(); }},
      Option{"stop-writes-on-bgsave-error", true,
             "refuse writes (MISCONF) while the last background save failed (default yes)",
             [](Config&, const std::vector<std::string>& v) -> std::string {
               std::string x = v.empty() ? std::string() : ToLower(v[0]);
               if (x != "yes" && x != "no") return kNotYesNo;
               g_stop_writes_on_bgsave_error.store(x == "yes");
               return "";
             },
             [](const Config&) {
               return std::string(g_stop_writes_on_bgsave_error.load() ? "yes" : "no");
             }},
      YesNoOption("protected-mode", true,
                  "with no requirepass, refuse clients other than 127.0.0.1, ::1 and Unix "
                  "sockets (default yes)",
                  &Config::protected_mode),
      EnumOption("enable-debug-command", false,
                 "no, yes or local: who may run DEBUG; local means clients connected from "
                 "127.0.0.1, ::1 or a Unix socket (default no)",
                 &Config::enable_debug_command,
                 {{"no", int(ProtectedAction::kNo)},
                  {"yes", int(ProtectedAction::kYes)},
                  {"local", int(ProtectedAction::kLocal)}}),
      EnumOption("enable-protected-configs", false,
                 "no, yes or local: who may CONFIG SET dir and dbfilename; local means clients "
                 "connected from 127.0.0.1, ::1 or a Unix socket (default no)",
                 &Config::enable_protected_configs,
                 {{"no", int(ProtectedAction::kNo)},
                  {"yes", int(ProtectedAction::kYes)},
                  {"local", int(ProtectedAction::kLocal)}}),
      IntOption("shutdown-timeout", true,
                "seconds SIGTERM or SHUTDOWN waits for shard threads busy in a long command, then "
                "exits without them, status 1 (default 10)",
                &Config::shutdown_timeout, 0, INT32_MAX),
      IntOption("busy-reply-threshold", true,
                "milliseconds a script runs before other clients get BUSY and SCRIPT KILL can "
                "stop it (default 5000)",
                &Config::busy_reply_threshold, 0, INT64_MAX),
      Alias("lua-time-limit",
            IntOption("busy-reply-threshold", true, "alias of busy-reply-threshold",
                      &Config::busy_reply_threshold, 0, INT64_MAX)),
      // Data-type encodings: when a container outgrows its compact form (as in Redis 7.0).
      IntOption("hash-max-listpack-entries", true,
                "fields up to which a hash stays compact (default 512)",
                &Config::hash_max_listpack_entries, 0, INT64_MAX),
      Alias("hash-max-ziplist-entries",
            IntOption("hash-max-listpack-entries", true, "alias of hash-max-listpack-entries",
                      &Config::hash_max_listpack_entries, 0, INT64_MAX)),
      MemOption("hash-max-listpack-value", true,
                "longest field or value of a compact hash (default 64)",
                &Config::hash_max_listpack_value, 0),
      Alias("hash-max-ziplist-value",
            MemOption("hash-max-listpack-value", true, "alias of hash-max-listpack-value",
                      &Config::hash_max_listpack_value, 0)),
      IntOption("list-max-listpack-size", true,
                "list node size: > 0 entries, -1..-5 = 4kb..64kb (default -2)",
                &Config::list_max_listpack_size, INT32_MIN, INT32_MAX),
      Alias("list-max-ziplist-size",
            IntOption("list-max-listpack-size", true, "alias of list-max-listpack-size",
                      &Config::list_max_listpack_size, INT32_MIN, INT32_MAX)),
      IntOption("list-compress-depth", true,
                "list nodes left uncompressed at each end, 0 = none compressed (default 0)",
                &Config::list_compress_depth, 0, INT32_MAX),
      IntOption("set-max-intset-entries", true,
                "members up to which an integer set stays compact (default 512)",
                &Config::set_max_intset_entries, 0, INT64_MAX),
      IntOption("set-max-listpack-entries", true,
                "members up to which a small set stays compact (default 128)",
                &Config::set_max_listpack_entries, 0, INT64_MAX),
      IntOption("zset-max-listpack-entries", true,
                "members up to which a sorted set stays compact (default 128)",
                &Config::zset_max_listpack_entries, 0, INT64_MAX),
      Alias("zset-max-ziplist-entries",
            IntOption("zset-max-listpack-entries", true, "alias of zset-max-listpack-entries",
                      &Config::zset_max_listpack_entries, 0, INT64_MAX)),
      MemOption("zset-max-listpack-value", true,
                "longest member of a compact sorted set (default 64)",
                &Config::zset_max_listpack_value, 0),
      Alias("zset-max-ziplist-value",
            MemOption("zset-max-listpack-value", true, "alias of zset-max-listpack-value",
                      &Config::zset_max_listpack_value, 0)),
      MemOption("stream-node-max-bytes", true, "bytes per stream node (default 4096)",
                &Config::stream_node_max_bytes, 0),
      IntOption("stream-node-max-entries", true, "entries per stream node (default 100)",
                &Config::stream_node_max_entries, 0, INT64_MAX),
      Option{"notify-keyspace-events", true,
             "keyspace notification classes, Redis's letters: K E g $ l s h z x e t m d n A "
             "(default \"\": none)",
             [](Config& c, const std::vector<std::string>& v) -> std::string {
               uint32_t flags;
               if (v.size() != 1) return "wrong number of arguments";
               if (!notify::ParseFlags(v[0], &flags))
                 return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
               c.notify_keyspace_events.store(flags);
               if (&c == &GlobalConfig()) notify::g_flags.store(flags);
               return "";
             },
             [](const Config& c) { return notify::FormatFlags(c.notify_keyspace_events.load()); }},
      OnlyNoOption("daemonize", false,
                   "accepted: only 'no' (strata-server runs in the foreground)"),
  };
  return opts;
}

const Option* FindOption(std::string_view name) {
  for (const auto& o : Options()) {
    if (EqualsIgnoreCase(o.name, name)) return &o;
  }
  return nullptr;
}

// Splits a config line into words, honouring "double" and 'single' quotes.
bool SplitLine(const std::string& line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i >= line.size()) break;
    std::string w;
    if (line[i] == '"' || line[i] == '\'') {
      char q = line[i++];
      while (i < line.size() && line[i] != q) {
        if (line[i] == '\\' && i + 1 < line.size()) i++;
        w.push_back(line[i++]);
      }
      if (i >= line.size()) return false;
      i++;
    } else {
      while (i < line.size() && !isspace(static_cast<unsigned char>(line[i])))
        w.push_back(line[i++]);
    }
    out->push_back(w);
  }
  return true;
}

}  // namespace

Config& GlobalConfig() {
  static Config c;
  return c;
}

std::string Config::Set(std::string_view name, std::string_view value, bool at_runtime) {
  const Option* o = FindOption(name);
  if (!o)
    return "Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'";
  if (at_runtime && !o->mutable_at_runtime)
    return "CONFIG SET failed (possibly related to argument '" + std::string(name) +
           "') - can't set immutable config";
  // One argument, as Redis: a value may contain spaces (requirepass); the options that take
  // several words (save, client-output-buffer-limit) split it themselves.
  std::string err = o->set(*this, {std::string(value)});
  if (!err.empty() && at_runtime)
    return "CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " + err;
  return err;
}

bool Config::IsProtected(std::string_view name) {
  return EqualsIgnoreCase(name, "dir") || EqualsIgnoreCase(name, "dbfilename");
}

std::string Config::CheckSettable(std::string_view name, bool protected_allowed) const {
  const Option* o = FindOption(name);
  if (!o)
    return "Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'";
  if (!o->mutable_at_runtime)
    return "CONFIG SET failed (possibly related to argument '" + std::string(name) +
           "') - can't set immutable config";
  if (IsProtected(o->name) && !protected_allowed)
    return "CONFIG SET failed (possibly related to argument '" + std::string(name) +
           "') - can't set protected config";
  return "";
}

std::vector<std::pair<std::string, std::string>> Config::Get(std::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : Options()) {
    if (GlobMatch(pattern, o.name, true)) out.emplace_back(o.name, o.get(*this));
  }
  return out;
}

std::string Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot open config file '" + path + "'";
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    std::vector<std::string> words;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!SplitLine(line, &words)) {
      return "config file '" + path + "' line " + std::to_string(lineno) + ": unbalanced quotes";
    }
    if (words.empty()) continue;
    const Option* o = FindOption(words[0]);
    if (!o) {
      return "config file '" + path + "' line " + std::to_string(lineno) + ": unknown option '" +
             words[0] + "'";
    }
    std::vector<std::string> args(words.begin() + 1, words.end());
    std::string err = o->set(*this, args);
    if (!err.empty()) {
      std::string shown = line.substr(first);
      if (shown.size() > 200) shown = shown.substr(0, 200) + "...";
      return "config file '" + path + "' line " + std::to_string(lineno) + " ('" + shown +
             "'): invalid value for '" + o->name + "': " + err;
    }
  }
  return "";
}

namespace {

// A value as a config file line can hold it: quoted when empty or containing blanks or quotes.
std::string QuoteConfigValue(const std::string& v) {
  bool plain = !v.empty();
  for (char ch : v) {
    if (isspace(static_cast<unsigned char>(ch)) || ch == '"' || ch == '\'' || ch == '\\')
      plain = false;
  }
  if (plain) return v;
  std::string q = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

std::string ConfigLine(const Option& o, const Config& c) {
  std::string v = o.get(c);
  // Multi-word values are written as separate words (client-output-buffer-limit).
  if (std::string_view(o.name) == "client-output-buffer-limit")
    return std::string(o.name) + " " + v;
  return std::string(o.name) + " " + QuoteConfigValue(v);
}

}  // namespace

std::string Config::Rewrite() const {
  if (config_file.empty()) return "The server is running without a config file";
  std::vector<std::string> lines;
  {
    std::ifstream in(config_file);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  const Config defaults;
  std::vector<bool> written(Options().size(), false);
  std::string out;
  for (const auto& line : lines) {
    std::vector<std::string> words;
    size_t first = line.find_first_not_of(" \t\r");
    const Option* o = nullptr;
    if (first != std::string::npos && line[first] != '#' && SplitLine(line, &words) &&
        !words.empty())
      o = FindOption(words[0]);
    if (!o) {
      out += line + "\n";
      continue;
    }
    size_t idx = size_t(o - Options().data());
    if (written[idx]) continue;  // later duplicates are folded into the first occurrence
    written[idx] = true;
    out += ConfigLine(*o, *this) + "\n";
  }
  bool header = false;
  for (size_t i = 0; i < Options().size(); i++) {
    const Option& o = Options()[i];
    if (written[i] || o.alias || o.get(*this) == o.get(defaults)) continue;
    if (!header) {
      out += "# Generated by CONFIG REWRITE\n";
      header = true;
    }
    out += ConfigLine(o, *this) + "\n";
  }
  std::string tmp = config_file + ".rewrite.tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return "Rewriting config file: cannot open '" + tmp + "' for writing";
    f << out;
    f.flush();
    if (!f) return "Rewriting config file: write error on '" + tmp + "'";
  }
  if (rename(tmp.c_str(), config_file.c_str()) != 0) {
    unlink(tmp.c_str());
    return std::string("Rewriting config file: ") + strerror(errno);
  }
  return "";
}

bool Config::ParseArgs(int argc, char** argv, std::string* error, bool* exit_now) {
  *exit_now = false;
  int i = 1;
  if (i < argc && argv[i][0] != '-') {
    std::string err = LoadFile(argv[i]);
    if (!err.empty()) {
      *error = err;
      return false;
    }
    char abs[PATH_MAX];
    config_file = realpath(argv[i], abs) ? abs : argv[i];
    i++;
  }
  for (; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fputs(HelpText().c_str(), stdout);
      *exit_now = true;
      return true;
    }
    if (a == "--version" || a == "-v") {
      printf("strata-server v=%s (redis_version compatibility %s)\n", kStrataVersion,
             kRedisCompatVersion);
      *exit_now = true;
      return true;
    }
    if (a.rfind("--", 0) != 0) {
      *error = "unexpected argument '" + a + "' (options are --name value)";
      return false;
    }
    std::string name = a.substr(2);
    const Option* o = FindOption(name);
    if (!o) {
      *error = "unknown option '--" + name + "' (see --help)";
      return false;
    }
    std::vector<std::string> vals;
    while (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) vals.push_back(argv[++i]);
    if (vals.empty()) {
      *error = "option '--" + name + "' needs a value";
      return false;
    }
    std::string err = o->set(*this, vals);
    if (!err.empty()) {
      *error = "invalid value for '--" + name + "': " + err;
      return false;
    }
  }
  return true;
}

std::string Config::HelpText() {
  std::string s =
      "Usage: strata-server [/path/to/strata.conf] [--option value ...]\n"
      "       strata-server --help | --version\n\n"
      "Every option can be given in the config file (\"name value\") or as --name value;\n"
      "flags override the file. Options:\n";
  for (const auto& o : Options()) {
    if (o.alias) continue;
    char line[256];
    snprintf(line, sizeof(line), "  --%-28s %s%s\n", o.name, o.help,
             o.mutable_at_runtime ? "" : " [fixed at start]");
    s += line;
  }
  s += "\nmaxmemory-policy values:";
  for (std::string_view n : cache::sampled::MaxmemoryPolicyNames()) s += " " + std::string(n);
  s += "\n";
  s += "\nExample: strata-server --port 7000 --threads 2 --maxmemory 100mb "
       "--maxmemory-policy allkeys-lru\n";
  return s;
}

}  // namespace strata::kv
