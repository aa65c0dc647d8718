// The append-only file: one log for the whole server (every shard appends to it), its files in
// `dir/appenddirname/` (Redis 7's multi-part layout: a manifest, a base file and incr files),
// group commit, rewriting and loading at start. See docs/design/persistence.md, "Append-only
// file".
//
// Threads: Feed/FeedUnit run on shard threads (under the command's key ownership or locks, so
// the order of records agrees with the order of conflicting writes); the record buffer is
// guarded by a mutex. Records are written at the end of a loop turn by the shard thread that
// ends it (kv/server/reply_hold.h); under `always` the fsync thread (aof_sync.h) fsyncs them and
// releases the replies that waited. A background thread fsyncs under `everysec` and checks the
// automatic rewrite rule.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/server/task.h"

namespace strata::io {
class Reactor;
}

namespace strata::kv {
struct StartupLoad;
struct CmdContext;
struct CommandSpec;
}  // namespace strata::kv

namespace strata::kv::aof {

// Whether writes are being logged (cheap; any thread).
bool Enabled();

// Records collected on the side (EXEC, a script) and appended together: wrapped in MULTI/EXEC
// when there is more than one, so a crash never replays half of them.
struct Unit {
  std::vector<std::pair<int, std::string>> records;  // (db, encoded command)
  void Add(int db, std::span<const std::string_view> args, std::string_view reply, int64_t now_ms);
  void Append(Unit&& other);
};

// Shard thread, right after a write command ran on it (its keys still owned or locked): logs
// what it did in `db` (aof_rewrite.h). `reply` is the command's reply (nothing is logged after
// an error).
void Feed(int db, std::span<const std::string_view> args, std::string_view reply, int64_t now_ms);
void FeedUnit(Unit&& unit);
// A command that ran as a coordinator (cross-shard keys, or keyless across shards), with the
// context it ran in: into ctx.aof_unit when inside EXEC or a script, else into the log.
void FeedContext(const CmdContext& ctx, std::string_view reply);
// Whether a write command that ran as a coordinator names no key at all (FLUSHALL, FLUSHDB,
// SWAPDB). Alone they log themselves under every shard's all-keys lock (keys_family.cc), as
// keyed coordinators log under their key locks; inside EXEC or a script the caller adds them to
// its unit.
bool KeylessWrite(const CommandSpec& spec, std::span<const std::string_view> args);

// The errno of a failed write or fsync of the log (writes are refused with -MISCONF until a
// retry succeeds), or 0.
int WriteError();

// Reply hold-back (kv/server/reply_hold.h). Positions count record units appended to the log.
// Whether records exist that are not yet written (under appendfsync always: not yet fsynced),
// so replies produced now must wait for the end-of-turn step.
bool RepliesMustWait();
// Whether replies wait past the end of the turn (appendfsync always: for the fsync thread), so a
// shard must not write a batch's replies to the socket itself.
bool HoldsReplies();
// End-of-turn step (reactor thread): writes every record appended so far, by any shard (one
// write; no fsync), sets *pos to the position the replies produced so far may depend on, and
// returns whether the log is durable that far for the policy: written under everysec and no
// (also after a failed write, whose records stay buffered and are retried, as Redis sends its
// replies), fsynced under always.
bool CommitForReplies(uint64_t* pos);
// The position fsynced so far (any thread).
uint64_t SyncedPosition();
// Posts `fn` to `r` once the log is fsynced up to `pos` (the fsync thread, aof_sync.h).
void WhenDurable(uint64_t pos, io::Reactor* r, std::function<void()> fn);
// Output waits for the log to be fsynced up to `pos`: the fsync thread goes on until there.
void WantDurable(uint64_t pos);

// Start-up. PrepareAtStart (main thread, before the shards start): when appendonly is yes and
// the manifest exists, reads the base (an RDB base goes in *load like a snapshot) and the incr
// files, and sets *use_aof; false after logging the file and offset of a fault.
struct StartupAof;
// The bytes PrepareAtStart will read (the files the manifest lists), or -1 when the AOF is not
// what is loaded (appendonly no, or no manifest).
int64_t BytesToLoadAtStart();
// Main thread, at start: whether there is no AOF to load (appendonly no, or no manifest).
bool NoManifestAtStart();
StartupAof* NewStartupAof();
void FreeStartupAof(StartupAof* s);
bool PrepareAtStart(uint32_t shards, int databases, StartupLoad* load, StartupAof* s,
                    bool* use_aof);
// Replays the next commands read (in order, each on its keys' shard) for about `max_us`, on one
// shard thread while every other shard thread is parked (none serves a client meanwhile);
// *finished_all once every command is replayed. False after logging the fault.
bool ReplaySliceAtStart(StartupAof* s, int64_t max_us, bool* finished_all);
// Once the shards serve: opens the last incr file for appending, or (appendonly yes and no AOF
// yet) starts making a base from the dataset and a new incr; installs the CONFIG SET hook.
void StartAfterLoad(bool loaded_from_aof);
// Main thread, after StartAfterLoad(false) with appendonly yes: waits until that first base and
// its manifest are on disk (true), or the rewrite failed or `stop` said to give up (false).
// Until then an acknowledged write would sit in an incr file that no manifest lists yet, so the
// server answers -LOADING meanwhile, as Redis writes its first base before it serves.
bool WaitForFirstBase(const std::function<bool()>& stop);
// At shutdown, before the shard threads stop: stops the background thread (fsync, automatic
// rewrites). After they stopped: writes and fsyncs what is buffered.
void StopBackground();
void Shutdown();

// BGREWRITEAOF (aof_rewrite_job.cc), forkless: at one instant (every shard's all-keys lock, as
// BGSAVE) appends move to a new incr file, listed in the manifest before any record goes there;
// then the shards write the new base in the background on BGSAVE's walk (kv/server/bgsave.h)
// while they serve; once it is fsynced and renamed, the manifest is switched to the new base and
// incr and the old files are deleted. A failure leaves the previous manifest (plus the new
// incr) in place.
//
// RequestRewrite (any thread): kInProgress when one runs; inside EXEC (`in_exec`) or while a
// BGSAVE walks the keyspace, the rewrite is scheduled (shard 0's cron starts it once the walk is
// free); otherwise it starts on shard 0.
enum class RewriteStart { kStarted, kScheduled, kInProgress };
RewriteStart RequestRewrite(bool in_exec);
bool RewriteInProgress();
// The automatic rule, CONFIG SET appendonly yes, the first base at start: starts a rewrite now,
// or once the running one (or the BGSAVE) ends.
void ScheduleRewrite();
// Shard 0's cron: starts a scheduled rewrite if the walk is free.
void StartScheduledRewrite();

// INFO persistence fields (aof_*).
std::vector<std::pair<std::string, std::string>> InfoFields();

}  // namespace strata::kv::aof
