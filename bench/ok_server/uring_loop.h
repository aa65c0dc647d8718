// The +OK server's io_uring loop (see uring_loop.cc).
#pragma once

#include <string>

// Serves the listening socket on the calling thread until the process ends; returns non-zero
// with *err set if the ring cannot be set up.
int RunUringLoop(int listen_fd, std::string* err);
// Whether this kernel (and its seccomp filter, inside containers) lets us set up a ring.
bool UringAvailable(std::string* err);
