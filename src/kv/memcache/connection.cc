#include "kv/memcache/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "base/clock.h"
#include "base/hash.h"
#include "base/log.h"
#include "io/socket.h"
#include "kv/aof/aof_log.h"
#include "kv/engine/memory_accounting.h"
#include "kv/engine/shard.h"
#include "kv/memcache/command_util.h"
#include "kv/memcache/stats.h"
#include "kv/server/client_pause.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/loading.h"
#include "kv/server/output.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"
#include "kv/tx/lock_table.h"

namespace strata::kv::memcache {

using ::strata::memcache::Command;
using ::strata::memcache::Parser;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kKeepInputBytes = 64 * 1024;
// Most requests, and most input bytes, run as one batch (one message per shard involved).
constexpr size_t kMaxBatch = 64;
constexpr size_t kMaxBatchBytes = 256 * 1024;
// memcached 1.6.18's version string: clients compare it to enable features.
constexpr const char* kVersion = "1.6.18";
std::atomic<int64_t> g_start_s{0};
std::atomic<int64_t> g_paused{0};  // connections waiting for a CLIENT PAUSE to end

std::vector<Connection*> g_local[MemoryAccounting::kMaxShards];

// Runs fn on shard s now, or when no transaction holds a lock on `keys` there (kv/tx/lock_table).
template <typename F>
void RunUnlocked(Shard& s, const std::vector<std::string>& keys, F fn) {
  if (!s.locks().empty()) {
    for (const auto& k : keys) {
      if (s.locks().IsBlocked(k)) {
        s.locks().Defer(keys, fn);
        return;
      }
    }
  }
  fn();
}

}  // namespace

void NoteServerStart() { g_start_s.store(UnixMillis() / 1000); }

std::vector<Connection*>& Connection::LocalConnections() {
  return g_local[Local().shard < 0 ? 0 : Local().shard];
}

void Connection::CloseIdle(int64_t now_ms, int timeout_s) {
  auto conns = LocalConnections();  // copy: Close posts the delete, the list changes later
  for (Connection* c : conns) {
    if (!c->closed_ && !c->waiting_ && now_ms - c->last_ms_ > int64_t(timeout_s) * 1000)
      c->Close("idle timeout");
  }
}

Connection::Connection(int fd, uint32_t shard)
    : fd_(fd), shard_(shard), reactor_(Shards().reactor(shard)) {
  caller_.addr = io::PeerAddress(fd);
  last_ms_ = UnixMillis();
  parts_.resize(Shards().size());
  g_local[shard].push_back(this);
  Bump(memcache::Stats().curr_connections);
  Bump(memcache::Stats().total_connections);
}

Connection::~Connection() {
  if (paused_) g_paused.fetch_sub(1, std::memory_order_relaxed);
  memcache::Stats().curr_connections.fetch_sub(1, std::memory_order_relaxed);
  auto& v = g_local[shard_];
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i] == this) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
  }
  // Reply buffers written by other shards' threads go back to be freed there (base/memory.h).
  for (uint32_t s = 0; s < parts_.size(); s++) {
    if (s == shard_ || parts_[s].replies.capacity() == 0) continue;
    Shards().Post(s, [r = std::move(parts_[s].replies)] {});
  }
}

void Connection::Start() {
  io::SetNoDelay(fd_);
  reactor_->Add(fd_, this);
}

void Connection::OnEvent(uint32_t events) {
  if (closed_ || in_input_) return;
  if (events & (EPOLLERR | EPOLLHUP)) {
    Close("connection error");
    return;
  }
  if (events & EPOLLOUT) Flush();
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    readable_ = true;
    OnReadable();
  }
}

void Connection::Close(const char* why) {
  if (closed_) return;
  LOG_DEBUG("closing memcached client %s: %s", caller_.addr.c_str(), why);
  closed_ = true;
  reactor_->Remove(fd_);
  ::close(fd_);
  fd_ = -1;
  ReleaseClientSlot();
  MaybeDestroy();
}

void Connection::MaybeDestroy() {
  if (closed_ && inflight_ == 0) {
    reactor_->Post([this] {
      ForgetTurnClient(this);  // out of the end-of-turn and held lists
      delete this;
    });
    inflight_ = 1 << 30;
  }
}

