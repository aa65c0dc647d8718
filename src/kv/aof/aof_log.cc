#include "kv/aof/aof_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "io/reactor.h"
#include "kv/aof/aof_format.h"
#include "kv/aof/aof_internal.h"
#include "kv/aof/aof_rewrite.h"
#include "kv/aof/aof_sync.h"
#include "kv/commands/command.h"
#include "kv/commands/command_keys.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/registry.h"
#include "kv/engine/shard.h"
#include "kv/server/bgsave.h"
#include "kv/server/config.h"
#include "kv/server/loading.h"
#include "kv/server/reply_hold.h"
#include "kv/server/shard_set.h"
#include "kv/server/snapshot.h"

namespace strata::kv::aof {

namespace {

enum Fsync { kNo = 0, kEverysec = 1, kAlways = 2 };

int Policy() { return GlobalConfig().appendfsync.load(std::memory_order_relaxed); }

bool WriteAllFd(int fd, std::string_view data, size_t* written = nullptr) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (written) *written = done;
      return false;
    }
    done += size_t(n);
  }
  if (written) *written = done;
  return true;
}

bool ReadWholeFile(const std::string& path, std::string* out, int* err) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  struct stat sb;
  if (fstat(fd, &sb) == 0 && sb.st_size > 0) out->reserve(size_t(sb.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *err = errno;
      close(fd);
      return false;
    }
    if (n == 0) break;
    out->append(buf, size_t(n));
  }
  close(fd);
  return true;
}

bool FsyncDir(const std::string& dir) {
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return false;
  bool ok = fsync(dfd) == 0;
  close(dfd);
  return ok;
}

int64_t FileSize(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 ? int64_t(sb.st_size) : 0;
}

// The log. One per process.
class Log {
 public:
  // --- records (shard threads) ---
  std::atomic<bool> enabled{false};

