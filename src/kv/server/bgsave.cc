#include "kv/server/bgsave.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "base/clock.h"
#include "base/crc64.h"
#include "base/log.h"
#include "base/strutil.h"
#include "io/reactor.h"
#include "kv/aof/aof_format.h"
#include "kv/aof/aof_log.h"
#include "kv/engine/bucket_progress.h"
#include "kv/engine/db_table.h"
#include "kv/engine/shard.h"
#include "kv/memcache/meta_table.h"
#include "kv/rdb/rdb_file.h"
#include "kv/rdb/rdb_keyspace.h"
#include "kv/rdb/rdb_string.h"
#include "kv/server/blocking.h"
#include "kv/server/config.h"
#include "kv/server/shard_set.h"
#include "kv/server/snapshot.h"
#include "kv/server/task.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/multi_key.h"

namespace strata::kv {

std::atomic<bool> g_stop_writes_on_bgsave_error{true};

namespace {

constexpr size_t kChunkBytes = 64 * 1024;  // a shard hands the writer chunks of about this size
constexpr int kMaxQueuedChunks = 8;        // per shard: the walk pauses above this
constexpr int64_t kSliceMicros = 1000;     // walk time per loop turn
constexpr int64_t kRetryDelaySec = 5;      // Redis's CONFIG_BGSAVE_RETRY_DELAY
constexpr uint32_t kMaxPublished = 1024;   // shards whose write counters the cron sees

std::mutex g_rules_mu;
std::vector<SaveRule> g_rules = {{3600, 1}, {300, 100}, {60, 10000}};  // Redis's defaults
std::atomic<bool> g_have_rules{true};

std::atomic<uint64_t> g_dirty[kMaxPublished];
std::atomic<bool> g_running{false};  // a BGSAVE runs
// The background walk (BGSAVE or the AOF rewrite) is in use: a table has one observer.
std::atomic<bool> g_walk_busy{false};
// BGSAVE SCHEDULE (or BGSAVE inside EXEC) asked for a save while the walk was busy.
std::atomic<bool> g_bgsave_scheduled{false};
std::atomic<int64_t> g_started_ms{0};
std::atomic<int64_t> g_last_time_sec{-1};
std::atomic<uint64_t> g_last_cow{0};
std::atomic<int64_t> g_last_try_s{0};
// The last background save failed (a failed foreground SAVE alone does not deny writes, as in
// Redis; a good SAVE or BGSAVE lifts the denial).
std::atomic<bool> g_bg_failed{false};

std::mutex g_tmp_mu;
std::string g_tmp_path;  // the running BGSAVE's temp file

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string("unknown");
}

class Job;

// One shard's part of a background save. Everything but `spent_` and `queued_` is touched only
// by the shard's own thread.
class ShardWork {
 public:
  ShardWork(Job* job, uint32_t id) : job_(job), id_(id) {}

  void Begin(Shard& s);
  void Slice();
  // Writer thread: a written chunk's buffer comes back.
  void GiveBack(std::string&& bytes) {
    std::lock_guard<std::mutex> lock(spent_mu_);
    spent_.push_back(std::move(bytes));
    queued_.fetch_sub(1, std::memory_order_relaxed);
  }
  // Shard thread, once the writer is done: frees what is left.
  void Release() {
    FreeSpent();
    std::string().swap(buf_);
    tables_.clear();
    tables_.shrink_to_fit();
  }

 private:
  struct TableWalk final : BucketObserver {
    ShardWork* w = nullptr;
    DbTable* table = nullptr;
    int db = 0;
    bool attached = false;
    BucketProgress progress;
    void BeforeBucket(DbTable&, size_t idx) override {
      if (progress.Take(idx)) w->WriteBucket(*this, idx, true);
    }
    void BeforeWhole(DbTable&) override { w->FinishTable(*this); }
  };

  void WriteBucket(TableWalk& t, size_t idx, bool early);
  void FinishTable(TableWalk& t);
  void Flush();
  void FreeSpent();
  void Finish();
  void Rearm();

