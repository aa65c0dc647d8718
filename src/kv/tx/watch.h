// WATCH: optimistic locking for MULTI/EXEC.
//
// A client that WATCHes keys gets one WatchFlag, registered under each key in the WatchTable of
// the key's shard. Whatever changes a watched key on that shard — a write command, a blocked
// client served from it, expiry, eviction, FLUSHDB/FLUSHALL, SWAPDB — raises the flag, and EXEC
// then fails. A write command counts as a change even when it leaves the value as it was (SADD
// of a present member); Redis lets those pass, which only makes EXEC fail where a retry is cheap.
//
// Thread ownership: a WatchTable belongs to its shard's thread. The flag is shared with the
// client's thread, hence atomic.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::kv {

struct WatchFlag {
  std::atomic<bool> dirty{false};
};

class WatchTable {
 public:
  bool empty() const { return by_key_.empty(); }
  // `key` is LockTable::Encode(db, key).
  void Add(const std::string& key, std::shared_ptr<WatchFlag> flag);
  void Remove(const std::string& key, const WatchFlag* flag);
  // The key changed: every client watching it fails its EXEC.
  void Touch(const std::string& key);
  // Encoded keys watched in database db (FLUSHDB, SWAPDB).
  std::vector<std::string> KeysOfDb(int db) const;

 private:
  std::unordered_map<std::string, std::vector<std::shared_ptr<WatchFlag>>> by_key_;
};

}  // namespace strata::kv
