#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterServerFamily(CommandRegistry&) {}

}  // namespace strata::kv