  Job* job_;
  uint32_t id_;
  const memcache::MetaTable* meta_ = nullptr;  // the shard's lease placeholders are left out
  bool finished_ = false;
  std::vector<std::unique_ptr<TableWalk>> tables_;
  std::string buf_;
  int buf_db_ = -1;
  std::mutex spent_mu_;
  std::vector<std::string> spent_;
  std::atomic<int> queued_{0};
};

struct Chunk {
  uint32_t shard = 0;
  bool last = false;  // the shard has nothing more
  std::string bytes;
};

// One background save: the shards' walks, the chunk queue and the writer thread.
class Job : public std::enable_shared_from_this<Job> {
 public:
  uint32_t n = 0;
  int64_t start_ms = 0;
  bool compress = true, checksum = true;
  // An AOF base (BGREWRITEAOF): `commands` writes RESTORE ... ABSTTL records instead of an RDB;
  // `at_point` runs at the instant, `on_done` replaces BGSAVE's bookkeeping.
  bool aof_base = false, commands = false;
  std::function<bool()> at_point;
  std::function<void(bool)> on_done;
  std::string header, dir, tmp_path, final_path;
  int fd = -1;
  std::vector<std::unique_ptr<ShardWork>> work;
  std::vector<uint64_t> dirty;  // each shard's write counter at the start
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> early_bytes{0};

