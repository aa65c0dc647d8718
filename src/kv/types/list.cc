#include "kv/types/list.h"

#include <lzf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "base/memory.h"
#include "base/strutil.h"

namespace strata::kv {

namespace {

constexpr size_t kHdr = sizeof(ListObject::Node);
// A node with a positive (count) fill still stays within this many bytes.
constexpr size_t kSafetyBytes = 8192;

// Tags (first byte of an element):
//   0xxxxxxx            integer 0..127
//   10llllll            text of 0..63 bytes
//   110vvvvv v          13-bit integer
//   1110llll l          text of 64..4095 bytes
//   0xF0..0xF3          16, 24, 32 or 64-bit integer (little endian)
//   0xF4 llll           text with a 32-bit length
constexpr uint8_t kInt16 = 0xF0, kInt24 = 0xF1, kInt32 = 0xF2, kInt64 = 0xF3, kStr32 = 0xF4;

// Text that reads back the same after a round trip through int64 (no sign, spaces or leading
// zeros to lose) is stored as a number.
bool CanonicalInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  char c = s[0];
  if (!(c == '-' || (c >= '0' && c <= '9'))) return false;
  if (!ParseInt64(s, out)) return false;
  char buf[24];
  size_t n = FormatInt64(*out, buf);
  return n == s.size() && memcmp(buf, s.data(), n) == 0;
}

uint32_t BacklenSize(uint32_t body) {
  uint32_t n = 1;
  while (body >= 128) {
    body >>= 7;
    n++;
  }
  return n;
}

// The size of tag + payload of the element starting at p.
uint32_t BodySize(const uint8_t* p) {
  uint8_t t = p[0];
  if (t < 0x80) return 1;
  if (t < 0xC0) return 1 + (t & 0x3F);
  if (t < 0xE0) return 2;
  if (t < 0xF0) return 2 + ((uint32_t(t & 0x0F) << 8) | p[1]);
  switch (t) {
    case kInt16:
      return 3;
    case kInt24:
      return 4;
    case kInt32:
      return 5;
    case kInt64:
      return 9;
    default: {
      uint32_t len;
      memcpy(&len, p + 1, 4);
      return 5 + len;
    }
  }
}

uint32_t ElemSize(const uint8_t* p) {
  uint32_t b = BodySize(p);
  return b + BacklenSize(b);
}

// An element ready to be written.
struct Enc {
  explicit Enc(std::string_view v) : str(v) {
    is_int = CanonicalInt(v, &num);
    if (is_int) {
      if (num >= 0 && num <= 127)
        body = 1;
      else if (num >= -4096 && num <= 4095)
        body = 2;
      else if (num >= INT16_MIN && num <= INT16_MAX)
        body = 3;
      else if (num >= -(int64_t(1) << 23) && num < (int64_t(1) << 23))
        body = 4;
      else if (num >= INT32_MIN && num <= INT32_MAX)
        body = 5;
      else
        body = 9;
    } else if (v.size() <= 63) {
      body = 1 + uint32_t(v.size());
    } else if (v.size() <= 4095) {
      body = 2 + uint32_t(v.size());
    } else {
      body = 5 + uint32_t(v.size());
    }
    total = body + BacklenSize(body);
  }

  void Write(uint8_t* p) const {
    uint8_t* q = p;
    if (is_int) {
      uint64_t u = uint64_t(num);
      switch (body) {
        case 1:
          *q++ = uint8_t(num);
          break;
        case 2:
          *q++ = uint8_t(0xC0 | ((u >> 8) & 0x1F));
          *q++ = uint8_t(u);
          break;
        default: {
          size_t w = body - 1;
          *q++ = w == 2 ? kInt16 : w == 3 ? kInt24 : w == 4 ? kInt32 : kInt64;
          for (size_t i = 0; i < w; i++) *q++ = uint8_t(u >> (8 * i));
        }
      }
    } else {
      uint32_t len = uint32_t(str.size());
      if (len <= 63) {
        *q++ = uint8_t(0x80 | len);
      } else if (len <= 4095) {
        *q++ = uint8_t(0xE0 | (len >> 8));
        *q++ = uint8_t(len);
      } else {
        *q++ = kStr32;
        memcpy(q, &len, 4);
        q += 4;
      }
      if (len) memcpy(q, str.data(), len);
      q += len;
    }
    // Back-length: most significant group first, the last byte holds the low 7 bits; every
    // byte but the first has the high bit set so a backwards reader knows to go on.
    uint32_t n = total - body;
    for (uint32_t i = 0; i < n; i++) {
      uint8_t group = uint8_t((body >> (7 * i)) & 0x7F);
      q[n - 1 - i] = uint8_t(group | (i + 1 < n ? 0x80 : 0));
    }
  }

