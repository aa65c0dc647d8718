// ScriptCache: the EVAL engine. Scripts are identified by the SHA1 of their body, compiled
// once into the VM and kept until SCRIPT FLUSH, as Redis does for EVAL and SCRIPT LOAD.
//
// How a server drives it:
//   EVAL body numkeys k.. a..  ->  Load(body) (error reply on failure), policy checks on the
//                                  entry's flags, then Run(entry, keys, args, resp, host)
//   EVALSHA sha ...            ->  Find(sha) (nullptr: errors::kNoScript), checks, Run(...)
//   SCRIPT LOAD body           ->  Load(body), reply with the sha
//   SCRIPT EXISTS sha..        ->  Exists(sha) for each
//   SCRIPT FLUSH               ->  Flush()
// The cache is one VM: it belongs to one thread at a time.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kv/script/lua_vm.h"
#include "kv/script/shebang.h"

namespace strata::kv::script {

class ScriptCache {
 public:
  struct Entry {
    std::string sha;  // 40 lowercase hex digits
    std::string body;
    EvalShebang shebang;  // flags, and whether the script declared any (shebang.present)
    int ref = -1;
  };

  struct LoadResult {
    const Entry* entry = nullptr;  // nullptr on error
    std::string error;             // error reply text without '-', e.g. "ERR Error compiling ..."
  };

  explicit ScriptCache(const VmOptions& options = {});

  // Returns the cached entry for this body, compiling it first if needed. A body whose
  // shebang or code does not compile is not cached.
  LoadResult Load(std::string_view body);

  // Looks a script up by SHA1 (any case; anything but 40 characters is never found).
  const Entry* Find(std::string_view sha) const;
  bool Exists(std::string_view sha) const { return Find(sha) != nullptr; }

  // Forgets every script and replaces the VM with a fresh one (so no state survives either).
  // Not from inside a running script's host callback (see running()).
  void Flush();
  bool running() const { return vm_->running(); }

  ScriptReply Run(const Entry& entry, std::span<const std::string_view> keys,
                  std::span<const std::string_view> args, int client_resp, ScriptHost* host);

  size_t size() const { return scripts_.size(); }
  // Lua heap in use (INFO used_memory_lua) and bytes of cached bodies (used_memory_scripts).
  size_t vm_memory() const { return vm_->used_memory(); }
  size_t scripts_memory() const { return bodies_bytes_; }

 private:
  VmOptions options_;
  std::unique_ptr<LuaVm> vm_;
  std::unordered_map<std::string, Entry> scripts_;
  size_t bodies_bytes_ = 0;
};

}  // namespace strata::kv::script