  void AppendRecords(std::span<const std::pair<int, std::string>> recs) {
    if (recs.empty()) return;
    {
      std::lock_guard<std::mutex> l(mu_);
      bool wrap = recs.size() > 1;
      if (wrap) AppendCommand(&buf_, {"multi"});
      for (const auto& [db, rec] : recs) {
        SelectDb(db);
        buf_ += rec;
      }
      if (wrap) AppendCommand(&buf_, {"exec"});
      appended_.store(appended_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    ScheduleEndOfTurn();
  }

  // One command logged as given (LoggedAsGiven), encoded straight into the buffer.
  void AppendAsGiven(int db, std::span<const std::string_view> args) {
    {
      std::lock_guard<std::mutex> l(mu_);
      SelectDb(db);
      AppendCommandLowerName(&buf_, args);
      appended_.store(appended_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    ScheduleEndOfTurn();
  }

  // Records a SELECT first when `db` is not the one the log's last record ran in (mu_ held).
  void SelectDb(int db) {
    if (db == last_db_) return;
    std::string n = std::to_string(db);
    AppendCommand(&buf_, {"select", n});
    last_db_ = db;
  }

  // --- commit ---
  // Writes `data` to the incr file (io_mu_ held). A failed write under `always` exits, as Redis
  // does: the replies of these writes are held, but the writes themselves are done and can't be
  // taken back, and later reads may observe them, so what was acknowledged must be exactly what
  // the file holds. Otherwise a short write is cut off the file again, so the file never ends in
  // half a record; false, with *kept the bytes of `data` that stay in the file (0 unless the cut
  // failed), and writes are refused with -MISCONF (WriteError) until a retry succeeds.
  bool WriteToFile(std::string_view data, size_t* kept) {
    size_t done = 0;
    *kept = 0;
    if (WriteAllFd(fd_, data, &done)) {
      if (!write_ok_.load()) LOG_WARNING("AOF write error looks solved, Strata can write again.");
      write_ok_.store(true);
      current_size_.fetch_add(int64_t(data.size()));
      return true;
    }
    int e = errno;
    if (Policy() == kAlways) {
      LOG_WARNING("Error writing to the AOF file: %s", strerror(e));
      LOG_WARNING(
          "Can't recover from AOF write error when the AOF fsync policy is 'always'. "
          "Exiting...");
      _exit(1);
    }
    if (done > 0) {
      struct stat sb;
      if (fstat(fd_, &sb) != 0 || ftruncate(fd_, sb.st_size - off_t(done)) != 0) {
        LOG_WARNING(
            "Could not remove short write from the append-only file: %s; the next start may "
            "need aof-load-truncated",
            strerror(errno));
        current_size_.fetch_add(int64_t(done));
        *kept = done;
      }
    }
    write_errno_.store(e);
    if (write_ok_.exchange(false) || LogWriteErrorNow())
      LOG_WARNING("Error writing to the AOF file: %s", strerror(e));
    return false;
  }

  // Writes the buffer to the incr file (the end-of-turn step, with sync false: the fsync
  // thread fsyncs under always); with `sync`, also fsyncs unless the file is already fsynced
  // past what was written (closing the file, shutdown).
  void Commit(bool sync) {
    std::lock_guard<std::mutex> io(io_mu_);
    std::string data;
    uint64_t upto;
    {
      std::lock_guard<std::mutex> l(mu_);
      data.swap(buf_);
      upto = appended_.load(std::memory_order_relaxed);
    }
    if (fd_ < 0) {
      written_.store(upto);
      AdvanceSynced(upto);
      return;
    }
    if (!data.empty()) {
      if (Policy() == kEverysec && fsync_running_.load() &&
          (MonoMicros() / 1000) - fsync_started_ms_.load() > 2000) {
        // Redis's rule: an fsync running for over two seconds makes writes wait for it.
        delayed_fsync_.fetch_add(1);
        std::lock_guard<std::mutex> f(fsync_mu_);
      }
      size_t kept = 0;
      if (!WriteToFile(data, &kept)) {
        // What was not written goes back in front of the buffer and is retried at the next
        // commit (each loop turn with writes, and once a second from the background thread).
        std::lock_guard<std::mutex> l(mu_);
        data.erase(0, kept);
        data += buf_;
        buf_.swap(data);
        return;
      }
      written_.store(upto);
    }
    if (sync && synced_.load() < written_.load()) {
      if (fdatasync(fd_) != 0) {
        LOG_WARNING(
            "Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
            "%s. Exiting...",
            strerror(errno));
        _exit(1);
      }
      AdvanceSynced(upto);
    }
  }

  uint64_t appended() const { return appended_.load(std::memory_order_acquire); }
  uint64_t written() const { return written_.load(std::memory_order_acquire); }
  uint64_t synced() const { return synced_.load(std::memory_order_acquire); }

  // The fsync thread's step: fsyncs what is written so far and returns the position durable
  // now. Under always a failed fsync exits, as Redis does; under the other policies (changed at
  // run time while replies waited) it refuses writes until an fsync succeeds, like the
  // background fsync.
  uint64_t SyncWritten() {
    std::lock_guard<std::mutex> f(fsync_mu_);
    uint64_t target = written_.load(std::memory_order_acquire);
    if (synced_.load() >= target) return synced_.load();
    if (fd_ >= 0 && !Fsync(fd_)) return synced_.load();
    AdvanceSynced(target);
    return synced_.load();
  }

  // fdatasync of `fd` (fsync_mu_ held). Under always a failure exits, as Redis does; otherwise
  // it refuses writes until an fsync succeeds again (Redis's aof_bio_fsync_status). False when
  // it failed.
  bool Fsync(int fd) {
    if (fdatasync(fd) == 0) {
      if (!fsync_ok_.exchange(true)) LOG_WARNING("AOF fsync error looks solved.");
      return true;
    }
    int e = errno;
    if (Policy() == kAlways) {
      LOG_WARNING(
          "Can't persist AOF for fsync error when the AOF fsync policy is 'always': "
          "%s. Exiting...",
          strerror(e));
      _exit(1);
    }
    if (fsync_ok_.exchange(false)) LOG_WARNING("AOF fsync failed: %s", strerror(e));
    fsync_errno_.store(e);
    return false;
  }

  // Posts fn to r once the log is fsynced up to pos.
  void WhenSynced(uint64_t pos, io::Reactor* r, std::function<void()> fn) {
    sync_.WhenSynced(pos, r, std::move(fn));
  }
  void WantSynced(uint64_t pos) { sync_.Want(pos); }

  // Replies wait until the records before them are written (every policy, as Redis writes its
  // AOF buffer before it sends replies), and under `always` fsynced.
  bool RepliesMustWait() const {
    if (!enabled.load(std::memory_order_relaxed)) return false;
    uint64_t a = appended_.load(std::memory_order_acquire);
    return a > (Policy() == kAlways ? synced_ : written_).load(std::memory_order_acquire);
  }

  // Background thread: fsync about once a second (everysec), automatic rewrites.
  void BackgroundLoop() {
    std::unique_lock<std::mutex> l(bg_mu_);
    while (!bg_stop_) {
      bg_cv_.wait_for(l, std::chrono::milliseconds(1000));
      if (bg_stop_) break;
      l.unlock();
      if (enabled.load() && Policy() == kEverysec && synced_.load() < written_.load()) {
        std::lock_guard<std::mutex> f(fsync_mu_);
        uint64_t target = written_.load();
        int fd = fd_;  // fd_ changes only under fsync_mu_ too
        if (fd >= 0) {
          fsync_started_ms_.store((MonoMicros() / 1000));
          fsync_running_.store(true);
          bool ok = Fsync(fd);
          fsync_running_.store(false);
          if (ok) AdvanceSynced(target);
        }
      }
      // A failed write left its data in the buffer: retry it even without new writes.
      if (enabled.load() && !write_ok_.load()) Commit(false);
      MaybeAutoRewrite();
      l.lock();
    }
  }

  void StartBackground() {
    sync_.Start();
    if (bg_.joinable()) return;
    bg_ = std::thread([this] { BackgroundLoop(); });
  }
  void StopBackground() {
    {
      std::lock_guard<std::mutex> l(bg_mu_);
      bg_stop_ = true;
    }
    bg_cv_.notify_all();
    if (bg_.joinable()) bg_.join();
    sync_.Stop();
  }

  void MaybeAutoRewrite() {
    const Config& c = GlobalConfig();
    int64_t pct = c.auto_aof_rewrite_percentage.load();
    // As Redis, not while a rewrite or a background save runs.
    if (!enabled.load() || pct <= 0 || RewriteInProgress() || BackgroundWalkBusy()) return;
    int64_t cur = current_size_.load() + base_size_.load();
    int64_t base = base_size_.load() > 0 ? base_size_.load() : 1;
    if (cur < c.auto_aof_rewrite_min_size.load()) return;
    if ((cur - base) * 100 / base >= pct) {
      LOG_NOTICE("Starting automatic rewriting of AOF on %lld%% growth",
                 static_cast<long long>((cur - base) * 100 / base));
      ScheduleRewrite();
    }
  }

  // --- files (under files_mu_) ---
  std::string Dir() const { return GlobalConfig().appenddirname; }
  std::string Path(const std::string& name) const { return Dir() + "/" + name; }
  std::string ManifestName() const { return GlobalConfig().appendfilename + ".manifest"; }

  bool WriteManifest(const Manifest& m) {
    std::string tmp = Path("temp-" + ManifestName());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      LOG_WARNING("Can't open the AOF manifest file %s: %s", tmp.c_str(), strerror(errno));
      return false;
    }
    std::string text = FormatManifest(m);
    bool ok = WriteAllFd(fd, text) && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok || rename(tmp.c_str(), Path(ManifestName()).c_str()) != 0) {
      if (ok) e = errno;
      LOG_WARNING("Error writing the AOF manifest %s: %s", Path(ManifestName()).c_str(),
                  strerror(e));
      unlink(tmp.c_str());
      return false;
    }
    FsyncDir(Dir());
    return true;
  }

  // Switches appends to `fd` (a new incr file). What is buffered belongs to the current file: it
  // is written there and fsynced first; then `listed` runs (the manifest naming the new file,
  // durable before any record goes there); then the old file is closed and the new one starts
  // with a SELECT. Appends wait meanwhile (mu_ is held), so none lands in between. False, with
  // the log unchanged and `fd` not taken, when the write, the fsync or `listed` failed: as at
  // the end of a turn, a failed write is cut off the file again, its records stay in front of
  // the buffer (retried by the background thread) and writes are refused with -MISCONF until a
  // retry succeeds; under `always` the process exits, as Commit does.
  bool SwitchFile(int fd, const std::function<bool()>& listed = {}) {
    std::lock_guard<std::mutex> io(io_mu_);
    std::lock_guard<std::mutex> f(fsync_mu_);
    std::lock_guard<std::mutex> l(mu_);
    uint64_t upto = appended_.load();
    if (fd_ >= 0) {
      if (!buf_.empty()) {
        size_t kept = 0;
        if (!WriteToFile(buf_, &kept)) {
          buf_.erase(0, kept);  // the rest stays in front of the buffer, retried later
          return false;
        }
        buf_.clear();
      }
      written_.store(upto);
      if (!Fsync(fd_)) return false;
      synced_.store(upto);
    }
    if (listed && !listed()) return false;
    if (fd_ >= 0) close(fd_);
    buf_.clear();
    written_.store(upto);
    synced_.store(upto);
    fd_ = fd;
    last_db_ = -1;
    current_size_.store(0);
    return true;
  }

  void CloseFile() {
    Commit(true);
    {
      std::lock_guard<std::mutex> io(io_mu_);
      std::lock_guard<std::mutex> f(fsync_mu_);
      if (fd_ >= 0) close(fd_);
      fd_ = -1;
    }
    sync_.Poke();  // replies held for what was just fsynced
  }

  std::mutex files_mu;  // manifest and file names
  Manifest manifest;
  std::atomic<int64_t> base_size_{0};
  std::atomic<int64_t> current_size_{0};
  std::atomic<bool> write_ok_{true};
  std::atomic<int> write_errno_{0};
  std::atomic<bool> fsync_ok_{true};
  std::atomic<int> fsync_errno_{0};

  // The errno that makes writes refused, or 0 (Redis's writeCommandsDeniedByDiskError, AOF part).
  int WriteError() const {
    if (!write_ok_.load(std::memory_order_relaxed)) return write_errno_.load();
    if (!fsync_ok_.load(std::memory_order_relaxed)) return fsync_errno_.load();
    return 0;
  }

  // Repeated write errors are logged at most every 30 s (as Redis's AOF_WRITE_LOG_ERROR_RATE).
  bool LogWriteErrorNow() {
    int64_t now = MonoMicros() / 1000000;
    if (now - last_error_log_s_ < 30) return false;
    last_error_log_s_ = now;
    return true;
  }
  int64_t last_error_log_s_ = 0;  // under io_mu_
  std::atomic<uint64_t> delayed_fsync_{0};

 private:
  // The records are written by the reactor's end-of-turn step (kv/server/reply_hold.h), once
  // per reactor and turn, before it sends the turn's replies.
  void ScheduleEndOfTurn() { ScheduleTurnEnd(); }

  // synced_ only grows (several threads fsync: this one's commit, the fsync thread, the
  // background everysec thread).
  void AdvanceSynced(uint64_t v) {
    uint64_t cur = synced_.load();
    while (cur < v && !synced_.compare_exchange_weak(cur, v)) {
    }
  }

  std::mutex mu_;  // buf_, last_db_
  std::string buf_;
  int last_db_ = -1;
  std::atomic<uint64_t> appended_{0};  // units appended to buf_ so far

  std::mutex io_mu_;  // fd_ writes; taken before fsync_mu_
  int fd_ = -1;
  std::atomic<uint64_t> written_{0};  // units written to the file
  std::atomic<uint64_t> synced_{0};   // units fsynced

  std::mutex fsync_mu_;  // held by the background fsync; fd_ changes under it too
  std::atomic<bool> fsync_running_{false};
  std::atomic<int64_t> fsync_started_ms_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;
  std::thread bg_;

  SyncThread sync_{[this] { return SyncWritten(); }, [this] { return synced(); },
                   [this] { return written(); }};
};

Log& TheLog() {
  static Log* log = new Log;  // lives for the process: the background thread may outlive main
  return *log;
}

// The record of a command LoggedAsGiven refused: what EffectOf makes of it, if anything.
std::string EncodeRewritten(std::span<const std::string_view> args, std::string_view reply,
                            int64_t now_ms, bool* any) {
  std::string rec;
  std::vector<std::string> eff;
  *any = EffectOf(args, reply, now_ms, &eff);
  if (!*any) return rec;
  std::vector<std::string_view> v(eff.begin(), eff.end());
  AppendCommand(&rec, v);
  return rec;
}

std::string Encode(std::span<const std::string_view> args, std::string_view reply, int64_t now_ms,
                   bool* any) {
  std::string rec;
  if (LoggedAsGiven(args, reply)) {
    *any = true;
    AppendCommandLowerName(&rec, args);
    return rec;
  }
  return EncodeRewritten(args, reply, now_ms, any);
}

}  // namespace

bool Enabled() { return TheLog().enabled.load(std::memory_order_relaxed); }

void Unit::Add(int db, std::span<const std::string_view> args, std::string_view reply,
               int64_t now_ms) {
  bool any;
  std::string rec = Encode(args, reply, now_ms, &any);
  if (any) records.emplace_back(db, std::move(rec));
}

void Unit::Append(Unit&& other) {
  for (auto& r : other.records) records.push_back(std::move(r));
  other.records.clear();
}

void Feed(int db, std::span<const std::string_view> args, std::string_view reply, int64_t now_ms) {
  if (LoggedAsGiven(args, reply)) {
    TheLog().AppendAsGiven(db, args);
    return;
  }
  bool any;
  std::string rec = EncodeRewritten(args, reply, now_ms, &any);
  if (!any) return;
  std::pair<int, std::string> one{db, std::move(rec)};
  TheLog().AppendRecords(std::span<const std::pair<int, std::string>>(&one, 1));
}

void FeedUnit(Unit&& unit) {
  if (!Enabled()) return;
  TheLog().AppendRecords(unit.records);
  unit.records.clear();
}

void FeedContext(const CmdContext& ctx, std::string_view reply) {
  if (!Enabled() && !ctx.aof_unit) return;
  if (ctx.aof_unit)
    ctx.aof_unit->Add(ctx.db, ctx.args, reply, ctx.now_ms);
  else
    Feed(ctx.db, ctx.args, reply, ctx.now_ms);
}

bool KeylessWrite(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (!(spec.flags & cmd::kWrite) || !spec.keyless()) return false;
  std::vector<size_t> idx;
  CommandKeys(spec, args, &idx);
  return idx.empty();
}

int WriteError() { return Enabled() ? TheLog().WriteError() : 0; }

bool RepliesMustWait() { return TheLog().RepliesMustWait(); }
bool HoldsReplies() { return Enabled() && Policy() == kAlways; }

bool CommitForReplies(uint64_t* pos) {
  Log& log = TheLog();
  *pos = log.appended();
  if (log.written() < *pos) log.Commit(false);
  return Policy() != kAlways || log.synced() >= *pos;
}

uint64_t SyncedPosition() { return TheLog().synced(); }

void WhenDurable(uint64_t pos, io::Reactor* r, std::function<void()> fn) {
  TheLog().WhenSynced(pos, r, std::move(fn));
}

void WantDurable(uint64_t pos) { TheLog().WantSynced(pos); }

// ---------------------------------------------------------------------------------------------
// What the rewrite (aof_rewrite_job.cc) needs of the log and its files.

namespace detail {

std::string AofDir() { return TheLog().Dir(); }
std::string AofPath(const std::string& name) { return TheLog().Path(name); }

Manifest CurrentManifest() {
  Log& log = TheLog();
  std::lock_guard<std::mutex> l(log.files_mu);
  return log.manifest;
}

bool InstallManifest(const Manifest& m) {
  Log& log = TheLog();
  if (!log.WriteManifest(m)) return false;
  std::lock_guard<std::mutex> l(log.files_mu);
  log.manifest = m;
  return true;
}

void SetManifestInMemory(const Manifest& m) {
  Log& log = TheLog();
  std::lock_guard<std::mutex> l(log.files_mu);
  log.manifest = m;
}

bool SwitchToNewIncr(int fd, const std::function<bool()>& listed) {
  return TheLog().SwitchFile(fd, listed);
}

void StartLogging(bool on) { TheLog().enabled.store(on); }
void SetBaseSize(int64_t bytes) { TheLog().base_size_.store(bytes); }
int64_t SizeOf(const std::string& path) { return FileSize(path); }
bool SyncDir(const std::string& dir) { return FsyncDir(dir); }

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Start-up

struct StartupAof {
  struct Cmd {
    int db;
    std::vector<std::string> args;
    std::string file;
    size_t offset;
  };
  std::vector<Cmd> cmds;
  // Replay progress (ReplaySliceAtStart), on whichever shard thread runs a slice while the
  // others are parked; the main thread reads it between slices (the park orders the accesses).
  size_t next = 0, replayed = 0;
  int64_t t0_ms = -1;
  uint64_t replay_base_bytes = 0, incr_bytes = 0;  // for loading_loaded_bytes
};

StartupAof* NewStartupAof() { return new StartupAof; }
void FreeStartupAof(StartupAof* s) { delete s; }

namespace {

// Reads one RESP file's commands into s. `last`: the last file of the manifest (the only one
// whose tail may be torn).
bool ReadRespFile(const std::string& path, bool last, int databases, StartupAof* s) {
  std::string data;
  int err = 0;
  if (!ReadWholeFile(path, &data, &err)) {
    LOG_WARNING("Fatal error: can't open the append only file %s for reading: %s", path.c_str(),
                strerror(err));
    return false;
  }
  int db = 0;
  auto on_cmd = [&](const std::vector<std::string>& args, size_t off, std::string* fail) {
    if (args[0].size() == 6 && strcasecmp(args[0].c_str(), "select") == 0) {
      char* end = nullptr;
      long v = args.size() == 2 ? strtol(args[1].c_str(), &end, 10) : -1;
      if (args.size() != 2 || !end || *end || v < 0 || v >= databases) {
        *fail = "invalid SELECT";
        return false;
      }
      db = int(v);
      return true;
    }
    s->cmds.push_back(StartupAof::Cmd{db, args, path, off});
    return true;
  };
  ParseResult r = ParseCommands(data, on_cmd);
  if (r.kind == ParseResult::kCorrupt) {
    LOG_WARNING(
        "Bad file format reading the append only file %s at offset %zu: %s. Make a "
        "backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
        path.c_str(), r.offset, r.what.c_str());
    return false;
  }
  if (r.kind == ParseResult::kTruncated) {
    LOG_WARNING("!!! Warning: short read while loading the AOF file %s!!!", path.c_str());
    if (!last || !GlobalConfig().aof_load_truncated.load()) {
      LOG_WARNING(
          "Unexpected end of file reading the append only file %s at offset %zu. You "
          "can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
          "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' "
          "configuration option to yes and restart the server.",
          path.c_str(), r.offset);
      return false;
    }
    LOG_WARNING("!!! Warning: last valid command at offset %zu of %s, the rest is cut off!!!",
                r.offset, path.c_str());
    if (truncate(path.c_str(), off_t(r.offset)) != 0) {
      LOG_WARNING("Error truncating the AOF file %s: %s", path.c_str(), strerror(errno));
      return false;
    }
    LOG_WARNING("AOF %s loaded anyway because aof-load-truncated is enabled", path.c_str());
  }
  return true;
}

}  // namespace

int64_t BytesToLoadAtStart() {
  Log& log = TheLog();
  if (!GlobalConfig().appendonly.load()) return -1;
  std::string text;
  int err = 0;
  if (!ReadWholeFile(log.Path(log.ManifestName()), &text, &err)) return -1;
  Manifest m;
  std::string perr;
  if (!ParseManifest(text, &m, &perr)) return 0;
  int64_t total = 0;
  for (const ManifestFile& f : m.files) {
    int64_t sz = FileSize(log.Path(f.name));
    if (sz > 0) total += sz;
  }
  return total;
}

bool NoManifestAtStart() {
  if (!GlobalConfig().appendonly.load()) return true;
  Log& log = TheLog();
  struct stat sb;
  return stat(log.Path(log.ManifestName()).c_str(), &sb) != 0 && errno == ENOENT;
}

bool PrepareAtStart(uint32_t shards, int databases, StartupLoad* load, StartupAof* s,
                    bool* use_aof) {
  *use_aof = false;
  Log& log = TheLog();
  if (!GlobalConfig().appendonly.load()) return true;
  std::string mpath = log.Path(log.ManifestName());
  std::string text;
  int err = 0;
  if (!ReadWholeFile(mpath, &text, &err)) {
    if (err == ENOENT) return true;  // no AOF yet: the RDB snapshot, then a new base
    LOG_WARNING("Fatal error: can't read the AOF manifest %s: %s", mpath.c_str(), strerror(err));
    return false;
  }
  Manifest m;
  std::string perr;
  if (!ParseManifest(text, &m, &perr)) {
    LOG_WARNING("Invalid AOF manifest file %s: %s. Exiting.", mpath.c_str(), perr.c_str());
    return false;
  }
  *use_aof = true;
  int64_t t0 = (MonoMicros() / 1000);

  LOG_NOTICE("Reading the AOF described by %s", mpath.c_str());
  const ManifestFile* base = m.base();
  std::vector<const ManifestFile*> incrs;
  for (const ManifestFile& f : m.files)
    if (f.type == 'i') incrs.push_back(&f);
  if (base) {
    std::string bpath = log.Path(base->name);
    std::string head;
    int e2 = 0;
    // An RDB base starts with "REDIS"; otherwise it is commands.
    int fd = open(bpath.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char b[5];
      ssize_t n = read(fd, b, 5);
      head.assign(b, n > 0 ? size_t(n) : 0);
      close(fd);
    } else {
      e2 = errno;
      LOG_WARNING("Fatal error: can't open the AOF base %s: %s", bpath.c_str(), strerror(e2));
      return false;
    }
    if (head == "REDIS") {
      if (!ReadRdbAtStart(bpath, shards, databases, load)) return false;
      if (!FinishStartupLoad(load)) return false;
    } else if (!ReadRespFile(bpath, incrs.empty(), databases, s)) {
      return false;
    }
    log.base_size_.store(FileSize(bpath));
    if (head == "REDIS")
      s->replay_base_bytes = uint64_t(FileSize(bpath));
    else
      s->incr_bytes += uint64_t(FileSize(bpath));
  }
  int64_t incr_size = 0;
  for (size_t i = 0; i < incrs.size(); i++) {
    std::string p = log.Path(incrs[i]->name);
    if (!ReadRespFile(p, i + 1 == incrs.size(), databases, s)) return false;
    incr_size += FileSize(p);
    s->incr_bytes += uint64_t(FileSize(p));
  }
  log.current_size_.store(incr_size);
  {
    std::lock_guard<std::mutex> l(log.files_mu);
    log.manifest = m;
  }
  LOG_NOTICE("AOF read: %zu commands to replay (%lld ms)", s->cmds.size(),
             static_cast<long long>((MonoMicros() / 1000) - t0));
  return true;
}

bool ReplaySliceAtStart(StartupAof* s, int64_t max_us, bool* finished_all) {
  *finished_all = true;
  if (!s || s->cmds.empty()) return true;
  *finished_all = false;
  ShardSet& set = Shards();
  std::string reply;
  resp::ReplyBuilder rb(&reply);
  if (s->t0_ms < 0) s->t0_ms = (MonoMicros() / 1000);
  const int64_t slice_end = MonoMicros() + max_us;
  size_t& done = s->replayed;
  ShardSet::SetReplayInline(true);
  struct Reset {
    ~Reset() { ShardSet::SetReplayInline(false); }
  } reset;
  for (; s->next < s->cmds.size(); s->next++) {
    // A MULTI block's commands may straddle slices: no client runs a keyspace command between
    // slices (they are answered -LOADING), so the block is still applied as a whole.
    if ((s->next & 63) == 0 && MonoMicros() >= slice_end) break;
    const StartupAof::Cmd& c = s->cmds[s->next];
    std::vector<std::string_view> args(c.args.begin(), c.args.end());
    const CommandSpec* spec = CommandRegistry::Get().Find(args[0]);
    auto fail = [&c](const std::string& what) {
      LOG_WARNING("Error replaying the append only file %s at offset %zu: %s. Exiting.",
                  c.file.c_str(), c.offset, what.c_str());
      return false;
    };
    if (!spec) return fail("unknown command '" + c.args[0] + "'");
    int argc = int(args.size());
    if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity))
      return fail("wrong number of arguments for '" + c.args[0] + "'");
    auto run_on = [&](Shard& sh, std::span<const std::string_view> a) {
      CmdContext ctx;
      ctx.shard = &sh;
      ctx.db = c.db;
      ctx.args = a;
      ctx.rb = &rb;
      ctx.now_ms = UnixMillis();
      ctx.spec = spec;
      ctx.in_tx = true;
      reply.clear();
      ExecuteHandler(*spec, ctx, "aof-loader", "", /*serve_blocked=*/false);
    };
    std::vector<size_t> idx;
    if (!spec->keyless() || spec->multi) CommandKeys(*spec, args, &idx);
    int owner = -1;
    for (size_t i : idx) {
      int o = int(set.ShardOf(HashKey(args[i])));
      if (owner < 0) owner = o;
      if (o != owner) owner = -2;
    }
    if (owner >= 0 && spec->handler && !(spec->flags & cmd::kBlocking)) {
      run_on(*set.shard(uint32_t(owner)), args);  // the common case: one shard
    } else if (spec->multi) {
      // A coordinator (keys on several shards, a keyless command across shards, a blocking
      // command): its hops run inline (ShardSet::SetReplayInline), it takes no locks (in_tx)
      // and does not block.
      int here = ShardSet::Current();
      CmdContext ctx;
      ctx.shard = set.shard(here >= 0 ? uint32_t(here) : 0);
      ctx.db = c.db;
      ctx.args = args;
      ctx.rb = &rb;
      ctx.now_ms = UnixMillis();
      ctx.spec = spec;
      ctx.in_tx = true;
      reply.clear();
      bool finished = false;
      {
        ShardSet::SyncScope sync;
        RunDetached(spec->multi(ctx), [&finished] { finished = true; });
      }
      if (!finished) return fail("command '" + c.args[0] + "' did not complete");
    } else if (spec->keyless()) {
      LOG_WARNING("AOF: command '%s' at offset %zu of %s skipped (not replayed)", c.args[0].c_str(),
                  c.offset, c.file.c_str());
      continue;
    } else {
      return fail("command '" + c.args[0] + "' with keys on several shards cannot be replayed");
    }
    done++;
  }
  LoadingProgress(s->replay_base_bytes + s->incr_bytes * s->next / s->cmds.size());
  if (s->next < s->cmds.size()) return true;
  *finished_all = true;
  for (uint32_t i = 0; i < set.size(); i++) set.shard(i)->PublishMemory();
  LOG_NOTICE("DB loaded from append only file: %zu commands replayed in %.3f seconds", done,
             double((MonoMicros() / 1000) - s->t0_ms) / 1000.0);
  s->cmds.clear();
  s->cmds.shrink_to_fit();
  return true;
}

