// Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
// The bit arithmetic is in types/bitops.h; here the argument rules, lookups and replies, with
// Redis's error texts and its order of checks. BITOP over keys of several shards runs as a
// coordinator at the end of the file, under the keys' locks.
#include <optional>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/multi_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/string_value.h"
#include "kv/server/config.h"
#include "kv/types/bitops.h"

namespace strata::kv {
namespace {

constexpr const char* kErrBitOffset = "ERR bit offset is not an integer or out of range";
constexpr const char* kErrBitValue = "ERR bit is not an integer or out of range";
constexpr const char* kErrBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// A bit offset argument: non-negative and inside proto-max-bulk-len bytes. With `bits` > 0 the
// "#n" form means n * bits (BITFIELD). Replies the error on failure.
bool ParseBitOffset(CmdContext& ctx, std::string_view arg, int bits, uint64_t* out) {
  bool scaled = bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!ParseInt64(scaled ? arg.substr(1) : arg, &v)) {
    ctx.rb->Error(kErrBitOffset);
    return false;
  }
  if (scaled) v = int64_t(uint64_t(v) * uint64_t(bits));  // wraps as Redis's does
  int64_t limit = GlobalConfig().proto_max_bulk_len.load(std::memory_order_relaxed);
  if (v < 0 || (v >> 3) >= limit) {
    ctx.rb->Error(kErrBitOffset);
    return false;
  }
  *out = uint64_t(v);
  return true;
}

// The string at the command's key for reading: nullptr if absent; *wrongtype for other types.
Entry* ReadStringKey(CmdContext& ctx, std::string_view key, bool* wrongtype) {
  Entry* e = ctx.shard->FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
  *wrongtype = e && e->type != ObjType::kString;
  return *wrongtype ? nullptr : e;
}

// The string at args[1] made long enough to hold bit `maxbit` (created or zero-padded), as a
// raw value ready to be written in place. Replies WRONGTYPE and returns nullptr for other types.
// *dirty tells whether the key was created or grown (Redis then notifies even if no bit changes).
Entry* StringForBitWrite(CmdContext& ctx, uint64_t maxbit, bool* dirty) {
  std::string_view key = ctx.args[1];
  uint64_t hash = KeyHash(key);
  size_t need = size_t(maxbit >> 3) + 1;
  *dirty = true;
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (!link) return AddRawString(ctx, key, hash, std::string(need, '\0'));
  if ((*link)->type != ObjType::kString) {
    ctx.rb->Error(kErrWrongType);
    return nullptr;
  }
  if ((*link)->value().size() < need) return GrowValue(ctx, link, need);
  *dirty = false;
  (*link)->flags |= Entry::kRaw;
  return *link;
}

// Applies Redis's range rules to start/end (negative = from the end) over `len` units; false if
// the range is empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start = len + *start;
  if (*end < 0) *end = len + *end;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= len) *end = len - 1;
  return *start <= *end;
}

// BIT or BYTE (case-insensitive); replies a syntax error otherwise.
bool ParseBitUnit(CmdContext& ctx, std::string_view arg, bool* is_bit) {
  if (ArgIs(arg, "bit")) {
    *is_bit = true;
  } else if (ArgIs(arg, "byte")) {
    *is_bit = false;
  } else {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  return true;
}

// SETBIT key offset 0|1
void CmdSetBit(CmdContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.args[2], 0, &offset)) return;
  int64_t on;
  if (!ParseInt64(ctx.args[3], &on) || (on & ~int64_t(1))) return ctx.rb->Error(kErrBitValue);
  bool dirty;
  Entry* e = StringForBitWrite(ctx, offset, &dirty);
  if (!e) return;
  auto* byte = reinterpret_cast<uint8_t*>(e->mutable_value()) + (offset >> 3);
  uint8_t mask = uint8_t(1u << (7 - (offset & 7)));
  bool was = *byte & mask;
  if (on)
    *byte |= mask;
  else
    *byte &= uint8_t(~mask);
  if (dirty || was != bool(on)) Notify(ctx, notify::kString, "setbit", ctx.args[1]);
  ctx.rb->Integer(was ? 1 : 0);
}

