#include "kv/server/latency_monitor.h"

#include "base/clock.h"
#include "kv/server/config.h"

namespace strata::kv {

std::vector<LatencySample> LatencySeries::History() const {
  std::vector<LatencySample> out;
  for (int j = 0; j < kSamples; j++) {
    const LatencySample& s = samples[(idx + j) % kSamples];
    if (s.time_s != 0) out.push_back(s);
  }
  return out;
}

LatencyMonitor& LatencyMonitor::Get() {
  static LatencyMonitor m;
  return m;
}

void LatencyMonitor::MaybeAdd(const char* event, int64_t ms) {
  int64_t threshold = GlobalConfig().latency_monitor_threshold.load(std::memory_order_relaxed);
  if (threshold <= 0 || ms < threshold) return;
  Add(event, ms, UnixMillis() / 1000);
}

void LatencyMonitor::Add(const std::string& event, int64_t ms, int64_t now_s) {
  std::lock_guard<std::mutex> l(mu_);
  LatencySeries& ts = events_[event];
  if (ms > ts.max_ms) ts.max_ms = ms;
  // One sample per second: a second event in the same second keeps the larger latency.
  LatencySample& prev =
      ts.samples[(ts.idx + LatencySeries::kSamples - 1) % LatencySeries::kSamples];
  if (prev.time_s == now_s) {
    if (ms > prev.ms) prev.ms = ms;
    return;
  }
  ts.samples[ts.idx] = LatencySample{now_s, ms};
  ts.idx = (ts.idx + 1) % LatencySeries::kSamples;
}

std::map<std::string, LatencySeries> LatencyMonitor::Snapshot() {
  std::lock_guard<std::mutex> l(mu_);
  return events_;
}

int LatencyMonitor::Reset(const std::vector<std::string>& events) {
  std::lock_guard<std::mutex> l(mu_);
  if (events.empty()) {
    int n = int(events_.size());
    events_.clear();
    return n;
  }
  int n = 0;
  for (const auto& e : events) n += int(events_.erase(e));
  return n;
}

void RecordCommandLatency(bool fast, int64_t duration_us) {
  if (GlobalConfig().latency_monitor_threshold.load(std::memory_order_relaxed) <= 0) return;
  LatencyMonitor::Get().MaybeAdd(fast ? "fast-command" : "command", duration_us / 1000);
}

}  // namespace strata::kv
