// RDB snapshots of the whole keyspace (Redis's RDB version 10 file, see rdb/rdb_file.h):
// SAVE and SHUTDOWN SAVE write one; the server loads `dir/dbfilename` at start.
//
// Writing: with every shard's all-keys lock held (one point in time across shards), every shard
// serializes its own keys on its own thread (one Broadcast), database by database, and releases
// its lock; the coordinating thread then writes the header, one SELECTDB section per non-empty
// database holding the parts of every shard, EOF and the CRC64 to temp-<pid>.rdb in `dir`,
// fsyncs it, renames it over dbfilename and fsyncs the directory, so a failure leaves the previous
// file as it was.
//
// Loading: while the shards serve with the loading flag set, the main thread reads and checks
// the file and streams its keys to their shards in batches. Any fault stops the start (the caller
// exits non-zero).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kv/rdb/rdb_keyspace.h"
#include "kv/server/task.h"

namespace strata::kv {

class Shard;

// The encoding limits from the configuration (values built by RESTORE and by loading).
rdb::BuildLimits ConfiguredBuildLimits();

struct SaveStatus {
  std::atomic<int64_t> last_save_s{0};  // LASTSAVE; the start time until the first save
  std::atomic<bool> last_ok{true};      // rdb_last_bgsave_status
  std::atomic<uint64_t> saves{0};       // rdb_saves
  std::atomic<uint64_t> dirty_at_save{0};
  std::atomic<bool> in_progress{false};
};
SaveStatus& GetSaveStatus();

// Writes a snapshot file (SAVE, BGSAVE, the AOF's base) while keeping the CRC64 of every byte
// written, for the EOF trailer.
class CrcFileWriter {
 public:
  explicit CrcFileWriter(int fd) : fd_(fd) {}
  // Writes all of `data` (retrying short writes and EINTR); false on an error, errno set.
  bool Write(std::string_view data);
  uint64_t crc() const { return crc_; }

 private:
  int fd_;
  uint64_t crc_ = 0;
};

// The magic and AUX fields that open every snapshot file (SAVE and BGSAVE).
std::string RdbFileHeader(int64_t now_ms, bool aof_base = false);

// SAVE: writes the snapshot. Runs on a shard thread (a command coroutine). A failure's reason is
// logged; kBusy: another SAVE is writing.
enum class SaveResult { kOk, kFailed, kBusy };
Task<SaveResult> SaveSnapshot();

// The load at start. It runs while the shards serve with the loading flag set
// (kv/server/loading.h): the main thread reads and parses the file and hands each shard its keys
// in batches through its mailbox; each shard thread builds its keys between serving clients.
struct StartupLoad {
  uint64_t loaded = 0, expired = 0;
  int64_t started_ns = 0;
  bool present = false;
  std::string name;  // the file read (for messages)
};

// Main thread, shards running. Reads dir/dbfilename if it exists and has every shard build its
// keys; returns once they all have. False (after logging the file, the byte offset and the
// fault, or the key a shard could not build) when the file is unreadable or corrupt, or when a
// stop signal arrived meanwhile (LoadingInterrupted).
bool ReadSnapshotAtStart(uint32_t shards, int databases, StartupLoad* load);
// The same for an RDB file at `path` (relative to dir), e.g. an AOF base.
bool ReadRdbAtStart(const std::string& path, uint32_t shards, int databases, StartupLoad* load);
// After the keys are in: logs the outcome.
bool FinishStartupLoad(StartupLoad* load);
// On the main thread once the load is over: the start-up memory baseline drops the file.
void ReleaseStartupLoad(StartupLoad* load);

}  // namespace strata::kv
