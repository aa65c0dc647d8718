// A client's MULTI/EXEC/WATCH state (commands/tx_family.cc runs the transactions).
//
// Thread ownership: the client's connection thread. The WatchFlag is shared with the shards
// whose WatchTables hold it (watch.h).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kv/commands/command.h"
#include "kv/tx/watch.h"

namespace strata::kv {

struct TxState {
  struct Queued {
    const CommandSpec* spec;
    std::vector<std::string> args;
  };

  bool in_multi = false;
  bool aborted = false;  // a command was refused while queuing: EXEC answers EXECABORT
  std::vector<Queued> queue;
  std::shared_ptr<WatchFlag> watch;                  // set while keys are watched
  std::vector<std::pair<int, std::string>> watched;  // (db, key)
};

// Forgets every watched key (UNWATCH, EXEC, DISCARD, RESET, disconnection): the removals are
// posted to the keys' shards.
void Unwatch(TxState& tx);
// Leaves MULTI without running anything (DISCARD, RESET).
void DiscardTransaction(TxState& tx);

}  // namespace strata::kv
