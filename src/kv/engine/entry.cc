#include "kv/engine/entry.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

#include "base/memory.h"
#include "kv/engine/lazy_free.h"

namespace strata::kv {

Entry* Entry::Create(std::string_view key, std::string_view value, int64_t expire_ms,
                     bool expire_slot, size_t value_reserve) {
  if (expire_ms >= 0) expire_slot = true;
  size_t vcap = value.size() > value_reserve ? value.size() : value_reserve;
  size_t fixed = kHeader + (expire_slot ? kExpireBytes : 0) + VarintLen(key.size()) + key.size() +
                 VarintLen(value.size());
  // Out of line when the two blocks are smaller than the one by at least an eighth.
  bool outside = false;
  if (vcap >= kMinOutOfLine) {
    size_t one = AllocationSize(fixed + vcap);
    size_t two = AllocationSize(fixed + sizeof(char*)) + AllocationSize(vcap);
    outside = two + one / 8 <= one;
  }
  char* ext = nullptr;
  if (outside) {
    ext = static_cast<char*>(malloc(vcap));
    if (!ext) throw std::bad_alloc();
  }
  void* mem = malloc(fixed + (outside ? sizeof(char*) : vcap));
  if (!mem) {
    free(ext);
    throw std::bad_alloc();
  }
  Entry* e = new (mem) Entry();
  e->flags = uint8_t((expire_slot ? kExpireSlot : 0) | (outside ? kOutOfLine : 0));
  uint8_t* p = reinterpret_cast<uint8_t*>(e->raw() + kHeader);
  if (expire_slot) {
    memset(p, 0, kExpireBytes);
    p += kExpireBytes;
  }
  p = WriteVarint(p, key.size());
  memcpy(p, key.data(), key.size());
  p += key.size();
  p = WriteVarint(p, value.size());
  if (outside) {
    memcpy(p, &ext, sizeof(ext));
    p = reinterpret_cast<uint8_t*>(ext);
  }
  if (!value.empty()) memcpy(p, value.data(), value.size());
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  return e;
}

Entry* Entry::NewObjectEntry(std::string_view key, ObjType type, int64_t expire_ms,
                             bool expire_slot, bool embed, uint8_t** value) {
  if (expire_ms >= 0) expire_slot = true;
  size_t prefix = kHeader + (expire_slot ? kExpireBytes : 0) + VarintLen(key.size()) + key.size();
  // malloc's blocks are 16-byte aligned, so aligning the offset aligns the address.
  size_t size =
      embed ? ((prefix + 7) & ~size_t(7)) + Object::kEmbedBytes : prefix + sizeof(Object*);
  void* mem = malloc(size);
  if (!mem) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->type = type;
  e->flags = uint8_t((expire_slot ? kExpireSlot : 0) | (embed ? kEmbedded : 0));
  uint8_t* p = reinterpret_cast<uint8_t*>(e->raw() + kHeader);
  if (expire_slot) {
    memset(p, 0, kExpireBytes);
    p += kExpireBytes;
  }
  p = WriteVarint(p, key.size());
  memcpy(p, key.data(), key.size());
  *value = embed ? e->EmbedArea() : p + key.size();
  if (expire_ms >= 0) e->set_expire_ms(expire_ms);
  return e;
}

Entry* Entry::CreateObject(std::string_view key, Object* obj, int64_t expire_ms, bool expire_slot) {
  uint8_t* value;
  Entry* e = NewObjectEntry(key, obj->type(), expire_ms, expire_slot, obj->Embeddable(), &value);
  if (e->embedded()) {
    obj->EmbedInto(value);
    delete obj;  // emptied by the move
  } else {
    memcpy(value, &obj, sizeof(obj));
  }
  return e;
}

Object* Entry::TakeObject() {
  Object* o = object();
  if (embedded()) return o->MoveToHeap().release();
  Object* none = nullptr;
  memcpy(const_cast<uint8_t*>(ValueHeader()), &none, sizeof(none));
  return o;
}

void Entry::Destroy(Entry* e) {
  if (e->embedded()) {
    Object* o = e->object();
    if (o->FreeEffort() > Object::kLazyFreeThreshold) {
      FreeObject(o->MoveToHeap().release());
    } else {
      o->~Object();
      e->flags &= uint8_t(~kEmbedded);  // nothing left for DestroyShell to destroy
    }
  } else if (e->is_object()) {
    FreeObject(e->object());
  }
  DestroyShell(e);
}

void Entry::DestroyShell(Entry* e) {
  if (e->embedded()) {
    e->object()->~Object();  // emptied by Rebuild or TakeObject: owns nothing
  } else if (!e->is_object() && e->out_of_line()) {
    free(e->mutable_value());
  }
  e->~Entry();
  free(e);
}

Entry* Entry::Rebuild(Entry* e, bool expire_slot) {
  int64_t expire_ms = e->has_expire() ? e->expire_ms() : -1;
  Entry* n;
  if (e->embedded()) {
    uint8_t* value;
    n = NewObjectEntry(e->key(), e->type, expire_ms, expire_slot, true, &value);
    e->object()->EmbedInto(value);
  } else if (e->is_object()) {
    n = CreateObject(e->key(), e->object(), expire_ms, expire_slot);
  } else {
    n = Create(e->key(), e->value(), expire_ms, expire_slot);
  }
  n->meta = e->meta;
  n->flags |= uint8_t(e->flags & (kRaw | kNoIntEncoding | kFetched));
  return n;
}

size_t Entry::ValueCapacity() const {
  const uint8_t* p = ValueHeader();
  ReadVarint(&p);
  if (out_of_line()) return malloc_usable_size(const_cast<char*>(ValueBytes(p)));
  size_t offset = size_t(reinterpret_cast<const char*>(p) - raw());
  return malloc_usable_size(const_cast<char*>(raw())) - offset;
}

bool Entry::CanResizeInPlace(size_t new_len) const {
  return VarintLen(new_len) == VarintLen(value().size()) && new_len <= ValueCapacity();
}

void Entry::ResizeInPlace(size_t new_len) {
  uint8_t* p = const_cast<uint8_t*>(ValueHeader());
  WriteVarint(p, new_len);
}

size_t Entry::AllocatedSize() const {
  size_t n = malloc_usable_size(const_cast<char*>(raw()));
  if (is_object()) {
    n += object()->MemoryUsage();
    // MemoryUsage counts the object's own block, which for an embedded object is the entry's.
    if (embedded()) n -= AllocationSize(Object::kEmbedBytes);
  } else if (out_of_line()) {
    n += malloc_usable_size(const_cast<char*>(value().data()));
  }
  return n;
}

}  // namespace strata::kv
