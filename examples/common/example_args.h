// The command line every example program takes: --port (the cache server, 127.0.0.1) and --pg
// (a libpq connection string).
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include "strata/client.h"

namespace strata::examples {

struct ExampleArgs {
  ClientOptions server;
  std::string pg;
};

inline ExampleArgs ParseExampleArgs(int argc, char** argv) {
  ExampleArgs a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) a.server.port = static_cast<uint16_t>(atoi(argv[i + 1]));
    if (strcmp(argv[i], "--pg") == 0) a.pg = argv[i + 1];
  }
  return a;
}

}  // namespace strata::examples
