#include "kv/server/command_stats.h"

#include "base/clock.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"

namespace strata::kv {

std::vector<CommandCounters>& ThreadCommandCounters() {
  thread_local std::vector<CommandCounters> c(CommandRegistry::Get().all().size() + 1);
  return c;
}

void ResetThreadCommandCounters() {
  for (auto& c : ThreadCommandCounters()) c = CommandCounters{};
}

ThreadTotals& ThreadStats() {
  thread_local ThreadTotals t;
  return t;
}

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
