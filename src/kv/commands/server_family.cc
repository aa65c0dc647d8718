// Server commands: INFO, CONFIG, SLOWLOG, MONITOR, TIME, LASTSAVE, SHUTDOWN, DEBUG. COMMAND
// lives in command_docs.cc, INFO's formatting in info.cc.
//
// INFO and CONFIG are coroutines on the connection's thread: INFO sums statistics from every
// shard thread, CONFIG SET/RESETSTAT apply changes on every shard (Shards().Broadcast).
#include <limits.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/memory.h"
#include "base/strutil.h"
#include "cache/sampled/policy_names.h"
#include "io/send_batch.h"
#include "kv/commands/command_docs.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/family_util.h"
#include "kv/commands/info.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/engine/memory_accounting.h"
#include "kv/server/bgsave.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/loading.h"
#include "kv/server/monitor.h"
#include "kv/server/server.h"
#include "kv/server/shard_set.h"
#include "kv/server/snapshot.h"
#include "kv/server/thread_packing.h"

namespace strata::kv {
namespace {

// Process start (uptime, LASTSAVE, rdb_last_save_time) and the run id, fixed at start-up.
const int64_t g_start_ms = UnixMillis();

const std::string& RunId() {
  static const std::string id = [] {
    std::random_device rd;
    std::mt19937_64 rng((uint64_t(rd()) << 32) ^ rd() ^ uint64_t(MonoNanos()));
    static const char kHex[] = "0123456789abcdef";
    std::string s(40, '0');
    for (auto& ch : s) ch = kHex[rng() & 15];
    return s;
  }();
  return id;
}

double TimevalSeconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

// ---------------------------------------------------------------------------------------------
// INFO

struct ShardReport {
  uint64_t dirty = 0;
  ShardTotals totals;
  ShardStats stats;
  ShardRates rates;
  std::vector<InfoData::Db> dbs;
  std::vector<CommandCounters> counters;
  std::vector<std::pair<std::string, uint64_t>> errors;
};

Task<void> CmdInfo(CmdContext& ctx) {
  std::set<std::string> sections = SelectInfoSections(ctx.args.subspan(1));
  bool want_commands = sections.count("commandstats") > 0;
  bool want_errors = sections.count("errorstats") > 0;
  std::vector<ShardReport> reports(Shards().size());
  co_await Shards().Broadcast([want_commands, want_errors, &reports](Shard& s, uint32_t i) {
    ShardReport& r = reports[i];
    s.PublishMemory();  // used_memory below reflects every shard's latest writes
    r.dirty = s.dirty();
    r.totals = LocalTotals();
    r.stats = s.stats();
    r.rates = LocalRates();
    for (int i = 0; i < s.databases(); i++)
      r.dbs.push_back(InfoData::Db{s.db(i).size(), s.db(i).volatile_count()});
    if (want_commands) r.counters = LocalCommandCounters();
    if (want_errors) r.errors = LocalErrorCounts();
  });
  const Config& cfg = GlobalConfig();
  InfoData d;
  // Facts fixed for the process life are computed once.
  static const std::string os = [] {
    utsname u;
    return uname(&u) == 0 ? std::string(u.sysname) + " " + u.release + " " + u.machine
                          : std::string();
  }();
  static const std::string executable = [] {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    return n > 0 ? std::string(exe, size_t(n)) : std::string();
  }();
  static const uint64_t total_system_memory = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  }();
  d.os = os;
  d.process_id = getpid();
  d.run_id = RunId();
  d.tcp_port = cfg.port;
  d.server_time_usec = UnixMicros();
  d.uptime_s = (UnixMillis() - g_start_ms) / 1000;
  d.hz = cfg.hz.load(std::memory_order_relaxed);
  d.executable = executable;
  d.config_file = cfg.config_file;
  d.shard_threads = Shards().size();
  d.running_threads = 0;
  for (uint32_t i = 0; i < Shards().size(); i++) {
    io::Reactor* r = Shards().reactor(i);
    d.running_threads += r->runner() == r ? 1 : 0;
    const io::LoopStats& ls = r->loop_stats();
    d.loop_waits += ls.waits.load(std::memory_order_relaxed);
    d.loop_sleeps += ls.sleeps.load(std::memory_order_relaxed);
    d.loop_naps += ls.naps.load(std::memory_order_relaxed);
    d.loop_events += ls.events.load(std::memory_order_relaxed);
  }
  d.loop_max_nap_us = io::Reactor::MaxNapMicros();
  d.io_mode = io::IoModeName(io::CurrentIoMode());
  d.io_batch_submits = io::BatchStats().submits.load(std::memory_order_relaxed);
  d.io_batched_sends = io::BatchStats().sends.load(std::memory_order_relaxed);
  d.thread_packs = GlobalPackingStats().packs.load(std::memory_order_relaxed);
  d.thread_spreads = GlobalPackingStats().spreads.load(std::memory_order_relaxed);
  d.thread_spreads_undone = GlobalPackingStats().spreads_undone.load(std::memory_order_relaxed);
  d.connected_clients = ConnectedClients();
  d.maxclients = cfg.maxclients.load(std::memory_order_relaxed);
  ctx.shard->PublishMemory();  // this thread's own slot is current; the others are per tick
  d.used_memory = uint64_t(MemoryAccounting::Get().Used());
  d.used_memory_peak = UpdateMemoryPeak(d.used_memory);
  if (sections.count("memory")) {  // the costlier sources (procfs, allocator statistics)
    d.used_memory_rss = ProcessRssBytes();
    d.allocator_allocated = AllocatorAllocatedBytes();
  }
  d.total_system_memory = total_system_memory;
  d.maxmemory = cfg.maxmemory.load(std::memory_order_relaxed);
  d.maxmemory_policy = std::string(cache::sampled::MaxmemoryPolicyName(cfg.policy()));
  d.mem_allocator = AllocatorName();
  d.start_time_s = g_start_ms / 1000;
  {
    const SaveStatus& st = GetSaveStatus();
    uint64_t dirty = 0;
    for (const ShardReport& r : reports) dirty += r.dirty;
    uint64_t at_save = st.dirty_at_save.load();
    d.rdb_changes_since_last_save = dirty > at_save ? dirty - at_save : 0;
    d.rdb_last_save_time = st.last_save_s.load();
    d.rdb_last_save_ok = st.last_ok.load();
    d.rdb_saves = st.saves.load();
    BgsaveReport bg = GetBgsaveReport();
    d.rdb_bgsave_in_progress = bg.in_progress;
    d.rdb_last_bgsave_time_sec = bg.last_time_sec;
    d.rdb_current_bgsave_time_sec = bg.current_time_sec;
    d.rdb_last_cow_size = bg.last_cow_bytes;
  }
  d.dbs.resize(size_t(cfg.databases));
  const auto& specs = CommandRegistry::Get().all();
  std::vector<CommandCounters> cmds(specs.size());
  std::map<std::string, uint64_t> errors;
  for (const auto& r : reports) {
    for (const auto& [prefix, count] : r.errors) errors[prefix] += count;
    d.totals += r.totals;
    d.shard += r.stats;
    d.rates += r.rates;
    for (size_t i = 0; i < r.dbs.size() && i < d.dbs.size(); i++) {
      d.dbs[i].keys += r.dbs[i].keys;
      d.dbs[i].expires += r.dbs[i].expires;
    }
    for (size_t i = 0; i < r.counters.size() && i < cmds.size(); i++) {
      cmds[i].calls += r.counters[i].calls;
      cmds[i].usec += r.counters[i].usec;
      cmds[i].rejected += r.counters[i].rejected;
      cmds[i].failed += r.counters[i].failed;
    }
  }
  if (want_commands) {
    for (size_t i = 0; i < specs.size(); i++) d.commands.emplace_back(specs[i].name, cmds[i]);
  }
  d.errors.assign(errors.begin(), errors.end());
  if (sections.count("cpu")) {
    rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
      d.cpu_sys = TimevalSeconds(ru.ru_stime);
      d.cpu_user = TimevalSeconds(ru.ru_utime);
    }
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
      d.cpu_sys_children = TimevalSeconds(ru.ru_stime);
      d.cpu_user_children = TimevalSeconds(ru.ru_utime);
    }
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
      d.cpu_sys_main_thread = TimevalSeconds(ru.ru_stime);
      d.cpu_user_main_thread = TimevalSeconds(ru.ru_utime);
    }
  }
  ctx.rb->Verbatim(FormatInfo(d, sections));
}

