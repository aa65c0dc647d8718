// Connection: one client socket, living for its whole life on the shard thread that accepted it.
//
// It reads into an input buffer, parses RESP/inline requests and runs them through the
// dispatcher. Replies go into one output string that is written with one send() per batch.
// Pipelined commands whose keys belong to other shards are squashed: consecutive such commands are
// grouped per shard and sent in one message per shard; replies are put back in request order.
// A command that must see every earlier reply first (keyless, cross-shard) waits for the batch.
//
// The object stays alive until every message it sent to other shards has come back, even if the
// socket closes meanwhile (inflight_ counts them).
//
// Direct replies: when a request's keys all live on one other shard and nothing else is due on
// the socket, that shard sends the reply itself and reports back with a lazy message that does not
// wake this thread. The client's next request wakes it anyway, and drains the message first. This
// halves the cross-thread wake-ups of a pipeline-1 request. While such a reply may be in flight
// the socket is not closed (only shut down), so its descriptor cannot be reused under the shard.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/reactor.h"
#include "kv/commands/command.h"
#include "kv/messaging/pubsub.h"
#include "kv/messaging/tracking.h"
#include "kv/server/io_buf.h"
#include "kv/server/reply_hold.h"
#include "kv/server/shard_batch.h"
#include "kv/tx/client_tx.h"
#include "kv/tx/shard_tx.h"
#include "proto/resp/parse_ahead.h"
#include "proto/resp/parser.h"
#include "proto/resp/reply_builder.h"

namespace strata::kv {

class BlockedClient;

// Client state visible to commands (CLIENT, HELLO, SELECT, ...). Touched only on its thread.
struct ClientState {
  uint64_t id = 0;
  std::string addr, laddr;
  std::string name, lib_name, lib_ver;
  int db = 0;
  int proto = 2;
  bool authenticated = false;
  // Connected from 127.0.0.1, ::1 or a Unix socket (Redis's "local": protected-mode and
  // enable-debug-command local). Other 127.0.0.0/8 addresses count as remote, as in Redis.
  bool local = false;
  bool no_evict = false;
  bool monitor = false;
  // CLIENT REPLY: OFF drops every reply until ON; SKIP drops the next command's reply.
  bool reply_off = false;
  bool reply_skip_next = false;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  // CLIENT LIST's cmd=: the last command's static name (set for every command, so no copy), or,
  // when a container command ran a subcommand, "client|kill" in last_subcmd.
  const char* last_cmd = "NULL";
  std::string last_subcmd;
};

class Connection : public io::EventHandler, public TurnClient {
 public:
  Connection(int fd, uint32_t shard, uint64_t id);
  ~Connection() override;

  void Start();
  void OnEvent(uint32_t events) override;
  // Reads the socket ahead of OnEvent and prefetches the first keys of what arrived (see
  // io::EventHandler::OnEventSoon); OnEvent then takes that read's result as its first read.
  void OnEventSoon(uint32_t events) override;

  ClientState& state() { return state_; }
  // MULTI/EXEC/WATCH state (commands/tx_family.cc).
  TxState& tx() { return tx_; }
  uint32_t shard_id() const { return shard_; }
  int fd() const { return fd_; }
  // Closes after the pending replies are written (QUIT, protocol errors).
  void CloseAfterReply() { close_after_reply_ = true; }
  // Closes now (CLIENT KILL, timeouts, output limit).
  void Close(const char* why);
  bool closed() const { return closed_; }
  // requirepass is set and this client has not authenticated yet.
  bool AuthRequired() const;

  // Bytes waiting in the buffers (CLIENT LIST qbuf/omem).
  size_t query_buffer_size() const { return in_.size(); }
  size_t output_size() const { return out_.size() - sent_; }

  // The blocking command this client waits in (BLPOP, ...), or null; CLIENT UNBLOCK, a timeout
  // and disconnection end the wait through it.
  void set_blocked(std::shared_ptr<BlockedClient> b) { blocked_ = std::move(b); }
  BlockedClient* blocked() const { return blocked_.get(); }

