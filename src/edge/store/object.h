// CachedObject: one stored (or streaming) response, the unit of the edge's object store.
//
// Ownership and threads: an object belongs to exactly one worker thread (the worker whose
// store shard or fetch created it) and is only touched there; `shared_ptr` keeps it alive for
// readers that are still streaming it after eviction or purge. Nothing here is thread-safe.
//
// Streaming: a fetch appends body bytes while the object may already be in the store and be
// read by several clients (coalesced misses, hits on an in-progress object). Readers keep an
// absolute offset and register as BodyListener to be woken when more bytes arrive or the body
// completes/fails. Transient (pass) objects have a single reader and drop the bytes it has
// consumed (`body_base`), with back-pressure on the producer through `BodyProducer`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edge/rfc9111/cache_control.h"
#include "edge/rfc9111/vary.h"
#include "edge/store/eviction.h"
#include "proto/http1/message.h"

namespace strata::edge {

class BodyListener {
 public:
  virtual ~BodyListener() = default;
  // More body bytes are available, or the body completed or failed.
  virtual void OnBodyProgress() = 0;
};

class BodyProducer {
 public:
  virtual ~BodyProducer() = default;
  // The (transient) object's reader drained the buffer: resume reading from the origin.
  virtual void ResumeBody() = 0;
  // The transient object's only reader went away: stop fetching.
  virtual void Abandon() = 0;
};

// Inherits the eviction policy's intrusive hook (see eviction.h).
struct CachedObject : StorePolicy::Hook {
  // --- identity ---
  std::string key;        // primary key (host + target)
  std::string secondary;  // secondary key for the Vary spec
  rfc9111::VarySpec vary;

  // --- response ---
  int status = 200;
  std::string reason;
  http1::HeaderList headers;  // end-to-end fields as stored (no hop-by-hop, Age or framing)
  std::string upstream_cache_status;

  // --- body (absolute offsets; bytes before body_base were dropped by a transient object) ---
  std::string body;
  uint64_t body_base = 0;
  std::optional<uint64_t> expected_length;  // from Content-Length
  std::optional<uint64_t> head_length;      // Content-Length of a response to HEAD (no body)
  bool complete = false;
  bool failed = false;
  bool transient = false;  // pass: not stored, single reader, consumed bytes dropped

  // --- freshness (RFC 9111 §4.2) ---
  int64_t request_time_ms = 0;
  int64_t response_time_ms = 0;
  int64_t corrected_initial_age_ms = 0;
  int64_t lifetime_s = 0;
  rfc9111::CacheControl cc;
  std::optional<std::string> etag;
  std::optional<int64_t> last_modified_s;
  std::optional<int64_t> date_s;
  bool soft_purged = false;

  // --- bookkeeping ---
  std::vector<std::string> tags;
  uint64_t hits = 0;
  bool in_store = false;
  bool refreshing = false;  // a background revalidation is running (stale-while-revalidate)
  size_t charged = 0;       // bytes charged to the store budget (the policy weight)
  uint64_t key_hash = 0;
  BodyProducer* producer = nullptr;  // the fetch filling the body, while it runs

  uint64_t available() const { return body_base + body.size(); }
  // Total body length if known.
  std::optional<uint64_t> length() const {
    if (complete) return available();
    return expected_length;
  }
  size_t Footprint() const {
    return sizeof(CachedObject) + key.size() + secondary.size() + headers.WireSize() + body.size() +
           64 * tags.size();
  }

  // Readers.
  void AddListener(BodyListener* l);
  void RemoveListener(BodyListener* l);
  void NotifyListeners();
  // A transient object's single reader consumed everything before `offset`.
  void ConsumedTo(uint64_t offset);

  // Recomputes the validator cache (etag, last_modified_s, date_s) and tags from headers, and
  // drops the pre-rendered head. Call after every change to `headers`.
  void RefreshDerivedFields();

  // Status line + stored fields (Via completed with `via_name`), rendered once per header
  // version: hits only append the per-response fields (Age, Cache-Status, ...).
  const std::string& HeadPrefix(std::string_view via_name);

 private:
  std::vector<BodyListener*> listeners_;
  std::string head_prefix_;
};

using ObjectRef = std::shared_ptr<CachedObject>;

}  // namespace strata::edge
