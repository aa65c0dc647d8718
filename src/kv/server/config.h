// Config: every strata-server option, from defaults, a redis.conf-style file, `--name value`
// flags and CONFIG SET. One table (config.cc) defines each option's name, parser, printer and
// whether it may change at runtime, so --help, the file, flags and CONFIG GET/SET agree.
//
// Runtime-mutable values are atomics read with relaxed loads from any shard thread; the rest are
// fixed once the server starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cache/sampled/policy_names.h"

namespace strata::kv {

// enable-debug-command: whether DEBUG runs, for everyone or only for local clients (the peer is
// 127.0.0.1, ::1 or a Unix socket, as Redis defines it).
enum class ProtectedAction { kNo = 0, kYes = 1, kLocal = 2 };

// thread-packing: whether shards may be run by fewer threads than there are shards.
enum class ThreadPacking { kAuto = 0, kNever = 1, kAlways = 2 };

struct Config {
  // Fixed at start.
  std::string bind = "127.0.0.1";
  int port = 6379;
  int memcached_port = 0;  // memcached text protocol listener; 0 = off
  // Largest memcached item, key and overhead included (memcached's -I; 1 KB .. 1 GB).
  std::atomic<uint64_t> memcached_max_item_size{1024 * 1024};
  int threads = 0;  // 0 = one per core
  // io: how the loops send (io/send_batch.h): 0 = epoll (a send() per connection), 1 = uring (a
  // turn's sends in one io_uring_enter; epoll where io_uring is refused). Readiness and receives
  // are epoll's either way.
  std::atomic<int> io_mode{1};
  int databases = 16;
  std::string logfile;
  std::string config_file;  // absolute path of the file given at start, empty if none
  ProtectedAction enable_debug_command = ProtectedAction::kNo;
  // Who may CONFIG SET the protected options (dir, dbfilename: together with SAVE they choose
  // which file the server writes), as Redis 7.
  ProtectedAction enable_protected_configs = ProtectedAction::kNo;

  // Mutable at runtime.
  std::atomic<uint64_t> maxmemory{0};
  // maxmemory-policy packed as (algorithm << 1) | volatile_only.
  std::atomic<int> maxmemory_policy{0};
  std::atomic<int> maxmemory_samples{5};
  std::atomic<int> lfu_log_factor{10};
  std::atomic<int> lfu_decay_time{1};
  std::atomic<int64_t> maxclients{10000};
  // hotkeys-tracking: every shard counts its most accessed keys for HOTKEYS.
  std::atomic<bool> hotkeys_tracking{true};
  // hotkeys-sample-period: about one access in this many is counted (counts scaled back).
  std::atomic<int> hotkeys_sample_period{8};
  // Not an option: the descriptors the running server keeps for itself (listeners, epoll and wake
  // fds, logs), set at start. From then on maxclients must fit under the open-file limit.
  std::atomic<int64_t> fd_reserved{0};
  std::atomic<int> timeout{0};  // seconds idle before closing a client, 0 = never
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  // Largest sparse HyperLogLog (bytes, header included) before it is converted to dense.
  std::atomic<int64_t> hll_sparse_max_bytes{3000};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> obuf_hard{0};  // client-output-buffer-limit normal <hard> <soft> <secs>
  std::atomic<int64_t> obuf_soft{0};
  std::atomic<int> obuf_soft_seconds{0};
  // client-output-buffer-limit pubsub <hard> <soft> <secs>: subscribers (Redis's defaults).
  std::atomic<int64_t> obuf_pubsub_hard{32 * 1024 * 1024};
  std::atomic<int64_t> obuf_pubsub_soft{8 * 1024 * 1024};
  std::atomic<int> obuf_pubsub_seconds{60};
  // Most keys the client-side caching table remembers (0: no limit).
  std::atomic<int64_t> tracking_table_max_keys{1000000};
  std::atomic<int> hz{10};
  // Longest nap of a busy event loop, microseconds (io/nap_policy.h); the global config's value
  // is pushed to io::Reactor at start and by CONFIG SET.
  std::atomic<int> loop_nap_us{50};
  std::atomic<int> thread_packing{int(ThreadPacking::kAuto)};
  std::atomic<int> loglevel{2};
  std::atomic<int64_t> slowlog_log_slower_than{10000};
  std::atomic<int64_t> slowlog_max_len{128};
  // latency-monitor-threshold: milliseconds from which LATENCY records an event, 0 = off.
  std::atomic<int64_t> latency_monitor_threshold{0};
  // protected-mode: with no password, only local clients may connect.
  std::atomic<bool> protected_mode{true};
  // shutdown-timeout: seconds SIGTERM/SHUTDOWN waits for shard threads busy in a long command
  // before the process exits without them (exit status 1); at least 1 s.
  std::atomic<int> shutdown_timeout{10};
  // busy-reply-threshold (lua-time-limit): milliseconds a script may run before other clients
  // get BUSY and SCRIPT KILL / FUNCTION KILL may stop it.
  std::atomic<int64_t> busy_reply_threshold{5000};
  // Data-type encodings (Redis 7.0 names and defaults; the ziplist names are aliases).
  std::atomic<int64_t> hash_max_listpack_entries{512};
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int> list_max_listpack_size{-2};
  std::atomic<int> list_compress_depth{0};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> set_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  std::atomic<int64_t> stream_node_max_bytes{4096};
  std::atomic<int64_t> stream_node_max_entries{100};
  // notify-keyspace-events, parsed (kv/messaging/notify.h classes). The process-wide Config also
  // publishes it to notify::g_flags, which the command families read.
  std::atomic<uint32_t> notify_keyspace_events{0};
  // RDB snapshots: rdbcompression (LZF for long strings) may change at runtime; rdbchecksum is
  // fixed at start, as in Redis. `dir` is the working directory (set by chdir, read by getcwd).
  std::atomic<bool> rdbcompression{true};
  std::atomic<bool> rdbchecksum{true};
  // Append-only file (kv/aof/aof_log.h). appendfsync: 0 no, 1 everysec, 2 always.
  // appenddirname and appendfilename are fixed at start, as in Redis.
  std::atomic<bool> appendonly{false};
  std::atomic<int> appendfsync{1};
  std::atomic<bool> aof_use_rdb_preamble{true};
  std::atomic<bool> aof_load_truncated{true};
  std::atomic<int64_t> auto_aof_rewrite_percentage{100};
  std::atomic<int64_t> auto_aof_rewrite_min_size{64 << 20};
  std::string appenddirname = "appendonlydir";
  std::string appendfilename = "appendonly.aof";
  // Installed by the AOF log once the server runs: CONFIG SET appendonly turns logging on or
  // off (any thread). Null during start-up, when the setting is only recorded.
  std::atomic<void (*)(bool)> appendonly_hook{nullptr};