  void Push(Chunk&& c) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      q_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  void WriterMain();
  void Finalize(bool ok);
  void ReleaseShards();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> q_;
};

void ShardWork::Begin(Shard& s) {
  meta_ = &s.mc_meta();
  for (int db = 0; db < s.databases(); db++) {
    DbTable& t = s.db(db);
    if (t.size() == 0) continue;
    t.FinishRehash();  // the bucket array stays as it is now until the walk is done
    auto w = std::make_unique<TableWalk>();
    w->w = this;
    w->table = &t;
    w->db = db;
    w->attached = true;
    w->progress = BucketProgress(t.main_buckets());
    t.SetObserver(w.get());
    tables_.push_back(std::move(w));
  }
  buf_.reserve(kChunkBytes + kChunkBytes / 4);
  Rearm();
}

void ShardWork::Rearm() {
  std::shared_ptr<Job> job = job_->shared_from_this();
  uint32_t id = id_;
  Shards().reactor(id_)->RunAfter(1, [job, id] { job->work[id]->Slice(); });
}

void ShardWork::WriteBucket(TableWalk& t, size_t idx, bool early) {
  rdb::NoCompressionScope no_lzf(!job_->compress);
  size_t before = buf_.size();
  int64_t now = job_->start_ms;
  t.table->ForEachInBucket(idx, [&](Entry* e) {
    int64_t expire = -1;
    if (e->has_expire()) {
      expire = e->expire_ms();
      if (expire <= now) return;  // expired at the start: left out, as SAVE does
    }
    if (t.db == 0 && meta_->IsPlaceholder(e->key())) return;  // a lease's, not data
    if (job_->commands) {
      if (buf_db_ != t.db) {
        std::string n = std::to_string(t.db);
        aof::AppendCommand(&buf_, {"SELECT", n});
        buf_db_ = t.db;
      }
      std::string payload = rdb::CreateDumpPayload(rdb::ValueOf(e));
      std::string ttl = std::to_string(expire < 0 ? 0 : expire);
      aof::AppendCommand(&buf_, {"RESTORE", e->key(), ttl, payload, "ABSTTL"});
      return;
    }
    if (buf_db_ != t.db) {
      rdb::AppendSelectDbOnly(&buf_, uint64_t(t.db));
      buf_db_ = t.db;
    }
    rdb::AppendKey(&buf_, e->key(), rdb::ValueOf(e), expire);
  });
  if (early) job_->early_bytes.fetch_add(buf_.size() - before, std::memory_order_relaxed);
  if (buf_.size() >= kChunkBytes) Flush();
}

void ShardWork::FinishTable(TableWalk& t) {
  if (!t.attached) return;
  // FLUSHDB, FLUSHALL or SWAPDB: the rest of this table is written now, before it changes.
  for (size_t i = t.progress.NextForWalk(); i < t.progress.buckets(); i = t.progress.NextForWalk())
    if (t.progress.Take(i)) WriteBucket(t, i, true);
  t.table->SetObserver(nullptr);
  t.attached = false;
}

void ShardWork::Flush() {
  if (buf_.empty()) return;
  Chunk c;
  c.shard = id_;
  c.bytes = std::move(buf_);
  queued_.fetch_add(1, std::memory_order_relaxed);
  job_->Push(std::move(c));
  buf_db_ = -1;
  buf_ = std::string();
  {
    std::lock_guard<std::mutex> lock(spent_mu_);
    if (!spent_.empty()) {  // reuse a returned buffer's capacity
      buf_ = std::move(spent_.back());
      spent_.pop_back();
    }
  }
  buf_.clear();
  if (buf_.capacity() < kChunkBytes) buf_.reserve(kChunkBytes + kChunkBytes / 4);
}

void ShardWork::FreeSpent() {
  std::vector<std::string> spent;
  {
    std::lock_guard<std::mutex> lock(spent_mu_);
    spent.swap(spent_);
  }
  // Destroyed here, on the shard's thread, whose memory ledger allocated them.
}

void ShardWork::Finish() {
  if (finished_) return;
  finished_ = true;
  for (auto& t : tables_) {
    if (t->attached) t->table->SetObserver(nullptr);
    t->attached = false;
  }
  if (job_->failed.load()) buf_.clear();
  Flush();
  Chunk c;
  c.shard = id_;
  c.last = true;
  job_->Push(std::move(c));
}

void ShardWork::Slice() {
  if (finished_) return;
  FreeSpent();
  if (job_->failed.load(std::memory_order_relaxed)) {
    Finish();
    return;
  }
  int64_t deadline = MonoMicros() + kSliceMicros;
  for (;;) {
    if (queued_.load(std::memory_order_relaxed) >= kMaxQueuedChunks) break;  // backpressure
    TableWalk* t = nullptr;
    for (auto& w : tables_) {
      if (w->attached && !w->progress.complete()) {
        t = w.get();
        break;
      }
    }
    if (!t) {
      Finish();
      return;
    }
    for (int k = 0; k < 256; k++) {
      size_t i = t->progress.NextForWalk();
      if (i >= t->progress.buckets()) break;
      t->progress.Take(i);
      WriteBucket(*t, i, false);
    }
    if (t->progress.complete()) {
      t->table->SetObserver(nullptr);
      t->attached = false;
    }
    if (MonoMicros() > deadline) break;
  }
  Rearm();
}

void Job::WriterMain() {
  CrcFileWriter out(fd);
  const char* op = nullptr;
  int err = 0;
  auto fail = [&](const char* what) {
    if (op) return;
    op = what;
    err = errno;
    failed.store(true);
  };
  if (!header.empty() && !out.Write(header)) fail("write");
  uint32_t done = 0;
  while (done < n) {
    Chunk c;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !q_.empty(); });
      c = std::move(q_.front());
      q_.pop_front();
    }
    if (c.last) {
      done++;
      continue;
    }
    if (!op && !out.Write(c.bytes)) fail("write");
    work[c.shard]->GiveBack(std::move(c.bytes));
  }
  if (!op) {
    std::string tail;
    if (!commands) rdb::AppendEof(&tail, out.crc(), checksum);
    if (!out.Write(tail))
      fail("write");
    else if (fsync(fd) != 0)
      fail("fsync");
  }
  if (close(fd) != 0) fail("close");
  fd = -1;
  bool ok = !op;
  if (!ok) {
    LOG_WARNING("Write error saving DB on disk(%s): %s", op, strerror(err));
  } else if (rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    LOG_WARNING(
        "Error moving temp DB file %s on the final destination %s (in server root dir %s): %s",
        tmp_path.c_str(), final_path.c_str(), dir.c_str(), strerror(errno));
    ok = false;
  } else {
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
      LOG_WARNING("Write error saving DB on disk(fsync of the directory): %s", strerror(errno));
      ok = false;
    }
    if (dfd >= 0) close(dfd);
  }
  if (!ok) unlink(tmp_path.c_str());
  Finalize(ok);
}

