#include "kv/server/server.h"
#include "kv/aof/aof_log.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/cpu_stats.h"
#include "base/fd_limit.h"
#include "base/log.h"
#include "base/memory.h"
#include "io/accept.h"
#include "io/reactor.h"
#include "io/socket.h"
#include "kv/commands/registry.h"
#include "kv/engine/lazy_free.h"
#include "kv/engine/memory_accounting.h"
#include "kv/engine/shard.h"
#include "kv/memcache/connection.h"
#include "kv/server/bgsave.h"
#include "kv/server/command_stats.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/key_prefetch.h"
#include "kv/server/loading.h"
#include "kv/server/output.h"
#include "kv/server/reply_hold.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"
#include "kv/server/snapshot.h"
#include "kv/server/thread_packing.h"
#include "kv/tx/script_busy.h"
#include "kv/version.h"

namespace strata::kv {
namespace {

std::atomic<uint64_t> g_next_client_id{1};

constexpr char kMaxClientsMsg[] = "-ERR max number of clients reached\r\n";
// The same refusals on the memcached listener, in its protocol.
constexpr char kMcMaxClientsMsg[] = "SERVER_ERROR max number of clients reached\r\n";
constexpr char kMcProtectedMsg[] =
    "SERVER_ERROR strata-server is running in protected mode (or has a password, which memcached "
    "clients cannot give): only memcached clients connecting from the loopback interface are "
    "accepted\r\n";

// protected-mode's refusal. Clients see the -DENIED code Redis uses and what to do about it.
constexpr char kProtectedModeMsg[] =
    "-DENIED strata-server is running in protected mode: protected-mode is on and no password "
    "is set (requirepass), so only clients connecting from the loopback interface (127.0.0.1 or "
    "::1) are accepted. To accept other clients, do one of these: 1) set a password with "
    "'CONFIG SET requirepass <password>' from a loopback connection (clients then AUTH); "
    "2) disable protected mode with 'CONFIG SET protected-mode no' from a loopback connection, "
    "but only if the server is not reachable from networks you do not trust (CONFIG REWRITE "
    "keeps the change); 3) set 'protected-mode no' or 'requirepass' in the configuration file "
    "and restart; 4) if this server was started by hand for testing, restart it with "
    "'--protected-mode no'.\r\n";

void RejectClient(int fd, const char* msg, size_t len) {
  ssize_t n = send(fd, msg, len, MSG_NOSIGNAL);
  (void)n;
  close(fd);
  LocalTotals().rejected_connections++;
}

// protected-mode: with no password, only local clients (127.0.0.1, ::1, Unix sockets) may stay.
// The memcached protocol has no authentication: with a password set, its listener only serves
// local clients too (a password must not be bypassed through the other port).
bool ProtectedModeRefuses(int fd, bool memcache) {
  const Config& cfg = GlobalConfig();
  if (io::PeerIsLocal(fd)) return false;
  if (memcache && cfg.has_password()) return true;
  return cfg.protected_mode.load(std::memory_order_relaxed) && !cfg.has_password();
}

// Accepts connections on one shard thread's listening socket.
class Acceptor : public io::EventHandler {
 public:
  // `memcache`: the memcached listener, whose clients speak memcached's text protocol.
  Acceptor(int fd, uint32_t shard, io::Reactor* reactor, bool memcache = false)
      : fd_(fd), shard_(shard), reactor_(reactor), memcache_(memcache) {}
  void OnEvent(uint32_t) override {
    // Every waiting connection is accepted before any of them reads: a first command that
    // runs long (a script past busy-reply-threshold) must not leave the next clients
    // unaccepted, since its thread then serves only sockets it already has (script_busy.h).
    // A connection's deletion is posted, so none of these goes away before its first read.
    std::vector<io::EventHandler*> fresh;
    AcceptAll(&fresh);
    for (io::EventHandler* conn : fresh) conn->OnEvent(EPOLLIN);
  }