// GETBIT key offset
void CmdGetBit(CmdContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, ctx.args[2], 0, &offset)) return;
  bool wt;
  Entry* e = ReadStringKey(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  if (!e) return ctx.rb->Integer(0);
  std::string_view v = e->value();
  uint64_t byte = offset >> 3;
  if (byte >= v.size()) return ctx.rb->Integer(0);
  ctx.rb->Integer((uint8_t(v[byte]) >> (7 - (offset & 7))) & 1);
}

// BITCOUNT key [start end [BYTE|BIT]]
void CmdBitCount(CmdContext& ctx) {
  bool wt;
  Entry* e = ReadStringKey(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  if (!e) return ctx.rb->Integer(0);
  std::string_view v = e->value();
  size_t argc = ctx.args.size();
  int64_t start = 0, end = int64_t(v.size()) - 1;
  bool is_bit = false;
  if (argc == 4 || argc == 5) {
    if (!ArgInt(ctx, 2, &start) || !ArgInt(ctx, 3, &end)) return;
    if (start < 0 && end < 0 && start > end) return ctx.rb->Integer(0);
    if (argc == 5 && !ParseBitUnit(ctx, ctx.args[4], &is_bit)) return;
    int64_t len = int64_t(v.size()) * (is_bit ? 8 : 1);
    if (!NormalizeRange(len, &start, &end)) return ctx.rb->Integer(0);
  } else if (argc != 2) {
    return ctx.rb->Error(kErrSyntax);
  }
  if (start > end) return ctx.rb->Integer(0);
  uint64_t first = is_bit ? uint64_t(start) : uint64_t(start) * 8;
  uint64_t last = is_bit ? uint64_t(end) : uint64_t(end) * 8 + 7;
  ctx.rb->Integer(int64_t(bits::CountRange(v, first, last)));
}

// BITPOS key 0|1 [start [end [BYTE|BIT]]]
void CmdBitPos(CmdContext& ctx) {
  int64_t bit;
  if (!ArgInt(ctx, 2, &bit)) return;
  if (bit != 0 && bit != 1) return ctx.rb->Error("ERR The bit argument must be 1 or 0.");
  bool wt;
  Entry* e = ReadStringKey(ctx, ctx.args[1], &wt);
  if (wt) return ctx.rb->Error(kErrWrongType);
  if (!e) return ctx.rb->Integer(bit ? -1 : 0);
  std::string_view v = e->value();
  size_t argc = ctx.args.size();
  int64_t start = 0, end = int64_t(v.size()) - 1;
  bool is_bit = false, end_given = false;
  if (argc >= 4 && argc <= 6) {
    if (!ArgInt(ctx, 3, &start)) return;
    if (argc == 6 && !ParseBitUnit(ctx, ctx.args[5], &is_bit)) return;
    if (argc >= 5) {
      if (!ArgInt(ctx, 4, &end)) return;
      end_given = true;
    } else {
      end = is_bit ? int64_t(v.size()) * 8 + 7 : int64_t(v.size()) - 1;
    }
    int64_t len = int64_t(v.size()) * (is_bit ? 8 : 1);
    if (!NormalizeRange(len, &start, &end)) return ctx.rb->Integer(-1);
  } else if (argc != 3) {
    return ctx.rb->Error(kErrSyntax);
  }
  if (start > end) return ctx.rb->Integer(-1);
  uint64_t first = is_bit ? uint64_t(start) : uint64_t(start) * 8;
  uint64_t last = is_bit ? uint64_t(end) : uint64_t(end) * 8 + 7;
  int64_t pos = bits::FindBit(v, int(bit), first, last);
  // No clear bit in the range: without an explicit end the string counts as zero-padded, so
  // the answer is the first bit after it.
  if (pos < 0 && bit == 0 && !end_given) pos = int64_t(last + 1);
  ctx.rb->Integer(pos);
}

// ---- BITOP ----

// Parses the operation and checks NOT's arity; replies the error on failure.
bool ParseBitOp(CmdContext& ctx, bits::Op* op) {
  std::string_view name = ctx.args[1];
  if (ArgIs(name, "and"))
    *op = bits::Op::kAnd;
  else if (ArgIs(name, "or"))
    *op = bits::Op::kOr;
  else if (ArgIs(name, "xor"))
    *op = bits::Op::kXor;
  else if (ArgIs(name, "not"))
    *op = bits::Op::kNot;
  else {
    ctx.rb->Error(kErrSyntax);
    return false;
  }
  if (*op == bits::Op::kNot && ctx.args.size() != 4) {
    ctx.rb->Error("ERR BITOP NOT must be called with a single source key.");
    return false;
  }
  return true;
}

// Stores BITOP's result at the destination (args[2]) on ctx.shard: an empty result deletes it.
void StoreBitOpResult(CmdContext& ctx, const std::string& res) {
  std::string_view dest = ctx.args[2];
  uint64_t hash = KeyHash(dest);
  if (!res.empty()) {
    SetRawString(ctx, dest, hash, res);
    Notify(ctx, notify::kString, "set", dest);
  } else if (Entry** link = ctx.shard->FindLink(ctx.db, dest, hash, ctx.now_ms)) {
    ctx.shard->Delete(ctx.db, link);
    Notify(ctx, notify::kGeneric, "del", dest);
  }
}

// BITOP AND|OR|XOR|NOT destkey key [key ...], all keys on this shard.
void CmdBitOp(CmdContext& ctx) {
  bits::Op op;
  if (!ParseBitOp(ctx, &op)) return;
  std::vector<std::string_view> srcs;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    bool wt;
    Entry* e = ReadStringKey(ctx, ctx.args[i], &wt);
    if (wt) return ctx.rb->Error(kErrWrongType);
    srcs.push_back(e ? e->value() : std::string_view());
  }
  std::string res = bits::Combine(op, srcs);
  StoreBitOpResult(ctx, res);
  ctx.rb->Integer(int64_t(res.size()));
}

