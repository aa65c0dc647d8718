#include "strata/tracked_near_cache.h"

#include <thread>

namespace strata {

TrackedNearCache::TrackedNearCache(const ClientOptions& server, NearCacheOptions l1,
                                   TrackingOptions tracking)
    : options_(std::move(tracking)), l1_(l1) {
  l1_.SetServing(false);
  ClientOptions o = server;
  o.pool_size = 1;
  o.protocol = 3;
  Args track{"CLIENT", "TRACKING", "on"};
  if (options_.mode == TrackingOptions::Mode::kBroadcast) {
    track.push_back("BCAST");
    for (const std::string& p : options_.prefixes) {
      track.push_back("PREFIX");
      track.push_back(p);
    }
  }
  o.on_connect = {track};
  o.on_push = [this](size_t, Reply&& push) { OnPush(std::move(push)); };
  o.on_connection = [this](const ConnectionEvent& ev) { OnConnection(ev); };
  conn_ = std::make_unique<Client>(o);
}

TrackedNearCache::~TrackedNearCache() { conn_.reset(); }

void TrackedNearCache::OnPush(Reply&& push) {
  // ["invalidate", [key, ...]] or ["invalidate", nil] (a flush).
  if (push.size() < 2 || push[0].str() != "invalidate") return;
  const Reply& keys = push[1];
  if (keys.is_nil()) {
    flushes_.fetch_add(1, std::memory_order_relaxed);
    l1_.Clear();
    return;
  }
  for (const Reply& k : keys.elements()) {
    invalidation_messages_.fetch_add(1, std::memory_order_relaxed);
    l1_.Invalidate(k.str());
  }
}

void TrackedNearCache::OnConnection(const ConnectionEvent& ev) {
  if (!ev.up) {
    // Invalidations may be lost from now on: stop serving and forget everything.
    up_.store(false, std::memory_order_release);
    tracking_.store(false, std::memory_order_release);
    disconnects_.fetch_add(1, std::memory_order_relaxed);
    flushes_.fetch_add(1, std::memory_order_relaxed);
    l1_.SetServing(false);
    return;
  }
  const bool ok = ev.protocol == 3 && !ev.on_connect.empty() && !ev.on_connect[0].is_error();
  ttl_only_.store(!ok, std::memory_order_release);
  tracking_.store(ok, std::memory_order_release);
  up_.store(true, std::memory_order_release);
  l1_.SetServing(true);
}

std::string TrackedNearCache::mode() const {
  if (!up_.load(std::memory_order_acquire)) return "down";
  if (ttl_only_.load(std::memory_order_acquire)) return "ttl-only";
  return options_.mode == TrackingOptions::Mode::kBroadcast ? "broadcast" : "default";
}

std::chrono::milliseconds TrackedNearCache::EntryTtl(std::chrono::milliseconds wanted) const {
  if (ttl_only() && (wanted.count() <= 0 || wanted > options_.ttl_only_max)) {
    return options_.ttl_only_max;
  }
  return wanted;
}

TrackedNearCacheStats TrackedNearCache::stats() const {
  TrackedNearCacheStats s;
  s.l1 = l1_.stats();
  s.invalidation_messages = invalidation_messages_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.disconnects = disconnects_.load(std::memory_order_relaxed);
  return s;
}

bool TrackedNearCache::WaitReady(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!up_.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace strata
