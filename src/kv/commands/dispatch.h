// Dispatch decisions: from a parsed request to "where does it run", plus the one function that
// executes a spec's handler on a shard (OOM check, stats, slow log). Pure of socket I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/commands/command.h"
#include "kv/server/config.h"

namespace strata::kv {

struct ClientState;

struct Route {
  enum Kind { kError, kInline, kRemote, kAsync } kind = kError;
  uint32_t shard = 0;
};

// Whether enable-debug-command lets this client run protected commands (DEBUG).
bool ProtectedActionAllowed(const ClientState& client);  // enable-debug-command
// Whether `client` may take a protected action under `setting` (no, yes or local).
bool ProtectedActionAllowed(ProtectedAction setting, const ClientState& client);

// Looks the command up and checks it (unknown command, arity, authentication,
// enable-debug-command). On failure writes Redis's error reply and returns kError. Otherwise
// decides where it runs: kInline (on the connection's thread: keyless sync commands and keys owned
// by `local_shard`), kRemote (all keys on one other shard) or kAsync (coordinator coroutine).
Route ResolveCommand(std::span<const std::string_view> args, const ClientState& client,
                     uint32_t local_shard, resp::ReplyBuilder& rb, const CommandSpec** spec);

// The encoded lock keys of a keyed invocation (for LockTable checks).
void LockKeysOf(const CommandSpec& spec, std::span<const std::string_view> args, int db,
                std::vector<std::string>* out);

// Runs spec.handler with ctx on the current thread (which must own ctx.shard for keyed commands):
// refuses with -OOM when needed, records command stats and the slow log.
// `serve_blocked`: offer the keys it wrote to blocked clients at once (false inside a
// transaction, which serves them after its last command, as Redis does).
void ExecuteHandler(const CommandSpec& spec, CmdContext& ctx, const std::string& client_addr,
                    const std::string& client_name, bool serve_blocked = true);

// Client-side caching: remembers that ctx.client_id read the keys of this read-only command
// (on the keys' shard).
void RememberReads(const CommandSpec& spec, const CmdContext& ctx);

// Redis's error texts.
void ReplyUnknownCommand(resp::ReplyBuilder& rb, std::span<const std::string_view> args);
void ReplyWrongArity(resp::ReplyBuilder& rb, std::string_view name);

}  // namespace strata::kv
