// Object: a value that is not a plain string (hash, list, set, sorted set, stream, Bloom filter),
// owned by the keyspace Entry that points to it.
//
// Strings stay inside their Entry (one allocation, see entry.h); every other type lives in an
// Object of its own, reached through an 8-byte pointer in the entry. Each type implements this
// interface in src/kv/types/ and picks its encodings there (compact for small values, indexed
// for large ones), reporting Redis's encoding names so OBJECT ENCODING reads as in Redis.
//
// Thread ownership: an Object belongs to the shard thread that owns its entry, except while a
// large one is being freed in the background (engine/lazy_free.h), when nothing else refers to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace strata::kv {

// Redis's type numbers (OBJ_STRING ... OBJ_STREAM), so TYPE and persistence map one to one.
enum class ObjType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kModule = 5,  // a Bloom filter (types/bloom.h), RedisBloom's module type
  kStream = 6
};

// The TYPE reply for a type ("string", "list", ...).
const char* ObjTypeName(ObjType t);

class Object {
 public:
  virtual ~Object() = default;

  virtual ObjType type() const = 0;
  // OBJECT ENCODING: the name Redis would report for the same contents ("listpack", "hashtable",
  // "intset", "quicklist", "skiplist", "stream").
  virtual const char* Encoding() const = 0;
  // Number of elements (fields, members, entries). A container that reaches 0 is deleted by the
  // command that emptied it (streams excepted, as in Redis).
  virtual size_t Length() const = 0;
  // A deep copy (COPY, cross-shard RENAME), allocated by the calling thread.
  virtual std::unique_ptr<Object> Clone() const = 0;
  // Bytes this object holds in the allocator, excluding the entry (MEMORY USAGE). May be an
  // estimate for large objects, but must not drift far from what freeing it returns.
  virtual size_t MemoryUsage() const = 0;
  // Roughly how many allocations freeing this object takes: above kLazyFreeThreshold it is freed
  // on the background thread so the shard never stalls (Redis's lazyfreeGetFreeEffort).
  virtual size_t FreeEffort() const { return 1; }

  // Small objects may live inside their entry instead of a block of their own (entry.h), saving
  // an allocation per key, which is most of a small container's fixed cost. Such a type fits in
  // kEmbedBytes and is relocatable: EmbedInto move-constructs it at `dst` (kEmbedBytes, 8-byte
  // aligned) and MoveToHeap into a new heap block, both leaving *this empty (its destructor then
  // frees nothing). Only types that say Embeddable() implement them.
  virtual bool Embeddable() const { return false; }
  virtual Object* EmbedInto(void* dst) {
    (void)dst;
    return nullptr;
  }
  virtual std::unique_ptr<Object> MoveToHeap() { return nullptr; }

  static constexpr size_t kLazyFreeThreshold = 64;
  static constexpr size_t kEmbedBytes = 16;
};

}  // namespace strata::kv
