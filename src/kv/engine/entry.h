// Entry: one keyspace entry, stored as a single allocation (two for some large values).
//
//   offset 0   Entry*   next      bucket chain of the owning DbTable
//   offset 8   uint32   meta      eviction-policy word (LRU clock, LFU counter, ...)
//   offset 12  uint8    type      ObjType
//   offset 13  uint8    flags     kExpireSlot, kHasExpire, kRaw, kNoIntEncoding, kOutOfLine
//   offset 14  [int64 expire_ms, uint32 volatile_index]   only with kExpireSlot
//              varint key length, key bytes, then for strings: varint value length, then
//              either the value bytes or (kOutOfLine) an 8-byte pointer to them in an
//              allocation of their own; for every other type: an 8-byte Object* (object.h),
//              or (kEmbedded) the object itself, 8-byte aligned, when it is small enough
//
// A 16-byte key with a 32-byte string value is exactly 64 bytes (a jemalloc size class), against
// ~136 bytes per key in Redis 7.0 (dictEntry + sds key + robj + bucket share). Values live inline
// unless that lands the entry just past a size class: above 1 KB the classes are a quarter apart,
// so a 1,000-byte value with its key (1,027 bytes) would take a 1,280-byte block, while the entry
// (48) and the value (1,024) in blocks of their own take 1,072. Create() picks the layout whose
// blocks are smaller by at least an eighth (kOutOfLine); small values always stay inline.
// APPEND/SETRANGE grow the value geometrically so repeated appends stay amortised O(1). Entries
// are created, modified and destroyed only by their shard's thread. Destroying an entry whose
// Object is large hands the object to the background freer (lazy_free.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>

#include "kv/engine/object.h"

namespace strata::kv {

class Entry {
 public:
  static constexpr uint8_t kExpireSlot = 1;     // room for expire + volatile index is present
  static constexpr uint8_t kHasExpire = 2;      // the key has a TTL
  static constexpr uint8_t kRaw = 4;            // OBJECT ENCODING reports "raw" (after APPEND etc.)
  static constexpr uint8_t kNoIntEncoding = 8;  // numeric text kept as a string (INCRBYFLOAT)
  static constexpr uint8_t kOutOfLine = 16;     // the value bytes are in their own allocation
  static constexpr uint8_t kEmbedded = 32;      // the Object lives inside the entry
  static constexpr uint8_t kFetched = 64;       // read over memcached since stored (mg flag h)
  // Values shorter than this always stay inline (one allocation, one cache miss per read).
  static constexpr size_t kMinOutOfLine = 512;
  static constexpr size_t kHeader = 14;
  static constexpr size_t kExpireBytes = 12;

  // Allocates an entry. With expire_ms >= 0 the entry has a TTL. `value_reserve` asks for room
  // to grow the value in place (APPEND).
  static Entry* Create(std::string_view key, std::string_view value, int64_t expire_ms,
                       bool expire_slot, size_t value_reserve = 0);
  // Allocates an entry for a non-string value; the entry owns `obj` from now on. An object that
  // can be embedded (Object::EmbedInto) is moved into the entry and the heap block freed, so
  // callers must fetch the object again through object() afterwards.
  static Entry* CreateObject(std::string_view key, Object* obj, int64_t expire_ms,
                             bool expire_slot);
  // Frees the entry and its value (a large Object in the background).
  static void Destroy(Entry* e);
  // A new entry with the same key, value (the same Object: ownership moves; an embedded object
  // moves to the new entry's memory), flags, TTL and policy word, with an expire slot if
  // `expire_slot`. The old entry must then be released with DestroyShell.
  static Entry* Rebuild(Entry* e, bool expire_slot);
  // Frees the entry and a string's bytes, but not an Object (after Rebuild, or when the object
  // moved on with TakeObject).
  static void DestroyShell(Entry* e);

  Entry* next = nullptr;
  uint32_t meta = 0;
  ObjType type = ObjType::kString;
  uint8_t flags = 0;

