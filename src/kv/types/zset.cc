#include "kv/types/zset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/hash.h"
#include "base/memory.h"

namespace strata::kv {

bool ParseLexBound(std::string_view s, ZLexBound* out) {
  if (s.empty()) return false;
  if (s.size() == 1 && s[0] == '-') {
    *out = {ZLexBound::kNegInf, false, {}};
    return true;
  }
  if (s.size() == 1 && s[0] == '+') {
    *out = {ZLexBound::kPosInf, false, {}};
    return true;
  }
  if (s[0] != '[' && s[0] != '(') return false;
  *out = {ZLexBound::kValue, s[0] == '(', s.substr(1)};
  return true;
}

namespace {

// ---- Ordering predicates ----

inline int CmpKey(double as, std::string_view am, double bs, std::string_view bm) {
  if (as < bs) return -1;
  if (as > bs) return 1;
  int c = am.compare(bm);
  return c < 0 ? -1 : c > 0;
}

// True while a member is ordered before the range's lower end.
inline bool BelowMin(double s, const ZScoreRange& r) { return r.minex ? s <= r.min : s < r.min; }
inline bool UpToMax(double s, const ZScoreRange& r) { return r.maxex ? s < r.max : s <= r.max; }
inline bool BelowMin(std::string_view m, const ZLexBound& b) {
  switch (b.kind) {
    case ZLexBound::kNegInf:
      return false;
    case ZLexBound::kPosInf:
      return true;
    default:
      return b.excl ? m <= b.value : m < b.value;
  }
}
inline bool UpToMax(std::string_view m, const ZLexBound& b) {
  switch (b.kind) {
    case ZLexBound::kNegInf:
      return false;
    case ZLexBound::kPosInf:
      return true;
    default:
      return b.excl ? m < b.value : m <= b.value;
  }
}

// ---- Member blobs and references ----
//
// A blob is [double score][bytes] for members under 255 bytes, [double score][uint32 len][bytes]
// otherwise. A Ref packs the blob pointer (low 48 bits), the member length or 255 (8 bits) and
// an 8-bit tag from the member's hash (top 8 bits), so probes rarely touch non-matching blobs.
using Ref = uint64_t;
constexpr uint64_t kPtrMask = (uint64_t(1) << 48) - 1;
constexpr uint32_t kLongLen = 255;

inline char* RefPtr(Ref r) { return reinterpret_cast<char*>(r & kPtrMask); }
inline uint32_t RefLen8(Ref r) { return uint32_t(r >> 48) & 0xff; }
inline uint8_t RefTag(Ref r) { return uint8_t(r >> 56); }
inline uint8_t HashTag(uint64_t h) { return uint8_t(h >> 56); }
inline uint64_t MemberHash(std::string_view m) { return HashKey(m, 0x5a5e7); }

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
  return __builtin_bswap64(v);
}

inline double RefScore(Ref r) {
  double d;
  memcpy(&d, RefPtr(r), sizeof d);
  return d;
}
inline void SetRefScore(Ref r, double d) { memcpy(RefPtr(r), &d, sizeof d); }
inline std::string_view RefMember(Ref r) {
  const char* p = RefPtr(r);
  uint32_t l = RefLen8(r);
  if (l != kLongLen) return {p + 8, l};
  uint32_t len;
  memcpy(&len, p + 8, 4);
  return {p + 12, len};
}
inline size_t BlobSize(size_t member_len) { return member_len + (member_len < kLongLen ? 8 : 12); }

Ref NewBlob(double score, std::string_view m, uint64_t hash) {
  size_t size = BlobSize(m.size());
  char* p = static_cast<char*>(malloc(size));
  if (!p) abort();
  memcpy(p, &score, 8);
  uint64_t len8;
  if (m.size() < kLongLen) {
    len8 = m.size();
    if (!m.empty()) memcpy(p + 8, m.data(), m.size());
  } else {
    len8 = kLongLen;
    uint32_t len = uint32_t(m.size());
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, m.data(), m.size());
  }
  return (reinterpret_cast<uint64_t>(p) & kPtrMask) | (len8 << 48) |
         (uint64_t(HashTag(hash)) << 56);
}
inline void FreeBlob(Ref r) { free(RefPtr(r)); }

inline int CmpRef(Ref a, double s, std::string_view m) {
  return CmpKey(RefScore(a), RefMember(a), s, m);
}

// ---- Order-statistic B+tree of Refs ----
//
// Leaves hold sorted Refs and are linked both ways; inner nodes hold, per child, the child's
// minimum Ref and its element count. Node sizes fit allocator size classes exactly (1 KiB).

constexpr int kLeafCap = 125;
constexpr int kLeafMin = kLeafCap / 4;
constexpr int kInnerCap = 50;
constexpr int kInnerMin = kInnerCap / 4;

struct NodeHdr {
  uint16_t n;
  uint8_t leaf;
};

struct Leaf {
  NodeHdr h;
  Leaf* prev;
  Leaf* next;
  Ref e[kLeafCap];
};

struct Inner {
  NodeHdr h;
  uint32_t cnt[kInnerCap];
  Ref key[kInnerCap];
  void* child[kInnerCap];
};

static_assert(sizeof(Leaf) <= 1024 && sizeof(Inner) <= 1024);

