#include "kv/types/set.h"

#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "base/hash.h"
#include "base/memory.h"
#include "base/strutil.h"

namespace strata::kv {

namespace {

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  v = ((v >> 8) & 0x00FF00FF00FF00FFull) | ((v & 0x00FF00FF00FF00FFull) << 8);
  v = ((v >> 16) & 0x0000FFFF0000FFFFull) | ((v & 0x0000FFFF0000FFFFull) << 16);
  return (v >> 32) | (v << 32);
}

// The reverse-binary increment of a SCAN cursor over a table of mask+1 buckets.
uint64_t NextCursor(uint64_t v, uint64_t mask) {
  v |= ~mask;
  v = ReverseBits(v);
  v++;
  return ReverseBits(v);
}

// Smallest power of two >= 16 whose 3/4 holds n.
size_t CapacityFor(size_t n) {
  size_t cap = 16;
  while (cap * 3 / 4 < n) cap *= 2;
  return cap;
}

unsigned WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

constexpr uint64_t kMemberSeed = 0x5e7a11ce5eedull;
constexpr uint64_t kPtrMask = (uint64_t(1) << 48) - 1;

size_t VarintSize(size_t n) {
  size_t s = 1;
  while (n >= 0x80) {
    n >>= 7;
    s++;
  }
  return s;
}

}  // namespace

// ---- IntSet ----

IntSet::IntSet(const IntSet& o) : n_(o.n_), width_(o.width_) {
  if (o.data_) {
    data_ = static_cast<uint8_t*>(std::malloc(size_t(n_) * width_));
    std::memcpy(data_, o.data_, size_t(n_) * width_);
  }
}

IntSet::~IntSet() { std::free(data_); }

int64_t IntSet::at(size_t i) const {
  switch (width_) {
    case 2: {
      int16_t v;
      std::memcpy(&v, data_ + i * 2, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, data_ + i * 4, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, data_ + i * 8, 8);
      return v;
    }
  }
}

void IntSet::Set(size_t i, int64_t v) {
  switch (width_) {
    case 2: {
      int16_t x = int16_t(v);
      std::memcpy(data_ + i * 2, &x, 2);
      break;
    }
    case 4: {
      int32_t x = int32_t(v);
      std::memcpy(data_ + i * 4, &x, 4);
      break;
    }
    default:
      std::memcpy(data_ + i * 8, &v, 8);
  }
}

