#include "kv/commands/info.h"
#include "kv/aof/aof_log.h"
#include "kv/tx/script_store.h"

#include <cstdio>

#include "base/strutil.h"
#include "kv/engine/lazy_free.h"
#include "kv/messaging/pubsub.h"
#include "kv/messaging/tracking.h"
#include "kv/server/blocking.h"
#include "kv/server/loading.h"
#include "kv/version.h"

namespace strata::kv {
namespace {

// Redis's section order; `in_default` marks the sections INFO prints without arguments.
struct SectionDef {
  const char* name;
  bool in_default;
  bool in_all;
};
constexpr SectionDef kSections[] = {
    {"server", true, true},      {"clients", true, true},       {"memory", true, true},
    {"persistence", true, true}, {"stats", true, true},         {"replication", true, true},
    {"cpu", true, true},         {"modules", true, true},       {"commandstats", false, true},
    {"errorstats", true, true},  {"latencystats", false, true}, {"cluster", true, true},
    {"keyspace", true, true},
};

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void Section(const char* title) {
    if (!out_->empty()) out_->append("\r\n");
    out_->append("# ");
    out_->append(title);
    out_->append("\r\n");
  }
  void Field(const char* name, std::string_view v) {
    out_->append(name);
    out_->push_back(':');
    out_->append(v);
    out_->append("\r\n");
  }
  void Field(const char* name, int64_t v) { Field(name, std::to_string(v)); }
  void Field(const char* name, uint64_t v) { Field(name, std::to_string(v)); }
  void Field(const char* name, int v) { Field(name, std::to_string(v)); }
  void Fixed(const char* name, double v, int digits) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*f", digits, v);
    Field(name, std::string_view(buf));
  }
  void Line(const std::string& s) {
    out_->append(s);
    out_->append("\r\n");
  }

 private:
  std::string* out_;
};

void Server(Writer& w, const InfoData& d) {
  w.Section("Server");
  w.Field("redis_version", kRedisCompatVersion);
  w.Field("strata_version", kStrataVersion);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_build_id", "0");
  w.Field("redis_mode", "standalone");
  w.Field("os", d.os);
  w.Field("arch_bits", int(sizeof(void*) * 8));
  w.Field("monotonic_clock", "POSIX clock_gettime");
  w.Field("multiplexing_api", "epoll");
  w.Field("atomicvar_api", "c11-builtin");
#ifdef __GNUC__
  w.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
#endif
  w.Field("process_id", d.process_id);
  w.Field("process_supervised", "no");
  w.Field("run_id", d.run_id);
  w.Field("tcp_port", d.tcp_port);
  w.Field("server_time_usec", d.server_time_usec);
  w.Field("uptime_in_seconds", d.uptime_s);
  w.Field("uptime_in_days", d.uptime_s / 86400);
  w.Field("hz", d.hz);
  w.Field("configured_hz", d.hz);
  w.Field("lru_clock", (d.server_time_usec / 1000000) & ((1 << 24) - 1));
  w.Field("executable", d.executable);
  w.Field("config_file", d.config_file);
  w.Field("io_threads_active", 0);
  w.Field("shard_threads", uint64_t(d.shard_threads));
  w.Field("shard_threads_running", uint64_t(d.running_threads));
  w.Field("thread_packs", d.thread_packs);
  w.Field("thread_spreads", d.thread_spreads);
  w.Field("thread_spreads_undone", d.thread_spreads_undone);
  w.Field("loop_max_nap_us", d.loop_max_nap_us);
  w.Field("loop_waits", d.loop_waits);
  w.Field("loop_sleeps", d.loop_sleeps);
  w.Field("loop_naps", d.loop_naps);
  w.Field("loop_events", d.loop_events);
  w.Field("io_mode", d.io_mode);
  w.Field("io_batch_submits", d.io_batch_submits);
  w.Field("io_batched_sends", d.io_batched_sends);
}

