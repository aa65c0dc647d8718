// The latency monitor (LATENCY LATEST/HISTORY/RESET/DOCTOR/GRAPH): per event ("command",
// "fast-command"), the latest sample, the all-time maximum, and one sample per second for the last
// 160 seconds in which the event happened, as Redis keeps them. An event is recorded only when
// latency-monitor-threshold is set and the latency reaches it. Commands run on every shard thread:
// the samples are kept under a mutex, taken only for a recorded event.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace strata::kv {

struct LatencySample {
  int64_t time_s = 0;  // Unix seconds; 0: unused
  int64_t ms = 0;
};

struct LatencySeries {
  static constexpr int kSamples = 160;
  LatencySample samples[kSamples];
  int idx = 0;  // next slot
  int64_t max_ms = 0;

  // The samples in time order (oldest first), without unused slots.
  std::vector<LatencySample> History() const;
  const LatencySample& Latest() const { return samples[(idx + kSamples - 1) % kSamples]; }
};

class LatencyMonitor {
 public:
  static LatencyMonitor& Get();

  // Records `ms` for `event` if latency-monitor-threshold is set and `ms` reaches it.
  void MaybeAdd(const char* event, int64_t ms);
  void Add(const std::string& event, int64_t ms, int64_t now_s);
  // Copies of every event's series, by name.
  std::map<std::string, LatencySeries> Snapshot();
  // Forgets the named events (all of them if `events` is empty); returns how many were known.
  int Reset(const std::vector<std::string>& events);

 private:
  std::mutex mu_;
  std::map<std::string, LatencySeries> events_;
};

// Records a command's latency: "fast-command" for commands flagged fast, else "command".
void RecordCommandLatency(bool fast, int64_t duration_us);

}  // namespace strata::kv