size_t IntSet::Find(int64_t v, bool* found) const {
  size_t lo = 0, hi = n_;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int64_t x = at(mid);
    if (x == v) {
      *found = true;
      return mid;
    }
    if (x < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

bool IntSet::Contains(int64_t v) const {
  if (WidthFor(v) > width_) return false;
  bool found;
  Find(v, &found);
  return found;
}

void IntSet::Widen(unsigned width) {
  uint8_t* d = static_cast<uint8_t*>(std::malloc(size_t(n_) * width + width));
  for (size_t i = 0; i < n_; i++) {
    int64_t v = at(i);
    if (width == 4) {
      int32_t x = int32_t(v);
      std::memcpy(d + i * 4, &x, 4);
    } else {
      std::memcpy(d + i * 8, &v, 8);
    }
  }
  std::free(data_);
  data_ = d;
  width_ = uint8_t(width);
}

bool IntSet::Insert(int64_t v) {
  unsigned w = WidthFor(v);
  if (w > width_) {
    // A value wider than all others is either below or above every member.
    Widen(w);
    data_ = static_cast<uint8_t*>(std::realloc(data_, (size_t(n_) + 1) * width_));
    if (v < 0) {
      std::memmove(data_ + width_, data_, size_t(n_) * width_);
      n_++;
      Set(0, v);
    } else {
      n_++;
      Set(n_ - 1, v);
    }
    return true;
  }
  bool found;
  size_t pos = Find(v, &found);
  if (found) return false;
  data_ = static_cast<uint8_t*>(std::realloc(data_, (size_t(n_) + 1) * width_));
  std::memmove(data_ + (pos + 1) * width_, data_ + pos * width_, (n_ - pos) * width_);
  n_++;
  Set(pos, v);
  return true;
}

void IntSet::EraseAt(size_t i) {
  std::memmove(data_ + i * width_, data_ + (i + 1) * width_, (n_ - i - 1) * width_);
  n_--;
  if (n_ == 0) {
    std::free(data_);
    data_ = nullptr;
  } else {
    data_ = static_cast<uint8_t*>(std::realloc(data_, size_t(n_) * width_));
  }
}

bool IntSet::Erase(int64_t v) {
  if (WidthFor(v) > width_) return false;
  bool found;
  size_t pos = Find(v, &found);
  if (!found) return false;
  EraseAt(pos);
  return true;
}

size_t IntSet::Bytes() const { return data_ ? AllocationSize(size_t(n_) * width_) : 0; }

// ---- IntTable ----

uint64_t IntTable::Hash(int64_t v) {
  uint64_t x = uint64_t(v);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

IntTable::IntTable(const IntTable& o)
    : cap_(o.cap_), n_(o.n_), has_empty_value_(o.has_empty_value_) {
  if (cap_) {
    slots_ = static_cast<int64_t*>(std::malloc(cap_ * sizeof(int64_t)));
    std::memcpy(slots_, o.slots_, cap_ * sizeof(int64_t));
  }
}

IntTable::~IntTable() { std::free(slots_); }

void IntTable::Resize(size_t cap) {
  int64_t* old = slots_;
  size_t old_cap = cap_;
  slots_ = static_cast<int64_t*>(std::malloc(cap * sizeof(int64_t)));
  for (size_t i = 0; i < cap; i++) slots_[i] = kEmpty;
  cap_ = cap;
  size_t mask = cap - 1;
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i] == kEmpty) continue;
    size_t p = Hash(old[i]) & mask;
    while (slots_[p] != kEmpty) p = (p + 1) & mask;
    slots_[p] = old[i];
  }
  std::free(old);
}

void IntTable::Reserve(size_t n) {
  size_t cap = CapacityFor(n);
  if (cap > cap_) Resize(cap);
}

bool IntTable::Contains(int64_t v) const {
  if (v == kEmpty) return has_empty_value_;
  if (!cap_) return false;
  size_t mask = cap_ - 1;
  for (size_t p = Hash(v) & mask;; p = (p + 1) & mask) {
    if (slots_[p] == v) return true;
    if (slots_[p] == kEmpty) return false;
  }
}

bool IntTable::Insert(int64_t v) {
  if (v == kEmpty) {
    if (has_empty_value_) return false;
    has_empty_value_ = true;
    n_++;
    return true;
  }
  if (!cap_ || (n_ + 1) > cap_ * 3 / 4) {
    if (Contains(v)) return false;
    Resize(cap_ ? cap_ * 2 : 16);
  }
  size_t mask = cap_ - 1;
  size_t p = Hash(v) & mask;
  for (; slots_[p] != kEmpty; p = (p + 1) & mask)
    if (slots_[p] == v) return false;
  slots_[p] = v;
  n_++;
  return true;
}

void IntTable::MaybeShrink() {
  if (cap_ > 16 && n_ < cap_ / 8) Resize(CapacityFor(n_ * 2));
}

bool IntTable::Erase(int64_t v) {
  if (v == kEmpty) {
    if (!has_empty_value_) return false;
    has_empty_value_ = false;
    n_--;
    return true;
  }
  if (!cap_) return false;
  size_t mask = cap_ - 1;
  size_t p = Hash(v) & mask;
  for (;; p = (p + 1) & mask) {
    if (slots_[p] == kEmpty) return false;
    if (slots_[p] == v) break;
  }
  // Backward-shift deletion: move later members of the run into the hole when their home
  // bucket allows it, so no tombstones are needed.
  size_t hole = p;
  for (size_t q = (p + 1) & mask; slots_[q] != kEmpty; q = (q + 1) & mask) {
    size_t home = Hash(slots_[q]) & mask;
    // q's member may move to hole if home is not cyclically in (hole, q].
    bool in_between = hole <= q ? (home > hole && home <= q) : (home > hole || home <= q);
    if (!in_between) {
      slots_[hole] = slots_[q];
      hole = q;
    }
  }
  slots_[hole] = kEmpty;
  n_--;
  MaybeShrink();
  return true;
}

