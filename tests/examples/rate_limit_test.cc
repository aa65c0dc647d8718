// The rate limiters: exactly `limit` requests pass per window, under a burst and from several
// threads at once; the token bucket refills at its rate (on a clock the test passes in, and
// coarsely on the server's own clock).
#include "rate_limit/rate_limit.h"

#include <atomic>
#include <thread>

#include "example_fixture.h"

namespace strata::examples {
namespace {

using namespace std::chrono_literals;

class RateLimitTest : public ExampleTest {
 protected:
  void SetUp() override { Start(/*needs_pg=*/false); }
};

TEST_P(RateLimitTest, FixedWindowAllowsExactlyTheLimit) {
  FixedWindowLimiter limiter(*client_, "rl:fixed", 10, 5000ms);
  int allowed = 0;
  for (int i = 0; i < 25; i++) {
    Decision d = limiter.Hit("alice");
    if (d.allowed) {
      allowed++;
      EXPECT_EQ(d.remaining, 10 - allowed);
      EXPECT_EQ(d.retry_after, 0ms);
    } else {
      EXPECT_GT(d.retry_after, 0ms);
      EXPECT_LE(d.retry_after, 5000ms);
    }
    // The first ten pass, then none.
    EXPECT_EQ(d.allowed, i < 10) << i;
  }
  EXPECT_EQ(allowed, 10);
  // Another caller has its own window.
  EXPECT_TRUE(limiter.Hit("bob").allowed);
}

TEST_P(RateLimitTest, FixedWindowCountsConcurrentRequestsExactly) {
  FixedWindowLimiter limiter(*client_, "rl:conc", 30, 10000ms);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; i++) {
        if (limiter.Hit("shared").allowed) allowed++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 30);
}

TEST_P(RateLimitTest, FixedWindowReopensAfterItsWindow) {
  FixedWindowLimiter limiter(*client_, "rl:reopen", 3, 400ms);
  int allowed = 0;
  Decision last;
  for (int i = 0; i < 10; i++) {
    last = limiter.Hit("carol");
    if (last.allowed) allowed++;
  }
  EXPECT_EQ(allowed, 3);
  ASSERT_FALSE(last.allowed);
  std::this_thread::sleep_for(last.retry_after + 100ms);
  allowed = 0;
  for (int i = 0; i < 10; i++) allowed += limiter.Hit("carol").allowed ? 1 : 0;
  EXPECT_EQ(allowed, 3);
}

TEST_P(RateLimitTest, TokenBucketOnAGivenClock) {
  // 5 tokens, 10 per second: 100 ms per token.
  TokenBucketLimiter bucket(*client_, "rl:bucket", 5, 10);
  const int64_t t0 = 1'000'000;
  int allowed = 0;
  Decision d;
  for (int i = 0; i < 8; i++) {
    d = bucket.Take("dave", 1, t0);
    if (d.allowed) allowed++;
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 100ms);
  EXPECT_EQ(d.remaining, 0);
  // 50 ms later: half a token, still denied, 50 ms to go.
  d = bucket.Take("dave", 1, t0 + 50);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 50ms);
  // 100 ms after the start: one token.
  EXPECT_TRUE(bucket.Take("dave", 1, t0 + 100).allowed);
  EXPECT_FALSE(bucket.Take("dave", 1, t0 + 100).allowed);
  // 250 ms later: 2.5 tokens; a request of 2 passes, then one of 1 does not.
  d = bucket.Take("dave", 2, t0 + 350);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(bucket.Take("dave", 1, t0 + 350).allowed);
  // A long pause refills to the capacity, no more.
  allowed = 0;
  for (int i = 0; i < 8; i++) allowed += bucket.Take("dave", 1, t0 + 60'000).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  // A request larger than the bucket can never pass.
  d = bucket.Take("erin", 6, t0);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, std::chrono::milliseconds::max());
  // A clock going backwards does not mint tokens.
  EXPECT_TRUE(bucket.Take("frank", 5, t0).allowed);
  EXPECT_FALSE(bucket.Take("frank", 1, t0 - 10'000).allowed);
}

TEST_P(RateLimitTest, TokenBucketOnTheServerClock) {
  // A bucket that refills very slowly: a burst gets exactly its capacity.
  TokenBucketLimiter slow(*client_, "rl:slow", 4, 0.001);
  int allowed = 0;
  for (int i = 0; i < 20; i++) allowed += slow.Take("gina").allowed ? 1 : 0;
  EXPECT_EQ(allowed, 4);
  // A fast one refills while we wait (coarsely: 20 per second, we wait well past one token).
  TokenBucketLimiter fast(*client_, "rl:fast", 2, 20);
  Decision d;
  for (int i = 0; i < 10; i++) d = fast.Take("hal");
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after, 0ms);
  EXPECT_LE(d.retry_after, 50ms);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(fast.Take("hal").allowed);
}

INSTANTIATE_TEST_SUITE_P(Servers, RateLimitTest,
                         ::testing::Values(testing::ServerKind::kStrata,
                                           testing::ServerKind::kRedis),
                         ParamName);

}  // namespace
}  // namespace strata::examples
