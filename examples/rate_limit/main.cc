// rate_limit-example --port 6379
// Sends a burst through each limiter and prints what each request got.
#include <iostream>

#include "common/example_args.h"
#include "rate_limit/rate_limit.h"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  strata::examples::ExampleArgs args = strata::examples::ParseExampleArgs(argc, argv);
  strata::ClientOptions& options = args.server;
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
