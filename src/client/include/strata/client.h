// strata::Client: a connection pool to strata-server or redis-server, with a synchronous and a
// coroutine API over one I/O thread.
//
// Threads. The client owns one I/O thread (an event loop) that runs every connection of the
// pool. Any thread may call any method; the synchronous ones block the caller until the reply
// comes, so they must not be called from the I/O thread itself (callbacks and coroutines resumed
// by a reply run there). Coroutines (Async) and callbacks (Send) never block a thread.
//
// Pipelining. Commands written during one turn of the I/O loop leave in one write, so concurrent
// callers pipeline without asking; Pipeline() sends a batch in one go on one connection.
//
// Ordering. A command goes to the pool connection chosen by its key (the second argument), so
// the commands of one key, from any thread, reach the server in the order they were issued.
// Commands without a key go round-robin.
//
// Protocol. Each connection starts with HELLO 3 (with AUTH and SETNAME when configured). A server
// that refuses it gets RESP2 (AUTH, CLIENT SETNAME) instead; protocol() says which was agreed.
// RESP3 push messages (invalidations, pub/sub) go to options.on_push, never to a command.
//
// Failures. A reply late by more than the command timeout fails that command with TimeoutError
// and resets its connection (later replies could no longer be matched). A broken connection fails
// the commands written on it with ConnectionError (they may have run) and reconnects with
// exponential backoff (reconnect_min doubling up to reconnect_max, with jitter). Commands issued
// while a connection is down wait for it, up to their timeout; nothing is retried by the library.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "strata/error.h"
#include "strata/reply.h"
#include "strata/task.h"

namespace strata {

using Args = std::vector<std::string>;
// Receives a reply (an error reply included) or, when `error` is set, the failure. Runs on the
// I/O thread.
using ReplyCallback = std::function<void(Reply&& reply, std::exception_ptr error)>;
using BatchCallback = std::function<void(std::vector<Reply>&& replies, std::exception_ptr error)>;

// What a connection of the pool went through: it came up (after the handshake and the
// on_connect commands) or went down.
struct ConnectionEvent {
  size_t connection = 0;  // index in the pool
  bool up = false;
  int protocol = 0;               // 2 or 3, when up
  std::vector<Reply> on_connect;  // the replies to options.on_connect, when up
  std::string error;              // why it went down
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string username;  // with password: AUTH username password (ACL)
  std::string password;
  std::string client_name;
  int db = 0;
  int protocol = 3;  // 3: HELLO 3, falling back to 2; 2: RESP2 only
  size_t pool_size = 2;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds reconnect_min{20};
  std::chrono::milliseconds reconnect_max{2000};
  // Sent on every connection after the handshake, before it serves commands (e.g. CLIENT
  // TRACKING on). Their replies are in ConnectionEvent::on_connect.
  std::vector<Args> on_connect;
  // I/O thread. RESP3 pushes (invalidate, message, ...).
  std::function<void(size_t connection, Reply&& push)> on_push;
  // I/O thread. Each connection's ups and downs.
  std::function<void(const ConnectionEvent&)> on_connection;
};

struct ClientStats {
  uint64_t commands = 0;
  uint64_t errors = 0;      // failed commands (connection, timeout); error replies not counted
  uint64_t reconnects = 0;  // connections established after the first
  uint64_t timeouts = 0;
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- Synchronous API (any thread but the I/O thread) -------------------------------------
  // Runs one command; an error reply throws ServerError. timeout 0 = the command timeout (give
  // blocking commands such as BLPOP or XREADGROUP BLOCK a longer one).
  Reply Command(Args args, std::chrono::milliseconds timeout = {});
  Reply Command(std::initializer_list<std::string_view> args) {
    return Command(Args(args.begin(), args.end()));
  }
  // Sends the commands in one batch on one connection; the replies come back in order, error
  // replies in place (not thrown). A connection failure throws.
  std::vector<Reply> Pipeline(std::vector<Args> commands);
  // Like Pipeline, wrapped in MULTI/EXEC: the commands run atomically. Returns EXEC's replies;
  // nullopt when a WATCH made EXEC abort. An error queuing a command throws ServerError.
  std::optional<std::vector<Reply>> Transaction(std::vector<Args> commands);

  // Typed helpers for the commands the caching patterns use most.
  std::optional<std::string> Get(std::string_view key);
  // SET with an optional expiry (0 = none); nx: only if absent. Returns whether it was set.
  bool Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl = {},
           bool nx = false);
  int64_t Del(std::string_view key);
  int64_t Incr(std::string_view key, int64_t by = 1);
  // The remaining time to live in ms; -1 no expiry, -2 no key.
  int64_t PTtl(std::string_view key);
  // Runs a script by EVALSHA, loading it with SCRIPT LOAD when the server does not know it.
  Reply Eval(std::string_view script, std::vector<std::string> keys, std::vector<std::string> args);

  // --- Asynchronous API -------------------------------------------------------------------
  // Queues the command; cb runs on the I/O thread with the reply or the failure.
  void Send(Args args, ReplyCallback cb, std::chrono::milliseconds timeout = {});
  void SendBatch(std::vector<Args> commands, BatchCallback cb);
  // co_await client.Async(args) -> Reply. An error reply throws ServerError; the
  // coroutine resumes on the I/O thread.
  class Awaiter;
  Awaiter Async(Args args, std::chrono::milliseconds timeout = {});
  // co_await client.Async("GET", "k"): the arguments one by one. (Prefer this to a braced list
  // inside co_await: GCC 12 miscompiles initializer-list temporaries in co_await expressions.)
  template <typename... A>
  Awaiter Async(std::string_view command, A&&... rest);

  // --- State ----------------------------------------------------------------------------------
  // Waits until every connection of the pool is up (or the timeout passes); returns whether
  // they are.
  bool WaitConnected(std::chrono::milliseconds timeout);
  // The protocol agreed with the server (2 or 3); 0 before the first connection.
  int protocol() const;
  ClientStats stats() const;
  const ClientOptions& options() const;
  // Whether the calling thread is this client's I/O thread.
  bool OnIoThread() const;
  // Runs fn on the I/O thread (for code that must be ordered with callbacks and pushes).
  void Post(std::function<void()> fn);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class Client::Awaiter {
 public:
  Awaiter(Client* client, Args args, std::chrono::milliseconds timeout)
      : client_(client), args_(std::move(args)), timeout_(timeout) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h);
  Reply await_resume();

 private:
  Client* client_;
  Args args_;
  std::chrono::milliseconds timeout_;
  Reply reply_;
  std::exception_ptr error_;
};

template <typename... A>
Client::Awaiter Client::Async(std::string_view command, A&&... rest) {
  Args args;
  args.reserve(1 + sizeof...(rest));
  args.emplace_back(command);
  (args.emplace_back(std::string_view(rest)), ...);
  return Async(std::move(args));
}

}  // namespace strata
