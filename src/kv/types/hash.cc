#include "kv/types/hash.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/hash.h"
#include "base/memory.h"

namespace strata::kv {
namespace {

constexpr uint64_t kFieldSeed = 0x9e3779b97f4a7c15ull;

inline uint64_t FieldHash(std::string_view f) { return HashKey(f, kFieldSeed); }

size_t VarintLen(size_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

uint8_t* PutVarint(uint8_t* p, size_t v) {
  while (v >= 0x80) {
    *p++ = uint8_t(v | 0x80);
    v >>= 7;
  }
  *p++ = uint8_t(v);
  return p;
}

size_t GetVarint(const uint8_t** p) {
  size_t v = 0;
  int shift = 0;
  for (;;) {
    uint8_t b = *(*p)++;
    v |= size_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
    shift += 7;
  }
}

// ---- Packed block ----

struct PackedHeader {
  uint32_t bytes;  // payload bytes after the header
  uint32_t count;  // pairs
};
constexpr size_t kHeader = sizeof(PackedHeader);

PackedHeader* Hdr(uint8_t* b) { return reinterpret_cast<PackedHeader*>(b); }

// Reads the pair at p; returns the position after it.
const uint8_t* ReadPair(const uint8_t* p, std::string_view* f, std::string_view* v) {
  size_t fl = GetVarint(&p);
  *f = {reinterpret_cast<const char*>(p), fl};
  p += fl;
  size_t vl = GetVarint(&p);
  *v = {reinterpret_cast<const char*>(p), vl};
  return p + vl;
}

size_t PairBytes(std::string_view f, std::string_view v) {
  return VarintLen(f.size()) + f.size() + VarintLen(v.size()) + v.size();
}

uint8_t* WritePair(uint8_t* p, std::string_view f, std::string_view v) {
  p = PutVarint(p, f.size());
  memcpy(p, f.data(), f.size());
  p += f.size();
  p = PutVarint(p, v.size());
  memcpy(p, v.data(), v.size());
  return p + v.size();
}

// ---- Table nodes: [Node* next][varint flen][varint vlen][field][value] ----

struct Node {
  Node* next;
  // followed by the varints and bytes
  const uint8_t* body() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  std::string_view field() const {
    const uint8_t* p = body();
    size_t fl = GetVarint(&p);
    GetVarint(&p);
    return {reinterpret_cast<const char*>(p), fl};
  }
  void Pair(std::string_view* f, std::string_view* v) const {
    const uint8_t* p = body();
    size_t fl = GetVarint(&p);
    size_t vl = GetVarint(&p);
    *f = {reinterpret_cast<const char*>(p), fl};
    *v = {reinterpret_cast<const char*>(p) + fl, vl};
  }
};

size_t NodeSize(std::string_view f, std::string_view v) {
  return sizeof(Node) + VarintLen(f.size()) + VarintLen(v.size()) + f.size() + v.size();
}

Node* NewNode(std::string_view f, std::string_view v, size_t* alloc) {
  size_t n = NodeSize(f, v);
  *alloc = AllocationSize(n);
  Node* node = static_cast<Node*>(malloc(*alloc));
  node->next = nullptr;
  uint8_t* p = reinterpret_cast<uint8_t*>(node + 1);
  p = PutVarint(p, f.size());
  p = PutVarint(p, v.size());
  memcpy(p, f.data(), f.size());
  memcpy(p + f.size(), v.data(), v.size());
  return node;
}

size_t NodeAlloc(const Node* n) {
  std::string_view f, v;
  n->Pair(&f, &v);
  return AllocationSize(NodeSize(f, v));
}

uint64_t Rev(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
  v = ((v >> 8) & 0x00ff00ff00ff00ffull) | ((v & 0x00ff00ff00ff00ffull) << 8);
  v = ((v >> 16) & 0x0000ffff0000ffffull) | ((v & 0x0000ffff0000ffffull) << 16);
  return (v >> 32) | (v << 32);
}

constexpr size_t kMinBuckets = 4;

}  // namespace

// Two bucket arrays: t[0] the current one, t[1] the target of an incremental resize.
struct HashObject::Table {
  Node** b[2] = {nullptr, nullptr};
  size_t size[2] = {0, 0};
  size_t used[2] = {0, 0};
  int64_t rehash = -1;    // next bucket of b[0] to move; -1 when not resizing
  size_t node_bytes = 0;  // allocator bytes held by the nodes

