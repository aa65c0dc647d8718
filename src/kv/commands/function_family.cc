// Functions: FCALL, FCALL_RO and FUNCTION LOAD / DELETE / FLUSH / LIST / STATS / DUMP /
// RESTORE / KILL / HELP.
//
// Libraries live in the ScriptStore (kv/tx/script_store.h); a change is validated on this
// thread's registry first, then published, and every other thread's registry reloads them before
// its next FCALL. FCALL runs exactly as EVAL does (kv/tx/script_run.h).
#include <map>
#include <mutex>
#include <string>

#include "base/glob.h"
#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/script/function_dump.h"
#include "kv/script/script_errors.h"
#include "kv/script/shebang.h"
#include "kv/tx/script_busy.h"
#include "kv/tx/script_run.h"
#include "kv/tx/script_store.h"

namespace strata::kv {

void ReplyScriptKill(CmdContext& ctx, bool function);

namespace {

using cmd::kNoScript;
using cmd::kStale;

// Serializes library changes (load, delete, flush, restore) across threads.
std::mutex& WriteMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

// Publishes this thread's registry as the libraries of every thread.
void Publish(script::FunctionRegistry& reg, uint64_t before) {
  std::map<std::string, std::string> libs;
  for (const auto& [name, lib] : reg.libraries()) libs[name] = lib.code;
  uint64_t after = ScriptStore::Get().SetLibraries(std::move(libs), reg.functions().size());
  ThreadScripts::Local().FunctionsUpdated(before, after);
  ThreadScripts::Local().ReportMemory();
}

void CmdScriptOnShard(CmdContext& ctx) {
  if (RunScriptCall(ctx, ScriptScope::kShard, nullptr) == ScriptOutcome::kEscalate)
    ctx.escalate = true;
}

Task<void> MultiFunction(CmdContext& ctx) { co_await RunScriptGlobal(ctx); }

void FunctionLoad(CmdContext& ctx) {
  bool replace = false;
  size_t i = 2;
  for (; i + 1 < ctx.args.size(); i++) {
    if (ArgIs(ctx.args[i], "replace")) {
      replace = true;
    } else {
      return ctx.rb->Error("ERR Unknown option given: " + std::string(ctx.args[i]));
    }
  }
  if (i >= ctx.args.size()) return ctx.rb->Error("ERR Function code is missing");
  std::lock_guard<std::mutex> l(WriteMutex());
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  uint64_t before = ScriptStore::Get().functions_generation();
  auto r = reg.Load(ctx.args[i], replace);
  if (!r.ok) return ctx.rb->Error(r.error);
  Publish(reg, before);
  ctx.rb->Bulk(r.library);
}

void FunctionDelete(CmdContext& ctx) {
  std::lock_guard<std::mutex> l(WriteMutex());
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  uint64_t before = ScriptStore::Get().functions_generation();
  if (!reg.Delete(ctx.args[2])) return ctx.rb->Error(script::errors::kLibraryNotFound);
  Publish(reg, before);
  ctx.rb->Ok();
}

void FunctionFlush(CmdContext& ctx) {
  if (ctx.args.size() > 3 ||
      (ctx.args.size() == 3 && !ArgIs(ctx.args[2], "sync") && !ArgIs(ctx.args[2], "async")))
    return ctx.rb->Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  std::lock_guard<std::mutex> l(WriteMutex());
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  uint64_t before = ScriptStore::Get().functions_generation();
  reg.Flush();
  Publish(reg, before);
  ctx.rb->Ok();
}

void FunctionList(CmdContext& ctx) {
  bool with_code = false;
  std::string_view pattern;
  bool have_pattern = false;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (!with_code && ArgIs(ctx.args[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!have_pattern && ArgIs(ctx.args[i], "libraryname")) {
      if (i >= ctx.args.size() - 1) return ctx.rb->Error("ERR library name argument was not given");
      pattern = ctx.args[++i];
      have_pattern = true;
      continue;
    }
    return ctx.rb->Error("ERR Unknown argument " + std::string(ctx.args[i]));
  }
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  std::vector<const script::FunctionRegistry::Library*> libs;
  for (const auto& [name, lib] : reg.libraries())
    if (!have_pattern || GlobMatch(pattern, name, true)) libs.push_back(&lib);
  resp::ReplyBuilder& rb = *ctx.rb;
  rb.ArrayHeader(libs.size());
  for (const auto* lib : libs) {
    rb.MapHeader(with_code ? 4 : 3);
    rb.Bulk("library_name");
    rb.Bulk(lib->name);
    rb.Bulk("engine");
    rb.Bulk(lib->engine);
    rb.Bulk("functions");
    rb.ArrayHeader(lib->functions.size());
    for (const auto& fname : lib->functions) {
      const auto* f = reg.FindFunction(fname);
      rb.MapHeader(3);
      rb.Bulk("name");
      rb.Bulk(f ? f->name : fname);
      rb.Bulk("description");
      if (f && f->description) {
        rb.Bulk(*f->description);
      } else {
        rb.Null();
      }
      rb.Bulk("flags");
      std::vector<std::string> flags = script::ScriptFlagStrings(f ? f->flags : 0);
      rb.SetHeader(flags.size());
      for (const auto& fl : flags) rb.SimpleString(fl);
    }
    if (with_code) {
      rb.Bulk("library_code");
      rb.Bulk(lib->code);
    }
  }
}

void FunctionStats(CmdContext& ctx) {
  if (BusyScriptIsEval()) return ctx.rb->Error(script::errors::kBusyScript);
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  resp::ReplyBuilder& rb = *ctx.rb;
  rb.MapHeader(2);
  rb.Bulk("running_script");
  std::string name;
  std::vector<std::string> argv;
  int64_t duration_ms = 0;
  if (RunningFunction(&name, &argv, &duration_ms)) {
    rb.MapHeader(3);
    rb.Bulk("name");
    rb.Bulk(name);
    rb.Bulk("command");
    rb.ArrayHeader(argv.size());
    for (const auto& a : argv) rb.Bulk(a);
    rb.Bulk("duration_ms");
    rb.Integer(duration_ms);
  } else {
    rb.Null();
  }
  rb.Bulk("engines");
  rb.MapHeader(1);
  rb.Bulk("LUA");
  rb.MapHeader(2);
  rb.Bulk("libraries_count");
  rb.Integer(int64_t(reg.libraries().size()));
  rb.Bulk("functions_count");
  rb.Integer(int64_t(reg.functions().size()));
}

void FunctionDump(CmdContext& ctx) {
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  std::vector<std::string> codes;
  for (const auto& [name, lib] : reg.libraries()) codes.push_back(lib.code);
  ctx.rb->Bulk(script::EncodeFunctionDump(codes));
}

void FunctionRestore(CmdContext& ctx) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.args.size() > 4) return ctx.rb->Error(kErrSyntax);
  if (ctx.args.size() == 4) {
    std::string_view p = ctx.args[3];
    if (ArgIs(p, "append")) {
      policy = Policy::kAppend;
    } else if (ArgIs(p, "replace")) {
      policy = Policy::kReplace;
    } else if (ArgIs(p, "flush")) {
      policy = Policy::kFlush;
    } else {
      return ctx.rb->Error(
          "ERR Wrong restore policy given, value should be either FLUSH, "
          "APPEND or REPLACE.");
    }
  }
  // Redis creates each library as it reads it: a load error of an earlier record comes
  // before a decoding error of a later one.
  script::FunctionDumpContents dump = script::DecodeFunctionDump(ctx.args[2]);
  const std::vector<std::string>& codes = dump.codes;
  std::lock_guard<std::mutex> l(WriteMutex());
  script::FunctionRegistry& reg = ThreadScripts::Local().functions();
  uint64_t before = ScriptStore::Get().functions_generation();
  // Validate on a scratch registry: all libraries load, or nothing changes.
  script::FunctionRegistry scratch;
  if (policy != Policy::kFlush) {
    for (const auto& [name, lib] : reg.libraries()) scratch.Load(lib.code, false);
  }
  // The payload's libraries among themselves always clash as APPEND would.
  script::FunctionRegistry incoming;
  for (const auto& code : codes) {
    auto r = incoming.Load(code, false);
    if (!r.ok) return ctx.rb->Error(r.error);
  }
  if (!dump.ok()) return ctx.rb->Error(dump.error);
  for (const auto& [name, lib] : incoming.libraries()) {
    if (policy == Policy::kAppend && scratch.FindLibrary(name))
      return ctx.rb->Error("ERR Library " + name + " already exists");
    auto r = scratch.Load(lib.code, policy == Policy::kReplace);
    if (!r.ok) return ctx.rb->Error(r.error);
  }
  if (policy == Policy::kFlush) reg.Flush();
  for (const auto& code : codes) reg.Load(code, true);
  Publish(reg, before);
  ctx.rb->Ok();
}

void CmdFunction(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (name == "load") return FunctionLoad(ctx);
  if (name == "delete") return FunctionDelete(ctx);
  if (name == "flush") return FunctionFlush(ctx);
  if (name == "list") return FunctionList(ctx);
  if (name == "stats") return FunctionStats(ctx);
  if (name == "dump") return FunctionDump(ctx);
  if (name == "restore") return FunctionRestore(ctx);
  if (name == "kill") return ReplyScriptKill(ctx, true);
  if (name == "help") {
    return ReplyHelp(
        ctx, "FUNCTION",
        {"LOAD [REPLACE] <FUNCTION CODE>",
         "    Create a new library with the given library name and code.",
         "DELETE <LIBRARY NAME>",
         "    Delete the given library.",
         "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
         "    Return general information on all the libraries:",
         "    * Library name",
         "    * The engine used to run the Library",
         "    * Library description",
         "    * Functions list",
         "    * Library code (if WITHCODE is given)",
         "    It also possible to get only function that matches a pattern using LIBRARYNAME "
         "argument.",
         "STATS",
         "    Return information about the current function running:",
         "    * Function name",
         "    * Command used to run the function",
         "    * Duration in MS that the function is running",
         "    If no function is running, return nil",
         "    In addition, returns a list of available engines.",
         "KILL",
         "    Kill the current running function.",
         "FLUSH [ASYNC|SYNC]",
         "    Delete all the libraries.",
         "    When called without the optional mode argument, the behavior is determined by the",
         "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
         "    * ASYNC: Asynchronously flush the libraries.",
         "    * SYNC: Synchronously flush the libraries.",
         "DUMP",
         "    Return a serialized payload representing the current libraries, can be restored "
         "using FUNCTION RESTORE command",
         "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
         "    Restore the libraries represented by the given payload, it is possible to give a "
         "restore policy to",
         "    control how to handle existing libraries (default APPEND):",
         "    * FLUSH: delete all existing libraries.",
         "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
         "abort.",
         "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
         "replace the old",
         "      libraries with the new libraries (notice that even on this option there is a "
         "chance of failure",
         "      in case of functions name collision with another library)."});
  }
  ReplyUnknownSubcommand(ctx, "FUNCTION");
}

}  // namespace

