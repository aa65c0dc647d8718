// Cost of each eviction policy, single thread, in nanoseconds:
//   Hit/<policy>     Access() on a resident entry (random entry of a full 64Ki-entry cache)
//   Miss/<policy>    a miss on a full cache: OnMiss + Evict + Insert (fresh keys)
//   Replay/<policy>  one request of a Zipf(0.99) stream over 1Mi keys, cache = 64Ki entries
//   Sampled*         the keyspace policies: word update on access, and one eviction (5 samples
//                    scored into the 16-entry pool, best popped)
// Entries are 64-byte, cache-line-aligned structs holding the hook. Every benchmark reports
// `vs_lru`, its time per operation over LRU's in the same run (LRU's benchmarks run first), and
// `meta_bytes`, the policy metadata per entry (hook + the policy's own arrays; ghost queues and
// sketches are listed separately as `extra_bytes` per entry).
// Timings are never asserted.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cache/policy/arc.h"
#include "cache/policy/clock.h"
#include "cache/policy/fifo.h"
#include "cache/policy/lfu.h"
#include "cache/policy/lru.h"
#include "cache/policy/random.h"
#include "cache/policy/s3fifo.h"
#include "cache/policy/sieve.h"
#include "cache/policy/ttl.h"
#include "cache/policy/two_queue.h"
#include "cache/policy/wtinylfu.h"
#include "cache/sampled/eviction_pool.h"
#include "cache/sampled/keyspace_policy.h"

namespace {

using namespace strata::cache;

constexpr uint64_t kCapacity = 1 << 16;
constexpr uint64_t kKeys = 1 << 20;

// Thread CPU time, so other processes on a shared machine do not inflate the ratios.
struct CpuClock {
  using duration = std::chrono::nanoseconds;
  static duration now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }
};

std::map<std::string, double>& LruReference() {
  static std::map<std::string, double> ref;
  return ref;
}

// Records ns/op of this run; LRU's is the reference of its kind.
void Report(benchmark::State& state, const std::string& kind, bool is_reference,
            CpuClock::duration elapsed, double meta_bytes, double extra_bytes) {
  double ns = std::chrono::duration<double, std::nano>(elapsed).count() /
              static_cast<double>(state.iterations());
  if (is_reference) LruReference()[kind] = ns;
  auto it = LruReference().find(kind);
  if (it != LruReference().end() && it->second > 0) state.counters["vs_lru"] = ns / it->second;
  state.counters["meta_bytes"] = meta_bytes;
  if (extra_bytes > 0) state.counters["extra_bytes"] = extra_bytes;
}

// A cache entry as an owner would lay it out: the policy hook, the key and other fields, one
// 64-byte cache line (so every policy touches the same number of lines per entry).
template <class P>
struct alignas(64) Node : P::Hook {
  uint64_t key = 0;
};

template <class P>
double MetaBytes() {
  double bytes = sizeof(typename P::Hook);
  if constexpr (std::is_same_v<P, RandomPolicy> || std::is_same_v<P, TtlNearest>) bytes += 8;
  return bytes;
}
// Ghost entries (~48 bytes each) and sketch counters, per cached entry at steady state.
template <class P>
double ExtraBytes() {
  if constexpr (std::is_same_v<P, S3Fifo>) return 0.9 * 48;  // ghosts: up to |M| keys
  if constexpr (std::is_same_v<P, TwoQueue>) return 0.5 * 48;
  if constexpr (std::is_same_v<P, Arc>) return 1.0 * 48;  // B1 + B2 up to c keys
  if constexpr (std::is_same_v<P, WTinyLfu>) return 8;    // sketch
  return 0;
}

template <class P>
std::unique_ptr<P> Make(uint64_t cap) {
  return std::make_unique<P>(cap);
}

