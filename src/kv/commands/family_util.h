// Helpers shared by the command families: argument parsing with Redis's error texts, and the
// common lookups (typed access to a key, creation and deletion of containers).
#pragma once

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "base/strutil.h"
#include "kv/commands/command.h"
#include "kv/engine/shard.h"
#include "kv/messaging/notify.h"

namespace strata::kv {

inline constexpr const char* kErrNotInt = "ERR value is not an integer or out of range";
inline constexpr const char* kErrSyntax = "ERR syntax error";
inline constexpr const char* kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kErrNotFloat = "ERR value is not a valid float";
inline constexpr const char* kErrNoSuchKey = "ERR no such key";
inline constexpr const char* kErrDbIndex = "ERR DB index is out of range";

inline bool ArgInt(CmdContext& ctx, size_t i, int64_t* out) {
  if (ParseInt64(ctx.args[i], out)) return true;
  ctx.rb->Error(kErrNotInt);
  return false;
}

inline bool ArgIs(std::string_view arg, std::string_view word) {
  return EqualsIgnoreCase(arg, word);
}

inline uint64_t KeyHash(std::string_view key) { return DbTable::Hash(key); }

// ---- HSCAN, SSCAN, ZSCAN ----

// The cursor as Redis reads it (strtoul): an optional sign (wrapping), digits, nothing else;
// leading spaces and values out of range fail, parsing stops at a NUL byte. Replies
// "ERR invalid cursor" on failure.
inline bool ParseContainerScanCursor(CmdContext& ctx, std::string_view arg, uint64_t* out) {
  std::string s(arg);
  bool ok = s.empty() || !isspace(static_cast<unsigned char>(s[0]));
  if (ok) {
    errno = 0;
    char* end = nullptr;
    unsigned long long v = strtoull(s.c_str(), &end, 10);
    ok = *end == '\0' && errno != ERANGE;
    *out = v;
  }
  if (!ok) ctx.rb->Error("ERR invalid cursor");
  return ok;
}

// [MATCH pattern] [COUNT count] from args[first] on; replies the error on failure.
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;  // a pattern other than "*"
};

