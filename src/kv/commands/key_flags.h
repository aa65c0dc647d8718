// Key flags (COMMAND GETKEYSANDFLAGS): what a command does with each of its keys, with Redis 7.0's
// names (RO/RW/OW/RM for the access, access/update/insert/delete for the logical operation).
//
// Each command that takes keys has Redis's key specs: where each group of keys starts (an
// argument index, or the argument after a keyword) and the group's flags. A key found by
// CommandKeys gets the flags of the group it falls in.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

struct CommandSpec;

// The flag names of each key (indexes into `args`, as CommandKeys returns them) of `spec` called
// with `args` (args[0] is the command name).
std::vector<std::vector<std::string>> KeyFlagNames(const CommandSpec& spec,
                                                   std::span<const std::string_view> args,
                                                   const std::vector<size_t>& keys);

}  // namespace strata::kv
