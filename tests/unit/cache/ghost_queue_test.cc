#include "cache/policy/ghost_queue.h"

#include <gtest/gtest.h>

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
