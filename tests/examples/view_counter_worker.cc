// The processes of the write-behind chaos test (view_counter_test.cc), started and SIGKILLed at
// random by the test:
//   view-counter-worker app <port> <log> <first-id> <ids>   counts views of its products for
//       ever, appending "<id> <n>\n" to <log> once each view is acknowledged;
//   view-counter-worker flusher <port> <conninfo>            flushes the queue to PostgreSQL.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "view_counter/view_counter.h"

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  std::string role = argv[1];
  strata::ClientOptions o;
  o.port = uint16_t(atoi(argv[2]));
  o.command_timeout = std::chrono::milliseconds(5000);
  try {
    strata::Client cache(o);
    if (role == "app" && argc == 6) {
      int fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0) return 3;
      const int64_t first = atoll(argv[4]);
      const int64_t count = atoll(argv[5]);
      strata::examples::ViewCounter views(cache);
      std::minstd_rand rng{static_cast<uint32_t>(getpid())};
      for (;;) {
        int64_t id = first + int64_t(rng() % uint64_t(count));
        int64_t n = views.View(id);
        std::string line = std::to_string(id) + " " + std::to_string(n) + "\n";
        if (write(fd, line.data(), line.size()) != ssize_t(line.size())) return 4;
      }
    }
    if (role == "flusher") {
      pqxx::connection db(argv[3]);
      std::atomic<bool> stop{false};
      strata::examples::ViewCounter::RunFlusher(cache, db, stop);
      return 0;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "%s: %s\n", role.c_str(), e.what());
    return 1;
  }
  return 2;
}