// ---------------------------------------------------------------------------------------------
// CONFIG

void ConfigGet(CmdContext& ctx) {
  const Config& cfg = GlobalConfig();
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> seen;  // canonical names already replied
  for (size_t i = 2; i < ctx.args.size(); i++) {
    // As Redis: an exact (non-glob) name is echoed as the client spelled it.
    bool exact = ctx.args[i].find_first_of("*?[") == std::string_view::npos;
    for (auto& kv : cfg.Get(ctx.args[i])) {
      bool dup = false;
      for (const auto& n : seen) dup |= n == kv.first;
      if (dup) continue;
      seen.push_back(kv.first);
      if (exact) kv.first = std::string(ctx.args[i]);
      out.push_back(std::move(kv));
    }
  }
  ctx.rb->MapHeader(out.size());
  for (const auto& [k, v] : out) {
    ctx.rb->Bulk(k);
    ctx.rb->Bulk(v);
  }
}

Task<void> ConfigSet(CmdContext& ctx) {
  if ((ctx.args.size() - 2) % 2 != 0) {
    ctx.rb->Error(kErrSyntax);
    co_return;
  }
  Config& cfg = GlobalConfig();
  bool protected_allowed =
      ctx.conn && ProtectedActionAllowed(cfg.enable_protected_configs, ctx.conn->state());
  // As Redis, every name is checked, in order, before anything is applied: unknown, immutable
  // or protected, then repeated.
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    if (std::string err = cfg.CheckSettable(ctx.args[i], protected_allowed); !err.empty()) {
      ctx.rb->Error("ERR " + err);
      co_return;
    }
    for (size_t j = 2; j < i; j += 2) {
      if (EqualsIgnoreCase(ctx.args[i], ctx.args[j])) {
        ctx.rb->Error("ERR CONFIG SET failed (possibly related to argument '" +
                      std::string(ctx.args[i]) + "') - duplicate parameter");
        co_return;
      }
    }
  }
  // Applied in order; on an error the ones already applied get their old values back, so the
  // command is all-or-nothing as in Redis.
  std::vector<std::pair<std::string, std::string>> applied;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    std::string old;
    for (const auto& kv : cfg.Get(ctx.args[i]))
      if (EqualsIgnoreCase(kv.first, ctx.args[i])) old = kv.second;
    std::string err = cfg.Set(ctx.args[i], ctx.args[i + 1], true);
    if (!err.empty()) {
      for (auto it = applied.rbegin(); it != applied.rend(); ++it)
        cfg.Set(it->first, it->second, false);
      ctx.rb->Error("ERR " + err);
      co_return;
    }
    applied.emplace_back(std::string(ctx.args[i]), old);
  }
  // Shards read most values directly; the eviction policy is cached per shard: refresh it now.
  // A lower maxmemory is enforced before the reply, as Redis does: every shard evicts down to
  // its share now, so no write after the OK lands while the server is over the new limit.
  bool limit_changed = false;
  for (const auto& [name, old] : applied)
    limit_changed |=
        EqualsIgnoreCase(name, "maxmemory") || EqualsIgnoreCase(name, "maxmemory-policy");
  uint64_t limit = cfg.maxmemory.load();
  co_await Shards().Broadcast([limit_changed, limit](Shard& s, uint32_t) {
    s.RefreshConfig();
    if (limit_changed && limit > 0) s.EvictForNewLimit();
  });
  if (limit_changed && limit > 0) {
    uint64_t used = uint64_t(MemoryAccounting::Get().Used());
    if (used > limit)
      LOG_WARNING(
          "the new maxmemory (%llu) is below the memory in use (%llu) and the policy (%s) could "
          "not evict enough: writes will be refused until memory is freed",
          static_cast<unsigned long long>(limit), static_cast<unsigned long long>(used),
          std::string(cache::sampled::MaxmemoryPolicyName(cfg.policy())).c_str());
  }
  ctx.rb->Ok();
}

