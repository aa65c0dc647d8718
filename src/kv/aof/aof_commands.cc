// BGREWRITEAOF.
#include "kv/aof/aof_log.h"
#include "kv/commands/command.h"
#include "kv/commands/registry.h"

namespace strata::kv {

namespace {

// Starts the rewrite on shard 0 and answers at once, as Redis does; INFO persistence shows
// aof_rewrite_in_progress until it ends. Inside EXEC, or while a BGSAVE runs, it is scheduled.
void CmdBgRewriteAof(CmdContext& ctx) {
  switch (aof::RequestRewrite(ctx.in_tx)) {
    case aof::RewriteStart::kInProgress:
      ctx.rb->Error("ERR Background append only file rewriting already in progress");
      break;
    case aof::RewriteStart::kScheduled:
      ctx.rb->SimpleString("Background append only file rewriting scheduled");
      break;
    case aof::RewriteStart::kStarted:
      ctx.rb->SimpleString("Background append only file rewriting started");
      break;
  }
}

}  // namespace

void RegisterAofFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"bgrewriteaof", 1, kAdmin | kNoScript, 0, 0, 0, CmdBgRewriteAof, nullptr, "server",
         "Asynchronously rewrites the append-only file to disk.", "1.0.0", "O(1)"});
}

}  // namespace strata::kv
