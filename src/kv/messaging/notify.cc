#include "kv/messaging/notify.h"

#include "kv/messaging/pubsub.h"

namespace strata::kv::notify {

bool ParseFlags(std::string_view, uint32_t* out) {
  *out = 0;
  return true;
}

std::string FormatFlags(uint32_t) { return ""; }

void Publish(uint32_t, std::string_view, std::string_view, int) {}

}  // namespace strata::kv::notify
