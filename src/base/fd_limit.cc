#include "base/fd_limit.h"

#include <sys/resource.h>

namespace strata {

uint64_t CurrentFdLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : uint64_t(rl.rlim_cur);
}

uint64_t RaiseFdLimit(uint64_t want) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  uint64_t soft = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : uint64_t(rl.rlim_cur);
  if (soft >= want) return soft;
  // The hard limit caps what an unprivileged process may ask for; fs.nr_open caps everyone.
  uint64_t hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : uint64_t(rl.rlim_max);
  for (uint64_t best = want < hard ? want : hard; best > soft;) {
    rl.rlim_cur = rlim_t(best);
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) return best;
    best = best > soft + 16 ? best - 16 : soft;
  }
  return soft;
}

int64_t MakeRoomForClients(int64_t want, int64_t per_client, int64_t reserved, uint64_t* limit) {
  uint64_t now = RaiseFdLimit(uint64_t(want * per_client + reserved));
  if (limit) *limit = now;
  return FitClients(want * per_client, reserved, now) / per_client;
}

}  // namespace strata