template <class P>
void BM_Hit(benchmark::State& state) {
  auto p = Make<P>(kCapacity);
  std::vector<Node<P>> nodes(kCapacity);
  for (uint64_t i = 0; i < kCapacity; ++i) {
    nodes[i].key = i;
    p->Insert(&nodes[i], i, 1);
  }
  std::mt19937_64 rng(1);
  std::vector<uint32_t> order(1 << 20);
  for (auto& o : order) o = static_cast<uint32_t>(rng() % kCapacity);
  size_t i = 0;
  auto start = CpuClock::now();
  for (auto _ : state) {
    Node<P>* n = &nodes[order[i++ & (order.size() - 1)]];
    p->Access(n);
    benchmark::DoNotOptimize(n);
  }
  Report(state, "hit", std::is_same_v<P, Lru>, CpuClock::now() - start, MetaBytes<P>(),
         ExtraBytes<P>());
}

template <class P>
void BM_Miss(benchmark::State& state) {
  auto p = Make<P>(kCapacity);
  std::vector<Node<P>> nodes(kCapacity + 1);
  std::vector<Node<P>*> free_list;
  for (uint64_t i = 0; i < kCapacity; ++i) {
    nodes[i].key = i;
    p->Insert(&nodes[i], i, 1);
  }
  free_list.push_back(&nodes[kCapacity]);
  uint64_t key = kCapacity;
  auto start = CpuClock::now();
  for (auto _ : state) {
    p->OnMiss(key, 1);
    while (p->weight() + 1 > kCapacity) free_list.push_back(static_cast<Node<P>*>(p->Evict()));
    Node<P>* n = free_list.back();
    free_list.pop_back();
    n->key = key;
    p->Insert(n, key, 1);
    ++key;
  }
  Report(state, "miss", std::is_same_v<P, Lru>, CpuClock::now() - start, MetaBytes<P>(),
         ExtraBytes<P>());
}

const std::vector<uint32_t>& ZipfStream() {
  static const std::vector<uint32_t> stream = [] {
    // Inverse-CDF sampling of Zipf(0.99) over kKeys ranks, ranks shuffled onto keys.
    std::vector<double> cdf(kKeys);
    double sum = 0;
    for (uint64_t r = 0; r < kKeys; ++r) cdf[r] = (sum += 1.0 / std::pow(r + 1.0, 0.99));
    std::vector<uint32_t> perm(kKeys);
    for (uint32_t i = 0; i < kKeys; ++i) perm[i] = i;
    std::mt19937_64 rng(7);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::uniform_real_distribution<double> u(0, sum);
    std::vector<uint32_t> out(1 << 22);
    for (auto& k : out) {
      auto r = std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin();
      k = perm[static_cast<size_t>(r)];
    }
    return out;
  }();
  return stream;
}

template <class P>
void BM_Replay(benchmark::State& state) {
  const auto& stream = ZipfStream();
  auto p = Make<P>(kCapacity);
  struct E : Node<P> {
    bool resident = false;
  };
  std::vector<E> entries(kKeys);
  uint64_t hits = 0, requests = 0;
  size_t i = 0;
  auto start = CpuClock::now();
  for (auto _ : state) {
    uint32_t k = stream[i++ & (stream.size() - 1)];
    ++requests;
    E& e = entries[k];
    if (e.resident) {
      p->Access(&e);
      ++hits;
      continue;
    }
    p->OnMiss(k, 1);
    while (p->weight() + 1 > kCapacity) static_cast<E*>(p->Evict())->resident = false;
    p->Insert(&e, k, 1);
    e.resident = true;
  }
  Report(state, "replay", std::is_same_v<P, Lru>, CpuClock::now() - start, MetaBytes<P>(),
         ExtraBytes<P>());
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(requests);
}

