#include "strata/xfetch.h"

#include <chrono>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace xf = strata::xfetch;

const Clock::time_point kExpiry = Clock::time_point{} + 1000s;

TEST(XFetch, AfterExpiryAlwaysRefreshes) {
  for (double u : {1e-9, 0.5, 1.0}) {
    EXPECT_TRUE(xf::ShouldRefresh(kExpiry, kExpiry, 100ms, 1.0, u));
    EXPECT_TRUE(xf::ShouldRefresh(kExpiry + 1s, kExpiry, 100ms, 1.0, u));
  }
  EXPECT_DOUBLE_EQ(xf::RefreshProbability(kExpiry, kExpiry, 100ms), 1.0);
}

TEST(XFetch, FormulaForOneDraw) {
  // now - delta*beta*ln(u) >= expiry  <=>  -ln(u) >= gap / (delta*beta).
  const auto now = kExpiry - 1s;  // gap 1 s, delta 1 s, beta 1: refresh iff u <= e^-1
  EXPECT_TRUE(xf::ShouldRefresh(now, kExpiry, 1s, 1.0, std::exp(-1.0) - 1e-6));
  EXPECT_FALSE(xf::ShouldRefresh(now, kExpiry, 1s, 1.0, std::exp(-1.0) + 1e-6));
  EXPECT_FALSE(xf::ShouldRefresh(now, kExpiry, 1s, 1.0, 1.0));  // ln 1 = 0: not before expiry
  EXPECT_TRUE(xf::ShouldRefresh(now, kExpiry, 1s, 1.0, 0.0));   // clamped: ln 0 = -inf
  // beta 2 doubles the reach.
  EXPECT_TRUE(xf::ShouldRefresh(kExpiry - 2s, kExpiry, 1s, 2.0, std::exp(-1.0) - 1e-6));
  EXPECT_FALSE(xf::ShouldRefresh(kExpiry - 2s, kExpiry, 1s, 1.0, std::exp(-1.0) - 1e-6));
  // No recompute cost known: refresh only once expired.
  EXPECT_FALSE(xf::ShouldRefresh(now, kExpiry, 0s, 1.0, 1e-12));
}

TEST(XFetch, ProbabilityMonotoneInTime) {
  double previous = -1;
  for (int ms = 10000; ms >= 0; ms -= 50) {
    const double p =
        xf::RefreshProbability(kExpiry - std::chrono::milliseconds(ms), kExpiry, 500ms);
    EXPECT_GE(p, previous) << ms;
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
    previous = p;
  }
  EXPECT_DOUBLE_EQ(previous, 1.0);
  // With one fixed draw the decision never flips back to "wait" as time advances.
  for (double u : {0.01, 0.3, 0.9}) {
    bool refreshed = false;
    for (int ms = 5000; ms >= -100; ms -= 10) {
      const bool r =
          xf::ShouldRefresh(kExpiry - std::chrono::milliseconds(ms), kExpiry, 300ms, 1.0, u);
      if (refreshed) {
        EXPECT_TRUE(r) << u << " " << ms;
      }
      refreshed = refreshed || r;
    }
    EXPECT_TRUE(refreshed);
  }
}

TEST(XFetch, EmpiricalRateMatchesProbability) {
  std::mt19937_64 rng(7);
  for (auto gap : {100ms, 300ms, 1000ms}) {
    const auto now = kExpiry - gap;
    int hits = 0;
    const int n = 40000;
    for (int i = 0; i < n; ++i) hits += xf::ShouldRefresh(now, kExpiry, 250ms, 1.0, rng) ? 1 : 0;
    const double p = xf::RefreshProbability(now, kExpiry, 250ms);
    EXPECT_NEAR(static_cast<double>(hits) / n, p, 0.01) << gap.count();
  }
}

}  // namespace