// BITOP across shards: the sources are read on their shards, combined here, and the result
// stored on the destination's shard, all under the keys' locks.
Task<void> MultiBitOp(CmdContext& ctx) {
  bits::Op op;
  if (!ParseBitOp(ctx, &op)) co_return;
  MultiKeyTx tx(ctx, ArgRange(ctx, 2));
  co_await tx.Lock();
  if (!co_await EnsureMemoryOnAll(tx)) {
    co_await tx.Unlock();
    ctx.rb->Error(kErrOom);
    co_return;
  }
  struct Src {
    size_t idx;
    bool wrongtype;
    std::optional<std::string> value;
    std::vector<notify::Note> notes;  // the lookup's events (keymiss), held back
  };
  auto parts = co_await tx.OnEachShard([&ctx](Shard& s, const std::vector<size_t>& idx) {
    std::vector<Src> out;
    for (size_t i : idx) {
      if (i < 3) continue;  // the destination is only written
      notify::Capture cap(true);
      Entry* e = s.FindForRead(ctx.db, ctx.args[i], KeyHash(ctx.args[i]), ctx.now_ms);
      if (e && e->type != ObjType::kString)
        out.push_back({i, true, std::nullopt, std::move(cap.notes)});
      else
        out.push_back({i, false, e ? std::optional<std::string>(e->value()) : std::nullopt,
                       std::move(cap.notes)});
    }
    return out;
  });
  std::vector<const Src*> by_arg(ctx.args.size(), nullptr);
  for (const auto& p : parts)
    for (const auto& src : p) by_arg[src.idx] = &src;
  std::vector<std::string_view> srcs;
  bool wrongtype = false;
  // Redis reads the sources in order and stops at the first that is not a string: the keymiss
  // events of the sources after it are not published (expiries happened, so they are).
  std::vector<notify::Note> keep;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    for (const notify::Note& n : by_arg[i]->notes) {
      if (!wrongtype || n.cls != notify::kKeyMiss) keep.push_back(n);
    }
    if (wrongtype) continue;
    wrongtype = by_arg[i]->wrongtype;
    srcs.push_back(by_arg[i]->value ? std::string_view(*by_arg[i]->value) : std::string_view());
  }
  notify::PublishNotes(keep);
  std::string res;
  if (!wrongtype) {
    res = bits::Combine(op, srcs);
    uint32_t dest_shard = Shards().ShardOf(HashKey(ctx.args[2]));
    co_await Shards().Hop(dest_shard, [&ctx, &res](Shard& s) {
      std::string scratch;
      resp::ReplyBuilder rb(&scratch);
      CmdContext c = ShardStepCtx(ctx, s, &rb);
      StoreBitOpResult(c, res);
    });
  }
  co_await tx.Unlock();
  if (wrongtype)
    ctx.rb->Error(kErrWrongType);
  else
    ctx.rb->Integer(int64_t(res.size()));
}

