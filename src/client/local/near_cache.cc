// NearCache: striped index + per-stripe W-TinyLFU. See <strata/near_cache.h> for the contract.
//
// Coherence state per stripe, all under the stripe mutex:
//   epoch        - bumped by Clear() and by each SetServing() call; a ticket from an older epoch
//                  refuses;
//   generations  - kGenerationSlots counters indexed by bits of the key hash; Invalidate(key) and
//                  Put(key) bump key's slot, so a ticket whose slot moved refuses (keys sharing a
//                  slot cause the acceptable false drops).
// Counters are relaxed atomics written only under their stripe's mutex (load + store, no locked
// read-modify-write), read without locks by stats().
#include "strata/near_cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

// xxHash compiled into this file, so the hit path hashes without a call into the shared library.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache/policy/policy.h"
#include "cache/policy/wtinylfu.h"
#include "client/local/entry_index.h"

namespace strata {

namespace {

constexpr size_t kGenerationSlots = 256;

using Clock = NearCache::Clock;

struct Entry : cache::WTinyLfu::Hook {
  std::string key;
  std::string value;
  Clock::time_point deadline;
  bool expires = false;
};

static_assert(sizeof(Entry) + 32 <= NearCache::kEntryOverhead,
              "kEntryOverhead must cover the entry node and its index slot");

// A counter written by one thread at a time (the stripe mutex holder), read by anyone.
struct Counter {
  std::atomic<uint64_t> v{0};
  void Add(uint64_t n = 1) {
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(uint64_t n) {
    v.store(v.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return v.load(std::memory_order_relaxed); }
};

// XXH3-64, as strata::HashKey computes it.
uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

size_t GenerationSlot(uint64_t hash) { return (hash >> 24) & (kGenerationSlots - 1); }

// Distinguishes caches, so that a ticket from one cache is refused by another.
std::atomic<uint64_t> next_cache_id{1};

// One slice of the keyspace; every member is guarded by `mu` (the counters are also read
// without it).
struct alignas(64) Stripe {
  Stripe(uint64_t capacity, uint64_t expected_entries)
      : policy(capacity, cache::WTinyLfu::Options{.expected_entries = expected_entries}) {}
  ~Stripe() {
    index.ForEach([](Entry* e) { delete e; });
  }

  std::mutex mu;

  // Owns the entries (raw pointers, freed by Drop, DropAll and the destructor).
  client_local::EntryIndex<Entry> index;
  cache::WTinyLfu policy;
  uint64_t epoch = 1;
  std::array<uint64_t, kGenerationSlots> generations{};

  Counter hits, misses, invalidations, evictions, expirations, fills_refused, entries, bytes;

  // Unlinks e from the policy and the index and frees it.
  void Drop(Entry* e) {
    policy.Remove(e);
    entries.Sub(1);
    bytes.Sub(e->weight);
    index.Erase(e, e->hash);
    delete e;
  }

  void DropAll() {
    index.ForEach([this](Entry* e) {
      policy.Remove(e);
      delete e;
    });
    index.Clear();
    entries.v.store(0, std::memory_order_relaxed);
    bytes.v.store(0, std::memory_order_relaxed);
  }

  // Stores key -> value, replacing any entry. Returns false (leaving no entry) when it cannot.
  bool Insert(std::string_view key, uint64_t hash, std::string_view value,
              const std::optional<Clock::duration>& ttl) {
    if (Entry* old = index.Find(key, hash)) Drop(old);
    if (ttl && *ttl <= Clock::duration::zero()) return false;
    const uint64_t weight64 = key.size() + value.size() + NearCache::kEntryOverhead;
    if (weight64 > policy.capacity() || weight64 > std::numeric_limits<uint32_t>::max()) {
      return false;
    }
    const auto weight = static_cast<uint32_t>(weight64);
    const Clock::time_point now = ttl ? Clock::now() : Clock::time_point{};
    // A ttl reaching past the clock's range means no expiry.
    const bool expires = ttl && *ttl < Clock::time_point::max() - now;
    cache::MakeRoom(policy, hash, weight, [&](cache::WTinyLfu::Hook* h) {
      auto* victim = static_cast<Entry*>(h);
      if (victim->expires && victim->deadline <= Clock::now()) {
        expirations.Add();
      } else {
        evictions.Add();
      }
      entries.Sub(1);
      bytes.Sub(victim->weight);
      index.Erase(victim, victim->hash);  // the policy already unlinked it
      delete victim;
    });
    auto e = std::make_unique<Entry>();
    e->key.assign(key);
    e->value.assign(value);
    if (expires) {
      e->expires = true;
      e->deadline = now + *ttl;
    }
    index.Insert(e.get(), hash);  // may throw (growth); e is still owned here
    Entry* raw = e.release();
    policy.Insert(raw, hash, weight);
    entries.Add();
    bytes.Add(weight);
    return true;
  }
};

}  // namespace

struct NearCache::Impl {
  std::vector<std::unique_ptr<Stripe>> stripes;
  const uint64_t id = next_cache_id.fetch_add(1, std::memory_order_relaxed);
  unsigned shift = 64;  // stripe index = hash >> shift (0 stripes bits: always stripe 0)
  size_t capacity = 0;
  std::atomic<bool> serving{true};
  std::mutex serving_mu;  // orders SetServing calls with each other