inline bool ParseScanOptions(CmdContext& ctx, size_t first, ScanOptions* out) {
  for (size_t i = first; i < ctx.args.size(); i++) {
    bool has_next = i + 1 < ctx.args.size();
    if (ArgIs(ctx.args[i], "count") && has_next) {
      if (!ArgInt(ctx, i + 1, &out->count)) return false;
      if (out->count < 1) {
        ctx.rb->Error(kErrSyntax);
        return false;
      }
      i++;
    } else if (ArgIs(ctx.args[i], "match") && has_next) {
      out->pattern = ctx.args[++i];
      out->use_pattern = out->pattern != "*";
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

// The reply for a missing key: cursor 0, no elements.
inline void ReplyEmptyScan(resp::ReplyBuilder* rb) {
  rb->ArrayHeader(2);
  rb->Bulk("0");
  rb->ArrayHeader(0);
}

// ---- Typed access to container keys ----
//
// T is an Object subclass with `static constexpr ObjType kType`. The lookups follow Redis:
// kRead counts a keyspace hit or miss and touches the key (lookupKeyRead), kWrite only touches
// it (lookupKeyWrite). A key of another type is reported, never returned.

enum class Access { kRead, kWrite };

template <typename T>
struct Typed {
  T* obj = nullptr;        // the container, or nullptr if the key is absent (or wrong type)
  bool wrongtype = false;  // the key exists and holds another type
};

template <typename T>
Typed<T> FindObject(Shard& s, int db, std::string_view key, int64_t now_ms, Access access) {
  uint64_t hash = KeyHash(key);
  Entry* e = nullptr;
  if (access == Access::kRead) {
    e = s.FindForRead(db, key, hash, now_ms);
  } else if (Entry** link = s.FindForWrite(db, key, hash, now_ms)) {
    e = *link;
  }
  if (!e) return {};
  if (e->type != T::kType) return {nullptr, true};
  return {e->object_as<T>(), false};
}

// Adds `key` (which must be absent) holding obj; returns the object, now owned by the keyspace.
template <typename T>
T* AddObject(Shard& s, int db, std::string_view key, std::unique_ptr<T> obj, int64_t now_ms) {
  Entry* e = Entry::CreateObject(key, obj.release(), -1, false);
  s.Add(db, e, KeyHash(key), now_ms);
  return e->object_as<T>();  // an embedded object has moved into the entry
}

// Deletes `key` if it holds a container that is now empty (Redis deletes emptied keys).
// Returns true if it did.
inline bool DeleteIfEmpty(Shard& s, int db, std::string_view key, int64_t now_ms) {
  Entry** link = s.FindLink(db, key, KeyHash(key), now_ms);
  if (!link || !(*link)->is_object() || (*link)->object()->Length() != 0) return false;
  s.Delete(db, link);
  return true;
}

// Deletes `key` whatever it holds; true if it existed.
inline bool DeleteKey(Shard& s, int db, std::string_view key, int64_t now_ms) {
  Entry** link = s.FindLink(db, key, KeyHash(key), now_ms);
  if (!link) return false;
  s.Delete(db, link);
  return true;
}

// Stores obj under `key` as Redis's setKey does for a computed result (SUNIONSTORE, ZRANGESTORE,
// SORT ... STORE): after a write lookup, an existing key of any type gets the new value in its
// entry (no TTL, the policy word kept as for SET), an absent one is added ("new" event).
template <typename T>
T* StoreObject(Shard& s, int db, std::string_view key, std::unique_ptr<T> obj, int64_t now_ms) {
  uint64_t hash = KeyHash(key);
  Entry** link = s.FindForWrite(db, key, hash, now_ms);
  Entry* e = Entry::CreateObject(key, obj.release(), -1, false);
  if (link)
    s.ReplaceEntry(db, link, e);
  else
    s.Add(db, e, hash, now_ms);
  return e->object_as<T>();
}

// ---- Keyspace notifications (kv/messaging/notify.h) ----

// The event for a change made to `key` in database db.
inline void Notify(int db, uint32_t cls, std::string_view event, std::string_view key) {
  notify::Notify(cls, event, key, db);
}

// After `event` changed the container at key: the event, then, when the container is now empty,
// the key's deletion and "del" (Redis's order). Returns true if it deleted the key. Given the
// container, a non-empty one costs no lookup.
inline bool NotifyAndDeleteIfEmpty(Shard& s, int db, uint32_t cls, std::string_view event,
                                   std::string_view key, int64_t now_ms,
                                   const Object* container = nullptr) {
  notify::Notify(cls, event, key, db);
  if (container && container->Length() != 0) return false;
  if (!DeleteIfEmpty(s, db, key, now_ms)) return false;
  notify::Notify(notify::kGeneric, "del", key, db);
  return true;
}

// Deletes `key` whatever it holds, with "del" if it existed (an empty STORE result).
inline bool DeleteKeyAndNotify(Shard& s, int db, std::string_view key, int64_t now_ms) {
  if (!DeleteKey(s, db, key, now_ms)) return false;
  notify::Notify(notify::kGeneric, "del", key, db);
  return true;
}

// The same on the command's own shard and database; on a wrong type they reply WRONGTYPE and
// set *failed, so a handler writes:
//   bool failed;
//   HashObject* h = ReadObject<HashObject>(ctx, ctx.args[1], &failed);
//   if (failed) return;
template <typename T>
T* ReadObject(CmdContext& ctx, std::string_view key, bool* failed) {
  Typed<T> t = FindObject<T>(*ctx.shard, ctx.db, key, ctx.now_ms, Access::kRead);
  *failed = t.wrongtype;
  if (t.wrongtype) ctx.rb->Error(kErrWrongType);
  return t.obj;
}

template <typename T>
T* WriteObject(CmdContext& ctx, std::string_view key, bool* failed) {
  Typed<T> t = FindObject<T>(*ctx.shard, ctx.db, key, ctx.now_ms, Access::kWrite);
  *failed = t.wrongtype;
  if (t.wrongtype) ctx.rb->Error(kErrWrongType);
  return t.obj;
}

// Write lookup that creates an empty container (std::make_unique<T>()) when the key is absent.
template <typename T>
T* WriteOrCreateObject(CmdContext& ctx, std::string_view key, bool* failed) {
  T* obj = WriteObject<T>(ctx, key, failed);
  if (obj || *failed) return obj;
  return AddObject(*ctx.shard, ctx.db, key, std::make_unique<T>(), ctx.now_ms);
}

inline bool DeleteIfEmpty(CmdContext& ctx, std::string_view key) {
  return DeleteIfEmpty(*ctx.shard, ctx.db, key, ctx.now_ms);
}

inline void Notify(const CmdContext& ctx, uint32_t cls, std::string_view event,
                   std::string_view key) {
  notify::Notify(cls, event, key, ctx.db);
}

inline bool NotifyAndDeleteIfEmpty(CmdContext& ctx, uint32_t cls, std::string_view event,
                                   std::string_view key, const Object* container = nullptr) {
  return NotifyAndDeleteIfEmpty(*ctx.shard, ctx.db, cls, event, key, ctx.now_ms, container);
}

}  // namespace strata::kv
