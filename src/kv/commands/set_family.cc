// Set commands: SADD/SREM, membership, random members and set algebra, on types/set.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterSetFamily(CommandRegistry&) {}

}  // namespace strata::kv
