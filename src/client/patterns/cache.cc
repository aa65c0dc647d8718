#include "strata/cache.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "base/hash.h"
#include "local/hot_key_detector.h"
#include "strata/lock.h"
#include "strata/single_flight.h"
#include "strata/xfetch.h"

namespace strata {
namespace {

using Ms = std::chrono::milliseconds;

int64_t UnixMs() {
  return std::chrono::duration_cast<Ms>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value as stored on the server: "\x01S", flags, fresh-until (unix ms, 8 bytes), the last
// recompute's duration (ms, 4 bytes), then the codec's bytes.
constexpr char kMagic0 = '\x01';
constexpr char kMagic1 = 'S';
constexpr size_t kHeader = 2 + 1 + 8 + 4;
constexpr uint8_t kAbsent = 1;

struct Envelope {
  bool absent = false;
  int64_t fresh_until = 0;
  uint32_t delta_ms = 0;
  std::string_view value;
};

std::string EncodeEnvelope(const std::optional<std::string>& v, int64_t fresh_until,
                           uint32_t delta_ms) {
  std::string out;
  out.reserve(kHeader + (v ? v->size() : 0));
  out.push_back(kMagic0);
  out.push_back(kMagic1);
  out.push_back(char(v ? 0 : kAbsent));
  char buf[12];
  memcpy(buf, &fresh_until, 8);
  memcpy(buf + 8, &delta_ms, 4);
  out.append(buf, 12);
  if (v) out.append(*v);
  return out;
}

bool DecodeEnvelope(std::string_view raw, Envelope* e) {
  if (raw.size() < kHeader || raw[0] != kMagic0 || raw[1] != kMagic1) return false;
  e->absent = (uint8_t(raw[2]) & kAbsent) != 0;
  memcpy(&e->fresh_until, raw.data() + 3, 8);
  memcpy(&e->delta_ms, raw.data() + 11, 4);
  e->value = raw.substr(kHeader);
  return true;
}

std::optional<std::string> ValueOf(const Envelope& e) {
  if (e.absent) return std::nullopt;
  return std::string(e.value);
}

}  // namespace

class BytesCache::Impl {
 public:
  Impl(BytesCache* owner, Client& client, Loader loader)
      : owner_(owner), client_(client), loader_(std::move(loader)) {
    worker_ = std::thread([this] { WorkLoop(); });
  }
  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
    StopHotRefresh();
  }

  void StopHotRefresh() {
    {
      std::lock_guard<std::mutex> lock(hot_mu_);
      hot_stop_ = true;
    }
    hot_cv_.notify_all();
    if (hot_thread_.joinable()) hot_thread_.join();
    hot_stop_ = false;
  }

  const CacheOptions& opt() const { return owner_->options_; }

