// strata::KeyNamespace: versioned keys, to invalidate a whole group of cache entries at once.
//
// Every key of the group is written as "<name>:v<version>:<key>"; the version lives on the server
// under "<name>:version". Invalidate() increments it: from then on every reader builds new keys,
// misses, and reloads; the old entries are never read again and leave by their TTL (or eviction).
// One INCR replaces a scan-and-delete of an unbounded set of keys.
//
// Staleness: each process keeps the version it read for up to `refresh` (default 1 s), so a
// process may read the old generation for that long after an Invalidate() elsewhere. The
// process that calls Invalidate() switches at once. With refresh = 0 every Key() asks the server
// (one extra round trip per read, no staleness).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "strata/client.h"

namespace strata {

class KeyNamespace {
 public:
  KeyNamespace(Client& client, std::string name,
               std::chrono::milliseconds refresh = std::chrono::milliseconds(1000));

  // The server key for `key` in the current generation.
  std::string Key(std::string_view key);
  // Starts a new generation; returns its number.
  int64_t Invalidate();
  // The generation this process uses now.
  int64_t Version();

 private:
  Client& client_;
  std::string name_;
  std::string version_key_;
  std::chrono::milliseconds refresh_;
  std::mutex mu_;
  int64_t version_ = -1;                           // guarded by mu_
  std::chrono::steady_clock::time_point read_at_;  // guarded by mu_
};

}  // namespace strata
