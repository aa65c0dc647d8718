#include "kv/server/snapshot.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <thread>

#include "base/clock.h"
#include "base/crc64.h"
#include "base/log.h"
#include "base/memory.h"
#include "kv/engine/db_table.h"
#include "kv/engine/key_snapshot.h"
#include "kv/engine/memory_accounting.h"
#include "kv/engine/shard.h"
#include "kv/memcache/meta_table.h"
#include "kv/rdb/rdb_file.h"
#include "kv/server/blocking.h"
#include "kv/server/config.h"
#include "kv/server/loading.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"
#include "kv/tx/multi_key.h"
#include "kv/version.h"

namespace strata::kv {

rdb::BuildLimits ConfiguredBuildLimits() {
  const auto& c = GlobalConfig();
  auto nonneg = [](int64_t v) { return v < 0 ? size_t(0) : size_t(v); };
  rdb::BuildLimits l;
  l.hash_max_entries = nonneg(c.hash_max_listpack_entries.load(std::memory_order_relaxed));
  l.hash_max_value = nonneg(c.hash_max_listpack_value.load(std::memory_order_relaxed));
  l.list_fill = int(c.list_max_listpack_size.load(std::memory_order_relaxed));
  l.list_depth = int(c.list_compress_depth.load(std::memory_order_relaxed));
  l.set_max_intset = nonneg(c.set_max_intset_entries.load(std::memory_order_relaxed));
  l.zset_max_entries = nonneg(c.zset_max_listpack_entries.load(std::memory_order_relaxed));
  l.zset_max_value = nonneg(c.zset_max_listpack_value.load(std::memory_order_relaxed));
  l.stream_node_bytes = nonneg(c.stream_node_max_bytes.load(std::memory_order_relaxed));
  l.stream_node_entries = nonneg(c.stream_node_max_entries.load(std::memory_order_relaxed));
  return l;
}

SaveStatus& GetSaveStatus() {
  static SaveStatus* s = [] {
    auto* st = new SaveStatus;
    st->last_save_s.store(UnixMillis() / 1000);
    return st;
  }();
  return *s;
}

bool CrcFileWriter::Write(std::string_view data) {
  crc_ = Crc64(crc_, data);
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(size_t(n));
  }
  return true;
}

std::string RdbFileHeader(int64_t now_ms, bool aof_base) {
  std::string head;
  rdb::AppendFileMagic(&head);
  rdb::AppendAux(&head, "redis-ver", kRedisCompatVersion);
  rdb::AppendAux(&head, "redis-bits", std::to_string(sizeof(void*) * 8));
  rdb::AppendAux(&head, "ctime", std::to_string(now_ms / 1000));
  rdb::AppendAux(&head, "used-mem", std::to_string(MemoryAccounting::Get().Used()));
  rdb::AppendAux(&head, "aof-base", aof_base ? "1" : "0");
  return head;
}

