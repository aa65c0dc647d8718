#include "kv/messaging/tracking.h"

#include <map>
#include <mutex>
#include <shared_mutex>

#include "base/hash.h"
#include "base/memory.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/shard_local.h"
#include "kv/server/shard_set.h"
#include "proto/resp/reply_builder.h"

namespace strata::kv::tracking {

void DeliverBatch(const std::vector<Invalidation>& batch);

namespace {

thread_local uint64_t t_modifier = 0;
std::atomic<int64_t> g_keys{0}, g_items{0};

// id -> shard of every live connection.
struct Directory {
  std::shared_mutex mu;
  std::unordered_map<uint64_t, uint32_t> shard_of;
};
Directory& Dir() {
  static Directory d;
  return d;
}

// BCAST prefixes: prefix -> its clients (id, shard).
struct Prefixes {
  std::shared_mutex mu;
  std::map<std::string, std::vector<std::pair<uint64_t, uint32_t>>> clients;
  std::atomic<size_t> count{0};
};
Prefixes& Pre() {
  static Prefixes p;
  return p;
}

// Sends what is queued in this shard's outbox: one post per target shard.
void FlushOutbox() {
  Outbox& box = Local().tracking_out;
  box.scheduled = false;
  ShardSet& set = Shards();
  for (uint32_t s = 0; s < box.per_shard.size(); s++) {
    auto& v = box.per_shard[s];
    if (v.empty()) continue;
    auto* batch = new std::vector<Invalidation>(std::move(v));
    v.clear();
    // Allocated here, freed there: move the bytes between the ledgers (see pubsub.cc).
    int64_t bytes = int64_t(AllocationSize(batch->capacity() * sizeof(Invalidation)));
    for (const auto& i : *batch)
      if (i.key.capacity() > 15) bytes += int64_t(AllocationSize(i.key.capacity() + 1));
    MemoryLedger* origin = CurrentMemoryLedger();
    set.Post(s, [batch, bytes, origin] {
      DeliverBatch(*batch);
      delete batch;
      if (origin != CurrentMemoryLedger()) {
        CreditMemoryLedger(origin, -bytes);
        CreditMemoryLedger(CurrentMemoryLedger(), bytes);
      }
    });
  }
}

void Queue(uint64_t client, std::string_view key, bool bcast, uint32_t shard) {
  Outbox& box = Local().tracking_out;
  if (box.per_shard.empty()) box.per_shard.resize(Shards().size());
  box.per_shard[shard].push_back(Invalidation{client, t_modifier, std::string(key), bcast});
  if (!box.scheduled) {
    box.scheduled = true;
    io::Reactor::Current()->Post([] { FlushOutbox(); });
  }
}

Connection* LocalClient(uint64_t id) {
  auto& m = Local().clients_by_id;
  auto it = m.find(id);
  return it == m.end() ? nullptr : it->second;
}

// The invalidation payload as the receiving client reads it: keys, or null for "everything".
struct Payload {
  std::vector<std::string> keys;
  bool null = false;
};

// On the receiver's thread: writes the payload in the receiver's form.
void WriteTo(Connection* target, const Payload& p, bool redirected) {
  if (target->closed()) return;
  int proto = target->state().proto;
  std::string out;
  resp::ReplyBuilder rb(&out, proto);
  if (proto == 3) {
    rb.PushHeader(2);
    rb.Bulk("invalidate");
  } else if (redirected && target->subscribed()) {
    rb.ArrayHeader(3);
    rb.Bulk("message");
    rb.Bulk("__redis__:invalidate");
  } else {
    return;  // RESP2 without redirection has no way to carry it
  }
  if (p.null) {
    rb.Null();
  } else {
    rb.ArrayHeader(p.keys.size());
    for (const auto& k : p.keys) rb.Bulk(k);
  }
  target->Push(out);
}

// On the tracking client's thread: sends to it or to its redirection.
void Send(Connection* c, Payload p) {
  tracking::ClientTracking& t = c->tracking();
  if (t.redirect == 0) {
    WriteTo(c, p, false);
    return;
  }
  int shard = ShardOfClient(t.redirect);
  if (shard < 0) {
    t.broken_redirect = true;
    if (c->state().proto == 3) {
      std::string out;
      resp::ReplyBuilder rb(&out, 3);
      rb.PushHeader(2);
      rb.Bulk("tracking-redir-broken");
      rb.Integer(int64_t(t.redirect));
      c->Push(out);
    }
    return;
  }
  uint64_t to = t.redirect;
  auto* moved = new Payload(std::move(p));
  Shards().Post(uint32_t(shard), [to, moved] {
    if (Connection* r = LocalClient(to)) WriteTo(r, *moved, true);
    delete moved;
  });
}

}  // namespace

void DeliverBatch(const std::vector<Invalidation>& batch) {
  // BCAST keys are gathered per client into one message, as Redis does per event-loop turn.
  std::unordered_map<uint64_t, Payload> bcast;
  for (const auto& inv : batch) {
    Connection* c = LocalClient(inv.client);
    if (!c || c->closed()) continue;
    const ClientTracking& t = c->tracking();
    if (!t.on || t.bcast != inv.bcast) continue;
    if (t.noloop && inv.modifier == inv.client) continue;
    if (inv.bcast) {
      bcast[inv.client].keys.push_back(inv.key);
      continue;
    }
    Payload p;
    p.keys.push_back(inv.key);
    Send(c, std::move(p));
  }
  for (auto& [id, p] : bcast)
    if (Connection* c = LocalClient(id)) Send(c, std::move(p));
}

uint64_t CurrentModifier() { return t_modifier; }
ModifierScope::ModifierScope(uint64_t id) : prev_(t_modifier) { t_modifier = id; }
ModifierScope::~ModifierScope() { t_modifier = prev_; }

size_t Table::Find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return npos;
  size_t mask = slots_.size() - 1;
  for (size_t i = size_t(hash) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (!s.node) return npos;
    if (s.hash == hash && s.node->key == key) return i;
  }
}

