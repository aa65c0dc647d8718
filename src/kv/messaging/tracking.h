// Client-side caching (CLIENT TRACKING): the server remembers which clients read which keys and
// tells them, with an `invalidate` push (RESP3) or a message on `__redis__:invalidate` (RESP2
// with REDIRECT), when one of those keys changes. See docs/design/messaging.md.
//
// - Default mode: the shard that owns a key keeps its readers in its Table (key -> client ids).
//   A change to the key (a command, expiry, eviction, a transaction or script) takes the entry
//   out and queues one invalidation per reader for the reader's shard thread; the queue is sent
//   as one mailbox post per target shard at the end of the current mailbox round. The reader's
//   connection then writes the push after every reply already due, so an invalidation never
//   overtakes the reply of a read that happened before the change.
// - BCAST mode: a process-wide prefix table; every change to a key that matches a prefix is
//   queued for the prefix's clients the same way.
// - FLUSHDB, FLUSHALL and SWAPDB send one null invalidation ("everything") to every tracking
//   client, after every shard has made the change.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::kv {
class Connection;
}

namespace strata::kv::tracking {

// Process-wide switch: any client has tracking on. Key changes cost one relaxed load otherwise.
inline std::atomic<int> g_clients{0};
inline bool Active() { return g_clients.load(std::memory_order_relaxed) > 0; }

// One connection's tracking settings (its thread only).
struct ClientTracking {
  bool on = false, bcast = false, optin = false, optout = false, noloop = false;
  bool caching = false;  // CLIENT CACHING YES/NO given for the next command
  bool broken_redirect = false;
  uint64_t redirect = 0;
  std::vector<std::string> prefixes;
  // Whether the next read-only command's keys are to be remembered.
  bool TrackReads() const { return on && !bcast && !(optin && !caching) && !(optout && caching); }
};

// The readers of one shard's keys (that shard's thread only).
class Table {
 public:
  Table() = default;
  ~Table() { Clear(); }
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // A tracking client read key.
  void Remember(std::string_view key, uint64_t client);
  // key changed: its readers (and BCAST clients of a matching prefix) get an invalidation.
  void Invalidate(std::string_view key);
  // FLUSHALL/FLUSHDB: forget every entry (the clients get a null invalidation instead).
  void Clear();
  size_t keys() const { return used_; }
  size_t items() const { return items_; }

 private:
  // Open addressing with linear probing: a slot holds the key's hash beside its node, so a
  // lookup touches the slot array and one node (an unordered_map chases a bucket, the node
  // before and the node). Deleting shifts the run back, so there are no tombstones.
  struct Node {
    std::string key;
    std::vector<uint64_t> readers;
  };
  struct Slot {
    uint64_t hash = 0;
    Node* node = nullptr;  // nullptr: empty
  };
  size_t Find(std::string_view key, uint64_t hash) const;  // slot index, or npos
  void Insert(Node* node, uint64_t hash);
  void Grow();
  void Erase(size_t i);  // frees the node
  void Drop(size_t i);   // queues the readers' invalidations, then Erase
  static constexpr size_t npos = ~size_t(0);

  std::vector<Slot> slots_;  // size 0 or a power of two
  size_t used_ = 0;
  size_t items_ = 0;
  size_t evict_cursor_ = 0;  // where tracking-table-max-keys eviction looks next
};

// The client whose command is changing keys now on this thread (NOLOOP), or 0.
uint64_t CurrentModifier();
class ModifierScope {
 public:
  explicit ModifierScope(uint64_t id);
  ~ModifierScope();

 private:
  uint64_t prev_;
};

// Every connection, by id: which shard thread it lives on (REDIRECT, delivery).
void RegisterClient(uint64_t id, uint32_t shard, Connection* conn);
void UnregisterClient(uint64_t id, uint32_t shard);
// The shard of a live client, or -1.
int ShardOfClient(uint64_t id);

// CLIENT TRACKING ON/OFF for conn (on its thread). Returns an error text, or "" on success.
std::string Enable(Connection* conn, uint64_t redirect, bool bcast, bool optin, bool optout,
                   bool noloop, const std::vector<std::string>& prefixes);
void Disable(Connection* conn);

// After FLUSHDB/FLUSHALL/SWAPDB: a null invalidation to every tracking client.
void InvalidateEverything();

// Statistics for INFO.
int64_t TrackingClients();
int64_t TotalPrefixes();
int64_t TotalKeys();   // keys in every shard's table
int64_t TotalItems();  // (key, client) pairs in them

}  // namespace strata::kv::tracking

namespace strata::kv::tracking {

// Invalidations queued on a shard thread for other shards' clients (ShardLocal).
struct Invalidation {
  uint64_t client;    // the tracking client
  uint64_t modifier;  // the client whose command changed the key (NOLOOP), or 0
  std::string key;
  bool bcast;  // from a BCAST prefix (else from the key's table entry)
};
struct Outbox {
  std::vector<std::vector<Invalidation>> per_shard;
  bool scheduled = false;
};

}  // namespace strata::kv::tracking
