#include "kv/server/monitor.h"

#include <cstdio>

#include "base/clock.h"
#include "kv/server/connection.h"
#include "kv/server/shard_set.h"

namespace strata::kv {

Monitors& Monitors::Get() {
  static Monitors m;
  return m;
}

void Monitors::Add(Connection* c, uint32_t shard) {
  std::lock_guard<std::mutex> l(mu_);
  entries_.push_back(Entry{c, shard, c->state().id});
  count_.store(int(entries_.size()), std::memory_order_relaxed);
}

void Monitors::Remove(Connection* c) {
  std::lock_guard<std::mutex> l(mu_);
  for (size_t i = 0; i < entries_.size(); i++) {
    if (entries_[i].conn == c) {
      entries_.erase(entries_.begin() + long(i));
      break;
    }
  }
  count_.store(int(entries_.size()), std::memory_order_relaxed);
}

void Monitors::Feed(const ClientState& client, std::span<const std::string_view> args) {
  FeedAs(client.db, client.addr, args, client.id);
}

void Monitors::FeedAs(int db, const std::string& addr, std::span<const std::string_view> args,
                      uint64_t skip_id) {
  int64_t us = UnixMicros();
  char head[128];
  snprintf(head, sizeof(head), "+%lld.%06lld [%d %s]", (long long)(us / 1000000),
           (long long)(us % 1000000), db, addr.c_str());
  std::string line = head;
  for (auto a : args) {
    line += " \"";
    for (unsigned char ch : a) {
      switch (ch) {
        case '\\':
          line += "\\\\";
          break;
        case '"':
          line += "\\\"";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\a':
          line += "\\a";
          break;
        case '\b':
          line += "\\b";
          break;
        default:
          if (ch >= 32 && ch < 127) {
            line += char(ch);
          } else {
            char hex[8];
            snprintf(hex, sizeof(hex), "\\x%02x", ch);
            line += hex;
          }
      }
    }
    line += '"';
  }
  line += "\r\n";
  std::vector<Entry> targets;
  {
    std::lock_guard<std::mutex> l(mu_);
    targets = entries_;
  }
  for (const auto& t : targets) {
    if (t.id == skip_id) continue;
    uint64_t id = t.id;
    Shards().Post(t.shard, [id, line] {
      // The monitor may have gone: look it up on its own thread.
      for (Connection* c : Connection::LocalConnections()) {
        if (c->state().id == id && c->state().monitor) c->SendMonitorLine(line);
      }
    });
  }
}

}  // namespace strata::kv
