#include "kv/server/shard_set.h"

namespace strata::kv {
namespace {
thread_local int t_shard = -1;
ShardSet* g_set = nullptr;
}  // namespace

int ShardSet::Current() { return t_shard; }
void ShardSet::SetCurrent(int i) { t_shard = i; }

ShardSet& Shards() { return *g_set; }
void InstallShardSet(ShardSet* set) { g_set = set; }

}  // namespace strata::kv
