#include "kv/commands/registry.h"

namespace strata::kv {

CommandRegistry& CommandRegistry::Get() {
  static CommandRegistry r;
  return r;
}

void CommandRegistry::Add(CommandSpec spec) {
  spec.id = int(specs_.size());
  by_name_.emplace(spec.name, specs_.size());
  specs_.push_back(spec);
}

namespace {
inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? char(c | 0x20) : c; }
bool EqualsLower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); i++) {
    if (AsciiLower(name[i]) != lower[i]) return false;
  }
  return true;
}
}  // namespace

const CommandSpec* CommandRegistry::Find(std::string_view name) const {
  // Hot commands hit a one-entry cache per thread before the hash map.
  thread_local const CommandSpec* last = nullptr;
  if (last && EqualsLower(name, last->name)) return last;
  char buf[64];
  if (name.size() >= sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); i++) buf[i] = AsciiLower(name[i]);
  auto it = by_name_.find(std::string(buf, name.size()));
  if (it == by_name_.end()) return nullptr;
  last = &specs_[it->second];
  return last;
}

void CommandRegistry::KeyIndices(const CommandSpec& spec, size_t argc, std::vector<size_t>* out) {
  out->clear();
  if (spec.first_key <= 0) return;
  size_t last = spec.last_key < 0 ? argc + size_t(spec.last_key) : size_t(spec.last_key);
  size_t step = spec.key_step > 0 ? size_t(spec.key_step) : 1;
  for (size_t i = size_t(spec.first_key); i <= last && i < argc; i += step) out->push_back(i);
}

void RegisterAllCommands() {
  auto& r = CommandRegistry::Get();
  if (!r.all().empty()) return;
  RegisterStringFamily(r);
  RegisterKeysFamily(r);
  RegisterServerFamily(r);
  RegisterAofFamily(r);
  RegisterConnFamily(r);
  RegisterLatencyFamily(r);
  RegisterLeaseFamily(r);
  RegisterHotkeysFamily(r);
  RegisterHashFamily(r);
  RegisterListFamily(r);
  RegisterSetFamily(r);
  RegisterZSetFamily(r);
  RegisterStreamFamily(r);
  RegisterBitmapFamily(r);
  RegisterHllFamily(r);
  RegisterBloomFamily(r);
  RegisterSortFamily(r);
  RegisterTxFamily(r);
  RegisterScriptFamily(r);
  RegisterFunctionFamily(r);
  RegisterPubsubFamily(r);
  RegisterDumpFamily(r);
}

}  // namespace strata::kv