inline bool IsLeaf(const void* n) { return static_cast<const NodeHdr*>(n)->leaf; }
inline int NodeN(const void* n) { return static_cast<const NodeHdr*>(n)->n; }

class OrderTree {
 public:
  OrderTree() = default;
  ~OrderTree() { Clear(false); }
  OrderTree(const OrderTree&) = delete;
  OrderTree& operator=(const OrderTree&) = delete;

  size_t size() const { return size_; }
  size_t nodes() const { return nodes_; }
  Leaf* first() const { return first_; }
  Leaf* last() const { return last_; }

  // Frees every node (and the blobs when free_blobs).
  void Clear(bool free_blobs) {
    if (root_) FreeRec(root_, free_blobs);
    root_ = nullptr;
    first_ = last_ = nullptr;
    size_ = nodes_ = 0;
  }

  void Insert(Ref r) {
    double s = RefScore(r);
    std::string_view m = RefMember(r);
    if (!root_) {
      Leaf* l = NewLeaf();
      l->e[0] = r;
      l->h.n = 1;
      root_ = first_ = last_ = l;
      size_ = 1;
      return;
    }
    Inner* pn[kMaxDepth];
    int pi[kMaxDepth];
    int depth = 0;
    void* node = root_;
    while (!IsLeaf(node)) {
      Inner* in = static_cast<Inner*>(node);
      int i = ChildFor(in, s, m);
      if (CmpRef(in->key[i], s, m) > 0) in->key[i] = r;  // new minimum of this subtree
      in->cnt[i]++;
      pn[depth] = in;
      pi[depth] = i;
      depth++;
      node = in->child[i];
    }
    size_++;
    Leaf* lf = static_cast<Leaf*>(node);
    int pos = LeafLowerBound(lf, s, m);
    void* carry = nullptr;
    if (lf->h.n < kLeafCap) {
      LeafInsertAt(lf, pos, r);
    } else {
      carry = SplitLeafInsert(lf, pos, r);
    }
    for (int d = depth - 1; d >= 0 && carry; d--) {
      Inner* p = pn[d];
      int i = pi[d];
      p->cnt[i] = CountOf(p->child[i]);
      carry = InnerInsertAt(p, i + 1, carry);
    }
    if (carry) {
      Inner* root = NewInner();
      root->h.n = 2;
      SetChild(root, 0, root_);
      SetChild(root, 1, carry);
      root_ = root;
    }
  }

  // Removes the entry with this key; returns it (0 if absent).
  Ref Erase(double s, std::string_view m) {
    if (!root_) return 0;
    Inner* pn[kMaxDepth];
    int pi[kMaxDepth];
    int depth = 0;
    void* node = root_;
    while (!IsLeaf(node)) {
      Inner* in = static_cast<Inner*>(node);
      int i = ChildFor(in, s, m);
      pn[depth] = in;
      pi[depth] = i;
      depth++;
      node = in->child[i];
    }
    Leaf* lf = static_cast<Leaf*>(node);
    int pos = LeafLowerBound(lf, s, m);
    if (pos >= lf->h.n || CmpRef(lf->e[pos], s, m) != 0) return 0;
    Ref r = lf->e[pos];
    RemoveAt(pn, pi, depth, lf, pos);
    return r;
  }

