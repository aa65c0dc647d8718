// Pub/Sub across shard threads (docs/design/messaging.md).
//
// Subscriptions live in two places:
// - each connection's own sets (ClientSubs), touched only on its thread;
// - per shard, the shard's subscribers of each channel and pattern (LocalSubscribers, in
//   ShardLocal), also touched only on that shard's thread;
// - process wide, the number of subscribers of each channel and pattern on each shard
//   (the Registry, under a reader/writer lock).
//
// PUBLISH reads the Registry once: the receiver count is exact, and the message goes as one
// mailbox post to each shard that has a receiver, which writes it to its own subscribers. The
// publisher never waits for a subscriber. Posts from one thread to another arrive in order, so
// the messages of one publishing connection reach each subscriber in publish order.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace strata::kv {
class Connection;
}

namespace strata::kv::pubsub {

enum class Kind { kChannel = 0, kShardChannel = 1, kPattern = 2 };

// One connection's subscriptions (its thread only).
struct ClientSubs {
  std::unordered_set<std::string> channels, shard_channels, patterns;
  // Redis's clientSubscriptionsCount: channels and patterns (the count SUBSCRIBE replies).
  size_t count() const { return channels.size() + patterns.size(); }
  size_t total() const { return count() + shard_channels.size(); }
  std::unordered_set<std::string>& of(Kind k) {
    return k == Kind::kChannel ? channels : k == Kind::kShardChannel ? shard_channels : patterns;
  }
};

// One shard's subscribers (that shard's thread only).
struct LocalSubscribers {
  std::unordered_map<std::string, std::vector<Connection*>> by_kind[3];
};

// Subscribes conn (on its thread) and writes Redis's subscribe reply for each name.
void Subscribe(Connection* conn, Kind kind, std::span<const std::string_view> names,
               std::string* out, int proto);
// Unsubscribes from names, or from everything of that kind if names is empty; writes the
// replies when out is not null (Redis replies one "unsubscribe" with a null name when there was
// nothing to leave).
void Unsubscribe(Connection* conn, Kind kind, std::span<const std::string_view> names,
                 std::string* out, int proto);
// Leaves every subscription silently (disconnection, RESET).
void UnsubscribeAll(Connection* conn);

// Delivers message to every subscriber of channel and of a matching pattern (kChannel), or of
// the shard channel (kShardChannel), on whatever thread they live, and returns how many
// receivers there were.
int64_t Publish(std::string_view channel, std::string_view message, Kind kind = Kind::kChannel);

// PUBSUB introspection.
std::vector<std::string> ActiveChannels(Kind kind, const std::string_view* pattern);
int64_t SubscriberCount(Kind kind, std::string_view channel);
int64_t PatternCount();

// Formats a push the way Redis writes it to a subscriber.
void AppendMessage(std::string* out, int proto, std::string_view type, std::string_view channel,
                   std::string_view message);

}  // namespace strata::kv::pubsub
