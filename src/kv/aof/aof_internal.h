// Between the log (aof_log.cc) and the rewrite (aof_rewrite_job.cc); not for other callers.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "kv/aof/aof_format.h"

namespace strata::kv::aof {

// The state of BGREWRITEAOF, shown by INFO persistence. Any thread.
struct RewriteStatus {
  std::atomic<bool> in_progress{false};  // aof_rewrite_in_progress
  std::atomic<bool> scheduled{false};    // aof_rewrite_scheduled
  std::atomic<bool> last_ok{true};       // aof_last_bgrewrite_status
  std::atomic<uint64_t> rewrites{0};
  std::atomic<int64_t> last_secs{-1};  // aof_last_rewrite_time_sec
  std::atomic<int64_t> started_ms{0};  // monotonic, for aof_current_rewrite_time_sec
};
RewriteStatus& Rewrites();

namespace detail {

std::string AofDir();                          // appenddirname (relative to dir)
std::string AofPath(const std::string& name);  // a file in it
Manifest CurrentManifest();
// Writes the manifest (temp file, fsync, rename, directory fsync), then makes it the current one.
bool InstallManifest(const Manifest& m);
void SetManifestInMemory(const Manifest& m);  // names reserved, nothing written
// At the rewrite's instant: what is buffered is written to the current incr file and fsynced,
// `listed` runs (it installs the manifest naming the new incr), then appends go to `fd`. False,
// with nothing switched and `fd` not taken, if any step failed (buffered records are kept).
bool SwitchToNewIncr(int fd, const std::function<bool()>& listed);
void StartLogging(bool on);
void SetBaseSize(int64_t bytes);
int64_t SizeOf(const std::string& path);
bool SyncDir(const std::string& dir);

}  // namespace detail
}  // namespace strata::kv::aof