  std::string_view str;
  int64_t num = 0;
  bool is_int = false;
  uint32_t body = 0;
  uint32_t total = 0;
};

size_t ByteLimit(int fill) {
  int level = fill < -5 ? 5 : -fill;
  return size_t(4096) << (level - 1);
}

// Whether a node holding `bytes` of data and `count` elements is within the fill limit.
bool WithinLimit(size_t bytes, size_t count, int fill) {
  if (count <= 1) return true;
  if (fill < 0) return kHdr + bytes <= ByteLimit(fill);
  return kHdr + bytes <= kSafetyBytes && count <= size_t(fill);
}

ListObject::Node* AllocNode(size_t data_bytes) {
  size_t sz = AllocationSize(kHdr + (data_bytes ? data_bytes : 1));
  auto* n = static_cast<ListObject::Node*>(malloc(sz));
  n->bytes = 0;
  n->count = 0;
  n->cap = uint32_t(sz - kHdr);
  return n;
}

ListObject::Node* GrowNode(ListObject::Node* n, size_t need) {
  if (need <= n->cap) return n;
  size_t sz = AllocationSize(kHdr + need);
  n = static_cast<ListObject::Node*>(realloc(n, sz));
  n->cap = uint32_t(sz - kHdr);
  return n;
}

}  // namespace

namespace list_codec {

uint32_t Decode(const uint8_t* p, ListElem* out) {
  uint8_t t = p[0];
  uint32_t body;
  if (t < 0x80) {
    out->is_int = true;
    out->num = t;
    body = 1;
  } else if (t < 0xC0) {
    out->is_int = false;
    out->str = {reinterpret_cast<const char*>(p + 1), size_t(t & 0x3F)};
    body = 1 + (t & 0x3F);
  } else if (t < 0xE0) {
    uint32_t u = (uint32_t(t & 0x1F) << 8) | p[1];
    out->is_int = true;
    out->num = u >= 4096 ? int64_t(u) - 8192 : int64_t(u);
    body = 2;
  } else if (t < 0xF0) {
    uint32_t len = (uint32_t(t & 0x0F) << 8) | p[1];
    out->is_int = false;
    out->str = {reinterpret_cast<const char*>(p + 2), len};
    body = 2 + len;
  } else if (t == kStr32) {
    uint32_t len;
    memcpy(&len, p + 1, 4);
    out->is_int = false;
    out->str = {reinterpret_cast<const char*>(p + 5), len};
    body = 5 + len;
  } else {
    uint32_t w = t == kInt16 ? 2 : t == kInt24 ? 3 : t == kInt32 ? 4 : 8;
    uint64_t u = 0;
    for (uint32_t i = 0; i < w; i++) u |= uint64_t(p[1 + i]) << (8 * i);
    if (w < 8 && (u >> (8 * w - 1)) & 1) u |= ~uint64_t(0) << (8 * w);  // sign-extend
    out->is_int = true;
    out->num = int64_t(u);
    body = 1 + w;
  }
  return body + BacklenSize(body);
}

uint32_t SizeBefore(const uint8_t* end) {
  const uint8_t* p = end - 1;
  uint32_t v = 0;
  uint32_t n = 0;
  for (;;) {
    uint8_t b = *p;
    v |= uint32_t(b & 0x7F) << (7 * n);
    n++;
    if (!(b & 0x80)) break;
    p--;
  }
  return v + n;
}

}  // namespace list_codec

using list_codec::Decode;
using list_codec::SizeBefore;

