#include "strata/single_flight.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// Waits (bounded) until `cond` holds; the bound only keeps a broken build from hanging.
template <class Cond>
bool WaitFor(Cond cond) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

constexpr int kThreads = 64;

TEST(SingleFlight, SixtyFourCallersOneExecution) {
  strata::SingleFlight<std::string> sf;
  std::atomic<int> runs{0};
  std::vector<std::string> results(kThreads);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[i] = sf.Do("user:1", [&] {
        runs.fetch_add(1);
        // Hold the call open until every other caller has joined it.
        EXPECT_TRUE(WaitFor([&] { return sf.Waiting("user:1") == kThreads - 1; }));
        return std::string("loaded");
      });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (const auto& r : results) EXPECT_EQ(r, "loaded");
  EXPECT_EQ(sf.InFlight(), 0u);
  EXPECT_EQ(sf.Waiting("user:1"), 0u);
}

TEST(SingleFlight, ExceptionReachesEveryCaller) {
  strata::SingleFlight<int> sf;
  std::atomic<int> runs{0};
  std::atomic<int> caught{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        sf.Do("k", [&]() -> int {
          runs.fetch_add(1);
          EXPECT_TRUE(WaitFor([&] { return sf.Waiting("k") == kThreads - 1; }));
          throw std::runtime_error("origin down");
        });
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) == "origin down") caught.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(caught.load(), kThreads);
  // The failure is not remembered: the next call runs again and succeeds.
  EXPECT_EQ(sf.Do("k", [] { return 5; }), 5);
}

TEST(SingleFlight, NextCallAfterCompletionRunsAgain) {
  strata::SingleFlight<int> sf;
  int runs = 0;
  EXPECT_EQ(sf.Do("a", [&] { return ++runs; }), 1);
  EXPECT_EQ(sf.Do("a", [&] { return ++runs; }), 2);
  EXPECT_EQ(runs, 2);
}

TEST(SingleFlight, DifferentKeysDoNotWaitForEachOther) {
  strata::SingleFlight<int> sf;
  std::atomic<bool> b_ran{false};
  std::thread ta([&] {
    // a's call stays open until b's has run: serialising the keys would never finish.
    EXPECT_EQ(sf.Do("a",
                    [&] {
                      EXPECT_TRUE(WaitFor([&] { return b_ran.load(); }));
                      return 1;
                    }),
              1);
  });
  ASSERT_TRUE(WaitFor([&] { return sf.InFlight() == 1; }));
  EXPECT_EQ(sf.Do("b",
                  [&] {
                    b_ran = true;
                    return 2;
                  }),
            2);
  ta.join();
}

TEST(SingleFlight, MoveOnlyCallableAndRepeatedRounds) {
  strata::SingleFlight<int> sf;
  std::atomic<int> runs{0};
  for (int round = 0; round < 20; ++round) {
    std::latch start(8);
    std::vector<std::thread> threads;
    std::atomic<int> sum{0};
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        auto owned = std::make_unique<int>(round);
        sum += sf.Do("r", [&, p = std::move(owned)] {
          runs.fetch_add(1);
          return *p;
        });
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(sum.load(), 8 * round);  // every caller got this round's value
  }
  EXPECT_GE(runs.load(), 20);
  EXPECT_EQ(sf.InFlight(), 0u);
}

}  // namespace
