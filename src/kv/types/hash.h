// HashObject: the value of a hash key (HSET/HGET ...), in one of two encodings.
//
// Packed ("listpack" in OBJECT ENCODING): one heap block holding an 8-byte header (payload bytes,
// pair count) and the pairs back to back, each as varint field length, field, varint value length,
// value, in insertion order. Lookups are linear scans; the block is always exactly the allocator
// size class its contents need, so small hashes carry no slack.
//
// Table ("hashtable"): a chained hash table whose nodes are single allocations laid out as
// next pointer, varint field length, varint value length, field bytes, value bytes (no separate
// key/value strings, no per-node object headers). The bucket array is a power of two and is
// resized incrementally, as Redis's dict: while a resize is in progress both arrays are live and
// every operation moves one bucket, so growing a million-field hash never stalls its shard. The
// reverse-binary cursor of Scan() returns every field present for the whole scan at least once
// even if the table grows or shrinks between calls; RandomPair() picks a random bucket and a
// random node in its chain.
//
// A hash starts packed and becomes a table for good once it holds more than max_entries pairs or
// a field or value longer than max_value bytes (Limits, from the server's configuration).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <string_view>
#include <utility>

#include "kv/engine/object.h"

namespace strata::kv {

class HashObject final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kHash;

  struct Limits {
    size_t max_entries = 512;  // hash-max-listpack-entries
    size_t max_value = 64;     // hash-max-listpack-value
  };

  using PairFn = std::function<void(std::string_view field, std::string_view value)>;

  HashObject() = default;
  ~HashObject() override;
  HashObject(const HashObject&) = delete;
  HashObject& operator=(const HashObject&) = delete;
  // Takes o's contents, leaving o empty (entries embed hashes, see Object::EmbedInto).
  HashObject(HashObject&& o) noexcept : bits_(o.bits_) { o.bits_ = 0; }

  ObjType type() const override { return kType; }
  const char* Encoding() const override { return packed() ? "listpack" : "hashtable"; }
  size_t Length() const override;
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override;
  bool Embeddable() const override { return true; }
  Object* EmbedInto(void* dst) override { return new (dst) HashObject(std::move(*this)); }
  std::unique_ptr<Object> MoveToHeap() override {
    return std::make_unique<HashObject>(std::move(*this));
  }

  bool packed() const { return !(bits_ & kTableTag); }

  // Converts a packed hash to the table encoding (no-op if it already is one).
  void ConvertToTable();
  // Converts to the table encoding if `s` is longer than limits.max_value (checked by the write
  // commands on all their arguments before they change anything, as Redis does).
  void ConvertIfTooLong(std::string_view s, const Limits& limits) {
    if (packed() && s.size() > limits.max_value) ConvertToTable();
  }

  // The value of `field`, or false. The view stays valid until the hash is next modified.
  bool Get(std::string_view field, std::string_view* value);
  bool Exists(std::string_view field) {
    std::string_view v;
    return Get(field, &v);
  }
  // Sets field to value; true if the field is new. Converts to the table encoding when the pair
  // does not fit the packed limits.
  bool Set(std::string_view field, std::string_view value, const Limits& limits);
  // Removes field; true if it was present.
  bool Delete(std::string_view field);

  // Calls fn for every pair (packed: in insertion order). No modification during the walk.
  void ForEach(const PairFn& fn) const;
  // A random pair (the hash must not be empty). Views valid until the next modification.
  std::pair<std::string_view, std::string_view> RandomPair(std::mt19937_64& rng) const;
  // One HSCAN step from `cursor` (0 = start): visits one bucket (and, during a resize, the
  // buckets of the larger array it maps to) and returns the next cursor, 0 when done. A packed
  // hash is visited whole and returns 0.
  uint64_t Scan(uint64_t cursor, const PairFn& fn) const;

  // Table internals, exposed for tests: bucket slots in use (both arrays) and whether an
  // incremental resize is in progress.
  size_t BucketCount() const;
  bool Rehashing() const;

 private:
  struct Table;
  static constexpr uintptr_t kTableTag = 1;

  // Packed block: header then pairs.
  uint8_t* buf() const { return reinterpret_cast<uint8_t*>(bits_); }
  Table* table() const { return reinterpret_cast<Table*>(bits_ & ~kTableTag); }
  uint8_t* PackedFind(std::string_view field, std::string_view* value) const;
  bool PackedSet(std::string_view field, std::string_view value);
  bool PackedDelete(std::string_view field);
  void PackedResize(uint32_t old_bytes, uint32_t new_bytes);

  // Tagged pointer: a packed block (nullptr while empty) or a Table* | kTableTag.
  uintptr_t bits_ = 0;
};

static_assert(sizeof(HashObject) <= Object::kEmbedBytes && alignof(HashObject) <= 8);

}  // namespace strata::kv
