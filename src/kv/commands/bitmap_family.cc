// Bitmap and bit-field commands on string values.
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"

namespace strata::kv {

void RegisterBitmapFamily(CommandRegistry&) {}

}  // namespace strata::kv