void Table::Insert(Node* node, uint64_t hash) {
  size_t mask = slots_.size() - 1;
  size_t i = size_t(hash) & mask;
  while (slots_[i].node) i = (i + 1) & mask;
  slots_[i] = Slot{hash, node};
}

void Table::Grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(old.empty() ? 64 : old.size() * 2);
  for (const Slot& s : old)
    if (s.node) Insert(s.node, s.hash);
}

void Table::Erase(size_t i) {
  delete slots_[i].node;
  slots_[i] = Slot{};
  used_--;
  // Backward shift: move later members of the run into the hole when their home allows it.
  size_t mask = slots_.size() - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].node; j = (j + 1) & mask) {
    size_t home = size_t(slots_[j].hash) & mask;
    // j may move to the hole unless its home lies cyclically in (hole, j].
    bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    slots_[j] = Slot{};
    hole = j;
  }
}

void Table::Remember(std::string_view key, uint64_t client) {
  uint64_t hash = HashKey(key);
  size_t i = Find(key, hash);
  if (i == npos) {
    int64_t max = GlobalConfig().tracking_table_max_keys.load(std::memory_order_relaxed);
    // Past the limit (all shards' tables together), keys leave this shard's table and their
    // readers are told they changed, as Redis does.
    if (max > 0) {
      while (g_keys.load(std::memory_order_relaxed) >= max && used_ > 0) {
        size_t mask = slots_.size() - 1;
        while (!slots_[evict_cursor_ & mask].node) evict_cursor_++;
        Drop(evict_cursor_ & mask);
      }
    }
    if ((used_ + 1) * 4 > slots_.size() * 3) Grow();
    Node* node = new Node{std::string(key), {}};
    Insert(node, hash);
    used_++;
    g_keys.fetch_add(1, std::memory_order_relaxed);
    node->readers.push_back(client);
  } else {
    auto& readers = slots_[i].node->readers;
    for (uint64_t id : readers)
      if (id == client) return;
    readers.push_back(client);
  }
  items_++;
  g_items.fetch_add(1, std::memory_order_relaxed);
}

void Table::Drop(size_t i) {
  Node* node = slots_[i].node;
  for (uint64_t id : node->readers) {
    int shard = ShardOfClient(id);
    if (shard >= 0) Queue(id, node->key, false, uint32_t(shard));
  }
  items_ -= node->readers.size();
  g_items.fetch_sub(int64_t(node->readers.size()), std::memory_order_relaxed);
  g_keys.fetch_sub(1, std::memory_order_relaxed);
  Erase(i);
}

