// Monitors: the clients that ran MONITOR. Every dispatched command is formatted once and posted
// to each monitor's own thread, which writes it to that client.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

namespace strata::kv {

class Connection;
struct ClientState;

class Monitors {
 public:
  static Monitors& Get();
  bool active() const { return count_.load(std::memory_order_relaxed) > 0; }
  // Called on the monitor's own thread.
  void Add(Connection* c, uint32_t shard);
  void Remove(Connection* c);
  void Feed(const ClientState& client, std::span<const std::string_view> args);
  // A line for a command that no client sent directly ("lua" for a script's redis.call).
  void FeedAs(int db, const std::string& addr, std::span<const std::string_view> args,
              uint64_t skip_id = 0);

 private:
  struct Entry {
    Connection* conn;
    uint32_t shard;
    uint64_t id;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;
  std::atomic<int> count_{0};
};

}  // namespace strata::kv
