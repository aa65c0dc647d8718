#include "kv/server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/clock.h"
#include "base/log.h"
#include "base/strutil.h"
#include "io/socket.h"
#include "kv/aof/aof_log.h"
#include "kv/commands/dispatch.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/engine/shard.h"
#include "kv/memcache/connection.h"
#include "kv/server/client_pause.h"
#include "kv/server/client_slots.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/key_prefetch.h"
#include "kv/server/latency_monitor.h"
#include "kv/server/monitor.h"
#include "kv/server/output.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"
#include "kv/tx/script_busy.h"
#include "kv/tx/script_run.h"

namespace strata::kv {
namespace {

ClientSlots g_slots;               // connected clients (maxclients)
std::atomic<int64_t> g_paused{0};  // connections waiting for a CLIENT PAUSE to end
constexpr size_t kReadChunk = 16 * 1024;
constexpr size_t kKeepInputBytes = 64 * 1024;
// Most commands, and most argument bytes, squashed into one cross-shard batch. Together with the
// 16 KB read chunk this bounds the input a pipelining client holds in the server (counted in
// used_memory, as Redis counts query buffers) at about 80 KB plus the command being read:
// commands run as soon as they are parsed, so a deep pipeline does not evict cached data to
// make room for itself.
constexpr size_t kMaxBatch = 64;
constexpr size_t kMaxBatchBytes = 64 * 1024;
// A client that must still authenticate may have at most this much output pending, whatever
// client-output-buffer-limit says: one that sends commands without reading its -NOAUTH replies
// is closed instead of growing the server's memory. Its unparsed input is capped at 1 MiB.
constexpr int64_t kUnauthOutputCap = 16 * 1024;
constexpr int64_t kUnauthQueryCap = 1024 * 1024;

}  // namespace

int64_t ConnectedClients() { return g_slots.count(); }

bool ReserveClientSlot(int64_t max) { return g_slots.TryReserve(max); }

void ReleaseClientSlot() { g_slots.Release(); }

std::vector<Connection*>& Connection::LocalConnections() { return Local().connections; }

Connection::Connection(int fd, uint32_t shard, uint64_t id)
    : fd_(fd), shard_(shard), reactor_(Shards().reactor(shard)), rb_(&async_reply_) {
  state_.id = id;
  state_.addr = io::PeerAddress(fd);
  state_.laddr = io::LocalAddress(fd);
  state_.created_ms = UnixMillis();
  state_.last_interaction_ms = state_.created_ms;
  state_.authenticated = !GlobalConfig().has_password();
  state_.local = io::PeerIsLocal(fd);
  remote_.resize(Shards().size());  // the client's slot was taken by ReserveClientSlot
  LocalConnections().push_back(this);
  tracking::RegisterClient(id, shard, this);
}

Connection::~Connection() {
  ReleaseSlot();
  if (paused_) g_paused.fetch_sub(1, std::memory_order_relaxed);
  // Each batch's reply buffers were allocated by its target shard's thread: free them there.
  // Freed here, their bytes would leave that shard's memory ledger for good and land in this
  // one's (base/memory.h), and with clients coming and going the target shard would come to
  // believe it is far over its share of maxmemory and evict its keys out of turn.
  for (uint32_t s = 0; s < remote_.size(); s++) {
    ShardBatch& b = remote_[s];
    if (s == shard_ || (b.replies.capacity() == 0 && b.reply_end.capacity() == 0)) continue;
    Shards().Post(s, [replies = std::move(b.replies), ends = std::move(b.reply_end)] {});
  }
  auto& v = LocalConnections();
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i] == this) {
      v[i] = v.back();
      v.pop_back();
      break;
    }
  }
}

bool Connection::AuthRequired() const {
  return !state_.authenticated && GlobalConfig().has_password();
}

void Connection::Start() {
  io::SetNoDelay(fd_);
  reactor_->Add(fd_, this);
}

void Connection::OnEvent(uint32_t events) {
  if (closed_) return;
  if (in_input_) {
    // A long script's BUSY turn (kv/tx/script_busy.h) while this connection is inside its own
    // command: note the input for the read loop that is already running, and do nothing else.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) readable_ = true;
    return;
  }
  if (events & (EPOLLERR | EPOLLHUP)) {
    Close("connection error");
    return;
  }
  if (events & EPOLLOUT) Flush();
  if (closed_) return;
  if ((events & EPOLLRDHUP) && blocked_) {
    // A blocked client does not read (its next commands wait), so notice the hang-up here.
    Close("peer closed while blocked");
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    readable_ = true;
    if (direct_inflight_) {
      // The shard's report is still on its way: ask it to wake us when it posts it.
      if (!wake_on_reply_.load(std::memory_order_relaxed)) reactor_->RaiseWakeFlag(&wake_on_reply_);
      return;
    }
    OnReadable();
  }
}

