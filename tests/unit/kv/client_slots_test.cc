#include "kv/server/client_slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace strata::kv {
namespace {

TEST(ClientSlots, AdmitsUpToMaxAndReusesReleasedSlots) {
  ClientSlots s;
  for (int i = 0; i < 5; i++) EXPECT_TRUE(s.TryReserve(5));
  EXPECT_FALSE(s.TryReserve(5));
  EXPECT_EQ(s.count(), 5);  // a refusal holds nothing
  s.Release();
  EXPECT_TRUE(s.TryReserve(5));
  EXPECT_FALSE(s.TryReserve(5));
  EXPECT_FALSE(s.TryReserve(3));  // maxclients lowered under the connected count
  EXPECT_TRUE(s.TryReserve(INT64_MAX));
  EXPECT_EQ(s.count(), 6);
}

// A counter that runs `between` once, right after the next load: another acceptor taking its
// turn between this one's reading of the count and its taking of the slot.
struct InterleavedCounter {
  explicit InterleavedCounter(int64_t v) : value(v) {}
  std::atomic<int64_t> value;
  std::function<void()> between;

  int64_t load(std::memory_order o) const {
    int64_t v = value.load(o);
    if (between) {
      auto f = std::move(const_cast<InterleavedCounter*>(this)->between);
      const_cast<InterleavedCounter*>(this)->between = nullptr;
      f();
    }
    return v;
  }
  bool compare_exchange_weak(int64_t& expected, int64_t desired, std::memory_order o) {
    return value.compare_exchange_weak(expected, desired, o);
  }
  int64_t fetch_add(int64_t d, std::memory_order o) { return value.fetch_add(d, o); }
  int64_t fetch_sub(int64_t d, std::memory_order o) { return value.fetch_sub(d, o); }
};

// Two acceptors see the last free slot at once: one gets it, the other refuses its client.
TEST(ClientSlots, TheLastSlotGoesToOneAcceptorOnly) {
  BasicClientSlots<InterleavedCounter> s;
  for (int i = 0; i < 4; i++) ASSERT_TRUE(s.TryReserve(5));
  bool other = false;
  s.counter().between = [&] { other = s.TryReserve(5); };
  bool mine = s.TryReserve(5);
  EXPECT_NE(mine, other);  // exactly one admitted
  EXPECT_EQ(s.count(), 5);
}

// While the server is full, a refused client holds no slot even for a moment: a client leaving
// in the middle of another acceptor's refusal frees a slot that the next one gets.
TEST(ClientSlots, ARefusalNeverHoldsASlot) {
  BasicClientSlots<InterleavedCounter> s;
  for (int i = 0; i < 5; i++) ASSERT_TRUE(s.TryReserve(5));
  bool next = false;
  s.counter().between = [&] {
    s.Release();  // a client leaves
    next = s.TryReserve(5);
  };
  EXPECT_FALSE(s.TryReserve(5));  // saw the server full
  EXPECT_TRUE(next);
  EXPECT_EQ(s.count(), 5);
}

// Several acceptors race for the last free slot, over and over: exactly one gets it each round.
// A check followed by a separate increment lets two of them through within a few rounds.
TEST(ClientSlots, RacingAcceptorsNeverExceedTheLimit) {
  constexpr int kThreads = 3;
  constexpr int kRounds = 5000;
  constexpr int64_t kMax = 5;
  ClientSlots s;
  for (int i = 0; i < kMax - 1; i++) ASSERT_TRUE(s.TryReserve(kMax));
  std::atomic<int> arrived{0};
  std::atomic<int> round{0};
  std::atomic<int> admitted[kRounds] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; r++) {
        while (round.load() != r) std::this_thread::yield();
        if (s.TryReserve(kMax)) admitted[r]++;
        // The last one to finish the round gives the slot back and starts the next round.
        if (arrived.fetch_add(1) == kThreads - 1) {
          if (admitted[r].load() > 0) s.Release();
          arrived.store(0);
          round.store(r + 1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  int over = 0, none = 0;
  for (int r = 0; r < kRounds; r++) {
    over += admitted[r].load() > 1;
    none += admitted[r].load() == 0;
  }
  EXPECT_EQ(over, 0) << "rounds where more than one acceptor took the last slot";
  EXPECT_EQ(none, 0) << "rounds where the free slot was refused to everyone";
  EXPECT_EQ(s.count(), kMax - 1);
}

}  // namespace
}  // namespace strata::kv
