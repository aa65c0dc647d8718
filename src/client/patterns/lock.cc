#include "strata/lock.h"

#include <algorithm>
#include <random>
#include <thread>

namespace strata {
namespace {

// KEYS[1] the lock, KEYS[2] its fence counter; ARGV[1] ttl ms. The counter moves only when the
// lock is taken, so tokens are dense and strictly increasing.
constexpr const char* kAcquire = R"(
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local t = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], t, 'PX', ARGV[1])
return t
)";

constexpr const char* kRelease = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)";

constexpr const char* kExtend = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
)";

}  // namespace

DistributedLock::DistributedLock(Client& client, std::string name)
    : client_(client), key_("lock:{" + name + "}"), fence_key_("lock:{" + name + "}:fence") {}

std::optional<int64_t> DistributedLock::TryAcquire(std::chrono::milliseconds ttl) {
  Reply r = client_.Eval(kAcquire, {key_, fence_key_}, {std::to_string(ttl.count())});
  if (r.is_nil() || r.type() == Reply::Type::kBool) return std::nullopt;
  return r.as_integer();
}

std::optional<int64_t> DistributedLock::Acquire(std::chrono::milliseconds ttl,
                                                std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  thread_local std::minstd_rand rng(std::random_device{}());
  int64_t backoff_ms = 2;
  for (;;) {
    if (auto t = TryAcquire(ttl)) return t;
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return std::nullopt;
    int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
    int64_t sleep = std::min<int64_t>(left, backoff_ms / 2 + int64_t(rng() % uint32_t(backoff_ms)));
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 100);
  }
}

bool DistributedLock::Release(int64_t token) {
  return client_.Eval(kRelease, {key_}, {std::to_string(token)}).integer() == 1;
}

bool DistributedLock::Extend(int64_t token, std::chrono::milliseconds ttl) {
  return client_.Eval(kExtend, {key_}, {std::to_string(token), std::to_string(ttl.count())})
             .integer() == 1;
}

bool DistributedLock::Held() { return client_.Command({"EXISTS", key_}).integer() == 1; }

}  // namespace strata
