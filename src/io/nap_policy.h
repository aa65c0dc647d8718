// io::NapPolicy: when a busy event loop naps instead of sleeping in epoll_wait.
//
// A loop that waits in epoll_wait is woken by whoever makes one of its fds ready: on loopback
// that is the client's own send(), which then pays for the wake-up (the scheduler's
// try_to_wake_up and an inter-processor interrupt, several microseconds in a VM). With the load
// generator on the other core and pipeline 1, that cost lands on the client, which is the
// bottleneck, and a fast server that sleeps after every few requests loses throughput to a slower
// one that is still busy when the next request arrives.
//
// So a loop that has just handled events does not go back onto the wait queue at once. It polls
// (epoll_wait with no timeout), and if nothing is ready it *naps*: a short timed sleep during
// which it is on no wait queue, so a client's send only queues the event and returns. It then
// polls again and handles whatever arrived meanwhile in one turn; only if that poll is empty too
// does it block in epoll_wait. Nothing spins, and an idle loop costs nothing: after the last
// event it naps at most once and then blocks.
//
// A nap delays the replies of the requests that arrive during it, so this policy takes one only
// where that delay buys something and costs little. It measures, over windows of ~10 ms, the
// event rate and how many distinct handlers (connections) produced the events, and naps for
//   min(max_nap, cycle / 10)    where cycle = handlers / rate, a connection's round trip,
// only if at least two events are expected during the nap (rate * nap >= 2) and the nap is at
// least min_nap long (shorter timed sleeps cost more than they save). Fifty clients at 120k
// requests/s (a 400 us round trip) get a 40 us nap; four clients at 65k (60 us) get none, since
// a nap would be a large share of each one's round trip; a trickle of requests gets none either.
//
// Pure: it sees counts and times, never fds. One per loop, used only by the loop's thread.
#pragma once

#include <cstdint>

namespace strata::io {

class NapPolicy {
 public:
  static constexpr int64_t kWindowUs = 10000;
  static constexpr int64_t kMinNapUs = 10;
  static constexpr int64_t kLatencyShare = 10;  // a nap is at most 1/10 of a round trip
  static constexpr int64_t kMinBatch = 2;       // events expected during a nap

  // The current window's number, for telling a handler's first event of the window.
  uint32_t window() const { return window_; }
  // An fd event; `first_of_handler`: its handler had no event yet in this window.
  void OnEvent(bool first_of_handler) {
    ++events_;
    handlers_ += first_of_handler ? 1 : 0;
  }
  // Once per loop turn with the loop's clock: closes the window when it is due and decides the
  // nap for the next one. Returns the nap in microseconds (0: block at once).
  int64_t Update(int64_t now_us, int64_t max_nap_us) {
    if (window_start_us_ == 0) window_start_us_ = now_us;
    int64_t elapsed = now_us - window_start_us_;
    if (elapsed < kWindowUs) return max_nap_us > 0 ? nap_us_ : 0;
    nap_us_ = Decide(elapsed, events_, handlers_, max_nap_us);
    window_start_us_ = now_us;
    events_ = handlers_ = 0;
    ++window_;
    return nap_us_;
  }

  // The decision itself: `events` from `handlers` distinct handlers during `elapsed_us`.
  static int64_t Decide(int64_t elapsed_us, uint64_t events, uint64_t handlers,
                        int64_t max_nap_us) {
    if (max_nap_us <= 0 || events == 0 || handlers == 0 || elapsed_us <= 0) return 0;
    // cycle = handlers * elapsed / events: how often one handler has an event.
    int64_t cycle_us = int64_t(handlers * uint64_t(elapsed_us) / events);
    int64_t nap = cycle_us / kLatencyShare;
    if (nap > max_nap_us) nap = max_nap_us;
    if (nap < kMinNapUs) return 0;
    // Expected events during the nap: events * nap / elapsed.
    if (int64_t(events) * nap < kMinBatch * elapsed_us) return 0;
    return nap;
  }

 private:
  int64_t window_start_us_ = 0;
  uint64_t events_ = 0;
  uint64_t handlers_ = 0;
  uint32_t window_ = 1;  // handlers start at 0: their first event counts
  int64_t nap_us_ = 0;
};

}  // namespace strata::io