namespace {

std::string Cwd() {
  char buf[PATH_MAX];
  return getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string("unknown");
}

// One shard's keys, serialized database by database.
struct ShardPart {
  std::vector<std::string> bytes;  // per database
  std::vector<uint64_t> keys, expires;
  uint64_t dirty = 0;
};

void SerializeShard(Shard& s, int64_t now_ms, bool compress, ShardPart* p) {
  rdb::NoCompressionScope no_lzf(!compress);
  size_t dbs = size_t(s.databases());
  p->bytes.resize(dbs);
  p->keys.assign(dbs, 0);
  p->expires.assign(dbs, 0);
  p->dirty = s.dirty();
  for (size_t db = 0; db < dbs; db++) {
    std::string& out = p->bytes[db];
    s.db(int(db)).ForEach([&](Entry* e) {
      int64_t expire = -1;
      if (e->has_expire()) {
        expire = e->expire_ms();
        if (expire <= now_ms) return;  // expired, not yet reclaimed
      }
      if (db == 0 && s.mc_meta().IsPlaceholder(e->key())) return;  // a lease's, not data
      if (expire >= 0) p->expires[db]++;
      p->keys[db]++;
      rdb::AppendKey(&out, e->key(), rdb::ValueOf(e), expire);
    });
  }
}

bool WriteAll(CrcFileWriter& out, const std::vector<ShardPart>& parts, bool checksum,
              int64_t now_ms) {
  if (!out.Write(RdbFileHeader(now_ms, /*aof_base=*/false))) return false;
  size_t dbs = parts.empty() ? 0 : parts[0].bytes.size();
  for (size_t db = 0; db < dbs; db++) {
    uint64_t keys = 0, expires = 0;
    for (const ShardPart& p : parts) {
      keys += p.keys[db];
      expires += p.expires[db];
    }
    if (keys == 0) continue;
    std::string sel;
    rdb::AppendSelectDb(&sel, db, keys, expires);
    if (!out.Write(sel)) return false;
    for (const ShardPart& p : parts)
      if (!out.Write(p.bytes[db])) return false;
  }
  std::string tail;
  rdb::AppendEof(&tail, out.crc(), checksum);
  // AppendEof's checksum covers the bytes before it plus the EOF opcode; written as is.
  return out.Write(tail);
}

// Writes temp-<pid>.rdb in the working directory (`dir`), fsyncs it, renames it to
// dbfilename and fsyncs the directory.
bool WriteSnapshotFile(const std::vector<ShardPart>& parts, bool checksum, int64_t now_ms) {
  char tmpbuf[64];
  snprintf(tmpbuf, sizeof(tmpbuf), "temp-%d.rdb", int(getpid()));
  const char* tmp = tmpbuf;
  const std::string filename = GlobalConfig().dbfilename();
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    LOG_WARNING("Failed opening the temp RDB file %s (in server root dir %s) for saving: %s", tmp,
                Cwd().c_str(), strerror(errno));
    return false;
  }
  const char* op = nullptr;
  CrcFileWriter out(fd);
  if (!WriteAll(out, parts, checksum, now_ms))
    op = "write";
  else if (fsync(fd) != 0)
    op = "fsync";
  int saved = errno;
  if (close(fd) != 0 && !op) {
    op = "close";
    saved = errno;
  }
  if (op) {
    LOG_WARNING("Write error saving DB on disk(%s): %s", op, strerror(saved));
    unlink(tmp);
    return false;
  }
  if (rename(tmp, filename.c_str()) != 0) {
    saved = errno;
    LOG_WARNING(
        "Error moving temp DB file %s on the final destination %s (in server root dir %s): %s", tmp,
        filename.c_str(), Cwd().c_str(), strerror(saved));
    unlink(tmp);
    return false;
  }
  int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    saved = errno;
    if (dfd >= 0) close(dfd);
    LOG_WARNING("Write error saving DB on disk(fsync of the directory): %s", strerror(saved));
    return false;
  }
  close(dfd);
  return true;
}

// SAVE's write of the whole keyspace. Runs on a shard thread.
Task<bool> WriteSnapshot() {
  const Config& cfg = GlobalConfig();
  bool compress = cfg.rdbcompression.load(std::memory_order_relaxed);
  bool checksum = cfg.rdbchecksum.load(std::memory_order_relaxed);
  // One instant for every shard (LockEveryShard); each shard releases its lock once its keys are
  // serialized.
  const uint32_t n = Shards().size();
  co_await LockEveryShard();
  int64_t now = UnixMillis();
  std::vector<ShardPart> parts(n);
  co_await Shards().Broadcast([&parts, compress, now](Shard& s, uint32_t i) {
    SerializeShard(s, now, compress, &parts[i]);
    UnlockAllKeys(s);
  });
  uint64_t dirty = 0;
  for (const ShardPart& p : parts) dirty += p.dirty;
  bool ok = WriteSnapshotFile(parts, checksum, now);
  // Each shard frees its own buffers, so its memory ledger (and its share of maxmemory) gets
  // back what serializing took.
  for (uint32_t i = 0; i < n; i++) {
    auto bytes = std::make_shared<std::vector<std::string>>(std::move(parts[i].bytes));
    Shards().Post(i, [bytes] {
      bytes->clear();
      bytes->shrink_to_fit();
    });
  }
  if (ok) GetSaveStatus().dirty_at_save.store(dirty);
  co_return ok;
}

}  // namespace

