// client::Connection: one connection of a Client's pool, driven by the client's I/O thread.
//
// Life cycle: kDown -> Connect() -> kConnecting (non-blocking connect) -> kHandshake (HELLO 3 or
// the RESP2 fallback, SELECT, the on_connect commands) -> kReady. A failure in any state fails the
// commands written on the connection, returns it to kDown and schedules the next attempt with
// exponential backoff. Commands issued before kReady wait in `waiting_` (with their deadlines)
// and are written, in order, once the handshake is done.
//
// Every member is touched only from the owning client's I/O thread.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/reply_tree.h"
#include "io/reactor.h"
#include "proto/resp/reply_parser.h"
#include "strata/client.h"

namespace strata::client {

// The commands of one Pipeline/SendBatch: the replies gather here, in order, and the callback
// runs once the last is in.
struct BatchState {
  std::vector<Reply> replies;
  size_t left = 0;
  std::exception_ptr error;  // the first failure
  BatchCallback cb;
  void Deliver(uint32_t i, Reply&& r, std::exception_ptr e) {
    if (e && !error) error = e;
    replies[i] = std::move(r);
    if (--left == 0) cb(std::move(replies), error);
  }
};

// One command on its way: who waits for its reply (a callback, or a slot of a batch).
struct Pending {
  ReplyCallback done;
  int64_t deadline_ms = 0;  // reactor clock
  std::shared_ptr<BatchState> batch;
  uint32_t index = 0;
  void Complete(Reply&& r, std::exception_ptr e) {
    if (batch) {
      batch->Deliver(index, std::move(r), e);
    } else {
      done(std::move(r), e);
    }
  }
};

class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  virtual void OnConnectionEvent(const ConnectionEvent& ev) = 0;
  virtual void OnPush(size_t index, Reply&& push) = 0;
  virtual void CountFailure(bool timeout) = 0;
};

class Connection : public io::EventHandler {
 public:
  enum class State { kDown, kConnecting, kHandshake, kReady };

  Connection(ConnectionOwner* owner, size_t index, io::Reactor* reactor,
             const ClientOptions* options);
  ~Connection() override;

  // Starts connecting now (kDown only).
  void Connect();
  // Queues one command (its RESP encoding) and its callback.
  void Submit(std::string wire, Pending pending);
  // Queues a batch of n commands (their encodings concatenated in `wire`).
  void SubmitBatch(std::string wire, const std::shared_ptr<BatchState>& batch, size_t n,
                   int64_t deadline_ms);
  // Fails what passed its deadline; a late reply resets the connection. Periodic.
  void CheckDeadlines(int64_t now_ms);
  // Fails everything and closes for good (client shutdown).
  void Shutdown(const std::string& why);

  State state() const { return state_; }
  int protocol() const { return protocol_; }

  void OnEvent(uint32_t events) override;

 private:
  void Fail(const std::string& why, bool timeout);
  void ScheduleReconnect();
  void OnConnected();
  void StartHandshake();
  void Handshake2();  // after HELLO's reply: SELECT and on_connect
  void BecomeReady(std::vector<Reply> on_connect);
  void Write(std::string_view wire, Pending pending);
  void ScheduleFlush();
  void Flush();
  // Reads what the socket holds (to_end: until EOF or EAGAIN, not just a short read) and
  // dispatches the complete replies.
  void ReadAll(bool to_end);
  void Close();

  ConnectionOwner* owner_;
  size_t index_;
  io::Reactor* reactor_;
  const ClientOptions* options_;

  State state_ = State::kDown;
  bool closed_for_good_ = false;
  int fd_ = -1;
  int protocol_ = 0;
  int attempts_ = 0;      // failed attempts since the last success
  bool ever_up_ = false;  // for the reconnect count
  std::string last_error_;
  int64_t connect_deadline_ = 0;
  io::Reactor::TimerId reconnect_timer_ = 0;

  std::string out_;
  size_t out_sent_ = 0;
  bool flush_scheduled_ = false;
  std::string in_;
  size_t in_start_ = 0;
  char rbuf_[65536];
  resp::ReplyParser parser_;
  ReplyTree tree_;

  std::deque<Pending> inflight_;  // written, awaiting replies, in order
  struct Waiting {
    std::string wire;
    Pending pending;
  };
  std::deque<Waiting> waiting_;  // issued before kReady
  // Liveness token: callbacks scheduled on the reactor check it so none runs after destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "*N\r\n$len\r\narg\r\n..." for one command.
void EncodeCommand(const Args& args, std::string* out);

}  // namespace strata::client
