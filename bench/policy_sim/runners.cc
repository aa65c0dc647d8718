#include "runners.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <queue>

#include "cache/policy/arc.h"
#include "cache/policy/clock.h"
#include "cache/policy/fifo.h"
#include "cache/policy/lfu.h"
#include "cache/policy/lru.h"
#include "cache/policy/random.h"
#include "cache/policy/s3fifo.h"
#include "cache/policy/sieve.h"
#include "cache/policy/two_queue.h"
#include "cache/policy/wtinylfu.h"
#include "cache/sampled/eviction_pool.h"
#include "cache/sampled/keyspace_policy.h"

namespace strata::bench {

namespace {

using namespace strata::cache;

// Entries a byte capacity holds at the trace's mean object size (sizes the sketches).
uint64_t ExpectedEntries(const Trace& t, uint64_t cap) {
  double mean = static_cast<double>(t.unique_bytes) / static_cast<double>(t.unique);
  return std::max<uint64_t>(16, static_cast<uint64_t>(static_cast<double>(cap) / mean));
}

// One replay of an exact policy: the owner is an array of entries indexed by key id; every miss
// follows the protocol of policy.h (OnMiss, Evict until there is room, Insert).
template <class P>
uint64_t RunExact(const Trace& t, std::unique_ptr<P> p, const SimOptions& o) {
  struct Entry : P::Hook {
    bool resident = false;
  };
  std::vector<Entry> entries(t.unique);
  const uint64_t cap = p->capacity();
  uint64_t hits = 0;
  uint64_t i = 0;
  for (uint32_t k : t.keys) {
    if constexpr (requires { p->SetNow(uint64_t{0}); })
      p->SetNow(i * o.ms_per_request / o.requests_per_ms);
    ++i;
    Entry& e = entries[k];
    const uint32_t w = t.sizes.empty() ? 1 : t.sizes[k];
    if (e.resident) {
      p->Access(&e);
      hits += o.byte_hits ? w : 1;
      continue;
    }
    if (w > cap) continue;  // can never fit
    p->OnMiss(k, w);
    while (p->weight() + w > cap) {
      auto* v = static_cast<Entry*>(p->Evict());
      if (v == nullptr) break;
      v->resident = false;
    }
    p->Insert(&e, k, w);
    e.resident = true;
  }
  return hits;
}

// A keyspace without per-key hooks: resident keys in a dense array (for uniform sampling), one
// 32-bit policy word per key, Redis's sampling loop and eviction pool.
uint64_t RunSampled(const Trace& t, uint64_t cap, sampled::Algorithm algorithm, const SimOptions& o,
                    sampled::KeyspacePolicyParams::LrfuRule lrfu_rule =
                        sampled::KeyspacePolicyParams::LrfuRule::kAdaptive) {
  sampled::KeyspacePolicyParams params;
  params.lrfu_rule = lrfu_rule;
  params.lfu = redis::LfuParams{o.lfu_log_factor, o.lfu_decay_time};
  params.expected_keys = t.sizes.empty() ? cap : ExpectedEntries(t, cap);
  params.seed = o.seed;
  params.frequency_exponent = o.frequency_exponent;
  sampled::KeyspacePolicy policy(algorithm, params);
  sampled::EvictionPool pool;
  std::vector<uint32_t> resident;
  std::vector<int32_t> pos(t.unique, -1);
  std::vector<uint32_t> word(t.unique, 0);
  uint64_t rng = o.seed * 0x9E3779B97F4A7C15ULL + 12345;
  auto next = [&rng]() {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
  };
  auto pick = [&]() {
    return resident[static_cast<size_t>(
        (static_cast<unsigned __int128>(next()) * resident.size()) >> 64)];
  };
  uint64_t hits = 0;
  uint64_t i = 0;
  uint64_t used = 0;
  for (uint32_t k : t.keys) {
    const uint64_t now = ++i * o.ms_per_request / o.requests_per_ms;
    const uint32_t w = t.sizes.empty() ? 1 : t.sizes[k];
    if (pos[k] >= 0) {
      hits += o.byte_hits ? w : 1;
      word[k] = policy.OnAccess(word[k], k, now);
      continue;
    }
    if (w > cap) continue;
    while (used + w > cap) {
      uint32_t victim = 0;
      if (!policy.UsesPool()) {
        victim = pick();
      } else {
        for (bool found = false; !found;) {
          for (uint32_t s = 0; s < o.samples; ++s) {
            uint32_t c = pick();
            pool.Offer(policy.Score(word[c], c, sampled::KeyspacePolicy::kNoExpire, now), 0,
                       std::string_view(reinterpret_cast<const char*>(&c), sizeof(c)), c);
          }
          while (const auto* best = pool.PopBest()) {
            uint32_t id;
            std::memcpy(&id, best->key.data(), sizeof(id));
            if (pos[id] >= 0) {
              victim = id;
              found = true;
              break;
            }
          }
        }
      }
      int32_t j = pos[victim];
      uint32_t last = resident.back();
      resident[j] = last;
      pos[last] = j;
      resident.pop_back();
      pos[victim] = -1;
      used -= t.sizes.empty() ? 1 : t.sizes[victim];
    }
    used += w;
    pos[k] = static_cast<int32_t>(resident.size());
    resident.push_back(k);
    word[k] = policy.OnInsert(k, now);
  }
  return hits;
}

// Belady's MIN with bypass: on a miss with a full cache, evict the resident key whose next use is
// farthest, unless the missed key's own next use is farther still (then it is not cached).
uint64_t RunOpt(const Trace& t, uint64_t cap, const std::vector<uint32_t>& next_use) {
  std::vector<int64_t> cur(t.unique, -1);  // next use of each resident key
  std::priority_queue<uint64_t> heap;      // (next use << 32) | key, lazily invalidated
  uint64_t n = 0, hits = 0;
  for (size_t i = 0; i < t.keys.size(); ++i) {
    uint32_t x = t.keys[i];
    uint64_t nu = next_use[i];
    if (cur[x] >= 0) {
      ++hits;
      cur[x] = static_cast<int64_t>(nu);
      heap.push((nu << 32) | x);
      continue;
    }
    if (n < cap) {
      ++n;
      cur[x] = static_cast<int64_t>(nu);
      heap.push((nu << 32) | x);
      continue;
    }
    uint64_t top;
    for (;;) {
      top = heap.top();
      uint32_t k = static_cast<uint32_t>(top);
      if (cur[k] == static_cast<int64_t>(top >> 32)) break;
      heap.pop();
    }
    if ((top >> 32) > nu) {
      heap.pop();
      cur[static_cast<uint32_t>(top)] = -1;
      cur[x] = static_cast<int64_t>(nu);
      heap.push((nu << 32) | x);
    }
    if (heap.size() > 4 * cap + 1000000) {  // drop stale records
      std::vector<uint64_t> live;
      while (!heap.empty()) {
        uint64_t v = heap.top();
        heap.pop();
        if (cur[static_cast<uint32_t>(v)] == static_cast<int64_t>(v >> 32)) live.push_back(v);
      }
      heap = std::priority_queue<uint64_t>(std::less<uint64_t>(), std::move(live));
    }
  }
  return hits;
}

}  // namespace

const std::vector<std::string>& AllPolicyNames() {
  static const std::vector<std::string> names = {"lru",
                                                 "fifo",
                                                 "random",
                                                 "clock",
                                                 "sieve",
                                                 "lfu",
                                                 "2q",
                                                 "arc",
                                                 "s3fifo",
                                                 "s3fifo-t2",
                                                 "wtinylfu",
                                                 "wtinylfu-adaptive",
                                                 "redis-lru",
                                                 "redis-lfu",
                                                 "sampled-fifo",
                                                 "sampled-lrfu",
                                                 "sampled-lrfu-recency",
                                                 "sampled-lrfu-frequency",
                                                 "sampled-tinylru",
                                                 "opt"};
  return names;
}

const std::vector<std::string>& DefaultPolicyNames() {
  static const std::vector<std::string> names = {
      "lru", "fifo",   "random",   "clock",     "sieve",     "lfu",          "2q",
      "arc", "s3fifo", "wtinylfu", "redis-lru", "redis-lfu", "sampled-lrfu", "opt"};
  return names;
}

bool IsKnownPolicy(std::string_view name) {
  const auto& all = AllPolicyNames();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::vector<uint32_t> NextUse(const Trace& t) {
  const auto n = static_cast<uint32_t>(t.keys.size());
  std::vector<uint32_t> next(n);
  std::vector<uint32_t> last(t.unique, n);
  for (uint32_t i = n; i-- > 0;) {
    next[i] = last[t.keys[i]];
    last[t.keys[i]] = i;
  }
  return next;
}

std::optional<uint64_t> Run(std::string_view p, const Trace& t, uint64_t cap, const SimOptions& o,
                            const std::vector<uint32_t>& next_use) {
  if (p == "lru") return RunExact(t, std::make_unique<Lru>(cap), o);
  if (p == "fifo") return RunExact(t, std::make_unique<Fifo>(cap), o);
  if (p == "random") return RunExact(t, std::make_unique<RandomPolicy>(cap, o.seed), o);
  if (p == "clock") return RunExact(t, std::make_unique<Clock>(cap), o);
  if (p == "sieve") return RunExact(t, std::make_unique<Sieve>(cap), o);
  if (p == "lfu") {
    return RunExact(
        t, std::make_unique<Lfu>(cap, redis::LfuParams{o.lfu_log_factor, o.lfu_decay_time}, o.seed),
        o);
  }
  if (p == "2q") return RunExact(t, std::make_unique<TwoQueue>(cap), o);
  if (p == "arc") return RunExact(t, std::make_unique<Arc>(cap), o);
  if (p == "s3fifo") return RunExact(t, std::make_unique<S3Fifo>(cap), o);
  if (p == "s3fifo-t2") {
    S3Fifo::Options so;
    so.promote_threshold = 2;
    return RunExact(t, std::make_unique<S3Fifo>(cap, so), o);
  }
  if (p == "wtinylfu") {
    WTinyLfu::Options wo;
    wo.seed = o.seed;
    if (!t.sizes.empty()) wo.expected_entries = ExpectedEntries(t, cap);
    return RunExact(t, std::make_unique<WTinyLfu>(cap, wo), o);
  }
  if (p == "wtinylfu-adaptive") {
    WTinyLfu::Options wo;
    wo.seed = o.seed;
    wo.adaptive = true;
    if (!t.sizes.empty()) wo.expected_entries = ExpectedEntries(t, cap);
    return RunExact(t, std::make_unique<WTinyLfu>(cap, wo), o);
  }
  if (p == "redis-lru") return RunSampled(t, cap, sampled::Algorithm::kLru, o);
  if (p == "redis-lfu") return RunSampled(t, cap, sampled::Algorithm::kLfu, o);
  if (p == "sampled-fifo") return RunSampled(t, cap, sampled::Algorithm::kFifo, o);
  if (p == "sampled-tinylru") return RunSampled(t, cap, sampled::Algorithm::kTinyLru, o);
  if (p == "sampled-lrfu") return RunSampled(t, cap, sampled::Algorithm::kLrfu, o);
  if (p == "sampled-lrfu-recency") {
    return RunSampled(t, cap, sampled::Algorithm::kLrfu, o,
                      sampled::KeyspacePolicyParams::LrfuRule::kRecency);
  }
  if (p == "sampled-lrfu-frequency") {
    return RunSampled(t, cap, sampled::Algorithm::kLrfu, o,
                      sampled::KeyspacePolicyParams::LrfuRule::kFrequency);
  }
  if (p == "opt") {
    if (!t.sizes.empty()) return std::nullopt;
    return RunOpt(t, cap, next_use);
  }
  return std::nullopt;
}

}  // namespace strata::bench