void Connection::Close(const char* why) {
  if (closed_) return;
  LOG_DEBUG("closing client %s: %s", state_.addr.c_str(), why);
  closed_ = true;
  if (state_.monitor) Monitors::Get().Remove(this);
  if (subscribed()) pubsub::UnsubscribeAll(this);
  tracking::Disable(this);
  tracking::UnregisterClient(state_.id, shard_);
  DiscardTransaction(tx_);
  if (blocked_ && blocked_->TryClaim()) blocked_->Finish(BlockedClient::Outcome::kDisconnected);
  reactor_->Remove(fd_);
  if (direct_inflight_) {
    // A shard may still send on this descriptor: keep the number ours until it reports back.
    ::shutdown(fd_, SHUT_RDWR);
    deferred_close_fd_ = fd_;
  } else {
    ::close(fd_);
    ReleaseSlot();  // as in Redis, a closed client no longer counts against maxclients
  }
  fd_ = -1;
  MaybeDestroy();
}

void Connection::ReleaseSlot() {
  if (!holds_slot_) return;
  holds_slot_ = false;
  g_slots.Release();
}

void Connection::ServeWhileBusy() {
  if (closed_ || in_input_ || waiting_ || paused_) return;
  readable_ = true;  // a read that finds nothing just ends the loop (EAGAIN)
  OnReadable();
}

void Connection::MaybeDestroy() {
  if (closed_ && inflight_ == 0) {
    // Defer the delete: we may be inside one of our own member functions.
    reactor_->Post([this] {
      // The end-of-turn step and the release of held output must not find it.
      ForgetTurnClient(this);
      delete this;
    });
    inflight_ = 1 << 30;  // never destroy twice
  }
}

resp::ParserLimits Connection::Limits() const {
  resp::ParserLimits limits;
  limits.max_bulk_len = GlobalConfig().proto_max_bulk_len.load(std::memory_order_relaxed);
  limits.unauthenticated = AuthRequired();
  return limits;
}

size_t Connection::ReadChunk() const {
  size_t want = parser_.BytesWanted();
  size_t chunk = want > kReadChunk ? want : kReadChunk;
  return chunk > 16 * 1024 * 1024 ? 16 * 1024 * 1024 : chunk;
}

void Connection::OnEventSoon(uint32_t events) {
  // Only the plain case: input on a connection that will read it in its OnEvent.
  if (closed_ || in_input_ || waiting_ || paused_ || close_after_reply_ || direct_inflight_ ||
      blocked_ || early_read_ != kNoEarlyRead) {
    return;
  }
  if ((events & (EPOLLERR | EPOLLHUP)) || !(events & EPOLLIN)) return;
  size_t chunk = ReadChunk();
  char* p = in_.Reserve(chunk);
  ssize_t n = ::read(fd_, p, chunk);
  if (n < 0 && errno == EINTR) return;  // OnEvent reads again
  early_read_ = n;
  early_errno_ = n < 0 ? errno : 0;
  early_chunk_ = chunk;
  if (n <= 0) return;
  in_.Commit(size_t(n));
  resp::ParserLimits limits = Limits();
  // The bytes before these were parsed already (an incomplete command): only a fresh start.
  if (!limits.unauthenticated && !parser_.InProgress() && ahead_.Fill(in_.view(), limits) > 0) {
    PrefetchAhead(ahead_, state_.db, shard_, /*later=*/true);
  }
}

void Connection::OnReadable() {
  const Config& cfg = GlobalConfig();
  while (readable_ && !closed_ && !waiting_ && !paused_ && !close_after_reply_) {
    size_t chunk;
    ssize_t n;
    if (early_read_ != kNoEarlyRead) {  // OnEventSoon read already (its bytes are in in_)
      n = early_read_;
      errno = early_errno_;
      chunk = early_chunk_;
      early_read_ = kNoEarlyRead;
    } else {
      chunk = ReadChunk();
      char* p = in_.Reserve(chunk);
      n = ::read(fd_, p, chunk);
      if (n > 0) in_.Commit(size_t(n));
    }
    if (n > 0) {
      LocalTotals().net_input_bytes += uint64_t(n);
      AdvanceLoopClock();  // commands parsed from these bytes are timed from here
      state_.last_interaction_ms = LoopUnixMillis();
      // Only the input not parsed yet counts, as in Redis: the complete arguments of a large
      // command are its argv, not query buffer; the bulk being read (up to its whole length
      // in one read) is.
      int64_t limit = cfg.client_query_buffer_limit.load(std::memory_order_relaxed);
      if (AuthRequired() && limit > kUnauthQueryCap) limit = kUnauthQueryCap;
      if (int64_t(in_.size() - parser_.ParsedBytes()) > limit) {
        LOG_WARNING("closing client %s that reached max query buffer length", state_.addr.c_str());
        Close("query buffer limit");
        return;
      }
      if (size_t(n) < chunk) readable_ = false;  // drained (edge-triggered)
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
      in_.ShrinkIfIdle(kKeepInputBytes);  // a large command's buffer is not kept for the next
      break;
    }
    Close("read error");
    return;
  }
}

std::string* Connection::BeginReply() { return remote_count_ == 0 ? &out_ : &local_replies_; }

