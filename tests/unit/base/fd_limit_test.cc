#include "base/fd_limit.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(FdLimit, FitClients) {
  EXPECT_EQ(FitClients(10000, 44, 20000), 10000);  // room enough
  EXPECT_EQ(FitClients(10000, 44, 10044), 10000);  // exactly enough
  EXPECT_EQ(FitClients(10000, 44, 1024), 980);     // lowered to what fits
  EXPECT_EQ(FitClients(10000, 44, 44), 0);         // cannot run
  EXPECT_LT(FitClients(10000, 44, 20), 1);
  EXPECT_EQ(FitClients(10000, 44, UINT64_MAX), 10000);  // unlimited
}

TEST(FdLimit, RaiseNeverLowers) {
  uint64_t now = CurrentFdLimit();
  EXPECT_EQ(RaiseFdLimit(now > 16 ? now - 16 : 1), now);
  EXPECT_GE(RaiseFdLimit(now), now);
  EXPECT_EQ(CurrentFdLimit(), now);
}

TEST(FdLimit, MakeRoomForClientsWithinTheCurrentLimit) {
  uint64_t now = CurrentFdLimit();
  uint64_t limit = 0;
  EXPECT_EQ(MakeRoomForClients(10, 2, 32, &limit), 10);  // 52 descriptors: always there
  EXPECT_GE(limit, now);
}

}  // namespace
}  // namespace strata