void Connection::OnReadable() {
  while (readable_ && !closed_ && !waiting_ && !paused_ && !close_after_reply_) {
    size_t want = parser_.BytesWanted();
    size_t chunk = want > kReadChunk ? want : kReadChunk;
    if (chunk > 2 * 1024 * 1024) chunk = 2 * 1024 * 1024;
    char* p = in_.Reserve(chunk);
    ssize_t n = ::read(fd_, p, chunk);
    if (n > 0) {
      in_.Commit(size_t(n));
      LocalTotals().net_input_bytes += uint64_t(n);
      AdvanceLoopClock();
      last_ms_ = LoopUnixMillis();
      if (size_t(n) < chunk) readable_ = false;
      ProcessInput();
      continue;
    }
    if (n == 0) {
      Close("peer closed");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      readable_ = false;
      in_.ShrinkIfIdle(kKeepInputBytes);
      break;
    }
    Close("read error");
    return;
  }
}

void Connection::ProcessInput() {
  in_input_ = true;
  while (!closed_ && !waiting_ && !paused_ && !close_after_reply_) {
    bool more = true;  // complete requests may still be waiting in the input
    if (n_ == 0 && !alone_) more = ParseBatch();
    if (PauseHolds()) {  // CLIENT PAUSE: the parsed requests wait, and no input is read
      paused_ = true;
      g_paused.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    if (alone_) {
      alone_ = false;
      LocalTotals().commands++;
      Execute();
      if (waiting_) break;
      in_.Consume(parsed_);
      parsed_ = 0;
      continue;
    }
    if (n_ == 0) {
      in_.Consume(parsed_);
      parsed_ = 0;
      if (!more) break;
      continue;
    }
    RunBatch();  // completes here (OnStepsDone) unless it waits for other shards
    if (waiting_ || !more) break;
  }
  in_input_ = false;
  if (!waiting_) Flush();
}

bool Connection::ParseBatch() {
  const ::strata::memcache::Limits limits = CurrentLimits();
  while (n_ < kMaxBatch && parsed_ < kMaxBatchBytes) {
    if (n_ == batch_.size()) batch_.emplace_back();
    Pending& p = batch_[n_];
    p.local.clear();
    p.keyed = p.close = false;
    size_t consumed = 0;
    Parser::Status st = parser_.Parse(in_.view().substr(parsed_), limits, &p.req, &consumed);
    if (st == Parser::Status::kNeedMore) {
      parsed_ += consumed;
      return false;
    }
    if (st == Parser::Status::kClose) {
      if (!parser_.error().empty()) p.local.append(parser_.error()).append("\r\n");
      LOG_WARNING(
          "closing memcached client %s: %s", caller_.addr.c_str(),
          parser_.error().empty() ? "not the memcached text protocol" : parser_.error().c_str());
      p.close = true;
      n_++;
      parsed_ = in_.size();
      return false;
    }
    if (st == Parser::Status::kError) {
      parsed_ += consumed;
      if (!parser_.silent()) p.local.append(parser_.error()).append("\r\n");
      n_++;
      continue;
    }
    const Command cmd = p.req.cmd;
    if (cmd == Command::kStats || cmd == Command::kFlushAll) {
      // These see every earlier request done. With requests before it, the line is parsed
      // again once they are (it leaves no state in the parser).
      if (n_ > 0) return true;
      parsed_ += consumed;
      req_ = std::move(p.req);
      alone_ = true;
      return true;
    }
    parsed_ += consumed;
    LocalTotals().commands++;
    n_++;
    if (cmd == Command::kVersion) {
      p.local.append("VERSION ").append(kVersion).append("\r\n");
    } else if (cmd == Command::kVerbosity) {
      if (!p.req.noreply) p.local.append("OK\r\n");
    } else if (cmd == Command::kMetaNoop) {
      p.local.append("MN\r\n");
    } else if (cmd == Command::kQuit) {
      p.close = true;
      return false;
    } else if (IsLoading()) [[unlikely]] {
      // The dataset is still being loaded at start (kv/server/loading.h).
      p.local.append("SERVER_ERROR loading the dataset in memory\r\n");
      if (p.req.too_large) return true;
    } else {
      p.keyed = true;
      // The parser skips the rest of a too-large value: let it, before anything else.
      if (p.req.too_large) return true;
    }
  }
  return true;
}

bool Connection::PauseHolds() const {
  PauseType pause = CurrentPause();
  if (pause == PauseType::kOff || (n_ == 0 && !alone_)) return false;
  if (pause == PauseType::kAll) return true;
  if (alone_) return req_.cmd == Command::kFlushAll;
  for (uint32_t i = 0; i < n_; i++) {
    const Pending& p = batch_[i];
    if (p.keyed && p.req.cmd != Command::kGet && p.req.cmd != Command::kGets &&
        p.req.cmd != Command::kMetaDebug)
      return true;
  }
  return false;
}

void Connection::ResumePaused() {
  if (g_paused.load(std::memory_order_relaxed) == 0) return;
  auto conns = LocalConnections();  // copy: a resumed client may close
  for (Connection* c : conns) {
    if (!c->paused_ || c->closed_ || c->PauseHolds()) continue;
    c->paused_ = false;
    g_paused.fetch_sub(1, std::memory_order_relaxed);
    c->ProcessInput();
    if (!c->waiting_ && c->readable_) c->OnReadable();
  }
}

void Connection::Execute() {
  switch (req_.cmd) {
    case Command::kFlushAll:
      if (IsLoading()) {
        out_.append("SERVER_ERROR loading the dataset in memory\r\n");
        return;
      }
      FlushAll();
      return;
    case Command::kStats:
      if (req_.args.empty()) {
        Stats();
        return;
      }
      if (req_.args[0] == "settings") {
        const Config& cfg = GlobalConfig();
        auto stat = [this](const char* name, const std::string& v) {
          out_.append("STAT ").append(name).append(" ").append(v).append("\r\n");
        };
        stat("maxbytes", std::to_string(cfg.maxmemory.load(std::memory_order_relaxed)));
        stat("maxconns", std::to_string(cfg.maxclients.load(std::memory_order_relaxed)));
        stat("tcpport", std::to_string(cfg.memcached_port));
        stat("udpport", "0");
        stat("inter", cfg.bind);
        stat("evictions", "on");
        stat("num_threads", std::to_string(Shards().size()));
        stat("cas_enabled", "yes");
        stat("binding_protocol", "ascii");
        stat("item_size_max", std::to_string(CurrentLimits().item_size_max));
        stat("idle_timeout", std::to_string(cfg.timeout.load(std::memory_order_relaxed)));
        out_.append("END\r\n");
        return;
      }
      if (req_.args[0] == "reset") {
        ResetCounters();
        out_.append("RESET\r\n");
        return;
      }
      out_.append("ERROR\r\n");  // memcached's answer to a stats group it does not have
      return;
    default:
      return;
  }
}

void Connection::FlushAll() {
  Bump(memcache::Stats().cmd_flush);
  // The connection's own shard is flushed at once: its later requests run inline on this thread
  // (RunBatch) and must see the flush. Every other shard gets it through its mailbox ahead of
  // this client's later requests, which travel the same way. The append-only file records it as
  // FLUSHDB in database 0, memcached's keyspace, so a restart does not bring the items back.
  const uint32_t own = shard_;
  auto flush = [own] {
    if (aof::Enabled()) {
      std::string_view args[] = {"FLUSHDB"};
      aof::Feed(0, args, "+OK\r\n", LoopUnixMillis());
    }
    for (uint32_t s = 0; s < Shards().size(); s++) {
      if (s == own)
        FlushShard(*Shards().shard(s));
      else
        Shards().PostOrRun(s, [s] { FlushShard(*Shards().shard(s)); });
    }
    tracking::InvalidateEverything();
  };
  if (req_.delay > 0) {
    reactor_->RunAfter(req_.delay * 1000, flush);
  } else {
    // This client's later requests see the flush (see above).
    flush();
  }
  if (!req_.noreply) out_.append("OK\r\n");
}

std::string_view Connection::KeyOf(const Item& it) const {
  const ::strata::memcache::Request& r = batch_[it.req].req;
  return ::strata::memcache::IsRetrieval(r.cmd) ? r.keys[it.key] : r.Key();
}

void Connection::RunBatch() {
  for (auto& p : parts_) {
    p.items.clear();
    p.ends.clear();
    p.replies.clear();
  }
  for (uint32_t i = 0; i < n_; i++) {
    const Pending& p = batch_[i];
    if (!p.keyed) continue;
    if (::strata::memcache::IsRetrieval(p.req.cmd)) {
      for (uint32_t k = 0; k < p.req.keys.size(); k++)
        parts_[Shards().ShardOf(HashKey(p.req.keys[k]))].items.push_back(Item{i, k});
    } else {
      parts_[Shards().ShardOf(HashKey(p.req.Key()))].items.push_back(Item{i, 0});
    }
  }
  // The local shard's steps run now, unless a transaction holds one of their keys.
  Part& local = parts_[shard_];
  Shard* own = Shards().shard(shard_);
  bool local_blocked = false;
  if (!local.items.empty() && !own->locks().empty()) {
    for (const Item& it : local.items)
      local_blocked |= own->locks().IsBlocked(LockTable::Encode(0, KeyOf(it)));
  }
  pending_ = 0;
  finish_ = Finish::kBatch;
  io::Reactor* origin = reactor_;
  for (uint32_t s = 0; s < parts_.size(); s++) {
    Part* part = &parts_[s];
    if (part->items.empty()) continue;
    if (s == shard_ && !local_blocked) {
      for (const Item& it : part->items) {
        RunKey(*own, batch_[it.req].req, KeyOf(it), caller_, &part->replies);
        part->ends.push_back(part->replies.size());
      }
      continue;
    }
    pending_++;
    inflight_++;
    std::vector<std::string> locks;
    for (const Item& it : part->items) locks.push_back(LockTable::Encode(0, KeyOf(it)));
    Shards().PostOrRun(s, [this, s, part, origin, locks = std::move(locks)] {
      Shard& shard = *Shards().shard(s);
      RunUnlocked(shard, locks, [this, &shard, part, origin] {
        AdvanceLoopClock();
        for (const Item& it : part->items) {
          RunKey(shard, batch_[it.req].req, KeyOf(it), caller_, &part->replies);
          part->ends.push_back(part->replies.size());
        }
        origin->Post([this] {
          inflight_--;
          if (--pending_ == 0) OnStepsDone();
        });
      });
    });
  }
  if (pending_ > 0) {
    waiting_ = true;
    return;
  }
  OnStepsDone();
}

void Connection::Stats() {
  pending_ = 0;
  finish_ = Finish::kStats;
  items_.assign(Shards().size(), 0);
  evictions_.assign(Shards().size(), 0);
  io::Reactor* origin = reactor_;
  for (uint32_t s = 0; s < Shards().size(); s++) {
    pending_++;
    inflight_++;
    Shards().PostOrRun(s, [this, s, origin] {
      Shard& shard = *Shards().shard(s);
      items_[s] = shard.db(0).size();
      evictions_[s] = shard.stats().evicted_keys;
      origin->Post([this] {
        inflight_--;
        if (--pending_ == 0) OnStepsDone();
      });
    });
  }
  waiting_ = true;
}

void Connection::OnStepsDone() {
  const bool was_waiting = waiting_;
  waiting_ = false;
  if (closed_) {
    MaybeDestroy();
    return;
  }
  if (finish_ == Finish::kStats) {
    const Counters& c = memcache::Stats();
    uint64_t items = 0, evictions = 0;
    for (uint64_t v : items_) items += v;
    for (uint64_t v : evictions_) evictions += v;
    auto stat = [this](const char* name, uint64_t v) {
      out_.append("STAT ").append(name).append(" ").append(std::to_string(v)).append("\r\n");
    };
    auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    int64_t now = UnixMillis() / 1000;
    stat("pid", uint64_t(getpid()));
    stat("uptime", uint64_t(now - g_start_s.load()));
    stat("time", uint64_t(now));
    out_.append("STAT version ").append(kVersion).append("\r\n");
    stat("pointer_size", 64);
    stat("max_connections", uint64_t(GlobalConfig().maxclients.load()));
    stat("curr_connections", ld(c.curr_connections));
    stat("total_connections", ld(c.total_connections));
    stat("cmd_get", ld(c.cmd_get));
    stat("cmd_set", ld(c.cmd_set));
    stat("cmd_flush", ld(c.cmd_flush));
    stat("cmd_touch", ld(c.cmd_touch));
    stat("get_hits", ld(c.get_hits));
    stat("get_misses", ld(c.get_misses));
    stat("delete_misses", ld(c.delete_misses));
    stat("delete_hits", ld(c.delete_hits));
    stat("incr_misses", ld(c.incr_misses));
    stat("incr_hits", ld(c.incr_hits));
    stat("decr_misses", ld(c.decr_misses));
    stat("decr_hits", ld(c.decr_hits));
    stat("cas_misses", ld(c.cas_misses));
    stat("cas_hits", ld(c.cas_hits));
    stat("cas_badval", ld(c.cas_badval));
    stat("touch_hits", ld(c.touch_hits));
    stat("touch_misses", ld(c.touch_misses));
    stat("store_too_large", ld(c.store_too_large));
    stat("store_no_memory", ld(c.store_no_memory));
    stat("limit_maxbytes", GlobalConfig().maxmemory.load(std::memory_order_relaxed));
    stat("threads", Shards().size());
    stat("bytes", uint64_t(MemoryAccounting::Get().Used()));
    stat("curr_items", items);
    stat("evictions", evictions);
    out_.append("END\r\n");
  } else {
    // The batch's replies, in request order.
    std::vector<size_t> next(parts_.size(), 0);
    for (uint32_t i = 0; i < n_; i++) {
      const Pending& p = batch_[i];
      if (!p.keyed) {
        out_.append(p.local);
        if (p.close) close_after_reply_ = true;
        continue;
      }
      const bool multi = ::strata::memcache::IsRetrieval(p.req.cmd);
      const size_t nkeys = multi ? p.req.keys.size() : 1;
      for (size_t k = 0; k < nkeys; k++) {
        uint32_t s = Shards().ShardOf(HashKey(multi ? p.req.keys[k] : p.req.Key()));
        Part& part = parts_[s];
        size_t j = next[s]++;
        size_t start = j == 0 ? 0 : part.ends[j - 1];
        out_.append(part.replies, start, part.ends[j] - start);
      }
      if (multi) out_.append("END\r\n");
    }
    n_ = 0;
  }
  // The requests are done: their input goes (views into it are no longer used).
  in_.Consume(parsed_);
  parsed_ = 0;
  if (!was_waiting) return;  // ran inline: ProcessInput goes on
  ProcessInput();
  if (!waiting_ && readable_) OnReadable();
}

void Connection::Flush() {
  if (closed_) return;
  // Append-only file: replies wait for their records (written, and under appendfsync always
  // fsynced); the end-of-turn step writes the log once for the turn, then sends them.
  if (sent_ < out_.size() && (hold_.active() || aof::RepliesMustWait())) {
    if (io::Reactor::Current() == reactor_) {
      kv::FlushAtTurnEnd(this);
    } else {
      reactor_->Post([this] {  // open, so its delete (posted once closed) comes after this
        if (!closed_) kv::FlushAtTurnEnd(this);
      });
    }
    return;
  }
  if (sent_ < out_.size() && SendsBatched(out_.size() - sent_, reactor_)) {
    kv::FlushAtTurnEnd(this);  // --io uring: with the turn's other replies (RESP does the same)
    return;
  }
  SendNow();
}

void Connection::AfterSend(SendResult r) {
  if (closed_) return;
  if (r == SendResult::kError) {
    Close("write error");
    return;
  }
  if (r == SendResult::kAllSent) {
    if (close_after_reply_ && !waiting_) Close("close after reply");
    return;
  }
  // A client that does not read its replies is closed past the normal output limit.
  const Config& cfg = GlobalConfig();
  int64_t hard = cfg.obuf_hard.load(std::memory_order_relaxed);
  if (hard > 0 && int64_t(out_.size() - sent_) > hard) {
    Close("output buffer limit");
    return;
  }
}

}  // namespace strata::kv::memcache
