#include "strata/client.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "base/hash.h"
#include "base/sha1.h"
#include "core/connection.h"
#include "io/reactor.h"

namespace strata {

using client::Connection;

namespace {
// The client whose I/O thread this is (nullptr on other threads).
thread_local const void* t_io_owner = nullptr;
}  // namespace
using client::Pending;

class Client::Impl : public client::ConnectionOwner {
 public:
  explicit Impl(ClientOptions options) : options_(std::move(options)) {
    if (options_.pool_size == 0) options_.pool_size = 1;
    for (size_t i = 0; i < options_.pool_size; i++) {
      conns_.push_back(std::make_unique<Connection>(this, i, &reactor_, &options_));
      ever_up_.push_back(false);
    }
    thread_ = std::thread([this] {
      t_io_owner = this;
      io_thread_id_.store(std::this_thread::get_id());
      reactor_.Run();
    });
    reactor_.Post([this] {
      for (auto& c : conns_) c->Connect();
      reactor_.RunEvery(10, [this] {
        reactor_.RefreshNow();
        for (auto& c : conns_) c->CheckDeadlines(reactor_.NowMs());
      });
    });
  }

  ~Impl() override {
    std::promise<void> done;
    // A message from another thread runs before the events of the turn that took it, and
    // those may still name a connection: shut them here, and delete them from a message posted
    // by the loop itself, which runs after this turn's events.
    reactor_.Post([this, &done] {
      for (auto& c : conns_) c->Shutdown("client is closed");
      reactor_.Post([this, &done] {
        conns_.clear();
        done.set_value();
      });
    });
    done.get_future().wait();
    reactor_.Stop();
    thread_.join();
  }

  // ConnectionOwner (I/O thread).
  void OnConnectionEvent(const ConnectionEvent& ev) override {
    if (ev.up) {
      if (ever_up_[ev.connection]) reconnects_.fetch_add(1, std::memory_order_relaxed);
      ever_up_[ev.connection] = true;
      protocol_.store(ev.protocol, std::memory_order_relaxed);
    }
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      up_count_ += ev.up ? 1 : -1;
    }
    state_cv_.notify_all();
    if (options_.on_connection) options_.on_connection(ev);
  }
  void OnPush(size_t index, Reply&& push) override {
    if (options_.on_push) options_.on_push(index, std::move(push));
  }
  void CountFailure(bool timeout) override {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (timeout) timeouts_.fetch_add(1, std::memory_order_relaxed);
  }

  // Runs fn now when called on the I/O thread (a callback issuing its next command), else
  // queues it there.
  template <typename F>
  void RunOnIo(F&& fn) {
    if (t_io_owner == this) {
      fn();
    } else {
      reactor_.Post(std::forward<F>(fn));
    }
  }

  size_t Pick(const Args& args) {
    if (conns_count() == 1) return 0;
    if (args.size() >= 2) return HashKey(args[1]) % conns_count();
    return rr_.fetch_add(1, std::memory_order_relaxed) % conns_count();
  }
  size_t conns_count() const { return options_.pool_size; }

  int64_t Deadline(std::chrono::milliseconds timeout) {
    if (timeout.count() < 0) return INT64_MAX;
    if (timeout.count() == 0) timeout = options_.command_timeout;
    reactor_.RefreshNow();
    return reactor_.NowMs() + timeout.count();
  }

  void Send(Args args, ReplyCallback cb, std::chrono::milliseconds timeout) {
    commands_.fetch_add(1, std::memory_order_relaxed);
    const size_t idx = Pick(args);
    std::string wire;
    client::EncodeCommand(args, &wire);
    RunOnIo([this, idx, timeout, wire = std::move(wire), cb = std::move(cb)]() mutable {
      if (idx >= conns_.size()) {
        cb(Reply(), std::make_exception_ptr(ConnectionError("client is closed")));
        return;
      }
      conns_[idx]->Submit(std::move(wire), Pending{std::move(cb), Deadline(timeout)});
    });
  }

  void SendBatch(std::vector<Args> commands, BatchCallback cb) {
    if (commands.empty()) {
      RunOnIo([cb = std::move(cb)] { cb({}, nullptr); });
      return;
    }
    commands_.fetch_add(commands.size(), std::memory_order_relaxed);
    const size_t idx = Pick(commands.front());
    auto batch = std::make_shared<client::BatchState>();
    batch->replies.resize(commands.size());
    batch->left = commands.size();
    batch->cb = std::move(cb);
    std::string wire;
    for (const Args& c : commands) client::EncodeCommand(c, &wire);
    const size_t n = commands.size();
    RunOnIo([this, idx, batch, n, wire = std::move(wire)]() mutable {
      if (idx >= conns_.size()) {
        for (size_t i = 0; i < n; i++) {
          batch->Deliver(uint32_t(i), Reply(),
                         std::make_exception_ptr(ConnectionError("client is closed")));
        }
        return;
      }
      conns_[idx]->SubmitBatch(std::move(wire), batch, n, Deadline({}));
    });
  }

  ClientOptions options_;
  io::Reactor reactor_;
  std::thread thread_;
  std::atomic<std::thread::id> io_thread_id_{};
  std::vector<std::unique_ptr<Connection>> conns_;  // I/O thread
  std::vector<bool> ever_up_;                       // I/O thread
  std::atomic<size_t> rr_{0};
  std::atomic<int> protocol_{0};
  std::atomic<uint64_t> commands_{0}, errors_{0}, reconnects_{0}, timeouts_{0};
  std::mutex state_mu_;
  std::condition_variable state_cv_;
  int64_t up_count_ = 0;  // guarded by state_mu_
};