void Job::Finalize(bool ok) {
  // The walk is free before the status says the job ended, so whoever sees it ended can start
  // the next one at once.
  ReleaseShards();
  if (on_done) {
    on_done(ok);
    return;
  }
  SaveStatus& st = GetSaveStatus();
  int64_t now = UnixMillis();
  if (ok) {
    uint64_t d = 0;
    for (uint64_t x : dirty) d += x;
    LOG_NOTICE("DB saved on disk");
    LOG_NOTICE("Background saving terminated with success");
    st.last_save_s.store(now / 1000);
    st.dirty_at_save.store(d);
    st.saves.fetch_add(1);
  } else {
    LOG_WARNING("Background saving error");
  }
  st.last_ok.store(ok);
  g_bg_failed.store(!ok);
  g_last_time_sec.store((now - start_ms) / 1000);
  g_last_cow.store(early_bytes.load());
  g_running.store(false);
  st.in_progress.store(false);
}

void Job::ReleaseShards() {
  // Each shard frees what it allocated for this walk on its own thread.
  std::shared_ptr<Job> self = shared_from_this();
  for (uint32_t i = 0; i < uint32_t(work.size()); i++)
    Shards().Post(i, [self, i] { self->work[i]->Release(); });
  {
    std::lock_guard<std::mutex> lock(g_tmp_mu);
    g_tmp_path.clear();
  }
  g_walk_busy.store(false);
}

// Runs a walk whose slot (g_walk_busy) is claimed and whose paths are set: opens the temp file,
// fixes the instant under every shard's all-keys lock, starts the shards' walks and the writer.
Task<void> RunWalk(std::shared_ptr<Job> job) {
  const uint32_t n = Shards().size();
  job->n = n;
  for (uint32_t i = 0; i < n; i++) job->work.push_back(std::make_unique<ShardWork>(job.get(), i));
  job->dirty.assign(n, 0);
  job->fd = open(job->tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  {
    std::lock_guard<std::mutex> lock(g_tmp_mu);
    g_tmp_path = job->tmp_path;
  }
  job->start_ms = UnixMillis();
  if (job->fd < 0) {
    LOG_WARNING("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s",
                job->tmp_path.c_str(), Cwd().c_str(), strerror(errno));
    job->Finalize(false);
    co_return;
  }
  // One instant for every shard, as SAVE: every shard's all-keys lock, in ascending order.
  co_await LockEveryShard();
  job->start_ms = UnixMillis();
  if (!job->on_done) g_started_ms.store(job->start_ms);
  if (job->at_point && !job->at_point()) {
    // Abandoned at the instant (the AOF rewrite could not switch its log): nothing was walked.
    co_await Shards().Broadcast([](Shard& s, uint32_t) { UnlockAllKeys(s); });
    close(job->fd);
    job->fd = -1;
    unlink(job->tmp_path.c_str());
    job->Finalize(false);
    co_return;
  }
  if (!job->commands) job->header = RdbFileHeader(job->start_ms, job->aof_base);
  Job* j = job.get();
  co_await Shards().Broadcast([j](Shard& s, uint32_t i) {
    j->dirty[i] = s.dirty();
    j->work[i]->Begin(s);
    UnlockAllKeys(s);
  });
  std::thread([job] { job->WriterMain(); }).detach();
}

}  // namespace

std::string ParseSaveRules(const std::vector<std::string>& words, std::vector<SaveRule>* out) {
  std::vector<std::string> w;
  for (const auto& s : words) {
    std::istringstream is(s);
    std::string t;
    while (is >> t) w.push_back(t);
  }
  if (w.size() % 2 != 0) return "Invalid save parameters";
  out->clear();
  for (size_t i = 0; i < w.size(); i += 2) {
    int64_t a, b;
    if (!ParseInt64(w[i], &a) || a < 0 || !ParseInt64(w[i + 1], &b) || b < 0)
      return "Invalid save parameters";
    out->push_back({a, b});
  }
  return "";
}

namespace {
bool g_rules_at_runtime = false;  // under g_rules_mu
bool g_rules_from_config = false;
}  // namespace