  // Number of entries e (a prefix) for which below(e) holds; below must be monotone.
  template <typename Below>
  size_t CountWhile(Below below) const {
    size_t n = 0;
    const void* node = root_;
    if (!node) return 0;
    while (!IsLeaf(node)) {
      const Inner* in = static_cast<const Inner*>(node);
      // The last child whose minimum is below: every earlier child lies wholly below.
      int lo = 0, hi = in->h.n;
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (below(in->key[mid]))
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo == 0) return n;
      for (int j = 0; j < lo - 1; j++) n += in->cnt[j];
      node = in->child[lo - 1];
    }
    const Leaf* lf = static_cast<const Leaf*>(node);
    int lo = 0, hi = lf->h.n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (below(lf->e[mid]))
        lo = mid + 1;
      else
        hi = mid;
    }
    return n + size_t(lo);
  }

  // The leaf and position of a rank (< size()).
  std::pair<Leaf*, int> Select(size_t rank) const {
    void* node = root_;
    while (!IsLeaf(node)) {
      Inner* in = static_cast<Inner*>(node);
      int i = 0;
      while (rank >= in->cnt[i]) rank -= in->cnt[i++];
      node = in->child[i];
    }
    return {static_cast<Leaf*>(node), int(rank)};
  }

  // Removes the entry at a rank; returns it.
  Ref EraseRank(size_t rank) {
    Inner* pn[kMaxDepth];
    int pi[kMaxDepth];
    int depth = 0;
    void* node = root_;
    while (!IsLeaf(node)) {
      Inner* in = static_cast<Inner*>(node);
      int i = 0;
      while (rank >= in->cnt[i]) rank -= in->cnt[i++];
      pn[depth] = in;
      pi[depth] = i;
      depth++;
      node = in->child[i];
    }
    Leaf* lf = static_cast<Leaf*>(node);
    Ref r = lf->e[rank];
    RemoveAt(pn, pi, depth, lf, int(rank));
    return r;
  }

  bool Validate() const {
    if (!root_) return size_ == 0 && !first_ && !last_;
    const Leaf* expect_prev = nullptr;
    const Leaf* next_leaf = first_;
    size_t count = 0;
    Ref prev = 0;
    bool ok = ValidateRec(root_, true, &count, &prev, &expect_prev, &next_leaf);
    return ok && count == size_ && expect_prev == last_ && next_leaf == nullptr;
  }

 private:
  static constexpr int kMaxDepth = 16;

  Leaf* NewLeaf() {
    Leaf* l = static_cast<Leaf*>(malloc(sizeof(Leaf)));
    if (!l) abort();
    l->h = {0, 1};
    l->prev = l->next = nullptr;
    nodes_++;
    return l;
  }
  Inner* NewInner() {
    Inner* in = static_cast<Inner*>(malloc(sizeof(Inner)));
    if (!in) abort();
    in->h = {0, 0};
    nodes_++;
    return in;
  }
  void FreeNode(void* n) {
    free(n);
    nodes_--;
  }

  void FreeRec(void* node, bool free_blobs) {
    if (IsLeaf(node)) {
      Leaf* l = static_cast<Leaf*>(node);
      if (free_blobs)
        for (int i = 0; i < l->h.n; i++) FreeBlob(l->e[i]);
    } else {
      Inner* in = static_cast<Inner*>(node);
      for (int i = 0; i < in->h.n; i++) FreeRec(in->child[i], free_blobs);
    }
    FreeNode(node);
  }

  static Ref MinOf(const void* n) {
    return IsLeaf(n) ? static_cast<const Leaf*>(n)->e[0] : static_cast<const Inner*>(n)->key[0];
  }
  static uint32_t CountOf(const void* n) {
    if (IsLeaf(n)) return NodeN(n);
    const Inner* in = static_cast<const Inner*>(n);
    uint32_t c = 0;
    for (int i = 0; i < in->h.n; i++) c += in->cnt[i];
    return c;
  }
  static void SetChild(Inner* p, int i, void* c) {
    p->child[i] = c;
    p->key[i] = MinOf(c);
    p->cnt[i] = CountOf(c);
  }

  // The child to descend into for a key: the last whose minimum is <= key (0 if none).
  static int ChildFor(const Inner* in, double s, std::string_view m) {
    int lo = 1, hi = in->h.n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (CmpRef(in->key[mid], s, m) <= 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo - 1;
  }
  static int LeafLowerBound(const Leaf* l, double s, std::string_view m) {
    int lo = 0, hi = l->h.n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (CmpRef(l->e[mid], s, m) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }

  static void LeafInsertAt(Leaf* l, int pos, Ref r) {
    memmove(&l->e[pos + 1], &l->e[pos], sizeof(Ref) * size_t(l->h.n - pos));
    l->e[pos] = r;
    l->h.n++;
  }

  // Splits a full leaf while inserting r at pos; returns the new right sibling.
  Leaf* SplitLeafInsert(Leaf* lf, int pos, Ref r) {
    Leaf* rt = NewLeaf();
    rt->prev = lf;
    rt->next = lf->next;
    if (lf->next)
      lf->next->prev = rt;
    else
      last_ = rt;
    lf->next = rt;
    // Appending at the end of the last leaf (ascending scores) keeps the left leaf full.
    int mid = (pos == kLeafCap && rt == last_) ? kLeafCap : kLeafCap / 2;
    if (mid == kLeafCap && pos == kLeafCap) {
      rt->e[0] = r;
      rt->h.n = 1;
      return rt;
    }
    rt->h.n = uint16_t(kLeafCap - mid);
    memcpy(rt->e, &lf->e[mid], sizeof(Ref) * size_t(rt->h.n));
    lf->h.n = uint16_t(mid);
    if (pos <= mid)
      LeafInsertAt(lf, pos, r);
    else
      LeafInsertAt(rt, pos - mid, r);
    return rt;
  }

  // Inserts child c at position i of p; splits p if full and returns the new right sibling.
  Inner* InnerInsertAt(Inner* p, int i, void* c) {
    Inner* target = p;
    Inner* rt = nullptr;
    if (p->h.n == kInnerCap) {
      rt = NewInner();
      int mid = (i == kInnerCap) ? kInnerCap - 1 : kInnerCap / 2;
      int moved = kInnerCap - mid;
      memcpy(rt->cnt, &p->cnt[mid], sizeof(uint32_t) * size_t(moved));
      memcpy(rt->key, &p->key[mid], sizeof(Ref) * size_t(moved));
      memcpy(rt->child, &p->child[mid], sizeof(void*) * size_t(moved));
      rt->h.n = uint16_t(moved);
      p->h.n = uint16_t(mid);
      if (i > mid) {
        target = rt;
        i -= mid;
      }
    }
    int n = target->h.n;
    memmove(&target->cnt[i + 1], &target->cnt[i], sizeof(uint32_t) * size_t(n - i));
    memmove(&target->key[i + 1], &target->key[i], sizeof(Ref) * size_t(n - i));
    memmove(&target->child[i + 1], &target->child[i], sizeof(void*) * size_t(n - i));
    target->h.n++;
    SetChild(target, i, c);
    return rt;
  }

  static void InnerRemoveAt(Inner* p, int i) {
    int n = p->h.n;
    memmove(&p->cnt[i], &p->cnt[i + 1], sizeof(uint32_t) * size_t(n - i - 1));
    memmove(&p->key[i], &p->key[i + 1], sizeof(Ref) * size_t(n - i - 1));
    memmove(&p->child[i], &p->child[i + 1], sizeof(void*) * size_t(n - i - 1));
    p->h.n--;
  }

  // The minimum of the subtree at path level d changed to m: updates the ancestors' keys.
  static void PropagateMin(Inner** pn, const int* pi, int d, Ref m) {
    for (int k = d; k >= 0; k--) {
      pn[k]->key[pi[k]] = m;
      if (pi[k] != 0) break;
    }
  }

  void UnlinkLeaf(Leaf* l) {
    if (l->prev)
      l->prev->next = l->next;
    else
      first_ = l->next;
    if (l->next)
      l->next->prev = l->prev;
    else
      last_ = l->prev;
  }

  void RemoveAt(Inner** pn, int* pi, int depth, Leaf* lf, int pos) {
    memmove(&lf->e[pos], &lf->e[pos + 1], sizeof(Ref) * size_t(lf->h.n - pos - 1));
    lf->h.n--;
    size_--;
    for (int d = 0; d < depth; d++) pn[d]->cnt[pi[d]]--;
    if (depth == 0) {
      if (lf->h.n == 0) {
        FreeNode(lf);
        root_ = first_ = last_ = nullptr;
      }
      return;
    }
    if (pos == 0 && lf->h.n > 0) PropagateMin(pn, pi, depth - 1, lf->e[0]);
    if (lf->h.n < kLeafMin) RebalanceLeaf(pn, pi, depth, lf);
  }

  // Removes child i of pn[d] (already emptied or merged away) and rebalances upwards.
  void RemoveChild(Inner** pn, int* pi, int d, int i) {
    Inner* p = pn[d];
    InnerRemoveAt(p, i);
    if (i == 0 && p->h.n > 0 && d > 0) PropagateMin(pn, pi, d - 1, p->key[0]);
    if (d == 0) {
      // The root: collapse while it has a single child.
      while (!IsLeaf(root_) && NodeN(root_) == 1) {
        Inner* old = static_cast<Inner*>(root_);
        root_ = old->child[0];
        FreeNode(old);
      }
      return;
    }
    if (p->h.n < kInnerMin) RebalanceInner(pn, pi, d);
  }

  void RebalanceLeaf(Inner** pn, int* pi, int depth, Leaf* lf) {
    Inner* p = pn[depth - 1];
    int i = pi[depth - 1];
    if (lf->h.n == 0) {
      UnlinkLeaf(lf);
      FreeNode(lf);
      RemoveChild(pn, pi, depth - 1, i);
      return;
    }
    if (p->h.n < 2) return;
    int li = i > 0 ? i - 1 : i;
    Leaf* l = static_cast<Leaf*>(p->child[li]);
    Leaf* r = static_cast<Leaf*>(p->child[li + 1]);
    int total = l->h.n + r->h.n;
    if (total <= kLeafCap * 3 / 4) {
      memcpy(&l->e[l->h.n], r->e, sizeof(Ref) * size_t(r->h.n));
      l->h.n = uint16_t(total);
      p->cnt[li] = uint32_t(total);
      UnlinkLeaf(r);
      FreeNode(r);
      RemoveChild(pn, pi, depth - 1, li + 1);
      return;
    }
    // Even the two out.
    int want_l = total / 2;
    if (l->h.n > want_l) {
      int k = l->h.n - want_l;
      memmove(&r->e[k], r->e, sizeof(Ref) * size_t(r->h.n));
      memcpy(r->e, &l->e[want_l], sizeof(Ref) * size_t(k));
    } else {
      int k = want_l - l->h.n;
      memcpy(&l->e[l->h.n], r->e, sizeof(Ref) * size_t(k));
      memmove(r->e, &r->e[k], sizeof(Ref) * size_t(r->h.n - k));
    }
    l->h.n = uint16_t(want_l);
    r->h.n = uint16_t(total - want_l);
    p->cnt[li] = l->h.n;
    p->cnt[li + 1] = r->h.n;
    p->key[li + 1] = r->e[0];
  }

  void RebalanceInner(Inner** pn, int* pi, int d) {
    Inner* p = pn[d - 1];
    int i = pi[d - 1];
    if (pn[d]->h.n == 0) {
      FreeNode(pn[d]);
      RemoveChild(pn, pi, d - 1, i);
      return;
    }
    if (p->h.n < 2) return;
    int li = i > 0 ? i - 1 : i;
    Inner* l = static_cast<Inner*>(p->child[li]);
    Inner* r = static_cast<Inner*>(p->child[li + 1]);
    int total = l->h.n + r->h.n;
    if (total > kInnerCap) return;
    int ln = l->h.n, rn = r->h.n;
    memcpy(&l->cnt[ln], r->cnt, sizeof(uint32_t) * size_t(rn));
    memcpy(&l->key[ln], r->key, sizeof(Ref) * size_t(rn));
    memcpy(&l->child[ln], r->child, sizeof(void*) * size_t(rn));
    l->h.n = uint16_t(total);
    p->cnt[li] += p->cnt[li + 1];
    FreeNode(r);
    RemoveChild(pn, pi, d - 1, li + 1);
  }

  bool ValidateRec(const void* node, bool is_root, size_t* count, Ref* prev,
                   const Leaf** expect_prev, const Leaf** next_leaf) const {
    if (IsLeaf(node)) {
      const Leaf* l = static_cast<const Leaf*>(node);
      if (l->h.n == 0 || l->h.n > kLeafCap) return false;
      if (l != *next_leaf || l->prev != *expect_prev) return false;
      for (int i = 0; i < l->h.n; i++) {
        if (*prev && CmpRef(*prev, RefScore(l->e[i]), RefMember(l->e[i])) >= 0) return false;
        *prev = l->e[i];
      }
      *count += l->h.n;
      *expect_prev = l;
      *next_leaf = l->next;
      return true;
    }
    const Inner* in = static_cast<const Inner*>(node);
    if (in->h.n == 0 || in->h.n > kInnerCap || (is_root && in->h.n < 2)) return false;
    for (int i = 0; i < in->h.n; i++) {
      if (in->key[i] != MinOf(in->child[i])) return false;
      if (in->cnt[i] != CountOf(in->child[i])) return false;
      if (!ValidateRec(in->child[i], false, count, prev, expect_prev, next_leaf)) return false;
    }
    return true;
  }

  void* root_ = nullptr;
  Leaf* first_ = nullptr;
  Leaf* last_ = nullptr;
  size_t size_ = 0;
  size_t nodes_ = 0;
};

// ---- Member index: open addressing over Refs, linear probing ----

// One part of the index (see MemberIndex). Beside each slot it keeps the low 32 bits of the
// member's hash, so that deleting (backward shift), resizing and SCAN find a slot's home bucket
// without reading the member: those reads were a cache miss and a rehash per slot of the probe
// run, most of a ZPOPMIN's cost.
class IndexPart {
 public:
  IndexPart() = default;
  ~IndexPart() { free(slots_); }
  IndexPart(const IndexPart&) = delete;
  IndexPart& operator=(const IndexPart&) = delete;

  // Bytes per slot: the Ref and its hash bits.
  static constexpr size_t kSlotBytes = sizeof(Ref) + sizeof(uint32_t);

  size_t capacity() const { return cap_; }
  size_t size() const { return size_; }
  const Ref* slots() const { return slots_; }

  Ref Find(std::string_view m, uint64_t h) const {
    if (!cap_) return 0;
    size_t mask = cap_ - 1;
    uint8_t tag = HashTag(h);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Ref r = slots_[i];
      if (!r) return 0;
      if (RefTag(r) == tag && RefMember(r) == m) return r;
    }
  }

  void Insert(Ref r, uint64_t h) {
    if ((size_ + 1) * 5 > cap_ * 4) Resize(cap_ ? cap_ * 2 : 16);
    Place(r, uint32_t(h));
    size_++;
  }

  // Removes r (known present; h is its member's hash). Refs are unique, so the probe compares
  // them and never reads a member.
  void Erase(Ref target, uint64_t h) {
    size_t mask = cap_ - 1;
    uint32_t* homes = Homes();
    size_t i = h & mask;
    while (slots_[i] != target) i = (i + 1) & mask;
    // Backward-shift deletion: pull later members of the run into the hole when their home
    // slot allows it.
    size_t j = i;
    for (;;) {
      j = (j + 1) & mask;
      Ref r = slots_[j];
      if (!r) break;
      size_t home = homes[j] & mask;
      bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        slots_[i] = r;
        homes[i] = homes[j];
        i = j;
      }
    }
    slots_[i] = 0;
    size_--;
    if (size_ == 0) {
      free(slots_);
      slots_ = nullptr;
      cap_ = 0;
    } else if (cap_ > 16 && size_ * 10 < cap_) {
      Resize(cap_ / 2);
    }
  }

  // Slots whose home is bucket b (under the current capacity), for SCAN.
  template <typename F>
  void ForBucket(size_t b, F f) const {
    size_t mask = cap_ - 1;
    const uint32_t* homes = Homes();
    for (size_t i = b;; i = (i + 1) & mask) {
      Ref r = slots_[i];
      if (!r) return;
      if ((homes[i] & mask) == b) f(r);
    }
  }

 private:
  // The hash bits live in the same block, after the slots (capacities stay below 2^32 per part).
  uint32_t* Homes() const { return reinterpret_cast<uint32_t*>(slots_ + cap_); }
  void Place(Ref r, uint32_t h) {
    size_t mask = cap_ - 1;
    size_t i = h & mask;
    while (slots_[i]) i = (i + 1) & mask;
    slots_[i] = r;
    Homes()[i] = h;
  }
  void Resize(size_t cap) {
    size_t old_cap = cap_;
    Ref* old = slots_;
    const uint32_t* old_homes = reinterpret_cast<const uint32_t*>(old + old_cap);
    cap_ = cap;
    slots_ = static_cast<Ref*>(calloc(cap_, kSlotBytes));
    if (!slots_) abort();
    for (size_t i = 0; i < old_cap; i++)
      if (old[i]) Place(old[i], old_homes[i]);
    free(old);
  }

  Ref* slots_ = nullptr;
  size_t cap_ = 0;
  size_t size_ = 0;
};