  ~Table() {
    for (int t = 0; t < 2; t++) {
      for (size_t i = 0; i < size[t]; i++) {
        Node* n = b[t][i];
        while (n) {
          Node* next = n->next;
          free(n);
          n = next;
        }
      }
      free(b[t]);
    }
  }

  size_t Count() const { return used[0] + used[1]; }
  bool rehashing() const { return rehash >= 0; }

  static Node** NewBuckets(size_t n) { return static_cast<Node**>(calloc(n, sizeof(Node*))); }

  void StartResize(size_t want) {
    size_t n = kMinBuckets;
    while (n < want) n *= 2;
    if (size[0] == 0) {
      b[0] = NewBuckets(n);
      size[0] = n;
      return;
    }
    if (n == size[0]) return;
    b[1] = NewBuckets(n);
    size[1] = n;
    rehash = 0;
  }

  // Moves up to n buckets of b[0] into b[1] (visiting at most 10n empty ones).
  void RehashStep(size_t n) {
    if (!rehashing()) return;
    size_t empty_visits = n * 10;
    while (n-- && used[0] > 0) {
      while (b[0][rehash] == nullptr) {
        rehash++;
        if (--empty_visits == 0) return;
      }
      Node* node = b[0][rehash];
      while (node) {
        Node* next = node->next;
        size_t i = FieldHash(node->field()) & (size[1] - 1);
        node->next = b[1][i];
        b[1][i] = node;
        used[0]--;
        used[1]++;
        node = next;
      }
      b[0][rehash] = nullptr;
      rehash++;
    }
    if (used[0] == 0) {
      free(b[0]);
      b[0] = b[1];
      size[0] = size[1];
      used[0] = used[1];
      b[1] = nullptr;
      size[1] = 0;
      used[1] = 0;
      rehash = -1;
      MaybeShrink();  // a table emptied while it was resizing shrinks further
    }
  }