void Clients(Writer& w, const InfoData& d) {
  w.Section("Clients");
  w.Field("connected_clients", d.connected_clients);
  w.Field("cluster_connections", 0);
  w.Field("maxclients", d.maxclients);
  w.Field("client_recent_max_input_buffer", 0);
  w.Field("client_recent_max_output_buffer", 0);
  w.Field("blocked_clients", BlockedClientCount());
  w.Field("tracking_clients", tracking::TrackingClients());
  w.Field("clients_in_timeout_table", 0);
}

void Memory(Writer& w, const InfoData& d) {
  w.Section("Memory");
  uint64_t peak = d.used_memory_peak > d.used_memory ? d.used_memory_peak : d.used_memory;
  w.Field("used_memory", d.used_memory);
  w.Field("used_memory_human", BytesToHuman(d.used_memory));
  w.Field("used_memory_rss", d.used_memory_rss);
  w.Field("used_memory_rss_human", BytesToHuman(d.used_memory_rss));
  w.Field("used_memory_peak", peak);
  w.Field("used_memory_peak_human", BytesToHuman(peak));
  char perc[32];
  snprintf(perc, sizeof(perc), "%.2f%%", peak ? 100.0 * double(d.used_memory) / double(peak) : 0);
  w.Field("used_memory_peak_perc", std::string_view(perc));
  w.Field("used_memory_startup", d.used_memory_startup);
  uint64_t dataset =
      d.used_memory > d.used_memory_startup ? d.used_memory - d.used_memory_startup : 0;
  w.Field("used_memory_dataset", dataset);
  w.Field("allocator_allocated", d.allocator_allocated);
  w.Field("total_system_memory", d.total_system_memory);
  w.Field("total_system_memory_human", BytesToHuman(d.total_system_memory));
  {
    // Every thread's Lua VMs together (each thread runs scripts in its own VMs).
    const ScriptStore& scripts = ScriptStore::Get();
    uint64_t vm_eval = uint64_t(std::max<int64_t>(0, scripts.eval_vm_bytes.load()));
    uint64_t vm_functions = uint64_t(std::max<int64_t>(0, scripts.function_vm_bytes.load()));
    uint64_t eval_bytes = scripts.script_bytes();
    uint64_t function_bytes = scripts.library_bytes();
    w.Field("used_memory_lua", vm_eval);
    w.Field("used_memory_vm_eval", vm_eval);
    w.Field("used_memory_lua_human", BytesToHuman(vm_eval));
    w.Field("used_memory_scripts_eval", eval_bytes);
    w.Field("number_of_cached_scripts", uint64_t(scripts.script_count()));
    w.Field("number_of_functions", uint64_t(scripts.function_count()));
    w.Field("number_of_libraries", uint64_t(scripts.library_count()));
    w.Field("used_memory_vm_functions", vm_functions);
    w.Field("used_memory_vm_total", vm_eval + vm_functions);
    w.Field("used_memory_vm_total_human", BytesToHuman(vm_eval + vm_functions));
    w.Field("used_memory_functions", function_bytes);
    w.Field("used_memory_scripts", eval_bytes + function_bytes);
    w.Field("used_memory_scripts_human", BytesToHuman(eval_bytes + function_bytes));
  }
  w.Field("maxmemory", d.maxmemory);
  w.Field("maxmemory_human", BytesToHuman(d.maxmemory));
  w.Field("maxmemory_policy", d.maxmemory_policy);
  double frag = d.used_memory ? double(d.used_memory_rss) / double(d.used_memory) : 0;
  w.Fixed("mem_fragmentation_ratio", frag, 2);
  w.Field("mem_fragmentation_bytes", int64_t(d.used_memory_rss) - int64_t(d.used_memory));
  w.Field("mem_not_counted_for_evict", 0);
  w.Field("mem_clients_slaves", 0);
  w.Field("mem_clients_normal", 0);
  w.Field("mem_allocator", d.mem_allocator);
  w.Field("active_defrag_running", 0);
  w.Field("lazyfree_pending_objects", LazyFreer::Pending());
  w.Field("lazyfreed_objects", LazyFreer::Freed());
}

