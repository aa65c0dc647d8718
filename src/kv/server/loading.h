// The dataset load at start (RDB snapshot or AOF), as clients see it.
//
// The shard threads serve from the start; while the load runs a global flag is set and every
// command without the `loading` flag (cmd::kLoading, Redis's ok-loading) is answered
// `-LOADING Redis is loading the dataset in memory`. The flag is set by the main thread before
// the shards start and cleared once the whole dataset (RDB, then the AOF tail) is in and the
// append-only log is switched on, so no command sees a partial keyspace and no acknowledged
// write can slip past the log. Progress counters feed INFO persistence (loading_*).
//
// Threads: the main thread (the loader) writes the progress; any thread reads it (INFO). The
// dispatch path reads only IsLoading(): one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::kv {

namespace loading_detail {
extern std::atomic<bool> g_loading;
}  // namespace loading_detail

// Whether the load at start is still running (relaxed: only a gate for replies; the shards see
// the keys themselves through their mailboxes, which order them).
inline bool IsLoading() { return loading_detail::g_loading.load(std::memory_order_relaxed); }

constexpr char kLoadingError[] = "LOADING Redis is loading the dataset in memory";

// Main thread. Begin: the flag is set, the clock and total size noted (total_bytes: the files'
// sizes, 0 if unknown). Progress: bytes of those files read so far. End: the flag is cleared.
void BeginLoading(uint64_t total_bytes);
// The used-mem AUX field of the RDB being read (loading_rdb_used_mem).
void SetLoadingRdbUsedMem(uint64_t bytes);
void LoadingProgress(uint64_t loaded_bytes);
void EndLoading();
uint64_t LoadingLoadedBytes();
// Whether SIGTERM or SIGINT is pending (blocked in every thread until the main thread waits for
// it): the load stops and the server exits without saving, as Redis does.
bool LoadingInterrupted();

// Logs "Loading: N MB of M MB (P%)" when more than about a second passed since the last line.
// Main thread.
void MaybeLogLoadingProgress(const char* what);

// INFO persistence: `loading` and, while loading, Redis's loading_* fields.
std::vector<std::pair<std::string, std::string>> LoadingInfoFields();

}  // namespace strata::kv
