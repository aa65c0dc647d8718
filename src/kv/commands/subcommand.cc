#include "kv/commands/subcommand.h"

#include "kv/commands/registry.h"

#include <map>
#include <string>

#include "base/strutil.h"

namespace strata::kv {
namespace {

std::map<std::string, std::vector<SubcommandSpec>, std::less<>>& Table() {
  static std::map<std::string, std::vector<SubcommandSpec>, std::less<>> t;
  return t;
}

}  // namespace

void RegisterSubcommands(const char* parent, std::vector<SubcommandSpec> subs) {
  Table()[parent] = std::move(subs);
}

const std::vector<SubcommandSpec>* SubcommandsOf(std::string_view parent) {
  auto it = Table().find(parent);
  return it == Table().end() ? nullptr : &it->second;
}

void ReplyUnknownSubcommand(CmdContext& ctx, std::string_view parent_upper) {
  std::string sub(ctx.args.size() > 1 ? ctx.args[1].substr(0, 128) : std::string_view());
  ctx.rb->Error("ERR unknown subcommand '" + sub + "'. Try " + std::string(parent_upper) +
                " HELP.");
}

const SubcommandSpec* ResolveSubcommand(CmdContext& ctx) {
  const auto* subs = SubcommandsOf(ctx.spec->name);
  std::string upper = ToUpper(ctx.spec->name);
  if (!subs || ctx.args.size() < 2) {
    ReplyUnknownSubcommand(ctx, upper);
    return nullptr;
  }
  for (const auto& s : *subs) {
    if (!EqualsIgnoreCase(s.name, ctx.args[1])) continue;
    int argc = int(ctx.args.size());
    if ((s.arity > 0 && argc != s.arity) || (s.arity < 0 && argc < -s.arity)) {
      ctx.rb->Error(std::string("ERR wrong number of arguments for '") + ctx.spec->name + "|" +
                    s.name + "' command");
      return nullptr;
    }
    return &s;
  }
  ReplyUnknownSubcommand(ctx, upper);
  return nullptr;
}

const std::vector<SubcommandSpec>* SubcommandsOf(const CommandSpec& spec) {
  // By command id, built once every command and subcommand is registered (start-up).
  static const std::vector<const std::vector<SubcommandSpec>*> by_id = [] {
    std::vector<const std::vector<SubcommandSpec>*> v;
    for (const CommandSpec& c : CommandRegistry::Get().all()) {
      if (size_t(c.id) >= v.size()) v.resize(size_t(c.id) + 1, nullptr);
      v[size_t(c.id)] = SubcommandsOf(std::string_view(c.name));
    }
    return v;
  }();
  return spec.id >= 0 && size_t(spec.id) < by_id.size() ? by_id[size_t(spec.id)] : nullptr;
}

uint32_t InvocationFlags(const CommandSpec& spec, std::span<const std::string_view> args) {
  const auto* subs = SubcommandsOf(spec);
  if (!subs || args.size() < 2) return spec.flags;
  for (const auto& s : *subs)
    if (EqualsIgnoreCase(s.name, args[1])) return s.flags;
  return spec.flags;
}

void ReplyHelp(CmdContext& ctx, std::string_view parent_upper,
               std::initializer_list<const char*> lines) {
  ctx.rb->ArrayHeader(lines.size() + 3);
  ctx.rb->SimpleString(std::string(parent_upper) +
                       " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* l : lines) ctx.rb->SimpleString(l);
  ctx.rb->SimpleString("HELP");
  ctx.rb->SimpleString("    Prints this help.");
}

}  // namespace strata::kv
