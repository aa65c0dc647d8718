#include "cache/sampled/policy_names.h"

#include <array>

#include "base/strutil.h"

namespace strata::cache::sampled {

namespace {

struct Named {
  std::string_view name;
  MaxmemoryPolicy policy;
};

constexpr std::array<Named, 14> kPolicies = {{
    {"noeviction", {Algorithm::kNone, false}},
    {"allkeys-lru", {Algorithm::kLru, false}},
    {"allkeys-lfu", {Algorithm::kLfu, false}},
    {"allkeys-random", {Algorithm::kRandom, false}},
    {"volatile-lru", {Algorithm::kLru, true}},
    {"volatile-lfu", {Algorithm::kLfu, true}},
    {"volatile-random", {Algorithm::kRandom, true}},
    {"volatile-ttl", {Algorithm::kTtl, true}},
    {"allkeys-fifo", {Algorithm::kFifo, false}},
    {"volatile-fifo", {Algorithm::kFifo, true}},
    {"allkeys-lrfu", {Algorithm::kLrfu, false}},
    {"volatile-lrfu", {Algorithm::kLrfu, true}},
    {"allkeys-tinylru", {Algorithm::kTinyLru, false}},
    {"volatile-tinylru", {Algorithm::kTinyLru, true}},
}};

constexpr std::array<std::string_view, kPolicies.size()> MakeNames() {
  std::array<std::string_view, kPolicies.size()> out{};
  for (size_t i = 0; i < kPolicies.size(); ++i) out[i] = kPolicies[i].name;
  return out;
}
constexpr auto kNames = MakeNames();

}  // namespace

Result<MaxmemoryPolicy> ParseMaxmemoryPolicy(std::string_view name) {
  for (const Named& n : kPolicies) {
    if (EqualsIgnoreCase(n.name, name)) return n.policy;
  }
  return OpStatus::kInvalidArgument;
}

std::string_view MaxmemoryPolicyName(MaxmemoryPolicy policy) {
  if (policy.algorithm == Algorithm::kNone) return "noeviction";
  if (policy.algorithm == Algorithm::kTtl) return "volatile-ttl";
  for (const Named& n : kPolicies) {
    if (n.policy == policy) return n.name;
  }
  return "noeviction";
}

std::span<const std::string_view> MaxmemoryPolicyNames() { return kNames; }

MaxmemoryPolicy DefaultModernPolicy() { return {Algorithm::kLrfu, false}; }

}  // namespace strata::cache::sampled
