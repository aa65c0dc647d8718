#include "kv/types/bloom.h"

#include <xxhash.h>

#include <cmath>
#include <cstring>

namespace strata::kv {
namespace {

constexpr double kLn2 = 0.693147180559945309417;

struct ItemHash {
  uint64_t h1, h2;
};

ItemHash HashItem(std::string_view item) {
  XXH128_hash_t h = XXH3_128bits(item.data(), item.size());
  return {h.low64, h.high64};
}

// The i-th position of an item in a layer of `bits` bits.
inline uint64_t Position(const ItemHash& h, uint32_t i, uint64_t bits) {
  uint64_t x = h.h1 + uint64_t(i) * h.h2;
  return uint64_t((unsigned __int128)x * bits >> 64);
}

bool LayerHas(const BloomFilter::Layer& l, const ItemHash& h) {
  for (uint32_t i = 0; i < l.hashes; i++) {
    uint64_t p = Position(h, i, l.bits);
    if (!(l.words[p >> 6] & (uint64_t(1) << (p & 63)))) return false;
  }
  return true;
}

void LayerSet(BloomFilter::Layer& l, const ItemHash& h) {
  for (uint32_t i = 0; i < l.hashes; i++) {
    uint64_t p = Position(h, i, l.bits);
    l.words[p >> 6] |= uint64_t(1) << (p & 63);
  }
}

// Little-endian fixed-width fields of the serialized form.
void Put64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; i++) out->push_back(char((v >> (8 * i)) & 0xff));
}
void Put32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; i++) out->push_back(char((v >> (8 * i)) & 0xff));
}

struct Cursor {
  std::string_view d;
  size_t pos = 0;
  bool Get64(uint64_t* v) {
    if (d.size() - pos < 8) return false;
    *v = 0;
    for (int i = 7; i >= 0; i--) *v = (*v << 8) | uint8_t(d[pos + size_t(i)]);
    pos += 8;
    return true;
  }
  bool Get32(uint32_t* v) {
    if (d.size() - pos < 4) return false;
    *v = 0;
    for (int i = 3; i >= 0; i--) *v = (*v << 8) | uint8_t(d[pos + size_t(i)]);
    pos += 4;
    return true;
  }
  bool Get8(uint8_t* v) {
    if (pos >= d.size()) return false;
    *v = uint8_t(d[pos++]);
    return true;
  }
};

constexpr uint8_t kFormatVersion = 1;
constexpr uint32_t kMaxHashes = 1100;  // -ln(DBL_MIN)/ln2 is about 1022
constexpr size_t kMaxLayers = 4096;

}  // namespace

double BloomFilter::BitsPerItem(double error) { return -std::log(error) / (kLn2 * kLn2); }

uint32_t BloomFilter::HashCount(double error) {
  double k = std::ceil(-std::log(error) / kLn2);
  return k < 1 ? 1 : uint32_t(k);
}

std::unique_ptr<BloomFilter> BloomFilter::Create(double error, uint64_t capacity,
                                                 uint32_t expansion, bool nonscaling) {
  if (!(error > 0 && error < 1) || capacity == 0 || (!nonscaling && expansion == 0)) return nullptr;
  std::unique_ptr<BloomFilter> f(new BloomFilter());
  f->expansion_ = expansion;
  f->nonscaling_ = nonscaling;
  if (!f->AddLayer(capacity, nonscaling ? error : error * kTightening)) return nullptr;
  return f;
}

bool BloomFilter::AddLayer(uint64_t capacity, double error) {
  if (!(error > 0) || capacity == 0) return false;
  double want = std::ceil(double(capacity) * BitsPerItem(error));
  if (!(want <= double(kMaxLayerBits))) return false;
  uint64_t bits = uint64_t(want);
  if (bits == 0) bits = 1;
  bits = (bits + 63) & ~uint64_t(63);
  if (bits > kMaxLayerBits) return false;
  Layer l;
  l.capacity = capacity;
  l.error = error;
  l.hashes = HashCount(error);
  if (l.hashes > kMaxHashes) return false;
  l.bits = bits;
  l.words.reset(new (std::nothrow) uint64_t[bits / 64]());
  if (!l.words) return false;
  layers_.push_back(std::move(l));
  return true;
}

BloomFilter::AddResult BloomFilter::Add(std::string_view item) {
  ItemHash h = HashItem(item);
  for (const Layer& l : layers_)
    if (LayerHas(l, h)) return AddResult::kExists;
  Layer* cur = &layers_.back();
  if (cur->items >= cur->capacity) {
    if (nonscaling_) return AddResult::kFull;
    uint64_t cap = cur->capacity;
    if (cap > UINT64_MAX / expansion_) return AddResult::kTooLarge;
    if (layers_.size() >= kMaxLayers || !AddLayer(cap * expansion_, cur->error * kTightening))
      return AddResult::kTooLarge;
    cur = &layers_.back();
  }
  LayerSet(*cur, h);
  cur->items++;
  items_++;
  return AddResult::kAdded;
}

