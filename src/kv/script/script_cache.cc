#include "kv/script/script_cache.h"

#include <cctype>

#include "base/sha1.h"

namespace strata::kv::script {

ScriptCache::ScriptCache(const VmOptions& options)
    : options_(options), vm_(std::make_unique<LuaVm>(VmKind::kEval, options)) {}

ScriptCache::LoadResult ScriptCache::Load(std::string_view body) {
  LoadResult result;
  std::string sha = Sha1Hex(body);
  auto it = scripts_.find(sha);
  if (it != scripts_.end()) {
    result.entry = &it->second;
    return result;
  }
  EvalShebang shebang;
  if (!ParseEvalShebang(body, &shebang, &result.error)) return result;
  // The shebang line is skipped but its newline kept, so error lines match the user's text.
  std::string lua_error;
  int ref = vm_->Compile(body.substr(shebang.line_len), "@user_script", &lua_error);
  if (ref < 0) {
    result.error = "ERR Error compiling script (new function): " + lua_error;
    return result;
  }
  Entry entry;
  entry.sha = sha;
  entry.body = std::string(body);
  entry.shebang = shebang;
  entry.ref = ref;
  bodies_bytes_ += entry.body.size();
  auto pos = scripts_.emplace(std::move(sha), std::move(entry)).first;
  result.entry = &pos->second;
  return result;
}

const ScriptCache::Entry* ScriptCache::Find(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  thread_local std::string key;  // EVALSHA's hot path: no allocation per lookup
  key.assign(sha);
  for (char& c : key)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  auto it = scripts_.find(key);
  return it == scripts_.end() ? nullptr : &it->second;
}

void ScriptCache::Flush() {
  scripts_.clear();
  bodies_bytes_ = 0;
  vm_ = std::make_unique<LuaVm>(VmKind::kEval, options_);
}

ScriptReply ScriptCache::Run(const Entry& entry, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args, int client_resp,
                             ScriptHost* host) {
  return vm_->Invoke(LuaVm::Invocation{entry.ref, entry.sha, keys, args, client_resp, host});
}

}  // namespace strata::kv::script