  std::string requirepass() const {
    std::lock_guard<std::mutex> l(mu_);
    return requirepass_;
  }
  void set_requirepass(std::string p) {
    std::lock_guard<std::mutex> l(mu_);
    requirepass_ = std::move(p);
    has_password_.store(!requirepass_.empty(), std::memory_order_relaxed);
  }
  bool has_password() const { return has_password_.load(std::memory_order_relaxed); }

  // dbfilename: the snapshot file's name in `dir` (a plain name, never a path).
  std::string dbfilename() const {
    std::lock_guard<std::mutex> l(mu_);
    return dbfilename_;
  }
  void set_dbfilename(std::string f) {
    std::lock_guard<std::mutex> l(mu_);
    dbfilename_ = std::move(f);
  }

  cache::sampled::MaxmemoryPolicy policy() const {
    int v = maxmemory_policy.load(std::memory_order_relaxed);
    return {cache::sampled::Algorithm(v >> 1), bool(v & 1)};
  }
  void set_policy(cache::sampled::MaxmemoryPolicy p) {
    maxmemory_policy.store((int(p.algorithm) << 1) | int(p.volatile_only));
  }

  // Sets option `name` from its textual value. `at_runtime` rejects options fixed at start.
  // Returns an empty string on success, else the error text (without "ERR ").
  std::string Set(std::string_view name, std::string_view value, bool at_runtime);
  // Whether CONFIG SET may set option `name` (it exists and may change at runtime): "" if so,
  // else Set's error text for it.
  // `protected_allowed`: the client may set protected options (enable-protected-configs).
  std::string CheckSettable(std::string_view name, bool protected_allowed) const;
  // dir and dbfilename, as in Redis.
  static bool IsProtected(std::string_view name);
  // Values of every option whose name matches the glob, as (name, value) pairs.
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;

  // Loads a redis.conf-style file ("name value..." lines, '#' comments, quoted values).
  std::string LoadFile(const std::string& path);
  // CONFIG REWRITE: rewrites config_file with the current values, keeping its comments and
  // unknown lines in place and appending changed options it did not mention. Returns an error
  // text (without "ERR ") or "".
  std::string Rewrite() const;
  // Parses argv: [config-file] then --name value pairs. Returns false with *error set.
  // Sets *exit_now for --help / --version (after printing).
  bool ParseArgs(int argc, char** argv, std::string* error, bool* exit_now);

  static std::string HelpText();

 private:
  mutable std::mutex mu_;
  std::string requirepass_;
  std::string dbfilename_ = "dump.rdb";
  std::atomic<bool> has_password_{false};
};

// The process-wide configuration.
Config& GlobalConfig();

}  // namespace strata::kv