int64_t IntTable::Random(std::mt19937_64& rng) const {
  if (has_empty_value_ && (n_ == 1 || rng() % n_ == 0)) return kEmpty;
  size_t mask = cap_ - 1;
  for (size_t p = rng() & mask;; p = (p + 1) & mask)
    if (slots_[p] != kEmpty) return slots_[p];
}

uint64_t IntTable::Scan(uint64_t cursor, const std::function<void(int64_t)>& f) const {
  if (cursor == 0 && has_empty_value_) f(kEmpty);
  if (!cap_) return 0;
  size_t mask = cap_ - 1;
  size_t h = cursor & mask;
  for (size_t p = h; slots_[p] != kEmpty; p = (p + 1) & mask)
    if ((Hash(slots_[p]) & mask) == h) f(slots_[p]);
  return NextCursor(cursor, mask);
}

// ---- StrTable ----

uint64_t StrTable::Hash(std::string_view m) {
  // Integers keep the home bucket they had in an IntTable, so an SSCAN that spans the
  // conversion still visits them.
  int64_t v;
  if (ParseInt64(m, &v)) return IntTable::Hash(v);
  return HashKey(m, kMemberSeed);
}

std::string_view StrTable::View(uint64_t slot) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(slot & kPtrMask);
  size_t len = 0;
  unsigned shift = 0;
  while (*p & 0x80) {
    len |= size_t(*p++ & 0x7f) << shift;
    shift += 7;
  }
  len |= size_t(*p++) << shift;
  return {reinterpret_cast<const char*>(p), len};
}

namespace {
uint64_t NewMember(std::string_view m, uint64_t tag, size_t* bytes) {
  size_t vs = VarintSize(m.size());
  size_t total = vs + m.size();
  uint8_t* p = static_cast<uint8_t*>(std::malloc(total));
  size_t n = m.size();
  uint8_t* q = p;
  while (n >= 0x80) {
    *q++ = uint8_t(n | 0x80);
    n >>= 7;
  }
  *q++ = uint8_t(n);
  if (!m.empty()) std::memcpy(q, m.data(), m.size());
  *bytes += AllocationSize(total);
  return (tag << 48) | reinterpret_cast<uint64_t>(p);
}
}  // namespace

void StrTable::FreeMember(uint64_t slot) {
  std::string_view v = View(slot);
  member_bytes_ -= AllocationSize(VarintSize(v.size()) + v.size());
  std::free(reinterpret_cast<void*>(slot & kPtrMask));
}

StrTable::StrTable(const StrTable& o) {
  Reserve(o.n_);
  o.ForEach([this](std::string_view m) { Insert(m); });
}

StrTable::~StrTable() {
  for (size_t i = 0; i < cap_; i++)
    if (slots_[i]) std::free(reinterpret_cast<void*>(slots_[i] & kPtrMask));
  std::free(slots_);
}

void StrTable::Resize(size_t cap) {
  uint64_t* old = slots_;
  size_t old_cap = cap_;
  slots_ = static_cast<uint64_t*>(std::calloc(cap, sizeof(uint64_t)));
  cap_ = cap;
  size_t mask = cap - 1;
  for (size_t i = 0; i < old_cap; i++) {
    if (!old[i]) continue;
    size_t p = Hash(View(old[i])) & mask;
    while (slots_[p]) p = (p + 1) & mask;
    slots_[p] = old[i];
  }
  std::free(old);
}

void StrTable::Reserve(size_t n) {
  size_t cap = CapacityFor(n);
  if (cap > cap_) Resize(cap);
}

size_t StrTable::Find(std::string_view m, uint64_t hash) const {
  if (!cap_) return cap_;
  size_t mask = cap_ - 1;
  uint64_t tag = Tag(hash);
  for (size_t p = hash & mask; slots_[p]; p = (p + 1) & mask)
    if ((slots_[p] >> 48) == tag && View(slots_[p]) == m) return p;
  return cap_;
}