void SetSaveRules(std::vector<SaveRule> rules) {
  std::lock_guard<std::mutex> lock(g_rules_mu);
  if (!g_rules_at_runtime) {
    // The config file and command line, as Redis: the first `save` replaces the defaults, later
    // ones add their rules (several `save` lines make one schedule).
    if (!g_rules_from_config) g_rules.clear();
    g_rules_from_config = true;
    g_rules.insert(g_rules.end(), rules.begin(), rules.end());
  } else {
    g_rules = std::move(rules);  // CONFIG SET replaces the whole schedule
  }
  g_have_rules.store(!g_rules.empty());
}

void SaveRulesConfigured() {
  std::lock_guard<std::mutex> lock(g_rules_mu);
  g_rules_at_runtime = true;
}

std::vector<SaveRule> GetSaveRules() {
  std::lock_guard<std::mutex> lock(g_rules_mu);
  return g_rules;
}

std::string SaveRulesText() {
  std::string s;
  for (const SaveRule& r : GetSaveRules()) {
    if (!s.empty()) s += ' ';
    s += std::to_string(r.seconds) + " " + std::to_string(r.changes);
  }
  return s;
}

namespace {

// Claims the save slot and the walk and prepares the job. Null when a save runs (*other false)
// or the walk is busy with an AOF rewrite (*other true).
std::shared_ptr<Job> BeginJob(bool* other) {
  SaveStatus& st = GetSaveStatus();
  *other = false;
  if (st.in_progress.exchange(true)) return nullptr;
  if (g_walk_busy.exchange(true)) {
    st.in_progress.store(false);
    *other = true;
    return nullptr;
  }
  g_running.store(true);
  g_started_ms.store(UnixMillis());
  g_last_try_s.store(UnixMillis() / 1000);
  auto job = std::make_shared<Job>();
  const Config& cfg = GlobalConfig();
  job->compress = cfg.rdbcompression.load(std::memory_order_relaxed);
  job->checksum = cfg.rdbchecksum.load(std::memory_order_relaxed);
  // Paths fixed now, so a CONFIG SET dir meanwhile does not move the save.
  job->dir = Cwd();
  char tmp[64];
  snprintf(tmp, sizeof(tmp), "temp-bgsave-%d.rdb", int(getpid()));
  job->tmp_path = job->dir + "/" + tmp;
  job->final_path = job->dir + "/" + GlobalConfig().dbfilename();
  LOG_NOTICE("Background saving started");
  return job;
}

}  // namespace

bool StartBgsave() {
  bool other;
  std::shared_ptr<Job> job = BeginJob(&other);
  if (!job) return false;
  RunDetached(RunWalk(std::move(job)), [] {});
  return true;
}

Task<BgsaveStart> BgsaveFromCommand(bool schedule, bool in_exec) {
  // As Redis: a save already running is an error even inside EXEC; inside EXEC (whose locks
  // the save's instant would wait for) or while the walk is busy with an AOF rewrite, the save
  // is scheduled (SCHEDULE) or refused.
  if (GetSaveStatus().in_progress.load()) co_return BgsaveStart::kSaveRunning;
  if (in_exec) {
    g_bgsave_scheduled.store(true);
    co_return BgsaveStart::kScheduled;
  }
  bool other;
  std::shared_ptr<Job> job = BeginJob(&other);
  if (!job) {
    if (!other) co_return BgsaveStart::kSaveRunning;
    if (!schedule) co_return BgsaveStart::kOtherRunning;
    g_bgsave_scheduled.store(true);
    co_return BgsaveStart::kScheduled;
  }
  co_await RunWalk(std::move(job));
  co_return BgsaveStart::kStarted;
}

bool ClaimBackgroundWalk() { return !g_walk_busy.exchange(true); }
void ReleaseBackgroundWalk() { g_walk_busy.store(false); }
bool BackgroundWalkBusy() { return g_walk_busy.load(); }

