#include "rate_limit/rate_limit.h"

#include <cmath>
#include <cstdio>
#include <utility>

namespace strata::examples {

namespace {

// KEYS[1]: the bucket, a hash {tokens, ts}. ARGV: capacity, rate (tokens/s), cost, now in ms
// ("" = the server's TIME). Returns {allowed 0/1, whole tokens left, retry-after ms}.
// Numbers cross the Lua boundary as strings: Lua numbers returned to the client are truncated
// to integers, and the token count is fractional.
constexpr const char* kTokenBucketScript = R"lua(
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[4])
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
elseif cost > capacity or rate <= 0 then
  retry = -1
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%d', ts))
-- A full bucket needs no state: let it go once it would have refilled.
if rate > 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
end
return {allowed, math.floor(tokens), retry}
)lua";

std::string FormatNumber(double v) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

FixedWindowLimiter::FixedWindowLimiter(Client& cache, std::string prefix, int64_t limit,
                                       std::chrono::milliseconds window)
    : cache_(cache), prefix_(std::move(prefix)), limit_(limit), window_(window) {}

Decision FixedWindowLimiter::Hit(const std::string& who) {
  const std::string key = prefix_ + ":" + who;
  auto replies = cache_.Transaction({{"SET", key, "0", "PX", std::to_string(window_.count()), "NX"},
                                     {"INCR", key},
                                     {"PTTL", key}});
  if (!replies) throw Error("rate limiter transaction aborted");
  for (const Reply& r : *replies) {
    if (r.is_error()) throw ServerError(r.str());
  }
  const int64_t count = (*replies)[1].integer();
  const int64_t ttl = (*replies)[2].integer();
  Decision d;
  d.allowed = count <= limit_;
  d.remaining = d.allowed ? limit_ - count : 0;
  if (!d.allowed) d.retry_after = std::chrono::milliseconds(ttl > 0 ? ttl : 1);
  return d;
}

TokenBucketLimiter::TokenBucketLimiter(Client& cache, std::string prefix, double capacity,
                                       double rate)
    : cache_(cache), prefix_(std::move(prefix)), capacity_(capacity), rate_(rate) {}

Decision TokenBucketLimiter::Take(const std::string& who, double cost,
                                  std::optional<int64_t> now_ms) {
  Reply r = cache_.Eval(kTokenBucketScript, {prefix_ + ":" + who},
                        {FormatNumber(capacity_), FormatNumber(rate_), FormatNumber(cost),
                         now_ms ? std::to_string(*now_ms) : std::string()});
  if (r.size() != 3) throw ProtocolError("token bucket: unexpected reply " + r.ToString());
  Decision d;
  d.allowed = r[0].integer() == 1;
  d.remaining = r[1].integer();
  // -1: the request can never pass (it costs more than the bucket holds).
  d.retry_after = r[2].integer() < 0 ? std::chrono::milliseconds::max()
                                     : std::chrono::milliseconds(r[2].integer());
  return d;
}

}  // namespace strata::examples
