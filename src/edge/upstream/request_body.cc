#include "edge/upstream/request_body.h"

namespace strata::edge {

void RequestBodyPipe::Append(std::string_view bytes) {
  buf_.append(bytes);
  Appended();
}

void RequestBodyPipe::Appended() {
  if (off_ < buf_.size()) WakeReader();
}

void RequestBodyPipe::Finish() {
  finished_ = true;
  WakeReader();
}

void RequestBodyPipe::Fail() {
  failed_ = true;
  WakeReader();
}

void RequestBodyPipe::Consume(size_t n) {
  off_ += n;
  forwarded_ += n;
  if (off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  } else if (off_ >= 64 * 1024 && off_ * 2 >= buf_.size()) {
    buf_.erase(0, off_);  // amortised: at most as many bytes moved as consumed
    off_ = 0;
  }
  if (writer_blocked_ && buf_.size() - off_ <= kHighWater / 2) {
    writer_blocked_ = false;
    WakeWriter();
  }
}

void RequestBodyPipe::DetachReader() {
  reader_ = nullptr;
  WakeWriter();
}

void RequestBodyPipe::WakeReader() {
  if (reader_wake_posted_ || !reader_) return;
  reader_wake_posted_ = true;
  std::weak_ptr<RequestBodyPipe> self = weak_from_this();
  reactor_->Post([self] {
    auto p = self.lock();
    if (!p) return;
    p->reader_wake_posted_ = false;
    if (p->reader_) p->reader_->OnRequestBodyReadable();
  });
}

void RequestBodyPipe::WakeWriter() {
  if (writer_wake_posted_ || !writer_) return;
  writer_wake_posted_ = true;
  std::weak_ptr<RequestBodyPipe> self = weak_from_this();
  reactor_->Post([self] {
    auto p = self.lock();
    if (!p) return;
    p->writer_wake_posted_ = false;
    if (p->writer_) p->writer_->OnRequestBodyDrained();
  });
}

}  // namespace strata::edge