Task<void> RunAofBaseWalk(AofBaseWalk w) {
  auto job = std::make_shared<Job>();
  const Config& cfg = GlobalConfig();
  job->compress = cfg.rdbcompression.load(std::memory_order_relaxed);
  job->checksum = cfg.rdbchecksum.load(std::memory_order_relaxed);
  job->aof_base = true;
  job->commands = w.commands;
  job->dir = std::move(w.dir);
  job->tmp_path = std::move(w.tmp_path);
  job->final_path = std::move(w.final_path);
  job->at_point = std::move(w.at_point);
  job->on_done = std::move(w.done);
  co_await RunWalk(std::move(job));
}

namespace {

std::atomic<bool> g_shutdown_by_command{false};

Task<void> FinalSave(std::promise<SaveResult>* done) {
  SaveResult r = co_await SaveSnapshot();
  done->set_value(r);
}

}  // namespace

void RemoveBgsaveTempFile() {
  std::lock_guard<std::mutex> lock(g_tmp_mu);
  if (!g_tmp_path.empty()) unlink(g_tmp_path.c_str());
}

void NoteShutdownByCommand() { g_shutdown_by_command.store(true); }

bool SaveBeforeSignalExit() {
  if (g_shutdown_by_command.exchange(false) || !g_have_rules.load()) return true;
  LOG_NOTICE("Saving the final RDB snapshot before exiting.");
  for (;;) {
    while (GetSaveStatus().in_progress.load()) usleep(10000);  // a BGSAVE ends first
    std::promise<SaveResult> done;
    std::future<SaveResult> f = done.get_future();
    std::promise<SaveResult>* dp = &done;
    Shards().Post(0, [dp] { RunDetached(FinalSave(dp), [] {}); });
    SaveResult r = f.get();
    if (r == SaveResult::kBusy) continue;
    if (r == SaveResult::kOk) return true;
    LOG_WARNING("Error trying to save the DB, can't exit.");
    return false;
  }
}

bool WritesDeniedBySaveError() {
  return g_bg_failed.load(std::memory_order_relaxed) &&
         !GetSaveStatus().last_ok.load(std::memory_order_relaxed) &&
         g_stop_writes_on_bgsave_error.load(std::memory_order_relaxed) &&
         g_have_rules.load(std::memory_order_relaxed);
}

BgsaveReport GetBgsaveReport() {
  BgsaveReport r;
  r.in_progress = g_running.load();
  r.last_time_sec = g_last_time_sec.load();
  if (r.in_progress) r.current_time_sec = (UnixMillis() - g_started_ms.load()) / 1000;
  r.last_cow_bytes = g_last_cow.load();
  return r;
}

void BgsaveCron(Shard& s) {
  if (s.id() < kMaxPublished) g_dirty[s.id()].store(s.dirty(), std::memory_order_relaxed);
  if (s.id() != 0) return;
  SaveStatus& st = GetSaveStatus();
  // Work scheduled while the walk was busy, as Redis's cron: a rewrite first, then a save (after
  // a failed save, only once the retry delay has passed).
  if (!g_walk_busy.load()) aof::StartScheduledRewrite();
  if (g_bgsave_scheduled.load() && !g_walk_busy.load() && !st.in_progress.load() &&
      (UnixMillis() / 1000 - g_last_try_s.load() > kRetryDelaySec || st.last_ok.load())) {
    if (StartBgsave()) g_bgsave_scheduled.store(false);
  }
  if (!g_have_rules.load(std::memory_order_relaxed)) return;
  if (st.in_progress.load() || g_walk_busy.load()) return;
  uint32_t n = Shards().size();
  uint64_t dirty = 0;
  for (uint32_t i = 0; i < n && i < kMaxPublished; i++)
    dirty += g_dirty[i].load(std::memory_order_relaxed);
  uint64_t at = st.dirty_at_save.load();
  dirty = dirty > at ? dirty - at : 0;
  int64_t now = UnixMillis() / 1000;
  for (const SaveRule& r : GetSaveRules()) {
    if (dirty >= uint64_t(r.changes) && now - st.last_save_s.load() > r.seconds &&
        (now - g_last_try_s.load() > kRetryDelaySec || st.last_ok.load())) {
      LOG_NOTICE("%lld changes in %lld seconds. Saving...", static_cast<long long>(r.changes),
                 static_cast<long long>(r.seconds));
      StartBgsave();
      break;
    }
  }
}

}  // namespace strata::kv