void Connection::EndReply() {
  if (remote_count_ == 0) return;
  slots_.push_back(Slot{-1, uint32_t(local_end_.size())});
  local_end_.push_back(local_replies_.size());
}

namespace {

// (Un)subscribing answers with push data, which CLIENT REPLY OFF and SKIP let through, as Redis.
bool IsSubscription(std::string_view name) {
  static const char* const kNames[] = {"subscribe",    "unsubscribe", "psubscribe",
                                       "punsubscribe", "ssubscribe",  "sunsubscribe"};
  for (const char* n : kNames)
    if (EqualsIgnoreCase(name, n)) return true;
  return false;
}

}  // namespace

void Connection::ProcessInput() {
  const Config& cfg = GlobalConfig();
  bool was_in_input = in_input_;
  in_input_ = true;
  struct Restore {
    bool* flag;
    bool value;
    ~Restore() { *flag = value; }
  } restore{&in_input_, was_in_input};
  // What is parsed ahead is only good while this runs: a read may move the buffer before the next.
  struct ClearAhead {
    resp::ParsedAhead* ahead;
    ~ClearAhead() { ahead->Clear(); }
  } clear_ahead{&ahead_};
  while (!closed_ && !waiting_ && !paused_ && !close_after_reply_) {
    resp::ParserLimits limits = Limits();
    size_t consumed = 0;
    // A pipeline is parsed ahead, a window at a time, and its keys prefetched
    // (proto/resp/parse_ahead.h, key_prefetch.h); OnEventSoon may have taken the first window.
    // What the window does not take (an incomplete or inline command, an error) is the parser's.
    bool ahead = ahead_.Take(in_.view(), limits, &args_, &consumed);
    if (!ahead && !limits.unauthenticated && !parser_.InProgress() &&
        ahead_.Fill(in_.view(), limits) > 0) {
      PrefetchAhead(ahead_, state_.db, shard_);
      ahead = ahead_.Take(in_.view(), limits, &args_, &consumed);
    }
    auto st = ahead ? resp::RespParser::Status::kCommand
                    : parser_.Parse(in_.view(), limits, &args_, &consumed);
    if (st == resp::RespParser::Status::kNeedMore) {
      in_.Consume(consumed);
      break;
    }
    if (st == resp::RespParser::Status::kHttp) {
      RejectHttp("HTTP");
      break;
    }
    if (st == resp::RespParser::Status::kError) {
      std::string err;
      resp::ReplyBuilder rb(&err, state_.proto);
      rb.Error("ERR " + parser_.error());
      if (!reply_skip_ && !state_.reply_off) BeginReply()->append(err);
      EndReply();
      close_after_reply_ = true;
      in_.Consume(in_.size());
      break;
    }
    // CLIENT REPLY OFF/SKIP: the command's reply is dropped where it lands (out_, or its slot in
    // the open batch, or the async reply), decided once the command has run: CLIENT REPLY ON
    // answers, OFF and SKIP do not.
    bool skip = reply_skip_;
    bool pushes = (skip || state_.reply_off) && IsSubscription(args_[0]);
    size_t out_mark = out_.size();
    size_t slot_mark = slots_.size();
    async_skip_ = skip;
    if (!Dispatch(args_)) break;  // wait for the pending batch (re-parse afterwards) or stop
    in_.Consume(consumed);
    reply_skip_ = state_.reply_skip_next;
    state_.reply_skip_next = false;
    if ((skip || state_.reply_off) && !pushes) {
      // An async command (waiting_) drops its own reply when it ends, before any pushes due.
      if (!waiting_ && out_.size() > out_mark) out_.resize(out_mark);
      for (size_t i = slot_mark; i < slots_.size(); i++) slots_[i].drop = batch_drops_ = true;
    }
    // A client that pipelines faster than it reads meets the output limit here, command by
    // command, not after the whole input buffer has been answered.
    int64_t hard =
        (subscribed() ? cfg.obuf_pubsub_hard : cfg.obuf_hard).load(std::memory_order_relaxed);
    int64_t pending = int64_t(out_.size() - sent_);
    if ((hard > 0 && pending > hard) || (pending > kUnauthOutputCap && AuthRequired())) {
      Flush(/*now=*/true);
      if (closed_) return;
    }
  }
  if (!waiting_ && remote_count_ > 0) SendBatch();
  if (!waiting_) {
    TakePendingPushes();
    // A tracking client's reply waits for the end of the loop turn, as every reply does in
    // Redis: the invalidations that this turn's writes owe it then go out in the same send.
    if (tracking_.on && !close_after_reply_ && sent_ < out_.size())
      FlushAtEndOfTurn();
    else
      Flush();
  }
}

void Connection::RejectHttp(const char* what) {
  LOG_WARNING(
      "Possible SECURITY ATTACK detected. It looks like somebody is sending %s to strata-server "
      "from %s. Connection aborted.",
      what, state_.addr.c_str());
  // Replies to what came before are still delivered; nothing after this line runs.
  close_after_reply_ = true;
  in_.Consume(in_.size());
}

