// Hash commands: HSET/HGET and the rest of the H* family, on types/hash.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterHashFamily(CommandRegistry&) {}

}  // namespace strata::kv