// The member index is split in 16 parts chosen by hash bits (neither the home-slot bits nor the
// tag), each growing on its own: a resize rehashes a sixteenth of the members, which keeps the
// pause of growing a very large set short.
class MemberIndex {
 public:
  static constexpr int kParts = 16;
  static int PartOf(uint64_t h) { return int((h >> 48) & (kParts - 1)); }

  Ref Find(std::string_view m, uint64_t h) const { return parts_[PartOf(h)].Find(m, h); }
  void Insert(Ref r, uint64_t h) { parts_[PartOf(h)].Insert(r, h); }
  void Erase(Ref r, uint64_t h) { parts_[PartOf(h)].Erase(r, h); }
  const IndexPart& part(int i) const { return parts_[i]; }
  size_t size() const {
    size_t n = 0;
    for (const IndexPart& p : parts_) n += p.size();
    return n;
  }
  size_t AllocatedBytes() const {
    size_t n = 0;
    for (const IndexPart& p : parts_)
      if (p.capacity()) n += AllocationSize(p.capacity() * IndexPart::kSlotBytes);
    return n;
  }

 private:
  IndexPart parts_[kParts];
};

// ---- Listpack entries ----

struct LpEntry {
  std::string_view member;
  double score;
  size_t next;
};

inline LpEntry LpRead(const std::string& lp, size_t off) {
  const auto* p = reinterpret_cast<const uint8_t*>(lp.data());
  size_t len = 0;
  int shift = 0;
  while (true) {
    uint8_t b = p[off++];
    len |= size_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  LpEntry e;
  e.member = std::string_view(lp.data() + off, len);
  memcpy(&e.score, lp.data() + off + len, 8);
  e.next = off + len + 8;
  return e;
}

void LpEncode(std::string* out, double score, std::string_view m) {
  if (score == 0) score = 0;  // the compact form keeps no negative zero (as Redis's listpack)
  size_t len = m.size();
  while (len >= 0x80) {
    out->push_back(char((len & 0x7f) | 0x80));
    len >>= 7;
  }
  out->push_back(char(len));
  out->append(m);
  out->append(reinterpret_cast<const char*>(&score), 8);
}

}  // namespace

