// XFetch: probabilistic early recomputation of a cached value (Vattani, Chierichetti and
// Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015).
//
// A reader that finds a value expiring at `expiry`, whose last recomputation took `delta`,
// refreshes it now (before it expires) when
//     now - delta * beta * ln(u) >= expiry,   u drawn uniformly from (0, 1].
// Equivalently, with gap = expiry - now, the probability of refreshing is exp(-gap / (delta *
// beta)) while gap > 0, and 1 once the value has expired. It rises monotonically as expiry
// approaches, so one of many concurrent readers recomputes a little early instead of all of them
// at expiry. beta > 1 favours earlier refreshes, beta < 1 later ones; 1.0 is the paper's optimum.
//
// Everything here is a pure function of its arguments (the random draw is passed in or drawn from
// a caller-owned generator): no state, no lock, callable from any thread.
#pragma once

#include <chrono>
#include <cmath>
#include <random>

namespace strata::xfetch {

inline constexpr double kDefaultBeta = 1.0;

// The decision for one draw `u`. u is clamped into (0, 1]: u <= 0 (ln u = -infinity) refreshes,
// u >= 1 refreshes only once the value has expired. delta <= 0 or beta <= 0 make the rule
// degenerate to "refresh once expired".
template <class Clock, class Duration, class Rep, class Period>
bool ShouldRefresh(std::chrono::time_point<Clock, Duration> now,
                   std::chrono::time_point<Clock, Duration> expiry,
                   std::chrono::duration<Rep, Period> delta, double beta, double u) {
  if (now >= expiry) return true;
  if (u <= 0.0) return true;
  if (u > 1.0) u = 1.0;
  const double d = std::chrono::duration<double>(delta).count();
  if (d <= 0.0 || beta <= 0.0) return false;
  const double gap = std::chrono::duration<double>(expiry - now).count();
  return -d * beta * std::log(u) >= gap;
}

// The same decision drawing u from a caller-owned uniform random bit generator (e.g. a
// thread_local std::mt19937_64); the generator is the only state touched.
template <class Clock, class Duration, class Rep, class Period,
          std::uniform_random_bit_generator Urbg>
bool ShouldRefresh(std::chrono::time_point<Clock, Duration> now,
                   std::chrono::time_point<Clock, Duration> expiry,
                   std::chrono::duration<Rep, Period> delta, double beta, Urbg& rng) {
  // uniform_real_distribution yields [0, 1); 1 - x lies in (0, 1].
  const double u = 1.0 - std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return ShouldRefresh(now, expiry, delta, beta, u);
}

// The probability that ShouldRefresh returns true for a uniform u: exp(-gap / (delta * beta))
// before expiry, 1 after (0 before expiry when delta or beta is not positive).
template <class Clock, class Duration, class Rep, class Period>
double RefreshProbability(std::chrono::time_point<Clock, Duration> now,
                          std::chrono::time_point<Clock, Duration> expiry,
                          std::chrono::duration<Rep, Period> delta, double beta = kDefaultBeta) {
  if (now >= expiry) return 1.0;
  const double d = std::chrono::duration<double>(delta).count();
  if (d <= 0.0 || beta <= 0.0) return 0.0;
  const double gap = std::chrono::duration<double>(expiry - now).count();
  return std::exp(-gap / (d * beta));
}

}  // namespace strata::xfetch
