// Helpers shared by the stream command files (stream_family.cc, stream_group_family.cc).
#pragma once

#include <string>
#include <string_view>

#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/types/stream.h"

namespace strata::kv {

inline constexpr const char* kErrInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";

// An argument as Redis's "%s" formats it: up to its first NUL byte.
inline std::string CStr(std::string_view s) { return std::string(s.substr(0, s.find('\0'))); }

inline void ReplyStreamId(resp::ReplyBuilder* rb, StreamID id) { rb->Bulk(id.ToString()); }

// [id, [field, value, ...]]
inline void ReplyStreamEntry(resp::ReplyBuilder* rb, StreamID id, const StreamFields& f) {
  rb->ArrayHeader(2);
  ReplyStreamId(rb, id);
  rb->ArrayHeader(f.size() * 2);
  for (const auto& [k, v] : f) {
    rb->Bulk(k);
    rb->Bulk(v);
  }
}

// Parses a stream ID argument, replying Redis's error on failure.
inline bool ArgStreamId(CmdContext& ctx, std::string_view arg, StreamID* id, uint64_t missing_seq,
                        bool strict) {
  if (ParseStreamID(arg, id, missing_seq, strict)) return true;
  ctx.rb->Error(kErrInvalidStreamId);
  return false;
}

// An interval bound for XRANGE/XPENDING: "(" makes it exclusive.
inline bool ArgIntervalId(CmdContext& ctx, std::string_view arg, StreamID* id, bool* exclusive,
                          uint64_t missing_seq) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  bool ok = *exclusive ? ParseStreamID(arg.substr(1), id, missing_seq, true)
                       : ParseStreamID(arg, id, missing_seq, false);
  if (!ok) ctx.rb->Error(kErrInvalidStreamId);
  return ok;
}

// Redis's getLongLongFromObjectOrReply with a custom message.
inline bool ArgIntMsg(CmdContext& ctx, std::string_view arg, int64_t* out, const char* msg) {
  if (ParseInt64(arg, out)) return true;
  ctx.rb->Error(msg);
  return false;
}

inline void ReplySubcommandSyntax(CmdContext& ctx) {
  ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                CStr(ctx.args[1]).substr(0, 128) + "'. Try " + ToUpper(ctx.spec->name) + " HELP.");
}

void RegisterStreamGroupCommands(CommandRegistry& r);

}  // namespace strata::kv
