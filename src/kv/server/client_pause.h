// CLIENT PAUSE: the process-wide pause state, as Redis 7.0 keeps it.
//
// A pause has a type (WRITE or ALL) and an end time. While paused ALL, no client command runs;
// while paused WRITE, the commands that may change the dataset (write commands, EVAL/EVALSHA/FCALL,
// PUBLISH/SPUBLISH, PFCOUNT, and EXEC of a transaction holding any of them) wait while the others
// run. A waiting connection stops reading its input; it is resumed by CLIENT UNPAUSE (every shard
// is told at once) or, when the pause ends by itself, by its shard's cron. During a pause the
// active expiry cycle and eviction delete nothing, so the dataset stays as it was.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace strata::kv {

struct CommandSpec;
struct TxState;

enum class PauseType { kOff = 0, kWrite = 1, kAll = 2 };

// Starts or extends the pause: as Redis, the stricter type and the later end win.
// `end_ms` is a Unix time in milliseconds; a pause whose end is already past does nothing.
void PauseClients(PauseType type, int64_t end_ms);
// Ends the pause now (CLIENT UNPAUSE).
void UnpauseClients();
// The pause in force now (kOff once its end has passed).
PauseType CurrentPause();
// True while any pause is in force (expiry and eviction keep the dataset constant).
inline bool ClientsPaused() { return CurrentPause() != PauseType::kOff; }
// Whether a command may change the dataset (Redis's write and may-replicate commands). For EXEC,
// the queued commands of `tx` decide.
bool MayReplicate(const CommandSpec& spec, const TxState& tx);
// Whether `spec` must wait under `pause`.
inline bool PauseBlocks(PauseType pause, bool may_replicate) {
  return pause == PauseType::kAll || (pause == PauseType::kWrite && may_replicate);
}

}  // namespace strata::kv
