#include "kv/server/client_pause.h"

#include <atomic>
#include <cstring>
#include <mutex>

#include "base/clock.h"
#include "kv/commands/command.h"
#include "kv/tx/client_tx.h"

namespace strata::kv {
namespace {

std::mutex g_mu;  // serializes changes; readers only load the atomics
std::atomic<int> g_type{int(PauseType::kOff)};
std::atomic<int64_t> g_end_ms{0};

bool MayReplicateSpec(const CommandSpec& spec) {
  if (spec.flags & cmd::kWrite) return true;
  // LEASE.* are not flagged as writes (kv/commands/lease_family.cc) but may write.
  static const char* const kMayReplicate[] = {"eval",      "evalsha",   "fcall",
                                              "publish",   "spublish",  "pfcount",
                                              "lease.get", "lease.set", "lease.release"};
  for (const char* n : kMayReplicate)
    if (strcmp(spec.name, n) == 0) return true;
  return false;
}

}  // namespace

void PauseClients(PauseType type, int64_t end_ms) {
  std::lock_guard<std::mutex> l(g_mu);
  int64_t now = UnixMillis();
  int cur = g_type.load(std::memory_order_relaxed);
  int64_t cur_end = g_end_ms.load(std::memory_order_relaxed);
  if (cur != int(PauseType::kOff) && cur_end < now) cur = int(PauseType::kOff);
  if (cur == int(PauseType::kOff)) cur_end = 0;
  int t = cur > int(type) ? cur : int(type);
  int64_t e = cur_end > end_ms ? cur_end : end_ms;
  if (e < now) t = int(PauseType::kOff);
  g_end_ms.store(e, std::memory_order_relaxed);
  g_type.store(t, std::memory_order_release);
}

void UnpauseClients() {
  std::lock_guard<std::mutex> l(g_mu);
  g_type.store(int(PauseType::kOff), std::memory_order_release);
  g_end_ms.store(0, std::memory_order_relaxed);
}

PauseType CurrentPause() {
  int t = g_type.load(std::memory_order_acquire);
  if (t == int(PauseType::kOff)) return PauseType::kOff;
  if (g_end_ms.load(std::memory_order_relaxed) >= UnixMillis()) return PauseType(t);
  std::lock_guard<std::mutex> l(g_mu);
  t = g_type.load(std::memory_order_relaxed);
  if (t != int(PauseType::kOff) && g_end_ms.load(std::memory_order_relaxed) < UnixMillis()) {
    t = int(PauseType::kOff);
    g_type.store(t, std::memory_order_release);
  }
  return PauseType(t);
}

bool MayReplicate(const CommandSpec& spec, const TxState& tx) {
  if (MayReplicateSpec(spec)) return true;
  if (strcmp(spec.name, "exec") != 0) return false;
  for (const auto& q : tx.queue)
    if (MayReplicateSpec(*q.spec)) return true;
  return false;
}

}  // namespace strata::kv
