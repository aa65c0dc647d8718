// Container commands (CLIENT, CONFIG, COMMAND, SLOWLOG): their subcommands are described by
// SubcommandSpec tables registered next to the parent command, so that dispatch errors ("unknown
// subcommand", "wrong number of arguments for 'client|kill'") and COMMAND INFO/DOCS match Redis
// 7.0. The parent's handler calls ResolveSubcommand() and then branches on the subcommand name.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kv/commands/command.h"

namespace strata::kv {

struct SubcommandSpec {
  const char* name;  // lower case, without the parent ("list" for CLIENT LIST)
  int arity;         // counts the parent and the subcommand name, as Redis does (client|kill: -3)
  uint32_t flags;
  const char* summary = "";
  const char* since = "1.0.0";
  const char* complexity = "O(1)";
};

// Registers the subcommands of `parent` (a registered command name, lower case). Start-up only.
void RegisterSubcommands(const char* parent, std::vector<SubcommandSpec> subs);
// The subcommands of a container command, or nullptr.
const std::vector<SubcommandSpec>* SubcommandsOf(std::string_view parent);
// The same by the command's registry id (no string lookup; valid once start-up registered all).
const std::vector<SubcommandSpec>* SubcommandsOf(const CommandSpec& spec);

// Looks up ctx.args[1] among the subcommands of ctx.spec and checks its arity. On failure replies
// Redis's error and returns nullptr.
const SubcommandSpec* ResolveSubcommand(CmdContext& ctx);

// Replies a HELP text as Redis does: "<PARENT> <subcommand> [<arg> [value] [opt] ...].
// Subcommands are:" followed by `lines` and the trailing HELP entry, as status strings.
void ReplyHelp(CmdContext& ctx, std::string_view parent_upper,
               std::initializer_list<const char*> lines);

// "ERR unknown subcommand 'x'. Try PARENT HELP."
void ReplyUnknownSubcommand(CmdContext& ctx, std::string_view parent_upper);

// The flags of an invocation: the subcommand's for a container command (CONFIG SET is admin
// while CONFIG is not), else the command's.
uint32_t InvocationFlags(const CommandSpec& spec, std::span<const std::string_view> args);

}  // namespace strata::kv
