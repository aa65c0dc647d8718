// ns per L1 hit: NearCache::Get against a std::unordered_map<std::string, std::string> under one
// std::mutex, both copying the value out, with 1 and 2 threads over the same warm key set.
// Run: build/dev/bench/client_local/near_cache_bench (a Release build). With ->Threads(2) the
// reported time is wall time over the iterations of both threads, i.e. the inverse of the
// combined throughput (items_per_second): one lock serialises the map, the stripes do not.
#include <benchmark/benchmark.h>

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "strata/near_cache.h"

namespace {

constexpr size_t kKeys = 10000;

struct Data {
  explicit Data(size_t value_size) {
    for (size_t i = 0; i < kKeys; ++i) {
      keys.push_back("user:" + std::to_string(i * 7919));
      values.push_back(std::string(value_size, static_cast<char>('a' + i % 26)));
    }
  }
  std::vector<std::string> keys;
  std::vector<std::string> values;
};

struct Near {
  Near(size_t value_size, size_t capacity)
      : data(value_size), cache(strata::NearCacheOptions{.capacity_bytes = capacity}) {
    for (size_t i = 0; i < kKeys; ++i) cache.Put(data.keys[i], data.values[i]);
  }
  Data data;
  strata::NearCache cache;
};

struct Locked {
  explicit Locked(size_t value_size) : data(value_size) {
    for (size_t i = 0; i < kKeys; ++i) map.emplace(data.keys[i], data.values[i]);
  }
  std::optional<std::string> Get(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  Data data;
  std::mutex mu;
  std::unordered_map<std::string, std::string> map;
};

// One instance per configuration, built by the first thread to get there (static init is
// thread-safe) and shared by the benchmark's threads.
Locked& SharedLocked(size_t value_size) {
  static Locked small(8);
  static Locked medium(64);
  return value_size <= 8 ? small : medium;
}

// The default capacity (64 MiB: a frequency sketch of ~2 MiB, mostly cold for this key set)
// and one sized for the working set (4 MiB: ~128 KiB of sketch).
Near& SharedNear(size_t value_size, bool sized) {
  static Near small(8, strata::NearCacheOptions{}.capacity_bytes);
  static Near medium(64, strata::NearCacheOptions{}.capacity_bytes);
  static Near small_sized(8, 4u << 20);
  static Near medium_sized(64, 4u << 20);
  if (sized) return value_size <= 8 ? small_sized : medium_sized;
  return value_size <= 8 ? small : medium;
}

void BM_NearCacheHit(benchmark::State& state) {
  Near& n = SharedNear(static_cast<size_t>(state.range(0)), state.range(1) != 0);
  size_t i = static_cast<size_t>(state.thread_index()) * 4999;
  size_t hits = 0;
  for (auto _ : state) {
    auto v = n.cache.Get(n.data.keys[i]);
    hits += v.has_value();
    benchmark::DoNotOptimize(v);
    if (++i == kKeys) i = 0;
  }
  if (hits != static_cast<size_t>(state.iterations())) state.SkipWithError("miss in the hit path");
  state.SetItemsProcessed(state.iterations());  // items_per_second: summed over the threads
}

void BM_MutexMapHit(benchmark::State& state) {
  Locked& l = SharedLocked(static_cast<size_t>(state.range(0)));
  size_t i = static_cast<size_t>(state.thread_index()) * 4999;
  size_t hits = 0;
  for (auto _ : state) {
    auto v = l.Get(l.data.keys[i]);
    hits += v.has_value();
    benchmark::DoNotOptimize(v);
    if (++i == kKeys) i = 0;
  }
  if (hits != static_cast<size_t>(state.iterations())) state.SkipWithError("miss in the hit path");
  state.SetItemsProcessed(state.iterations());  // items_per_second: summed over the threads
}

// range(0): value size in bytes (8 stays in std::string's inline buffer, 64 allocates on copy);
// range(1): 0 = default capacity, 1 = capacity sized for the working set.
BENCHMARK(BM_NearCacheHit)
    ->ArgsProduct({{8, 64}, {0, 1}})
    ->ArgNames({"value", "sized"})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_MutexMapHit)->Arg(8)->Arg(64)->ArgName("value")->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
