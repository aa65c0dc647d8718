#include "kv/engine/key_snapshot.h"

#include "base/memory.h"
#include "kv/engine/shard.h"

namespace strata::kv {

// Copies the entry's value (COPY, cross-shard RENAME). Runs on the entry's shard.
Snapshot TakeSnapshot(const Entry* e) {
  Snapshot s;
  if (e->is_object()) {
    int64_t before = CurrentLedgerBytes();
    s.obj = e->object()->Clone();
    s.obj_bytes = CurrentLedgerBytes() - before;
    s.ledger = CurrentMemoryLedger();
  } else {
    s.value = std::string(e->value());
  }
  s.expire_ms = e->has_expire() ? e->expire_ms() : -1;
  s.meta = e->meta;
  s.type = e->type;
  s.enc_flags = e->flags & (Entry::kRaw | Entry::kNoIntEncoding);
  return s;
}

// Takes the entry's value out of it without copying (RENAME on one shard); the caller deletes
// the emptied entry.
Snapshot DetachSnapshot(Entry* e) {
  if (!e->is_object()) return TakeSnapshot(e);
  Snapshot s;
  s.obj.reset(e->TakeObject());
  s.expire_ms = e->has_expire() ? e->expire_ms() : -1;
  s.meta = e->meta;
  s.type = e->type;
  return s;
}

// Moves a copied object's bytes to the ledger of the shard running this (which keeps or frees it).
static void Adopt(Snapshot& snap) {
  if (snap.ledger && snap.ledger != CurrentMemoryLedger()) {
    CreditMemoryLedger(snap.ledger, -snap.obj_bytes);
    CreditMemoryLedger(CurrentMemoryLedger(), snap.obj_bytes);
  }
  snap.ledger = nullptr;
}

// Frees a snapshot that was not restored, on the shard that adopts its bytes.
void Discard(Snapshot& snap) {
  Adopt(snap);
  snap.obj.reset();
}

// Writes snapshot under key in db on shard s, replacing any existing key; consumes the
// snapshot's object. A moved key (RENAME, MOVE) keeps its policy word, as Redis moves the
// object; a copy starts fresh, as a new object.
void Restore(Shard& s, int db, std::string_view key, Snapshot& snap, int64_t now_ms, Meta meta) {
  uint64_t hash = DbTable::Hash(key);
  Entry** link = s.FindLink(db, key, hash, now_ms);
  if (link) s.Delete(db, link);
  Entry* e;
  if (snap.obj) {
    Adopt(snap);
    e = Entry::CreateObject(key, snap.obj.release(), snap.expire_ms, false);
  } else {
    e = Entry::Create(key, snap.value, snap.expire_ms, false);
    e->type = snap.type;
    e->flags |= snap.enc_flags;
  }
  s.Add(db, e, hash, now_ms);
  if (meta == Meta::kKeep) e->meta = snap.meta;
  if (e->is_object()) s.SignalKeyReady(db, key);  // a list/zset/stream may serve a waiter
}

}  // namespace strata::kv
