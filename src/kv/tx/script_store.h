// ScriptStore: the process's EVAL scripts and function libraries, and each thread's Lua VMs.
//
// A Lua VM belongs to one thread, and a script runs on whichever shard thread owns its keys, so
// every thread has its own VMs (ThreadScripts) and the store keeps the source of truth: script
// bodies by SHA1 and library payloads by name, each with a generation number. A thread's VMs
// catch up lazily, before their next use: a script EVALed or loaded anywhere is compiled on
// first use elsewhere, and a SCRIPT FLUSH or a library change rebuilds the VM that is behind.
//
// Thread ownership: ScriptStore is shared (one mutex, taken on loads, flushes and the first use
// of a script on a thread, never on the EVALSHA fast path); ThreadScripts is thread-local.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kv/script/function_registry.h"
#include "kv/script/script_cache.h"

namespace strata::kv {

class ScriptStore {
 public:
  static ScriptStore& Get();

  // ---- EVAL scripts ----
  void AddScript(const std::string& sha, std::string_view body);
  std::optional<std::string> ScriptBody(std::string_view sha) const;
  bool HasScript(std::string_view sha) const;
  void FlushScripts();
  uint64_t scripts_generation() const { return scripts_gen_.load(std::memory_order_acquire); }
  size_t script_count() const;
  size_t script_bytes() const;  // bodies and their SHA1 keys (used_memory_scripts_eval)
  size_t library_count() const;
  size_t function_count() const { return function_count_.load(std::memory_order_relaxed); }
  size_t library_bytes() const;

  // Lua heaps of every thread's VMs (INFO used_memory_vm_eval / _functions).
  std::atomic<int64_t> eval_vm_bytes{0};
  std::atomic<int64_t> function_vm_bytes{0};
  std::atomic<size_t> function_count_{0};

  // Scripts that touched keys outside what their declared keys let them lock: they start in
  // global mode from then on instead of being rolled back again (see script_run.h).
  void MarkGlobal(std::string_view id);
  bool AnyGlobal() const { return global_count_.load(std::memory_order_relaxed) != 0; }
  bool NeedsGlobal(std::string_view id) const {
    if (global_count_.load(std::memory_order_relaxed) == 0) return false;
    return NeedsGlobalSlow(id);
  }

  // ---- Function libraries ----
  // Library payloads by name. Writers replace the whole map (FUNCTION LOAD, DELETE, FLUSH,
  // RESTORE) after validating it on their own thread's registry.
  std::map<std::string, std::string> Libraries() const;
  // Returns the new generation.
  uint64_t SetLibraries(std::map<std::string, std::string> libs, size_t functions);
  uint64_t functions_generation() const { return functions_gen_.load(std::memory_order_acquire); }

 private:
  bool NeedsGlobalSlow(std::string_view id) const;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> scripts_;  // sha -> body
  std::unordered_set<std::string> global_;
  std::map<std::string, std::string> libraries_;
  std::atomic<uint64_t> scripts_gen_{1};
  std::atomic<uint64_t> functions_gen_{1};
  std::atomic<size_t> global_count_{0};
};

// This thread's VMs, brought up to date with the store on access.
class ThreadScripts {
 public:
  static ThreadScripts& Local();

  // The EVAL VM's entry for a SHA1 (compiling the stored body on first use here), or nullptr.
  const script::ScriptCache::Entry* FindScript(std::string_view sha);
  // Compiles (or finds) a body for EVAL / SCRIPT LOAD, and records it in the store.
  script::ScriptCache::LoadResult LoadScript(std::string_view body);
  script::ScriptCache& cache();

  // The function registry, with every stored library loaded.
  script::FunctionRegistry& functions();
  // Publishes this thread's VM heap sizes to the store's totals (after a run or a load).
  void ReportMemory();
  // After this thread changed the libraries itself (generation from SetLibraries): its
  // registry already matches when no other change came between.
  void FunctionsUpdated(uint64_t previous_generation, uint64_t new_generation);

 private:
  ThreadScripts();
  void SyncScripts();

  std::unique_ptr<script::ScriptCache> cache_;
  uint64_t scripts_gen_ = 0;
  std::unique_ptr<script::FunctionRegistry> functions_;
  uint64_t functions_gen_ = 0;
  int64_t reported_eval_ = 0;
  int64_t reported_functions_ = 0;
};

}  // namespace strata::kv
