#include "kv/engine/db_table.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "base/clock.h"
#include "base/hash.h"

namespace strata::kv {
namespace {

constexpr size_t kInitialSize = 4;

uint64_t Rev(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

Entry** AllocBuckets(size_t n) {
  void* p = calloc(n, sizeof(Entry*));
  if (!p) throw std::bad_alloc();
  return static_cast<Entry**>(p);
}

}  // namespace

uint64_t DbTable::Hash(std::string_view key) { return HashKey(key); }

DbTable::DbTable() = default;

DbTable::~DbTable() {
  observer_ = nullptr;  // a snapshot still walking is abandoned with the table
  Clear();
  free(t_[0].buckets);
  free(t_[1].buckets);
}

void DbTable::StartResize(size_t new_size) {
  Table& n = t_[1];
  n.buckets = AllocBuckets(new_size);
  n.size = new_size;
  n.mask = new_size - 1;
  n.used = 0;
  rehash_idx_ = 0;
}

void DbTable::Expand(size_t min_size) {
  if (rehashing()) return;
  size_t sz = kInitialSize;
  while (sz < min_size) sz <<= 1;
  if (t_[0].size == 0) {
    t_[0].buckets = AllocBuckets(sz);
    t_[0].size = sz;
    t_[0].mask = sz - 1;
    return;
  }
  if (sz == t_[0].size) return;
  StartResize(sz);
}

void DbTable::MaybeShrink() {
  if (observer_) return;  // a snapshot walks the bucket array
  if (rehashing() || t_[0].size <= kInitialSize) return;
  if (t_[0].used * 10 >= t_[0].size) return;  // keep >= 10% fill, as Redis
  size_t sz = kInitialSize;
  while (sz < t_[0].used) sz <<= 1;
  if (sz < t_[0].size) StartResize(sz);
}

void DbTable::FinishRehashIfDone() {
  if (t_[0].used != 0) return;
  free(t_[0].buckets);
  t_[0] = t_[1];
  t_[1] = Table{};
  rehash_idx_ = -1;
}

bool DbTable::RehashStep(int n) {
  if (!rehashing()) return false;
  int empty_visits = n * 10;
  while (n-- > 0 && t_[0].used != 0) {
    while (t_[0].buckets[rehash_idx_] == nullptr) {
      rehash_idx_++;
      if (--empty_visits == 0) return true;
    }
    Entry* e = t_[0].buckets[rehash_idx_];
    while (e) {
      Entry* next = e->next;
      size_t idx = Hash(e->key()) & t_[1].mask;
      e->next = t_[1].buckets[idx];
      t_[1].buckets[idx] = e;
      t_[0].used--;
      t_[1].used++;
      e = next;
    }
    t_[0].buckets[rehash_idx_] = nullptr;
    rehash_idx_++;
  }
  FinishRehashIfDone();
  return rehashing();
}

bool DbTable::RehashForMicros(int64_t us) {
  int64_t deadline = MonoMicros() + us;
  while (RehashStep(100)) {
    if (MonoMicros() > deadline) return true;
  }
  return false;
}

Entry** DbTable::FindLink(std::string_view key, uint64_t hash) {
  if (size() == 0) return nullptr;
  Guard(hash);
  if (rehashing()) RehashStep(1);
  for (int t = 0; t <= 1; t++) {
    if (t_[t].size == 0) continue;
    Entry** link = &t_[t].buckets[hash & t_[t].mask];
    while (*link) {
      Entry* e = *link;
      std::string_view k = e->key();
      if (k.size() == key.size() && memcmp(k.data(), key.data(), key.size()) == 0) return link;
      link = &e->next;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void DbTable::Insert(Entry* e, uint64_t hash) {
  Guard(hash);
  if (rehashing()) RehashStep(1);
  if (t_[0].size == 0)
    Expand(kInitialSize);
  else if (!rehashing() && !observer_ && t_[0].used >= t_[0].size)
    Expand(t_[0].size * 2);
  Table& t = rehashing() ? t_[1] : t_[0];
  size_t idx = hash & t.mask;
  e->next = t.buckets[idx];
  t.buckets[idx] = e;
  t.used++;
  if (e->has_expire()) AddVolatile(e);
}

Entry* DbTable::Replace(Entry** link, Entry* e) {
  GuardEntry(*link);
  Entry* old = *link;
  e->next = old->next;
  *link = e;
  if (old->has_expire()) RemoveVolatile(old);
  if (e->has_expire()) AddVolatile(e);
  return old;
}

Entry* DbTable::Unlink(Entry** link) {
  GuardEntry(*link);
  Entry* e = *link;
  Table* owner = &t_[0];
  if (rehashing()) {
    // The entry lives in t_[0] only if its old bucket has not been moved yet and it is on that
    // bucket's chain (new keys go to t_[1] during a rehash).
    owner = &t_[1];
    size_t i0 = Hash(e->key()) & t_[0].mask;
    if (int64_t(i0) >= rehash_idx_) {
      for (Entry* x = t_[0].buckets[i0]; x; x = x->next) {
        if (x == e) {
          owner = &t_[0];
          break;
        }
      }
    }
  }
  *link = e->next;
  e->next = nullptr;
  owner->used--;
  if (e->has_expire()) RemoveVolatile(e);
  return e;
}

Entry* DbTable::SetExpire(Entry** link, int64_t expire_ms) {
  GuardEntry(*link);
  Entry* e = *link;
  if (!e->has_expire_slot()) {
    Entry* n = Entry::Rebuild(e, true);
    n->set_expire_ms(expire_ms);
    Entry* old = Replace(link, n);
    Entry::DestroyShell(old);
    return n;
  }
  bool was = e->has_expire();
  e->set_expire_ms(expire_ms);
  if (!was) AddVolatile(e);
  return e;
}

void DbTable::Persist(Entry* e) {
  if (!e->has_expire()) return;
  GuardEntry(e);
  RemoveVolatile(e);
  e->clear_expire();
}

void DbTable::AddVolatile(Entry* e) {
  e->set_volatile_index(uint32_t(volatile_.size()));
  volatile_.push_back(e);
}

void DbTable::RemoveVolatile(Entry* e) {
  uint32_t i = e->volatile_index();
  Entry* last = volatile_.back();
  volatile_[i] = last;
  last->set_volatile_index(i);
  volatile_.pop_back();
}

uint64_t DbTable::Scan(uint64_t cursor, const std::function<void(Entry*)>& fn) {
  if (size() == 0) return 0;
  auto visit = [&](const Table& t, size_t idx) {
    for (Entry* e = t.buckets[idx]; e; e = e->next) fn(e);
  };
  if (!rehashing()) {
    const Table& t = t_[0];
    visit(t, cursor & t.mask);
    cursor |= ~t.mask;
    cursor = Rev(cursor);
    cursor++;
    cursor = Rev(cursor);
    return cursor;
  }
  const Table* small = &t_[0];
  const Table* large = &t_[1];
  if (small->size > large->size) std::swap(small, large);
  uint64_t m0 = small->mask, m1 = large->mask;
  visit(*small, cursor & m0);
  do {
    visit(*large, cursor & m1);
    cursor |= ~m1;
    cursor = Rev(cursor);
    cursor++;
    cursor = Rev(cursor);
  } while (cursor & (m0 ^ m1));
  // Continue the small table's iteration from the updated cursor.
  return cursor;
}

void DbTable::Sample(size_t n, std::mt19937_64& rng, std::vector<Entry*>* out) {
  if (size() == 0 || n == 0) return;
  if (n > size()) n = size();
  size_t got = 0;
  size_t max_steps = n * 10;
  size_t maxmask = t_[0].mask;
  if (rehashing() && t_[1].mask > maxmask) maxmask = t_[1].mask;
  size_t i = rng() & maxmask;
  size_t empty_run = 0;
  while (got < n && max_steps--) {
    for (int t = 0; t <= 1 && got < n; t++) {
      if (t == 1 && !rehashing()) break;
      const Table& tb = t_[t];
      if (tb.size == 0 || i >= tb.size) continue;
      if (t == 0 && rehashing() && int64_t(i) < rehash_idx_) continue;  // already moved
      Entry* e = tb.buckets[i];
      if (!e) {
        empty_run++;
        if (empty_run >= 5 && empty_run > n) {
          i = rng() & maxmask;
          empty_run = 0;
        }
        continue;
      }
      empty_run = 0;
      for (; e && got < n; e = e->next) {
        out->push_back(e);
        got++;
      }
    }
    i = (i + 1) & maxmask;
  }
}

Entry* DbTable::RandomEntry(std::mt19937_64& rng) {
  if (size() == 0) return nullptr;
  if (rehashing()) RehashStep(1);
  // Pick a random non-empty bucket, then a random element of its chain (fair enough for
  // RANDOMKEY; chains are short at load factor <= 1).
  for (int attempt = 0;; attempt++) {
    if (attempt == 1000) {
      // Very sparse table (mass deletion before the cron shrinks it): walk from a random point.
      std::vector<Entry*> one;
      Sample(1, rng, &one);
      if (!one.empty()) return one[0];
      Entry* found = nullptr;
      ForEach([&](Entry* e) {
        if (!found) found = e;
      });
      return found;
    }
    const Table* t;
    size_t idx;
    if (rehashing()) {
      size_t total = t_[0].size + t_[1].size;
      size_t r = size_t(rehash_idx_) + rng() % (total - size_t(rehash_idx_));
      if (r >= t_[0].size) {
        t = &t_[1];
        idx = r - t_[0].size;
      } else {
        t = &t_[0];
        idx = r;
      }
    } else {
      t = &t_[0];
      idx = rng() & t->mask;
    }
    Entry* head = t->buckets[idx];
    if (!head) continue;
    size_t len = 0;
    for (Entry* e = head; e; e = e->next) len++;
    size_t pick = rng() % len;
    while (pick--) head = head->next;
    return head;
  }
}

void DbTable::ForEach(const std::function<void(Entry*)>& fn) const {
  for (int t = 0; t <= 1; t++) {
    for (size_t i = 0; i < t_[t].size; i++) {
      for (Entry* e = t_[t].buckets[i]; e;) {
        Entry* next = e->next;
        fn(e);
        e = next;
      }
    }
  }
}

size_t DbTable::Clear() {
  if (observer_) observer_->BeforeWhole(*this);
  size_t n = size();
  for (int t = 0; t <= 1; t++) {
    for (size_t i = 0; i < t_[t].size; i++) {
      for (Entry* e = t_[t].buckets[i]; e;) {
        Entry* next = e->next;
        Entry::Destroy(e);
        e = next;
      }
    }
    free(t_[t].buckets);
    t_[t] = Table{};
  }
  rehash_idx_ = -1;
  volatile_.clear();
  volatile_.shrink_to_fit();
  return n;
}

void DbTable::Swap(DbTable& other) {
  if (observer_) observer_->BeforeWhole(*this);
  if (other.observer_) other.observer_->BeforeWhole(other);
  std::swap(t_, other.t_);
  std::swap(rehash_idx_, other.rehash_idx_);
  std::swap(volatile_, other.volatile_);
}

}  // namespace strata::kv