Task<SaveResult> SaveSnapshot() {
  SaveStatus& st = GetSaveStatus();
  if (st.in_progress.exchange(true)) co_return SaveResult::kBusy;
  bool ok = co_await WriteSnapshot();
  if (ok) {
    LOG_NOTICE("DB saved on disk");
    st.last_save_s.store(UnixMillis() / 1000);
    st.saves.fetch_add(1);
  }
  st.last_ok.store(ok);
  st.in_progress.store(false);
  co_return ok ? SaveResult::kOk : SaveResult::kFailed;
}

// ---------------------------------------------------------------------------------------------
// Loading at start
//
// Threads: the main thread reads and parses the file and hands each shard its keys in batches
// through the shard's mailbox (Feeder); shard i's thread builds every key it owns (BuildBatch)
// between serving its clients, who get -LOADING meanwhile (kv/server/loading.h). A batch is
// allocated and freed by the main thread; the shard only reads it and copies what it keeps, so
// each thread's memory ledger stays its own.

namespace {

struct KeyBatch {
  std::vector<rdb::RdbFileKey> keys;
  std::vector<uint64_t> hashes;  // DbTable::Hash of each key
  std::string error;             // written by the shard: the first key it could not build
};

// On the owning shard's thread.
void BuildBatch(Shard& s, KeyBatch& b) {
  rdb::BuildLimits lim = ConfiguredBuildLimits();
  int64_t now = UnixMillis();
  constexpr size_t kAhead = 8;  // buckets fetched ahead: the lookups miss the cache otherwise
  for (size_t j = 0; j < kAhead && j < b.keys.size(); j++)
    s.db(int(b.keys[j].db)).Prefetch(b.hashes[j]);
  for (size_t j = 0; j < b.keys.size(); j++) {
    if (j + kAhead < b.keys.size()) s.db(int(b.keys[j + kAhead].db)).Prefetch(b.hashes[j + kAhead]);
    const rdb::RdbFileKey& k = b.keys[j];
    int db = int(k.db);
    uint64_t hash = b.hashes[j];
    if (s.FindLink(db, k.key, hash, now)) {
      b.error = "duplicate key '" + k.key + "' in database " + std::to_string(db);
      return;
    }
    if (k.value.kind == 0) {  // a string: built straight from the batch's bytes
      Entry* e = Entry::Create(k.key, k.value.str, k.expire_ms, false);
      s.Add(db, e, hash, now);
      continue;
    }
    Snapshot snap;
    snap.type = ObjType(k.value.kind);
    snap.expire_ms = k.expire_ms;
    rdb::RdbValue v = k.value;  // a copy: the object's memory is this thread's
    snap.obj = rdb::BuildObject(&v, lim);
    if (!snap.obj) {
      b.error = "bad value for key '" + k.key + "' in database " + std::to_string(db);
      return;
    }
    Restore(s, db, k.key, snap, now, Meta::kFresh);
  }
  s.PublishMemory();
}

// Main thread: batches keys per shard and posts them, at most kInFlight batches per shard at a
// time (the parse waits for a shard that falls behind, so memory stays bounded).
class Feeder {
 public:
  static constexpr size_t kBatchKeys = 1024;
  static constexpr size_t kBatchBytes = 1 << 20;
  static constexpr uint64_t kInFlight = 8;

  explicit Feeder(uint32_t n)
      : n_(n),
        cur_(n),
        cur_bytes_(n, 0),
        sent_(n, 0),
        reaped_(n, 0),
        queued_(n),
        completed_(new std::atomic<uint64_t>[n]),
        errors_(n) {
    for (uint32_t i = 0; i < n; i++) completed_[i].store(0);
  }
  ~Feeder() { WaitAll(); }

  // False once a shard reported an error (the parse stops).
  bool Add(uint32_t i, uint64_t hash, rdb::RdbFileKey&& k, size_t bytes) {
    if (!cur_[i]) {
      cur_[i] = std::make_unique<KeyBatch>();
      cur_[i]->keys.reserve(kBatchKeys);
      cur_[i]->hashes.reserve(kBatchKeys);
    }
    cur_[i]->keys.push_back(std::move(k));
    cur_[i]->hashes.push_back(hash);
    cur_bytes_[i] += bytes;
    if (cur_[i]->keys.size() >= kBatchKeys || cur_bytes_[i] >= kBatchBytes) Send(i);
    return failed_ == 0;
  }