 private:
  void AcceptAll(std::vector<io::EventHandler*>* fresh) {
    for (;;) {
      io::Accepted a = io::AcceptOrRefuse(fd_, memcache_ ? kMcMaxClientsMsg : kMaxClientsMsg,
                                          "raise 'ulimit -n' or lower maxclients");
      if (a.refused) {
        LocalTotals().connections_received++;
        LocalTotals().rejected_connections++;
        continue;
      }
      if (a.out_of_fds) retry_.Arm(reactor_, this);
      if (a.fd < 0) {
        if (a.error == EINTR || a.error == ECONNABORTED) continue;
        return;  // EAGAIN or a transient error: the next readiness event retries
      }
      int c = a.fd;
      LocalTotals().connections_received++;
      if (ProtectedModeRefuses(c, memcache_)) {
        LOG_VERBOSE("refused client %s: protected mode", io::PeerAddress(c).c_str());
        if (memcache_) {
          RejectClient(c, kMcProtectedMsg, sizeof(kMcProtectedMsg) - 1);
        } else {
          RejectClient(c, kProtectedModeMsg, sizeof(kProtectedModeMsg) - 1);
        }
        continue;
      }
      if (!ReserveClientSlot(GlobalConfig().maxclients.load(std::memory_order_relaxed))) {
        if (memcache_) {
          RejectClient(c, kMcMaxClientsMsg, sizeof(kMcMaxClientsMsg) - 1);
        } else {
          RejectClient(c, kMaxClientsMsg, sizeof(kMaxClientsMsg) - 1);
        }
        continue;
      }
      if (memcache_) {
        auto* conn = new memcache::Connection(c, shard_);
        conn->Start();
        fresh->push_back(conn);
        continue;
      }
      auto* conn = new Connection(c, shard_, g_next_client_id.fetch_add(1));
      conn->Start();
      fresh->push_back(conn);
    }
  }

