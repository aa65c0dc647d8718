// A key's value and metadata detached from any shard: what RENAME and COPY move between shards
// and databases, and what a script's undo log keeps to put a key back as it was.
//
// Thread ownership: taken on the shard that owns the key (its copied bytes count in that shard's
// memory ledger until Restore() or Discard() on the shard that keeps or frees it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/memory.h"
#include "kv/engine/entry.h"
#include "kv/engine/object.h"

namespace strata::kv {

class Shard;

struct Snapshot {
  std::string value;            // strings
  std::unique_ptr<Object> obj;  // every other type
  int64_t expire_ms = -1;
  uint32_t meta = 0;
  ObjType type = ObjType::kString;
  uint8_t enc_flags = 0;
  // A copied object counts in the memory ledger of the shard that copied it until Restore()
  // moves its bytes to the shard that keeps it.
  MemoryLedger* ledger = nullptr;
  int64_t obj_bytes = 0;
};

// Copies the entry's value (COPY, cross-shard RENAME, undo logs). Runs on the entry's shard.
Snapshot TakeSnapshot(const Entry* e);

// Takes the entry's value out of it without copying (RENAME on one shard); the caller deletes
// the emptied entry.
Snapshot DetachSnapshot(Entry* e);

// Frees a snapshot that was not restored, on the shard that adopts its bytes.
void Discard(Snapshot& snap);

// Writes snapshot under key in db on shard s, replacing any existing key; consumes the
// snapshot's object. A moved key (RENAME, MOVE) keeps its policy word, as Redis moves the
// object; a copy starts fresh, as a new object.
enum class Meta { kKeep, kFresh };
void Restore(Shard& s, int db, std::string_view key, Snapshot& snap, int64_t now_ms,
             Meta meta = Meta::kKeep);

}  // namespace strata::kv