namespace {

// Where an element's offset in a node is found: walking from whichever end of the node is
// nearer to element k.
uint32_t ElemOffset(const uint8_t* d, uint32_t bytes, uint32_t count, uint32_t k) {
  uint32_t off;
  if (k <= count / 2) {
    off = 0;
    for (uint32_t i = 0; i < k; i++) off += ElemSize(d + off);
  } else {
    off = bytes;
    for (uint32_t i = count; i > k; i--) off -= SizeBefore(d + off);
  }
  return off;
}

// ---- Compression ----
//
// A compressed node's data is a 4-byte length followed by that many bytes of LZF output.

// Below this, a node has too little repetition for LZF to find and nothing worth saving.
constexpr uint32_t kMinCompressBytes = 64;
constexpr size_t kLenBytes = 4;

// Compresses `bytes` of plain element data into out (room for bytes - 1) and returns the LZF
// length, or 0 when the compressed node would not take a smaller allocation than the plain one.
uint32_t Pack(const uint8_t* in, uint32_t bytes, uint8_t* out) {
  if (bytes < kMinCompressBytes) return 0;
  // Room for one byte less than the input: LZF stops as soon as its output would not fit, so
  // data that does not compress costs little.
  uint32_t clen = lzf_compress(in, bytes, out, bytes - 1);
  if (clen == 0) return 0;
  size_t sz = AllocationSize(kHdr + kLenBytes + clen);
  // Kept only when it frees memory; that also leaves cap below bytes, which marks the node as
  // compressed (see ListObject::Node).
  if (sz >= AllocationSize(kHdr + bytes) || sz - kHdr >= bytes) return 0;
  return clen;
}

// Decompresses n's elements into out (room for n->bytes); false if the data is not intact.
bool Unpack(const ListObject::Node* n, uint8_t* out) {
  uint32_t clen;
  memcpy(&clen, n->data(), kLenBytes);
  if (clen > n->cap - kLenBytes) return false;
  return lzf_decompress(n->data() + kLenBytes, clen, out, n->bytes) == n->bytes;
}

}  // namespace

// ---- ListElem / ListNeedle ----

std::string_view ListElem::View(char* buf) const {
  if (!is_int) return str;
  return {buf, FormatInt64(num, buf)};
}

std::string ListElem::ToString() const {
  char buf[24];
  return std::string(View(buf));
}

ListNeedle::ListNeedle(std::string_view v) : text_(v) { is_int_ = CanonicalInt(v, &num_); }

// ---- ListObject ----

ListObject::~ListObject() {
  for (Node* n : nodes_) free(n);
}

std::unique_ptr<Object> ListObject::Clone() const {
  auto c = std::make_unique<ListObject>();
  for (const Node* n : nodes_) {
    Node* m;
    if (n->compressed()) {
      // Copied as it is: the copy has the same layout.
      uint32_t clen;
      memcpy(&clen, n->data(), kLenBytes);
      m = static_cast<Node*>(malloc(kHdr + n->cap));
      memcpy(m, n, kHdr + kLenBytes + clen);
    } else {
      m = AllocNode(n->bytes);
      memcpy(m->data(), n->data(), n->bytes);
      m->bytes = n->bytes;
      m->count = n->count;
    }
    c->nodes_.push_back(m);
  }
  c->count_ = count_;
  c->depth_ = depth_;
  return c;
}

size_t ListObject::MemoryUsage() const {
  // The deque keeps its pointers in blocks of 512 bytes plus a map of block pointers. A node's
  // cap is what its allocation holds after the header, compressed or not.
  size_t bytes = sizeof(*this) + (nodes_.size() / 64 + 1) * 512 + 64;
  for (const Node* n : nodes_) bytes += kHdr + n->cap;
  return bytes;
}

const uint8_t* ListObject::Plain(const Node* n, Scratch* s) {
  if (!n->compressed()) return n->data();
  if (s->cap < n->bytes) {
    s->buf = std::make_unique_for_overwrite<uint8_t[]>(n->bytes);
    s->cap = n->bytes;
  }
  if (!Unpack(n, s->buf.get())) abort();
  return s->buf.get();
}

ListObject::Node* ListObject::NewNodeAt(size_t at, size_t data_bytes) {
  Node* n = AllocNode(data_bytes);
  nodes_.insert(nodes_.begin() + ptrdiff_t(at), n);
  return n;
}

