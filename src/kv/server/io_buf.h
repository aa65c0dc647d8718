// IoBuf: a growable byte buffer with a consumed prefix, for socket input and output. Unlike
// std::string it never zero-fills the space it reserves for the next read.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace strata::kv {

class IoBuf {
 public:
  IoBuf() = default;
  IoBuf(const IoBuf&) = delete;
  IoBuf& operator=(const IoBuf&) = delete;
  ~IoBuf() { free(data_); }

  std::string_view view() const { return {data_ + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return cap_; }

  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Ensures at least n writable bytes after the data; returns where to write.
  char* Reserve(size_t n) {
    if (cap_ - end_ >= n) return data_ + end_;
    if (begin_ > 0) {  // compact first
      memmove(data_, data_ + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (cap_ - end_ >= n) return data_ + end_;
    }
    size_t want = cap_ ? cap_ * 2 : 16384;
    while (want - end_ < n) want *= 2;
    char* p = static_cast<char*>(realloc(data_, want));
    if (!p) throw std::bad_alloc();
    data_ = p;
    cap_ = want;
    return data_ + end_;
  }
  void Commit(size_t n) { end_ += n; }
  // Gives memory back when the buffer is idle and oversized.
  void ShrinkIfIdle(size_t keep) {
    if (empty() && cap_ > keep) {
      free(data_);
      data_ = nullptr;
      cap_ = begin_ = end_ = 0;
    }
  }

 private:
  char* data_ = nullptr;
  size_t cap_ = 0, begin_ = 0, end_ = 0;
};

}  // namespace strata::kv
