// BUSY scripts: Redis's busy-reply-threshold (lua-time-limit) and SCRIPT KILL / FUNCTION KILL.
//
// A running script polls BusyScript::Poll() from its VM hook. Once it has run past the
// threshold it registers as busy: from then on every thread's dispatcher answers BUSY to other
// clients (ScriptsBusy(), one relaxed load per command while none is), except for the commands
// Redis lets through (SCRIPT KILL, FUNCTION KILL, SHUTDOWN, ...). KillBusyScript() asks a busy
// script that has not written to stop: its next poll returns true and the VM raises the kill
// error, which the script cannot catch. A script that has written can only be stopped by
// SHUTDOWN NOSAVE.
//
// Connections on the busy script's own thread cannot be read while it runs: the hook lets that
// thread's loop read their sockets meanwhile (ServeWhileBusy), with the dispatcher in the same
// BUSY mode, so SCRIPT KILL works even when every shard runs on one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

class BusyScript {
 public:
  // `name`: the function's name (FUNCTION STATS shows it with the command that called it).
  void Start(bool function, std::string_view name = {},
             std::span<const std::string_view> argv = {});
  void Stop();
  void MarkWrote() { wrote_.store(true, std::memory_order_relaxed); }
  // From the VM hook: whether the script must stop now (killed).
  bool Poll();

  bool function() const { return function_; }
  bool wrote() const { return wrote_.load(std::memory_order_relaxed); }
  void Kill() { killed_.store(true, std::memory_order_release); }

 private:
  friend bool RunningFunction(std::string*, std::vector<std::string>*, int64_t*);
  int64_t start_us_ = 0;
  std::string name_;
  std::vector<std::string> argv_;
  bool function_ = false;
  bool registered_ = false;
  std::atomic<bool> wrote_{false};
  std::atomic<bool> killed_{false};
};

// The busy function, for FUNCTION STATS: false if none (or the busy script is an EVAL).
bool RunningFunction(std::string* name, std::vector<std::string>* argv, int64_t* duration_ms);
// Whether the busy script is an EVAL script (FUNCTION STATS refuses then, as Redis).
bool BusyScriptIsEval();

// Whether a script runs past the threshold now (any thread).
bool ScriptsBusy();
// Whether a busy command may still run (SCRIPT KILL, FUNCTION KILL, SHUTDOWN, AUTH, ...).
bool AllowedWhileBusy(std::string_view name, std::string_view sub);
// The BUSY error for other clients (script or function flavour).
const char* BusyError();

enum class KillResult { kKilled, kNotBusy, kUnkillable, kWrongKind };
// SCRIPT KILL (function = false) or FUNCTION KILL (true).
KillResult KillBusyScript(bool function);

// Shutdown: every running script stops at its next poll, written or not.
void StopScriptsForShutdown();

// Set by the server: reads this thread's client sockets while its script is busy.
using BusyIoHook = void (*)();
void SetBusyIoHook(BusyIoHook hook);
// Whether this thread is inside a busy script's I/O turn (its dispatcher must not run commands
// that touch the keyspace).
bool InBusyIoTurn();

}  // namespace strata::kv