ListObject::Node* ListObject::Writable(size_t i) {
  Decompress(i);
  return nodes_[i];
}

void ListObject::Compress(size_t i) {
  Node* n = nodes_[i];
  if (n->compressed() || n->bytes < kMinCompressBytes) return;
  // Compressed straight into the new node, which is trimmed to the output afterwards.
  auto* m = static_cast<Node*>(malloc(kHdr + kLenBytes + n->bytes));
  uint32_t clen = Pack(n->data(), n->bytes, m->data() + kLenBytes);
  if (clen == 0) {
    free(m);
    return;
  }
  size_t sz = AllocationSize(kHdr + kLenBytes + clen);
  m = static_cast<Node*>(realloc(m, sz));
  m->bytes = n->bytes;
  m->count = n->count;
  m->cap = uint32_t(sz - kHdr);
  memcpy(m->data(), &clen, kLenBytes);
  free(n);
  nodes_[i] = m;
}

void ListObject::Decompress(size_t i) {
  Node* n = nodes_[i];
  if (!n->compressed()) return;
  size_t sz = AllocationSize(kHdr + n->bytes);
  auto* m = static_cast<Node*>(malloc(sz));
  if (!Unpack(n, m->data())) abort();
  m->bytes = n->bytes;
  m->count = n->count;
  m->cap = uint32_t(sz - kHdr);
  free(n);
  nodes_[i] = m;
}

void ListObject::Place(size_t i) {
  size_t d = depth_;
  if (d > 0 && i >= d && i + d < nodes_.size())
    Compress(i);
  else
    Decompress(i);
}

void ListObject::Settle(int depth, size_t lo, size_t hi, ptrdiff_t delta) {
  uint32_t want = depth > 0 ? uint32_t(depth) : 0;
  size_t n = nodes_.size();
  if (want != depth_) {
    // A new depth: every node may be on the wrong side of the boundary.
    depth_ = want;
    for (size_t i = 0; i < n; i++) Place(i);
    return;
  }
  if (depth_ == 0) return;
  if (hi > n) hi = n;
  for (size_t i = lo; i < hi; i++) Place(i);
  if (delta == 0) return;
  // Nodes from hi on moved by delta places counted from the head (counted from the tail they
  // stayed put); nodes before lo moved by delta counted from the tail. A moved node changes state
  // only if it crossed the boundary D places from that end: after nodes were added, the ones now
  // at D .. D + delta - 1 from it; after nodes were removed, the ones now at D - |delta| .. D - 1.
  size_t d = depth_;
  size_t from = delta > 0 ? d : d - std::min(d, size_t(-delta));
  size_t to = delta > 0 ? d + size_t(delta) : d;
  for (size_t k = from; k < to && k < n; k++) {
    if (k >= hi) Place(k);
    if (n - 1 - k < lo) Place(n - 1 - k);
  }
}

void ListObject::DropNode(size_t node) {
  free(nodes_[node]);
  nodes_.erase(nodes_.begin() + ptrdiff_t(node));
}

void ListObject::Shrink(size_t node) {
  Node* n = nodes_[node];
  size_t want = AllocationSize(kHdr + (n->bytes ? n->bytes : 1));
  if ((kHdr + n->cap) * 2 < want * 3) return;  // less than a third of slack: keep it
  n = static_cast<Node*>(realloc(n, want));
  n->cap = uint32_t(want - kHdr);
  nodes_[node] = n;
}

void ListObject::InsertAt(size_t node, uint32_t off, std::string_view v) {
  Enc e(v);
  Node* n = Writable(node);
  if (n->bytes + e.total > n->cap) {
    n = GrowNode(n, size_t(n->bytes) + e.total);
    nodes_[node] = n;
  }
  uint8_t* d = n->data();
  if (off < n->bytes) memmove(d + off + e.total, d + off, n->bytes - off);
  e.Write(d + off);
  n->bytes += e.total;
  n->count++;
  count_++;
}