// ---- ZSet ----

struct ZSet::Big {
  OrderTree tree;
  MemberIndex index;
  size_t blob_bytes = 0;

  ~Big() { tree.Clear(true); }

  Ref Find(std::string_view m) const { return index.Find(m, MemberHash(m)); }
  void Add(double score, std::string_view m) {
    uint64_t h = MemberHash(m);
    Ref r = NewBlob(score, m, h);
    blob_bytes += AllocationSize(BlobSize(m.size()));
    tree.Insert(r);
    index.Insert(r, h);
  }
  // Unlinks r from the index (the tree entry is removed by the caller) and frees it.
  void Drop(Ref r) {
    std::string_view m = RefMember(r);
    index.Erase(r, MemberHash(m));
    blob_bytes -= AllocationSize(BlobSize(m.size()));
    FreeBlob(r);
  }
};

ZSet::ZSet(Enc enc) : enc_(enc) {
  if (enc == Enc::kSkiplist) big_ = std::make_unique<Big>();
}

ZSet::~ZSet() = default;

size_t ZSet::Length() const { return is_listpack() ? lp_count_ : big_->tree.size(); }

std::unique_ptr<Object> ZSet::Clone() const {
  auto z = std::make_unique<ZSet>(enc_);
  if (is_listpack()) {
    z->lp_ = lp_;
    z->lp_count_ = lp_count_;
  } else {
    for (Leaf* l = big_->tree.first(); l; l = l->next)
      for (int i = 0; i < l->h.n; i++) z->big_->Add(RefScore(l->e[i]), RefMember(l->e[i]));
  }
  return z;
}

