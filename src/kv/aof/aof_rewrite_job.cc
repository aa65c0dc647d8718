// BGREWRITEAOF without blocking the shards: the new base is written by BGSAVE's background walk
// (kv/server/bgsave.h) while the shards serve. See aof_log.h and docs/design/persistence.md,
// "Base creation, BGREWRITEAOF".
//
// Files over time (n: the old base's sequence, m: the next incr's):
//   before:            manifest = base n, incr ..., incr m-1
//   at the instant:    manifest = base n, incr ..., incr m-1, incr m   (appends go to incr m)
//   base written:      appendonly.aof.<n+1>.base.* fsynced and renamed from its temp file
//   done:              manifest = base n+1, incr m; the old base and incrs deleted
// A crash or a failure at any point leaves a manifest that lists a complete history: the new incr
// is listed before any record is appended to it, and stays listed if the base fails, so the next
// rewrite (or the next start) still has every write. When the log is being turned on (no AOF
// yet at start, CONFIG SET appendonly yes) no manifest is written before the base is done: until
// then a restart loads what it would have loaded before (dbfilename).
//
// Threads: RequestRewrite on any thread; the job's coroutine on shard 0 (it hops to every shard
// for the all-keys locks); the instant's switch on the coordinating thread under those locks;
// the end on the walk's writer thread.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "kv/aof/aof_format.h"
#include "kv/aof/aof_internal.h"
#include "kv/aof/aof_log.h"
#include "kv/server/bgsave.h"
#include "kv/server/config.h"
#include "kv/server/shard_set.h"
#include "kv/server/task.h"

namespace strata::kv::aof {

RewriteStatus& Rewrites() {
  static RewriteStatus* s = new RewriteStatus;  // read by INFO and the background thread
  return *s;
}

namespace {

struct Job {
  // The log was not on at the instant (the AOF is being created or turned on), or no base was
  // ever made (the first one failed): the new incr is not published then, only with the base at
  // the end, as Redis keeps its incr temporary until the first base exists. Otherwise a crash
  // before the base would leave a manifest listing incrs alone (or an outdated base), which the
  // next start would load instead of dbfilename.
  bool publish_at_instant = true;
  Manifest old, mid;
  std::string base_name, incr_name;
  int64_t started_ms = 0;
};

void Finish(Job& job, bool ok, const char* why) {
  RewriteStatus& st = Rewrites();
  if (ok) {
    LOG_NOTICE("Background AOF rewrite terminated with success");
    LOG_NOTICE("Background AOF rewrite finished successfully");
    st.rewrites.fetch_add(1);
  } else {
    LOG_WARNING("Background AOF rewrite failed: %s", why);
  }
  st.last_ok.store(ok);
  st.last_secs.store((MonoMicros() / 1000 - job.started_ms) / 1000);
  st.in_progress.store(false);
}

// Under every shard's all-keys lock: appends move to the new incr, listed first.
bool AtInstant(Job& job) {
  std::string path = detail::AofPath(job.incr_name);
  // Not in any manifest yet, so whatever a failed earlier try left under this name is stale.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    LOG_WARNING("Can't open the append-only file %s: %s", path.c_str(), strerror(errno));
    return false;
  }
  const Manifest* mid = &job.mid;
  bool publish = job.publish_at_instant = Enabled() && job.old.base() != nullptr;
  auto listed = [mid, publish] {
    if (publish) return detail::InstallManifest(*mid);
    detail::SetManifestInMemory(*mid);
    return true;
  };
  if (!detail::SwitchToNewIncr(fd, listed)) {
    close(fd);
    unlink(path.c_str());
    return false;
  }
  // Logging starts here when the AOF is being turned on.
  detail::StartLogging(GlobalConfig().appendonly.load());
  return true;
}

// Writer thread, the base fsynced and renamed (ok) or the walk failed.
void AtEnd(Job& job, bool ok) {
  std::string base_path = detail::AofPath(job.base_name);
  if (!ok) {
    Finish(job, false, "the new base could not be written");
    return;
  }
  Manifest next;
  next.files.push_back(
      ManifestFile{job.base_name, job.mid.base() ? job.mid.base()->seq + 1 : 1, 'b'});
  for (const ManifestFile& f : job.mid.files)
    if (f.name == job.incr_name) next.files.push_back(f);
  if (!detail::InstallManifest(next)) {
    unlink(base_path.c_str());
    Finish(job, false, "the manifest could not be written");
    return;
  }
  for (const ManifestFile& f : job.old.files)
    if (f.name != job.base_name && f.name != job.incr_name) unlink(detail::AofPath(f.name).c_str());
  detail::SyncDir(detail::AofDir());
  detail::SetBaseSize(detail::SizeOf(base_path));
  Finish(job, true, "");
}

// On shard 0, with the walk claimed and in_progress set.
Task<void> RunRewrite() {
  auto job = std::make_shared<Job>();
  job->started_ms = MonoMicros() / 1000;
  Rewrites().started_ms.store(job->started_ms);
  LOG_NOTICE("Background append only file rewriting started");
  const Config& cfg = GlobalConfig();
  std::string dir = detail::AofDir();
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    LOG_WARNING("Can't create the AOF directory %s: %s", dir.c_str(), strerror(errno));
    ReleaseBackgroundWalk();
    Finish(*job, false, "no directory");
    co_return;
  }
  job->old = detail::CurrentManifest();
  const std::string& prefix = cfg.appendfilename;
  uint64_t incr_seq = job->old.NextIncrSeq();
  uint64_t base_seq = job->old.base() ? job->old.base()->seq + 1 : 1;
  bool preamble = cfg.aof_use_rdb_preamble.load();
  job->incr_name = prefix + "." + std::to_string(incr_seq) + ".incr.aof";
  job->base_name = prefix + "." + std::to_string(base_seq) + (preamble ? ".base.rdb" : ".base.aof");
  job->mid = job->old;
  job->mid.files.push_back(ManifestFile{job->incr_name, incr_seq, 'i'});

