// Purges: by URL (all variants of a primary key), by tag (Surrogate-Key / Cache-Tag), or
// everything; hard (remove) or soft (mark stale so stale-while-revalidate / stale-if-error
// still apply). Purges run on every worker's shard: each worker applies it on its own thread
// and the count is gathered back on the requesting thread without blocking any worker.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/reactor.h"

namespace strata::edge {

struct WorkerContext;

struct PurgeSpec {
  enum class Kind : uint8_t { kUrl, kTag, kAll };
  Kind kind = Kind::kUrl;
  std::string value;  // primary key (kUrl) or tag (kTag)
  bool soft = false;
};

// Tags are 1..256 visible ASCII characters without separators; rejects CR/LF and controls.
bool ValidTag(std::string_view tag);
// "Authorization: Bearer <token>" against the configured tokens (constant-time compare).
bool CheckBearer(std::string_view authorization, const std::vector<std::string>& tokens);
// Applies a purge to one worker's shard (on that worker's thread); returns objects affected.
size_t ApplyPurge(WorkerContext* w, const PurgeSpec& spec);
// Runs the purge on all workers; `done(total)` runs on `reply_on`'s thread.
void BroadcastPurge(const std::vector<WorkerContext*>& workers, PurgeSpec spec,
                    io::Reactor* reply_on, std::function<void(size_t)> done);

// Percent-decoding for purge URLs/tags given in a query string. False on a bad escape.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace strata::edge
