// Time sources. Expiry and idle times use milliseconds since the Unix epoch (as Redis does, so
// EXPIREAT/PEXPIRETIME are wall-clock values); intervals use the monotonic clock.
#pragma once

#include <cstdint>
#include <ctime>

namespace strata {

inline int64_t UnixMillis() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline int64_t UnixMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

inline int64_t MonoMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The loop clock: a per-thread "now" that hot paths share instead of each reading the clock
// (at tens of nanoseconds a read, they added up to a tenth of the server's CPU at pipeline 16).
// The event loop refreshes it once per iteration, and AdvanceLoopClock() moves it on wherever a
// fresh reading is taken anyway (after a socket read, and at the end of every command, which
// commandstats times), so it is never older than the last command this thread ran.
namespace detail {
struct LoopClockState {
  int64_t mono_us = 0;         // 0 until first use on this thread
  int64_t unix_offset_us = 0;  // realtime - monotonic, as of the last refresh
};
inline thread_local LoopClockState t_loop_clock;
}  // namespace detail

// Reads both clocks (also picks up wall-clock changes).
inline void RefreshLoopClock() {
  timespec r, m;
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m);
  auto& c = detail::t_loop_clock;
  c.mono_us = int64_t(m.tv_sec) * 1000000 + m.tv_nsec / 1000;
  c.unix_offset_us = int64_t(r.tv_sec) * 1000000 + r.tv_nsec / 1000 - c.mono_us;
}

// Reads the monotonic clock into the loop clock and returns it (microseconds).
inline int64_t AdvanceLoopClock() {
  auto& c = detail::t_loop_clock;
  if (c.mono_us == 0) {
    RefreshLoopClock();
  } else {
    timespec m;
    clock_gettime(CLOCK_MONOTONIC, &m);
    c.mono_us = int64_t(m.tv_sec) * 1000000 + m.tv_nsec / 1000;
  }
  return c.mono_us;
}

// The loop clock's monotonic microseconds, without reading the clock.
inline int64_t LoopMonoMicros() {
  if (detail::t_loop_clock.mono_us == 0) RefreshLoopClock();
  return detail::t_loop_clock.mono_us;
}

// The loop clock as Unix milliseconds (for expiry), without reading the clock.
inline int64_t LoopUnixMillis() {
  const auto& c = detail::t_loop_clock;
  if (c.mono_us == 0) RefreshLoopClock();
  return (c.mono_us + c.unix_offset_us) / 1000;
}

inline int64_t MonoNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace strata