Task<void> ConfigResetStat(CmdContext& ctx) {
  co_await Shards().Broadcast([](Shard& s, uint32_t) {
    ResetLocalCommandCounters();
    ResetLocalErrorCounts();
    LocalTotals() = ShardTotals{};
    s.stats() = ShardStats{};
  });
  ResetMemoryPeak();
  ctx.rb->Ok();
}

Task<void> CmdConfig(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) co_return;
  std::string_view name = sub->name;
  if (ctx.conn) ctx.conn->state().last_subcmd = std::string("config|") + sub->name;
  if (name == "get") {
    ConfigGet(ctx);
  } else if (name == "set") {
    co_await ConfigSet(ctx);
  } else if (name == "resetstat") {
    co_await ConfigResetStat(ctx);
  } else if (name == "rewrite") {
    std::string err = GlobalConfig().Rewrite();
    if (err.empty()) {
      LOG_NOTICE("CONFIG REWRITE executed with success.");
      ctx.rb->Ok();
    } else {
      ctx.rb->Error("ERR " + err);
    }
  } else if (name == "help") {
    ReplyHelp(ctx, "CONFIG",
              {"GET <pattern>",
               "    Return parameters matching the glob-like <pattern> and their values.",
               "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
               "RESETSTAT", "    Reset statistics reported by the INFO command.", "REWRITE",
               "    Rewrite the configuration file."});
  }
}