void ListObject::EraseBytes(size_t node, uint32_t off, uint32_t len, uint32_t elems) {
  Node* n = nodes_[node];
  count_ -= elems;
  if (elems == n->count) return DropNode(node);
  n = Writable(node);
  uint8_t* d = n->data();
  memmove(d + off, d + off + len, n->bytes - off - len);
  n->bytes -= len;
  n->count -= elems;
  Shrink(node);
}

void ListObject::Push(End end, std::string_view v, int fill, int depth) {
  // Encoded size first, to decide whether the end node can take it.
  uint32_t total = Enc(v).total;
  if (end == kHead) {
    bool fresh = nodes_.empty() ||
                 !WithinLimit(nodes_.front()->bytes + total, nodes_.front()->count + 1, fill);
    if (fresh) NewNodeAt(0, total);
    InsertAt(0, 0, v);
    Settle(depth, 0, size_t(fresh), ptrdiff_t(fresh));
  } else {
    bool fresh = nodes_.empty() ||
                 !WithinLimit(nodes_.back()->bytes + total, nodes_.back()->count + 1, fill);
    if (fresh) NewNodeAt(nodes_.size(), total);
    InsertAt(nodes_.size() - 1, nodes_.back()->bytes, v);
    Settle(depth, nodes_.size() - size_t(fresh), nodes_.size(), ptrdiff_t(fresh));
  }
}

bool ListObject::Pop(End end, std::string* out, int depth) {
  if (count_ == 0) return false;
  ListElem e;
  size_t before = nodes_.size();
  if (end == kHead) {
    Node* n = Writable(0);
    uint32_t sz = Decode(n->data(), &e);
    if (out) *out = e.ToString();
    EraseBytes(0, 0, sz, 1);
    Settle(depth, 0, 0, ptrdiff_t(nodes_.size()) - ptrdiff_t(before));
  } else {
    Node* n = Writable(nodes_.size() - 1);
    uint32_t sz = SizeBefore(n->data() + n->bytes);
    uint32_t off = n->bytes - sz;
    Decode(n->data() + off, &e);
    if (out) *out = e.ToString();
    EraseBytes(nodes_.size() - 1, off, sz, 1);
    Settle(depth, nodes_.size(), nodes_.size(), ptrdiff_t(nodes_.size()) - ptrdiff_t(before));
  }
  return true;
}

ListObject::Pos ListObject::Locate(size_t idx) const {
  size_t i;
  if (idx < count_ / 2) {
    i = 0;
    while (idx >= nodes_[i]->count) idx -= nodes_[i++]->count;
  } else {
    size_t back = count_ - 1 - idx;
    i = nodes_.size() - 1;
    while (back >= nodes_[i]->count) back -= nodes_[i--]->count;
    idx = nodes_[i]->count - 1 - back;
  }
  return {i, uint32_t(idx)};
}

bool ListObject::Index(int64_t idx, ListElem* out, std::string* text) const {
  int64_t len = int64_t(count_);
  if (idx < 0) idx += len;
  if (idx < 0 || idx >= len) return false;
  Pos p = Locate(size_t(idx));
  const Node* n = nodes_[p.node];
  Scratch s;
  const uint8_t* d = Plain(n, &s);
  Decode(d + ElemOffset(d, n->bytes, n->count, p.elem), out);
  if (n->compressed() && !out->is_int) {
    // s is freed on return: the text moves to the caller's buffer.
    text->assign(out->str);
    out->str = *text;
  }
  return true;
}

size_t ListObject::MaybeSplit(size_t node, int fill) {
  Node* n = nodes_[node];
  if (WithinLimit(n->bytes, n->count, fill)) return 0;
  uint32_t keep = n->count / 2, off = 0;
  const uint8_t* d = n->data();
  for (uint32_t k = 0; k < keep; k++) off += ElemSize(d + off);
  Node* m = NewNodeAt(node + 1, n->bytes - off);
  n = nodes_[node];
  memcpy(m->data(), n->data() + off, n->bytes - off);
  m->bytes = n->bytes - off;
  m->count = n->count - keep;
  n->bytes = off;
  n->count = keep;
  Shrink(node);
  size_t added = 1 + MaybeSplit(node + 1, fill);
  return added + MaybeSplit(node, fill);
}

