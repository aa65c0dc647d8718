#include "kv/tx/script_busy.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "base/clock.h"
#include "base/strutil.h"
#include "kv/script/script_errors.h"
#include "kv/server/config.h"

namespace strata::kv {
namespace {

std::mutex g_mu;
std::vector<BusyScript*> g_busy;  // guarded by g_mu
std::atomic<int> g_busy_count{0};
BusyIoHook g_io_hook = nullptr;
thread_local bool t_io_turn = false;
std::atomic<bool> g_shutdown{false};

}  // namespace

void BusyScript::Start(bool function, std::string_view name,
                       std::span<const std::string_view> argv) {
  function_ = function;
  name_.assign(name);
  argv_.assign(argv.begin(), argv.end());
  start_us_ = LoopMonoMicros();
  registered_ = false;
  wrote_.store(false, std::memory_order_relaxed);
  killed_.store(false, std::memory_order_relaxed);
}

void BusyScript::Stop() {
  if (!registered_) return;
  std::lock_guard<std::mutex> l(g_mu);
  g_busy.erase(std::remove(g_busy.begin(), g_busy.end(), this), g_busy.end());
  g_busy_count.fetch_sub(1, std::memory_order_relaxed);
  registered_ = false;
}

bool BusyScript::Poll() {
  if (g_shutdown.load(std::memory_order_relaxed)) return true;
  if (!registered_) {
    int64_t limit_ms = GlobalConfig().busy_reply_threshold.load(std::memory_order_relaxed);
    if (limit_ms <= 0 || MonoMicros() - start_us_ < limit_ms * 1000) return false;
    std::lock_guard<std::mutex> l(g_mu);
    g_busy.push_back(this);
    g_busy_count.fetch_add(1, std::memory_order_relaxed);
    registered_ = true;
  }
  if (g_io_hook && !t_io_turn) {
    t_io_turn = true;
    g_io_hook();
    t_io_turn = false;
  }
  return killed_.load(std::memory_order_acquire) || g_shutdown.load(std::memory_order_relaxed);
}

void StopScriptsForShutdown() { g_shutdown.store(true, std::memory_order_relaxed); }

bool ScriptsBusy() { return g_busy_count.load(std::memory_order_relaxed) > 0; }

bool AllowedWhileBusy(std::string_view name, std::string_view sub) {
  static const char* const kAlways[] = {"auth",  "hello",   "quit",  "reset",  "shutdown",
                                        "multi", "discard", "watch", "unwatch"};
  for (const char* n : kAlways)
    if (EqualsIgnoreCase(name, n)) return true;
  if (EqualsIgnoreCase(name, "script")) return EqualsIgnoreCase(sub, "kill");
  if (EqualsIgnoreCase(name, "function"))
    return EqualsIgnoreCase(sub, "kill") || EqualsIgnoreCase(sub, "stats");
  return false;
}

const char* BusyError() {
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_busy.empty() && g_busy.front()->function()) return script::errors::kBusyFunction;
  return script::errors::kBusyScript;
}

KillResult KillBusyScript(bool function) {
  std::lock_guard<std::mutex> l(g_mu);
  if (g_busy.empty()) return KillResult::kNotBusy;
  // As Redis checks the running script: written first, then the kind of command asked.
  BusyScript* b = g_busy.front();
  if (b->wrote()) return KillResult::kUnkillable;
  if (b->function() != function) return KillResult::kWrongKind;
  b->Kill();
  return KillResult::kKilled;
}

bool RunningFunction(std::string* name, std::vector<std::string>* argv, int64_t* duration_ms) {
  std::lock_guard<std::mutex> l(g_mu);
  if (g_busy.empty() || !g_busy.front()->function()) return false;
  const BusyScript* b = g_busy.front();
  *name = b->name_;
  *argv = b->argv_;
  *duration_ms = (MonoMicros() - b->start_us_) / 1000;
  return true;
}

bool BusyScriptIsEval() {
  std::lock_guard<std::mutex> l(g_mu);
  return !g_busy.empty() && !g_busy.front()->function();
}

void SetBusyIoHook(BusyIoHook hook) { g_io_hook = hook; }
bool InBusyIoTurn() { return t_io_turn; }

}  // namespace strata::kv
