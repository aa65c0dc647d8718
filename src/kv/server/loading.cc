#include "kv/server/loading.h"

#include <signal.h>

#include <cstdio>

#include "base/clock.h"
#include "base/log.h"

namespace strata::kv {

namespace loading_detail {
std::atomic<bool> g_loading{false};
}  // namespace loading_detail

namespace {

// Written by the loader (main thread), read by INFO on any shard thread.
struct Progress {
  std::atomic<int64_t> start_s{0};        // unix seconds
  std::atomic<int64_t> start_mono_us{0};  // for the ETA
  std::atomic<uint64_t> total{0};
  std::atomic<uint64_t> loaded{0};
  std::atomic<uint64_t> rdb_used_mem{0};  // the file's used-mem AUX field
  int64_t last_log_us = 0;                // main thread only
};

Progress& P() {
  static Progress p;
  return p;
}

}  // namespace

void BeginLoading(uint64_t total_bytes) {
  Progress& p = P();
  p.start_s.store(UnixMillis() / 1000);
  p.start_mono_us.store(MonoMicros());
  p.last_log_us = MonoMicros();
  p.total.store(total_bytes);
  p.loaded.store(0);
  p.rdb_used_mem.store(0);
  loading_detail::g_loading.store(true);
}

void SetLoadingRdbUsedMem(uint64_t bytes) { P().rdb_used_mem.store(bytes); }

void LoadingProgress(uint64_t loaded_bytes) {
  P().loaded.store(loaded_bytes, std::memory_order_relaxed);
}

void EndLoading() { loading_detail::g_loading.store(false); }

uint64_t LoadingLoadedBytes() { return P().loaded.load(std::memory_order_relaxed); }

bool LoadingInterrupted() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

void MaybeLogLoadingProgress(const char* what) {
  Progress& p = P();
  int64_t now = MonoMicros();
  if (now - p.last_log_us < 1000000) return;
  p.last_log_us = now;
  uint64_t total = p.total.load(), loaded = p.loaded.load();
  double perc = total ? 100.0 * double(loaded) / double(total) : 0;
  LOG_NOTICE("Loading %s: %.1f MB of %.1f MB (%.1f%%), %.1f seconds so far", what,
             double(loaded) / 1048576.0, double(total) / 1048576.0, perc,
             double(now - p.start_mono_us.load()) / 1e6);
}

std::vector<std::pair<std::string, std::string>> LoadingInfoFields() {
  std::vector<std::pair<std::string, std::string>> f;
  bool on = IsLoading();
  f.push_back({"loading", on ? "1" : "0"});
  f.push_back({"async_loading", "0"});
  if (!on) return f;
  Progress& p = P();
  uint64_t total = p.total.load(), loaded = p.loaded.load();
  if (loaded > total) loaded = total;
  double elapsed = double(MonoMicros() - p.start_mono_us.load()) / 1e6;
  double perc = total ? 100.0 * double(loaded) / double(total) : 0;
  // As Redis: the remaining bytes at the average rate so far (1 s while nothing was read).
  int64_t eta = 1;
  if (loaded > 0 && elapsed > 0) eta = int64_t(double(total - loaded) / (double(loaded) / elapsed));
  char buf[32];
  snprintf(buf, sizeof(buf), "%.2f%%", perc);
  f.push_back({"loading_start_time", std::to_string(p.start_s.load())});
  f.push_back({"loading_total_bytes", std::to_string(total)});
  f.push_back({"loading_rdb_used_mem", std::to_string(p.rdb_used_mem.load())});
  f.push_back({"loading_loaded_bytes", std::to_string(loaded)});
  f.push_back({"loading_loaded_perc", buf});
  f.push_back({"loading_eta_seconds", std::to_string(eta)});
  return f;
}

}  // namespace strata::kv