#define POLICY_BENCH(P)                             \
  BENCHMARK_TEMPLATE(BM_Hit, P)->Name("Hit/" #P);   \
  BENCHMARK_TEMPLATE(BM_Miss, P)->Name("Miss/" #P); \
  BENCHMARK_TEMPLATE(BM_Replay, P)->Name("Replay/" #P);

POLICY_BENCH(Lru)
POLICY_BENCH(Fifo)
POLICY_BENCH(Clock)
POLICY_BENCH(Sieve)
POLICY_BENCH(RandomPolicy)
POLICY_BENCH(Lfu)
POLICY_BENCH(TtlNearest)
POLICY_BENCH(S3Fifo)
POLICY_BENCH(WTinyLfu)
POLICY_BENCH(TwoQueue)
POLICY_BENCH(Arc)

// ---- sampled keyspace policies ----

void BM_SampledAccess(benchmark::State& state) {
  auto algorithm = static_cast<sampled::Algorithm>(state.range(0));
  sampled::KeyspacePolicy policy(algorithm,
                                 sampled::KeyspacePolicyParams{.expected_keys = kCapacity});
  std::vector<uint32_t> words(kCapacity);
  for (uint64_t k = 0; k < kCapacity; ++k) words[k] = policy.OnInsert(k * 0x9E3779B97F4A7C15ULL, 0);
  std::mt19937_64 rng(1);
  std::vector<uint32_t> order(1 << 20);
  for (auto& o : order) o = static_cast<uint32_t>(rng() % kCapacity);
  size_t i = 0;
  uint64_t now = 0;
  auto start = CpuClock::now();
  for (auto _ : state) {
    uint32_t k = order[i++ & (order.size() - 1)];
    words[k] = policy.OnAccess(words[k], k * 0x9E3779B97F4A7C15ULL, now += 1);
  }
  Report(state, "sampled-access", algorithm == sampled::Algorithm::kLru, CpuClock::now() - start, 4,
         policy.sketch() ? static_cast<double>(policy.sketch()->bytes()) / kCapacity : 0);
}

void BM_SampledEvict(benchmark::State& state) {
  auto algorithm = static_cast<sampled::Algorithm>(state.range(0));
  sampled::KeyspacePolicy policy(algorithm,
                                 sampled::KeyspacePolicyParams{.expected_keys = kCapacity});
  sampled::EvictionPool pool;
  std::vector<uint32_t> words(kCapacity);
  for (uint64_t k = 0; k < kCapacity; ++k) words[k] = policy.OnInsert(k, k);
  std::mt19937_64 rng(1);
  char key[16] = "key:0000000000";
  uint64_t now = kCapacity;
  auto start = CpuClock::now();
  for (auto _ : state) {
    for (int s = 0; s < 5; ++s) {
      uint32_t k = static_cast<uint32_t>(rng() % kCapacity);
      std::memcpy(key + 4, &k, sizeof(k));
      pool.Offer(policy.Score(words[k], k, sampled::KeyspacePolicy::kNoExpire, now), 0,
                 std::string_view(key, 14), k);
    }
    const auto* best = pool.PopBest();
    benchmark::DoNotOptimize(best);
    // The victim's slot is reused by a new key.
    if (best != nullptr) words[best->key_hash] = policy.OnInsert(best->key_hash, ++now);
  }
  Report(state, "sampled-evict", algorithm == sampled::Algorithm::kLru, CpuClock::now() - start, 4,
         0);
}

BENCHMARK(BM_SampledAccess)
    ->Name("SampledAccess")
    ->Arg(static_cast<int>(sampled::Algorithm::kLru))
    ->Arg(static_cast<int>(sampled::Algorithm::kLfu))
    ->Arg(static_cast<int>(sampled::Algorithm::kLrfu))
    ->ArgName("algorithm");
BENCHMARK(BM_SampledEvict)
    ->Name("SampledEvict")
    ->Arg(static_cast<int>(sampled::Algorithm::kLru))
    ->Arg(static_cast<int>(sampled::Algorithm::kLfu))
    ->Arg(static_cast<int>(sampled::Algorithm::kLrfu))
    ->ArgName("algorithm");

}  // namespace

BENCHMARK_MAIN();
