// memcache::Connection: one memcached text-protocol client, living on the shard thread that
// accepted it from the memcached listener (--memcached-port), like a RESP Connection.
//
// It reads into an input buffer and parses the requests it holds with the pure memcache::Parser
// into a batch (up to 64 requests), as a RESP pipeline is squashed: the batch's keys are executed
// on the shards that own them (commands.h), the own shard's inline and every other shard's steps
// in one message to that shard's thread through the ShardSet, whose completion comes back as a
// message to this thread. Steps of one shard run in request order, so requests on the same key
// keep their order; the replies are put back in request order (and a multi-key get's VALUE
// blocks in key order). While a batch waits nothing more is parsed or read, so the requests'
// views into the input buffer stay valid. stats and flush_all run on their own, after every
// request before them.
//
// Keys locked by a cross-shard RESP transaction (MULTI/EXEC, scripts) are respected: a step on a
// locked key waits in that shard's lock queue, as a RESP command does.
//
// The object stays alive until every message it sent has come back, even if the socket closes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/reactor.h"
#include "kv/memcache/commands.h"
#include "kv/server/io_buf.h"
#include "kv/server/reply_hold.h"
#include "proto/memcache/parser.h"

namespace strata::kv::memcache {

class Connection : public io::EventHandler, public TurnClient {
 public:
  Connection(int fd, uint32_t shard);
  ~Connection() override;

  void Start();
  void OnEvent(uint32_t events) override;
  void Close(const char* why);
  bool closed() const { return closed_; }

  // The memcached clients of the shard this thread is working for.
  static std::vector<Connection*>& LocalConnections();
  // Runs the requests of this shard's clients that waited for a CLIENT PAUSE that has ended.
  static void ResumePaused();
  // Closes this shard's clients idle for `timeout_s` seconds (the timeout option).
  static void CloseIdle(int64_t now_ms, int timeout_s);

 private:
  void OnReadable();
  // Parses what the input holds into a batch of requests and runs it (see RunBatch).
  void ProcessInput();
  // Parses requests into batch_ (or one that runs alone into req_); false once the input holds
  // no further complete request.
  bool ParseBatch();
  // CLIENT PAUSE holds the parsed requests: ALL holds everything, WRITE the batches with a write.
  bool PauseHolds() const;
  // Runs req_, a request that runs on its own: stats, flush_all.
  void Execute();
  // Runs the batch's key steps: one message per other shard involved, the own shard's inline.
  void RunBatch();
  void Stats();
  void FlushAll();
  // Completion of the shard steps (on this thread): the replies in request order, the input
  // they used consumed, and the next requests.
  void OnStepsDone();
  // Sends out_, or leaves it to the end-of-turn step while the append-only file holds replies
  // (kv/server/reply_hold.h), as a RESP connection does.
  void Flush();
  // TurnClient (kv/server/reply_hold.h): it sends out_.
  TurnOutput Output() override { return {fd_, &out_, &sent_}; }
  void AfterSend(SendResult r) override;
  bool TurnClosed() const override { return closed_; }
  void MaybeDestroy();

  int fd_;
  uint32_t shard_;
  io::Reactor* reactor_;
  Caller caller_;
  ::strata::memcache::Parser parser_;
  ::strata::memcache::Request req_;  // a request that runs on its own
  bool alone_ = false;               // req_ is parsed and waits to run

  // Pipelined requests parsed and run together. Their views point into in_, which is neither
  // consumed nor read into until they are done; parsed_ counts the input they used.
  struct Pending {
    ::strata::memcache::Request req;
    std::string local;  // the reply of a request that is not a key command (errors, version)
    bool keyed = false;
    bool close = false;  // quit, or a protocol the connection closes on
  };
  std::vector<Pending> batch_;
  uint32_t n_ = 0;  // requests in batch_ (its elements are reused)
  size_t parsed_ = 0;
  IoBuf in_;
  std::string out_;
  size_t sent_ = 0;

  // Per shard: the replies of this request's steps there and where each key's ends; written by
  // that shard's thread while a message is out, read here afterwards.
  // One key of a batch request: batch_[req], its key number `key` (0 for single-key commands).
  struct Item {
    uint32_t req;
    uint32_t key;
  };
  std::string_view KeyOf(const Item& it) const;
  // Per shard: its steps of the batch, their replies and where each ends; written by that
  // shard's thread while a message is out, read here afterwards.
  struct Part {
    std::vector<Item> items;
    std::string replies;
    std::vector<size_t> ends;
  };
  std::vector<Part> parts_;
  int pending_ = 0;  // shard messages out for the current request
  enum class Finish { kBatch, kStats } finish_ = Finish::kBatch;
  std::vector<uint64_t> items_, evictions_;  // stats: per shard

  bool waiting_ = false;
  bool paused_ = false;  // the parsed requests wait for a CLIENT PAUSE to end
  bool readable_ = true;
  bool close_after_reply_ = false;
  bool closed_ = false;
  bool in_input_ = false;
  int inflight_ = 0;
  int64_t last_ms_ = 0;  // last input
};

// Starts the process-wide bookkeeping (uptime) of the memcached listener.
void NoteServerStart();

}  // namespace strata::kv::memcache
