// Which arguments of a command are keys.
//
// Most commands name their keys at fixed positions (CommandSpec's first/last/step range). A few
// have "movable" keys whose positions depend on the other arguments: a numkeys count (ZUNION,
// LMPOP, ...), a keyword (SORT ... STORE, XREAD ... STREAMS, GEORADIUS ... STORE). This module
// finds them the way Redis 7.0's getkeys procedures do, for COMMAND GETKEYS, COMMAND INFO's
// movablekeys flag and the key locks of transactions.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "kv/commands/command.h"

namespace strata::kv {

// Argument indices of the keys of an invocation (args[0] is the command name). False when the
// arguments are malformed so that no keys can be found (e.g. numkeys out of range), as Redis's
// "Invalid arguments specified for command".
bool CommandKeys(const CommandSpec& spec, std::span<const std::string_view> args,
                 std::vector<size_t>* out);

// Whether the command's keys are movable; if so, *first, *last, *step are the key range Redis
// 7.0's COMMAND INFO shows for it.
bool MovableKeys(const CommandSpec& spec, int* first = nullptr, int* last = nullptr,
                 int* step = nullptr);

}  // namespace strata::kv