// ---- BITFIELD ----

enum class FieldOp { kGet, kSet, kIncrBy };

struct FieldCmd {
  FieldOp op;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET value or INCRBY increment
  bits::Overflow overflow;
};

// A bitfield type: i1..i64 or u1..u63.
bool ParseFieldType(CmdContext& ctx, std::string_view arg, bool* is_signed, int* bits) {
  int64_t n;
  // The width is read up to a NUL byte, as Redis reads it as a C string.
  std::string_view width = arg.empty() ? arg : arg.substr(1);
  width = width.substr(0, width.find('\0'));
  bool ok = !arg.empty() && (arg[0] == 'i' || arg[0] == 'u') && ParseInt64(width, &n) && n >= 1 &&
            n <= (arg[0] == 'i' ? 64 : 63);
  if (!ok) {
    ctx.rb->Error(kErrBitfieldType);
    return false;
  }
  *is_signed = arg[0] == 'i';
  *bits = int(n);
  return true;
}

// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment |
//               OVERFLOW WRAP|SAT|FAIL] ...; BITFIELD_RO allows only GET.
void BitFieldGeneric(CmdContext& ctx, bool read_only_cmd) {
  std::vector<FieldCmd> cmds;
  bits::Overflow overflow = bits::Overflow::kWrap;
  bool writes = false;
  uint64_t highest_bit = 0;
  const size_t argc = ctx.args.size();
  for (size_t j = 2; j < argc; j++) {
    std::string_view sub = ctx.args[j];
    size_t rest = argc - j - 1;
    FieldOp op;
    if (ArgIs(sub, "get") && rest >= 2) {
      op = FieldOp::kGet;
    } else if (ArgIs(sub, "set") && rest >= 3) {
      op = FieldOp::kSet;
    } else if (ArgIs(sub, "incrby") && rest >= 3) {
      op = FieldOp::kIncrBy;
    } else if (ArgIs(sub, "overflow") && rest >= 1) {
      std::string_view t = ctx.args[++j];
      if (ArgIs(t, "wrap"))
        overflow = bits::Overflow::kWrap;
      else if (ArgIs(t, "sat"))
        overflow = bits::Overflow::kSat;
      else if (ArgIs(t, "fail"))
        overflow = bits::Overflow::kFail;
      else
        return ctx.rb->Error("ERR Invalid OVERFLOW type specified");
      continue;
    } else {
      return ctx.rb->Error(kErrSyntax);
    }
    FieldCmd c{op, false, 0, 0, 0, overflow};
    if (!ParseFieldType(ctx, ctx.args[j + 1], &c.is_signed, &c.bits)) return;
    if (!ParseBitOffset(ctx, ctx.args[j + 2], c.bits, &c.offset)) return;
    if (op != FieldOp::kGet) {
      writes = true;
      highest_bit = std::max(highest_bit, c.offset + uint64_t(c.bits) - 1);
      if (!ArgInt(ctx, j + 3, &c.value)) return;
    }
    cmds.push_back(c);
    j += op == FieldOp::kGet ? 2 : 3;
  }

  Entry* e;
  bool dirty = false;  // the key was created or grown
  if (!writes) {
    bool wt;
    e = ReadStringKey(ctx, ctx.args[1], &wt);
    if (wt) return ctx.rb->Error(kErrWrongType);
  } else {
    if (read_only_cmd) return ctx.rb->Error("ERR BITFIELD_RO only supports the GET subcommand");
    e = StringForBitWrite(ctx, highest_bit, &dirty);
    if (!e) return;
  }
  size_t changes = 0;

  ctx.rb->ArrayHeader(cmds.size());
  for (const FieldCmd& c : cmds) {
    if (c.op == FieldOp::kGet) {
      std::string_view v = e ? e->value() : std::string_view();
      if (c.is_signed)
        ctx.rb->Integer(bits::GetSignedPadded(v, c.offset, c.bits));
      else
        ctx.rb->Integer(int64_t(bits::GetUnsignedPadded(v, c.offset, c.bits)));
      continue;
    }
    auto* p = reinterpret_cast<uint8_t*>(e->mutable_value());
    bool failed, changed;
    int64_t reply;
    uint64_t store;
    if (c.is_signed) {
      int64_t old = bits::GetSigned(p, c.offset, c.bits), next = 0;
      int64_t candidate = c.op == FieldOp::kIncrBy ? old : c.value;
      int64_t incr = c.op == FieldOp::kIncrBy ? c.value : 0;
      int over = bits::CheckSigned(candidate, incr, c.bits, c.overflow, &next);
      if (!over) next = int64_t(uint64_t(candidate) + uint64_t(incr));
      failed = over && c.overflow == bits::Overflow::kFail;
      reply = c.op == FieldOp::kIncrBy ? next : old;
      store = uint64_t(next);
      changed = next != old;
    } else {
      uint64_t old = bits::GetUnsigned(p, c.offset, c.bits), next = 0;
      uint64_t candidate = c.op == FieldOp::kIncrBy ? old : uint64_t(c.value);
      int64_t incr = c.op == FieldOp::kIncrBy ? c.value : 0;
      int over = bits::CheckUnsigned(candidate, incr, c.bits, c.overflow, &next);
      if (!over) next = candidate + uint64_t(incr);
      failed = over && c.overflow == bits::Overflow::kFail;
      reply = int64_t(c.op == FieldOp::kIncrBy ? next : old);
      store = next;
      changed = next != old;
    }
    if (failed) {
      ctx.rb->Null();
      continue;
    }
    ctx.rb->Integer(reply);
    bits::SetUnsigned(p, c.offset, c.bits, store);
    // As Redis, a write counts only when the key was created or grown, or the field changed.
    if (dirty || changed) changes++;
  }
  if (changes) Notify(ctx, notify::kString, "setbit", ctx.args[1]);
}

