// Helpers for the cross-shard coordinators of multi-key commands (see tx/multi_key.h).
#pragma once

#include <cstddef>
#include <vector>

#include "kv/commands/command.h"
#include "kv/engine/shard.h"
#include "kv/server/config.h"
#include "kv/server/task.h"
#include "kv/tx/multi_key.h"

namespace strata::kv {

inline constexpr const char* kErrOom = "OOM command not allowed when used memory > 'maxmemory'.";

// Argument indices first, first + 1, ... up to the last argument.
inline std::vector<size_t> ArgRange(const CmdContext& ctx, size_t first) {
  std::vector<size_t> v;
  for (size_t i = first; i < ctx.args.size(); i++) v.push_back(i);
  return v;
}

// A CmdContext for a per-shard step on `s` with the coordinator's arguments, replying into rb.
inline CmdContext ShardStepCtx(const CmdContext& ctx, Shard& s, resp::ReplyBuilder* rb) {
  CmdContext c = ctx;
  c.shard = &s;
  c.conn = nullptr;
  c.rb = rb;
  return c;
}

// For a write that may grow memory: evicts on every shard involved as needed; false if one of
// them is over maxmemory with nothing left to evict (the command must fail with kErrOom).
inline Task<bool> EnsureMemoryOnAll(MultiKeyTx& tx) {
  auto ok = co_await tx.OnEachShard([](Shard& s, const std::vector<size_t>&) {
    return int(GlobalConfig().maxmemory.load(std::memory_order_relaxed) == 0 || s.EnsureMemory());
  });
  for (int b : ok)
    if (!b) co_return false;
  co_return true;
}

}  // namespace strata::kv
