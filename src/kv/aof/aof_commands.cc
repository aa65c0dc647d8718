// BGREWRITEAOF.
#include "kv/aof/aof_log.h"
#include "kv/commands/command.h"
#include "kv/commands/registry.h"

namespace strata::kv {

namespace {

// Starts the rewrite on shard 0 and answers at once, as Redis does; INFO persistence shows
// aof_rewrite_in_progress until it ends.
void CmdBgRewriteAof(CmdContext& ctx) {
  if (aof::RewriteInProgress()) {
    ctx.rb->Error("ERR Background append only file rewriting already in progress");
    return;
  }
  aof::ScheduleRewrite();
  ctx.rb->SimpleString("Background append only file rewriting started");
}

}  // namespace

void RegisterAofFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"bgrewriteaof", 1, kAdmin | kNoScript, 0, 0, 0, CmdBgRewriteAof, nullptr, "server",
         "Asynchronously rewrites the append-only file to disk.", "1.0.0", "O(1)"});
}

}  // namespace strata::kv