  // Delivers a line to a MONITOR client.
  void SendMonitorLine(const std::string& line);

  // Pub/Sub subscriptions (kv/messaging/pubsub.h).
  pubsub::ClientSubs& subs() { return subs_; }
  bool subscribed() const { return subs_.total() > 0; }
  // CLIENT TRACKING settings (kv/messaging/tracking.h).
  tracking::ClientTracking& tracking() { return tracking_; }
  // Out-of-band data for this client (pub/sub messages, invalidations), called on its thread
  // between commands. It goes after every reply already due: while requests are in flight it
  // waits for their replies, so a push never overtakes the reply of a command that ran before the
  // event it reports. Written once per mailbox round, with the pub/sub output limits.
  void Push(std::string_view bytes);

  // Resumes the clients of the shard this thread is working for whose command waited for a
  // CLIENT PAUSE that has ended (kv/server/client_pause.h). Cheap when no client waits.
  static void ResumePausedClients();

  // The clients of the shard this thread is working for now.
  static std::vector<Connection*>& LocalConnections();
  // While a script keeps this thread busy: reads and answers whatever input is waiting, unless
  // this connection is inside a command of its own (tx/script_busy.h).
  void ServeWhileBusy();

 private:
  void OnReadable();
  // Cross-protocol guard: logs and closes after the replies already due.
  void RejectHttp(const char* what);
  void ProcessInput();
  // Returns false if the command must wait for the pending batch (nothing consumed).
  bool Dispatch(std::span<const std::string_view> args);
  // EXEC of a transaction whose keys all live on `shard` (tx/shard_tx.h).
  bool DispatchShardExec(const CommandSpec* spec, std::span<const std::string_view> args,
                         uint32_t shard);
  void SendBatch();
  // Shard thread: runs a sealed batch from command `from` (see connection.cc).
  static void RunBatch(Connection* conn, Shard* shard, ShardBatch* batch, io::Reactor* origin,
                       size_t from, bool resumed);
  // Connection thread: runs batch command `index`, a script that escalated, as a coordinator,
  // then hands the batch back to `shard` from the next command.
  void RunEscalated(uint32_t shard, ShardBatch* batch, size_t index);
  void OnBatchDone();
  // After a batch or async command completes: continue with the input that waited for it.
  void ResumeAfterWork();
  void RunAsync(const CommandSpec* spec, std::span<const std::string_view> args);
  // Sends out_, or leaves it to the end-of-turn step while the append-only file holds replies,
  // or, under --io uring, to send it with the turn's other replies in one system call (unless
  // `now`: a client over its output limit must meet the limit while its input is read).
  void Flush(bool now = false);
  // TurnClient (kv/server/reply_hold.h): it sends out_, everything or what the append-only
  // file's hold allows. With a direct reply in flight nothing is held (SendBatch), so a release
  // never races its send.
  TurnOutput Output() override { return {fd_, &out_, &sent_}; }
  void AfterSend(SendResult r) override;
  bool TurnClosed() const override { return closed_; }
  // A command still running on other shards (not a blocked one) finishes the output itself.
  bool TurnFlushWaits() const override { return waiting_ && !blocked_; }
  // After replies were assembled: appends the pushes that waited for them.
  void TakePendingPushes();
  // Sends out_ in this loop turn's end-of-turn step (kv/server/reply_hold.h).
  void FlushAtEndOfTurn();
  // A shard's direct reply to this connection's socket, sent once the log is written.
  static void SendDirect(Connection* conn, ShardBatch* batch, io::Reactor* origin);
  void MaybeDestroy();
  // While a batch is open, replies of local commands go to local_replies_ and every reply gets a
  // slot so the final order matches the requests.
  std::string* BeginReply();
  void EndReply();