namespace {

// The commands that act on a transaction instead of joining its queue, as in Redis.
bool ControlsTransaction(const CommandSpec& spec) {
  static const char* const kControl[] = {"exec", "discard", "multi", "watch", "quit", "reset"};
  for (const char* n : kControl)
    if (strcmp(spec.name, n) == 0) return true;
  return false;
}

// RESP2 subscribed mode: what Redis still accepts there.
bool AllowedWhileSubscribed(const CommandSpec& spec) {
  static const char* const kAllowed[] = {"ping",         "subscribe",    "ssubscribe",
                                         "unsubscribe",  "sunsubscribe", "psubscribe",
                                         "punsubscribe", "quit",         "reset"};
  for (const char* n : kAllowed)
    if (strcmp(spec.name, n) == 0) return true;
  return false;
}

// "client|kill" for a container's subcommand, as Redis names commands in errors.
std::string FullCommandName(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::string name = spec.name;
  if (args.size() > 1 && SubcommandsOf(spec)) {
    for (const auto& sub : *SubcommandsOf(spec))
      if (EqualsIgnoreCase(args[1], sub.name)) return name + "|" + sub.name;
  }
  return name;
}

}  // namespace

bool Connection::Dispatch(std::span<const std::string_view> args) {
  // Cross-protocol guard: "POST" and "Host:" lines are HTTP, never commands.
  if (EqualsIgnoreCase(args[0], "post") || EqualsIgnoreCase(args[0], "host:")) {
    RejectHttp("POST or Host: commands");
    return false;
  }
  const CommandSpec* spec = nullptr;
  std::string scratch;
  resp::ReplyBuilder check_rb(&scratch, state_.proto);
  Route route = ResolveCommand(args, state_, shard_, check_rb, &spec);
  if (route.kind == Route::kError) {
    if (spec) LocalCommandCounters()[size_t(spec->id)].rejected++;
    CountErrorReply(scratch);
    tx_.aborted |= tx_.in_multi;  // EXEC will answer EXECABORT
    BeginReply()->append(scratch);
    EndReply();
    return true;
  }
  if (ScriptsBusy() && !AllowedWhileBusy(spec->name, args.size() > 1 ? args[1] : "")) {
    std::string err;
    resp::ReplyBuilder erb(&err, state_.proto);
    erb.Error(BusyError());
    CountErrorReply(err);
    BeginReply()->append(err);
    EndReply();
    return true;
  }
  if (state_.proto == 2 && subscribed() && !AllowedWhileSubscribed(*spec)) {
    std::string err;
    resp::ReplyBuilder erb(&err, state_.proto);
    erb.Error("ERR Can't execute '" + FullCommandName(*spec, args) +
              "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
              "this context");
    tx_.aborted |= tx_.in_multi;
    CountErrorReply(err);
    BeginReply()->append(err);
    EndReply();
    return true;
  }
  // CLIENT PAUSE: the command waits, unparsed, until the pause ends (before MULTI queues it).
  if (PauseType pause = CurrentPause(); pause != PauseType::kOff) {
    bool may_replicate = MayReplicate(*spec, tx_);
    if (PauseBlocks(pause, may_replicate)) return WaitForPause(!may_replicate);
  }
  if (tx_.in_multi && (spec->flags & cmd::kNoMulti)) {
    std::string err;
    resp::ReplyBuilder erb(&err, state_.proto);
    erb.Error("ERR Command not allowed inside a transaction");
    tx_.aborted = true;
    CountErrorReply(err);
    BeginReply()->append(err);
    EndReply();
    return true;
  }
  if (tx_.in_multi && !ControlsTransaction(*spec)) {
    // As Redis, an unknown subcommand or a subcommand's wrong arity is refused while queuing.
    if (SubcommandsOf(spec->name)) {
      std::string err;
      resp::ReplyBuilder erb(&err, state_.proto);
      CmdContext probe;
      probe.args = args;
      probe.rb = &erb;
      probe.spec = spec;
      if (!ResolveSubcommand(probe)) {
        tx_.aborted = true;
        CountErrorReply(err);
        BeginReply()->append(err);
        EndReply();
        return true;
      }
    }
    tx_.queue.push_back(TxState::Queued{spec, std::vector<std::string>(args.begin(), args.end())});
    resp::ReplyBuilder rb(BeginReply(), state_.proto);
    rb.SimpleString("QUEUED");
    EndReply();
    return true;
  }
  // As Redis, administrative commands (CONFIG SET requirepass ...) are not shown to monitors;
  // EXEC shows its commands as it runs them.
  // Scripts are skip_monitor for COMMAND INFO, yet Redis shows them before their commands.
  if (Monitors::Get().active() && strcmp(spec->name, "exec") != 0 &&
      (IsScriptCall(*spec) ||
       !(InvocationFlags(*spec, args) & (cmd::kSkipMonitor | cmd::kAdmin)))) {
    Monitors::Get().Feed(state_, args);
  }
  state_.last_cmd = spec->name;
  if (!state_.last_subcmd.empty()) state_.last_subcmd.clear();
  // CLIENT CACHING YES/NO covers the next command only (a whole transaction, from MULTI on).
  struct CachingReset {
    tracking::ClientTracking* t;
    const TxState* tx;
    bool client_cmd;
    ~CachingReset() {
      if (!client_cmd && !tx->in_multi) t->caching = false;
    }
  } caching_reset{&tracking_, &tx_, strcmp(spec->name, "client") == 0};
  int64_t now = LoopUnixMillis();
  Shard* local = Shards().shard(shard_);

  if (route.kind == Route::kInline && (!spec->keyless() || IsScriptCall(*spec)) &&
      !local->locks().empty()) {
    std::vector<std::string> keys;
    LockKeysOf(*spec, args, state_.db, &keys);
    for (const auto& k : keys) {
      if (local->locks().IsBlocked(k)) {
        route.kind = Route::kRemote;  // queue behind the lock on our own shard
        break;
      }
    }
  }

  // EXEC of a transaction whose keys share a shard: routed there like a single-shard command.
  if (route.kind == Route::kAsync && tx_.in_multi && !tx_.aborted &&
      strcmp(spec->name, "exec") == 0) {
    if (int one = SingleShardOf(tx_); one >= 0) return DispatchShardExec(spec, args, uint32_t(one));
  }

  switch (route.kind) {
    case Route::kInline: {
      std::string* out = BeginReply();
      size_t mark = out->size();
      resp::ReplyBuilder rb(out, state_.proto);
      CmdContext ctx;
      ctx.shard = local;
      ctx.db = state_.db;
      ctx.args = args;
      ctx.rb = &rb;
      ctx.now_ms = now;
      ctx.conn = this;
      ctx.spec = spec;
      ctx.client_id = state_.id;
      ctx.track_reads = tracking_.TrackReads();
      ExecuteHandler(*spec, ctx, state_.addr, state_.name);
      if (ctx.escalate) {
        // A script that needs more than its shard: it left no trace; run it globally.
        out->resize(mark);
        if (remote_count_ > 0) {
          SendBatch();
          return false;
        }
        RunAsync(spec, args);
        return true;
      }
      EndReply();
      return true;
    }
    case Route::kRemote: {
      // Bound what one batch can produce before the output limit is checked again.
      if (remote_count_ >= kMaxBatch || remote_bytes_ >= kMaxBatchBytes) {
        SendBatch();
        return false;
      }
      ShardBatch& batch = remote_[route.shard];
      slots_.push_back(Slot{int32_t(route.shard), uint32_t(batch.cmds.size())});
      batch.Add(spec, args, state_.db, state_.proto);
      batch.cmds.back().track = tracking_.TrackReads();
      remote_count_++;
      for (auto a : args) remote_bytes_ += a.size();
      return true;
    }
    case Route::kAsync:
      if (remote_count_ > 0) {
        SendBatch();
        return false;
      }
      RunAsync(spec, args);
      return true;
    case Route::kError:
      break;
  }
  return true;
}

