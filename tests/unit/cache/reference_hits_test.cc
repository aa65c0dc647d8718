// Hit counts that must not drift: a deterministic skewed trace with one-time scans, replayed
// through each deterministic policy with unit weights. The expected numbers come from the
// reference Python simulator (evict-sim.py) on the same trace, so the policies stay
// request-for-request equivalent to the published algorithms as the code evolves.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/policy/arc.h"
#include "cache/policy/clock.h"
#include "cache/policy/fifo.h"
#include "cache/policy/lru.h"
#include "cache/policy/policy.h"
#include "cache/policy/s3fifo.h"
#include "cache/policy/sieve.h"
#include "cache/policy/two_queue.h"
#include "cache/policy/wtinylfu.h"
#include "cache/sketch/frequency_sketch.h"

namespace strata::cache {
namespace {

// 30,000 requests over 3,958 keys: products of two uniform draws (skewed towards small ids),
// with a 600-request sequential scan of new keys in every 6,000 requests. Keys are remapped to
// dense ids in order of first appearance, as the reference simulator does.
std::vector<uint32_t> Trace(uint32_t* unique) {
  std::vector<uint64_t> raw;
  uint64_t scan = 100000;
  for (uint64_t i = 0; i < 30000; ++i) {
    if (i % 6000 >= 5400) {
      raw.push_back(scan++);
    } else {
      raw.push_back((FrequencySketch::Mix64(i) % 1000) *
                    (FrequencySketch::Mix64(i + 1000000) % 1000) / 1000);
    }
  }
  std::unordered_map<uint64_t, uint32_t> ids;
  std::vector<uint32_t> out;
  for (uint64_t k : raw)
    out.push_back(ids.try_emplace(k, static_cast<uint32_t>(ids.size())).first->second);
  *unique = static_cast<uint32_t>(ids.size());
  return out;
}

template <class P>
uint64_t Replay(const std::vector<uint32_t>& trace, uint32_t unique, std::unique_ptr<P> p) {
  struct Entry : P::Hook {
    bool resident = false;
  };
  std::vector<Entry> entries(unique);
  uint64_t hits = 0;
  for (uint32_t k : trace) {
    Entry& e = entries[k];
    if (e.resident) {
      p->Access(&e);
      ++hits;
      continue;
    }
    MakeRoom(*p, k, 1, [](typename P::Hook* v) { static_cast<Entry*>(v)->resident = false; });
    p->Insert(&e, k, 1);
    e.resident = true;
  }
  return hits;
}

TEST(ReferenceHits, MatchTheReferenceSimulator) {
  uint32_t unique = 0;
  const std::vector<uint32_t> trace = Trace(&unique);
  ASSERT_EQ(trace.size(), 30000u);
  ASSERT_EQ(unique, 3958u);
  // evict-sim.py --policies ... --sizes 10/3958,100/3958,1000/3958
  const std::map<std::string, std::vector<uint64_t>> expected = {
      {"lru", {509, 4991, 23456}},      {"fifo", {507, 4834, 22816}},
      {"clock", {508, 5112, 23785}},    {"sieve", {810, 7354, 25801}},
      {"arc", {808, 6355, 25852}},      {"2q", {839, 6298, 24789}},
      {"s3fifo", {1065, 7016, 25859}},  {"s3fifo-t2", {1069, 7026, 25706}},
      {"wtinylfu", {976, 7567, 25913}}, {"wtinylfu-adaptive", {976, 7484, 25901}},
  };
  const uint64_t caps[] = {10, 100, 1000};
  for (size_t i = 0; i < 3; ++i) {
    const uint64_t c = caps[i];
    std::map<std::string, uint64_t> got;
    got["lru"] = Replay(trace, unique, std::make_unique<Lru>(c));
    got["fifo"] = Replay(trace, unique, std::make_unique<Fifo>(c));
    got["clock"] = Replay(trace, unique, std::make_unique<Clock>(c));
    got["sieve"] = Replay(trace, unique, std::make_unique<Sieve>(c));
    got["arc"] = Replay(trace, unique, std::make_unique<Arc>(c));
    got["2q"] = Replay(trace, unique, std::make_unique<TwoQueue>(c));
    got["s3fifo"] = Replay(trace, unique, std::make_unique<S3Fifo>(c));
    got["s3fifo-t2"] =
        Replay(trace, unique, std::make_unique<S3Fifo>(c, S3Fifo::Options{.promote_threshold = 2}));
    got["wtinylfu"] = Replay(trace, unique, std::make_unique<WTinyLfu>(c));
    got["wtinylfu-adaptive"] =
        Replay(trace, unique, std::make_unique<WTinyLfu>(c, WTinyLfu::Options{.adaptive = true}));
    for (const auto& [name, hits] : expected) {
      EXPECT_EQ(got[name], hits[i]) << name << " at capacity " << c;
    }
  }
}

}  // namespace
}  // namespace strata::cache
