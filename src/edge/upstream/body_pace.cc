#include "edge/upstream/body_pace.h"

#include <algorithm>

namespace strata::edge {

const char* BodyPaceVerdictName(BodyPaceVerdict v) {
  switch (v) {
    case BodyPaceVerdict::kOk:
      return "ok";
    case BodyPaceVerdict::kIdle:
      return "idle";
    case BodyPaceVerdict::kTooSlow:
      return "below the minimum rate";
  }
  return "?";
}

void BodyPace::Start(int64_t now_ms, uint64_t bytes) {
  waiting_ = true;
  wait_since_ms_ = now_ms;
  last_bytes_ms_ = now_ms;
  waited_ms_ = 0;
  bytes_ = bytes;
}

void BodyPace::Received(uint64_t n, int64_t now_ms) {
  if (n == 0) return;
  bytes_ += n;
  last_bytes_ms_ = now_ms;
}

void BodyPace::SetWaiting(bool waiting, int64_t now_ms) {
  if (waiting == waiting_) return;
  if (waiting) {
    wait_since_ms_ = now_ms;
    last_bytes_ms_ = std::max(last_bytes_ms_, now_ms);
  } else {
    waited_ms_ += now_ms - wait_since_ms_;
  }
  waiting_ = waiting;
}

int64_t BodyPace::SlowAfterMs(const BodyPaceLimits& limits) const {
  if (limits.min_rate == 0) return kNever;
  // Too slow once bytes * 1000 < min_rate * waited, i.e. waited > bytes * 1000 / min_rate.
  if (bytes_ > uint64_t(kNever) / 1000) return kNever;
  uint64_t q = bytes_ * 1000 / limits.min_rate;
  return std::max<int64_t>(int64_t(q) + 1, limits.grace_ms);
}

BodyPaceVerdict BodyPace::Check(int64_t now_ms, const BodyPaceLimits& limits) const {
  if (!waiting_) return BodyPaceVerdict::kOk;
  if (limits.idle_ms > 0 && now_ms - last_bytes_ms_ >= limits.idle_ms)
    return BodyPaceVerdict::kIdle;
  if (WaitedMs(now_ms) >= SlowAfterMs(limits)) return BodyPaceVerdict::kTooSlow;
  return BodyPaceVerdict::kOk;
}

int64_t BodyPace::Deadline(const BodyPaceLimits& limits) const {
  if (!waiting_) return kNever;
  int64_t deadline = limits.idle_ms > 0 ? last_bytes_ms_ + limits.idle_ms : kNever;
  int64_t slow = SlowAfterMs(limits);
  if (slow != kNever) deadline = std::min(deadline, wait_since_ms_ + (slow - waited_ms_));
  return deadline;
}

}  // namespace strata::edge
