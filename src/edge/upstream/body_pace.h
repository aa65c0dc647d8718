// BodyPace: is a client sending its request body fast enough? A pure decision (times are
// passed in), kept by the Session for a body that streams to the origin, because such a body
// holds an origin connection for as long as it takes to arrive.
//
// Two limits, both counted only while the edge is waiting for the client:
//   * idle: no body bytes for `idle_ms` (nginx's client_body_timeout: a limit between two
//     successive reads, not on the whole body);
//   * rate: once the body has been awaited for `grace_ms`, the bytes received so far must
//     average at least `min_rate` per second of waiting. A trickle (one byte every few seconds,
//     each under the idle limit) is cut off after the grace period; so holding an origin
//     connection for T seconds costs a client at least min_rate * T bytes.
// Time the edge itself holds the body back (the pipe to the origin is full because the origin
// reads slowly) is not waiting for the client, so it counts against neither limit.
#pragma once

#include <cstdint>
#include <limits>

namespace strata::edge {

struct BodyPaceLimits {
  int64_t idle_ms = 60000;   // longest wait for the next body bytes; 0: not checked
  uint64_t min_rate = 1024;  // bytes per second of waiting, on average; 0: not checked
  int64_t grace_ms = 5000;   // waiting time before the rate is checked
};

enum class BodyPaceVerdict : uint8_t { kOk, kIdle, kTooSlow };
const char* BodyPaceVerdictName(BodyPaceVerdict v);

class BodyPace {
 public:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  // The body starts (its head is parsed; `bytes` of it came along): waiting for the client.
  void Start(int64_t now_ms, uint64_t bytes);
  // `n` more body bytes arrived.
  void Received(uint64_t n, int64_t now_ms);
  // Whether the edge waits for the client (true) or holds the body back itself (false).
  void SetWaiting(bool waiting, int64_t now_ms);

  BodyPaceVerdict Check(int64_t now_ms, const BodyPaceLimits& limits) const;
  // The earliest time Check can stop answering kOk if no byte arrives meanwhile; kNever while
  // the edge is not waiting for the client.
  int64_t Deadline(const BodyPaceLimits& limits) const;

  bool waiting() const { return waiting_; }
  uint64_t bytes() const { return bytes_; }
  // Waiting time so far.
  int64_t WaitedMs(int64_t now_ms) const {
    return waited_ms_ + (waiting_ ? now_ms - wait_since_ms_ : 0);
  }

 private:
  // Waiting time after which `bytes_` is below the minimum rate.
  int64_t SlowAfterMs(const BodyPaceLimits& limits) const;

  bool waiting_ = false;
  int64_t wait_since_ms_ = 0;  // start of the current waiting spell
  int64_t last_bytes_ms_ = 0;  // last arrival, or the start of the spell if later
  int64_t waited_ms_ = 0;      // earlier waiting spells
  uint64_t bytes_ = 0;
};

}  // namespace strata::edge
