#include "kv/server/command_stats.h"

#include <atomic>
#include <map>

#include "base/clock.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"
#include "kv/server/shard_local.h"

namespace strata::kv {

ShardCommandStats::ShardCommandStats() : counters(CommandRegistry::Get().all().size() + 1) {}

namespace {
ShardCommandStats& Stats() { return Local().stats; }
std::map<std::string, uint64_t, std::less<>>& ErrorCounts() { return Stats().errors; }
}  // namespace

std::vector<CommandCounters>& LocalCommandCounters() { return Stats().counters; }

void ResetLocalCommandCounters() {
  for (auto& c : LocalCommandCounters()) c = CommandCounters{};
}

ShardTotals& LocalTotals() { return Stats().totals; }

void RateSampler::Add(int64_t now_ms, uint64_t value) {
  if (last_ms > 0 && now_ms > last_ms) {
    // Counters may have been reset (CONFIG RESETSTAT): never report a negative rate.
    uint64_t delta = value >= last_value ? value - last_value : 0;
    samples[idx] = double(delta) * 1000.0 / double(now_ms - last_ms);
    idx = (idx + 1) % kSamples;
  }
  last_ms = now_ms;
  last_value = value;
}

double RateSampler::Average() const {
  double sum = 0;
  for (double v : samples) sum += v;
  return sum / kSamples;
}

void SampleLocalRates(int64_t now_ms) {
  auto& s = Stats();
  s.ops.Add(now_ms, s.totals.commands);
  s.input.Add(now_ms, s.totals.net_input_bytes);
  s.output.Add(now_ms, s.totals.net_output_bytes);
}

ShardRates LocalRates() {
  auto& s = Stats();
  return ShardRates{s.ops.Average(), s.input.Average() / 1024, s.output.Average() / 1024};
}

void CountErrorReply(std::string_view reply) {
  LocalTotals().error_replies++;
  if (!reply.empty() && reply[0] == '-') reply.remove_prefix(1);
  size_t end = reply.find_first_of(" \r\n");
  std::string_view prefix = reply.substr(0, end == std::string_view::npos ? reply.size() : end);
  if (prefix.empty()) return;
  auto& m = ErrorCounts();
  auto it = m.find(prefix);
  if (it != m.end()) {
    it->second++;
  } else if (m.size() < 128) {
    m.emplace(std::string(prefix), 1);
  }
}

std::vector<std::pair<std::string, uint64_t>> LocalErrorCounts() {
  const auto& m = ErrorCounts();
  return {m.begin(), m.end()};
}

void ResetLocalErrorCounts() { ErrorCounts().clear(); }

namespace {
std::atomic<uint64_t> g_memory_peak{0};
}  // namespace

uint64_t UpdateMemoryPeak(uint64_t used) {
  uint64_t peak = g_memory_peak.load(std::memory_order_relaxed);
  while (used > peak && !g_memory_peak.compare_exchange_weak(peak, used)) {
  }
  return used > peak ? used : peak;
}

void ResetMemoryPeak() { g_memory_peak.store(0, std::memory_order_relaxed); }

Slowlog& Slowlog::Get() {
  static Slowlog s;
  return s;
}

void Slowlog::Maybe(int64_t duration_us, std::span<const std::string_view> args,
                    const std::string& addr, const std::string& name) {
  const Config& cfg = GlobalConfig();
  int64_t threshold = cfg.slowlog_log_slower_than.load(std::memory_order_relaxed);
  if (threshold < 0 || duration_us < threshold) return;
  SlowlogEntry e;
  e.time_s = UnixMillis() / 1000;
  e.duration_us = duration_us;
  // As Redis: at most 32 arguments, each cut to 128 bytes.
  size_t n = args.size() > 32 ? 31 : args.size();
  for (size_t i = 0; i < n; i++) {
    std::string_view a = args[i];
    if (a.size() > 128) {
      e.args.push_back(std::string(a.substr(0, 128)) + "... (" + std::to_string(a.size() - 128) +
                       " more bytes)");
    } else {
      e.args.emplace_back(a);
    }
  }
  if (args.size() > 32) {
    e.args.push_back("... (" + std::to_string(args.size() - 31) + " more arguments)");
  }
  e.client_addr = addr;
  e.client_name = name;
  std::lock_guard<std::mutex> l(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  size_t max = size_t(cfg.slowlog_max_len.load(std::memory_order_relaxed));
  while (entries_.size() > max) entries_.pop_back();
}

std::vector<SlowlogEntry> Slowlog::Recent(int64_t count) {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = count < 0 ? entries_.size() : std::min(entries_.size(), size_t(count));
  return std::vector<SlowlogEntry>(entries_.begin(), entries_.begin() + long(n));
}

size_t Slowlog::Len() {
  std::lock_guard<std::mutex> l(mu_);
  return entries_.size();
}

void Slowlog::Reset() {
  std::lock_guard<std::mutex> l(mu_);
  entries_.clear();
}

}  // namespace strata::kv
