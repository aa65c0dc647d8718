// CommandRegistry: name -> CommandSpec, filled once at start-up by each family's Register
// function and read-only afterwards (safe to read from every thread).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kv/commands/command.h"

namespace strata::kv {

class CommandRegistry {
 public:
  static CommandRegistry& Get();

  void Add(CommandSpec spec);
  // Case-insensitive lookup; nullptr if unknown.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<CommandSpec>& all() const { return specs_; }

  // Key argument indices of a command invocation (empty if keyless).
  static void KeyIndices(const CommandSpec& spec, size_t argc, std::vector<size_t>* out);

 private:
  std::vector<CommandSpec> specs_;
  std::unordered_map<std::string, size_t> by_name_;
};

// Registers every command family (called once by main).
void RegisterAllCommands();

// Family registration functions, one per family file.
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeysFamily(CommandRegistry& r);
void RegisterServerFamily(CommandRegistry& r);
void RegisterAofFamily(CommandRegistry& r);  // kv/aof/aof_commands.cc
void RegisterConnFamily(CommandRegistry& r);
void RegisterLatencyFamily(CommandRegistry& r);
void RegisterLeaseFamily(CommandRegistry& r);
void RegisterHotkeysFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterZSetFamily(CommandRegistry& r);
void RegisterStreamFamily(CommandRegistry& r);
void RegisterBitmapFamily(CommandRegistry& r);
void RegisterHllFamily(CommandRegistry& r);
void RegisterBloomFamily(CommandRegistry& r);
void RegisterSortFamily(CommandRegistry& r);
void RegisterTxFamily(CommandRegistry& r);
void RegisterScriptFamily(CommandRegistry& r);
void RegisterFunctionFamily(CommandRegistry& r);
void RegisterPubsubFamily(CommandRegistry& r);
void RegisterDumpFamily(CommandRegistry& r);

}  // namespace strata::kv
