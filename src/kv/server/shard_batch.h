// ShardBatch: the commands of one client's pipeline that go to one other shard, squashed into a
// single message. Arguments are packed into one buffer and replies are written into one buffer,
// so a remote command costs no allocation of its own. Built on the connection's thread, executed
// on the target shard's thread (which only touches `replies`/`reply_end`), read back on the
// connection's thread after the completion message.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv {

struct CommandSpec;
struct ShardTx;

struct ShardBatch {
  struct Cmd {
    const CommandSpec* spec;
    uint32_t first_arg;  // index into views
    uint32_t argc;
    int db;     // the client's db and protocol when the command was read: a SELECT or HELLO
    int proto;  // later in the same pipeline must not change them
    ShardTx* tx = nullptr;  // EXEC of a transaction on this shard (owned by the connection)
    bool track = false;     // remember its keys for the client's tracking
  };

  std::string arena;                             // argument bytes
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, length) in arena, per argument
  std::vector<std::string_view> views;           // built by Seal()
  std::vector<Cmd> cmds;
  std::string client_addr, client_name;  // for the slow log on the target shard
  uint64_t client_id = 0;                // NOLOOP, tracking
  std::string replies;                   // written by the target shard
  std::vector<size_t> reply_end;         // end offset in `replies`, per command
  // Direct reply: when this batch is all the connection is waiting for, the target shard writes
  // `replies` to the client socket itself (direct_fd >= 0) and records how much went out.
  int direct_fd = -1;
  size_t direct_sent = 0;

  static constexpr size_t kKeepBytes = 64 * 1024;

  bool empty() const { return cmds.empty(); }

  void Add(const CommandSpec* spec, std::span<const std::string_view> args, int db, int proto) {
    cmds.push_back(
        Cmd{spec, uint32_t(spans.size()), uint32_t(args.size()), db, proto, nullptr, false});
    for (auto a : args) {
      spans.emplace_back(arena.size(), a.size());
      arena.append(a);
    }
  }
  // Fixes the argument views once no more commands will be added (the arena no longer moves).
  void Seal() {
    views.clear();
    views.reserve(spans.size());
    for (auto [off, len] : spans) views.emplace_back(arena.data() + off, len);
  }
  std::span<const std::string_view> Args(const Cmd& c) const {
    return {views.data() + c.first_arg, c.argc};
  }
  void Clear() {
    // A batch of large values gives its arguments' memory back rather than keep it for the
    // next one. Only the arena: it was allocated on this (the connection's) thread. `replies`
    // was allocated by the target shard's thread, and a free here would move its bytes from that
    // shard's memory ledger to this one's, skewing which shard evicts (see base/memory.h).
    if (arena.capacity() > kKeepBytes) std::string().swap(arena);
    arena.clear();
    spans.clear();
    views.clear();
    cmds.clear();
    replies.clear();
    reply_end.clear();
    direct_fd = -1;
    direct_sent = 0;
  }
};

}  // namespace strata::kv