  // Runs fn on shard i's thread before the keys added after this call.
  void PostToAll(const std::function<void(Shard&)>& fn) {
    for (uint32_t i = 0; i < n_; i++) {
      Send(i);
      Shards().Post(i, [fn, i] { fn(*Shards().shard(i)); });
    }
  }

  // Sends what is left and waits until every shard built its keys.
  void WaitAll() {
    for (uint32_t i = 0; i < n_; i++) Send(i);
    for (uint32_t i = 0; i < n_; i++) Reap(i, sent_[i]);
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void Send(uint32_t i) {
    if (!cur_[i] || cur_[i]->keys.empty()) return;
    if (sent_[i] - reaped_[i] >= kInFlight) Reap(i, sent_[i] - kInFlight + 1);
    KeyBatch* b = cur_[i].get();
    queued_[i].push_back(std::move(cur_[i]));
    cur_bytes_[i] = 0;
    sent_[i]++;
    std::atomic<uint64_t>* done = &completed_[i];
    Shards().Post(i, [b, i, done] {
      BuildBatch(*Shards().shard(i), *b);
      done->fetch_add(1, std::memory_order_release);
      done->notify_one();
    });
  }

  // Waits until shard i finished `upto` batches, then frees them (on this thread).
  void Reap(uint32_t i, uint64_t upto) {
    for (;;) {
      uint64_t c = completed_[i].load(std::memory_order_acquire);
      if (c >= upto) break;
      completed_[i].wait(c, std::memory_order_acquire);
    }
    uint64_t c = completed_[i].load(std::memory_order_acquire);
    while (reaped_[i] < c) {
      KeyBatch& b = *queued_[i].front();
      if (!b.error.empty() && errors_[i].empty()) {
        errors_[i] = b.error;
        failed_++;
      }
      queued_[i].pop_front();
      reaped_[i]++;
    }
  }

  uint32_t n_;
  std::vector<std::unique_ptr<KeyBatch>> cur_;
  std::vector<size_t> cur_bytes_;
  std::vector<uint64_t> sent_, reaped_;
  std::vector<std::deque<std::unique_ptr<KeyBatch>>> queued_;
  std::unique_ptr<std::atomic<uint64_t>[]> completed_;  // written by shard i, read here
  std::vector<std::string> errors_;
  int failed_ = 0;
};

}  // namespace

bool ReadSnapshotAtStart(uint32_t shards, int databases, StartupLoad* load) {
  return ReadRdbAtStart(GlobalConfig().dbfilename(), shards, databases, load);
}

bool ReadRdbAtStart(const std::string& name, uint32_t shards, int databases, StartupLoad* load) {
  load->name = name;
  int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return true;
    LOG_WARNING("Fatal error loading the DB %s/%s: %s. Exiting.", Cwd().c_str(), name.c_str(),
                strerror(errno));
    return false;
  }
  load->present = true;
  load->started_ns = MonoNanos();
  LOG_NOTICE("Loading RDB %s/%s", Cwd().c_str(), name.c_str());
  // The file is mapped (read-only, private) rather than copied; the parse reads it once, in
  // order. A file that cannot be mapped (a pipe, say) is read into memory instead.
  struct stat sb;
  const uint64_t progress_base = LoadingLoadedBytes();  // progress counts the bytes parsed
  std::string copy;
  std::string_view data;
  void* map = MAP_FAILED;
  size_t map_len = 0;
  if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
    map_len = size_t(sb.st_size);
    map = mmap(nullptr, map_len, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  if (map != MAP_FAILED) {
    madvise(map, map_len, MADV_SEQUENTIAL);
    data = std::string_view(static_cast<const char*>(map), map_len);
  } else {
    char buf[1 << 16];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        close(fd);
        LOG_WARNING("Fatal error loading the DB %s/%s: %s. Exiting.", Cwd().c_str(), name.c_str(),
                    strerror(e));
        return false;
      }
      if (n == 0) break;
      copy.append(buf, size_t(n));
    }
    data = copy;
  }
  close(fd);
  struct Unmap {
    void* p;
    size_t len;
    ~Unmap() {
      if (p != MAP_FAILED) munmap(p, len);
    }
  } unmap{map, map_len};

  ShardSet owner(shards);
  Feeder feed(shards);
  int64_t now = UnixMillis();
  size_t pos = 0, last_pos = 0;
  uint64_t seen = 0;
  bool stopped = false;
  auto on_key = [&](rdb::RdbFileKey& k, std::string* why) {
    if ((++seen & 1023) == 0) {
      LoadingProgress(progress_base + pos);
      MaybeLogLoadingProgress("RDB");
      if (LoadingInterrupted()) {
        stopped = true;
        *why = "interrupted by a shutdown signal";
        return false;
      }
    }
    size_t bytes = pos - last_pos;
    last_pos = pos;
    if (k.expire_ms >= 0 && k.expire_ms <= now) {
      load->expired++;  // already expired: skipped, as a master does
      return true;
    }
    uint64_t hash = DbTable::Hash(k.key);
    load->loaded++;
    if (!feed.Add(owner.ShardOf(hash), hash, std::move(k), bytes)) {
      *why = "a shard could not build a key";
      return false;
    }
    return true;
  };
  rdb::RdbFileError err;
  auto on_aux = [](std::string_view field, std::string_view value) {
    if (field == "redis-ver")
      LOG_NOTICE("Loading RDB produced by version %.*s", int(value.size()), value.data());
    if (field == "used-mem")
      SetLoadingRdbUsedMem(strtoull(std::string(value).c_str(), nullptr, 10));
  };
  // RESIZEDB: each shard sizes its table for its share of the keys (plus a margin for an
  // uneven spread), so the inserts do not grow it step by step.
  auto on_resize = [&feed, shards](uint64_t db, uint64_t keys, uint64_t) {
    size_t per = size_t(keys / shards + keys / shards / 16 + 64);
    feed.PostToAll([db, per](Shard& s) { s.db(int(db)).Reserve(per); });
  };
  // The checksum covers every byte up to the EOF opcode, which is normally followed by just the
  // 8-byte checksum: a helper thread computes that CRC while the parse runs.
  const size_t crc_len = data.size() >= 8 ? data.size() - 8 : 0;
  uint64_t early_crc = 0;
  std::thread crc_thread(
      [&early_crc, data, crc_len] { early_crc = Crc64(data.substr(0, crc_len)); });
  struct Join {
    std::thread* t;
    ~Join() {
      if (t->joinable()) t->join();
    }
  } join{&crc_thread};
  auto crc_of = [&](size_t n) {
    if (crc_thread.joinable()) crc_thread.join();
    return n == crc_len ? early_crc : Crc64(data.substr(0, n));
  };
  bool ok =
      rdb::ParseRdbFile(data, uint64_t(databases), on_key, &err, on_aux, on_resize, &pos, crc_of);
  feed.WaitAll();
  LoadingProgress(progress_base + data.size());
  for (uint32_t i = 0; i < shards; i++) {
    if (feed.errors()[i].empty()) continue;
    LOG_WARNING("Bad RDB file %s/%s: %s. Exiting.", Cwd().c_str(), name.c_str(),
                feed.errors()[i].c_str());
    return false;
  }
  if (stopped) return false;
  if (!ok) {
    LOG_WARNING("Bad RDB file %s/%s at byte offset %zu: %s. Exiting.", Cwd().c_str(), name.c_str(),
                err.offset, err.what.c_str());
    return false;
  }
  return true;
}

bool FinishStartupLoad(StartupLoad* load) {
  if (!load->present) return true;
  double secs = double(MonoNanos() - load->started_ns) / 1e9;
  LOG_NOTICE("Done loading RDB, keys loaded: %llu, keys expired: %llu.",
             static_cast<unsigned long long>(load->loaded),
             static_cast<unsigned long long>(load->expired));
  LOG_NOTICE("DB loaded from disk: %.3f seconds", secs);
  return true;
}

void ReleaseStartupLoad(StartupLoad*) {
  // The main thread's start-up bytes (the baseline of used_memory) no longer hold the file.
  MemoryAccounting::Get().SetBaseline(ThreadAllocatedBytes());
}

}  // namespace strata::kv