  int fd_;
  uint32_t shard_;
  bool in_input_ = false;  // inside ProcessInput (see OnEvent)
  io::Reactor* reactor_;   // the owning shard thread's loop
  ClientState state_;
  TxState tx_;
  resp::RespParser parser_;
  IoBuf in_;
  std::string out_;
  size_t sent_ = 0;
  resp::ReplyBuilder rb_;
  std::vector<std::string_view> args_;
  resp::ParsedAhead ahead_;  // the next commands of a pipeline, parsed (proto/resp/parse_ahead.h)

  // Squashed remote batch.
  struct Slot {
    int32_t shard;  // -1: local reply
    uint32_t index;
    bool drop = false;  // CLIENT REPLY OFF/SKIP: the reply is not sent
  };
  std::vector<ShardBatch> remote_;  // per shard
  // Transactions sent in the batches in flight (ShardBatch::Cmd::tx), freed on this thread.
  std::vector<std::unique_ptr<ShardTx>> pending_tx_;
  std::vector<Slot> slots_;  // reply order while a batch is open
  std::string local_replies_;
  std::vector<size_t> local_end_;
  size_t remote_count_ = 0;
  size_t remote_bytes_ = 0;  // argument bytes in remote_
  int pending_hops_ = 0;

  // Async (coroutine) command in flight.
  CmdContext async_ctx_;
  std::string async_reply_;  // the async command's reply, appended to out_ when it finishes
  std::string async_storage_;
  std::vector<std::string_view> async_args_;

  bool direct_inflight_ = false;  // a shard may be writing a direct reply to fd_
  int deferred_close_fd_ = -1;    // shut down, closed once the direct reply has come back
  // Raised (under the reactor's mailbox lock) when input arrives while a direct reply is in
  // flight: the shard must then wake us when it reports back.
  std::atomic<bool> wake_on_reply_{false};

  // CLIENT REPLY SKIP armed for the command being dispatched, and for the async command in flight.
  bool reply_skip_ = false;
  bool async_skip_ = false;
  bool batch_drops_ = false;  // a slot of the open batch is dropped (no direct reply then)
  // The next command waits for a CLIENT PAUSE to end, and no input is read meanwhile;
  // `paused_all_`: it would run under a WRITE pause, so only the end of an ALL pause resumes it.
  bool paused_ = false;
  bool paused_all_ = false;
  // Returns false after deciding the command waits (for the pause, or for the open batch first).
  bool WaitForPause(bool only_all);

  bool waiting_ = false;  // a batch or async command is in flight
  bool readable_ = true;  // edge-triggered: more input may be pending in the socket
  // A read OnEventSoon made, not yet handled by OnReadable: its result (bytes, already in in_;
  // 0 at end of stream; -1 with early_errno_) and the size it asked for. The commands it brought
  // are parsed ahead, in ahead_.
  static constexpr ssize_t kNoEarlyRead = -2;
  ssize_t early_read_ = kNoEarlyRead;
  int early_errno_ = 0;
  size_t early_chunk_ = 0;
  size_t ReadChunk() const;
  resp::ParserLimits Limits() const;  // for this connection's parser, now
  bool close_after_reply_ = false;
  bool closed_ = false;
  // The client slot taken when the client was admitted, given back once its descriptor closes.
  bool holds_slot_ = true;
  void ReleaseSlot();
  int inflight_ = 0;
  int64_t soft_limit_since_ms_ = 0;
  std::shared_ptr<BlockedClient> blocked_;
  pubsub::ClientSubs subs_;
  tracking::ClientTracking tracking_;
  std::string pending_push_;  // pushes waiting for the replies in flight
};

// Total connected clients, process wide (maxclients, INFO).
int64_t ConnectedClients();
// Takes a client slot if fewer than `max` are taken (kv/server/client_slots.h); every Connection
// is created with one and gives it back when its descriptor is closed.
bool ReserveClientSlot(int64_t max);
// Gives a slot taken by ReserveClientSlot back (memcached connections, kv/memcache).
void ReleaseClientSlot();

}  // namespace strata::kv
