// Scripts: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP.
//
// The Lua engine is kv/script (one VM per thread, kv/tx/script_store.h); how a script gets
// Redis's atomicity across shard threads is kv/tx/script_run.h: the dispatcher sends a script
// whose declared keys share a shard to that shard's batch path (CmdScriptOnShard), and the rest,
// or a script that escalated, to the global run (MultiScript).
#include <string>

#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/script/script_errors.h"
#include "kv/tx/script_busy.h"
#include "kv/tx/script_run.h"
#include "kv/tx/script_store.h"

namespace strata::kv {
namespace {

using cmd::kNoScript;
using cmd::kStale;

void CmdScriptOnShard(CmdContext& ctx) {
  if (RunScriptCall(ctx, ScriptScope::kShard, nullptr) == ScriptOutcome::kEscalate)
    ctx.escalate = true;
}

Task<void> MultiScript(CmdContext& ctx) { co_await RunScriptGlobal(ctx); }

void ReplyKill(CmdContext& ctx, bool function) {
  switch (KillBusyScript(function)) {
    case KillResult::kKilled:
      return ctx.rb->Ok();
    case KillResult::kNotBusy:
      return ctx.rb->Error(script::errors::kNotBusy);
    case KillResult::kUnkillable:
      return ctx.rb->Error(script::errors::kUnkillable);
    case KillResult::kWrongKind:
      return ctx.rb->Error(function ? script::errors::kBusyScript : script::errors::kBusyFunction);
  }
}

void CmdScript(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (name == "help") {
    return ReplyHelp(
        ctx, "SCRIPT",
        {"EXISTS <sha1> [<sha1> ...]",
         "    Return information about the existence of the scripts in the script cache.",
         "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
         "    When called without the optional mode argument, the behavior is determined by the",
         "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
         "    * ASYNC: Asynchronously flush the scripts cache.",
         "    * SYNC: Synchronously flush the scripts cache.", "KILL",
         "    Kill the currently executing Lua script.", "LOAD <script>",
         "    Load a script into the scripts cache without executing it."});
  }
  if (name == "load") {
    auto r = ThreadScripts::Local().LoadScript(ctx.args[2]);
    if (!r.entry) return ctx.rb->Error(r.error);
    return ctx.rb->Bulk(r.entry->sha);
  }
  if (name == "exists") {
    ctx.rb->ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); i++)
      ctx.rb->Integer(ScriptStore::Get().HasScript(ctx.args[i]) ? 1 : 0);
    return;
  }
  if (name == "flush") {
    if (ctx.args.size() > 3 ||
        (ctx.args.size() == 3 && !ArgIs(ctx.args[2], "sync") && !ArgIs(ctx.args[2], "async")))
      return ctx.rb->Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    ScriptStore::Get().FlushScripts();
    return ctx.rb->Ok();
  }
  if (name == "kill") return ReplyKill(ctx, false);
  ReplyUnknownSubcommand(ctx, "SCRIPT");
}

}  // namespace

void ReplyScriptKill(CmdContext& ctx, bool function) { ReplyKill(ctx, function); }

void RegisterScriptFamily(CommandRegistry& r) {
  const char* g = "scripting";
  const uint32_t kEval = kNoScript | cmd::kSkipMonitor | kStale;
  const char* cx = "Depends on the script that is executed.";
  r.Add({"eval", -3, kEval, 0, 0, 0, CmdScriptOnShard, MultiScript, g,
         "Executes a server-side Lua script.", "2.6.0", cx});
  r.Add({"evalsha", -3, kEval, 0, 0, 0, CmdScriptOnShard, MultiScript, g,
         "Executes a server-side Lua script by SHA1 digest.", "2.6.0", cx});
  r.Add({"eval_ro", -3, kEval | cmd::kReadOnly, 0, 0, 0, CmdScriptOnShard, MultiScript, g,
         "Executes a read-only server-side Lua script.", "7.0.0", cx});
  r.Add({"evalsha_ro", -3, kEval | cmd::kReadOnly, 0, 0, 0, CmdScriptOnShard, MultiScript, g,
         "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0", cx});
  r.Add({"script", -2, kNoScript, 0, 0, 0, CmdScript, nullptr, g,
         "A container for Lua scripts management commands.", "2.6.0", "Depends on subcommand."});
  RegisterSubcommands(
      "script",
      {
          {"exists", -3, kNoScript,
           "Determines whether server-side Lua scripts exist in the "
           "script cache.",
           "2.6.0",
           "O(N) with N being the number of scripts to check (so checking a single script is an "
           "O(1) operation)."},
          {"flush", -2, kNoScript, "Removes all server-side Lua scripts from the script cache.",
           "2.6.0", "O(N) with N being the number of scripts in cache"},
          {"help", 2, cmd::kLoading | kStale,
           "Returns helpful text about the different "
           "subcommands.",
           "5.0.0", "O(1)"},
          {"kill", 2, kNoScript, "Terminates a server-side Lua script during execution.", "2.6.0",
           "O(1)"},
          {"load", 3, kNoScript | kStale, "Loads a server-side Lua script to the script cache.",
           "2.6.0", "O(N) with N being the length in bytes of the script body."},
      });
}

}  // namespace strata::kv
