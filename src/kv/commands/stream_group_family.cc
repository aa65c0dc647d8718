// Stream consumer-group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.
#include <climits>
#include <string>
#include <vector>

#include "kv/commands/registry.h"
#include "kv/commands/stream_util.h"
#include "kv/commands/subcommand.h"

namespace strata::kv {
namespace {

std::string NoGroupKeyOrGroup(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + CStr(key) + "' or consumer group '" + CStr(group) + "'";
}

// The consumer, created if needed (xgroup-createconsumer on the stream at args[1]); its seen
// time is refreshed (Redis's lookup).
StreamConsumer* TouchConsumer(const CmdContext& ctx, StreamGroup* g, std::string_view name,
                              int64_t now_ms) {
  StreamConsumer* c = g->FindConsumer(name);
  if (c) {
    c->seen_time = now_ms;
    return c;
  }
  Notify(ctx, notify::kStream, "xgroup-createconsumer", ctx.args[1]);
  return g->CreateConsumer(name, now_ms);
}

// Replies the entry `id` of s (it must exist).
void ReplyEntryAt(resp::ReplyBuilder* rb, const StreamObject& s, StreamID id) {
  s.Range(id, id, false, [&](StreamID eid, const StreamFields& f) {
    ReplyStreamEntry(rb, eid, f);
    return false;
  });
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP
void CmdXGroup(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view op = sub->name;
  size_t argc = ctx.args.size();
  if (op == "help") {
    return ReplyHelp(
        ctx, "XGROUP",
        {"CREATE <key> <groupname> <id|$> [option]",
         "    Create a new consumer group. Options are:", "    * MKSTREAM",
         "      Create the empty stream if it does not exist.", "    * ENTRIESREAD entries_read",
         "      Set the group's entries_read counter (internal use).",
         "CREATECONSUMER <key> <groupname> <consumer>",
         "    Create a new consumer in the specified group.",
         "DELCONSUMER <key> <groupname> <consumer>", "    Remove the specified consumer.",
         "DESTROY <key> <groupname>", "    Remove the specified group.",
         "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
         "    Set the current group ID and entries_read counter."});
  }
  bool mkstream = false;
  int64_t entries_read = StreamGroup::kInvalidEntriesRead;
  bool create = op == "create", setid = op == "setid";
  for (size_t i = 5; i < argc;) {
    if (create && ArgIs(ctx.args[i], "mkstream")) {
      mkstream = true;
      i++;
    } else if ((create || setid) && ArgIs(ctx.args[i], "entriesread") && i + 1 < argc) {
      if (!ArgInt(ctx, i + 1, &entries_read)) return;
      if (entries_read < 0 && entries_read != StreamGroup::kInvalidEntriesRead) {
        return ctx.rb->Error("ERR value for ENTRIESREAD must be positive or -1");
      }
      i += 2;
    } else {
      return ReplySubcommandSyntax(ctx);
    }
  }
  std::string_view key = ctx.args[2], gname = ctx.args[3];
  bool failed;
  StreamObject* s = WriteObject<StreamObject>(ctx, key, &failed);
  if (failed) return;
  StreamGroup* g = nullptr;
  if (!mkstream) {
    if (!s) {
      return ctx.rb->Error(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
          "want to use the MKSTREAM option to create an empty stream automatically.");
    }
    g = s->FindGroup(gname);
    if (!g && (setid || op == "createconsumer" || op == "delconsumer")) {
      return ctx.rb->Error("NOGROUP No such consumer group '" + CStr(gname) + "' for key name '" +
                           CStr(key) + "'");
    }
  }
  if (create && argc >= 5 && argc <= 8) {
    StreamID id;
    if (ctx.args[4] == "$") {
      id = s ? s->last_id() : StreamID::Min();
    } else if (!ArgStreamId(ctx, ctx.args[4], &id, 0, true)) {
      return;
    }
    if (!s) s = AddObject(*ctx.shard, ctx.db, key, std::make_unique<StreamObject>(), ctx.now_ms);
    if (s->CreateGroup(gname, id, entries_read)) {
      ctx.rb->Ok();
      Notify(ctx, notify::kStream, "xgroup-create", key);
    } else {
      ctx.rb->Error("BUSYGROUP Consumer Group name already exists");
    }
  } else if (setid && (argc == 5 || argc == 7)) {
    StreamID id;
    if (ctx.args[4] == "$") {
      id = s->last_id();
    } else if (!ArgStreamId(ctx, ctx.args[4], &id, 0, false)) {
      return;
    }
    g->last_id = id;
    g->entries_read = entries_read;
    ctx.rb->Ok();
    Notify(ctx, notify::kStream, "xgroup-setid", key);
  } else if (op == "destroy" && argc == 4) {
    if (g) {
      s->DestroyGroup(gname);
      ctx.rb->Integer(1);
      Notify(ctx, notify::kStream, "xgroup-destroy", key);
      ctx.shard->SignalKeyReady(ctx.db, key);
    } else {
      ctx.rb->Integer(0);
    }
  } else if (op == "createconsumer" && argc == 5) {
    bool created = g->CreateConsumer(ctx.args[4], ctx.now_ms);
    ctx.rb->Integer(created ? 1 : 0);
    if (created) Notify(ctx, notify::kStream, "xgroup-createconsumer", key);
  } else if (op == "delconsumer" && argc == 5) {
    bool existed = g->FindConsumer(ctx.args[4]) != nullptr;
    ctx.rb->Integer(int64_t(g->DeleteConsumer(ctx.args[4])));
    if (existed) Notify(ctx, notify::kStream, "xgroup-delconsumer", key);
  } else {
    ReplySubcommandSyntax(ctx);
  }
}

// XACK key group id [id ...]
void CmdXAck(CmdContext& ctx) {
  bool failed;
  StreamObject* s = ReadObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) return ctx.rb->Integer(0);
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); j++) {
    if (!ArgStreamId(ctx, ctx.args[j], &ids[j - 3], 0, true)) return;
  }
  int64_t acked = 0;
  for (StreamID id : ids) acked += g->Ack(id) ? 1 : 0;
  ctx.rb->Integer(acked);
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void CmdXPending(CmdContext& ctx) {
  size_t argc = ctx.args.size();
  bool justinfo = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) return ctx.rb->Error(kErrSyntax);
  StreamID start, end;
  int64_t count = 0, minidle = 0;
  std::string_view consumer_name;
  bool has_consumer = false;
  if (argc >= 6) {
    size_t si = 3;
    if (ArgIs(ctx.args[3], "idle")) {
      if (!ArgInt(ctx, 4, &minidle)) return;
      if (argc < 8) return ctx.rb->Error(kErrSyntax);
      si += 2;
    }
    if (!ArgInt(ctx, si + 2, &count)) return;
    if (count < 0) count = 0;
    bool startex, endex;
    if (!ArgIntervalId(ctx, ctx.args[si], &start, &startex, 0)) return;
    if (startex && !start.Incr()) return ctx.rb->Error("ERR invalid start ID for the interval");
    if (!ArgIntervalId(ctx, ctx.args[si + 1], &end, &endex, UINT64_MAX)) return;
    if (endex && !end.Decr()) return ctx.rb->Error("ERR invalid end ID for the interval");
    if (si + 3 < argc) {
      consumer_name = ctx.args[si + 3];
      has_consumer = true;
    }
  }
  bool failed;
  StreamObject* s = ReadObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) return ctx.rb->Error(NoGroupKeyOrGroup(ctx.args[1], ctx.args[2]));
  resp::ReplyBuilder* rb = ctx.rb;
  if (justinfo) {
    rb->ArrayHeader(4);
    rb->Integer(int64_t(g->pel.size()));
    if (g->pel.empty()) {
      rb->Null();
      rb->Null();
      rb->NullArray();
      return;
    }
    ReplyStreamId(rb, g->pel.begin()->first);
    ReplyStreamId(rb, g->pel.rbegin()->first);
    size_t n = 0;
    for (const auto& [name, c] : g->consumers) n += c->pel.empty() ? 0 : 1;
    rb->ArrayHeader(n);
    for (const auto& [name, c] : g->consumers) {
      if (c->pel.empty()) continue;
      rb->ArrayHeader(2);
      rb->Bulk(name);
      rb->Bulk(std::to_string(c->pel.size()));
    }
    return;
  }
  StreamConsumer* c = nullptr;
  if (has_consumer) {
    c = g->FindConsumer(consumer_name);
    if (!c) return rb->ArrayHeader(0);
  }
  std::string body;
  resp::ReplyBuilder brb(&body, rb->proto());
  size_t n = 0;
  auto emit = [&](StreamID id, const StreamNack& nack) {
    if (minidle && ctx.now_ms - nack.delivery_time < minidle) return;
    n++;
    count--;
    brb.ArrayHeader(4);
    ReplyStreamId(&brb, id);
    brb.Bulk(nack.consumer ? std::string_view(nack.consumer->name) : "");
    int64_t elapsed = ctx.now_ms - nack.delivery_time;
    brb.Integer(elapsed < 0 ? 0 : elapsed);
    brb.Integer(int64_t(nack.delivery_count));
  };
  if (c) {
    for (auto it = c->pel.lower_bound(start); count && it != c->pel.end() && *it <= end; ++it)
      emit(*it, g->pel.at(*it));
  } else {
    for (auto it = g->pel.lower_bound(start); count && it != g->pel.end() && it->first <= end; ++it)
      emit(it->first, it->second);
  }
  rb->ArrayHeader(n);
  rb->Raw(body);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT n]
