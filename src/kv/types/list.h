// ListObject: the list type, a sequence of packed nodes (Redis's quicklist design).
//
// Elements live in nodes of a few KB each; a node is one allocation holding a small header and
// its elements back to back, each encoded as
//
//   tag [payload] backlen
//
// where the tag says whether the element is an integer (stored in 0, 1, 2, 3, 4 or 8 bytes:
// canonical decimal text such as "42" or "-7" is kept as a number) or text (length in the tag
// for up to 63 bytes, in one more byte up to 4095, else in 4 or 8), and backlen is the size of
// tag + payload written backwards in 7-bit groups so a node can be walked in both directions.
// An element of up to 63 bytes costs its bytes plus two. The nodes are held in a deque of
// pointers: pushes and pops at either end are O(1) (plus moving the bytes of the end node),
// indexing is O(nodes + offset in the node).
//
// Node size follows list-max-listpack-size ("fill"), passed to each write: a negative fill
// caps a node's allocation at 4, 8, 16, 32 or 64 KB (-1 .. -5), a positive one caps its element
// count (and its size at 8 KB, as Redis does). A single element larger than the cap gets a node
// of its own. Redis 7.0 reports every list as "quicklist" in OBJECT ENCODING, whatever its
// size, and so does this type.
//
// Compression follows list-compress-depth ("depth"), passed to each write as fill is. With depth
// D > 0 the D nodes at each end stay plain and every node between them is held LZF-compressed
// whenever that makes its allocation smaller (a node under 64 bytes is not tried). Lists are
// mostly pushed and popped at their ends, so the nodes those touch stay plain and an end
// operation compresses at most the one node that crosses the depth boundary when a node is
// added, or decompresses the one that crosses it back when a node goes. A write in the middle
// decompresses the node it changes and compresses it again before returning; reads decompress
// into a buffer of their own and leave the node compressed. A write given a depth other than
// the one the list is laid out for (CONFIG SET) re-lays out all its nodes, once. Replies never
// depend on the compression: only the memory does.
//
// Thread ownership: as every Object, a list belongs to its shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "kv/engine/object.h"

namespace strata::kv {

// One element as stored: text or a number.
struct ListElem {
  std::string_view str;  // the text when !is_int (points into the node: valid until a write)
  int64_t num = 0;
  bool is_int = false;

  // The element as text; buf must have room for 21 bytes (used for numbers).
  std::string_view View(char* buf) const;
  std::string ToString() const;
};

// A value to compare against stored elements, prepared once (its integer form, if any).
class ListNeedle {
 public:
  explicit ListNeedle(std::string_view v);
  bool Matches(const ListElem& e) const {
    return e.is_int ? (is_int_ && e.num == num_) : (e.str == text_);
  }

 private:
  std::string_view text_;
  int64_t num_ = 0;
  bool is_int_ = false;
};

class ListObject final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kList;
  enum End { kHead, kTail };
  class Iter;

  ListObject() = default;
  ~ListObject() override;
  ListObject(const ListObject&) = delete;
  ListObject& operator=(const ListObject&) = delete;

  ObjType type() const override { return kType; }
  const char* Encoding() const override { return "quicklist"; }
  size_t Length() const override { return count_; }
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override { return nodes_.size(); }

  // Every write takes `depth`, list-compress-depth; those that can grow a node also take `fill`,
  // list-max-listpack-size.

  // ---- End operations (LPUSH/RPUSH/LPOP/RPOP and the blocking pops) ----
  void Push(End end, std::string_view v, int fill, int depth);
  // Removes the element at `end` into *out; false if the list is empty.
  bool Pop(End end, std::string* out, int depth);
  // Removes up to n elements at `end`, calling fn(const ListElem&) for each in pop order (the
  // element is valid only during the call). Returns how many were removed.
  template <typename F>
  size_t PopMany(End end, size_t n, int depth, F&& fn);

  // ---- Positional access; indexes may be negative (from the tail) ----
  // The element at idx, or false when out of range. The element stays valid until a write and
  // until *text changes: an element of a compressed node has its text copied there.
  bool Index(int64_t idx, ListElem* out, std::string* text) const;
  // Replaces the element at idx; false when out of range.
  bool Set(int64_t idx, std::string_view v, int fill, int depth);
  // Inserts v before (or after) the first element equal to pivot; false if there is none.
  bool Insert(std::string_view pivot, bool after, std::string_view v, int fill, int depth);
  // Removes elements equal to v: the first `count` from the head (count > 0), the last -count
  // from the tail (count < 0) or all (count == 0). Returns how many were removed.
  size_t Remove(int64_t count, std::string_view v, int depth);
  // Removes `n` elements starting at index `start` (0-based, within range).
  void Erase(size_t start, size_t n, int depth);
  // Keeps only [start, start + n) (LTRIM after index normalisation).
  void Keep(size_t start, size_t n, int depth);