// ---------------------------------------------------------------------------------------------
// SLOWLOG, MONITOR, TIME, LASTSAVE, SHUTDOWN, DEBUG

void CmdSlowlog(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (ctx.conn) ctx.conn->state().last_subcmd = std::string("slowlog|") + sub->name;
  if (name == "get") {
    if (ctx.args.size() > 3) {
      ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.args[1]) + "'. Try SLOWLOG HELP.");
      return;
    }
    int64_t count = 10;
    if (ctx.args.size() == 3 && (!ParseInt64(ctx.args[2], &count) || count < -1)) {
      ctx.rb->Error("ERR count should be greater than or equal to -1");
      return;
    }
    auto entries = Slowlog::Get().Recent(count);
    ctx.rb->ArrayHeader(entries.size());
    for (const auto& e : entries) {
      ctx.rb->ArrayHeader(6);
      ctx.rb->Integer(int64_t(e.id));
      ctx.rb->Integer(e.time_s);
      ctx.rb->Integer(e.duration_us);
      ctx.rb->ArrayHeader(e.args.size());
      for (const auto& a : e.args) ctx.rb->Bulk(a);
      ctx.rb->Bulk(e.client_addr);
      ctx.rb->Bulk(e.client_name);
    }
  } else if (name == "len") {
    ctx.rb->Integer(int64_t(Slowlog::Get().Len()));
  } else if (name == "reset") {
    Slowlog::Get().Reset();
    ctx.rb->Ok();
  } else if (name == "help") {
    ReplyHelp(ctx, "SLOWLOG",
              {"GET [<count>]",
               "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
               "    Entries are made of:",
               "    id, timestamp, time in microseconds, arguments array, client IP and port,",
               "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
               "    Reset the slowlog."});
  }
}

void CmdMonitor(CmdContext& ctx) {
  if (!ctx.conn) return;
  ClientState& st = ctx.conn->state();
  if (st.monitor) return;  // as Redis: a second MONITOR is ignored, without a reply
  st.monitor = true;
  Monitors::Get().Add(ctx.conn, ctx.conn->shard_id());
  ctx.rb->Ok();
}

void CmdTime(CmdContext& ctx) {
  int64_t us = UnixMicros();
  ctx.rb->ArrayHeader(2);
  ctx.rb->Bulk(std::to_string(us / 1000000));
  ctx.rb->Bulk(std::to_string(us % 1000000));
}

