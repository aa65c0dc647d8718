// Intrusive doubly linked list used by the list- and queue-based eviction policies.
//
// A ListHook is embedded (by inheritance) in each policy's per-entry hook; the list owns no
// memory. The list is circular around a sentinel, so insert/remove never branch on emptiness.
// Order convention for every policy: Front() is the oldest end (next to be examined for
// eviction), Back() the newest. Lists are pinned in memory (the sentinel is self-referential),
// so they, and the policies holding them, are neither copyable nor movable.
#pragma once

#include <cassert>
#include <cstddef>

namespace strata::cache {

struct ListHook {
  ListHook* prev = nullptr;
  ListHook* next = nullptr;
  bool linked() const { return next != nullptr; }
};

class IntrusiveList {
 public:
  IntrusiveList() { head_.prev = head_.next = &head_; }
  IntrusiveList(const IntrusiveList&) = delete;
  IntrusiveList& operator=(const IntrusiveList&) = delete;

  bool empty() const { return head_.next == &head_; }
  size_t size() const { return size_; }

  // nullptr when empty.
  ListHook* Front() const { return empty() ? nullptr : head_.next; }
  ListHook* Back() const { return empty() ? nullptr : head_.prev; }
  // The neighbour towards Back(); nullptr past the end.
  ListHook* Next(const ListHook* h) const { return h->next == &head_ ? nullptr : h->next; }

  void PushBack(ListHook* h) { InsertBefore(&head_, h); }
  void PushFront(ListHook* h) { InsertBefore(head_.next, h); }
  // Links h just before pos (pos must be in this list).
  void InsertBefore(ListHook* pos, ListHook* h) {
    assert(!h->linked());
    h->prev = pos->prev;
    h->next = pos;
    pos->prev->next = h;
    pos->prev = h;
    ++size_;
  }
  void Remove(ListHook* h) {
    assert(h->linked());
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->prev = h->next = nullptr;
    --size_;
  }
  ListHook* PopFront() {
    ListHook* h = Front();
    if (h != nullptr) Remove(h);
    return h;
  }
  void MoveToBack(ListHook* h) {
    if (h->next == &head_) return;  // already the newest
    h->prev->next = h->next;
    h->next->prev = h->prev;
    h->prev = head_.prev;
    h->next = &head_;
    head_.prev->next = h;
    head_.prev = h;
  }

 private:
  ListHook head_;
  size_t size_ = 0;
};

}  // namespace strata::cache