size_t ZSet::MemoryUsage() const {
  size_t n = AllocationSize(sizeof(ZSet));
  if (is_listpack()) return n + (lp_.capacity() > 15 ? AllocationSize(lp_.capacity() + 1) : 0);
  n += AllocationSize(sizeof(Big)) + big_->blob_bytes;
  n += big_->tree.nodes() * AllocationSize(std::max(sizeof(Leaf), sizeof(Inner)));
  n += big_->index.AllocatedBytes();
  return n;
}

size_t ZSet::FreeEffort() const {
  return is_listpack() ? 1 : big_->tree.size() + big_->tree.nodes();
}

std::unique_ptr<ZSet> ZSet::Build(std::vector<ZEntry> entries, const Limits& lim) {
  std::sort(entries.begin(), entries.end(), [](const ZEntry& a, const ZEntry& b) {
    return CmpKey(a.score, a.member, b.score, b.member) < 0;
  });
  bool small = entries.size() <= lim.max_listpack_entries;
  for (const ZEntry& e : entries)
    if (e.member.size() > lim.max_listpack_value) small = false;
  auto z = std::make_unique<ZSet>(small ? Enc::kListpack : Enc::kSkiplist);
  if (small) {
    for (const ZEntry& e : entries) LpEncode(&z->lp_, e.score, e.member);
    z->lp_count_ = uint32_t(entries.size());
  } else {
    for (const ZEntry& e : entries) z->big_->Add(e.score, e.member);
  }
  return z;
}

// ---- Listpack helpers ----

size_t ZSet::LpFind(std::string_view member, double* score) const {
  for (size_t off = 0; off < lp_.size();) {
    LpEntry e = LpRead(lp_, off);
    if (e.member == member) {
      if (score) *score = e.score;
      return off;
    }
    off = e.next;
  }
  return std::string::npos;
}

