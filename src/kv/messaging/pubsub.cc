#include "kv/messaging/pubsub.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <shared_mutex>

#include "base/glob.h"
#include "base/memory.h"
#include "kv/server/connection.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"

namespace strata::kv::pubsub {
namespace {

// Redis's glob, which never matches an empty name (not even "*").
bool Matches(std::string_view pattern, std::string_view name) {
  return !name.empty() && GlobMatch(pattern, name);
}

// Process-wide subscriber counts per name and shard.
class Registry {
 public:
  struct Counts {
    std::vector<uint32_t> per_shard;
    uint64_t total = 0;
  };

  static Registry& Get() {
    static Registry r;
    return r;
  }

  void Add(Kind kind, const std::string& name, uint32_t shard) {
    std::unique_lock l(mu_);
    Counts& c = maps_[int(kind)][name];
    if (c.per_shard.empty()) c.per_shard.resize(Shards().size());
    c.per_shard[shard]++;
    c.total++;
    if (kind == Kind::kPattern) patterns_.store(maps_[2].size(), std::memory_order_relaxed);
  }

  void Remove(Kind kind, const std::string& name, uint32_t shard) {
    std::unique_lock l(mu_);
    auto& m = maps_[int(kind)];
    auto it = m.find(name);
    if (it == m.end()) return;
    it->second.per_shard[shard]--;
    if (--it->second.total == 0) m.erase(it);
    if (kind == Kind::kPattern) patterns_.store(maps_[2].size(), std::memory_order_relaxed);
  }

  // The shards that have receivers for channel (per shard: the matching patterns there), and
  // the receiver count.
  int64_t Route(Kind kind, std::string_view channel, std::vector<uint8_t>* shards,
                std::vector<std::string>* patterns) {
    std::shared_lock l(mu_);
    int64_t receivers = 0;
    auto& m = maps_[int(kind)];
    if (!m.empty()) {
      auto it = m.find(std::string(channel));
      if (it != m.end()) {
        receivers += int64_t(it->second.total);
        for (size_t i = 0; i < it->second.per_shard.size(); i++)
          if (it->second.per_shard[i]) (*shards)[i] = 1;
      }
    }
    if (kind == Kind::kChannel && patterns_.load(std::memory_order_relaxed) > 0) {
      for (const auto& [pat, c] : maps_[2]) {
        if (!Matches(pat, channel)) continue;
        receivers += int64_t(c.total);
        patterns->push_back(pat);
        for (size_t i = 0; i < c.per_shard.size(); i++)
          if (c.per_shard[i]) (*shards)[i] = 1;
      }
    }
    return receivers;
  }

  std::vector<std::string> Names(Kind kind, const std::string_view* pattern) {
    std::shared_lock l(mu_);
    std::vector<std::string> out;
    for (const auto& [name, c] : maps_[int(kind)])
      if (!pattern || Matches(*pattern, name)) out.push_back(name);
    return out;
  }

  int64_t Count(Kind kind, std::string_view name) {
    std::shared_lock l(mu_);
    auto& m = maps_[int(kind)];
    auto it = m.find(std::string(name));
    return it == m.end() ? 0 : int64_t(it->second.total);
  }

  int64_t Patterns() { return int64_t(patterns_.load(std::memory_order_relaxed)); }