  Stripe& StripeOf(uint64_t hash) {
    return *stripes[shift >= 64 ? 0 : static_cast<size_t>(hash >> shift)];
  }
};

NearCache::NearCache(NearCacheOptions options) : impl_(std::make_unique<Impl>()) {
  size_t n = options.stripes;
  if (n == 0) n = std::max<size_t>(16, 4 * std::max(1u, std::thread::hardware_concurrency()));
  n = std::bit_ceil(n);
  while (n > 1 && options.capacity_bytes / n < kMinStripeBytes) n /= 2;
  const uint64_t per_stripe = options.capacity_bytes / n;
  const uint64_t expected =
      std::max<uint64_t>(1, per_stripe / std::max<size_t>(1, options.expected_entry_bytes));
  impl_->capacity = options.capacity_bytes;
  impl_->shift = 64 - static_cast<unsigned>(std::countr_zero(n));
  impl_->stripes.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    impl_->stripes.push_back(std::make_unique<Stripe>(per_stripe, expected));
  }
}

NearCache::~NearCache() = default;

namespace {
constexpr uint32_t kAccessSample = 8;
}  // namespace

std::optional<std::string> NearCache::Get(std::string_view key) {
  const uint64_t hash = KeyHash(key);
  Stripe& s = impl_->StripeOf(hash);
  std::lock_guard lock(s.mu);
  if (!impl_->serving.load(std::memory_order_relaxed)) {
    s.misses.Add();
    return std::nullopt;
  }
  Entry* e = s.index.Find(key, hash);
  if (e == nullptr) {
    s.misses.Add();
    return std::nullopt;
  }
  if (e->expires && Clock::now() >= e->deadline) {
    s.Drop(e);
    s.expirations.Add();
    s.misses.Add();
    return std::nullopt;
  }
  // The policy sees one hit in kAccessSample per thread, as Caffeine's lossy read buffers do: a
  // policy update writes the stripe's lists and sketch, whose cache lines then travel between
  // cores on every hit; sampled, a hit mostly only reads (2 threads: 196 -> 135 ns per hit).
  thread_local uint32_t t_tick = 0;
  if ((++t_tick % kAccessSample) == 0) s.policy.Access(e);
  s.hits.Add();
  return e->value;
}

bool NearCache::Put(std::string_view key, std::string_view value,
                    std::optional<Clock::duration> ttl) {
  const uint64_t hash = KeyHash(key);
  Stripe& s = impl_->StripeOf(hash);
  std::lock_guard lock(s.mu);
  ++s.generations[GenerationSlot(hash)];
  if (!impl_->serving.load(std::memory_order_relaxed)) return false;
  return s.Insert(key, hash, value, ttl);
}

bool NearCache::Invalidate(std::string_view key) {
  const uint64_t hash = KeyHash(key);
  Stripe& s = impl_->StripeOf(hash);
  std::lock_guard lock(s.mu);
  ++s.generations[GenerationSlot(hash)];
  Entry* e = s.index.Find(key, hash);
  if (e == nullptr) return false;
  s.Drop(e);
  s.invalidations.Add();
  return true;
}

void NearCache::Clear() {
  for (auto& sp : impl_->stripes) {
    std::lock_guard lock(sp->mu);
    ++sp->epoch;
    sp->DropAll();
  }
}

NearCache::Ticket NearCache::BeginFill(std::string_view key) {
  Ticket t;
  t.key.assign(key);
  t.hash = KeyHash(key);
  Stripe& s = impl_->StripeOf(t.hash);
  std::lock_guard lock(s.mu);
  t.cache_id = impl_->id;
  t.valid = impl_->serving.load(std::memory_order_relaxed);
  t.epoch = s.epoch;
  t.generation = s.generations[GenerationSlot(t.hash)];
  return t;
}

bool NearCache::CompleteFill(const Ticket& ticket, std::string_view value,
                             std::optional<Clock::duration> ttl) {
  Stripe& s = impl_->StripeOf(ticket.hash);
  std::lock_guard lock(s.mu);
  if (!ticket.valid || ticket.cache_id != impl_->id ||
      !impl_->serving.load(std::memory_order_relaxed) || s.epoch != ticket.epoch ||
      s.generations[GenerationSlot(ticket.hash)] != ticket.generation ||
      KeyHash(ticket.key) != ticket.hash) {
    s.fills_refused.Add();
    return false;
  }
  return s.Insert(ticket.key, ticket.hash, value, ttl);
}

void NearCache::SetServing(bool serving) {
  std::lock_guard order(impl_->serving_mu);
  // Going down: refuse first, then empty each stripe. Coming up: retire every ticket taken while
  // down (they are already invalid; the epoch bump also covers tickets racing with the change),
  // then accept again.
  if (!serving) impl_->serving.store(false, std::memory_order_relaxed);
  for (auto& sp : impl_->stripes) {
    std::lock_guard lock(sp->mu);
    ++sp->epoch;
    if (!serving) sp->DropAll();
  }
  if (serving) impl_->serving.store(true, std::memory_order_relaxed);
}

bool NearCache::serving() const { return impl_->serving.load(std::memory_order_relaxed); }

NearCacheStats NearCache::stats() const {
  NearCacheStats st;
  for (const auto& sp : impl_->stripes) {
    st.hits += sp->hits.Get();
    st.misses += sp->misses.Get();
    st.invalidations += sp->invalidations.Get();
    st.evictions += sp->evictions.Get();
    st.expirations += sp->expirations.Get();
    st.fills_refused += sp->fills_refused.Get();
    st.entries += sp->entries.Get();
    st.bytes += sp->bytes.Get();
  }
  return st;
}

size_t NearCache::capacity_bytes() const { return impl_->capacity; }

size_t NearCache::stripe_count() const { return impl_->stripes.size(); }

}  // namespace strata
