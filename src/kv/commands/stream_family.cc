// Stream commands: XADD, ranges, trimming, consumer groups, on types/stream.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterStreamFamily(CommandRegistry&) {}

}  // namespace strata::kv