  // Calls fn(const ListElem&) for `n` elements from index `start` towards the tail, or (reverse)
  // from index `start` towards the head.
  template <typename F>
  void ForRange(size_t start, size_t n, bool reverse, F&& fn) const;

  // Nodes in use (tests, FreeEffort).
  size_t NodeCount() const { return nodes_.size(); }
  // Checks internal consistency (tests): counts, sizes and back-lengths agree, and compressed
  // nodes decompress to what their header says.
  bool Validate() const;
  // Whether node i is held compressed, and whether compressing it would make its allocation
  // smaller (tests check the layout with these).
  bool NodeCompressed(size_t i) const { return nodes_[i]->compressed(); }
  bool NodeCompressible(size_t i) const;

  // The node header; the elements follow it in the same allocation. A compressed node holds
  // instead a 4-byte length and that many bytes of the elements' LZF form. It is kept only when
  // its allocation is smaller than the plain one would be, so its cap is below its bytes; a plain
  // node always has room for its bytes, which is how the two are told apart without a flag.
  struct Node {
    uint32_t bytes;  // bytes of element data (before compression)
    uint32_t count;  // elements
    uint32_t cap;    // bytes of the allocation after the header
    bool compressed() const { return cap < bytes; }
    uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  };

 private:
  // An element's place: node index and position of the element within the node.
  struct Pos {
    size_t node;
    uint32_t elem;
  };
  // Room for the plain form of compressed nodes that are read but not changed.
  struct Scratch {
    std::unique_ptr<uint8_t[]> buf;
    size_t cap = 0;
  };
  // The elements of n: its own data when plain, else decompressed into *s.
  static const uint8_t* Plain(const Node* n, Scratch* s);

  Pos Locate(size_t idx) const;
  Node* NewNodeAt(size_t at, size_t data_bytes);
  // Node i in plain form, decompressed in place if it was compressed (for a write).
  Node* Writable(size_t i);
  void Compress(size_t i);
  void Decompress(size_t i);
  // Compresses node i if it is an interior node of the current layout, else decompresses it.
  void Place(size_t i);
  // Restores the layout for `depth` after a write: [lo, hi) are the nodes the write changed or
  // created (indexes after it), delta how many nodes it added (< 0: removed) between the ones
  // before lo and the ones from hi on.
  void Settle(int depth, size_t lo, size_t hi, ptrdiff_t delta);
  void InsertAt(size_t node, uint32_t off, std::string_view v);
  void EraseBytes(size_t node, uint32_t off, uint32_t len, uint32_t elems);
  void DropNode(size_t node);
  // Splits node `node` while it is over the fill limit; returns how many nodes it added.
  size_t MaybeSplit(size_t node, int fill);
  void Shrink(size_t node);

  std::deque<Node*> nodes_;
  size_t count_ = 0;
  // The depth the nodes are laid out for: the `depth` nodes at each end are plain, the others
  // compressed where that saves memory (0: all plain).
  uint32_t depth_ = 0;
};

// Walks elements from a position towards the tail or the head. An element returned by Next is
// valid until the next call to Next (a compressed node is decompressed into the iterator's own
// buffer, which the next node may reuse) and until a write to the list.
class ListObject::Iter {
 public:
  // Starts at index `start` (must be < Length() unless the list is empty).
  Iter(const ListObject& l, size_t start, bool reverse);
  // The next element, or false at the end of the list.
  bool Next(ListElem* out);

 private:
  void Load();

  const ListObject& l_;
  Scratch scratch_;
  const uint8_t* d_ = nullptr;  // the current node's elements (plain)
  size_t node_ = 0;
  uint32_t off_ = 0;
  bool reverse_;
  bool done_ = false;
  // The walk has moved to node_ but not read it yet: it is loaded on the next call, so the
  // element returned last stays valid until then.
  bool pending_ = false;
};

// ---- Element codec (used by the templates below) ----
namespace list_codec {
// Decodes the element at p; returns its total size (tag, payload and backlen).
uint32_t Decode(const uint8_t* p, ListElem* out);
// Size of the element that ends just before `end` (reads its backlen).
uint32_t SizeBefore(const uint8_t* end);
}  // namespace list_codec

template <typename F>
void ListObject::ForRange(size_t start, size_t n, bool reverse, F&& fn) const {
  if (n == 0) return;
  Iter it(*this, start, reverse);
  ListElem e;
  while (n-- && it.Next(&e)) fn(e);
}

template <typename F>
size_t ListObject::PopMany(End end, size_t n, int depth, F&& fn) {
  if (n > count_) n = count_;
  if (n == 0) {
    Erase(0, 0, depth);  // nothing to pop, but a write all the same: it adopts the depth
    return 0;
  }
  if (end == kHead) {
    ForRange(0, n, false, fn);
    Erase(0, n, depth);
  } else {
    ForRange(count_ - 1, n, true, fn);
    Erase(count_ - n, n, depth);
  }
  return n;
}

}  // namespace strata::kv