namespace {

void OnAppendonlyChange(bool on) {
  Log& log = TheLog();
  if (on) {
    ScheduleRewrite();
  } else {
    log.enabled.store(false);
    log.CloseFile();
  }
}

}  // namespace

void StartAfterLoad(bool loaded_from_aof) {
  Log& log = TheLog();
  Config& cfg = GlobalConfig();
  log.StartBackground();
  cfg.appendonly_hook.store(&OnAppendonlyChange);
  if (!cfg.appendonly.load()) return;
  if (!loaded_from_aof) {
    // No AOF yet: a base from the dataset just loaded (the RDB, if any), then a new incr.
    ScheduleRewrite();
    return;
  }
  Manifest m;
  {
    std::lock_guard<std::mutex> l(log.files_mu);
    m = log.manifest;
  }
  // Appends go to the last incr file; a manifest with none gets a new one.
  const ManifestFile* last = nullptr;
  for (const ManifestFile& f : m.files)
    if (f.type == 'i') last = &f;
  std::string name;
  if (last) {
    name = last->name;
  } else {
    uint64_t seq = m.NextIncrSeq();
    name = cfg.appendfilename + "." + std::to_string(seq) + ".incr.aof";
    m.files.push_back(ManifestFile{name, seq, 'i'});
  }
  std::string path = log.Path(name);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || (!last && !log.WriteManifest(m))) {
    LOG_WARNING("Can't open the append-only file %s: %s", path.c_str(), strerror(errno));
    if (fd >= 0) close(fd);
    return;
  }
  {
    std::lock_guard<std::mutex> l(log.files_mu);
    log.manifest = m;
  }
  log.SwitchFile(fd);
  log.current_size_.store(FileSize(path));
  log.enabled.store(true);
}

