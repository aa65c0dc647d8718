// Cost of hot-key tracking per access (cache/sketch/top_keys.h), single thread, in nanoseconds:
//   Record/uniform/<period>  keys like redis-benchmark -r 100000 ("key:000000012345"), uniform
//   Record/zipf/<period>     the same keys, Zipf(0.99)
// <period> is the sampling period (1 = every access counted). The key strings and their hashes
// are precomputed, so only Record() is timed. Timings are never asserted.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cache/sketch/top_keys.h"

namespace {

using strata::cache::TopKeys;

constexpr size_t kKeys = 100000;
constexpr size_t kStream = 1 << 20;

struct Stream {
  std::vector<std::string> keys;
  std::vector<uint64_t> hashes;
  std::vector<uint32_t> order;
};

const Stream& MakeStream(bool zipf) {
  static Stream s[2];
  Stream& st = s[zipf];
  if (!st.keys.empty()) return st;
  for (size_t i = 0; i < kKeys; i++) {
    char buf[32];
    snprintf(buf, sizeof(buf), "key:%012zu", i);
    st.keys.emplace_back(buf);
    st.hashes.push_back(std::hash<std::string>{}(st.keys.back()));
  }
  std::mt19937_64 rng(42);
  if (zipf) {
    std::vector<double> cdf(kKeys);
    double sum = 0;
    for (size_t i = 0; i < kKeys; i++) cdf[i] = sum += 1.0 / std::pow(double(i + 1), 0.99);
    std::uniform_real_distribution<double> u(0, sum);
    for (size_t i = 0; i < kStream; i++)
      st.order.push_back(uint32_t(std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin()));
  } else {
    for (size_t i = 0; i < kStream; i++) st.order.push_back(uint32_t(rng() % kKeys));
  }
  return st;
}

void Record(benchmark::State& state, bool zipf) {
  const Stream& st = MakeStream(zipf);
  TopKeys t;
  t.set_sample_period(uint32_t(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    uint32_t k = st.order[i++ & (kStream - 1)];
    t.Record(0, st.keys[k], st.hashes[k]);
  }
  state.counters["bytes"] = double(t.bytes());
}

void Baseline(benchmark::State& state) {
  // The loop alone (stream read, key lookup), for subtraction.
  const Stream& st = MakeStream(false);
  size_t i = 0;
  for (auto _ : state) {
    uint32_t k = st.order[i++ & (kStream - 1)];
    benchmark::DoNotOptimize(st.keys[k].data());
    benchmark::DoNotOptimize(st.hashes[k]);
  }
}

}  // namespace

BENCHMARK(Baseline);
BENCHMARK_CAPTURE(Record, uniform, false)->Arg(1)->Arg(4)->Arg(8)->Arg(16);
BENCHMARK_CAPTURE(Record, zipf, true)->Arg(1)->Arg(4)->Arg(8)->Arg(16);
BENCHMARK_MAIN();
