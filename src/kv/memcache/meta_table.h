// memcache::MetaTable: the memcached attributes of a shard's keys that have any, beside the
// keyspace rather than in it.
//
// memcached gives every item 32 bits of client flags and a 64-bit CAS unique. Strata's Entry is a
// lean header shared by every key, so these live here instead, per shard and for database 0 (the
// memcached keyspace) only, and only for keys that need them: keys stored with non-zero flags,
// and keys whose CAS unique was handed out (gets, gats). A key without a row has flags 0 and no
// CAS, which is what RESP-written keys look like to memcached clients.
//
// A row describes the key's current value only. Every change of the key from any path (a RESP
// write, expiry, eviction, DEL, FLUSH*, SWAPDB) reaches Shard::KeyModified or Shard::DbModified,
// which drop it; a memcached write then puts the row it wants back (kv/memcache/commands.cc). So
// a CAS unique handed out before a change can never match afterwards: `cas` on a key without a
// row answers EXISTS.
//
// Lease state (stale, a fill handed out, placeholder) lives in the same row: see Meta.
//
// CAS uniques are unique across shards: the shard id sits in the top 8 bits, a per-shard counter
// in the rest. Touched only by the owning shard's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace strata::kv::memcache {

// Lease state (memcached's stale/win bits; docs/design/memcached.md, "Leases"):
//   kStale      the value was invalidated (md ... I, or ms ... I with an older CAS): readers
//               still get it, marked X, and one of them is told to refill it (W);
//   kTokenSent  a reader was told to fill the key (W) and others are told so (Z), until
//               win_until_ms; after that the win is free again, so a crashed filler cannot
//               wedge the key;
//   kPlaceholder the value is an empty placeholder created on a miss (mg N, LEASE.GET); when
//               its fill has expired, the next reader wins it.
// The lease token is the row's CAS unique: a fill presents it (ms C<cas>, LEASE.SET), and any
// other change of the key drops the row and so voids it.
struct Meta {
  static constexpr uint8_t kStale = 1;
  static constexpr uint8_t kTokenSent = 2;
  static constexpr uint8_t kPlaceholder = 4;
  static constexpr uint8_t kBinaryKey = 8;  // stored by ms with a base64 key (mg k echoes it so)
  uint32_t flags = 0;
  uint8_t state = 0;
  uint64_t cas = 0;  // 0: none handed out for the current value
  int64_t win_until_ms = 0;

  bool token_live(int64_t now_ms) const { return (state & kTokenSent) && now_ms < win_until_ms; }
};

class MetaTable {
 public:
  explicit MetaTable(uint32_t shard_id) : shard_bits_(uint64_t(shard_id & 0xff) << 56) {}

  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }

  // Whether `key`'s value is a lease's empty placeholder (mg N, LEASE.GET on a miss) rather than
  // data: snapshots and AOF bases leave it out, as a lease does not outlive the process and the
  // empty value without its row would read as a hit.
  bool IsPlaceholder(std::string_view key) const {
    if (rows_.empty()) return false;
    const Meta* m = Find(key);
    return m && (m->state & Meta::kPlaceholder);
  }
  // The row of `key`, or nullptr.
  const Meta* Find(std::string_view key) const {
    auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  // Sets the row (a row with no flags and no CAS is removed).
  void Put(std::string_view key, Meta m) {
    if (m.flags == 0 && m.cas == 0 && m.state == 0) {
      Drop(key);
      return;
    }
    auto it = rows_.find(key);
    if (it == rows_.end()) {
      rows_.emplace(std::string(key), m);
    } else {
      it->second = m;
    }
  }
  void Drop(std::string_view key) {
    auto it = rows_.find(key);
    if (it != rows_.end()) rows_.erase(it);
  }
  void Clear() { std::unordered_map<std::string, Meta, Hash, std::equal_to<>>().swap(rows_); }
  // A fresh CAS unique (never 0).
  uint64_t NextCas() {
    if (++counter_ >= (uint64_t(1) << 56)) counter_ = 1;
    return shard_bits_ | counter_;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, Meta, Hash, std::equal_to<>> rows_;
  uint64_t shard_bits_;
  uint64_t counter_ = 0;
};

}  // namespace strata::kv::memcache
