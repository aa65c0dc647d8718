// The process's open-file limit against the number of clients a server promises to accept.
//
// A server that accepts more connections than it has file descriptors for does not fail
// cleanly: accept() returns EMFILE and the client waits in the listen backlog. So, as
// redis-server does, a server raises RLIMIT_NOFILE to maxclients plus what it needs for itself
// at start, and when the system will not allow that, lowers maxclients to what fits and says so.
#pragma once

#include <cstdint>

namespace strata {

// Pure: the clients that fit under an open-file limit: `want`, or fewer when the limit minus the
// descriptors the server keeps for itself is smaller (< 1: the server cannot run).
inline int64_t FitClients(int64_t want, int64_t reserved, uint64_t limit) {
  if (limit >= uint64_t(INT64_MAX)) return want;
  int64_t fit = int64_t(limit) - reserved;
  return fit < want ? fit : want;
}

// Makes room for `want` clients of `per_client` descriptors each plus `reserved` for the server
// itself: raises the limit as far as the system allows and returns how many clients fit under
// it (capped at `want`; < 1: the server cannot run). *limit, if given, gets the limit in force.
int64_t MakeRoomForClients(int64_t want, int64_t per_client, int64_t reserved,
                           uint64_t* limit = nullptr);

// Raises the soft RLIMIT_NOFILE towards `want` (never lowers it) and returns the soft limit in
// force afterwards. Like redis-server, steps down in 16s from `want` until the kernel agrees.
uint64_t RaiseFdLimit(uint64_t want);
// The current soft limit.
uint64_t CurrentFdLimit();

}  // namespace strata
