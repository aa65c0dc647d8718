// The +OK server's io_uring loop: the I/O ceiling with the fewest system calls Linux offers.
//
// One ring per thread. The listener is served by a multishot accept; every connection by a
// multishot recv that picks its buffer from a provided-buffer ring, so a request costs no read()
// and no readiness event. Replies go out as send requests queued during the turn and submitted
// with the next wait: one io_uring_enter per loop turn for all sockets together. At most one send
// per connection is in flight; replies produced meanwhile wait in a second buffer.
#include "uring_loop.h"

#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "io/socket.h"
#include "proto/resp/parser.h"

namespace {

constexpr unsigned kRingEntries = 4096;
constexpr unsigned kBuffers = 1024;  // a power of two
constexpr size_t kBufferSize = 16 * 1024;
constexpr int kBufferGroup = 0;

enum Op : uint64_t { kAccept = 1, kRecv = 2, kSend = 3 };

struct Conn {
  int fd;
  strata::resp::RespParser parser;
  std::vector<std::string_view> args;
  std::string in;
  std::string sending;  // owned by the kernel while a send is in flight
  std::string pending;  // replies produced while a send was in flight
  bool send_inflight = false;
  bool recv_armed = false;
  bool closing = false;
};

class Loop {
 public:
  bool Init(std::string* err) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int r = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    if (r < 0) {
      *err = std::string("io_uring_queue_init: ") + strerror(-r);
      return false;
    }
    void* mem = nullptr;
    if (posix_memalign(&mem, 4096, kBuffers * sizeof(io_uring_buf)) != 0) return false;
    br_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br_);
    reg.ring_entries = kBuffers;
    reg.bgid = kBufferGroup;
    r = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (r < 0) {
      *err = std::string("io_uring_register_buf_ring: ") + strerror(-r);
      return false;
    }
    bufs_.resize(size_t(kBuffers) * kBufferSize);
    for (unsigned i = 0; i < kBuffers; i++) GiveBack(i, int(i));
    io_uring_buf_ring_advance(br_, int(kBuffers));
    return true;
  }

  void Run(int listen_fd) {
    listen_fd_ = listen_fd;
    ArmAccept();
    for (;;) {
      io_uring_submit_and_wait(&ring_, 1);
      io_uring_cqe* cqe;
      unsigned head, seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        seen++;
        Complete(cqe);
      }
      io_uring_cq_advance(&ring_, seen);
      for (Conn* c : flush_) Flush(c);
      flush_.clear();
    }
  }

 private:
  static uint64_t Tag(Op op, Conn* c) { return reinterpret_cast<uint64_t>(c) | op; }

  io_uring_sqe* Sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring_);
    if (s == nullptr) {  // full: hand what is queued to the kernel first
      io_uring_submit(&ring_);
      s = io_uring_get_sqe(&ring_);
    }
    return s;
  }

  void GiveBack(unsigned bid, int offset) {
    io_uring_buf_ring_add(br_, bufs_.data() + size_t(bid) * kBufferSize, kBufferSize, uint16_t(bid),
                          io_uring_buf_ring_mask(kBuffers), offset);
  }

  void ArmAccept() {
    io_uring_sqe* s = Sqe();
    io_uring_prep_multishot_accept(s, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, kAccept);
  }

  void ArmRecv(Conn* c) {
    io_uring_sqe* s = Sqe();
    io_uring_prep_recv_multishot(s, c->fd, nullptr, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(s, Tag(kRecv, c));
    c->recv_armed = true;
  }

  void Complete(io_uring_cqe* cqe) {
    uint64_t ud = cqe->user_data;
    if (ud == kAccept) {
      if (cqe->res >= 0) {
        strata::io::SetNoDelay(cqe->res);
        Conn* c = new Conn{};
        c->fd = cqe->res;
        ArmRecv(c);
      }
      if (!(cqe->flags & IORING_CQE_F_MORE)) ArmAccept();
      return;
    }
    Conn* c = reinterpret_cast<Conn*>(ud & ~uint64_t(7));
    if ((ud & 7) == kSend) {
      c->send_inflight = false;
      if (cqe->res < 0)
        c->closing = true;
      else if (size_t(cqe->res) < c->sending.size())
        c->pending.insert(0, c->sending, size_t(cqe->res));
      c->sending.clear();
      if (c->closing) return MaybeDelete(c);
      if (!c->pending.empty()) flush_.push_back(c);
      return;
    }
    // Receive.
    if (!(cqe->flags & IORING_CQE_F_MORE)) c->recv_armed = false;
    if (cqe->res > 0) {
      unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      c->in.append(bufs_.data() + size_t(bid) * kBufferSize, size_t(cqe->res));
      GiveBack(bid, 0);
      io_uring_buf_ring_advance(br_, 1);
      if (!c->closing) Parse(c);
    } else if (cqe->res == 0 || cqe->res != -ENOBUFS) {
      c->closing = true;  // peer closed or error
    }
    if (c->closing) return MaybeDelete(c);
    if (!c->recv_armed) ArmRecv(c);  // ran out of buffers, or the kernel ended the multishot
  }

  void Parse(Conn* c) {
    size_t off = 0;
    for (;;) {
      size_t consumed = 0;
      auto st = c->parser.Parse(std::string_view(c->in).substr(off), {}, &c->args, &consumed);
      off += consumed;
      if (st == strata::resp::RespParser::Status::kCommand) {
        c->pending.append("+OK\r\n");
        continue;
      }
      if (st != strata::resp::RespParser::Status::kNeedMore) c->closing = true;
      break;
    }
    c->in.erase(0, off);
    if (!c->pending.empty()) flush_.push_back(c);
  }

  void Flush(Conn* c) {
    if (c->send_inflight || c->closing || c->pending.empty()) return;
    c->sending.swap(c->pending);
    io_uring_sqe* s = Sqe();
    io_uring_prep_send(s, c->fd, c->sending.data(), c->sending.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, Tag(kSend, c));
    c->send_inflight = true;
  }

  void MaybeDelete(Conn* c) {
    if (c->recv_armed) {  // ends the multishot recv: its last completion comes back here
      shutdown(c->fd, SHUT_RDWR);
      return;
    }
    if (c->send_inflight) return;
    for (Conn*& f : flush_)
      if (f == c) f = nullptr;
    std::erase(flush_, nullptr);
    close(c->fd);
    delete c;
  }

  io_uring ring_{};
  io_uring_buf_ring* br_ = nullptr;
  std::vector<char> bufs_;
  std::vector<Conn*> flush_;  // connections with replies to send after this batch
  int listen_fd_ = -1;
};

}  // namespace

int RunUringLoop(int listen_fd, std::string* err) {
  Loop* loop = new Loop;  // lives as long as the thread
  if (!loop->Init(err)) return 1;
  loop->Run(listen_fd);
  return 0;
}

bool UringAvailable(std::string* err) {
  io_uring ring;
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(8, &ring, &p);
  if (r < 0) {
    *err = std::string("io_uring unavailable: ") + strerror(-r);
    return false;
  }
  io_uring_queue_exit(&ring);
  return true;
}
