#include "kv/server/shard_local.h"

#include "io/reactor.h"
#include "kv/server/shard_set.h"

namespace strata::kv {
namespace {

thread_local ShardLocal* t_local = nullptr;

ShardLocal& Fallback() {
  thread_local ShardLocal fallback;
  return fallback;
}

void OnReactorSwitch(io::Reactor* now) {
  auto* l = now ? static_cast<ShardLocal*>(now->context()) : nullptr;
  t_local = l;
  ShardSet::SetCurrent(l ? l->shard : -1);
  SwitchMemoryLedger(l ? &l->memory : nullptr);
}

}  // namespace

ShardLocal& Local() { return t_local ? *t_local : Fallback(); }

void InstallShardLocalHook() { io::Reactor::SetSwitchHook(&OnReactorSwitch); }

}  // namespace strata::kv
