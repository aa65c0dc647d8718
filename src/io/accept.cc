#include "io/accept.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <mutex>

#include "base/clock.h"
#include "base/log.h"

namespace strata::io {
namespace {

std::mutex g_accept_mu;
int g_spare_fd = -1;  // guarded by g_accept_mu

int64_t g_last_warning_us = 0;  // guarded by g_accept_mu

int OpenSpare() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

void ReserveSpareFd() {
  std::lock_guard<std::mutex> lock(g_accept_mu);
  if (g_spare_fd < 0) g_spare_fd = OpenSpare();
}

Accepted AcceptOrRefuse(int listen_fd, std::string_view refusal, const char* hint) {
  Accepted r;
  std::lock_guard<std::mutex> lock(g_accept_mu);
  r.fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (r.fd >= 0) return r;
  r.error = errno;
  if (r.error != EMFILE && r.error != ENFILE) return r;
  int64_t now = MonoMicros();
  if (now - g_last_warning_us > 1000000) {
    LOG_WARNING("accept: out of file descriptors (%s)", hint);
    g_last_warning_us = now;
  }
  if (g_spare_fd < 0) g_spare_fd = OpenSpare();  // lost earlier; a client may have left since
  if (g_spare_fd < 0) {
    r.out_of_fds = true;
    return r;
  }
  close(g_spare_fd);
  int c = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c >= 0) {
    ssize_t n = send(c, refusal.data(), refusal.size(), MSG_NOSIGNAL);
    (void)n;
    close(c);
    r.refused = true;
  } else {
    r.error = errno;
  }
  g_spare_fd = OpenSpare();
  return r;
}

void AcceptRetry::Arm(Reactor* reactor, EventHandler* listener) {
  if (armed_) return;
  armed_ = true;
  reactor->RunAfter(10, [this, listener] {
    armed_ = false;
    listener->OnEvent(EPOLLIN);
  });
}

}  // namespace strata::io