void RegisterFunctionFamily(CommandRegistry& r) {
  const char* g = "scripting";
  const char* cx = "Depends on the function that is executed.";
  r.Add({"fcall", -3, kNoScript | cmd::kSkipMonitor | kStale, 0, 0, 0, CmdScriptOnShard,
         MultiFunction, g, "Invokes a function.", "7.0.0", cx});
  r.Add({"fcall_ro", -3, kNoScript | cmd::kSkipMonitor | kStale | cmd::kReadOnly, 0, 0, 0,
         CmdScriptOnShard, MultiFunction, g, "Invokes a read-only function.", "7.0.0", cx});
  r.Add({"function", -2, kNoScript, 0, 0, 0, CmdFunction, nullptr, g,
         "A container for function commands.", "7.0.0", "Depends on subcommand."});
  RegisterSubcommands(
      "function",
      {
          {"delete", 3, kNoScript | cmd::kWrite, "Deletes a library and its functions.", "7.0.0",
           "O(1)"},
          {"dump", 2, kNoScript, "Dumps all libraries into a serialized binary payload.", "7.0.0",
           "O(N) where N is the number of functions"},
          {"flush", -2, kNoScript | cmd::kWrite, "Deletes all libraries and functions.", "7.0.0",
           "O(N) where N is the number of functions deleted"},
          {"help", 2, cmd::kLoading | kStale,
           "Returns helpful text about the different "
           "subcommands.",
           "7.0.0", "O(1)"},
          {"kill", 2, kNoScript, "Terminates a function during execution.", "7.0.0", "O(1)"},
          {"list", -2, kNoScript, "Returns information about all libraries.", "7.0.0",
           "O(N) where N is the number of functions"},
          {"load", -3, kNoScript | cmd::kWrite | cmd::kDenyOom, "Creates a library.", "7.0.0",
           "O(1) (considering compilation time is redundant)"},
          {"restore", -3, kNoScript | cmd::kWrite | cmd::kDenyOom,
           "Restores all libraries from a payload.", "7.0.0",
           "O(N) where N is the number of functions on the payload"},
          {"stats", 2, kNoScript, "Returns information about a function during execution.", "7.0.0",
           "O(1)"},
      });
}

}  // namespace strata::kv