namespace {
void CheckNotIoThread(const Client& c) {
  if (c.OnIoThread()) {
    throw std::logic_error(
        "strata::Client: a synchronous call on the client's own I/O thread would deadlock; "
        "use Async or Send there");
  }
}
}  // namespace

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

Reply Client::Command(Args args, std::chrono::milliseconds timeout) {
  CheckNotIoThread(*this);
  std::promise<Reply> p;
  auto f = p.get_future();
  impl_->Send(
      std::move(args),
      [&p](Reply&& r, std::exception_ptr e) {
        if (e) {
          p.set_exception(e);
        } else {
          p.set_value(std::move(r));
        }
      },
      timeout);
  Reply r = f.get();
  if (r.is_error()) throw ServerError(r.str());
  return r;
}

std::vector<Reply> Client::Pipeline(std::vector<Args> commands) {
  CheckNotIoThread(*this);
  std::promise<std::vector<Reply>> p;
  auto f = p.get_future();
  impl_->SendBatch(std::move(commands), [&p](std::vector<Reply>&& r, std::exception_ptr e) {
    if (e) {
      p.set_exception(e);
    } else {
      p.set_value(std::move(r));
    }
  });
  return f.get();
}

std::optional<std::vector<Reply>> Client::Transaction(std::vector<Args> commands) {
  const size_t n = commands.size();
  commands.insert(commands.begin(), Args{"MULTI"});
  commands.push_back(Args{"EXEC"});
  std::vector<Reply> replies = Pipeline(std::move(commands));
  for (size_t i = 0; i + 1 < replies.size(); i++) {
    if (replies[i].is_error()) throw ServerError(replies[i].str());
  }
  Reply& exec = replies.back();
  if (exec.is_error()) throw ServerError(exec.str());
  if (exec.is_nil()) return std::nullopt;
  if (exec.size() != n) throw ProtocolError("EXEC returned " + std::to_string(exec.size()));
  return std::move(exec.elements());
}

std::optional<std::string> Client::Get(std::string_view key) {
  Reply r = Command({"GET", key});
  if (r.is_nil()) return std::nullopt;
  return r.take_str();
}

bool Client::Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl,
                 bool nx) {
  Args a{"SET", std::string(key), std::string(value)};
  if (ttl.count() > 0) {
    a.push_back("PX");
    a.push_back(std::to_string(ttl.count()));
  }
  if (nx) a.push_back("NX");
  return !Command(std::move(a)).is_nil();
}

int64_t Client::Del(std::string_view key) { return Command({"DEL", key}).integer(); }

int64_t Client::Incr(std::string_view key, int64_t by) {
  return Command({"INCRBY", key, std::to_string(by)}).integer();
}

int64_t Client::PTtl(std::string_view key) { return Command({"PTTL", key}).integer(); }

Reply Client::Eval(std::string_view script, std::vector<std::string> keys,
                   std::vector<std::string> args) {
  const std::string sha = Sha1Hex(script);
  auto build = [&](const std::string& how, const std::string& body) {
    Args a{how, body, std::to_string(keys.size())};
    a.insert(a.end(), keys.begin(), keys.end());
    a.insert(a.end(), args.begin(), args.end());
    return a;
  };
  try {
    return Command(build("EVALSHA", sha));
  } catch (const ServerError& e) {
    if (e.code() != "NOSCRIPT") throw;
  }
  return Command(build("EVAL", std::string(script)));
}

void Client::Send(Args args, ReplyCallback cb, std::chrono::milliseconds timeout) {
  impl_->Send(std::move(args), std::move(cb), timeout);
}

void Client::SendBatch(std::vector<Args> commands, BatchCallback cb) {
  impl_->SendBatch(std::move(commands), std::move(cb));
}

Client::Awaiter Client::Async(Args args, std::chrono::milliseconds timeout) {
  return Awaiter(this, std::move(args), timeout);
}

void Client::Awaiter::await_suspend(std::coroutine_handle<> h) {
  // Nothing of *this may be touched after Send: the reply can resume (and finish) the coroutine
  // on the I/O thread before Send returns.
  Client* c = client_;
  c->Send(
      std::move(args_),
      [this, h](Reply&& r, std::exception_ptr e) {
        reply_ = std::move(r);
        error_ = e;
        h.resume();
      },
      timeout_);
}

Reply Client::Awaiter::await_resume() {
  if (error_) std::rethrow_exception(error_);
  if (reply_.is_error()) throw ServerError(reply_.str());
  return std::move(reply_);
}

bool Client::WaitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->state_mu_);
  return impl_->state_cv_.wait_for(
      lock, timeout, [this] { return impl_->up_count_ == int64_t(impl_->options_.pool_size); });
}

int Client::protocol() const { return impl_->protocol_.load(std::memory_order_relaxed); }

ClientStats Client::stats() const {
  ClientStats s;
  s.commands = impl_->commands_.load(std::memory_order_relaxed);
  s.errors = impl_->errors_.load(std::memory_order_relaxed);
  s.reconnects = impl_->reconnects_.load(std::memory_order_relaxed);
  s.timeouts = impl_->timeouts_.load(std::memory_order_relaxed);
  return s;
}

const ClientOptions& Client::options() const { return impl_->options_; }

bool Client::OnIoThread() const {
  return std::this_thread::get_id() == impl_->io_thread_id_.load();
}

void Client::Post(std::function<void()> fn) { impl_->reactor_.Post(std::move(fn)); }

}  // namespace strata
