// The edge's state machines, listed in one place.
//
// Client side (Transaction, one per request), like Varnish's REQ_STEPS:
//   recv ──► purge ─────────────────────────────────────────────► synth
//     │                                                            ▲
//     ├──► pass ──► fetch ──► fetched ──► deliver ──► done          │
//     └──► lookup ──► hit ──► deliver  (304/412/206/416 via synth) │
//            ├──► miss ──► fetch ──► fetched                        │
//            ├──► wait (coalesced on an in-flight fetch) ──► fetched│
//            └──► revalidate ──► fetch ──► fetched ──► deliver/stale/synth
//
// Origin side (FetchTask, one per origin request), like Varnish's FETCH_STEPS:
//   send ──► headers ──► (not_modified | store | uncacheable | error) ──► body ──► done
//
// Each step is one function returning the next step; `kSuspend` means "wait for an event"
// (an origin callback resumes the machine). Transitions are logged at debug level.
#pragma once

#include <cstdint>

namespace strata::edge {

#define STRATA_REQ_STEPS(X)    \
  X(kRecv, "recv")             \
  X(kPurge, "purge")           \
  X(kLookup, "lookup")         \
  X(kHit, "hit")               \
  X(kMiss, "miss")             \
  X(kPass, "pass")             \
  X(kWait, "wait")             \
  X(kRevalidate, "revalidate") \
  X(kFetched, "fetched")       \
  X(kDeliver, "deliver")       \
  X(kSynth, "synth")           \
  X(kDone, "done")             \
  X(kSuspend, "suspend")

enum class Step : uint8_t {
#define STRATA_STEP_ENUM(id, name) id,
  STRATA_REQ_STEPS(STRATA_STEP_ENUM)
#undef STRATA_STEP_ENUM
};

const char* StepName(Step s);

#define STRATA_FETCH_STEPS(X)     \
  X(kSend, "send")                \
  X(kHeaders, "headers")          \
  X(kNotModified, "not_modified") \
  X(kStore, "store")              \
  X(kUncacheable, "uncacheable")  \
  X(kError, "error")              \
  X(kBody, "body")                \
  X(kDone, "done")

enum class FetchStep : uint8_t {
#define STRATA_STEP_ENUM(id, name) id,
  STRATA_FETCH_STEPS(STRATA_STEP_ENUM)
#undef STRATA_STEP_ENUM
};

const char* FetchStepName(FetchStep s);

}  // namespace strata::edge
