// policy-sim's replay loops: exact (list/queue) policies over intrusive hooks, sampled keyspace
// policies over a simulated uniform sampler with Redis's eviction pool, and Belady's OPT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace.h"

namespace strata::bench {

struct SimOptions {
  uint64_t seed = 1;
  uint32_t samples = 5;  // maxmemory-samples
  // Simulated clock: request i happens at i * ms_per_request / requests_per_ms ms.
  uint64_t ms_per_request = 1;
  uint64_t requests_per_ms = 1;
  double lfu_log_factor = 10;
  uint32_t lfu_decay_time = 1;       // minutes
  double frequency_exponent = 1.75;  // sampled-lrfu
  bool byte_hits = false;            // count hit bytes instead of hits (with trace sizes)
};

// Every policy name policy-sim knows, in table order.
const std::vector<std::string>& AllPolicyNames();
const std::vector<std::string>& DefaultPolicyNames();
bool IsKnownPolicy(std::string_view name);

// Hits of `policy` on `trace` with room for `capacity` keys (or bytes, when the trace has sizes;
// then objects larger than the capacity are never cached, and hits are counted in bytes with
// options.byte_hits); nullopt for an unknown name, and for "opt" on a sized trace (OPT with
// variable sizes is NP-hard). `next_use` (for "opt") is NextUse(trace).
std::optional<uint64_t> Run(std::string_view policy, const Trace& trace, uint64_t capacity,
                            const SimOptions& options, const std::vector<uint32_t>& next_use);

// next_use[i] = index of the next request for trace.keys[i], or keys.size() when none.
std::vector<uint32_t> NextUse(const Trace& trace);

}  // namespace strata::bench