bool BloomFilter::Contains(std::string_view item) const {
  ItemHash h = HashItem(item);
  // Newest first: the largest layer holds most items.
  for (size_t i = layers_.size(); i-- > 0;)
    if (LayerHas(layers_[i], h)) return true;
  return false;
}

uint64_t BloomFilter::TotalCapacity() const {
  uint64_t c = 0;
  for (const Layer& l : layers_) c += l.capacity;
  return c;
}

size_t BloomFilter::InfoSize() const {
  size_t n = sizeof(*this);
  for (const Layer& l : layers_) n += sizeof(Layer) + l.bits / 8;
  return n;
}

size_t BloomFilter::MemoryUsage() const {
  return sizeof(*this) + layers_.capacity() * sizeof(Layer) + [&] {
    size_t b = 0;
    for (const Layer& l : layers_) b += l.bits / 8;
    return b;
  }();
}

std::unique_ptr<Object> BloomFilter::Clone() const {
  std::unique_ptr<BloomFilter> f(new BloomFilter());
  f->items_ = items_;
  f->expansion_ = expansion_;
  f->nonscaling_ = nonscaling_;
  f->layers_.reserve(layers_.size());
  for (const Layer& l : layers_) {
    Layer c;
    c.capacity = l.capacity;
    c.error = l.error;
    c.hashes = l.hashes;
    c.bits = l.bits;
    c.items = l.items;
    c.words.reset(new uint64_t[l.bits / 64]);
    memcpy(c.words.get(), l.words.get(), l.bits / 8);
    f->layers_.push_back(std::move(c));
  }
  return f;
}

// version u8, flags u8 (1 = non-scaling), expansion u32, layer count u32, then per layer:
// capacity u64, error (IEEE double bits) u64, hashes u32, bits u64, items u64, bits/8 bytes.
std::string BloomFilter::Serialize() const {
  std::string out;
  size_t total = 10;
  for (const Layer& l : layers_) total += 36 + l.bits / 8;
  out.reserve(total);
  out.push_back(char(kFormatVersion));
  out.push_back(char(nonscaling_ ? 1 : 0));
  Put32(&out, expansion_);
  Put32(&out, uint32_t(layers_.size()));
  for (const Layer& l : layers_) {
    Put64(&out, l.capacity);
    uint64_t e;
    memcpy(&e, &l.error, 8);
    Put64(&out, e);
    Put32(&out, l.hashes);
    Put64(&out, l.bits);
    Put64(&out, l.items);
    for (size_t w = 0; w < l.bits / 64; w++) Put64(&out, l.words[w]);
  }
  return out;
}

std::unique_ptr<BloomFilter> BloomFilter::Parse(std::string_view data) {
  Cursor c{data};
  uint8_t version, flags;
  uint32_t expansion, count;
  if (!c.Get8(&version) || version != kFormatVersion || !c.Get8(&flags) || flags > 1 ||
      !c.Get32(&expansion) || !c.Get32(&count))
    return nullptr;
  if (count == 0 || count > kMaxLayers || (flags == 0 && expansion == 0)) return nullptr;
  std::unique_ptr<BloomFilter> f(new BloomFilter());
  f->nonscaling_ = flags == 1;
  f->expansion_ = expansion;
  for (uint32_t i = 0; i < count; i++) {
    Layer l;
    uint64_t e;
    if (!c.Get64(&l.capacity) || !c.Get64(&e) || !c.Get32(&l.hashes) || !c.Get64(&l.bits) ||
        !c.Get64(&l.items))
      return nullptr;
    memcpy(&l.error, &e, 8);
    if (l.capacity == 0 || !(l.error > 0 && l.error < 1) || l.hashes == 0 ||
        l.hashes > kMaxHashes || l.bits == 0 || l.bits % 64 != 0 || l.bits > kMaxLayerBits ||
        l.items > l.capacity)
      return nullptr;
    if ((data.size() - c.pos) / 8 < l.bits / 64) return nullptr;
    l.words.reset(new (std::nothrow) uint64_t[l.bits / 64]);
    if (!l.words) return nullptr;
    for (size_t w = 0; w < l.bits / 64; w++) c.Get64(&l.words[w]);
    if (f->items_ > UINT64_MAX - l.items) return nullptr;
    f->items_ += l.items;
    f->layers_.push_back(std::move(l));
  }
  if (c.pos != data.size()) return nullptr;
  return f;
}

}  // namespace strata::kv