bool StrTable::Contains(std::string_view m) const { return Find(m, Hash(m)) != cap_; }

bool StrTable::Insert(std::string_view m) {
  uint64_t h = Hash(m);
  if (Find(m, h) != cap_) return false;
  if (!cap_ || n_ + 1 > cap_ * 3 / 4) Resize(cap_ ? cap_ * 2 : 16);
  size_t mask = cap_ - 1;
  size_t p = h & mask;
  while (slots_[p]) p = (p + 1) & mask;
  slots_[p] = NewMember(m, Tag(h), &member_bytes_);
  n_++;
  return true;
}

void StrTable::MaybeShrink() {
  if (cap_ > 16 && n_ < cap_ / 8) Resize(CapacityFor(n_ * 2));
}

bool StrTable::Erase(std::string_view m) {
  size_t p = Find(m, Hash(m));
  if (p == cap_) return false;
  FreeMember(slots_[p]);
  size_t mask = cap_ - 1;
  size_t hole = p;
  for (size_t q = (p + 1) & mask; slots_[q]; q = (q + 1) & mask) {
    size_t home = Hash(View(slots_[q])) & mask;
    bool in_between = hole <= q ? (home > hole && home <= q) : (home > hole || home <= q);
    if (!in_between) {
      slots_[hole] = slots_[q];
      hole = q;
    }
  }
  slots_[hole] = 0;
  n_--;
  MaybeShrink();
  return true;
}

std::string_view StrTable::Random(std::mt19937_64& rng) const {
  size_t mask = cap_ - 1;
  for (size_t p = rng() & mask;; p = (p + 1) & mask)
    if (slots_[p]) return View(slots_[p]);
}

uint64_t StrTable::Scan(uint64_t cursor, const std::function<void(std::string_view)>& f) const {
  if (!cap_) return 0;
  size_t mask = cap_ - 1;
  size_t h = cursor & mask;
  for (size_t p = h; slots_[p]; p = (p + 1) & mask) {
    std::string_view m = View(slots_[p]);
    if ((Hash(m) & mask) == h) f(m);
  }
  return NextCursor(cursor, mask);
}

// ---- SetObject ----

SetObject::~SetObject() = default;

const char* SetObject::Encoding() const { return enc_ == Enc::kIntSet ? "intset" : "hashtable"; }

size_t SetObject::Length() const {
  switch (enc_) {
    case Enc::kIntSet:
      return is_.size();
    case Enc::kIntTable:
      return it_->size();
    default:
      return st_->size();
  }
}

std::unique_ptr<Object> SetObject::Clone() const {
  auto c = std::make_unique<SetObject>();
  c->enc_ = enc_;
  switch (enc_) {
    case Enc::kIntSet:
      c->is_.~IntSet();
      new (&c->is_) IntSet(is_);
      break;
    case Enc::kIntTable:
      c->it_ = std::make_unique<IntTable>(*it_);
      break;
    case Enc::kStrTable:
      c->st_ = std::make_unique<StrTable>(*st_);
      break;
  }
  return c;
}

size_t SetObject::MemoryUsage() const {
  size_t b = AllocationSize(sizeof(SetObject));
  switch (enc_) {
    case Enc::kIntSet:
      return b + is_.Bytes();
    case Enc::kIntTable:
      return b + AllocationSize(sizeof(IntTable)) + AllocationSize(it_->Bytes());
    default:
      return b + AllocationSize(sizeof(StrTable)) + st_->Bytes();
  }
}

size_t SetObject::FreeEffort() const { return enc_ == Enc::kStrTable ? st_->size() : 1; }

void SetObject::ToTable(size_t reserve) {
  auto t = std::make_unique<IntTable>();
  t->Reserve(reserve);
  for (size_t i = 0; i < is_.size(); i++) t->Insert(is_.at(i));
  is_.~IntSet();
  new (&is_) IntSet();
  it_ = std::move(t);
  enc_ = Enc::kIntTable;
}