void CmdBitField(CmdContext& ctx) { BitFieldGeneric(ctx, false); }
void CmdBitFieldRo(CmdContext& ctx) { BitFieldGeneric(ctx, true); }

}  // namespace

void RegisterBitmapFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  r.Add({"setbit", 4, W, 1, 1, 1, CmdSetBit, nullptr, "bitmap",
         "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "O(1)"});
  r.Add({"getbit", 3, kReadOnly | kFast, 1, 1, 1, CmdGetBit, nullptr, "bitmap",
         "Returns the bit value at offset in the string value stored at key", "2.2.0", "O(1)"});
  r.Add({"bitcount", -2, kReadOnly, 1, 1, 1, CmdBitCount, nullptr, "bitmap",
         "Count set bits in a string", "2.6.0", "O(N)"});
  r.Add({"bitpos", -3, kReadOnly, 1, 1, 1, CmdBitPos, nullptr, "bitmap",
         "Find first bit set or clear in a string", "2.8.7", "O(N)"});
  r.Add({"bitop", -4, W, 2, -1, 1, CmdBitOp, MultiBitOp, "bitmap",
         "Perform bitwise operations between strings", "2.6.0", "O(N)"});
  r.Add({"bitfield", -2, W, 1, 1, 1, CmdBitField, nullptr, "bitmap",
         "Perform arbitrary bitfield integer operations on strings", "3.2.0",
         "O(1) for each subcommand specified"});
  r.Add({"bitfield_ro", -2, kReadOnly | kFast, 1, 1, 1, CmdBitFieldRo, nullptr, "bitmap",
         "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
         "6.0.0", "O(1) for each subcommand specified"});
}

}  // namespace strata::kv
