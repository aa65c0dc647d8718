// COMMAND [COUNT|INFO|DOCS|LIST|GETKEYS|HELP]: the command table as Redis 7.0 reports it, built
// from the CommandRegistry (and the subcommand tables of container commands). Flag and ACL
// category names are derived from CommandSpec flags and groups.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

class CommandRegistry;

// Redis's flag names for cmd::Flag bits, in Redis's order ("write", "readonly", "denyoom", ...).
std::vector<std::string> CommandFlagNames(uint32_t flags);
// ACL categories ("@read", "@string", "@fast", ...) in Redis's category order. `group` is the
// documentation group ("string", "generic", ...); containers report only @slow, as Redis.
// `full_name` ("get", "config|set"): Redis's explicit categories of that command are used when
// known, else the group's.
std::vector<std::string> CommandAclCategories(uint32_t flags, const char* group, bool container,
                                              std::string_view full_name = {});

// Registers COMMAND (command_docs.cc).
void RegisterCommandCommand(CommandRegistry& r);

}  // namespace strata::kv
