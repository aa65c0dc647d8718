#include "kv/tx/script_store.h"

#include <mutex>
#include <vector>

#include "base/log.h"
#include "base/strutil.h"

namespace strata::kv {

ScriptStore& ScriptStore::Get() {
  static ScriptStore* store = new ScriptStore();
  return *store;
}

void ScriptStore::AddScript(const std::string& sha, std::string_view body) {
  std::lock_guard<std::mutex> l(mu_);
  scripts_.try_emplace(sha, body);
}

std::optional<std::string> ScriptStore::ScriptBody(std::string_view sha) const {
  std::string key = ToLower(sha);
  std::lock_guard<std::mutex> l(mu_);
  auto it = scripts_.find(key);
  if (it == scripts_.end()) return std::nullopt;
  return it->second;
}

bool ScriptStore::HasScript(std::string_view sha) const {
  if (sha.size() != 40) return false;
  std::string key = ToLower(sha);
  std::lock_guard<std::mutex> l(mu_);
  return scripts_.count(key) > 0;
}

void ScriptStore::FlushScripts() {
  std::lock_guard<std::mutex> l(mu_);
  scripts_.clear();
  global_.clear();
  global_count_.store(0, std::memory_order_relaxed);
  scripts_gen_.fetch_add(1, std::memory_order_acq_rel);
}

size_t ScriptStore::script_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return scripts_.size();
}

void ScriptStore::MarkGlobal(std::string_view id) {
  std::lock_guard<std::mutex> l(mu_);
  if (global_.emplace(ToLower(id)).second) global_count_.fetch_add(1, std::memory_order_relaxed);
}

bool ScriptStore::NeedsGlobalSlow(std::string_view id) const {
  std::string key = ToLower(id);
  std::lock_guard<std::mutex> l(mu_);
  return global_.count(key) > 0;
}

size_t ScriptStore::script_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [sha, body] : scripts_) n += sha.size() + body.size();
  return n;
}

size_t ScriptStore::library_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return libraries_.size();
}

size_t ScriptStore::library_bytes() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [name, code] : libraries_) n += name.size() + code.size();
  return n;
}

std::map<std::string, std::string> ScriptStore::Libraries() const {
  std::lock_guard<std::mutex> l(mu_);
  return libraries_;
}

uint64_t ScriptStore::SetLibraries(std::map<std::string, std::string> libs, size_t functions) {
  std::lock_guard<std::mutex> l(mu_);
  function_count_.store(functions, std::memory_order_relaxed);
  libraries_ = std::move(libs);
  return functions_gen_.fetch_add(1, std::memory_order_acq_rel) + 1;
}

// ---- ThreadScripts ----

ThreadScripts& ThreadScripts::Local() {
  // Never destroyed: a thread's VM lives as long as the process (shard threads do). Each one is
  // kept in a process-wide list so that it stays reachable after a short-lived thread (a test's)
  // has exited, instead of counting as a leak.
  thread_local ThreadScripts* t = [] {
    static std::mutex mu;
    static std::vector<ThreadScripts*>* all = new std::vector<ThreadScripts*>();
    auto* v = new ThreadScripts();
    std::lock_guard<std::mutex> l(mu);
    all->push_back(v);
    return v;
  }();
  return *t;
}

ThreadScripts::ThreadScripts() = default;

void ThreadScripts::SyncScripts() {
  uint64_t gen = ScriptStore::Get().scripts_generation();
  if (cache_ && gen == scripts_gen_) return;
  if (!cache_) {
    cache_ = std::make_unique<script::ScriptCache>();
  } else if (!cache_->running()) {
    cache_->Flush();
  } else {
    return;  // a script of this VM is running (a nested call): catch up after it
  }
  scripts_gen_ = gen;
}

script::ScriptCache& ThreadScripts::cache() {
  // No catching up here: an entry found by FindScript/LoadScript must stay valid until it ran.
  if (!cache_) SyncScripts();
  return *cache_;
}

const script::ScriptCache::Entry* ThreadScripts::FindScript(std::string_view sha) {
  SyncScripts();
  if (const auto* e = cache_->Find(sha)) return e;
  std::optional<std::string> body = ScriptStore::Get().ScriptBody(sha);
  if (!body) return nullptr;
  auto r = cache_->Load(*body);
  return r.entry;
}

script::ScriptCache::LoadResult ThreadScripts::LoadScript(std::string_view body) {
  SyncScripts();
  size_t before = cache_->size();
  auto r = cache_->Load(body);
  // Only a body new to this thread can be new to the store (a flush empties both).
  if (r.entry && cache_->size() != before) ScriptStore::Get().AddScript(r.entry->sha, body);
  return r;
}

script::FunctionRegistry& ThreadScripts::functions() {
  uint64_t gen = ScriptStore::Get().functions_generation();
  if (functions_ && gen == functions_gen_) return *functions_;
  if (functions_ && functions_->running()) return *functions_;
  functions_ = std::make_unique<script::FunctionRegistry>();
  functions_gen_ = gen;
  for (const auto& [name, code] : ScriptStore::Get().Libraries()) {
    auto r = functions_->Load(code, false);
    if (!r.ok)
      LOG_WARNING("function library '%s' failed to load: %s", name.c_str(), r.error.c_str());
  }
  return *functions_;
}

void ThreadScripts::ReportMemory() {
  ScriptStore& store = ScriptStore::Get();
  int64_t eval = cache_ ? int64_t(cache_->vm_memory()) : 0;
  int64_t functions = functions_ ? int64_t(functions_->vm_memory()) : 0;
  store.eval_vm_bytes.fetch_add(eval - reported_eval_, std::memory_order_relaxed);
  store.function_vm_bytes.fetch_add(functions - reported_functions_, std::memory_order_relaxed);
  reported_eval_ = eval;
  reported_functions_ = functions;
}

void ThreadScripts::FunctionsUpdated(uint64_t previous_generation, uint64_t new_generation) {
  if (functions_ && functions_gen_ == previous_generation &&
      new_generation == previous_generation + 1)
    functions_gen_ = new_generation;
}

}  // namespace strata::kv
