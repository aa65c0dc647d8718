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
// size, and so does this type. list-compress-depth is accepted by the server but nodes are not
// compressed.
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

  // ---- End operations (LPUSH/RPUSH/LPOP/RPOP and the blocking pops) ----
  // `fill` is list-max-listpack-size.
  void Push(End end, std::string_view v, int fill);
  // Removes the element at `end` into *out; false if the list is empty.
  bool Pop(End end, std::string* out);
  // Removes up to n elements at `end`, calling fn(const ListElem&) for each in pop order (the
  // element is valid only during the call). Returns how many were removed.
  template <typename F>
  size_t PopMany(End end, size_t n, F&& fn);

  // ---- Positional access; indexes may be negative (from the tail) ----
  // The element at idx, or false when out of range. The element stays valid until a write.
  bool Index(int64_t idx, ListElem* out) const;
  // Replaces the element at idx; false when out of range.
  bool Set(int64_t idx, std::string_view v, int fill);
  // Inserts v before (or after) the first element equal to pivot; false if there is none.
  bool Insert(std::string_view pivot, bool after, std::string_view v, int fill);
  // Removes elements equal to v: the first `count` from the head (count > 0), the last -count
  // from the tail (count < 0) or all (count == 0). Returns how many were removed.
  size_t Remove(int64_t count, std::string_view v);
  // Removes `n` elements starting at index `start` (0-based, within range).
  void Erase(size_t start, size_t n);
  // Keeps only [start, start + n) (LTRIM after index normalisation).
  void Keep(size_t start, size_t n);

  // Calls fn(const ListElem&) for `n` elements from index `start` towards the tail, or (reverse)
  // from index `start` towards the head.
  template <typename F>
  void ForRange(size_t start, size_t n, bool reverse, F&& fn) const;

  // Nodes in use (tests, FreeEffort).
  size_t NodeCount() const { return nodes_.size(); }
  // Checks internal consistency (tests): counts, sizes and back-lengths agree.
  bool Validate() const;

  // The node header; the packed elements follow it in the same allocation.
  struct Node {
    uint32_t bytes;  // used bytes of element data
    uint32_t count;  // elements
    uint32_t cap;    // bytes available for element data
    uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  };

 private:
  // Position of one element: node index and byte offset of its tag.
  struct Pos {
    size_t node;
    uint32_t off;
  };
  Pos Locate(size_t idx) const;
  Node* NewNodeAt(size_t at, size_t data_bytes);
  void InsertAt(size_t node, uint32_t off, std::string_view v);
  void EraseBytes(size_t node, uint32_t off, uint32_t len, uint32_t elems);
  void DropNode(size_t node);
  void MaybeSplit(size_t node, int fill);
  void Shrink(size_t node);

  std::deque<Node*> nodes_;
  size_t count_ = 0;
};

// Walks elements from a position towards the tail or the head.
class ListObject::Iter {
 public:
  // Starts at index `start` (must be < Length() unless the list is empty).
  Iter(const ListObject& l, size_t start, bool reverse);
  // The next element, or false at the end of the list.
  bool Next(ListElem* out);

 private:
  const ListObject& l_;
  size_t node_ = 0;
  uint32_t off_ = 0;
  bool reverse_;
  bool done_ = false;
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
size_t ListObject::PopMany(End end, size_t n, F&& fn) {
  if (n > count_) n = count_;
  if (n == 0) return 0;
  if (end == kHead) {
    ForRange(0, n, false, fn);
    Erase(0, n);
  } else {
    ForRange(count_ - 1, n, true, fn);
    Erase(count_ - n, n);
  }
  return n;
}

}  // namespace strata::kv
