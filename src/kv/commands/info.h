// INFO: the numbers (InfoData, gathered by the INFO command from every shard) and their Redis 7.0
// text form. Formatting and section selection are pure functions so they can be tested alone.
#pragma once

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/engine/shard.h"
#include "kv/server/command_stats.h"

namespace strata::kv {

struct InfoData {
  // Server.
  std::string os;
  int64_t process_id = 0;
  std::string run_id;
  int tcp_port = 0;
  int64_t server_time_usec = 0;
  int64_t uptime_s = 0;
  int hz = 10;
  std::string executable;
  std::string config_file;
  uint32_t shard_threads = 1;
  uint32_t running_threads = 1;  // shard threads not packed away (thread-packing)
  uint64_t thread_packs = 0;
  uint64_t thread_spreads = 0;
  uint64_t thread_spreads_undone = 0;
  // Every shard loop's io::LoopStats, summed.
  uint64_t loop_waits = 0, loop_sleeps = 0, loop_naps = 0, loop_events = 0;
  int64_t loop_max_nap_us = 0;
  // How the loops send (--io), and what the io_uring send batches did (io/send_batch.h).
  std::string io_mode = "epoll";
  uint64_t io_batch_submits = 0, io_batched_sends = 0;
  // Clients.
  int64_t connected_clients = 0;
  int64_t maxclients = 0;
  // Memory.
  uint64_t used_memory = 0;
  uint64_t used_memory_rss = 0;
  uint64_t used_memory_peak = 0;
  uint64_t used_memory_startup = 0;
  uint64_t allocator_allocated = 0;
  uint64_t total_system_memory = 0;
  uint64_t maxmemory = 0;
  std::string maxmemory_policy;
  std::string mem_allocator;
  // Persistence.
  int64_t start_time_s = 0;
  // Persistence (snapshots).
  uint64_t rdb_changes_since_last_save = 0;
  int64_t rdb_last_save_time = 0;
  bool rdb_last_save_ok = true;
  uint64_t rdb_saves = 0;
  bool rdb_bgsave_in_progress = false;
  int64_t rdb_last_bgsave_time_sec = -1;
  int64_t rdb_current_bgsave_time_sec = -1;
  uint64_t rdb_last_cow_size = 0;
  // Stats (summed over the shard threads).
  ShardTotals totals;
  ShardStats shard;
  ShardRates rates;
  // CPU (getrusage).
  double cpu_sys = 0, cpu_user = 0, cpu_sys_children = 0, cpu_user_children = 0;
  double cpu_sys_main_thread = 0, cpu_user_main_thread = 0;
  // Keyspace: per database index, keys and keys with a TTL.
  struct Db {
    uint64_t keys = 0;
    uint64_t expires = 0;
  };
  std::vector<Db> dbs;
  // Commandstats: command name and counters, for every command that ran.
  std::vector<std::pair<std::string, CommandCounters>> commands;
  // Errorstats: error prefix ("ERR", "WRONGTYPE", ...) and count, sorted by prefix.
  std::vector<std::pair<std::string, uint64_t>> errors;
};

// The lower-case section names INFO's arguments select (none: the default sections; "all",
// "default", "everything" expand; unknown names select nothing).
std::set<std::string> SelectInfoSections(std::span<const std::string_view> args);

// The INFO text for the selected sections, in Redis's section order.
std::string FormatInfo(const InfoData& d, const std::set<std::string>& sections);

// Redis's bytesToHuman: "895.26K", "11.50M", "0B".
std::string BytesToHuman(uint64_t n);

}  // namespace strata::kv