bool ListObject::Set(int64_t idx, std::string_view v, int fill, int depth) {
  int64_t len = int64_t(count_);
  if (idx < 0) idx += len;
  if (idx < 0 || idx >= len) {
    Settle(depth, 0, 0, 0);
    return false;
  }
  Pos p = Locate(size_t(idx));
  Node* n = Writable(p.node);
  uint32_t off = ElemOffset(n->data(), n->bytes, n->count, p.elem);
  uint32_t old = ElemSize(n->data() + off);
  Enc e(v);
  size_t added = 0;
  if (e.total == old) {
    e.Write(n->data() + off);
  } else {
    InsertAt(p.node, off, v);
    EraseBytes(p.node, off + e.total, old, 1);
    added = MaybeSplit(p.node, fill);
  }
  Settle(depth, p.node, p.node + 1 + added, ptrdiff_t(added));
  return true;
}

bool ListObject::Insert(std::string_view pivot, bool after, std::string_view v, int fill,
                        int depth) {
  ListNeedle needle(pivot);
  ListElem e;
  Scratch s;
  for (size_t i = 0; i < nodes_.size(); i++) {
    const Node* n = nodes_[i];
    const uint8_t* d = Plain(n, &s);
    for (uint32_t off = 0; off < n->bytes;) {
      uint32_t sz = Decode(d + off, &e);
      if (needle.Matches(e)) {
        // The plain layout is the same whether read from s or from the node decompressed.
        InsertAt(i, after ? off + sz : off, v);
        size_t added = MaybeSplit(i, fill);
        Settle(depth, i, i + 1 + added, ptrdiff_t(added));
        return true;
      }
      off += sz;
    }
  }
  Settle(depth, 0, 0, 0);
  return false;
}

size_t ListObject::Remove(int64_t count, std::string_view v, int depth) {
  ListNeedle needle(v);
  ListElem e;
  Scratch s;
  auto matches = [&](const Node* n) {
    const uint8_t* d = Plain(n, &s);
    size_t m = 0;
    for (uint32_t off = 0; off < n->bytes;) {
      off += Decode(d + off, &e);
      m += needle.Matches(e);
    }
    return m;
  };
  size_t limit = SIZE_MAX, skip = 0;
  if (count < 0) {
    // The last |count| matches: skip all the others, walking from the head.
    size_t total = 0;
    for (const Node* n : nodes_) total += matches(n);
    uint64_t want = uint64_t(-(count + 1)) + 1;
    limit = want < total ? size_t(want) : total;
    skip = total - limit;
  } else if (count > 0) {
    limit = size_t(count);
  }
  size_t removed = 0, dropped = 0, lo = SIZE_MAX, hi = 0;
  for (size_t i = 0; i < nodes_.size() && removed < limit; i++) {
    if (nodes_[i]->compressed()) {
      // Decompressed for good only if something in it goes.
      size_t m = matches(nodes_[i]);
      if (m <= skip) {
        skip -= m;
        continue;
      }
    }
    Node* n = Writable(i);
    uint8_t* d = n->data();
    uint32_t w = 0, r = 0, gone = 0;
    while (r < n->bytes) {
      uint32_t sz = Decode(d + r, &e);
      bool del = false;
      if (removed < limit && needle.Matches(e)) {
        if (skip) {
          skip--;
        } else {
          del = true;
          removed++;
          gone++;
        }
      }
      if (!del) {
        if (w != r) memmove(d + w, d + r, sz);
        w += sz;
      }
      r += sz;
    }
    if (!gone) continue;
    lo = std::min(lo, i);
    hi = i + 1;
    n->bytes = w;
    n->count -= gone;
    count_ -= gone;
    if (n->count == 0) {
      free(n);
      nodes_[i] = nullptr;
      dropped++;
    } else {
      Shrink(i);
    }
  }
  std::erase(nodes_, nullptr);
  if (removed)
    Settle(depth, lo, hi - dropped, -ptrdiff_t(dropped));
  else
    Settle(depth, 0, 0, 0);
  return removed;
}

