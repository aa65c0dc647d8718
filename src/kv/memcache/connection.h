// memcache::Connection: one memcached text-protocol client, living on the shard thread that
// accepted it from the memcached listener (--memcached-port), like a RESP Connection.
//
// It reads into an input buffer, parses requests with the pure memcache::Parser and runs them in
// order. A request's keys are executed on the shards that own them (commands.h): inline when the
// key is the connection's own shard's, otherwise as a message to that shard's thread through the
// ShardSet, whose reply comes back as a message to this thread. A multi-key get sends one message
// per shard involved and puts the VALUE blocks back in key order. While a request waits for other
// shards nothing more is parsed, so replies keep request order and the request's views into the
// input buffer stay valid (the buffer is not read into meanwhile).
//
// Keys locked by a cross-shard RESP transaction (MULTI/EXEC, scripts) are respected: a step on a
// locked key waits in that shard's lock queue, as a RESP command does.
//
// The object stays alive until every message it sent has come back, even if the socket closes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/reactor.h"
#include "kv/memcache/commands.h"
#include "kv/server/io_buf.h"
#include "proto/memcache/parser.h"

namespace strata::kv::memcache {

class Connection : public io::EventHandler {
 public:
  Connection(int fd, uint32_t shard);
  ~Connection() override;

  void Start();
  void OnEvent(uint32_t events) override;
  void Close(const char* why);
  bool closed() const { return closed_; }

  // The memcached clients of the shard this thread is working for.
  static std::vector<Connection*>& LocalConnections();
  // Closes this shard's clients idle for `timeout_s` seconds (the timeout option).
  static void CloseIdle(int64_t now_ms, int timeout_s);

 private:
  void OnReadable();
  void ProcessInput();
  // Runs req_; false if it waits for other shards (the input is consumed when it completes).
  bool Execute();
  void RunKeys();
  void Stats();
  void FlushAll();
  // Completion of the shard steps of the current request (on this thread).
  void OnStepsDone();
  void Flush();
  void MaybeDestroy();

  int fd_;
  uint32_t shard_;
  io::Reactor* reactor_;
  Caller caller_;
  ::strata::memcache::Parser parser_;
  ::strata::memcache::Request req_;
  size_t req_consumed_ = 0;
  IoBuf in_;
  std::string out_;
  size_t sent_ = 0;

  // Per shard: the replies of this request's steps there and where each key's ends; written by
  // that shard's thread while a message is out, read here afterwards.
  struct Part {
    std::vector<uint32_t> keys;  // indices into the request's keys
    std::string replies;
    std::vector<size_t> ends;
  };
  std::vector<Part> parts_;
  int pending_ = 0;  // shard messages out for the current request
  enum class Finish { kKeys, kStats } finish_ = Finish::kKeys;
  std::vector<uint64_t> items_, evictions_;  // stats: per shard

  bool waiting_ = false;
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
