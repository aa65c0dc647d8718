// Key ownership across workers (WorkerContext::OwnerOf): deterministic, spread, and always the
// worker itself when it is alone.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "edge/fsm/context.h"

namespace strata::edge {
namespace {

TEST(Ownership, OneOwnerPerKeySpreadOverWorkers) {
  EdgeConfig cfg;
  std::vector<std::unique_ptr<WorkerContext>> owned;
  std::vector<WorkerContext*> all;
  for (int i = 0; i < 4; i++) {
    owned.push_back(std::make_unique<WorkerContext>(i, &cfg, StoreLimits{}));
    all.push_back(owned.back().get());
  }
  // Alone (or before the workers know each other), a worker owns everything.
  EXPECT_EQ(all[2]->OwnerOf("test.local/a"), 2);
  for (WorkerContext* w : all) w->all_workers = &all;

  std::vector<int> per_worker(4, 0);
  for (int k = 0; k < 4000; k++) {
    std::string key = "test.local/obj/" + std::to_string(k);
    int owner = all[0]->OwnerOf(key);
    ASSERT_GE(owner, 0);
    ASSERT_LT(owner, 4);
    // Every worker agrees on the owner.
    for (WorkerContext* w : all) ASSERT_EQ(w->OwnerOf(key), owner);
    per_worker[size_t(owner)]++;
  }
  for (int n : per_worker) {
    EXPECT_GT(n, 800);  // 1000 expected each
    EXPECT_LT(n, 1200);
  }
}

}  // namespace
}  // namespace strata::edge