void Persistence(Writer& w, const InfoData& d) {
  w.Section("Persistence");
  for (const auto& [name, value] : LoadingInfoFields()) w.Field(name.c_str(), value);
  w.Field("rdb_changes_since_last_save", d.rdb_changes_since_last_save);
  w.Field("rdb_bgsave_in_progress", d.rdb_bgsave_in_progress ? 1 : 0);
  w.Field("rdb_last_save_time", d.rdb_last_save_time);
  w.Field("rdb_last_bgsave_status", d.rdb_last_save_ok ? "ok" : "err");
  w.Field("rdb_last_bgsave_time_sec", d.rdb_last_bgsave_time_sec);
  w.Field("rdb_current_bgsave_time_sec", d.rdb_current_bgsave_time_sec);
  w.Field("rdb_saves", d.rdb_saves);
  w.Field("rdb_last_cow_size", d.rdb_last_cow_size);
  for (const auto& [name, value] : aof::InfoFields()) w.Field(name.c_str(), value);
}

void Stats(Writer& w, const InfoData& d) {
  w.Section("Stats");
  w.Field("total_connections_received", d.totals.connections_received);
  w.Field("total_commands_processed", d.totals.commands);
  w.Field("instantaneous_ops_per_sec", int64_t(d.rates.ops_per_sec));
  w.Field("total_net_input_bytes", d.totals.net_input_bytes);
  w.Field("total_net_output_bytes", d.totals.net_output_bytes);
  w.Field("total_net_repl_input_bytes", 0);
  w.Field("total_net_repl_output_bytes", 0);
  w.Fixed("instantaneous_input_kbps", d.rates.input_kbps, 2);
  w.Fixed("instantaneous_output_kbps", d.rates.output_kbps, 2);
  w.Field("instantaneous_input_repl_kbps", "0.00");
  w.Field("instantaneous_output_repl_kbps", "0.00");
  w.Field("rejected_connections", d.totals.rejected_connections);
  w.Field("sync_full", 0);
  w.Field("sync_partial_ok", 0);
  w.Field("sync_partial_err", 0);
  w.Field("expired_keys", d.shard.expired_keys);
  w.Field("expired_stale_perc", "0.00");
  w.Field("expired_time_cap_reached_count", 0);
  w.Field("evicted_keys", d.shard.evicted_keys);
  w.Field("evicted_clients", 0);
  w.Field("keyspace_hits", d.shard.keyspace_hits);
  w.Field("keyspace_misses", d.shard.keyspace_misses);
  w.Field("pubsub_channels",
          int64_t(pubsub::ActiveChannels(pubsub::Kind::kChannel, nullptr).size()));
  w.Field("pubsub_patterns", pubsub::PatternCount());
  w.Field("pubsubshard_channels",
          int64_t(pubsub::ActiveChannels(pubsub::Kind::kShardChannel, nullptr).size()));
  w.Field("latest_fork_usec", 0);
  w.Field("total_forks", 0);
  w.Field("migrate_cached_sockets", 0);
  w.Field("tracking_total_keys", tracking::TotalKeys());
  w.Field("tracking_total_items", tracking::TotalItems());
  w.Field("tracking_total_prefixes", tracking::TotalPrefixes());
  w.Field("unexpected_error_replies", 0);
  w.Field("total_error_replies", d.totals.error_replies);
}

void Replication(Writer& w, const InfoData& d) {
  w.Section("Replication");
  w.Field("role", "master");
  w.Field("connected_slaves", 0);
  w.Field("master_failover_state", "no-failover");
  w.Field("master_replid", d.run_id);
  w.Field("master_replid2", std::string(40, '0'));
  w.Field("master_repl_offset", 0);
  w.Field("second_repl_offset", -1);
  w.Field("repl_backlog_active", 0);
  w.Field("repl_backlog_size", 1048576);
  w.Field("repl_backlog_first_byte_offset", 0);
  w.Field("repl_backlog_histlen", 0);
}