void Table::Invalidate(std::string_view key) {
  Prefixes& pre = Pre();
  if (pre.count.load(std::memory_order_relaxed) > 0) {
    std::shared_lock l(pre.mu);
    for (const auto& [prefix, clients] : pre.clients) {
      if (key.substr(0, prefix.size()) != prefix) continue;
      for (const auto& [id, shard] : clients) Queue(id, key, true, shard);
    }
  }
  if (used_ == 0) return;
  size_t i = Find(key, HashKey(key));
  if (i != npos) Drop(i);
}

void Table::Clear() {
  g_items.fetch_sub(int64_t(items_), std::memory_order_relaxed);
  g_keys.fetch_sub(int64_t(used_), std::memory_order_relaxed);
  for (Slot& s : slots_) delete s.node;
  slots_.clear();
  slots_.shrink_to_fit();
  used_ = 0;
  items_ = 0;
}

void RegisterClient(uint64_t id, uint32_t shard, Connection* conn) {
  {
    std::unique_lock l(Dir().mu);
    Dir().shard_of[id] = shard;
  }
  Local().clients_by_id[id] = conn;
}

void UnregisterClient(uint64_t id, uint32_t) {
  {
    std::unique_lock l(Dir().mu);
    Dir().shard_of.erase(id);
  }
  Local().clients_by_id.erase(id);
}

int ShardOfClient(uint64_t id) {
  std::shared_lock l(Dir().mu);
  auto it = Dir().shard_of.find(id);
  return it == Dir().shard_of.end() ? -1 : int(it->second);
}

std::string Enable(Connection* conn, uint64_t redirect, bool bcast, bool optin, bool optout,
                   bool noloop, const std::vector<std::string>& prefixes) {
  ClientTracking& t = conn->tracking();
  if (!t.on) g_clients.fetch_add(1, std::memory_order_relaxed);
  t.on = true;
  t.broken_redirect = false;
  t.redirect = redirect;
  t.optin = optin;
  t.optout = optout;
  t.noloop = noloop;
  if (bcast) {
    t.bcast = true;
    std::vector<std::string> add = prefixes;
    if (add.empty()) add.push_back("");
    Prefixes& pre = Pre();
    std::unique_lock l(pre.mu);
    for (const auto& p : add) {
      bool have = false;
      for (const auto& q : t.prefixes) have |= q == p;
      if (have) continue;
      t.prefixes.push_back(p);
      pre.clients[p].emplace_back(conn->state().id, conn->shard_id());
    }
    pre.count.store(pre.clients.size(), std::memory_order_relaxed);
  }
  return "";
}

void Disable(Connection* conn) {
  ClientTracking& t = conn->tracking();
  if (!t.on) return;
  if (t.bcast) {
    Prefixes& pre = Pre();
    std::unique_lock l(pre.mu);
    for (const auto& p : t.prefixes) {
      auto it = pre.clients.find(p);
      if (it == pre.clients.end()) continue;
      auto& v = it->second;
      for (size_t i = 0; i < v.size(); i++) {
        if (v[i].first == conn->state().id) {
          v.erase(v.begin() + long(i));
          break;
        }
      }
      if (v.empty()) pre.clients.erase(it);
    }
    pre.count.store(pre.clients.size(), std::memory_order_relaxed);
  }
  t = ClientTracking();
  g_clients.fetch_sub(1, std::memory_order_relaxed);
}

void InvalidateEverything() {
  if (!Active()) return;
  for (uint32_t s = 0; s < Shards().size(); s++) {
    Shards().Post(s, [] {
      for (Connection* c : Connection::LocalConnections()) {
        if (c->closed() || !c->tracking().on) continue;
        Payload p;
        p.null = true;
        Send(c, std::move(p));
      }
    });
  }
}

int64_t TotalKeys() { return g_keys.load(std::memory_order_relaxed); }
int64_t TotalItems() { return g_items.load(std::memory_order_relaxed); }

int64_t TrackingClients() { return g_clients.load(std::memory_order_relaxed); }

int64_t TotalPrefixes() {
  std::shared_lock l(Pre().mu);
  return int64_t(Pre().clients.size());
}

}  // namespace strata::kv::tracking
