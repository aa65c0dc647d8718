// BGSAVE: a forkless, point-in-time snapshot written while the shards keep serving.
//
// Start: with every shard's all-keys lock held (one instant across shards, as SAVE), each shard
// finishes any rehash of its tables, attaches a BucketObserver to every non-empty table (which
// freezes its bucket array) and releases its lock. From then on each shard writes its tables out
// bucket by bucket: an in-order walk in short slices between loop turns, and, before anything
// looks up, inserts, replaces or removes a key in a bucket not yet written, that whole bucket
// first (db_table.h). Every bucket is written once, holding the keys as they were at the start.
//
// Output streams: each shard fills ~64 KB chunks (each opening with SELECTDB) that one writer
// thread appends to temp-bgsave-<pid>.rdb with a running CRC64, then EOF, fsync, rename over
// dbfilename, fsync of the directory. A shard's walk pauses while it has too many chunks queued;
// the writer hands spent buffers back to their shard, which frees or reuses them on its own thread.
//
// Save rules (`save <seconds> <changes> ...`) and stop-writes-on-bgsave-error live here too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kv/server/task.h"

namespace strata::kv {

class Shard;

struct SaveRule {
  int64_t seconds = 0;
  int64_t changes = 0;
};
// `save` configuration. Thread-safe.
// Before SaveRulesConfigured() (start-up: config file, command line) each call adds rules, the
// first replacing the defaults; afterwards (CONFIG SET) each call replaces them all.
void SetSaveRules(std::vector<SaveRule> rules);
void SaveRulesConfigured();
std::vector<SaveRule> GetSaveRules();
std::string SaveRulesText();  // "3600 1 300 100 60 10000", "" when disabled
// Parses "<seconds> <changes> ..." (or "" to disable); returns Redis's error text or "".
std::string ParseSaveRules(const std::vector<std::string>& words, std::vector<SaveRule>* out);

extern std::atomic<bool> g_stop_writes_on_bgsave_error;

// Starts a background save from a shard thread (the save rules' cron). False when a save (SAVE or
// BGSAVE) is already running; true once started (a failure later is logged and reported by INFO
// and LASTSAVE).
bool StartBgsave();
// The same for the BGSAVE command: completes once the snapshot's instant is fixed on every shard,
// so the commands the client sends after BGSAVE are not in the file. As Redis: with a save
// already running, kSaveRunning; inside EXEC (`in_exec`), or while an AOF rewrite walks the
// keyspace and `schedule` (BGSAVE SCHEDULE), the save is scheduled (shard 0's cron starts it
// once the walk is free); while a rewrite runs without SCHEDULE, kOtherRunning.
enum class BgsaveStart { kStarted, kScheduled, kSaveRunning, kOtherRunning };
Task<BgsaveStart> BgsaveFromCommand(bool schedule, bool in_exec);

// The background walk is shared by BGSAVE and the AOF rewrite (BGREWRITEAOF): one at a time, as
// a table has one observer. ClaimBackgroundWalk takes it (false if busy); the walk gives it back
// when it ends.
bool ClaimBackgroundWalk();
void ReleaseBackgroundWalk();  // a claimed walk that never ran
bool BackgroundWalkBusy();

// An AOF base written by the walk (kv/aof/aof_rewrite_job.cc): an RDB with aof-base 1, or
// (`commands`) SELECT and RESTORE ... ABSTTL records. `at_point` runs on the coordinating
// thread while every shard's all-keys lock is held, before any shard starts its walk (false
// abandons the walk); `done` runs once, with the outcome, after the temp file was fsynced and
// renamed to `final_path` and `dir` fsynced (on the writer thread, or the coordinating thread
// when the walk never started). The caller holds the walk (ClaimBackgroundWalk); it is given
// back after `done`. Completes once the instant is fixed.
struct AofBaseWalk {
  bool commands = false;
  std::string dir, tmp_path, final_path;
  std::function<bool()> at_point;
  std::function<void(bool ok)> done;
};
Task<void> RunAofBaseWalk(AofBaseWalk w);

// Redis's MISCONF: the last background save failed, stop-writes-on-bgsave-error is on and save
// rules exist, so write commands (and PING) are refused.
bool WritesDeniedBySaveError();
inline constexpr const char* kMisconfError =
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "
    "disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.";

struct BgsaveReport {
  bool in_progress = false;
  int64_t last_time_sec = -1;     // rdb_last_bgsave_time_sec
  int64_t current_time_sec = -1;  // rdb_current_bgsave_time_sec
  uint64_t last_cow_bytes = 0;    // rdb_last_cow_size: bytes written early by write hooks
};
BgsaveReport GetBgsaveReport();

// SHUTDOWN (the command) handled saving itself: the stop signal it raises must not save again.
void NoteShutdownByCommand();
// Main thread, after SIGTERM/SIGINT: as Redis, with save rules configured, waits for a running
// BGSAVE and writes a final snapshot. False if that failed (the server keeps running, as Redis).
bool SaveBeforeSignalExit();

// At exit: a BGSAVE still running is abandoned; its temp file is removed.
void RemoveBgsaveTempFile();

// Each shard's cron, on its thread: publishes its write counter; shard 0 also applies the save
// rules (and the retry delay after a failure) and starts a BGSAVE when one matches.
void BgsaveCron(Shard& s);

}  // namespace strata::kv
