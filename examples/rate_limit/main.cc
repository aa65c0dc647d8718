// rate_limit-example --port 6379
// Sends a burst through each limiter and prints what each request got.
#include <cstring>
#include <iostream>

#include "rate_limit/rate_limit.h"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  strata::ClientOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) options.port = static_cast<uint16_t>(atoi(argv[i + 1]));
  }
  try {
    strata::Client cache(options);
    strata::examples::FixedWindowLimiter window(cache, "demo:fixed", 5, 1000ms);
    strata::examples::TokenBucketLimiter bucket(cache, "demo:bucket", 3, 2);
    for (int i = 0; i < 8; i++) {
      auto w = window.Hit("alice");
      auto b = bucket.Take("alice");
      std::cout << "request " << i << ": fixed window " << (w.allowed ? "allowed" : "denied")
                << " (retry after " << w.retry_after.count() << " ms), token bucket "
                << (b.allowed ? "allowed" : "denied") << " (retry after " << b.retry_after.count()
                << " ms)\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
