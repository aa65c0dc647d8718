// strata-server: a Redis-protocol in-memory data store with a shared-nothing, thread-per-core
// design. Usage: strata-server [strata.conf] [--option value ...]; see --help.
#include <cstdio>
#include <string>

#include "base/log.h"
#include "io/reactor.h"
#include "io/send_batch.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"
#include "kv/server/server.h"

int main(int argc, char** argv) {
  using namespace strata;
  using namespace strata::kv;
  Config& cfg = GlobalConfig();
  std::string error;
  bool exit_now = false;
  if (!cfg.ParseArgs(argc, argv, &error, &exit_now)) {
    fprintf(stderr, "strata-server: %s\n", error.c_str());
    return 1;
  }
  if (exit_now) return 0;
  io::Reactor::SetMaxNapMicros(cfg.loop_nap_us.load());
  if (!cfg.logfile.empty() && !SetLogFile(cfg.logfile)) {
    fprintf(stderr, "strata-server: cannot open log file '%s'\n", cfg.logfile.c_str());
    return 1;
  }
  if (cfg.io_mode.load() == 1) {
    std::string why;
    if (!io::SetIoMode(io::IoMode::kUring, &why)) {
      LOG_WARNING("--io uring: io_uring is refused here (%s); using epoll", why.c_str());
      cfg.io_mode.store(0);
    }
  }
  RegisterAllCommands();
  return RunServer();
}