void CmdLastSave(CmdContext& ctx) { ctx.rb->Integer(GetSaveStatus().last_save_s.load()); }

// BGSAVE [SCHEDULE]: a forkless background snapshot (kv/server/bgsave.h). Inside EXEC, or with
// SCHEDULE while an AOF rewrite walks the keyspace, it is scheduled, as in Redis.
// The reply comes once every shard has fixed the snapshot's instant.
Task<void> CmdBgsave(CmdContext& ctx) {
  bool schedule = ctx.args.size() == 2 && ArgIs(ctx.args[1], "schedule");
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !schedule)) {
    ctx.rb->Error(kErrSyntax);
    co_return;
  }
  BgsaveStart r = co_await BgsaveFromCommand(schedule, ctx.in_tx);
  switch (r) {
    case BgsaveStart::kStarted:
      ctx.rb->SimpleString("Background saving started");
      break;
    case BgsaveStart::kScheduled:
      ctx.rb->SimpleString("Background saving scheduled");
      break;
    case BgsaveStart::kSaveRunning:
      ctx.rb->Error("ERR Background save already in progress");
      break;
    case BgsaveStart::kOtherRunning:
      ctx.rb->Error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
          "SCHEDULE in order to schedule a BGSAVE whenever possible.");
      break;
  }
}

// SAVE: a snapshot written while the command waits (as Redis's SAVE blocks its server).
Task<void> CmdSave(CmdContext& ctx) {
  SaveResult r = co_await SaveSnapshot();
  if (r == SaveResult::kOk)
    ctx.rb->Ok();
  else if (r == SaveResult::kBusy)
    ctx.rb->Error("ERR Background save already in progress");
  else
    ctx.rb->Error("ERR");
}

Task<void> CmdShutdown(CmdContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    if (ArgIs(a, "nosave"))
      nosave = true;
    else if (ArgIs(a, "save"))
      save = true;
    else if (ArgIs(a, "now"))
      now = true;
    else if (ArgIs(a, "force"))
      force = true;
    else if (ArgIs(a, "abort"))
      abort = true;
    else {
      ctx.rb->Error(kErrSyntax);
      co_return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.rb->Error(kErrSyntax);
    co_return;
  }
  if (abort) {
    // Shutdown is immediate: there is never one in progress to abort.
    ctx.rb->Error("ERR No shutdown in progress.");
    co_return;
  }
  LOG_NOTICE("User requested shutdown...");
  // As Redis: nothing is saved while the dataset is still loading (it is not all there).
  if (IsLoading()) save = false, nosave = true;
  // As Redis: SHUTDOWN saves when save rules are configured (unless NOSAVE), SHUTDOWN SAVE always.
  // A background save still running makes it fail (unless FORCE): there is no child to kill.
  if (save || (!nosave && !GetSaveRules().empty())) {
    LOG_NOTICE("Saving the final RDB snapshot before exiting.");
    SaveResult r = co_await SaveSnapshot();
    if (r != SaveResult::kOk && !force) {
      LOG_WARNING("Error trying to save the DB, can't exit.");
      ctx.rb->Error("ERR Errors trying to SHUTDOWN. Check logs.");
      co_return;
    }
  }
  // As Redis: no reply on success, the connection closes as the server exits.
  if (ctx.conn) ctx.conn->CloseAfterReply();
  NoteShutdownByCommand();
  RequestShutdown();
}

void CmdDebug(CmdContext& ctx) {
  std::string_view sub = ctx.args[1];
  if (ArgIs(sub, "sleep") && ctx.args.size() == 3) {
    double secs;
    if (!ParseDouble(ctx.args[2], &secs) || !std::isfinite(secs) || secs < 0) {
      ctx.rb->Error(kErrNotFloat);
      return;
    }
    // Blocks this shard thread (and its clients), as Redis's DEBUG SLEEP blocks the server.
    int64_t us = int64_t(secs * 1e6);
    while (us > 0) {
      int64_t step = us > 1000000 ? 1000000 : us;
      usleep(useconds_t(step));
      us -= step;
    }
    ctx.rb->Ok();
  } else if (ArgIs(sub, "help") && ctx.args.size() == 2) {
    ReplyHelp(ctx, "DEBUG",
              {"SLEEP <seconds>", "    Stop the server for <seconds>. Decimals allowed.",
               "    Only the shard thread that runs the command is blocked."});
  } else {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(sub.substr(0, 128)) + "'. Try DEBUG HELP.");
  }
}

}  // namespace

void RegisterServerFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  r.Add({"info", -1, kLoading | kStale, 0, 0, 0, nullptr, CmdInfo, "server",
         "Returns information and statistics about the server.", "1.0.0"});
  r.Add({"config", -2, 0, 0, 0, 0, nullptr, CmdConfig, "server",
         "A container for server configuration commands.", "2.0.0", "Depends on subcommand."});
  RegisterSubcommands(
      "config", {
                    {"get", -3, kAdm, "Returns the effective values of configuration parameters.",
                     "2.0.0", "O(N) when N is the number of configuration parameters provided"},
                    {"set", -4, kAdm, "Sets configuration parameters in-flight.", "2.0.0",
                     "O(N) when N is the number of configuration parameters provided"},
                    {"resetstat", 2, kAdm, "Resets the server's statistics.", "2.0.0"},
                    {"rewrite", 2, kAdm, "Persists the effective configuration to file.", "2.8.0"},
                    {"help", 2, kLoading | kStale,
                     "Returns helpful text about the different subcommands.", "5.0.0"},
                });
  r.Add({"slowlog", -2, 0, 0, 0, 0, CmdSlowlog, nullptr, "server",
         "A container for slow log commands.", "2.2.12", "Depends on subcommand."});
  RegisterSubcommands(
      "slowlog",
      {
          {"get", -2, kAdmin | kLoading | kStale, "Returns the slow log's entries.", "2.2.12",
           "O(N) where N is the number of entries returned"},
          {"len", 2, kAdmin | kLoading | kStale, "Returns the number of entries in the slow log.",
           "2.2.12"},
          {"reset", 2, kAdmin | kLoading | kStale, "Clears all entries from the slow log.",
           "2.2.12", "O(N) where N is the number of entries in the slowlog"},
          {"help", 2, kLoading | kStale, "Show helpful text about the different subcommands",
           "6.2.0"},
      });
  r.Add({"monitor", 1, kAdm, 0, 0, 0, CmdMonitor, nullptr, "server",
         "Listens for all requests received by the server in real-time.", "1.0.0"});
  r.Add({"time", 1, kLoading | kStale | kFast, 0, 0, 0, CmdTime, nullptr, "server",
         "Returns the server time.", "2.6.0"});
  r.Add({"lastsave", 1, kLoading | kStale | kFast, 0, 0, 0, CmdLastSave, nullptr, "server",
         "Returns the Unix timestamp of the last successful save to disk.", "1.0.0"});
  r.Add({"save", 1, kAdmin | kNoScript | kNoMulti, 0, 0, 0, nullptr, CmdSave, "server",
         "Synchronously saves the database(s) to disk.", "1.0.0",
         "O(N) where N is the total number of keys in all databases"});
  r.Add({"bgsave", -1, kAdmin | kNoScript, 0, 0, 0, nullptr, CmdBgsave, "server",
         "Asynchronously saves the database(s) to disk.", "1.0.0", "O(1)"});
  r.Add({"shutdown", -1, kAdm | kNoMulti, 0, 0, 0, nullptr, CmdShutdown, "server",
         "Synchronously saves the database(s) to disk and shuts down the Redis server.", "1.0.0",
         "O(N) when saving, where N is the total number of keys in all databases when saving "
         "data, otherwise O(1)"});
  r.Add({"debug", -2, kAdm | kProtected, 0, 0, 0, CmdDebug, nullptr, "server",
         "A container for debugging commands.", "1.0.0", "Depends on subcommand."});
  RegisterCommandCommand(r);
}

}  // namespace strata::kv
