#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterConnFamily(CommandRegistry&) {}

}  // namespace strata::kv