void ZSet::LpInsert(double score, std::string_view member) {
  size_t off = 0;
  while (off < lp_.size()) {
    LpEntry e = LpRead(lp_, off);
    if (CmpKey(e.score, e.member, score, member) > 0) break;
    off = e.next;
  }
  std::string enc;
  LpEncode(&enc, score, member);
  lp_.insert(off, enc);
  lp_count_++;
}

void ZSet::LpErase(size_t off) {
  LpEntry e = LpRead(lp_, off);
  lp_.erase(off, e.next - off);
  lp_count_--;
}

std::vector<size_t> ZSet::LpOffsets() const {
  std::vector<size_t> v;
  v.reserve(lp_count_);
  for (size_t off = 0; off < lp_.size(); off = LpRead(lp_, off).next) v.push_back(off);
  return v;
}

template <typename Less>
size_t ZSet::LpCountWhile(Less less) const {
  size_t n = 0;
  for (size_t off = 0; off < lp_.size(); n++) {
    LpEntry e = LpRead(lp_, off);
    if (!less(e.member, e.score)) break;
    off = e.next;
  }
  return n;
}

void ZSet::ConvertToSkiplist() {
  if (!is_listpack()) return;
  auto big = std::make_unique<Big>();
  for (size_t off = 0; off < lp_.size();) {
    LpEntry e = LpRead(lp_, off);
    big->Add(e.score, e.member);
    off = e.next;
  }
  std::string().swap(lp_);
  lp_count_ = 0;
  big_ = std::move(big);
  enc_ = Enc::kSkiplist;
}

// ---- Operations ----

bool ZSet::Score(std::string_view member, double* score) const {
  if (is_listpack()) return LpFind(member, score) != std::string::npos;
  Ref r = big_->Find(member);
  if (!r) return false;
  *score = RefScore(r);
  return true;
}

void ZSet::ReinsertBig(std::string_view member, double score) {
  Ref r = big_->Find(member);
  big_->tree.Erase(RefScore(r), member);
  SetRefScore(r, score);
  big_->tree.Insert(r);
}

ZSet::AddResult ZSet::Add(double score, std::string_view member, int flags, const Limits& lim,
                          double* newscore) {
  bool nx = flags & kNX, xx = flags & kXX, gt = flags & kGT, lt = flags & kLT;
  bool incr = flags & kIncr;
  if (std::isnan(score)) return AddResult::kNaN;
  double cur;
  if (Score(member, &cur)) {
    if (nx) return AddResult::kNop;
    if (incr) {
      score += cur;
      if (std::isnan(score)) return AddResult::kNaN;
    }
    if ((lt && score >= cur) || (gt && score <= cur)) return AddResult::kNop;
    *newscore = score;
    if (score == cur) return AddResult::kUnchanged;
    if (is_listpack()) {
      LpErase(LpFind(member, nullptr));
      LpInsert(score, member);
    } else {
      ReinsertBig(member, score);
    }
    return AddResult::kUpdated;
  }
  if (xx) return AddResult::kNop;
  *newscore = score;
  if (is_listpack()) {
    if (lp_count_ + 1 > lim.max_listpack_entries || member.size() > lim.max_listpack_value)
      ConvertToSkiplist();
  }
  if (is_listpack())
    LpInsert(score, member);
  else
    big_->Add(score, member);
  return AddResult::kAdded;
}

bool ZSet::Remove(std::string_view member) {
  if (is_listpack()) {
    size_t off = LpFind(member, nullptr);
    if (off == std::string::npos) return false;
    LpErase(off);
    return true;
  }
  Ref r = big_->Find(member);
  if (!r) return false;
  big_->tree.Erase(RefScore(r), member);
  big_->Drop(r);
  return true;
}

bool ZSet::Rank(std::string_view member, size_t* rank, double* score) const {
  if (is_listpack()) {
    size_t n = 0;
    for (size_t off = 0; off < lp_.size(); n++) {
      LpEntry e = LpRead(lp_, off);
      if (e.member == member) {
        *rank = n;
        *score = e.score;
        return true;
      }
      off = e.next;
    }
    return false;
  }
  Ref r = big_->Find(member);
  if (!r) return false;
  double s = RefScore(r);
  *score = s;
  *rank = big_->tree.CountWhile([&](Ref x) { return CmpRef(x, s, member) < 0; });
  return true;
}

size_t ZSet::CountBelowMin(const ZScoreRange& r) const {
  if (is_listpack())
    return LpCountWhile([&](std::string_view, double s) { return BelowMin(s, r); });
  return big_->tree.CountWhile([&](Ref x) { return BelowMin(RefScore(x), r); });
}

size_t ZSet::CountUpToMax(const ZScoreRange& r) const {
  if (is_listpack()) return LpCountWhile([&](std::string_view, double s) { return UpToMax(s, r); });
  return big_->tree.CountWhile([&](Ref x) { return UpToMax(RefScore(x), r); });
}

size_t ZSet::CountBelowMin(const ZLexRange& r) const {
  if (is_listpack())
    return LpCountWhile([&](std::string_view m, double) { return BelowMin(m, r.min); });
  return big_->tree.CountWhile([&](Ref x) { return BelowMin(RefMember(x), r.min); });
}

size_t ZSet::CountUpToMax(const ZLexRange& r) const {
  if (is_listpack())
    return LpCountWhile([&](std::string_view m, double) { return UpToMax(m, r.max); });
  return big_->tree.CountWhile([&](Ref x) { return UpToMax(RefMember(x), r.max); });
}

