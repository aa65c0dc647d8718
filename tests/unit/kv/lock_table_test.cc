#include "kv/tx/lock_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace strata::kv {
namespace {

TEST(LockTable, GrantsInArrivalOrderPerKey) {
  LockTable t;
  std::vector<int> order;
  auto k = [](const char* s) { return LockTable::Encode(0, s); };
  t.Acquire({k("a"), k("b")}, [&] { order.push_back(1); });
  EXPECT_TRUE(t.IsBlocked(k("a")));
  t.Acquire({k("b")}, [&] { order.push_back(2); });  // waits for 1
  t.Defer({k("a")}, [&] { order.push_back(3); });    // waits for 1
  t.Defer({k("c")}, [&] { order.push_back(4); });    // free: runs now
  EXPECT_EQ(order, (std::vector<int>{1, 4}));
  t.Release({k("a"), k("b")});
  EXPECT_EQ(order, (std::vector<int>{1, 4, 2, 3}));
  t.Release({k("b")});
  EXPECT_TRUE(t.empty());
}

TEST(LockTable, DatabasesAreSeparate) {
  LockTable t;
  int ran = 0;
  t.Acquire({LockTable::Encode(0, "k")}, [&] { ran++; });
  t.Acquire({LockTable::Encode(1, "k")}, [&] { ran++; });
  EXPECT_EQ(ran, 2);
}

}  // namespace
}  // namespace strata::kv
