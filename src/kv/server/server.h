// Server: starts the shard threads (one Reactor + Shard + listening socket each), runs their
// cron, and stops them on SIGTERM/SIGINT or SHUTDOWN.
#pragma once

#include <string>

namespace strata::kv {

// Runs the server with GlobalConfig(); returns the process exit code.
int RunServer();
// Asks the server to stop (SHUTDOWN). Thread-safe.
void RequestShutdown();

}  // namespace strata::kv
