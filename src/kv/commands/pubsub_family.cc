// Pub/Sub commands: SUBSCRIBE and friends change the calling connection's subscriptions (on its
// own thread); PUBLISH and SPUBLISH fan out through kv/messaging/pubsub.h; PUBSUB reads the
// process-wide registry.
#include <string>

#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/messaging/pubsub.h"
#include "kv/server/connection.h"

namespace strata::kv {
namespace {

using pubsub::Kind;

// Subscription commands need the client's connection; a script or a transaction run without
// one cannot subscribe.
Connection* NeedConn(CmdContext& ctx) {
  if (!ctx.conn) ctx.rb->Error("ERR " + ToUpper(ctx.args[0]) + " is not allowed here");
  return ctx.conn;
}

void DoSubscribe(CmdContext& ctx, Kind kind) {
  Connection* c = NeedConn(ctx);
  if (!c) return;
  pubsub::Subscribe(c, kind, ctx.args.subspan(1), ctx.rb->out(), ctx.rb->proto());
}

void DoUnsubscribe(CmdContext& ctx, Kind kind) {
  Connection* c = NeedConn(ctx);
  if (!c) return;
  pubsub::Unsubscribe(c, kind, ctx.args.subspan(1), ctx.rb->out(), ctx.rb->proto());
}

void CmdSubscribe(CmdContext& ctx) { DoSubscribe(ctx, Kind::kChannel); }
void CmdPsubscribe(CmdContext& ctx) { DoSubscribe(ctx, Kind::kPattern); }
void CmdSsubscribe(CmdContext& ctx) { DoSubscribe(ctx, Kind::kShardChannel); }
void CmdUnsubscribe(CmdContext& ctx) { DoUnsubscribe(ctx, Kind::kChannel); }
void CmdPunsubscribe(CmdContext& ctx) { DoUnsubscribe(ctx, Kind::kPattern); }
void CmdSunsubscribe(CmdContext& ctx) { DoUnsubscribe(ctx, Kind::kShardChannel); }

void CmdPublish(CmdContext& ctx) {
  ctx.rb->Integer(pubsub::Publish(ctx.args[1], ctx.args[2], Kind::kChannel));
}

void CmdSpublish(CmdContext& ctx) {
  ctx.rb->Integer(pubsub::Publish(ctx.args[1], ctx.args[2], Kind::kShardChannel));
}

void ReplyNames(CmdContext& ctx, Kind kind) {
  if (ctx.args.size() > 3) {
    ctx.rb->Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.args[1]) + "'. Try PUBSUB HELP.");
    return;
  }
  std::string_view pat = ctx.args.size() == 3 ? ctx.args[2] : std::string_view();
  auto names = pubsub::ActiveChannels(kind, ctx.args.size() == 3 ? &pat : nullptr);
  ctx.rb->ArrayHeader(names.size());
  for (const auto& n : names) ctx.rb->Bulk(n);
}

void ReplyCounts(CmdContext& ctx, Kind kind) {
  ctx.rb->ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.rb->Bulk(ctx.args[i]);
    ctx.rb->Integer(pubsub::SubscriberCount(kind, ctx.args[i]));
  }
}

void CmdPubsub(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (name == "channels") {
    ReplyNames(ctx, Kind::kChannel);
  } else if (name == "shardchannels") {
    ReplyNames(ctx, Kind::kShardChannel);
  } else if (name == "numsub") {
    ReplyCounts(ctx, Kind::kChannel);
  } else if (name == "shardnumsub") {
    ReplyCounts(ctx, Kind::kShardChannel);
  } else if (name == "numpat") {
    ctx.rb->Integer(pubsub::PatternCount());
  } else if (name == "help") {
    ReplyHelp(
        ctx, "PUBSUB",
        {"CHANNELS [<pattern>]",
         "    Return the currently active channels matching a <pattern> (default: '*').", "NUMPAT",
         "    Return number of subscriptions to patterns.", "NUMSUB [<channel> ...]",
         "    Return the number of subscribers for the specified channels, excluding",
         "    pattern subscriptions(default: no channels).", "SHARDCHANNELS [<pattern>]",
         "    Return the currently active shard level channels matching a <pattern> "
         "(default: '*').",
         "SHARDNUMSUB [<shardchannel> ...]",
         "    Return the number of subscribers for the specified shard level channel(s)"});
  }
}

}  // namespace

void RegisterPubsubFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kSub = kPubSub | kNoScript | kLoading | kStale;
  r.Add({"subscribe", -2, kSub, 0, 0, 0, CmdSubscribe, nullptr, "pubsub",
         "Listens for messages published to channels.", "2.0.0",
         "O(N) where N is the number of channels to subscribe to."});
  r.Add({"unsubscribe", -1, kSub, 0, 0, 0, CmdUnsubscribe, nullptr, "pubsub",
         "Stops listening to messages posted to channels.", "2.0.0",
         "O(N) where N is the number of channels to unsubscribe."});
  r.Add({"psubscribe", -2, kSub, 0, 0, 0, CmdPsubscribe, nullptr, "pubsub",
         "Listens for messages published to channels that match one or more patterns.", "2.0.0",
         "O(N) where N is the number of patterns to subscribe to."});
  r.Add({"punsubscribe", -1, kSub, 0, 0, 0, CmdPunsubscribe, nullptr, "pubsub",
         "Stops listening to messages published to channels that match one or more patterns.",
         "2.0.0", "O(N) where N is the number of patterns to unsubscribe."});
  r.Add({"ssubscribe", -2, kSub, 0, 0, 0, CmdSsubscribe, nullptr, "pubsub",
         "Listens for messages published to shard channels.", "7.0.0",
         "O(N) where N is the number of shard channels to subscribe to."});
  r.Add({"sunsubscribe", -1, kSub, 0, 0, 0, CmdSunsubscribe, nullptr, "pubsub",
         "Stops listening to messages posted to shard channels.", "7.0.0",
         "O(N) where N is the number of shard channels to unsubscribe."});
  r.Add({"publish", 3, kPubSub | kLoading | kStale | kFast, 0, 0, 0, CmdPublish, nullptr, "pubsub",
         "Posts a message to a channel.", "2.0.0",
         "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
         "the total number of subscribed patterns (by any client)."});
  r.Add({"spublish", 3, kPubSub | kLoading | kStale | kFast, 0, 0, 0, CmdSpublish, nullptr,
         "pubsub", "Post a message to a shard channel", "7.0.0",
         "O(N) where N is the number of clients subscribed to the receiving shard channel."});
  r.Add({"pubsub", -2, 0, 0, 0, 0, CmdPubsub, nullptr, "pubsub",
         "A container for Pub/Sub commands.", "2.8.0", "Depends on subcommand."});
  const uint32_t kIntro = kPubSub | kLoading | kStale;
  RegisterSubcommands(
      "pubsub",
      {
          {"channels", -2, kIntro, "Returns the active channels.", "2.8.0",
           "O(N) where N is the number of active channels, and assuming constant time pattern "
           "matching (relatively short channels and patterns)"},
          {"numpat", 2, kIntro, "Returns a count of unique pattern subscriptions.", "2.8.0"},
          {"numsub", -2, kIntro, "Returns a count of subscribers to channels.", "2.8.0",
           "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
          {"shardchannels", -2, kIntro, "Returns the active shard channels.", "7.0.0",
           "O(N) where N is the number of active shard channels, and assuming constant time "
           "pattern matching (relatively short shard channels)."},
          {"shardnumsub", -2, kIntro, "Returns the count of subscribers of shard channels.",
           "7.0.0",
           "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard "
           "channels"},
          {"help", 2, kLoading | kStale, "Returns helpful text about the different subcommands.",
           "6.2.0"},
      });
}

}  // namespace strata::kv
