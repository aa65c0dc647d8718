// Per-shard command statistics (INFO commandstats, stats, errorstats) and the process-wide slow
// log.
//
// Each shard counts the commands it executes in its own tables (no sharing on the hot path),
// kept in its ShardLocal (shard_local.h), which follows the shard to whichever thread runs it;
// INFO sums the tables by visiting every shard. The "Local" accessors below name the tables of
// the shard the calling thread is working for. The slow log is rare by design and takes a mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
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

// The current shard's counters, indexed by CommandSpec::id.
std::vector<CommandCounters>& LocalCommandCounters();
void ResetLocalCommandCounters();

struct ShardTotals {
  uint64_t commands = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t error_replies = 0;

  ShardTotals& operator+=(const ShardTotals& o) {
    commands += o.commands;
    connections_received += o.connections_received;
    rejected_connections += o.rejected_connections;
    net_input_bytes += o.net_input_bytes;
    net_output_bytes += o.net_output_bytes;
    error_replies += o.error_replies;
    return *this;
  }
};
ShardTotals& LocalTotals();

// Counts an error reply (total_error_replies, and INFO errorstats by the error's first word:
// "-ERR syntax error" counts under "ERR"). `reply` is the serialised reply starting with '-'.
void CountErrorReply(std::string_view reply);
// The current shard's error counts by prefix (at most 128 distinct prefixes, as Redis).
std::vector<std::pair<std::string, uint64_t>> LocalErrorCounts();
void ResetLocalErrorCounts();

// Instantaneous rates (INFO instantaneous_ops_per_sec / _kbps), as Redis computes them: the
// current shard's totals are sampled by its cron and averaged over the last 16 samples.
struct ShardRates {
  double ops_per_sec = 0;
  double input_kbps = 0;
  double output_kbps = 0;

  ShardRates& operator+=(const ShardRates& o) {
    ops_per_sec += o.ops_per_sec;
    input_kbps += o.input_kbps;
    output_kbps += o.output_kbps;
    return *this;
  }
};
void SampleLocalRates(int64_t now_ms);

// A rate from a counter sampled by the cron, averaged over the last 16 samples.
struct RateSampler {
  static constexpr int kSamples = 16;
  int64_t last_ms = 0;
  uint64_t last_value = 0;
  double samples[kSamples] = {};
  int idx = 0;

  void Add(int64_t now_ms, uint64_t value);
  double Average() const;
};

// Everything above, for one shard.
struct ShardCommandStats {
  ShardCommandStats();
  std::vector<CommandCounters> counters;
  ShardTotals totals;
  RateSampler ops, input, output;
  std::map<std::string, uint64_t, std::less<>> errors;
};
ShardRates LocalRates();

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
