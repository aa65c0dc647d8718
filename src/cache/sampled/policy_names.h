// maxmemory-policy names: parsing (case-insensitive, as Redis's CONFIG SET) and formatting.
// Redis's names map onto the same algorithms as in Redis; allkeys-fifo/volatile-fifo, the modern
// allkeys-lrfu/volatile-lrfu (recommended) and the experimental *-tinylru are Strata's.
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "cache/sampled/keyspace_policy.h"

namespace strata::cache::sampled {

struct MaxmemoryPolicy {
  Algorithm algorithm = Algorithm::kNone;
  bool volatile_only = false;  // sample only keys with a TTL
  bool operator==(const MaxmemoryPolicy&) const = default;
};

// kInvalidArgument for an unknown name.
Result<MaxmemoryPolicy> ParseMaxmemoryPolicy(std::string_view name);
// The canonical name ("allkeys-lru"); "noeviction" for kNone.
std::string_view MaxmemoryPolicyName(MaxmemoryPolicy policy);
// Every accepted name, in --help order.
std::span<const std::string_view> MaxmemoryPolicyNames();
// The modern policy Strata recommends (allkeys-lrfu).
MaxmemoryPolicy DefaultModernPolicy();

}  // namespace strata::cache::sampled