void StopBackground() { TheLog().StopBackground(); }

void Shutdown() {
  Log& log = TheLog();
  log.StopBackground();
  if (log.enabled.load()) log.Commit(true);
}

std::vector<std::pair<std::string, std::string>> InfoFields() {
  Log& log = TheLog();
  const RewriteStatus& rw = Rewrites();
  auto s = [](int64_t v) { return std::to_string(v); };
  std::vector<std::pair<std::string, std::string>> f = {
      {"aof_enabled", log.enabled.load() ? "1" : "0"},
      {"aof_rewrite_in_progress", rw.in_progress.load() ? "1" : "0"},
      {"aof_rewrite_scheduled", rw.scheduled.load() ? "1" : "0"},
      {"aof_last_rewrite_time_sec", s(rw.last_secs.load())},
      {"aof_current_rewrite_time_sec",
       s(rw.in_progress.load() ? (MonoMicros() / 1000 - rw.started_ms.load()) / 1000 : -1)},
      {"aof_last_bgrewrite_status", rw.last_ok.load() ? "ok" : "err"},
      {"aof_rewrites", std::to_string(rw.rewrites.load())},
      {"aof_last_write_status", log.write_ok_.load() ? "ok" : "err"},
  };
  if (log.enabled.load()) {
    int64_t base = log.base_size_.load();
    f.push_back({"aof_current_size", s(base + log.current_size_.load())});
    f.push_back({"aof_base_size", s(base)});
    f.push_back({"aof_pending_rewrite", "0"});
    f.push_back({"aof_buffer_length", "0"});
    f.push_back({"aof_pending_bio_fsync", "0"});
    f.push_back({"aof_delayed_fsync", std::to_string(log.delayed_fsync_.load())});
  }
  return f;
}

}  // namespace strata::kv::aof