//        [FORCE] [JUSTID] [LASTID id]
void CmdXClaim(CmdContext& ctx) {
  bool failed;
  StreamObject* s = ReadObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) return ctx.rb->Error(NoGroupKeyOrGroup(ctx.args[1], ctx.args[2]));
  int64_t minidle;
  if (!ArgIntMsg(ctx, ctx.args[4], &minidle, "ERR Invalid min-idle-time argument for XCLAIM"))
    return;
  if (minidle < 0) minidle = 0;
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < ctx.args.size(); j++) {
    StreamID id;
    if (!ParseStreamID(ctx.args[j], &id, 0, true)) break;
    ids.push_back(id);
  }
  int64_t now = ctx.now_ms;
  int64_t retrycount = -1, deliverytime = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.args.size(); j++) {
    bool more = j + 1 < ctx.args.size();
    std::string_view opt = ctx.args[j];
    if (ArgIs(opt, "force")) {
      force = true;
    } else if (ArgIs(opt, "justid")) {
      justid = true;
    } else if (ArgIs(opt, "idle") && more) {
      if (!ArgIntMsg(ctx, ctx.args[++j], &deliverytime,
                     "ERR Invalid IDLE option argument for XCLAIM"))
        return;
      deliverytime = now - deliverytime;
    } else if (ArgIs(opt, "time") && more) {
      if (!ArgIntMsg(ctx, ctx.args[++j], &deliverytime,
                     "ERR Invalid TIME option argument for XCLAIM"))
        return;
    } else if (ArgIs(opt, "retrycount") && more) {
      if (!ArgIntMsg(ctx, ctx.args[++j], &retrycount,
                     "ERR Invalid RETRYCOUNT option argument for XCLAIM"))
        return;
    } else if (ArgIs(opt, "lastid") && more) {
      if (!ArgStreamId(ctx, ctx.args[++j], &last_id, 0, true)) return;
    } else {
      return ctx.rb->Error("ERR Unrecognized XCLAIM option '" + CStr(opt) + "'");
    }
  }
  if (last_id > g->last_id) g->last_id = last_id;
  if (deliverytime != -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else {
    deliverytime = now;
  }
  StreamConsumer* consumer = nullptr;
  std::string body;
  resp::ReplyBuilder brb(&body, ctx.rb->proto());
  size_t n = 0;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    if (!s->Exists(id)) {
      if (it != g->pel.end()) g->Ack(id);
      continue;
    }
    if (force && it == g->pel.end()) {
      it = g->pel.emplace(id, StreamNack{now, 1, nullptr}).first;
    }
    if (it == g->pel.end()) continue;
    StreamNack& nack = it->second;
    if (nack.consumer && minidle && now - nack.delivery_time < minidle) continue;
    if (!consumer) consumer = TouchConsumer(ctx, g, ctx.args[3], now);
    g->SetOwner(it, consumer);
    nack.delivery_time = deliverytime;
    if (retrycount >= 0)
      nack.delivery_count = uint64_t(retrycount);
    else if (!justid)
      nack.delivery_count++;
    if (justid)
      ReplyStreamId(&brb, id);
    else
      ReplyEntryAt(&brb, *s, id);
    n++;
  }
  ctx.rb->ArrayHeader(n);
  ctx.rb->Raw(body);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CmdContext& ctx) {
  // As Redis: the key is looked up (its keymiss event included) before the arguments are
  // parsed, and its type checked after them.
  Typed<StreamObject> found =
      FindObject<StreamObject>(*ctx.shard, ctx.db, ctx.args[1], ctx.now_ms, Access::kRead);
  int64_t minidle;
  if (!ArgIntMsg(ctx, ctx.args[4], &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM"))
    return;
  if (minidle < 0) minidle = 0;
  StreamID start;
  bool startex;
  if (!ArgIntervalId(ctx, ctx.args[5], &start, &startex, 0)) return;
  if (startex && !start.Incr()) return ctx.rb->Error("ERR invalid start ID for the interval");
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < ctx.args.size(); j++) {
    bool more = j + 1 < ctx.args.size();
    if (ArgIs(ctx.args[j], "count") && more) {
      if (!ParseInt64(ctx.args[j + 1], &count) || count < 1 || count > LONG_MAX / 16) {
        return ctx.rb->Error("ERR COUNT must be > 0");
      }
      j++;
    } else if (ArgIs(ctx.args[j], "justid")) {
      justid = true;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  if (found.wrongtype) return ctx.rb->Error(kErrWrongType);
  StreamObject* s = found.obj;
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) return ctx.rb->Error(NoGroupKeyOrGroup(ctx.args[1], ctx.args[2]));
  int64_t now = ctx.now_ms;
  int64_t attempts = count * 10;
  StreamConsumer* consumer = nullptr;
  std::vector<StreamID> deleted;
  std::string body;
  resp::ReplyBuilder brb(&body, ctx.rb->proto());
  size_t n = 0;
  auto it = g->pel.lower_bound(start);
  while (attempts-- > 0 && count > 0 && it != g->pel.end()) {
    StreamID id = it->first;
    if (!s->Exists(id)) {
      deleted.push_back(id);
      ++it;
      g->Ack(id);
      count--;
      continue;
    }
    StreamNack& nack = it->second;
    if (minidle && now - nack.delivery_time < minidle) {
      ++it;
      continue;
    }
    if (!consumer) consumer = TouchConsumer(ctx, g, ctx.args[3], now);
    g->SetOwner(it, consumer);
    nack.delivery_time = now;
    if (!justid) nack.delivery_count++;
    if (justid)
      ReplyStreamId(&brb, id);
    else
      ReplyEntryAt(&brb, *s, id);
    n++;
    count--;
    ++it;
  }
  ctx.rb->ArrayHeader(3);
  ReplyStreamId(ctx.rb, it == g->pel.end() ? StreamID::Min() : it->first);
  ctx.rb->ArrayHeader(n);
  ctx.rb->Raw(body);
  ctx.rb->ArrayHeader(deleted.size());
  for (StreamID id : deleted) ReplyStreamId(ctx.rb, id);
}

}  // namespace

void RegisterStreamGroupCommands(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"xgroup", -2, 0, 2, 2, 1, CmdXGroup, nullptr, "stream",
         "A container for consumer groups commands.", "5.0.0", "Depends on subcommand."});
  RegisterSubcommands(
      "xgroup",
      {
          {"create", -5, kWrite | kDenyOom, "Creates a consumer group.", "5.0.0"},
          {"setid", -5, kWrite, "Sets the last-delivered ID of a consumer group.", "5.0.0"},
          {"destroy", 4, kWrite, "Destroys a consumer group.", "5.0.0",
           "O(N) where N is the number of entries in the group's pending entries list (PEL)."},
          {"createconsumer", 5, kWrite | kDenyOom, "Creates a consumer in a consumer group.",
           "6.2.0"},
          {"delconsumer", 5, kWrite, "Deletes a consumer from a consumer group.", "5.0.0"},
          {"help", 2, kLoading | kStale, "Returns helpful text about the different subcommands.",
           "5.0.0"},
      });
  r.Add({"xack", -4, kWrite | kFast, 1, 1, 1, CmdXAck, nullptr, "stream",
         "Returns the number of messages that were successfully acknowledged by the consumer "
         "group member of a stream.",
         "5.0.0", "O(1) for each message ID processed."});
  r.Add({"xpending", -3, kReadOnly, 1, 1, 1, CmdXPending, nullptr, "stream",
         "Returns the information and entries from a stream consumer group's pending entries "
         "list.",
         "5.0.0",
         "O(N) with N being the number of elements returned, so asking for a small fixed number "
         "of entries per call is O(1). O(M), where M is the total number of entries scanned when "
         "used with the IDLE filter. When the command returns just the summary and the list of "
         "consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for "
         "iterating every consumer."});
  r.Add({"xclaim", -6, kWrite | kFast, 1, 1, 1, CmdXClaim, nullptr, "stream",
         "Changes, or acquires, ownership of a message in a consumer group, as if the message was "
         "delivered a consumer group member.",
         "5.0.0",
         "O(log N) with N being the number of messages in the PEL of the consumer group."});
  r.Add({"xautoclaim", -6, kWrite | kFast, 1, 1, 1, CmdXAutoClaim, nullptr, "stream",
         "Changes, or acquires, ownership of messages in a consumer group, as if the messages "
         "were delivered to as consumer group member.",
         "6.2.0", "O(1) if COUNT is small."});
}

}  // namespace strata::kv