bool Connection::WaitForPause(bool only_all) {
  if (remote_count_ > 0) {
    SendBatch();  // the commands before it run first; this one is checked again afterwards
    return false;
  }
  paused_ = true;  // stops reading and parsing; replies and pushes still go out
  paused_all_ = only_all;
  g_paused.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void Connection::ResumePausedClients() {
  memcache::Connection::ResumePaused();
  if (g_paused.load(std::memory_order_relaxed) == 0) return;
  PauseType pause = CurrentPause();
  if (pause == PauseType::kAll) return;
  auto conns = LocalConnections();  // copy: a resumed client may close (its delete is posted)
  for (Connection* c : conns) {
    if (!c->paused_ || c->closed_ || (pause == PauseType::kWrite && !c->paused_all_)) continue;
    c->paused_ = false;
    g_paused.fetch_sub(1, std::memory_order_relaxed);
    c->ResumeAfterWork();  // runs the command that waited (or waits again)
  }
}

bool Connection::DispatchShardExec(const CommandSpec* spec, std::span<const std::string_view> args,
                                   uint32_t shard) {
  // Checked before the transaction is taken: a full batch sends first and EXEC is read again.
  if (remote_count_ >= kMaxBatch || remote_bytes_ >= kMaxBatchBytes) {
    SendBatch();
    return false;
  }
  std::unique_ptr<ShardTx> t = TakeShardTx(tx_, state_, args[0]);
  t->exec_spec = spec;
  t->track = tracking_.TrackReads();
  Shard* local = Shards().shard(shard_);
  if (shard == shard_) {
    bool blocked = false;
    if (!local->locks().empty())
      for (const auto& k : t->lock_keys) blocked |= local->locks().IsBlocked(k);
    if (!blocked) {
      RunShardTx(*t, *local, BeginReply());
      EndReply();
      return true;
    }
  }
  // Another shard's, or ours behind a lock: in that shard's batch (its runner waits for locks).
  ShardBatch& batch = remote_[shard];
  slots_.push_back(Slot{int32_t(shard), uint32_t(batch.cmds.size())});
  batch.Add(spec, args, state_.db, state_.proto);
  batch.cmds.back().tx = t.get();
  pending_tx_.push_back(std::move(t));
  remote_count_++;
  for (auto a : args) remote_bytes_ += a.size();
  return true;
}

void Connection::SendBatch() {
  waiting_ = true;
  io::Reactor* origin = reactor_;
  uint32_t targets = 0;
  for (const auto& b : remote_) targets += b.empty() ? 0 : 1;
  // The shard may write the replies itself only if they are everything this socket is due:
  // nothing unsent, no local replies in between, and no other writer on this thread (MONITOR
  // lines today; any future push traffic must be excluded here the same way). Under
  // appendfsync always replies wait for the fsync on this thread (reply_hold.h); under the
  // other policies the shard sends after its end-of-turn log write (RunBatch).
  direct_inflight_ = targets == 1 && local_end_.empty() && sent_ == out_.size() &&
                     !hold_.active() && !close_after_reply_ && !state_.monitor && !batch_drops_ &&
                     !aof::HoldsReplies();
  // With input already waiting (unread, or read but not yet parsed), no new event would wake us
  // for it: the shard's report must wake us itself.
  wake_on_reply_.store(direct_inflight_ && (readable_ || in_.size() > 0),
                       std::memory_order_relaxed);
  for (uint32_t s = 0; s < remote_.size(); s++) {
    if (remote_[s].empty()) continue;
    pending_hops_++;
    inflight_++;
    ShardBatch* batch = &remote_[s];
    batch->Seal();
    batch->direct_fd = direct_inflight_ ? fd_ : -1;
    batch->client_addr = state_.addr;
    batch->client_name = state_.name;
    batch->client_id = state_.id;
    // A shard packed onto this thread runs the batch right here (same thread, no mailbox).
    Shards().PostOrRun(s, [this, s, batch, origin] {
      RunBatch(this, Shards().shard(s), batch, origin, 0, false);
    });
  }
}

// Runs the batch from command `from` on; if one touches a locked key, the rest waits in the
// shard's lock queue and continues when the lock is released. `resumed`: run by the lock queue,
// which checked that no earlier waiter wants these keys; only a held lock blocks then (waiters
// queued later must not send it back).
void Connection::RunBatch(Connection* conn, Shard* shard, ShardBatch* batch, io::Reactor* origin,
                          size_t from, bool resumed) {
  AdvanceLoopClock();
  int64_t now = LoopUnixMillis();
  resp::ReplyBuilder rb(&batch->replies);
  // A batch from a connection on another thread: its keys were not prefetched there.
  size_t prefetch_at = origin->RunByThisThread() ? SIZE_MAX : from;
  for (size_t i = from; i < batch->cmds.size(); i++) {
    if (i == prefetch_at && batch->cmds.size() - i > 1) {
      PrefetchBatch(*shard, *batch, i);
      prefetch_at = i + KeyPrefetch::kAhead;
    }
    const ShardBatch::Cmd& c = batch->cmds[i];
    std::span<const std::string_view> args = batch->Args(c);
    if (!shard->locks().empty()) {
      std::vector<std::string> keys;
      if (c.tx) {
        keys = c.tx->lock_keys;
      } else {
        LockKeysOf(*c.spec, args, c.db, &keys);
      }
      bool blocked = false;
      for (const auto& k : keys)
        blocked |= resumed ? shard->locks().IsLocked(k) : shard->locks().IsBlocked(k);
      if (blocked) {
        std::vector<std::string> all;
        for (size_t j = i; j < batch->cmds.size(); j++) {
          const ShardBatch::Cmd& cj = batch->cmds[j];
          if (cj.tx) {
            all.insert(all.end(), cj.tx->lock_keys.begin(), cj.tx->lock_keys.end());
          } else {
            LockKeysOf(*cj.spec, batch->Args(cj), cj.db, &all);
          }
        }
        shard->locks().Defer(std::move(all),
                             [=] { RunBatch(conn, shard, batch, origin, i, true); });
        return;
      }
    }
    rb.set_proto(c.proto);
    CmdContext ctx;
    ctx.shard = shard;
    ctx.db = c.db;
    ctx.args = args;
    ctx.rb = &rb;
    ctx.now_ms = now;
    ctx.spec = c.spec;
    ctx.client_id = batch->client_id;
    ctx.track_reads = c.track;
    if (c.tx) {
      RunShardTx(*c.tx, *shard, &batch->replies);
      batch->reply_end.push_back(batch->replies.size());
      continue;
    }
    size_t mark = batch->replies.size();
    ExecuteHandler(*c.spec, ctx, batch->client_addr, batch->client_name);
    if (ctx.escalate) {
      // A script that needs more than this shard: the connection's thread runs it
      // globally, then hands the rest of the batch back here.
      batch->replies.resize(mark);
      uint32_t s = shard->id();
      origin->Post([conn, s, batch, i] { conn->RunEscalated(s, batch, i); });
      return;
    }
    batch->reply_end.push_back(batch->replies.size());
  }
  if (batch->direct_fd >= 0) {
    if (!aof::RepliesMustWait()) {
      SendDirect(conn, batch, origin);
      return;
    }
    // Append-only file: the replies go once the log is written, in this turn's end-of-turn
    // step. Under always (the policy changed since the batch left) they wait for the fsync on
    // the connection's thread, which then gets them all (direct_sent is 0).
    if (!aof::HoldsReplies()) {
      RunAfterLogWrite([conn, batch, origin] { SendDirect(conn, batch, origin); });
      return;
    }
  }
  origin->Post([conn] { conn->OnBatchDone(); });
}

void Connection::SendDirect(Connection* conn, ShardBatch* batch, io::Reactor* origin) {
  const std::string& r = batch->replies;
  ssize_t n = ::send(batch->direct_fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) {
    batch->direct_sent = size_t(n);
    LocalTotals().net_output_bytes += uint64_t(n);
  }
  if (batch->direct_sent == r.size()) {
    origin->PostLazy([conn] { conn->OnBatchDone(); }, &conn->wake_on_reply_);
    return;
  }
  // Partial or failed: the connection's thread writes the rest (or sees the error).
  origin->Post([conn] { conn->OnBatchDone(); });
}

void Connection::RunEscalated(uint32_t shard, ShardBatch* batch, size_t index) {
  struct Job {
    std::string reply;
    resp::ReplyBuilder rb{&reply};
    CmdContext ctx;
  };
  auto* job = new Job();
  const ShardBatch::Cmd& c = batch->cmds[index];
  job->rb.set_proto(c.proto);
  job->ctx.shard = Shards().shard(shard_);
  job->ctx.db = c.db;
  job->ctx.args = batch->Args(c);
  job->ctx.rb = &job->rb;
  job->ctx.now_ms = LoopUnixMillis();
  job->ctx.conn = this;
  job->ctx.spec = c.spec;
  job->ctx.client_id = batch->client_id;
  job->ctx.track_reads = c.track;
  RunDetached(c.spec->multi(job->ctx), [this, job, shard, batch, index] {
    batch->replies.append(job->reply);
    batch->reply_end.push_back(batch->replies.size());
    io::Reactor* origin = reactor_;
    reactor_->Post([job] { delete job; });
    Shards().Post(shard, [this, shard, batch, index, origin] {
      RunBatch(this, Shards().shard(shard), batch, origin, index + 1, false);
    });
  });
}

void Connection::OnBatchDone() {
  inflight_--;
  if (--pending_hops_ > 0) return;
  if (direct_inflight_) {
    // One shard, no local replies: its replies are the whole answer, minus what it sent.
    for (const ShardBatch& b : remote_)
      if (!b.empty()) out_.append(b.replies, b.direct_sent);
    direct_inflight_ = false;
    wake_on_reply_.store(false, std::memory_order_relaxed);
    if (deferred_close_fd_ >= 0) {
      ::close(deferred_close_fd_);
      deferred_close_fd_ = -1;
      ReleaseSlot();
    }
  } else {
    // Reassemble the replies in request order.
    size_t local_start = 0;
    for (const Slot& slot : slots_) {
      if (slot.shard < 0) {
        size_t end = local_end_[slot.index];
        if (!slot.drop) out_.append(local_replies_, local_start, end - local_start);
        local_start = end;
      } else if (!slot.drop) {
        ShardBatch& b = remote_[size_t(slot.shard)];
        size_t start = slot.index == 0 ? 0 : b.reply_end[slot.index - 1];
        out_.append(b.replies, start, b.reply_end[slot.index] - start);
      }
    }
  }
  TakePendingPushes();
  slots_.clear();
  batch_drops_ = false;
  pending_tx_.clear();
  local_replies_.clear();
  local_end_.clear();
  for (auto& b : remote_) b.Clear();
  remote_count_ = 0;
  remote_bytes_ = 0;
  ResumeAfterWork();
}

void Connection::ResumeAfterWork() {
  waiting_ = false;
  if (closed_) {
    MaybeDestroy();
    return;
  }
  ProcessInput();
  if (!waiting_ && readable_) OnReadable();
}

void Connection::RunAsync(const CommandSpec* spec, std::span<const std::string_view> args) {
  waiting_ = true;
  inflight_++;
  async_storage_.clear();
  size_t total = 0;
  for (auto a : args) total += a.size();
  async_storage_.reserve(total);
  for (auto a : args) async_storage_.append(a);
  async_args_.clear();
  size_t off = 0;
  for (auto a : args) {
    async_args_.emplace_back(async_storage_.data() + off, a.size());
    off += a.size();
  }
  rb_.set_proto(state_.proto);
  async_reply_.clear();
  async_ctx_ = CmdContext{};
  async_ctx_.shard = Shards().shard(shard_);
  async_ctx_.db = state_.db;
  async_ctx_.args = async_args_;
  async_ctx_.rb = &rb_;
  async_ctx_.now_ms = LoopUnixMillis();
  async_ctx_.conn = this;
  async_ctx_.spec = spec;
  async_ctx_.client_id = state_.id;
  async_ctx_.track_reads = tracking_.TrackReads();
  int64_t start = MonoMicros();
  // Coordinators log their own records while they hold their locks: keyed ones under their key
  // locks (MultiKeyTx), FLUSHALL, FLUSHDB and SWAPDB under every shard's all-keys lock.
  RunDetached(spec->multi(async_ctx_), [this, spec, start] {
    int64_t dur = MonoMicros() - start;
    auto& c = LocalCommandCounters()[size_t(spec->id)];
    c.calls++;
    c.usec += uint64_t(dur);
    LocalTotals().commands++;
    if (!async_reply_.empty() && async_reply_[0] == '-') {
      c.failed++;
      CountErrorReply(async_reply_);
    }
    if (!async_skip_ && !state_.reply_off) out_.append(async_reply_);
    async_reply_.clear();
    TakePendingPushes();
    if (!(spec->flags & cmd::kSkipSlowlog))
      Slowlog::Get().Maybe(dur, async_args_, state_.addr, state_.name);
    RecordCommandLatency((spec->flags & cmd::kFast) != 0, dur);
    // Resume outside the coroutine's final step.
    reactor_->Post([this] {
      inflight_--;
      ResumeAfterWork();
    });
  });
}

void Connection::Flush(bool now) {
  if (closed_) return;
  // Append-only file: a reply waits for the records before it (their write, and under
  // appendfsync always their fsync): the end-of-turn step writes the log once for every reply
  // of the turn, then sends them (reply_hold.h). Output behind held output waits its turn too.
  if (sent_ < out_.size() && (hold_.active() || aof::RepliesMustWait())) {
    FlushAtEndOfTurn();
    return;
  }
  // --io uring: a reply that is not large waits for the end of the turn, which sends it with the
  // other connections' in one system call (io/send_batch.h).
  if (!now && sent_ < out_.size() && SendsBatched(out_.size() - sent_, reactor_)) {
    kv::FlushAtTurnEnd(this);
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
    soft_limit_since_ms_ = 0;
    if (close_after_reply_ && !waiting_) Close("close after reply");
    return;
  }
  // Output pending: enforce the cap for clients yet to authenticate, then
  // client-output-buffer-limit (normal class).
  const Config& cfg = GlobalConfig();
  int64_t pending = int64_t(out_.size() - sent_);
  if (pending > kUnauthOutputCap && AuthRequired()) {
    LOG_WARNING(
        "Client %s closed for overcoming of output buffer limits before authenticating (%lld "
        "bytes pending).",
        state_.addr.c_str(), static_cast<long long>(pending));
    Close("unauthenticated output limit");
    return;
  }
  // Subscribers have their own class (client-output-buffer-limit pubsub), as in Redis.
  bool ps = subscribed();
  int64_t hard = (ps ? cfg.obuf_pubsub_hard : cfg.obuf_hard).load(std::memory_order_relaxed);
  int64_t soft = (ps ? cfg.obuf_pubsub_soft : cfg.obuf_soft).load(std::memory_order_relaxed);
  int soft_secs = (ps ? cfg.obuf_pubsub_seconds : cfg.obuf_soft_seconds).load();
  if (hard > 0 && pending > hard) {
    LOG_WARNING("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                state_.addr.c_str());
    Close("output buffer limit");
    return;
  }
  if (soft > 0 && pending > soft) {
    int64_t now = UnixMillis();
    if (soft_limit_since_ms_ == 0)
      soft_limit_since_ms_ = now;
    else if (now - soft_limit_since_ms_ >= int64_t(soft_secs) * 1000) {
      Close("output buffer soft limit");
      return;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
}

void Connection::SendMonitorLine(const std::string& line) {
  if (closed_) return;
  out_.append(line);
  Flush();
}

}  // namespace strata::kv

namespace strata::kv {

void Connection::Push(std::string_view bytes) {
  if (closed_) return;
  // A client waiting in a blocking command has read nothing yet: its pushes need not wait.
  if ((waiting_ && !blocked_) || remote_count_ > 0 || in_input_) {
    pending_push_.append(bytes);
    const Config& cfg = GlobalConfig();
    int64_t hard =
        (subscribed() ? cfg.obuf_pubsub_hard : cfg.obuf_hard).load(std::memory_order_relaxed);
    if (hard > 0 && int64_t(pending_push_.size() + out_.size() - sent_) > hard) {
      LOG_WARNING("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
                  state_.addr.c_str());
      Close("output buffer limit");
    }
    return;
  }
  TakePendingPushes();  // in order
  out_.append(bytes);
  FlushAtEndOfTurn();
}

void Connection::FlushAtEndOfTurn() {
  if (io::Reactor::Current() == reactor_) {
    kv::FlushAtTurnEnd(this);
    return;
  }
  // Not on its own loop: the flush is asked for there (the connection is open, so its delete,
  // posted after it closes, comes after this).
  reactor_->Post([this] {
    if (!closed_) kv::FlushAtTurnEnd(this);
  });
}

void Connection::TakePendingPushes() {
  if (pending_push_.empty()) return;
  out_.append(pending_push_);
  pending_push_.clear();
  if (pending_push_.capacity() > 64 * 1024) pending_push_.shrink_to_fit();
}

}  // namespace strata::kv
