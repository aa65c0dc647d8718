// Writing string values in place: the helpers shared by the commands that edit a string's bytes
// rather than replace it (APPEND, SETRANGE, the bitmap and HyperLogLog commands).
#pragma once

#include <cstddef>
#include <string_view>

#include "kv/commands/command.h"
#include "kv/engine/shard.h"

namespace strata::kv {

// Grows the string at `link` to new_len bytes (new bytes zero), in place when the allocation has
// room, else into a new entry with room to grow again (geometric), keeping the TTL. Marks the
// value raw. Returns the entry now at *link.
Entry* GrowValue(CmdContext& ctx, Entry** link, size_t new_len);

// Replaces the bytes of the string at `link` by `value`, keeping its TTL: in place when the
// length allows, else in a new entry. Marks the value raw. Returns the entry now at *link.
Entry* RewriteValue(CmdContext& ctx, Entry** link, std::string_view value);

// Adds `key` (absent) with a raw string value, no TTL. Returns the new entry.
Entry* AddRawString(CmdContext& ctx, std::string_view key, uint64_t hash, std::string_view value);

// Sets `key` to a raw string value with no TTL, as SET does (any previous value and type go).
void SetRawString(CmdContext& ctx, std::string_view key, uint64_t hash, std::string_view value);

}  // namespace strata::kv
