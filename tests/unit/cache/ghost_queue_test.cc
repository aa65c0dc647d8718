#include "cache/policy/ghost_queue.h"

#include <gtest/gtest.h>

#include <list>
#include <random>

namespace strata::cache {
namespace {

TEST(GhostQueue, BoundedByWeightInFifoOrder) {
  GhostQueue g(3);
  for (uint64_t h = 1; h <= 5; ++h) g.Push(h, 1);
  EXPECT_EQ(g.size(), 3u);
  EXPECT_FALSE(g.Contains(1));
  EXPECT_FALSE(g.Contains(2));
  EXPECT_TRUE(g.Contains(3));
  EXPECT_TRUE(g.Contains(5));
  g.Push(6, 2);  // weight 2 pushes out 3 and 4
  EXPECT_EQ(g.weight(), 3u);
  EXPECT_TRUE(g.Contains(5));
  EXPECT_TRUE(g.Contains(6));
}

TEST(GhostQueue, EraseAndRepush) {
  GhostQueue g(2);
  g.Push(1, 1);
  g.Push(2, 1);
  EXPECT_TRUE(g.Erase(1));
  EXPECT_FALSE(g.Erase(1));
  g.Push(3, 1);
  g.Push(1, 1);  // 2 is now the oldest
  EXPECT_FALSE(g.Contains(2));
  EXPECT_TRUE(g.Contains(3));
  EXPECT_TRUE(g.Contains(1));
  EXPECT_TRUE(g.PopOldest());
  EXPECT_FALSE(g.Contains(3));
}

TEST(GhostQueue, StaleRecordsAreCompacted) {
  GhostQueue g(1000);
  for (uint64_t i = 0; i < 100000; ++i) {
    g.Push(i, 1);
    g.Erase(i);  // a ghost hit right away: the FIFO must not grow without bound
  }
  EXPECT_EQ(g.size(), 0u);
  EXPECT_EQ(g.weight(), 0u);
  EXPECT_FALSE(g.PopOldest());
}

}  // namespace
}  // namespace strata::cache

namespace strata::cache {
namespace {

// Against a straightforward model (ordered list of live ghosts), with colliding probe runs,
// erases in the middle of runs and table growth.
TEST(GhostQueue, MatchesASimpleModel) {
  std::mt19937_64 rng(11);
  GhostQueue g(300);
  std::list<std::pair<uint64_t, uint32_t>> model;  // oldest first
  auto model_weight = [&] {
    uint64_t w = 0;
    for (auto& [h, wt] : model) w += wt;
    return w;
  };
  for (int step = 0; step < 200000; ++step) {
    uint64_t h = rng() % 700;  // dense keys: many collisions in the probe sequence
    if (rng() % 3 == 0) {
      bool in_model = false;
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->first == h) {
          model.erase(it);
          in_model = true;
          break;
        }
      }
      ASSERT_EQ(g.Erase(h), in_model) << step;
    } else {
      uint32_t w = 1 + static_cast<uint32_t>(rng() % 5);
      for (auto it = model.begin(); it != model.end(); ++it) {
        if (it->first == h) {
          model.erase(it);
          break;
        }
      }
      model.emplace_back(h, w);
      while (model_weight() > 300) model.pop_front();
      g.Push(h, w);
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(g.size(), model.size()) << step;
      ASSERT_EQ(g.weight(), model_weight()) << step;
      for (auto& [key, wt] : model) ASSERT_TRUE(g.Contains(key)) << step;
    }
  }
}

TEST(GhostQueue, ReservedHashStillWorks) {
  GhostQueue g(10);
  g.Push(~uint64_t{0}, 1);
  EXPECT_TRUE(g.Contains(~uint64_t{0}));
  EXPECT_TRUE(g.Erase(~uint64_t{0}));
  EXPECT_FALSE(g.Contains(~uint64_t{0}));
  EXPECT_EQ(g.size(), 0u);
}

}  // namespace
}  // namespace strata::cache