void Cpu(Writer& w, const InfoData& d) {
  w.Section("CPU");
  w.Fixed("used_cpu_sys", d.cpu_sys, 6);
  w.Fixed("used_cpu_user", d.cpu_user, 6);
  w.Fixed("used_cpu_sys_children", d.cpu_sys_children, 6);
  w.Fixed("used_cpu_user_children", d.cpu_user_children, 6);
  w.Fixed("used_cpu_sys_main_thread", d.cpu_sys_main_thread, 6);
  w.Fixed("used_cpu_user_main_thread", d.cpu_user_main_thread, 6);
}

void CommandStats(Writer& w, const InfoData& d) {
  w.Section("Commandstats");
  for (const auto& [name, c] : d.commands) {
    if (c.calls == 0 && c.rejected == 0 && c.failed == 0) continue;
    char buf[256];
    snprintf(buf, sizeof(buf),
             "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
             "failed_calls=%llu",
             name.c_str(), (unsigned long long)c.calls, (unsigned long long)c.usec,
             c.calls ? double(c.usec) / double(c.calls) : 0.0, (unsigned long long)c.rejected,
             (unsigned long long)c.failed);
    w.Line(buf);
  }
}

void Keyspace(Writer& w, const InfoData& d) {
  w.Section("Keyspace");
  for (size_t i = 0; i < d.dbs.size(); i++) {
    if (d.dbs[i].keys == 0) continue;
    w.Line("db" + std::to_string(i) + ":keys=" + std::to_string(d.dbs[i].keys) +
           ",expires=" + std::to_string(d.dbs[i].expires) + ",avg_ttl=0");
  }
}

}  // namespace

std::string BytesToHuman(uint64_t n) {
  char buf[64];
  double d = double(n);
  if (n < 1024)
    snprintf(buf, sizeof(buf), "%lluB", (unsigned long long)n);
  else if (n < 1024ULL * 1024)
    snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  else if (n < 1024ULL * 1024 * 1024)
    snprintf(buf, sizeof(buf), "%.2fM", d / (1024.0 * 1024));
  else if (n < 1024ULL * 1024 * 1024 * 1024)
    snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  else if (n < 1024ULL * 1024 * 1024 * 1024 * 1024)
    snprintf(buf, sizeof(buf), "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
  else
    snprintf(buf, sizeof(buf), "%.2fP", d / (1024.0 * 1024 * 1024 * 1024 * 1024));
  return buf;
}

std::set<std::string> SelectInfoSections(std::span<const std::string_view> args) {
  std::set<std::string> out;
  auto add_default = [&out] {
    for (const auto& s : kSections)
      if (s.in_default) out.insert(s.name);
  };
  if (args.empty()) {
    add_default();
    return out;
  }
  for (auto a : args) {
    std::string name = ToLower(a);
    if (name == "default") {
      add_default();
    } else if (name == "all" || name == "everything") {
      for (const auto& s : kSections)
        if (s.in_all) out.insert(s.name);
    } else {
      for (const auto& s : kSections)
        if (name == s.name) out.insert(name);
    }
  }
  return out;
}

std::string FormatInfo(const InfoData& d, const std::set<std::string>& sections) {
  std::string out;
  Writer w(&out);
  auto want = [&sections](const char* n) { return sections.count(n) > 0; };
  if (want("server")) Server(w, d);
  if (want("clients")) Clients(w, d);
  if (want("memory")) Memory(w, d);
  if (want("persistence")) Persistence(w, d);
  if (want("stats")) Stats(w, d);
  if (want("replication")) Replication(w, d);
  if (want("cpu")) Cpu(w, d);
  if (want("modules")) w.Section("Modules");
  if (want("commandstats")) CommandStats(w, d);
  if (want("errorstats")) {
    w.Section("Errorstats");
    for (const auto& [prefix, count] : d.errors)
      w.Line("errorstat_" + prefix + ":count=" + std::to_string(count));
  }
  if (want("latencystats")) w.Section("Latencystats");
  if (want("cluster")) {
    w.Section("Cluster");
    w.Field("cluster_enabled", 0);
  }
  if (want("keyspace")) Keyspace(w, d);
  return out;
}

}  // namespace strata::kv