  std::optional<std::string> GetOrLoad(const std::string& key, const Loader& loader) {
    const std::string skey = owner_->ServerKey(key);
    const uint32_t heat = hot_.Record(skey);
    TrackedNearCache* l1 = owner_->l1_;
    if (l1 != nullptr) {
      if (auto raw = l1->l1().Get(skey)) {
        Envelope e;
        if (DecodeEnvelope(*raw, &e)) {
          l1_hits_.fetch_add(1, std::memory_order_relaxed);
          return ValueOf(e);
        }
      }
    }
    if (owner_->filter_ != nullptr && !owner_->filter_->Exists(key)) {
      filter_rejects_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    bool leader = false;
    auto v = flights_.Do(skey, [&] {
      leader = true;
      return Fetch(key, skey, heat, loader);
    });
    if (!leader) shared_.fetch_add(1, std::memory_order_relaxed);
    return v;
  }

  bool IsHot(uint32_t heat) const { return heat >= opt().hot_threshold; }

  // One server read and what follows from it. Runs once per key at a time in this process.
  std::optional<std::string> Fetch(const std::string& key, const std::string& skey, uint32_t heat,
                                   const Loader& loader) {
    TrackedNearCache* l1 = owner_->l1_;
    const bool use_l1 = l1 != nullptr && (!opt().l1_hot_only || IsHot(heat));
    NearCache::Ticket ticket;
    if (use_l1) ticket = l1->l1().BeginFill(skey);
    Client& reader = l1 != nullptr ? l1->reader() : client_;
    std::optional<std::string> raw;
    if (opt().hot_replicas > 0 && IsHot(heat)) {
      thread_local std::minstd_rand rng(std::random_device{}());
      uint32_t r = uint32_t(rng() % (opt().hot_replicas + 1));
      if (r > 0) raw = reader.Get(skey + "#" + std::to_string(r));
    }
    if (!raw) raw = reader.Get(skey);
    Envelope e;
    if (raw && DecodeEnvelope(*raw, &e)) {
      const int64_t now = UnixMs();
      if (now < e.fresh_until) {
        if (!e.absent && opt().early_refresh_beta > 0 && ShouldRefreshEarly(now, e)) {
          early_refreshes_.fetch_add(1, std::memory_order_relaxed);
          if (auto fresh = RefreshGuarded(key, skey, heat, loader)) return *fresh;
        }
        if (use_l1) {
          l1->l1().CompleteFill(ticket, *raw, l1->EntryTtl(Ms(e.fresh_until - now)));
        }
        (e.absent ? null_hits_ : hits_).fetch_add(1, std::memory_order_relaxed);
        return ValueOf(e);
      }
      // Past its TTL but kept for stale_for: serve it, refresh behind.
      stale_served_.fetch_add(1, std::memory_order_relaxed);
      ScheduleRefresh(key, loader);
      return ValueOf(e);
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    return Recompute(key, skey, heat, loader);
  }

  bool ShouldRefreshEarly(int64_t now, const Envelope& e) {
    thread_local std::mt19937_64 rng(std::random_device{}());
    using TP = std::chrono::time_point<std::chrono::system_clock, Ms>;
    return xfetch::ShouldRefresh(TP(Ms(now)), TP(Ms(e.fresh_until)), Ms(e.delta_ms),
                                 opt().early_refresh_beta, rng);
  }

  CacheOptions::Recompute Mode() {
    auto m = opt().recompute;
    if (m != CacheOptions::Recompute::kAuto) return m;
    int probed = lease_probe_.load(std::memory_order_acquire);
    if (probed == 0 && client_.options().db != 0) probed = 2;  // leases live in database 0
    if (probed == 0) {
      // Does the server hand out leases? (strata-server: LEASE.GET; redis-server: no.)
      try {
        Reply r = client_.Command({"COMMAND", "INFO", "LEASE.GET"});
        probed = (r.size() > 0 && !r[0].is_nil()) ? 1 : 2;
      } catch (const ServerError&) {
        probed = 2;
      }
      lease_probe_.store(probed, std::memory_order_release);
    }
    return probed == 1 ? CacheOptions::Recompute::kLease : CacheOptions::Recompute::kLock;
  }

  struct Loaded {
    std::optional<std::string> value;
    uint32_t delta_ms;
  };
  Loaded Load(const std::string& key, const Loader& loader) {
    if (!loader) throw std::logic_error("strata::Cache: no loader for a miss");
    if (server_filter_ && !ServerFilterMayHave(key)) {
      filter_rejects_.fetch_add(1, std::memory_order_relaxed);
      return {std::nullopt, 0};
    }
    loads_.fetch_add(1, std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      Loaded l{loader(key), 0};
      l.delta_ms = uint32_t(std::max<int64_t>(
          1, std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - t0).count()));
      return l;
    } catch (...) {
      load_errors_.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
  }

  // The envelope and its server TTL for a loaded value (nullopt: nothing to store).
  std::optional<std::pair<std::string, int64_t>> Envelop(const Loaded& l) {
    const int64_t now = UnixMs();
    if (!l.value) {
      if (opt().null_ttl.count() <= 0) return std::nullopt;
      return std::make_pair(EncodeEnvelope(std::nullopt, now + opt().null_ttl.count(), l.delta_ms),
                            int64_t(opt().null_ttl.count()));
    }
    return std::make_pair(EncodeEnvelope(l.value, now + opt().ttl.count(), l.delta_ms),
                          int64_t(opt().ttl.count() + opt().stale_for.count()));
  }

  void Store(const std::string& skey, uint32_t heat, const Loaded& l) {
    auto env = Envelop(l);
    if (!env) return;
    std::vector<Args> cmds{{"SET", skey, env->first, "PX", std::to_string(env->second)}};
    if (opt().hot_replicas > 0 && IsHot(heat)) {
      for (uint32_t i = 1; i <= opt().hot_replicas; i++) {
        cmds.push_back(
            {"SET", skey + "#" + std::to_string(i), env->first, "PX", std::to_string(env->second)});
      }
    }
    client_.Pipeline(std::move(cmds));
  }

  // A miss: one process recomputes, the others wait for its value.
  std::optional<std::string> Recompute(const std::string& key, const std::string& skey,
                                       uint32_t heat, const Loader& loader) {
    const auto mode = Mode();
    const auto deadline = std::chrono::steady_clock::now() + opt().wait_for_recompute;
    int64_t backoff = 2;
    bool counted_wait = false;
    auto wait = [&] {
      if (!counted_wait) waits_.fetch_add(1, std::memory_order_relaxed);
      counted_wait = true;
      std::this_thread::sleep_for(Ms(backoff));
      backoff = std::min<int64_t>(backoff * 2, 50);
      return std::chrono::steady_clock::now() < deadline;
    };
    if (mode == CacheOptions::Recompute::kLease) {
      for (;;) {
        Reply r = client_.Command({"LEASE.GET", skey, std::to_string(opt().recompute_ttl.count())});
        const std::string& tag = r.size() > 0 ? r[0].str() : std::string();
        Envelope e;
        if (tag == "HIT" && r.size() > 1 && DecodeEnvelope(r[1].str(), &e)) return ValueOf(e);
        if (tag == "STALE" && r.size() > 1 && DecodeEnvelope(r[1].str(), &e)) {
          stale_served_.fetch_add(1, std::memory_order_relaxed);
          return ValueOf(e);
        }
        if (tag == "WIN" && r.size() > 1) {
          const std::string token = r[1].str();
          Loaded l;
          try {
            l = Load(key, loader);
          } catch (...) {
            try {
              client_.Command({"LEASE.RELEASE", skey, token});
            } catch (const Error&) {
            }
            throw;
          }
          auto env = Envelop(l);
          if (env) {
            // Refused when a write voided the lease meanwhile: our value may predate it, so it
            // is returned to this caller but not stored.
            try {
              client_.Command(
                  {"LEASE.SET", skey, token, env->first, "PX", std::to_string(env->second)});
              if (opt().hot_replicas > 0 && IsHot(heat)) Store(skey, heat, l);
            } catch (const ServerError&) {
            }
          } else {
            client_.Command({"LEASE.RELEASE", skey, token});
          }
          return l.value;
        }
        // WAIT (or a HIT on a value that is not ours): another process is filling it.
        if (!wait()) break;
      }
      Loaded l = Load(key, loader);
      return l.value;  // not stored: the lease holder's value will be
    }
    if (mode == CacheOptions::Recompute::kLock) {
      DistributedLock lock(client_, skey);
      for (;;) {
        if (auto token = lock.TryAcquire(opt().recompute_ttl)) {
          std::optional<std::string> result;
          try {
            // Filled while we were taking the lock?
            auto raw = client_.Get(skey);
            Envelope e;
            if (raw && DecodeEnvelope(*raw, &e) && UnixMs() < e.fresh_until) {
              result = ValueOf(e);
            } else {
              Loaded l = Load(key, loader);
              Store(skey, heat, l);
              result = l.value;
            }
          } catch (...) {
            lock.Release(*token);
            throw;
          }
          lock.Release(*token);
          return result;
        }
        if (!wait()) break;
        auto raw = client_.Get(skey);
        Envelope e;
        if (raw && DecodeEnvelope(*raw, &e)) return ValueOf(e);
      }
    }
    Loaded l = Load(key, loader);
    Store(skey, heat, l);
    return l.value;
  }

  // Refreshes a value that is still there (early refresh, stale, hot keys) if no other process
  // is refreshing it; returns the new value, or nullopt when someone else holds the refresh.
  std::optional<std::optional<std::string>> RefreshGuarded(const std::string& key,
                                                           const std::string& skey, uint32_t heat,
                                                           const Loader& loader) {
    DistributedLock lock(client_, skey + ":refresh");
    auto token = lock.TryAcquire(opt().recompute_ttl);
    if (!token) return std::nullopt;
    std::optional<std::optional<std::string>> out;
    try {
      Loaded l = Load(key, loader);
      Store(skey, heat, l);
      if (owner_->l1_ != nullptr) owner_->l1_->l1().Invalidate(skey);
      out = l.value;
    } catch (...) {
      lock.Release(*token);
      return std::nullopt;  // stale-if-error: the caller keeps the value it has
    }
    lock.Release(*token);
    return out;
  }

  void ScheduleRefresh(const std::string& key, const Loader& loader) {
    if (!loader) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!queued_.insert(key).second) return;
    jobs_.push_back({key, loader});
    cv_.notify_one();
  }

  void WorkLoop() {
    for (;;) {
      std::pair<std::string, Loader> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (stop_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      const std::string skey = owner_->ServerKey(job.first);
      try {
        RefreshGuarded(job.first, skey, hot_.Estimate(skey), job.second);
      } catch (...) {
      }
      std::lock_guard<std::mutex> lock(mu_);
      queued_.erase(job.first);
    }
  }

  bool ServerFilterMayHave(const std::string& key) {
    if (server_bf_.load(std::memory_order_acquire)) {
      try {
        return client_.Command({"BF.EXISTS", server_filter_key_, key}).as_integer() == 1;
      } catch (const ServerError& e) {
        if (e.code() != "ERR" ||
            std::string(e.what()).find("unknown command") == std::string::npos) {
          throw;
        }
        server_bf_.store(false, std::memory_order_release);
      }
    }
    return server_filter_fallback_ == nullptr || server_filter_fallback_->Exists(key);
  }

  BytesCache* owner_;
  Client& client_;
  Loader loader_;
  SingleFlight<std::optional<std::string>> flights_;
  client::HotKeyDetector hot_;
  std::atomic<int> lease_probe_{0};  // 0 unknown, 1 leases, 2 none

  bool server_filter_ = false;
  std::string server_filter_key_;
  BloomFilter* server_filter_fallback_ = nullptr;
  std::atomic<bool> server_bf_{true};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<std::pair<std::string, Loader>> jobs_;
  std::set<std::string> queued_;
  std::thread worker_;

  std::mutex hot_mu_;
  std::condition_variable hot_cv_;
  bool hot_stop_ = false;  // guarded by hot_mu_
  std::thread hot_thread_;

  std::atomic<uint64_t> l1_hits_{0}, hits_{0}, stale_served_{0}, null_hits_{0}, filter_rejects_{0},
      misses_{0}, loads_{0}, load_errors_{0}, early_refreshes_{0}, waits_{0}, shared_{0};
};

BytesCache::BytesCache(Client& client, CacheOptions options, Loader loader)
    : options_(std::move(options)),
      impl_(std::make_unique<Impl>(this, client, std::move(loader))) {}

BytesCache::~BytesCache() = default;

std::optional<std::string> BytesCache::GetOrLoad(const std::string& key, const Loader& loader) {
  return impl_->GetOrLoad(key, loader);
}

std::optional<std::string> BytesCache::Get(const std::string& key) {
  return impl_->GetOrLoad(key, impl_->loader_);
}

void BytesCache::Put(const std::string& key, const std::string& value) {
  const std::string skey = ServerKey(key);
  impl_->Store(skey, impl_->hot_.Estimate(skey), Impl::Loaded{value, 0});
  if (l1_ != nullptr) l1_->l1().Invalidate(skey);
}

void BytesCache::Invalidate(const std::string& key) {
  const std::string skey = ServerKey(key);
  std::vector<Args> cmds{{"DEL", skey}};
  for (uint32_t i = 1; i <= options_.hot_replicas; i++) {
    cmds.push_back({"DEL", skey + "#" + std::to_string(i)});
  }
  impl_->client_.Pipeline(std::move(cmds));
  if (l1_ != nullptr) l1_->l1().Invalidate(skey);
}

void BytesCache::Write(const std::string& key, const std::function<void()>& db_write) {
  db_write();
  Invalidate(key);
}

void BytesCache::AttachServerKeyFilter(std::string filter_key, BloomFilter* fallback) {
  impl_->server_filter_ = true;
  impl_->server_filter_key_ = std::move(filter_key);
  impl_->server_filter_fallback_ = fallback;
}

void BytesCache::AddKey(const std::string& key) {
  if (filter_ != nullptr) filter_->Add(key);
  if (!impl_->server_filter_) return;
  if (impl_->server_bf_.load(std::memory_order_acquire)) {
    try {
      impl_->client_.Command({"BF.ADD", impl_->server_filter_key_, key});
      return;
    } catch (const ServerError& e) {
      if (std::string(e.what()).find("unknown command") == std::string::npos) throw;
      impl_->server_bf_.store(false, std::memory_order_release);
    }
  }
  if (impl_->server_filter_fallback_ != nullptr) impl_->server_filter_fallback_->Add(key);
}

std::vector<std::pair<std::string, uint64_t>> BytesCache::HotKeys(size_t n) const {
  auto top = impl_->hot_.Top(n);
  for (auto& [k, _] : top) k = k.substr(options_.prefix.size());
  return top;
}

std::vector<std::pair<std::string, uint64_t>> BytesCache::ServerHotKeys(size_t n) {
  std::vector<std::pair<std::string, uint64_t>> out;
  Reply r;
  try {
    // The server's top list spans every prefix: ask for more and keep this cache's keys.
    r = impl_->client_.Command({"HOTKEYS", "COUNT", std::to_string(std::max<size_t>(n * 4, 64))});
  } catch (const ServerError&) {
    for (auto& [k, c] : HotKeys(n)) out.emplace_back(k, c);
    return out;
  }
  auto take = [&](const Reply& key, const Reply& count) {
    const std::string& k = key.str();
    if (k.compare(0, options_.prefix.size(), options_.prefix) != 0) return;
    if (k.find('#', options_.prefix.size()) != std::string::npos) return;  // a hot-key replica
    if (out.size() < n) out.emplace_back(k.substr(options_.prefix.size()), count.as_integer());
  };
  const auto& e = r.elements();
  if (!e.empty() && e[0].is_aggregate()) {
    for (const Reply& pair : e) {
      if (pair.size() == 2) take(pair[0], pair[1]);
    }
  } else {
    for (size_t i = 0; i + 1 < e.size(); i += 2) take(e[i], e[i + 1]);
  }
  return out;
}

size_t BytesCache::Warm(const std::vector<std::string>& keys, size_t concurrency,
                        const Loader& loader) {
  const uint64_t before = impl_->loads_.load();
  std::atomic<size_t> next{0};
  std::vector<std::thread> ts;
  concurrency = std::max<size_t>(1, std::min(concurrency, keys.size()));
  for (size_t t = 0; t < concurrency; t++) {
    ts.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < keys.size();) {
        try {
          impl_->GetOrLoad(keys[i], loader);
        } catch (const std::exception&) {
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  return size_t(impl_->loads_.load() - before);
}

size_t BytesCache::RefreshHottest(size_t n, const Loader& loader) {
  size_t refreshed = 0;
  for (auto& [skey, count] : impl_->hot_.Top(n)) {
    const std::string key = skey.substr(options_.prefix.size());
    if (impl_->RefreshGuarded(key, skey, impl_->hot_.Estimate(skey), loader)) refreshed++;
  }
  return refreshed;
}

void BytesCache::ScheduleHotRefresh(size_t n, std::chrono::milliseconds every, Loader loader) {
  impl_->StopHotRefresh();
  if (every.count() <= 0 || n == 0) return;
  impl_->hot_thread_ = std::thread([this, n, every, loader = std::move(loader)] {
    std::unique_lock<std::mutex> lock(impl_->hot_mu_);
    while (!impl_->hot_cv_.wait_for(lock, every, [this] { return impl_->hot_stop_; })) {
      lock.unlock();
      try {
        RefreshHottest(n, loader);
      } catch (...) {
      }
      lock.lock();
    }
  });
}

CacheStats BytesCache::stats() const {
  CacheStats s;
  const Impl& i = *impl_;
  s.l1_hits = i.l1_hits_.load();
  s.hits = i.hits_.load();
  s.stale_served = i.stale_served_.load();
  s.null_hits = i.null_hits_.load();
  s.filter_rejects = i.filter_rejects_.load();
  s.misses = i.misses_.load();
  s.loads = i.loads_.load();
  s.load_errors = i.load_errors_.load();
  s.early_refreshes = i.early_refreshes_.load();
  s.waits = i.waits_.load();
  s.shared = i.shared_.load();
  return s;
}

}  // namespace strata