void SetObject::ToStrTable() {
  auto t = std::make_unique<StrTable>();
  char buf[24];
  if (enc_ == Enc::kIntSet) {
    t->Reserve(is_.size() + 1);
    for (size_t i = 0; i < is_.size(); i++)
      t->Insert(std::string_view(buf, FormatInt64(is_.at(i), buf)));
    is_.~IntSet();
    new (&is_) IntSet();
  } else {
    t->Reserve(it_->size() + 1);
    it_->ForEach([&](int64_t v) { t->Insert(std::string_view(buf, FormatInt64(v, buf))); });
    it_.reset();
  }
  st_ = std::move(t);
  enc_ = Enc::kStrTable;
}

bool SetObject::Add(std::string_view m, size_t max_intset) {
  int64_t v;
  bool is_int = enc_ != Enc::kStrTable && ParseInt64(m, &v);
  if (enc_ == Enc::kIntSet) {
    if (is_int) {
      if (!is_.Insert(v)) return false;
      if (is_.size() > max_intset) ToTable(is_.size());
      return true;
    }
    ToStrTable();
  } else if (enc_ == Enc::kIntTable) {
    if (is_int) return it_->Insert(v);
    ToStrTable();
  }
  return st_->Insert(m);
}

bool SetObject::Remove(std::string_view m) {
  int64_t v;
  switch (enc_) {
    case Enc::kIntSet:
      return ParseInt64(m, &v) && is_.Erase(v);
    case Enc::kIntTable:
      return ParseInt64(m, &v) && it_->Erase(v);
    default:
      return st_->Erase(m);
  }
}

bool SetObject::Contains(std::string_view m) const {
  int64_t v;
  switch (enc_) {
    case Enc::kIntSet:
      return ParseInt64(m, &v) && is_.Contains(v);
    case Enc::kIntTable:
      return ParseInt64(m, &v) && it_->Contains(v);
    default:
      return st_->Contains(m);
  }
}

std::string SetObject::RandomMember(std::mt19937_64& rng) const {
  switch (enc_) {
    case Enc::kIntSet:
      return Int64ToString(is_.at(rng() % is_.size()));
    case Enc::kIntTable:
      return Int64ToString(it_->Random(rng));
    default:
      return std::string(st_->Random(rng));
  }
}

std::string SetObject::PopRandom(std::mt19937_64& rng) {
  if (enc_ == Enc::kIntSet) {
    size_t i = rng() % is_.size();
    std::string r = Int64ToString(is_.at(i));
    is_.EraseAt(i);
    return r;
  }
  std::string r = RandomMember(rng);
  Remove(r);
  return r;
}

void SetObject::ForEach(const std::function<void(std::string_view)>& f) const {
  char buf[24];
  switch (enc_) {
    case Enc::kIntSet:
      for (size_t i = 0; i < is_.size(); i++) f(std::string_view(buf, FormatInt64(is_.at(i), buf)));
      break;
    case Enc::kIntTable:
      it_->ForEach([&](int64_t v) { f(std::string_view(buf, FormatInt64(v, buf))); });
      break;
    default:
      st_->ForEach(f);
  }
}

std::vector<std::string> SetObject::Members() const {
  std::vector<std::string> out;
  out.reserve(Length());
  ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

uint64_t SetObject::Scan(uint64_t cursor, size_t count,
                         const std::function<void(std::string_view)>& f) const {
  if (enc_ == Enc::kIntSet) {
    ForEach(f);
    return 0;
  }
  // As Redis: visit buckets until `count` members were returned, giving up after count * 10
  // buckets so a sparse table still answers quickly.
  size_t seen = 0;
  size_t budget = count * 10;
  char buf[24];
  auto fi = [&](int64_t v) {
    seen++;
    f(std::string_view(buf, FormatInt64(v, buf)));
  };
  auto fs = [&](std::string_view m) {
    seen++;
    f(m);
  };
  do {
    cursor = enc_ == Enc::kIntTable ? it_->Scan(cursor, fi) : st_->Scan(cursor, fs);
  } while (cursor && budget-- && seen < count);
  return cursor;
}

}  // namespace strata::kv
