// Per-thread command statistics (INFO commandstats) and the process-wide slow log.
//
// Each shard thread counts the commands it executes in its own table (no sharing on the hot
// path); INFO sums the tables by visiting every shard. The slow log is rare by design and takes a
// mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

struct CommandCounters {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
};

// The calling thread's counters, indexed by CommandSpec::id.
std::vector<CommandCounters>& ThreadCommandCounters();
void ResetThreadCommandCounters();

struct ThreadTotals {
  uint64_t commands = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t error_replies = 0;

  ThreadTotals& operator+=(const ThreadTotals& o) {
    commands += o.commands;
    connections_received += o.connections_received;
    rejected_connections += o.rejected_connections;
    net_input_bytes += o.net_input_bytes;
    net_output_bytes += o.net_output_bytes;
    error_replies += o.error_replies;
    return *this;
  }
};
ThreadTotals& ThreadStats();

// Counts an error reply (total_error_replies, and INFO errorstats by the error's first word:
// "-ERR syntax error" counts under "ERR"). `reply` is the serialised reply starting with '-'.
void CountErrorReply(std::string_view reply);
// The calling thread's error counts by prefix (at most 128 distinct prefixes, as Redis).
std::vector<std::pair<std::string, uint64_t>> ThreadErrorCounts();
void ResetThreadErrorCounts();

// Instantaneous rates (INFO instantaneous_ops_per_sec / _kbps), as Redis computes them: the
// calling thread's totals are sampled by its cron and averaged over the last 16 samples.
struct ThreadRates {
  double ops_per_sec = 0;
  double input_kbps = 0;
  double output_kbps = 0;

  ThreadRates& operator+=(const ThreadRates& o) {
    ops_per_sec += o.ops_per_sec;
    input_kbps += o.input_kbps;
    output_kbps += o.output_kbps;
    return *this;
  }
};
void SampleThreadRates(int64_t now_ms);
ThreadRates CurrentThreadRates();

// Peak of used_memory (INFO used_memory_peak), sampled by every shard cron and by INFO.
uint64_t UpdateMemoryPeak(uint64_t used);  // returns the peak including `used`
void ResetMemoryPeak();

struct SlowlogEntry {
  uint64_t id;
  int64_t time_s;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string client_addr;
  std::string client_name;
};

class Slowlog {
 public:
  static Slowlog& Get();
  void Maybe(int64_t duration_us, std::span<const std::string_view> args, const std::string& addr,
             const std::string& name);
  std::vector<SlowlogEntry> Recent(int64_t count);
  size_t Len();
  void Reset();

 private:
  std::mutex mu_;
  std::deque<SlowlogEntry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

}  // namespace strata::kv
