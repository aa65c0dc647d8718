// Pub/Sub fan-out across shard threads (docs/design/messaging.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace strata::kv::pubsub {

// Delivers message to every subscriber of channel and of a matching pattern, on whatever thread
// they live, and returns how many receivers there were. Messages published from one thread reach
// each subscriber in the order they were published. Never blocks on a subscriber.
int64_t Publish(std::string_view channel, std::string_view message);

}  // namespace strata::kv::pubsub
