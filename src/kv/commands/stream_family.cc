// Stream commands: XADD, ranges, trimming, XREAD/XREADGROUP, XINFO and XSETID, on
// types/stream.h. The consumer-group commands are in stream_group_family.cc.
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "kv/commands/registry.h"
#include "kv/commands/stream_util.h"
#include "kv/commands/subcommand.h"
#include "kv/server/blocking.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"

namespace strata::kv {
namespace {

StreamObject* NewStream(CmdContext& ctx, std::string_view key) {
  return AddObject(*ctx.shard, ctx.db, key, std::make_unique<StreamObject>(), ctx.now_ms);
}

size_t NodeMaxBytes() {
  return size_t(GlobalConfig().stream_node_max_bytes.load(std::memory_order_relaxed));
}
size_t NodeMaxEntries() {
  return size_t(GlobalConfig().stream_node_max_entries.load(std::memory_order_relaxed));
}

struct AddTrimArgs {
  StreamTrimArgs trim;
  StreamID id;
  bool id_given = false;
  bool seq_given = true;
  bool no_mkstream = false;
};

// Options of XADD (xadd) or XTRIM; returns the index of XADD's ID argument, or 0 after replying
// an error.
size_t ParseAddTrim(CmdContext& ctx, bool xadd, AddTrimArgs* a) {
  const auto& args = ctx.args;
  size_t i = 2;
  bool limit_given = false;
  for (; i < args.size(); i++) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") {
      break;
    } else if ((ArgIs(opt, "maxlen") || ArgIs(opt, "minid")) && more) {
      bool maxlen = ArgIs(opt, "maxlen");
      if (a->trim.strategy != StreamTrimArgs::kNone) {
        ctx.rb->Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return 0;
      }
      a->trim.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        a->trim.approx = true;
        i++;
      } else if (more >= 2 && next == "=") {
        i++;
      }
      if (maxlen) {
        if (!ArgInt(ctx, i + 1, &a->trim.maxlen)) return 0;
        if (a->trim.maxlen < 0) {
          ctx.rb->Error("ERR The MAXLEN argument must be >= 0.");
          return 0;
        }
        a->trim.strategy = StreamTrimArgs::kMaxLen;
      } else {
        if (!ArgStreamId(ctx, args[i + 1], &a->trim.minid, 0, true)) return 0;
        a->trim.strategy = StreamTrimArgs::kMinId;
      }
      i++;
    } else if (ArgIs(opt, "limit") && more) {
      if (!ArgInt(ctx, i + 1, &a->trim.limit)) return 0;
      if (a->trim.limit < 0) {
        ctx.rb->Error("ERR The LIMIT argument must be >= 0.");
        return 0;
      }
      limit_given = true;
      i++;
    } else if (xadd && ArgIs(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      if (!ParseStreamID(opt, &a->id, 0, true, &a->seq_given)) {
        ctx.rb->Error(kErrInvalidStreamId);
        return 0;
      }
      a->id_given = true;
      break;
    } else {
      ctx.rb->Error(kErrSyntax);
      return 0;
    }
  }
  if (a->trim.limit && a->trim.strategy == StreamTrimArgs::kNone) {
    ctx.rb->Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return 0;
  }
  if (!xadd && a->trim.strategy == StreamTrimArgs::kNone) {
    ctx.rb->Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return 0;
  }
  if (limit_given) {
    if (!a->trim.approx) {
      ctx.rb->Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return 0;
    }
  } else if (a->trim.approx) {
    int64_t limit = 100 * int64_t(NodeMaxEntries());
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
    a->trim.limit = limit;
  } else {
    a->trim.limit = 0;
  }
  return i;
}

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
void CmdXAdd(CmdContext& ctx) {
  AddTrimArgs a;
  size_t idpos = ParseAddTrim(ctx, true, &a);
  if (!idpos) return;
  size_t field_pos = idpos + 1;
  size_t nargs = ctx.args.size() > field_pos ? ctx.args.size() - field_pos : 0;
  if (nargs < 2 || nargs % 2 == 1) {
    return ctx.rb->Error("ERR wrong number of arguments for 'xadd' command");
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    return ctx.rb->Error("ERR The ID specified in XADD must be greater than 0-0");
  }
  std::string_view key = ctx.args[1];
  bool failed;
  StreamObject* s = WriteObject<StreamObject>(ctx, key, &failed);
  if (failed) return;
  if (!s) {
    if (a.no_mkstream) return ctx.rb->Null();
    s = NewStream(ctx, key);
  }
  if (s->last_id() == StreamID::Max()) {
    return ctx.rb->Error(
        "ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  StreamID id;
  bool ok = true;
  if (!a.id_given) {
    ok = s->NextAutoId(uint64_t(ctx.now_ms), &id);
  } else if (!a.seq_given) {
    if (s->last_id().ms == a.id.ms) {
      if (s->last_id().seq == UINT64_MAX) {
        // Redis reports this overflow with its generic append failure text.
        return ctx.rb->Error("ERR Elements are too large to be stored");
      } else {
        id = s->last_id();
        id.seq++;
      }
    } else {
      id = a.id;
    }
  } else {
    id = a.id;
  }
  if (!ok || id <= s->last_id()) {
    return ctx.rb->Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
  }
  s->Append(id, ctx.args.subspan(field_pos), NodeMaxBytes(), NodeMaxEntries());
  ReplyStreamId(ctx.rb, id);
  Notify(ctx, notify::kStream, "xadd", key);
  if (s->Trim(a.trim)) Notify(ctx, notify::kStream, "xtrim", key);
  ctx.shard->SignalKeyReady(ctx.db, key);
}

void CmdXTrim(CmdContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrim(ctx, false, &a)) return;
  bool failed;
  StreamObject* s = WriteObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ctx.rb->Integer(0);
  int64_t deleted = s->Trim(a.trim);
  if (deleted) Notify(ctx, notify::kStream, "xtrim", ctx.args[1]);
  ctx.rb->Integer(deleted);
}

void XRangeGeneric(CmdContext& ctx, bool rev) {
  std::string_view start_arg = rev ? ctx.args[3] : ctx.args[2];
  std::string_view end_arg = rev ? ctx.args[2] : ctx.args[3];
  StreamID start, end;
  bool startex, endex;
  if (!ArgIntervalId(ctx, start_arg, &start, &startex, 0)) return;
  if (startex && !start.Incr()) return ctx.rb->Error("ERR invalid start ID for the interval");
  if (!ArgIntervalId(ctx, end_arg, &end, &endex, UINT64_MAX)) return;
  if (endex && !end.Decr()) return ctx.rb->Error("ERR invalid end ID for the interval");
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); j++) {
    if (ArgIs(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!ArgInt(ctx, j + 1, &count)) return;
      if (count < 0) count = 0;
      j++;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  bool failed;
  StreamObject* s = ReadObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ctx.rb->ArrayHeader(0);
  if (count == 0) return ctx.rb->NullArray();
  std::vector<std::pair<StreamID, StreamFields>> out;
  s->Range(start, end, rev, [&](StreamID id, const StreamFields& f) {
    out.emplace_back(id, f);
    return count < 0 || int64_t(out.size()) < count;
  });
  ctx.rb->ArrayHeader(out.size());
  for (const auto& [id, f] : out) ReplyStreamEntry(ctx.rb, id, f);
}

void CmdXRange(CmdContext& ctx) { XRangeGeneric(ctx, false); }
void CmdXRevRange(CmdContext& ctx) { XRangeGeneric(ctx, true); }

void CmdXLen(CmdContext& ctx) {
  bool failed;
  StreamObject* s = ReadObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->Integer(s ? int64_t(s->Length()) : 0);
}

void CmdXDel(CmdContext& ctx) {
  bool failed;
  StreamObject* s = WriteObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ctx.rb->Integer(0);
  std::vector<StreamID> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    if (!ArgStreamId(ctx, ctx.args[j], &ids[j - 2], 0, true)) return;
  }
  int64_t deleted = 0;
  for (StreamID id : ids) deleted += s->Delete(id) ? 1 : 0;
  if (deleted) Notify(ctx, notify::kStream, "xdel", ctx.args[1]);
  ctx.rb->Integer(deleted);
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void CmdXSetId(CmdContext& ctx) {
  StreamID id, max_xdel;
  int64_t entries_added = -1;
  if (!ArgStreamId(ctx, ctx.args[2], &id, 0, true)) return;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    bool more = i + 1 < ctx.args.size();
    if (ArgIs(ctx.args[i], "entriesadded") && more) {
      if (!ArgInt(ctx, i + 1, &entries_added)) return;
      if (entries_added < 0) return ctx.rb->Error("ERR entries_added must be positive");
    } else if (ArgIs(ctx.args[i], "maxdeletedid") && more) {
      if (!ArgStreamId(ctx, ctx.args[i + 1], &max_xdel, 0, true)) return;
      if (id < max_xdel) {
        return ctx.rb->Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
  }
  bool failed;
  StreamObject* s = WriteObject<StreamObject>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!s) return ctx.rb->Error(kErrNoSuchKey);
  if (s->Length() > 0) {
    StreamID maxid;
    s->LastId(&maxid);
    if (id < maxid) {
      return ctx.rb->Error(
          "ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && s->Length() > uint64_t(entries_added)) {
      return ctx.rb->Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(uint64_t(entries_added));
  if (!max_xdel.IsZero()) s->set_max_deleted_id(max_xdel);
  ctx.rb->Ok();
  Notify(ctx, notify::kStream, "xsetid", ctx.args[1]);
}

// ---- XREAD / XREADGROUP ----

struct ReadArgs {
  bool group = false;  // XREADGROUP
  int64_t block = -1;  // -1: no BLOCK
  int64_t count = 0;
  bool noack = false;
  std::string_view group_name, consumer;
  size_t streams_arg = 0, streams_count = 0;
};

bool ParseReadArgs(CmdContext& ctx, ReadArgs* a) {
  const auto& args = ctx.args;
  a->group = args[0].size() == 10;
  for (size_t i = 1; i < args.size(); i++) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (ArgIs(o, "block") && more) {
      i++;
      if (!ArgIntMsg(ctx, args[i], &a->block, "ERR timeout is not an integer or out of range"))
        return false;
      if (a->block < 0) {
        ctx.rb->Error("ERR timeout is negative");
        return false;
      }
    } else if (ArgIs(o, "count") && more) {
      i++;
      if (!ArgInt(ctx, i, &a->count)) return false;
      if (a->count < 0) a->count = 0;
    } else if (ArgIs(o, "streams") && more) {
      a->streams_arg = i + 1;
      a->streams_count = args.size() - a->streams_arg;
      if (a->streams_count % 2 != 0) {
        ctx.rb->Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      a->streams_count /= 2;
      break;
    } else if (ArgIs(o, "group") && more >= 2) {
      if (!a->group) {
        ctx.rb->Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->group_name = args[i + 1];
      a->consumer = args[i + 2];
      i += 2;
    } else if (ArgIs(o, "noack")) {
      if (!a->group) {
        ctx.rb->Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->noack = true;
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  if (a->streams_arg == 0) {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  if (a->group && a->group_name.data() == nullptr) {
    ctx.rb->Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

struct KeyCheck {
  size_t idx = 0;  // argument index of the key
  bool wrongtype = false;
  bool exists = false;
  bool has_group = false;
  StreamID last_id;
  std::vector<notify::Note> notes;  // the lookup's keyspace events (keymiss), held
};

// Serves one key of a read: the key and its entries (the per-key part of the reply), or
// nullopt when there is nothing to serve.
std::optional<std::string> ServeKey(Shard& shard, const CmdContext& ctx, const ReadArgs& a,
                                    std::string_view key, StreamID gt, bool newest) {
  Typed<StreamObject> t = FindObject<StreamObject>(shard, ctx.db, key, ctx.now_ms, Access::kRead);
  StreamObject* s = t.obj;
  if (!s) return std::nullopt;
  StreamGroup* g = a.group ? s->FindGroup(a.group_name) : nullptr;
  bool history = false;
  if (a.group) {
    if (!g) return std::nullopt;
    if (!newest) {
      history = true;
    } else {
      StreamID maxid;
      if (!s->Length() || !s->LastId(&maxid) || maxid <= g->last_id) return std::nullopt;
      gt = g->last_id;
    }
  } else {
    StreamID maxid;
    if (!s->Length() || !s->LastId(&maxid) || maxid <= gt) return std::nullopt;
  }
  std::string out;
  resp::ReplyBuilder rb(&out, ctx.rb->proto());
  if (rb.proto() == 2) rb.ArrayHeader(2);
  rb.Bulk(key);
  StreamID start = gt;
  start.Incr();
  size_t count = size_t(a.count);
  if (!a.group) {
    std::vector<std::pair<StreamID, StreamFields>> items;
    s->Range(start, StreamID::Max(), false, [&](StreamID id, const StreamFields& f) {
      items.emplace_back(id, f);
      return !(count && items.size() == count);
    });
    rb.ArrayHeader(items.size());
    for (const auto& [id, f] : items) ReplyStreamEntry(&rb, id, f);
    return out;
  }
  StreamConsumer* c = g->FindConsumer(a.consumer);
  if (c) {
    c->seen_time = ctx.now_ms;
  } else {
    c = g->CreateConsumer(a.consumer, ctx.now_ms);
    Notify(ctx, notify::kStream, "xgroup-createconsumer", key);
  }
  if (history) {
    std::vector<StreamID> ids;
    for (auto it = c->pel.lower_bound(start); it != c->pel.end(); ++it) {
      if (count && ids.size() >= count) break;
      ids.push_back(*it);
    }
    rb.ArrayHeader(ids.size());
    for (StreamID id : ids) {
      bool found = false;
      s->Range(id, id, false, [&](StreamID eid, const StreamFields& f) {
        ReplyStreamEntry(&rb, eid, f);
        found = true;
        return false;
      });
      if (!found) {
        rb.ArrayHeader(2);
        ReplyStreamId(&rb, id);
        rb.NullArray();
      } else {
        StreamNack& n = g->pel[id];
        n.delivery_time = ctx.now_ms;
        n.delivery_count++;
      }
    }
    return out;
  }
  std::string body;
  resp::ReplyBuilder brb(&body, rb.proto());
  size_t n =
      s->DeliverNew(g, c, count, a.noack, ctx.now_ms,
                    [&](StreamID id, const StreamFields& f) { ReplyStreamEntry(&brb, id, f); });
  rb.ArrayHeader(n);
  out += body;
  return out;
}

// ---- XREAD BLOCK / XREADGROUP BLOCK ----
//
// A blocked reader's state (BlockedClient::state, by argument index of the key): the ID its
// entries must follow, or ">" for a group's new entries.

// The context ServeKey needs, rebuilt on the serving shard from the blocked client.
CmdContext BlockedContext(Shard& s, BlockedClient& c, resp::ReplyBuilder* rb) {
  CmdContext ctx;
  ctx.shard = &s;
  ctx.db = c.db;
  ctx.args = c.args;
  ctx.rb = rb;
  ctx.now_ms = LoopUnixMillis();
  return ctx;
}

bool XReadReady(Shard& s, BlockedClient& c, size_t ki) {
  std::string scratch;
  resp::ReplyBuilder rb(&scratch, 2);
  CmdContext ctx = BlockedContext(s, c, &rb);
  ReadArgs a;
  if (!ParseReadArgs(ctx, &a)) return false;
  Typed<StreamObject> t = FindObject<StreamObject>(s, c.db, c.args[ki], ctx.now_ms, Access::kWrite);
  StreamID maxid;
  if (!t.obj || !t.obj->Length() || !t.obj->LastId(&maxid)) return false;
  if (c.state[ki] == ">") {
    StreamGroup* g = t.obj->FindGroup(a.group_name);
    return g && maxid > g->last_id;
  }
  StreamID after;
  if (!ParseStreamID(c.state[ki], &after, 0, true)) return false;
  return maxid > after;
}

void XReadServe(Shard& s, BlockedClient& c, size_t ki, resp::ReplyBuilder& rb) {
  CmdContext ctx = BlockedContext(s, c, &rb);
  std::string scratch;
  resp::ReplyBuilder prb(&scratch, 2);
  ctx.rb = &prb;
  ReadArgs a;
  ParseReadArgs(ctx, &a);
  ctx.rb = &rb;
  bool newest = c.state[ki] == ">";
  StreamID after = StreamID::Max();
  if (!newest) ParseStreamID(c.state[ki], &after, 0, true);
  std::optional<std::string> part = ServeKey(s, ctx, a, c.args[ki], after, newest);
  if (rb.proto() == 2)
    rb.ArrayHeader(1);
  else
    rb.MapHeader(1);
  if (part) rb.Raw(*part);
}

const BlockingOps kXReadOps{XReadReady, XReadServe, nullptr};

Task<void> MultiXRead(CmdContext& ctx) {
  ReadArgs a;
  if (!ParseReadArgs(ctx, &a)) co_return;
  std::vector<size_t> keys;
  for (size_t i = 0; i < a.streams_count; i++) keys.push_back(a.streams_arg + i);
  MultiKeyTx tx(ctx, keys);
  co_await tx.Lock();
  // Phase 1: what each key holds.
  auto checks = co_await tx.OnEachShard([&ctx, &a](Shard& s, const std::vector<size_t>& idx) {
    std::vector<KeyCheck> r;
    for (size_t i : idx) {
      KeyCheck k;
      k.idx = i;
      notify::Capture cap(true);
      Typed<StreamObject> t =
          FindObject<StreamObject>(s, ctx.db, ctx.args[i], ctx.now_ms, Access::kRead);
      k.notes = std::move(cap.notes);
      k.wrongtype = t.wrongtype;
      if (t.obj) {
        k.exists = true;
        k.last_id = t.obj->last_id();
        k.has_group = a.group && t.obj->FindGroup(a.group_name);
      }
      r.push_back(k);
    }
    return r;
  });
  std::vector<KeyCheck> by_key(ctx.args.size());
  for (auto& part : checks)
    for (auto& k : part) by_key[k.idx] = std::move(k);
  // Validation in argument order, as Redis reports the first problem. Redis looks each key up
  // just before validating its ID, so the keys after the first problem have no lookup events.
  std::vector<StreamID> ids(ctx.args.size());
  std::vector<char> newest(ctx.args.size(), 0);
  std::string err;
  for (size_t i = 0; i < a.streams_count && err.empty(); i++) {
    size_t ki = a.streams_arg + i, ii = ki + a.streams_count;
    const KeyCheck& k = by_key[ki];
    notify::PublishNotes(k.notes);
    std::string_view arg = ctx.args[ii];
    if (k.wrongtype) {
      err = kErrWrongType;
    } else if (a.group && !k.has_group) {
      err = "NOGROUP No such key '" + CStr(ctx.args[ki]) + "' or consumer group '" +
            CStr(a.group_name) + "' in XREADGROUP with GROUP option";
    } else if (arg == "$") {
      if (a.group) {
        err =
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.";
      } else {
        ids[ki] = k.exists ? k.last_id : StreamID::Min();
      }
    } else if (arg == ">") {
      if (!a.group) {
        err =
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.";
      } else {
        newest[ki] = 1;
        ids[ki] = StreamID::Max();
      }
    } else if (!ParseStreamID(arg, &ids[ki], 0, true)) {
      err = kErrInvalidStreamId;
    }
  }
  std::vector<std::optional<std::string>> parts(ctx.args.size());
  if (err.empty()) {
    auto served = co_await tx.OnEachShard(
        [&ctx, &a, &ids, &newest](Shard& s, const std::vector<size_t>& idx) {
          std::vector<std::pair<size_t, std::optional<std::string>>> r;
          for (size_t i : idx) {
            bool nw = newest[i] || (a.group && ids[i] == StreamID::Max());
            r.emplace_back(i, ServeKey(s, ctx, a, ctx.args[i], ids[i], nw));
          }
          return r;
        });
    for (auto& part : served)
      for (auto& [i, p] : part) parts[i] = std::move(p);
  }
  co_await tx.Unlock();
  if (!err.empty()) {
    ctx.rb->Error(err);
    co_return;
  }
  size_t n = 0;
  for (size_t i = 0; i < a.streams_count; i++) n += parts[a.streams_arg + i] ? 1 : 0;
  if (n == 0) {
    if (a.block >= 0) {
      // Wait for entries after the IDs resolved now ("$" is the last ID at this moment).
      std::vector<std::string> state(ctx.args.size());
      for (size_t i = 0; i < a.streams_count; i++) {
        size_t ki = a.streams_arg + i;
        state[ki] =
            newest[ki] || (a.group && ids[ki] == StreamID::Max()) ? ">" : ids[ki].ToString();
      }
      auto o = co_await BlockingCall(ctx, keys, a.block, &kXReadOps, std::move(state));
      if (o == BlockedClient::Outcome::kTimeout) ctx.rb->NullArray();
    } else {
      ctx.rb->NullArray();
    }
    co_return;
  }
  if (ctx.rb->proto() == 2)
    ctx.rb->ArrayHeader(n);
  else
    ctx.rb->MapHeader(n);
  for (size_t i = 0; i < a.streams_count; i++) {
    if (parts[a.streams_arg + i]) ctx.rb->Raw(*parts[a.streams_arg + i]);
  }
}

// ---- XINFO ----

void ReplyLag(CmdContext& ctx, const StreamObject& s, const StreamGroup& g) {
  int64_t lag;
  if (s.Lag(g, &lag))
    ctx.rb->Integer(lag);
  else
    ctx.rb->Null();
}

void ReplyEntriesRead(CmdContext& ctx, const StreamGroup& g) {
  if (g.entries_read != StreamGroup::kInvalidEntriesRead)
    ctx.rb->Integer(g.entries_read);
  else
    ctx.rb->Null();
}

void XInfoStream(CmdContext& ctx, const StreamObject& s) {
  bool full = false;
  int64_t count = 10;
  size_t optc = ctx.args.size() - 3;
  if (optc) {
    if (optc != 1 && optc != 3) return ReplySubcommandSyntax(ctx);
    if (!ArgIs(ctx.args[3], "full")) return ReplySubcommandSyntax(ctx);
    if (optc == 3) {
      if (!ArgIs(ctx.args[4], "count")) return ReplySubcommandSyntax(ctx);
      if (!ArgInt(ctx, 5, &count)) return;
      if (count < 0) count = 10;
    }
    full = true;
  }
  resp::ReplyBuilder* rb = ctx.rb;
  rb->MapHeader(full ? 9 : 10);
  rb->Bulk("length");
  rb->Integer(int64_t(s.Length()));
  rb->Bulk("radix-tree-keys");
  rb->Integer(int64_t(s.NodeCount()));
  rb->Bulk("radix-tree-nodes");
  // Nodes are kept in a sorted vector, not a radix tree: report one inner node per key plus
  // the root.
  rb->Integer(int64_t(s.NodeCount() + 1));
  rb->Bulk("last-generated-id");
  ReplyStreamId(rb, s.last_id());
  rb->Bulk("max-deleted-entry-id");
  ReplyStreamId(rb, s.max_deleted_id());
  rb->Bulk("entries-added");
  rb->Integer(int64_t(s.entries_added()));
  rb->Bulk("recorded-first-entry-id");
  ReplyStreamId(rb, s.first_id());
  if (!full) {
    rb->Bulk("groups");
    rb->Integer(int64_t(s.groups().size()));
    for (bool rev : {false, true}) {
      rb->Bulk(rev ? "last-entry" : "first-entry");
      bool emitted = false;
      s.Range(StreamID::Min(), StreamID::Max(), rev, [&](StreamID id, const StreamFields& f) {
        ReplyStreamEntry(rb, id, f);
        emitted = true;
        return false;
      });
      if (!emitted) rb->Null();
    }
    return;
  }
  size_t cnt = size_t(count);
  rb->Bulk("entries");
  std::vector<std::pair<StreamID, StreamFields>> items;
  s.Range(StreamID::Min(), StreamID::Max(), false, [&](StreamID id, const StreamFields& f) {
    items.emplace_back(id, f);
    return !(cnt && items.size() == cnt);
  });
  rb->ArrayHeader(items.size());
  for (const auto& [id, f] : items) ReplyStreamEntry(rb, id, f);
  rb->Bulk("groups");
  rb->ArrayHeader(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    rb->MapHeader(7);
    rb->Bulk("name");
    rb->Bulk(name);
    rb->Bulk("last-delivered-id");
    ReplyStreamId(rb, g->last_id);
    rb->Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    rb->Bulk("lag");
    ReplyLag(ctx, s, *g);
    rb->Bulk("pel-count");
    rb->Integer(int64_t(g->pel.size()));
    rb->Bulk("pending");
    size_t np = cnt ? std::min(cnt, g->pel.size()) : g->pel.size();
    rb->ArrayHeader(np);
    size_t k = 0;
    for (auto it = g->pel.begin(); k < np; ++it, ++k) {
      rb->ArrayHeader(4);
      ReplyStreamId(rb, it->first);
      rb->Bulk(it->second.consumer ? std::string_view(it->second.consumer->name) : "");
      rb->Integer(it->second.delivery_time);
      rb->Integer(int64_t(it->second.delivery_count));
    }
    rb->Bulk("consumers");
    rb->ArrayHeader(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      rb->MapHeader(4);
      rb->Bulk("name");
      rb->Bulk(cname);
      rb->Bulk("seen-time");
      rb->Integer(c->seen_time);
      rb->Bulk("pel-count");
      rb->Integer(int64_t(c->pel.size()));
      rb->Bulk("pending");
      size_t nc = cnt ? std::min(cnt, c->pel.size()) : c->pel.size();
      rb->ArrayHeader(nc);
      size_t j = 0;
      for (auto it = c->pel.begin(); j < nc; ++it, ++j) {
        const StreamNack& n = g->pel.at(*it);
        rb->ArrayHeader(3);
        ReplyStreamId(rb, *it);
        rb->Integer(n.delivery_time);
        rb->Integer(int64_t(n.delivery_count));
      }
    }
  }
}

void CmdXInfo(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (name == "help") {
    return ReplyHelp(
        ctx, "XINFO",
        {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.", "GROUPS <key>",
         "    Show the stream consumer groups.", "STREAM <key> [FULL [COUNT <count>]",
         "    Show information about the stream."});
  }
  std::string_view key = ctx.args[2];
  Typed<StreamObject> t =
      FindObject<StreamObject>(*ctx.shard, ctx.db, key, ctx.now_ms, Access::kRead);
  if (!t.obj && !t.wrongtype) return ctx.rb->Error(kErrNoSuchKey);
  if (t.wrongtype) return ctx.rb->Error(kErrWrongType);
  const StreamObject& s = *t.obj;
  if (name == "consumers") {
    StreamGroup* g = s.FindGroup(ctx.args[3]);
    if (!g) {
      return ctx.rb->Error("NOGROUP No such consumer group '" + CStr(ctx.args[3]) +
                           "' for key name '" + CStr(key) + "'");
    }
    ctx.rb->ArrayHeader(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      int64_t idle = ctx.now_ms - c->seen_time;
      if (idle < 0) idle = 0;
      ctx.rb->MapHeader(3);
      ctx.rb->Bulk("name");
      ctx.rb->Bulk(cname);
      ctx.rb->Bulk("pending");
      ctx.rb->Integer(int64_t(c->pel.size()));
      ctx.rb->Bulk("idle");
      ctx.rb->Integer(idle);
    }
  } else if (name == "groups") {
    ctx.rb->ArrayHeader(s.groups().size());
    for (const auto& [gname, g] : s.groups()) {
      ctx.rb->MapHeader(6);
      ctx.rb->Bulk("name");
      ctx.rb->Bulk(gname);
      ctx.rb->Bulk("consumers");
      ctx.rb->Integer(int64_t(g->consumers.size()));
      ctx.rb->Bulk("pending");
      ctx.rb->Integer(int64_t(g->pel.size()));
      ctx.rb->Bulk("last-delivered-id");
      ReplyStreamId(ctx.rb, g->last_id);
      ctx.rb->Bulk("entries-read");
      ReplyEntriesRead(ctx, *g);
      ctx.rb->Bulk("lag");
      ReplyLag(ctx, s, *g);
    }
  } else {
    XInfoStream(ctx, s);
  }
}

}  // namespace

void RegisterStreamFamily(CommandRegistry& r) {
  using namespace cmd;
  r.Add({"xadd", -5, kWrite | kDenyOom | kFast, 1, 1, 1, CmdXAdd, nullptr, "stream",
         "Appends a new message to a stream. Creates the key if it doesn't exist.", "5.0.0",
         "O(1) when adding a new entry, O(N) when trimming where N being the number of entries "
         "evicted."});
  r.Add({"xtrim", -4, kWrite, 1, 1, 1, CmdXTrim, nullptr, "stream",
         "Deletes messages from the beginning of a stream.", "5.0.0",
         "O(N), with N being the number of evicted entries. Constant times are very small "
         "however, since entries are organized in macro nodes containing multiple entries that "
         "can be released with a single deallocation."});
  r.Add({"xrange", -4, kReadOnly, 1, 1, 1, CmdXRange, nullptr, "stream",
         "Returns the messages from a stream within a range of IDs.", "5.0.0",
         "O(N) with N being the number of elements being returned. If N is constant (e.g. always "
         "asking for the first 10 elements with COUNT), you can consider it O(1)."});
  r.Add({"xrevrange", -4, kReadOnly, 1, 1, 1, CmdXRevRange, nullptr, "stream",
         "Returns the messages from a stream within a range of IDs in reverse order.", "5.0.0",
         "O(N) with N being the number of elements returned. If N is constant (e.g. always asking "
         "for the first 10 elements with COUNT), you can consider it O(1)."});
  r.Add({"xlen", 2, kReadOnly | kFast, 1, 1, 1, CmdXLen, nullptr, "stream",
         "Return the number of messages in a stream.", "5.0.0"});
  r.Add({"xdel", -3, kWrite | kFast, 1, 1, 1, CmdXDel, nullptr, "stream",
         "Returns the number of messages after removing them from a stream.", "5.0.0",
         "O(1) for each single item to delete in the stream, regardless of the stream size."});
  r.Add({"xsetid", -3, kWrite | kDenyOom | kFast, 1, 1, 1, CmdXSetId, nullptr, "stream",
         "An internal command for replicating stream values.", "5.0.0"});
  // The keys follow STREAMS: the coordinator finds them itself (Redis reports movable keys).
  r.Add({"xread", -4, kReadOnly | kBlocking, 0, 0, 0, nullptr, MultiXRead, "stream",
         "Returns messages from multiple streams with IDs greater than the ones requested. "
         "Blocks until a message is available otherwise.",
         "5.0.0", "Depends on subcommand."});
  r.Add({"xreadgroup", -7, kWrite | kBlocking, 0, 0, 0, nullptr, MultiXRead, "stream",
         "Returns new or historical messages from a stream for a consumer in a group. Blocks "
         "until a message is available otherwise.",
         "5.0.0",
         "For each stream mentioned: O(M) with M being the number of elements returned. If M is "
         "constant (e.g. always asking for the first 10 elements with COUNT), you can consider "
         "it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in "
         "order to serve the N clients blocked on the stream getting new data."});
  r.Add({"xinfo", -2, 0, 2, 2, 1, CmdXInfo, nullptr, "stream",
         "A container for stream introspection commands.", "5.0.0", "Depends on subcommand."});
  RegisterSubcommands(
      "xinfo",
      {
          {"consumers", 4, kReadOnly, "Returns a list of the consumers in a consumer group.",
           "5.0.0"},
          {"groups", 3, kReadOnly, "Returns a list of the consumer groups of a stream.", "5.0.0"},
          {"stream", -3, kReadOnly, "Returns information about a stream.", "5.0.0"},
          {"help", 2, kLoading | kStale, "Returns helpful text about the different subcommands.",
           "5.0.0"},
      });
  RegisterStreamGroupCommands(r);
}

}  // namespace strata::kv