 private:
  std::shared_mutex mu_;
  std::unordered_map<std::string, Counts> maps_[3];
  std::atomic<size_t> patterns_{0};
};

// One published message on its way to the shards that have receivers. Allocated by the
// publisher's thread and freed by the last shard that delivers it; the bytes are moved back to
// the publisher's memory ledger then, so pub/sub traffic does not shift maxmemory shares.
struct Delivery {
  Kind kind;
  std::string channel, message;
  std::vector<std::string> patterns;
  std::atomic<int> refs{0};
  MemoryLedger* origin = nullptr;
  int64_t bytes = 0;
};

void Release(Delivery* d) {
  if (d->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  MemoryLedger* origin = d->origin;
  int64_t bytes = d->bytes;
  delete d;
  if (origin != CurrentMemoryLedger()) {
    CreditMemoryLedger(origin, -bytes);
    CreditMemoryLedger(CurrentMemoryLedger(), bytes);
  }
}

const char* MessageType(Kind k) { return k == Kind::kShardChannel ? "smessage" : "message"; }

// On a shard's thread: writes the message to that shard's subscribers.
void Deliver(const Delivery& d) {
  LocalSubscribers& subs = Local().pubsub;
  std::string enc[2];  // RESP2, RESP3; formatted once per shard
  auto send = [&](Connection* c, std::string_view pattern, bool pmessage) {
    if (c->closed()) return;
    int proto = c->state().proto;
    std::string& e = enc[proto == 3 ? 1 : 0];
    if (pmessage) {
      std::string one;
      resp::ReplyBuilder rb(&one, proto);
      rb.PushHeader(4);
      rb.Bulk("pmessage");
      rb.Bulk(pattern);
      rb.Bulk(d.channel);
      rb.Bulk(d.message);
      c->Push(one);
      return;
    }
    if (e.empty()) AppendMessage(&e, proto, MessageType(d.kind), d.channel, d.message);
    c->Push(e);
  };
  auto& m = subs.by_kind[int(d.kind)];
  if (!m.empty()) {
    auto it = m.find(d.channel);
    if (it != m.end())
      for (Connection* c : it->second) send(c, {}, false);
  }
  if (!d.patterns.empty()) {
    auto& pm = subs.by_kind[int(Kind::kPattern)];
    for (const auto& p : d.patterns) {
      auto it = pm.find(p);
      if (it == pm.end()) continue;
      for (Connection* c : it->second) send(c, p, true);
    }
  }
}

const char* SubscribeWord(Kind k) {
  return k == Kind::kChannel ? "subscribe" : k == Kind::kShardChannel ? "ssubscribe" : "psubscribe";
}
const char* UnsubscribeWord(Kind k) {
  return k == Kind::kChannel        ? "unsubscribe"
         : k == Kind::kShardChannel ? "sunsubscribe"
                                    : "punsubscribe";
}

size_t CountFor(const ClientSubs& s, Kind k) {
  return k == Kind::kShardChannel ? s.shard_channels.size() : s.count();
}

void ReplySub(std::string* out, int proto, const char* word, const std::string_view* name,
              size_t count) {
  resp::ReplyBuilder rb(out, proto);
  rb.PushHeader(3);
  rb.Bulk(word);
  if (name)
    rb.Bulk(*name);
  else
    rb.Null();
  rb.Integer(int64_t(count));
}

// Removes conn from its shard's list for name.
void RemoveLocal(Connection* conn, Kind kind, const std::string& name) {
  auto& m = Local().pubsub.by_kind[int(kind)];
  auto it = m.find(name);
  if (it == m.end()) return;
  auto& v = it->second;
  auto pos = std::find(v.begin(), v.end(), conn);
  if (pos != v.end()) v.erase(pos);
  if (v.empty()) m.erase(it);
}

bool LeaveOne(Connection* conn, Kind kind, const std::string& name) {
  auto& set = conn->subs().of(kind);
  if (set.erase(name) == 0) return false;
  RemoveLocal(conn, kind, name);
  Registry::Get().Remove(kind, name, conn->shard_id());
  return true;
}

}  // namespace

void AppendMessage(std::string* out, int proto, std::string_view type, std::string_view channel,
                   std::string_view message) {
  resp::ReplyBuilder rb(out, proto);
  rb.PushHeader(3);
  rb.Bulk(type);
  rb.Bulk(channel);
  rb.Bulk(message);
}

void Subscribe(Connection* conn, Kind kind, std::span<const std::string_view> names,
               std::string* out, int proto) {
  auto& set = conn->subs().of(kind);
  for (std::string_view n : names) {
    std::string name(n);
    if (set.insert(name).second) {
      Local().pubsub.by_kind[int(kind)][name].push_back(conn);
      Registry::Get().Add(kind, name, conn->shard_id());
    }
    ReplySub(out, proto, SubscribeWord(kind), &n, CountFor(conn->subs(), kind));
  }
}

void Unsubscribe(Connection* conn, Kind kind, std::span<const std::string_view> names,
                 std::string* out, int proto) {
  if (names.empty()) {
    auto& set = conn->subs().of(kind);
    std::vector<std::string> all(set.begin(), set.end());
    for (const auto& name : all) {
      LeaveOne(conn, kind, name);
      if (out) {
        std::string_view n = name;
        ReplySub(out, proto, UnsubscribeWord(kind), &n, CountFor(conn->subs(), kind));
      }
    }
    if (all.empty() && out)
      ReplySub(out, proto, UnsubscribeWord(kind), nullptr, CountFor(conn->subs(), kind));
    return;
  }
  for (std::string_view n : names) {
    LeaveOne(conn, kind, std::string(n));
    if (out) ReplySub(out, proto, UnsubscribeWord(kind), &n, CountFor(conn->subs(), kind));
  }
}

void UnsubscribeAll(Connection* conn) {
  for (Kind k : {Kind::kChannel, Kind::kShardChannel, Kind::kPattern})
    if (!conn->subs().of(k).empty()) Unsubscribe(conn, k, {}, nullptr, 2);
}

int64_t Publish(std::string_view channel, std::string_view message, Kind kind) {
  ShardSet& set = Shards();
  std::vector<uint8_t> targets(set.size(), 0);
  std::vector<std::string> patterns;
  int64_t receivers = Registry::Get().Route(kind, channel, &targets, &patterns);
  if (receivers == 0) return 0;
  int64_t before = CurrentLedgerBytes();
  auto* d = new Delivery{kind, std::string(channel), std::string(message), std::move(patterns)};
  d->origin = CurrentMemoryLedger();
  d->bytes = CurrentLedgerBytes() - before;
  int n = 0;
  for (uint8_t t : targets) n += t;
  d->refs.store(n, std::memory_order_relaxed);
  for (uint32_t i = 0; i < set.size(); i++) {
    if (!targets[i]) continue;
    set.Post(i, [d] {
      Deliver(*d);
      Release(d);
    });
  }
  return receivers;
}

std::vector<std::string> ActiveChannels(Kind kind, const std::string_view* pattern) {
  return Registry::Get().Names(kind, pattern);
}

int64_t SubscriberCount(Kind kind, std::string_view channel) {
  return Registry::Get().Count(kind, channel);
}

int64_t PatternCount() { return Registry::Get().Patterns(); }

}  // namespace strata::kv::pubsub