  AofBaseWalk w;
  w.commands = !preamble;
  w.dir = dir;
  w.tmp_path = detail::AofPath("temp-rewriteaof-bg-" + std::to_string(getpid()) + ".aof");
  w.final_path = detail::AofPath(job->base_name);
  w.at_point = [job] { return AtInstant(*job); };
  w.done = [job](bool ok) { AtEnd(*job, ok); };
  co_await RunAofBaseWalk(std::move(w));
}

}  // namespace

bool RewriteInProgress() { return Rewrites().in_progress.load(); }

RewriteStart RequestRewrite(bool in_exec) {
  RewriteStatus& st = Rewrites();
  if (st.in_progress.load()) return RewriteStart::kInProgress;
  if (in_exec) {
    st.scheduled.store(true);
    return RewriteStart::kScheduled;
  }
  if (st.in_progress.exchange(true)) return RewriteStart::kInProgress;
  if (!ClaimBackgroundWalk()) {  // a BGSAVE walks the keyspace: after it
    st.in_progress.store(false);
    st.scheduled.store(true);
    return RewriteStart::kScheduled;
  }
  st.scheduled.store(false);
  Shards().Post(0, [] { RunDetached(RunRewrite(), [] {}); });
  return RewriteStart::kStarted;
}

void ScheduleRewrite() {
  if (RequestRewrite(false) == RewriteStart::kInProgress) Rewrites().scheduled.store(true);
}

bool WaitForFirstBase(const std::function<bool()>& stop) {
  RewriteStatus& st = Rewrites();
  for (;;) {
    if (!st.in_progress.load() && !st.scheduled.load()) return st.last_ok.load() && Enabled();
    if (stop()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void StartScheduledRewrite() {
  RewriteStatus& st = Rewrites();
  if (st.scheduled.load() && !st.in_progress.load()) RequestRewrite(false);
}

}  // namespace strata::kv::aof
