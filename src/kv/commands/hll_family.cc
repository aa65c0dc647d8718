// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, on types/hyperloglog.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterHllFamily(CommandRegistry&) {}

}  // namespace strata::kv