  int fd_;
  uint32_t shard_;
  io::Reactor* reactor_;  // the shard's loop (its timers follow it when packed)
  bool memcache_;
  io::AcceptRetry retry_;
};

// One per shard thread (set at start-up, read by that shard's thread).
Acceptor* g_acceptors[MemoryAccounting::kMaxShards] = {};

// The busy-script hook (tx/script_busy.h): serves the sockets of every shard this thread runs
// while a script holds it. Readiness already taken from epoll by the loop turn that started the
// script is not lost: listeners are accepted from and connections read from directly.
void ServeClientsWhileBusy() {
  // The turn that started the script ends only when the script does: replies go at once, not
  // in its end-of-turn batch (--io uring), and those already waiting for it go now.
  UnbatchedSends unbatched;
  io::Reactor::PollIo();
  for (uint32_t i = 0; i < Shards().size(); i++) {
    Shards().reactor(i)->RunIfHere([i] {
      SendBatchedNow();
      if (g_acceptors[i]) g_acceptors[i]->OnEvent(EPOLLIN);
      std::vector<Connection*> conns = Connection::LocalConnections();
      for (Connection* c : conns) c->ServeWhileBusy();
    });
  }
}

void CloseIdleClients() {
  int timeout = GlobalConfig().timeout.load(std::memory_order_relaxed);
  if (timeout <= 0) return;
  int64_t now = UnixMillis();
  auto conns = Connection::LocalConnections();  // copy: Close may modify the list later
  for (Connection* c : conns) {
    if (c->closed() || c->state().monitor) continue;
    if (now - c->state().last_interaction_ms > int64_t(timeout) * 1000) c->Close("idle timeout");
  }
  memcache::Connection::CloseIdle(now, timeout);
}

// The shard cron re-arms itself after each tick with the current hz, so CONFIG SET hz applies.
// (A template: it is given ShardRuntime's private per-thread struct.)
template <typename T>
void ArmCron(T* t) {
  int hz = GlobalConfig().hz.load(std::memory_order_relaxed);
  t->reactor->RunAfter(1000 / (hz > 0 ? hz : 10), [t] {
    // While the dataset loads (kv/server/loading.h) the shard does no expiry, eviction or
    // automatic save: a save rule must not write a half-loaded keyspace.
    if (!IsLoading()) {
      t->shard->Cron();
      BgsaveCron(*t->shard);
    } else {
      t->shard->PublishMemory();
    }
    CloseIdleClients();
    Connection::ResumePausedClients();  // a CLIENT PAUSE that ended by itself
    SampleLocalRates(MonoMicros() / 1000);
    UpdateMemoryPeak(uint64_t(MemoryAccounting::Get().Used()));
    ArmCron(t);
  });
}

}  // namespace

struct ShardRuntime::Thread {
  std::unique_ptr<io::Reactor> reactor;
  std::unique_ptr<Shard> shard;
  std::unique_ptr<Acceptor> acceptor;
  std::unique_ptr<Acceptor> mc_acceptor;  // memcached listener
  ShardLocal local;                       // the reactor's context
  int listen_fd = -1;
  int mc_listen_fd = -1;
  std::thread thread;
  clockid_t cpu_clock{};
};

// Thread packing state, touched only by shard 0's thread (PackingTick) once started.
struct ShardRuntime::Packing {
  static constexpr int64_t kWindowMs = 100;
  PackingDecider decider;
  bool packed = false;
  bool off = false;     // stopping: never pack again
  bool placed = false;  // the first window after the start (and the load) has been seen
  int64_t last_wall_ns = 0;
  std::vector<int64_t> last_cpu_ns;
  uint64_t last_idle_ticks = 0;
  uint64_t last_total_ticks = 0;
  // Fd events dispatched by every shard's loop: the work rate a spread must raise. A request
  // (or a pipeline of them) arrives as an event, packed or spread alike.
  uint64_t last_events = 0;
};

namespace {
int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
}  // namespace

ShardRuntime::ShardRuntime() = default;
ShardRuntime::~ShardRuntime() { Stop(); }

void ShardRuntime::Start(uint32_t n, const std::vector<int>& listen_fds, bool packing,
                         const std::vector<int>& mc_listen_fds,
                         const std::function<void(Shard&, uint32_t)>& init,
                         const std::function<bool()>& after_init) {
  Config& cfg = GlobalConfig();
  RegisterAllCommands();
  InstallShardLocalHook();
  io::Reactor::SetAfterSoonHook(&FinishPendingPrefetch);  // kv/server/key_prefetch.h
  // A script past busy-reply-threshold lets its thread read its clients (BUSY, SCRIPT KILL).
  SetBusyIoHook(&ServeClientsWhileBusy);
  set_ = std::make_unique<ShardSet>(n);
  InstallShardSet(set_.get());
  threads_.clear();
  for (uint32_t i = 0; i < n; i++) {
    threads_.push_back(std::make_unique<Thread>());
    threads_[i]->reactor = std::make_unique<io::Reactor>();
    threads_[i]->local.shard = int(i);
    threads_[i]->reactor->set_context(&threads_[i]->local);
    threads_[i]->listen_fd = i < listen_fds.size() ? listen_fds[i] : -1;
    threads_[i]->mc_listen_fd = i < mc_listen_fds.size() ? mc_listen_fds[i] : -1;
  }
  if (packing && n > 1) {
    packing_ = std::make_unique<Packing>();
    packing_->last_cpu_ns.assign(n, 0);
  }
  for (uint32_t i = 0; i < n; i++) set_->Register(i, threads_[i]->reactor.get(), nullptr);
  MemoryAccounting::Get().SetBaseline(ThreadAllocatedBytes());
  MemoryAccounting::Get().SetShards(int(n));

  std::atomic<uint32_t> ready{0};
  // Every shard's init hook has returned before any shard registers its listeners.
  std::atomic<bool> serve{true};
  auto inits_done = [&after_init, &serve]() noexcept {
    if (after_init && !after_init()) serve.store(false);
  };
  std::barrier<decltype(inits_done)> init_barrier(std::ptrdiff_t(n), inits_done);
  stop_barrier_ = std::make_unique<std::barrier<>>(std::ptrdiff_t(n));
  for (uint32_t i = 0; i < n; i++) {
    Thread* t = threads_[i].get();
    ShardSet* set = set_.get();
    std::barrier<>* barrier = stop_barrier_.get();
    t->thread = std::thread([this, t, i, set, barrier, &ready, &cfg, &init, &init_barrier, &serve] {
      pthread_getcpuclockid(pthread_self(), &t->cpu_clock);
      io::Reactor::SetCurrent(t->reactor.get());
      t->shard = std::make_unique<Shard>(i, cfg.databases);
      set->Register(i, t->reactor.get(), t->shard.get());
      if (init) init(*t->shard, i);
      init_barrier.arrive_and_wait();
      if (t->listen_fd >= 0 && serve.load()) {
        t->acceptor = std::make_unique<Acceptor>(t->listen_fd, i, t->reactor.get());
        g_acceptors[i] = t->acceptor.get();
        t->reactor->Add(t->listen_fd, t->acceptor.get(), EPOLLIN);
      }
      if (t->mc_listen_fd >= 0 && serve.load()) {
        t->mc_acceptor = std::make_unique<Acceptor>(t->mc_listen_fd, i, t->reactor.get(), true);
        t->reactor->Add(t->mc_listen_fd, t->mc_acceptor.get(), EPOLLIN);
      }
      ArmCron(t);
      if (i == 0 && packing_) {
        t->reactor->RunEvery(Packing::kWindowMs, [this] { PackingTick(); });
      }
      ready.fetch_add(1);
      t->reactor->Run();
      io::Reactor::SetCurrent(t->reactor.get());
      // Stopping: close every client of this thread, then drop the shard's data. Work still
      // travelling between threads (a batch another shard has yet to report, a deferred
      // delete) is finished first: every thread drains its mailbox, all meet, and they go round
      // again until no mailbox holds anything, so no message is left undelivered.
      auto conns = Connection::LocalConnections();
      for (Connection* c : conns) c->Close("shutdown");
      auto mc_conns = memcache::Connection::LocalConnections();
      for (memcache::Connection* c : mc_conns) c->Close("shutdown");
      for (;;) {
        t->reactor->RunPending();
        barrier->arrive_and_wait();
        bool pending = false;
        for (uint32_t j = 0; j < set->size(); j++) pending |= set->reactor(j)->HasPending();
        barrier->arrive_and_wait();  // everyone decided on the same state
        if (!pending) break;
      }
      if (t->listen_fd >= 0) close(t->listen_fd);
      if (t->mc_listen_fd >= 0) close(t->mc_listen_fd);
      t->shard.reset();
    });
  }
  while (ready.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// Every window: the shard threads' CPU use decides whether the next window runs packed (every
// shard hosted by thread 0's loop) or spread (each shard on its own thread).
void ShardRuntime::PackingTick() {
  Packing& p = *packing_;
  if (p.off) return;
  // The loader parks every shard thread between slices of the AOF replay: each shard keeps its
  // own thread until the load is done.
  if (IsLoading()) return;
  int64_t wall = ClockNs(CLOCK_MONOTONIC);
  int64_t busy = 0;
  for (uint32_t i = 0; i < threads_.size(); i++) {
    int64_t cpu = ClockNs(threads_[i]->cpu_clock);
    busy += cpu - p.last_cpu_ns[i];
    p.last_cpu_ns[i] = cpu;
  }
  int64_t span = wall - p.last_wall_ns;
  p.last_wall_ns = wall;
  uint64_t events = 0;
  for (auto& t : threads_)
    events += t->reactor->loop_stats().events.load(std::memory_order_relaxed);
  double rate = span > 0 ? double(events - p.last_events) / (double(span) / 1e9) : 0;
  p.last_events = events;
  uint64_t idle_ticks = 0, total_ticks = 0;
  double idle = -1;
  if (ReadSystemCpuTicks(&idle_ticks, &total_ticks)) {
    if (p.last_total_ticks > 0 && span > 0) {
      idle = double(idle_ticks - p.last_idle_ticks) / double(CpuTicksPerSecond()) /
             (double(span) / 1e9);
    }
    p.last_idle_ticks = idle_ticks;
    p.last_total_ticks = total_ticks;
  }
  auto mode = ThreadPacking(GlobalConfig().thread_packing.load(std::memory_order_relaxed));
  if (!p.placed) {
    // Under auto a server starts packed, whatever the load: a load already there spreads it if a
    // second thread pays (the decider's trial). Started spread, a busy server would never learn
    // whether one thread serves it better: spread and busy above pack_below keeps spreading.
    p.placed = true;
    if (mode == ThreadPacking::kAuto && !p.packed && !ShardSet::AnySyncScope()) {
      LOG_VERBOSE("thread packing: packing every shard onto thread 0 (start)");
      SetPacked(true);
    }
    return;
  }
  if (span <= 0 || span > 10 * Packing::kWindowMs * 1000000) return;  // stalled window
  double cores = double(busy) / double(span);
  bool pack = p.decider.Next(mode, p.packed, cores, idle, rate);
  LOG_DEBUG("thread packing: %.3f busy, %.2f idle cores, %.0f events/s, %s", cores, idle, rate,
            p.packed ? "packed" : "spread");
  if (pack == p.packed) return;
  if (p.decider.undid_spread()) {
    LOG_VERBOSE(
        "thread packing: packing again, two threads served no more than one "
        "(%.0f events/s); next spread in %.1f s at the earliest",
        rate, p.decider.hold() * Packing::kWindowMs / 1000.0);
  } else {
    LOG_VERBOSE("thread packing: %s (shard threads %.2f cores busy, machine %.2f cores idle)",
                pack ? "packing every shard onto thread 0" : "spreading shards over their threads",
                cores, idle);
  }
  // A script waiting on another shard's thread (ShardSet::SyncRun): keep the layout for now.
  if (ShardSet::AnySyncScope()) return;
  if (p.decider.undid_spread()) GlobalPackingStats().spreads_undone++;
  SetPacked(pack);
}

void ShardRuntime::SetPacked(bool pack) {
  packing_->packed = pack;
  (pack ? GlobalPackingStats().packs : GlobalPackingStats().spreads)++;
  io::Reactor* host = threads_[0]->reactor.get();
  for (uint32_t i = 1; i < threads_.size(); i++) {
    io::Reactor* r = threads_[i]->reactor.get();
    r->SetRunner(pack ? host : r);
  }
}

void ShardRuntime::Unpack() {
  if (!packing_) return;
  Packing* p = packing_.get();
  std::vector<io::Reactor*> rs;
  for (auto& t : threads_) rs.push_back(t->reactor.get());
  rs[0]->Post([p, rs] {  // on thread 0, so no tick can pack again after this
    p->off = true;
    p->packed = false;
    for (size_t i = 1; i < rs.size(); i++) rs[i]->SetRunner(rs[i]);
  });
  for (int waited = 0; waited < 10000; waited++) {
    bool home = true;
    for (io::Reactor* r : rs) home &= r->runner() == r;
    if (home) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  LOG_WARNING("shard threads did not unpack within 10 s");
}

void ShardRuntime::Stop() {
  if (threads_.empty()) return;
  Unpack();
  for (auto& t : threads_) t->reactor->Stop();
  for (auto& t : threads_) t->thread.join();
  threads_.clear();
  InstallShardSet(nullptr);
  set_.reset();  // every thread that could reach it has been joined
  packing_.reset();
}

void ShardRuntime::Adopt(int fd, uint32_t shard) {
  set_->Post(shard, [fd, shard] {
    static std::atomic<uint64_t> ids{1u << 30};
    ReserveClientSlot(INT64_MAX);  // an adopted client is already admitted
    auto* conn = new Connection(fd, shard, ids.fetch_add(1));
    conn->Start();
    conn->OnEvent(EPOLLIN);
  });
}

void RequestShutdown() { kill(getpid(), SIGTERM); }

namespace {

// Runs while the shard threads stop: returns once `stopped` is set, or ends the process when
// the shutdown-timeout passes first or another SIGTERM/SIGINT arrives.
void ShutdownWatchdog(const std::atomic<bool>* stopped, sigset_t sigs) {
  // A stop that no command holds up takes milliseconds; the 1 s floor keeps shutdown-timeout 0
  // ("do not wait for busy threads") from cutting one of those short.
  int64_t timeout_ms = int64_t(GlobalConfig().shutdown_timeout.load()) * 1000;
  if (timeout_ms < 1000) timeout_ms = 1000;
  const int64_t deadline = MonoMicros() / 1000 + timeout_ms;
  while (!stopped->load()) {
    timespec slice{0, 50 * 1000 * 1000};
    int sig = sigtimedwait(&sigs, nullptr, &slice);
    if (sig > 0) {
      LOG_WARNING("received %s again while shutting down: exiting now",
                  sig == SIGINT ? "SIGINT" : "SIGTERM");
      _exit(1);
    }
    if (!stopped->load() && MonoMicros() / 1000 >= deadline) {
      LOG_WARNING(
          "shard threads did not stop within shutdown-timeout (%lld s): a command is still "
          "running; exiting without waiting for it",
          static_cast<long long>(timeout_ms / 1000));
      _exit(1);
    }
  }
}

}  // namespace

namespace {

// Main thread: runs fn on one shard thread while every other shard thread waits at a barrier
// (no shard serves a client or runs a command meanwhile, and the barrier orders fn's work
// between theirs); returns once every shard thread has left the barrier. Thread packing is off
// while loading (PackingTick), so each shard has its own thread to park.
void RunWithShardsParked(uint32_t n, const std::function<void()>& fn) {
  struct Park {
    struct Completion {
      const std::function<void()>* fn;
      void operator()() noexcept { (*fn)(); }
    };
    Park(uint32_t n, const std::function<void()>* fn) : bar(std::ptrdiff_t(n), Completion{fn}) {}
    std::barrier<Completion> bar;
    std::atomic<uint32_t> left{0};
    std::promise<void> out;
  };
  auto park = std::make_shared<Park>(n, &fn);
  park->left.store(n);
  std::future<void> out = park->out.get_future();
  for (uint32_t i = 0; i < n; i++) {
    Shards().Post(i, [park] {
      park->bar.arrive_and_wait();
      if (park->left.fetch_sub(1) == 1) park->out.set_value();
    });
  }
  out.wait();
}

}  // namespace

int RunServer() {
  SaveRulesConfigured();  // from now on CONFIG SET save replaces the schedule
  Config& cfg = GlobalConfig();
  uint32_t n = cfg.threads > 0 ? uint32_t(cfg.threads) : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  if (n > uint32_t(MemoryAccounting::kMaxShards)) n = MemoryAccounting::kMaxShards;

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Every client is a descriptor: make room for maxclients of them, or run with fewer (and say
  // so) when the open-file limit cannot be raised, as redis-server does. Reserved: a listener, an
  // epoll fd and a wake eventfd per shard (and a memcached listener), plus logs, stdio and slack.
  const int64_t reserved = 32 + (cfg.memcached_port > 0 ? 4 : 3) * int64_t(n);
  const int64_t want = cfg.maxclients.load();
  uint64_t limit = 0;
  const int64_t fit = MakeRoomForClients(want, 1, reserved, &limit);
  if (fit < 1) {
    fprintf(stderr,
            "strata-server: the open-file limit (ulimit -n) of %llu is too low for %u shard "
            "threads; it needs at least %lld\n",
            static_cast<unsigned long long>(limit), n, static_cast<long long>(reserved + 1));
    return 1;
  }
  if (fit < want) {
    LOG_WARNING(
        "You requested maxclients of %lld requiring at least %lld max file descriptors, but the "
        "open-file limit is %llu and cannot be raised: maxclients has been reduced to %lld. "
        "Raise 'ulimit -n' to accept more clients.",
        static_cast<long long>(want), static_cast<long long>(want + reserved),
        static_cast<unsigned long long>(limit), static_cast<long long>(fit));
    cfg.maxclients.store(fit);
  }
  cfg.fd_reserved.store(reserved);
  io::ReserveSpareFd();

  std::vector<int> fds;
  if (std::string err; !io::AddressFree(cfg.bind, uint16_t(cfg.port), &err)) {
    fprintf(stderr, "strata-server: %s\n", err.c_str());
    return 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    std::string err;
    int fd = io::Listen(cfg.bind, uint16_t(cfg.port), true, 511, &err);
    if (fd < 0) {
      fprintf(stderr, "strata-server: %s\n", err.c_str());
      return 1;
    }
    fds.push_back(fd);
  }
  std::vector<int> mc_fds;
  if (cfg.memcached_port > 0) {
    if (std::string err; !io::AddressFree(cfg.bind, uint16_t(cfg.memcached_port), &err)) {
      fprintf(stderr, "strata-server: %s\n", err.c_str());
      return 1;
    }
    for (uint32_t i = 0; i < n; i++) {
      std::string err;
      int fd = io::Listen(cfg.bind, uint16_t(cfg.memcached_port), true, 511, &err);
      if (fd < 0) {
        fprintf(stderr, "strata-server: %s\n", err.c_str());
        return 1;
      }
      mc_fds.push_back(fd);
    }
    memcache::NoteServerStart();
  }
  // The dataset (dir/dbfilename, or with appendonly yes and a manifest in dir/appenddirname the
  // AOF: its base, then its commands) is loaded while the shards serve: until it is all in,
  // clients get -LOADING for every command without the `loading` flag (kv/server/loading.h).
  // The main thread reads the files and streams the keys to their shards in batches; the AOF's
  // commands are replayed in slices of a few milliseconds, each on one shard thread while every
  // other shard thread is parked. The flag clears in the last slice, right after the log is
  // switched on, so no acknowledged write can slip past the log. A bad file stops the start.
  // With nothing to load (no manifest, no snapshot file) the flag is never set, as in Redis,
  // unless appendonly yes is to create the AOF.
  int64_t to_load = aof::BytesToLoadAtStart();
  bool nothing_to_load = false;
  if (to_load < 0) {
    struct stat sb;
    if (stat(cfg.dbfilename().c_str(), &sb) == 0)
      to_load = int64_t(sb.st_size);
    else
      nothing_to_load = errno == ENOENT && aof::NoManifestAtStart();
  }
  // With appendonly yes and no AOF yet there is always something to wait for: its first base
  // (below), before which no write may be acknowledged.
  if (to_load >= 0)
    BeginLoading(uint64_t(to_load));
  else if (cfg.appendonly.load())
    BeginLoading(0);
  LazyFreer::Start();
  ShardRuntime runtime;
  runtime.Start(n, fds, /*packing=*/true, mc_fds, nullptr, nullptr);
  StartupLoad load;
  std::unique_ptr<aof::StartupAof, void (*)(aof::StartupAof*)> aof_load(aof::NewStartupAof(),
                                                                        aof::FreeStartupAof);
  bool from_aof = false;
  // With no file at all, nothing is opened once the shards serve: a client they answered may
  // already have changed what the process can open (its descriptor limit, the directory).
  bool loaded =
      nothing_to_load || aof::PrepareAtStart(n, cfg.databases, &load, aof_load.get(), &from_aof);
  if (loaded && !from_aof && !nothing_to_load)
    loaded = ReadSnapshotAtStart(n, cfg.databases, &load) && FinishStartupLoad(&load);
  if (loaded && from_aof) {
    // Slices of the replay, with every shard parked; the last also switches the log on and
    // clears the loading flag before any shard serves again.
    bool finished = false;
    while (loaded && !finished) {
      if (LoadingInterrupted()) {
        loaded = false;
        break;
      }
      RunWithShardsParked(n, [&] {
        loaded = aof::ReplaySliceAtStart(aof_load.get(), 20000, &finished);
        if (loaded && finished) {
          aof::StartAfterLoad(true);
          EndLoading();
        }
      });
      MaybeLogLoadingProgress("AOF");
      // A short gap, so every shard thread polls its sockets before it is parked again.
      if (!finished) std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  if (!loaded) {
    if (LoadingInterrupted())
      LOG_WARNING("Received a shutdown signal during loading, exiting now.");
    bool by_signal = LoadingInterrupted();
    runtime.Stop();
    LazyFreer::Stop();
    return by_signal ? 0 : 1;
  }
  ReleaseStartupLoad(&load);
  aof_load.reset();
  // Otherwise, with appendonly yes, the AOF is created now: its first base is made from what was
  // loaded before any client may write. A write acknowledged before that base and its manifest
  // are on disk would sit in an incr file that no manifest lists, and a crash would lose it under
  // any appendfsync policy; so the loading flag (set above even with nothing to load) stays.
  if (!from_aof) {
    bool creating = cfg.appendonly.load();
    aof::StartAfterLoad(false);
    if (creating && !aof::WaitForFirstBase(LoadingInterrupted)) {
      bool by_signal = LoadingInterrupted();
      if (by_signal)
        LOG_WARNING("Received a shutdown signal while creating the append-only file, exiting now.");
      else
        LOG_WARNING("Can't create the append-only file's first base in %s: exiting",
                    cfg.appenddirname.c_str());
      aof::StopBackground();
      runtime.Stop();
      LazyFreer::Stop();
      return by_signal ? 0 : 1;
    }
    EndLoading();
  }
  if (cfg.memcached_port > 0)
    LOG_NOTICE("memcached text protocol on %s:%d", cfg.bind.c_str(), cfg.memcached_port);
  LOG_NOTICE("strata-server %s (redis %s compatible) ready: %s:%d, %u shard thread(s), pid %d",
             kStrataVersion, kRedisCompatVersion, cfg.bind.c_str(), cfg.port, n, int(getpid()));

  int sig = 0;
  do {
    sigwait(&sigs, &sig);
  } while (!SaveBeforeSignalExit());  // save rules: a final snapshot first, as Redis
  RemoveBgsaveTempFile();             // a BGSAVE still running (SHUTDOWN NOSAVE) is abandoned
  // A script stuck in a loop (even one that wrote) must not hold the threads: stop it.
  StopScriptsForShutdown();
  LOG_NOTICE("received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // A shard thread busy in a long command (DEBUG SLEEP, a huge KEYS) cannot stop until the
  // command returns, and the others wait for it at the stop barrier. The watchdog bounds that:
  // after shutdown-timeout seconds, or at a second stop signal, the process exits at once with
  // status 1 (there is no persistence whose final save it could cut short).
  std::atomic<bool> stopped{false};
  std::thread watchdog([&stopped, sigs] { ShutdownWatchdog(&stopped, sigs); });
  aof::StopBackground();
  runtime.Stop();
  aof::Shutdown();
  LazyFreer::Stop();
  stopped.store(true);
  watchdog.join();
  LOG_NOTICE("strata-server is now ready to exit, bye bye...");
  return 0;
}

}  // namespace strata::kv
