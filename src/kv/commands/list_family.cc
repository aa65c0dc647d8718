// List commands: pushes, pops, ranges and moves, on types/list.h.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterListFamily(CommandRegistry&) {}

}  // namespace strata::kv