  std::string_view key() const {
    const uint8_t* p = body();
    size_t len = ReadVarint(&p);
    return {reinterpret_cast<const char*>(p), len};
  }
  bool is_object() const { return type != ObjType::kString; }
  // The value of a non-string entry.
  Object* object() const {
    if (flags & kEmbedded) return std::launder(reinterpret_cast<Object*>(EmbedArea()));
    Object* o;
    memcpy(&o, ValueHeader(), sizeof(o));
    return o;
  }
  template <typename T>
  T* object_as() const {
    return static_cast<T*>(object());
  }
  bool embedded() const { return flags & kEmbedded; }
  // Takes the object out of the entry as a heap object the caller owns (an embedded one is moved
  // to a block of its own). The emptied entry must then be released with DestroyShell.
  Object* TakeObject();
  // The bytes of a string entry.
  std::string_view value() const {
    const uint8_t* p = ValueHeader();
    size_t len = ReadVarint(&p);
    return {ValueBytes(p), len};
  }
  // Writable value bytes (same length as value()).
  char* mutable_value() {
    const uint8_t* p = ValueHeader();
    ReadVarint(&p);
    return const_cast<char*>(ValueBytes(p));
  }
  bool out_of_line() const { return flags & kOutOfLine; }
  // Bytes available for the value in this allocation (>= value().size()).
  size_t ValueCapacity() const;
  // Changes the stored value length in place; requires new_len <= ValueCapacity() and the same
  // varint width as the current length (see CanResizeInPlace).
  bool CanResizeInPlace(size_t new_len) const;
  void ResizeInPlace(size_t new_len);

  bool has_expire() const { return flags & kHasExpire; }
  bool has_expire_slot() const { return flags & kExpireSlot; }
  int64_t expire_ms() const {
    int64_t v;
    memcpy(&v, raw() + kHeader, 8);
    return v;
  }
  // Requires has_expire_slot().
  void set_expire_ms(int64_t ms) {
    memcpy(raw() + kHeader, &ms, 8);
    flags |= kHasExpire;
  }
  void clear_expire() { flags &= uint8_t(~kHasExpire); }
  uint32_t volatile_index() const {
    uint32_t v;
    memcpy(&v, raw() + kHeader + 8, 4);
    return v;
  }
  void set_volatile_index(uint32_t i) { memcpy(raw() + kHeader + 8, &i, 4); }

  // Total bytes of the allocation (allocator size class), for MEMORY USAGE.
  size_t AllocatedSize() const;

  static size_t VarintLen(size_t v) {
    size_t n = 1;
    while (v >= 0x80) {
      v >>= 7;
      n++;
    }
    return n;
  }

 private:
  Entry() = default;
  char* raw() { return reinterpret_cast<char*>(this); }
  const char* raw() const { return reinterpret_cast<const char*>(this); }
  const uint8_t* body() const {
    return reinterpret_cast<const uint8_t*>(raw() + kHeader +
                                            ((flags & kExpireSlot) ? kExpireBytes : 0));
  }
  const uint8_t* ValueHeader() const {
    const uint8_t* p = body();
    size_t klen = ReadVarint(&p);
    return p + klen;
  }
  // Where an embedded object lives: the first 8-byte boundary after the key.
  uint8_t* EmbedArea() const {
    uintptr_t at = reinterpret_cast<uintptr_t>(ValueHeader());
    return reinterpret_cast<uint8_t*>((at + 7) & ~uintptr_t(7));
  }
  // Allocates an entry for an object (embedded or by pointer) and returns where the value goes.
  static Entry* NewObjectEntry(std::string_view key, ObjType type, int64_t expire_ms,
                               bool expire_slot, bool embed, uint8_t** value);
  // The value bytes, given the position just after the value's length varint.
  const char* ValueBytes(const uint8_t* p) const {
    if (!(flags & kOutOfLine)) return reinterpret_cast<const char*>(p);
    const char* ext;
    memcpy(&ext, p, sizeof(ext));
    return ext;
  }
  static size_t ReadVarint(const uint8_t** p) {
    size_t v = 0;
    int shift = 0;
    for (;;) {
      uint8_t b = **p;
      (*p)++;
      v |= size_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7;
    }
  }
  static uint8_t* WriteVarint(uint8_t* p, size_t v) {
    while (v >= 0x80) {
      *p++ = uint8_t(v | 0x80);
      v >>= 7;
    }
    *p++ = uint8_t(v);
    return p;
  }
  friend class EntryTest;
};

static_assert(sizeof(Entry) == 16);

}  // namespace strata::kv
