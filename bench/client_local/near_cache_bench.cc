// ns per L1 hit: NearCache::Get against a std::unordered_map<std::string, std::string> under one
// std::mutex, both copying the value out, with 1 and 2 threads over the same warm key set.
// Run: build/dev/bench/client_local/near_cache_bench
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
  explicit Near(size_t value_size) : data(value_size), cache(strata::NearCacheOptions{}) {
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

template <class T>
T& Shared(size_t value_size) {
  // One instance per value size, built before the threads start (static init is thread-safe).
  static T small(8);
  static T medium(64);
  return value_size <= 8 ? small : medium;
}

void BM_NearCacheHit(benchmark::State& state) {
  Near& n = Shared<Near>(static_cast<size_t>(state.range(0)));
  size_t i = static_cast<size_t>(state.thread_index()) * 4999;
  size_t hits = 0;
  for (auto _ : state) {
    auto v = n.cache.Get(n.data.keys[i]);
    hits += v.has_value();
    benchmark::DoNotOptimize(v);
    if (++i == kKeys) i = 0;
  }
  if (hits != static_cast<size_t>(state.iterations())) state.SkipWithError("miss in the hit path");
}

void BM_MutexMapHit(benchmark::State& state) {
  Locked& l = Shared<Locked>(static_cast<size_t>(state.range(0)));
  size_t i = static_cast<size_t>(state.thread_index()) * 4999;
  size_t hits = 0;
  for (auto _ : state) {
    auto v = l.Get(l.data.keys[i]);
    hits += v.has_value();
    benchmark::DoNotOptimize(v);
    if (++i == kKeys) i = 0;
  }
  if (hits != static_cast<size_t>(state.iterations())) state.SkipWithError("miss in the hit path");
}

// range(0): value size in bytes (8 stays in std::string's inline buffer, 64 allocates on copy).
BENCHMARK(BM_NearCacheHit)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_MutexMapHit)->Arg(8)->Arg(64)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
