#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterKeysFamily(CommandRegistry&) {}

}  // namespace strata::kv