void ListObject::Erase(size_t start, size_t n, int depth) {
  if (n == 0) return Settle(depth, 0, 0, 0);
  Pos p = Locate(start);
  size_t first = p.node, i = p.node;
  uint32_t k = p.elem;
  size_t drop_from = SIZE_MAX, drop_to = 0;
  count_ -= n;
  while (n > 0) {
    Node* nd = nodes_[i];
    if (k == 0 && n >= nd->count) {
      // Whole nodes go without being decompressed.
      n -= nd->count;
      free(nd);
      nodes_[i] = nullptr;
      if (drop_from == SIZE_MAX) drop_from = i;
      drop_to = i + 1;
    } else {
      nd = Writable(i);
      uint8_t* d = nd->data();
      uint32_t off = ElemOffset(d, nd->bytes, nd->count, k);
      uint32_t end = off, gone = 0;
      while (gone < n && end < nd->bytes) {
        end += ElemSize(d + end);
        gone++;
      }
      memmove(d + off, d + end, nd->bytes - end);
      nd->bytes -= end - off;
      nd->count -= gone;
      n -= gone;
      Shrink(i);
    }
    i++;
    k = 0;
  }
  size_t dropped = 0;
  if (drop_from != SIZE_MAX) {
    dropped = drop_to - drop_from;
    nodes_.erase(nodes_.begin() + ptrdiff_t(drop_from), nodes_.begin() + ptrdiff_t(drop_to));
  }
  // What was changed and kept is the first node and the one after the dropped ones.
  Settle(depth, first, first + 2, -ptrdiff_t(dropped));
}

void ListObject::Keep(size_t start, size_t n, int depth) {
  if (start + n < count_) Erase(start + n, count_ - start - n, depth);
  if (start) Erase(0, start, depth);
  Settle(depth, 0, 0, 0);
}

bool ListObject::NodeCompressible(size_t i) const {
  const Node* n = nodes_[i];
  if (n->compressed()) return true;
  if (n->bytes < kMinCompressBytes) return false;
  auto out = std::make_unique_for_overwrite<uint8_t[]>(n->bytes);
  return Pack(n->data(), n->bytes, out.get()) != 0;
}

bool ListObject::Validate() const {
  size_t total = 0;
  ListElem e;
  std::unique_ptr<uint8_t[]> buf;
  for (const Node* n : nodes_) {
    if (n->count == 0) return false;
    const uint8_t* d = n->data();
    if (n->compressed()) {
      buf = std::make_unique_for_overwrite<uint8_t[]>(n->bytes);
      if (n->cap < kLenBytes || !Unpack(n, buf.get())) return false;
      d = buf.get();
    }
    uint32_t off = 0, k = 0;
    while (off < n->bytes) {
      uint32_t sz = Decode(d + off, &e);
      if (SizeBefore(d + off + sz) != sz) return false;
      off += sz;
      k++;
    }
    if (off != n->bytes || k != n->count) return false;
    total += k;
  }
  return total == count_;
}

// ---- Iter ----

ListObject::Iter::Iter(const ListObject& l, size_t start, bool reverse) : l_(l), reverse_(reverse) {
  if (start >= l.count_) {
    done_ = true;
    return;
  }
  Pos p = l.Locate(start);
  node_ = p.node;
  Load();
  const Node* n = l_.nodes_[node_];
  off_ = ElemOffset(d_, n->bytes, n->count, p.elem);
}

void ListObject::Iter::Load() {
  d_ = Plain(l_.nodes_[node_], &scratch_);
  pending_ = false;
}

bool ListObject::Iter::Next(ListElem* out) {
  if (done_) return false;
  const Node* n = l_.nodes_[node_];
  if (pending_) {
    Load();
    off_ = reverse_ ? n->bytes - SizeBefore(d_ + n->bytes) : 0;
  }
  uint32_t sz = Decode(d_ + off_, out);
  if (!reverse_) {
    off_ += sz;
    if (off_ >= n->bytes) {
      if (++node_ == l_.nodes_.size())
        done_ = true;
      else
        pending_ = true;
    }
  } else if (off_ > 0) {
    off_ -= SizeBefore(d_ + off_);
  } else if (node_ == 0) {
    done_ = true;
  } else {
    node_--;
    pending_ = true;
  }
  return true;
}

}  // namespace strata::kv