  // The link to the node holding field, or nullptr.
  Node** FindLink(std::string_view field, uint64_t h) {
    for (int t = 0; t < 2; t++) {
      if (size[t] == 0) break;
      Node** link = &b[t][h & (size[t] - 1)];
      while (*link) {
        if ((*link)->field() == field) return link;
        link = &(*link)->next;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  void InsertNew(Node* node, uint64_t h) {
    if (!rehashing() && Count() >= size[0]) StartResize(Count() + 1);
    int t = rehashing() ? 1 : 0;
    size_t i = h & (size[t] - 1);
    node->next = b[t][i];
    b[t][i] = node;
    used[t]++;
  }

  // Unlinks *link (in table t) and frees the node.
  void Remove(Node** link, int t) {
    Node* n = *link;
    *link = n->next;
    used[t]--;
    node_bytes -= NodeAlloc(n);
    free(n);
  }

  void MaybeShrink() {
    if (rehashing() || size[0] <= kMinBuckets) return;
    if (used[0] * 10 < size[0]) StartResize(used[0]);
  }

  template <typename F>
  void ForEachNode(F&& fn) const {
    for (int t = 0; t < 2; t++)
      for (size_t i = 0; i < size[t]; i++)
        for (Node* n = b[t][i]; n; n = n->next) fn(n);
  }
};

HashObject::~HashObject() {
  if (packed())
    free(buf());
  else
    delete table();
}

size_t HashObject::Length() const {
  if (packed()) return buf() ? Hdr(buf())->count : 0;
  return table()->Count();
}

size_t HashObject::FreeEffort() const { return packed() ? 1 : table()->Count(); }

size_t HashObject::MemoryUsage() const {
  size_t total = AllocationSize(sizeof(HashObject));
  if (packed()) {
    if (buf()) total += AllocationSize(kHeader + Hdr(buf())->bytes);
    return total;
  }
  const Table* t = table();
  total += AllocationSize(sizeof(Table)) + t->node_bytes;
  for (int i = 0; i < 2; i++)
    if (t->size[i]) total += AllocationSize(t->size[i] * sizeof(Node*));
  return total;
}

size_t HashObject::BucketCount() const {
  if (packed()) return 0;
  return table()->size[0] + table()->size[1];
}

bool HashObject::Rehashing() const { return !packed() && table()->rehashing(); }

std::unique_ptr<Object> HashObject::Clone() const {
  auto c = std::make_unique<HashObject>();
  if (packed()) {
    if (buf()) {
      size_t n = AllocationSize(kHeader + Hdr(buf())->bytes);
      uint8_t* copy = static_cast<uint8_t*>(malloc(n));
      memcpy(copy, buf(), kHeader + Hdr(buf())->bytes);
      c->bits_ = reinterpret_cast<uintptr_t>(copy);
    }
    return c;
  }
  Table* t = new Table;
  t->StartResize(table()->Count());
  table()->ForEachNode([t](const Node* n) {
    std::string_view f, v;
    n->Pair(&f, &v);
    size_t alloc;
    Node* copy = NewNode(f, v, &alloc);
    t->node_bytes += alloc;
    t->InsertNew(copy, FieldHash(f));
  });
  c->bits_ = reinterpret_cast<uintptr_t>(t) | kTableTag;
  return c;
}

void HashObject::ConvertToTable() {
  if (!packed()) return;
  Table* t = new Table;
  uint8_t* b = buf();
  if (b) {
    t->StartResize(Hdr(b)->count);
    const uint8_t* p = b + kHeader;
    const uint8_t* end = p + Hdr(b)->bytes;
    while (p < end) {
      std::string_view f, v;
      p = ReadPair(p, &f, &v);
      size_t alloc;
      Node* n = NewNode(f, v, &alloc);
      t->node_bytes += alloc;
      t->InsertNew(n, FieldHash(f));
    }
    free(b);
  }
  bits_ = reinterpret_cast<uintptr_t>(t) | kTableTag;
}

// ---- Packed operations ----

uint8_t* HashObject::PackedFind(std::string_view field, std::string_view* value) const {
  uint8_t* b = buf();
  if (!b) return nullptr;
  uint8_t* p = b + kHeader;
  const uint8_t* end = p + Hdr(b)->bytes;
  while (p < end) {
    std::string_view f, v;
    const uint8_t* next = ReadPair(p, &f, &v);
    if (f == field) {
      *value = v;
      return p;
    }
    p = const_cast<uint8_t*>(next);
  }
  return nullptr;
}

// Reallocates the block for a payload of new_bytes (the header is updated by the caller); keeps
// the block at exactly the size class it needs.
void HashObject::PackedResize(uint32_t old_bytes, uint32_t new_bytes) {
  uint8_t* b = buf();
  size_t old_alloc = b ? AllocationSize(kHeader + old_bytes) : 0;
  size_t want = AllocationSize(kHeader + new_bytes);
  if (b && want == old_alloc) return;
  uint8_t* nb = static_cast<uint8_t*>(realloc(b, want));
  if (!b) {
    Hdr(nb)->bytes = 0;
    Hdr(nb)->count = 0;
  }
  bits_ = reinterpret_cast<uintptr_t>(nb);
}

bool HashObject::PackedSet(std::string_view field, std::string_view value) {
  std::string_view old;
  if (uint8_t* at = PackedFind(field, &old)) {
    uint8_t* b = buf();
    size_t off = size_t(at - b);
    size_t old_pair = PairBytes(field, old), new_pair = PairBytes(field, value);
    uint32_t bytes = Hdr(b)->bytes;
    size_t tail_off = off + old_pair;
    size_t tail = kHeader + bytes - tail_off;
    uint32_t new_bytes = uint32_t(bytes - old_pair + new_pair);
    if (new_pair > old_pair) {
      PackedResize(bytes, new_bytes);
      b = buf();
    }
    memmove(b + off + new_pair, b + tail_off, tail);
    WritePair(b + off, field, value);
    Hdr(b)->bytes = new_bytes;
    if (new_pair < old_pair) PackedResize(bytes, new_bytes);
    return false;
  }
  uint32_t bytes = buf() ? Hdr(buf())->bytes : 0;
  uint32_t new_bytes = uint32_t(bytes + PairBytes(field, value));
  PackedResize(bytes, new_bytes);
  uint8_t* b = buf();
  WritePair(b + kHeader + bytes, field, value);
  Hdr(b)->bytes = new_bytes;
  Hdr(b)->count++;
  return true;
}

bool HashObject::PackedDelete(std::string_view field) {
  std::string_view v;
  uint8_t* at = PackedFind(field, &v);
  if (!at) return false;
  uint8_t* b = buf();
  size_t pair = PairBytes(field, v);
  size_t off = size_t(at - b);
  uint32_t bytes = Hdr(b)->bytes;
  memmove(at, at + pair, kHeader + bytes - off - pair);
  uint32_t new_bytes = uint32_t(bytes - pair);
  Hdr(b)->count--;
  if (Hdr(b)->count == 0) {
    free(b);
    bits_ = 0;
    return true;
  }
  Hdr(b)->bytes = new_bytes;
  PackedResize(bytes, new_bytes);
  return true;
}

// ---- Public operations ----

bool HashObject::Get(std::string_view field, std::string_view* value) {
  if (packed()) return PackedFind(field, value) != nullptr;
  Table* t = table();
  t->RehashStep(1);
  if (t->size[0] == 0) return false;
  Node** link = t->FindLink(field, FieldHash(field));
  if (!link) return false;
  std::string_view f;
  (*link)->Pair(&f, value);
  return true;
}

bool HashObject::Set(std::string_view field, std::string_view value, const Limits& limits) {
  if (packed()) {
    if (field.size() > limits.max_value || value.size() > limits.max_value) {
      ConvertToTable();
    } else {
      bool added = PackedSet(field, value);
      if (Hdr(buf())->count > limits.max_entries) ConvertToTable();
      return added;
    }
  }
  Table* t = table();
  t->RehashStep(1);
  uint64_t h = FieldHash(field);
  size_t alloc;
  Node* n = NewNode(field, value, &alloc);
  t->node_bytes += alloc;
  if (t->size[0]) {
    if (Node** link = t->FindLink(field, h)) {
      Node* old = *link;
      n->next = old->next;
      *link = n;
      t->node_bytes -= NodeAlloc(old);
      free(old);
      return false;
    }
  }
  t->InsertNew(n, h);
  return true;
}

bool HashObject::Delete(std::string_view field) {
  if (packed()) return PackedDelete(field);
  Table* t = table();
  t->RehashStep(1);
  if (t->size[0] == 0) return false;
  uint64_t h = FieldHash(field);
  for (int i = 0; i < 2; i++) {
    if (t->size[i] == 0) break;
    Node** link = &t->b[i][h & (t->size[i] - 1)];
    while (*link) {
      if ((*link)->field() == field) {
        t->Remove(link, i);
        t->MaybeShrink();
        return true;
      }
      link = &(*link)->next;
    }
    if (!t->rehashing()) break;
  }
  return false;
}

void HashObject::ForEach(const PairFn& fn) const {
  if (packed()) {
    uint8_t* b = buf();
    if (!b) return;
    const uint8_t* p = b + kHeader;
    const uint8_t* end = p + Hdr(b)->bytes;
    while (p < end) {
      std::string_view f, v;
      p = ReadPair(p, &f, &v);
      fn(f, v);
    }
    return;
  }
  table()->ForEachNode([&fn](const Node* n) {
    std::string_view f, v;
    n->Pair(&f, &v);
    fn(f, v);
  });
}

std::pair<std::string_view, std::string_view> HashObject::RandomPair(std::mt19937_64& rng) const {
  std::string_view f, v;
  if (packed()) {
    uint8_t* b = buf();
    size_t k = rng() % Hdr(b)->count;
    const uint8_t* p = b + kHeader;
    for (size_t i = 0; i <= k; i++) p = ReadPair(p, &f, &v);
    return {f, v};
  }
  const Table* t = table();
  // Buckets of b[0] below the resize position are empty: draw from the rest of both arrays.
  size_t start = t->rehashing() ? size_t(t->rehash) : 0;
  size_t slots = t->size[0] + t->size[1] - start;
  const Node* head;
  do {
    size_t i = start + rng() % slots;
    head = i < t->size[0] ? t->b[0][i] : t->b[1][i - t->size[0]];
  } while (!head);
  size_t len = 0;
  for (const Node* n = head; n; n = n->next) len++;
  size_t k = rng() % len;
  while (k--) head = head->next;
  head->Pair(&f, &v);
  return {f, v};
}

uint64_t HashObject::Scan(uint64_t cursor, const PairFn& fn) const {
  if (packed()) {
    ForEach(fn);
    return 0;
  }
  const Table* t = table();
  if (t->Count() == 0) return 0;
  auto visit = [&fn](const Node* n) {
    for (; n; n = n->next) {
      std::string_view f, v;
      n->Pair(&f, &v);
      fn(f, v);
    }
  };
  uint64_t v = cursor;
  if (!t->rehashing()) {
    uint64_t m0 = t->size[0] - 1;
    visit(t->b[0][v & m0]);
    v |= ~m0;
    return Rev(Rev(v) + 1);
  }
  int small = t->size[0] <= t->size[1] ? 0 : 1, large = 1 - small;
  uint64_t m0 = t->size[small] - 1, m1 = t->size[large] - 1;
  visit(t->b[small][v & m0]);
  // Then every bucket of the larger array that expands the smaller one's bucket.
  do {
    visit(t->b[large][v & m1]);
    v |= ~m1;
    v = Rev(Rev(v) + 1);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace strata::kv
