// BodyPace: the idle and minimum-rate limits on a streamed request body, with the time the edge
// holds the body back itself left out.
#include <gtest/gtest.h>

#include "edge/upstream/body_pace.h"

namespace strata::edge {
namespace {

constexpr BodyPaceLimits kLimits{.idle_ms = 500, .min_rate = 2000, .grace_ms = 1000};

TEST(BodyPace, IdleBetweenReads) {
  BodyPace p;
  p.Start(10000, 0);
  EXPECT_EQ(p.Check(10499, kLimits), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Check(10500, kLimits), BodyPaceVerdict::kIdle);
  EXPECT_EQ(p.Deadline(kLimits), 10500);
  p.Received(4000, 10400);  // bytes reset the idle clock, whatever the average
  EXPECT_EQ(p.Check(10899, kLimits), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Check(10900, kLimits), BodyPaceVerdict::kIdle);
  EXPECT_EQ(p.Deadline(kLimits), 10900);
}

TEST(BodyPace, MinimumRateAfterGrace) {
  BodyPace p;
  p.Start(0, 100);
  // A trickle: 10 bytes every 100 ms (100 B/s), never idle for 500 ms.
  for (int64_t t = 100; t <= 900; t += 100) {
    p.Received(10, t);
    EXPECT_EQ(p.Check(t, kLimits), BodyPaceVerdict::kOk) << t;  // within the grace period
  }
  EXPECT_EQ(p.bytes(), 190u);
  EXPECT_EQ(p.Deadline(kLimits), 1000);  // 190 bytes are below 2000 B/s as soon as grace ends
  p.Received(10, 1000);
  EXPECT_EQ(p.Check(1000, kLimits), BodyPaceVerdict::kTooSlow);
}

TEST(BodyPace, EveryByteBuysWaitingTime) {
  BodyPace p;
  p.Start(0, 0);
  p.Received(1 << 20, 50);
  EXPECT_EQ(p.Deadline(kLimits), 50 + 500);  // the idle limit comes first
  EXPECT_EQ(p.Check(549, kLimits), BodyPaceVerdict::kOk);
  // Without it, 1 MiB at 2000 B/s covers 524288 ms of waiting.
  BodyPaceLimits no_idle = kLimits;
  no_idle.idle_ms = 0;
  EXPECT_EQ(p.Deadline(no_idle), 524289);
  EXPECT_EQ(p.Check(524288, no_idle), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Check(524289, no_idle), BodyPaceVerdict::kTooSlow);
}

TEST(BodyPace, TimeTheEdgeHoldsTheBodyIsNotCounted) {
  BodyPace p;
  p.Start(0, 0);
  p.Received(100, 200);
  p.SetWaiting(false, 300);  // the origin is behind: the edge stops reading
  EXPECT_FALSE(p.waiting());
  EXPECT_EQ(p.Check(60000, kLimits), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Deadline(kLimits), BodyPace::kNever);
  p.SetWaiting(true, 60000);  // reading again: the idle clock restarts
  EXPECT_EQ(p.WaitedMs(60000), 300);
  EXPECT_EQ(p.Check(60499, kLimits), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Check(60500, kLimits), BodyPaceVerdict::kIdle);
  // The rate counts waiting time only: 300 ms before, 700 ms now, and 100 bytes are too few.
  p.Received(900, 60400);
  EXPECT_EQ(p.Check(60699, kLimits), BodyPaceVerdict::kOk);
  EXPECT_EQ(p.Deadline(kLimits), 60700);
  EXPECT_EQ(p.Check(60700, kLimits), BodyPaceVerdict::kTooSlow);
}

TEST(BodyPace, RateCheckOff) {
  BodyPaceLimits no_rate = kLimits;
  no_rate.min_rate = 0;
  BodyPace p;
  p.Start(0, 0);
  for (int64_t t = 400; t < 100000; t += 400) {
    p.Received(1, t);
    ASSERT_EQ(p.Check(t, no_rate), BodyPaceVerdict::kOk) << t;
  }
  EXPECT_EQ(p.Deadline(no_rate), 99600 + 500);
  EXPECT_STREQ(BodyPaceVerdictName(BodyPaceVerdict::kTooSlow), "below the minimum rate");
}

}  // namespace
}  // namespace strata::edge