void ZSet::Visit(size_t start, size_t end, bool rev, const Visitor& fn) const {
  end = std::min(end, Length());
  if (start >= end) return;
  if (is_listpack()) {
    if (!rev) {
      size_t off = 0, n = 0;
      for (; n < start; n++) off = LpRead(lp_, off).next;
      for (; n < end; n++) {
        LpEntry e = LpRead(lp_, off);
        if (!fn(e.member, e.score)) return;
        off = e.next;
      }
    } else {
      std::vector<size_t> offs = LpOffsets();
      for (size_t n = end; n > start; n--) {
        LpEntry e = LpRead(lp_, offs[n - 1]);
        if (!fn(e.member, e.score)) return;
      }
    }
    return;
  }
  size_t count = end - start;
  auto [leaf, pos] = big_->tree.Select(rev ? end - 1 : start);
  while (count--) {
    Ref r = leaf->e[pos];
    if (!fn(RefMember(r), RefScore(r))) return;
    if (rev) {
      if (--pos < 0 && leaf->prev) {
        leaf = leaf->prev;
        pos = leaf->h.n - 1;
      }
    } else if (++pos >= leaf->h.n && leaf->next) {
      leaf = leaf->next;
      pos = 0;
    }
  }
}

std::pair<std::string_view, double> ZSet::At(size_t rank) const {
  if (is_listpack()) {
    size_t off = 0;
    for (size_t n = 0; n < rank; n++) off = LpRead(lp_, off).next;
    LpEntry e = LpRead(lp_, off);
    return {e.member, e.score};
  }
  auto [leaf, pos] = big_->tree.Select(rank);
  return {RefMember(leaf->e[pos]), RefScore(leaf->e[pos])};
}

size_t ZSet::RemoveRanks(size_t start, size_t end) {
  end = std::min(end, Length());
  if (start >= end) return 0;
  size_t n = end - start;
  if (is_listpack()) {
    size_t off = 0;
    for (size_t i = 0; i < start; i++) off = LpRead(lp_, off).next;
    size_t stop = off;
    for (size_t i = 0; i < n; i++) stop = LpRead(lp_, stop).next;
    lp_.erase(off, stop - off);
    lp_count_ -= uint32_t(n);
    return n;
  }
  for (size_t i = 0; i < n; i++) big_->Drop(big_->tree.EraseRank(start));
  return n;
}

std::vector<ZEntry> ZSet::PopMin(size_t count) {
  std::vector<ZEntry> out;
  count = std::min(count, Length());
  out.reserve(count);
  Visit(0, count, false, [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  });
  RemoveRanks(0, count);
  return out;
}

std::vector<ZEntry> ZSet::PopMax(size_t count) {
  std::vector<ZEntry> out;
  size_t len = Length();
  count = std::min(count, len);
  out.reserve(count);
  Visit(len - count, len, true, [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  });
  RemoveRanks(len - count, len);
  return out;
}

std::vector<ZEntry> ZSet::Entries() const {
  std::vector<ZEntry> out;
  out.reserve(Length());
  Visit(0, Length(), false, [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  });
  return out;
}

uint64_t ZSet::Scan(uint64_t cursor, size_t count, std::vector<ZEntry>* out) const {
  if (is_listpack()) {
    std::vector<ZEntry> all = Entries();
    out->insert(out->end(), all.begin(), all.end());
    return 0;
  }
  // The cursor holds the part in its top byte and the part's reverse-binary bucket cursor (as
  // Redis's dictScan, robust to resizes between calls) below.
  constexpr uint64_t kInnerMask = (uint64_t(1) << 56) - 1;
  const MemberIndex& idx = big_->index;
  int part = int(cursor >> 56);
  uint64_t v = cursor & kInnerMask;
  if (part >= MemberIndex::kParts) return 0;
  size_t visited = 0;
  size_t budget = std::max<size_t>(count, 1) * 10;
  for (;;) {
    const IndexPart& p = idx.part(part);
    if (p.capacity() == 0) {
      v = 0;
    } else {
      uint64_t mask = p.capacity() - 1;
      p.ForBucket(size_t(v & mask), [&](Ref r) {
        out->push_back({std::string(RefMember(r)), RefScore(r)});
        visited++;
      });
      v |= ~mask;
      v = ReverseBits(v);
      v++;
      v = ReverseBits(v);
    }
    if (v == 0 && ++part == MemberIndex::kParts) return 0;
    if (visited >= count || --budget == 0) return (uint64_t(part) << 56) | v;
  }
}

bool ZSet::Validate() const {
  if (is_listpack()) {
    size_t n = 0;
    bool first = true;
    double ps = 0;
    std::string pm;
    for (size_t off = 0; off < lp_.size(); n++) {
      LpEntry e = LpRead(lp_, off);
      if (!first && CmpKey(ps, pm, e.score, e.member) >= 0) return false;
      first = false;
      ps = e.score;
      pm = std::string(e.member);
      off = e.next;
    }
    return n == lp_count_;
  }
  if (!big_->tree.Validate()) return false;
  if (big_->index.size() != big_->tree.size()) return false;
  for (Leaf* l = big_->tree.first(); l; l = l->next)
    for (int i = 0; i < l->h.n; i++)
      if (big_->Find(RefMember(l->e[i])) != l->e[i]) return false;
  return true;
}

}  // namespace strata::kv
