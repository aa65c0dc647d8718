#include "base/memory.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace strata {
namespace {

TEST(Memory, ThreadCountersFollowAllocations) {
#ifdef STRATA_JEMALLOC
  int64_t before = ThreadAllocatedBytes();
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 1000; i++) blocks.emplace_back(new char[1000]);
  int64_t during = ThreadAllocatedBytes();
  EXPECT_GE(during - before, 1000 * 1000);
  blocks.clear();
  EXPECT_LT(ThreadAllocatedBytes() - before, 100 * 1000);
#endif
  EXPECT_GT(ProcessRssBytes(), 0u);
  EXPECT_GE(AllocationSize(33), 33u);
}

}  // namespace
}  // namespace strata
