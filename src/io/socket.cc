#include "io/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace strata::io {

bool SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

namespace {

// A non-blocking TCP socket bound to host:port (SO_REUSEADDR, so connections in TIME_WAIT do not
// block a restart), or -1 with *error set.
int BoundSocket(const std::string& host, uint16_t port, bool reuse_port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo* res = nullptr;
  std::string port_s = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_s.c_str(), &hints, &res);
  if (rc != 0) {
    *error = std::string("invalid bind address '") + host + "': " + gai_strerror(rc);
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = strerror(errno);
    freeaddrinfo(res);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    *error = std::string("could not bind ") + host + ":" + port_s + ": " + strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

}  // namespace

int Listen(const std::string& host, uint16_t port, bool reuse_port, int backlog,
           std::string* error) {
  int fd = BoundSocket(host, port, reuse_port, error);
  if (fd >= 0 && listen(fd, backlog) != 0) {
    *error = std::string("could not listen on ") + host + ":" + std::to_string(port) + ": " +
             strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

bool AddressFree(const std::string& host, uint16_t port, std::string* error) {
  // Without SO_REUSEPORT this bind fails while any socket listens on the address, whoever owns
  // it (SO_REUSEADDR only lets it pass sockets that are not listening).
  int fd = BoundSocket(host, port, /*reuse_port=*/false, error);
  if (fd < 0) return false;
  close(fd);
  return true;
}

namespace {
// Resolves host:port and opens a TCP socket with `flags` (SOCK_NONBLOCK, ...) connecting to the
// first address. Returns the fd, or -1 with *error set; *connect_errno is connect()'s errno (0 on
// success).
int OpenConnected(const std::string& host, uint16_t port, int flags, std::string* error,
                  int* connect_errno) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port_s = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), port_s.c_str(), &hints, &res);
  if (rc != 0) {
    *error = gai_strerror(rc);
    return -1;
  }
  *connect_errno = 0;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
  if (fd < 0) {
    *error = strerror(errno);
  } else if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    *connect_errno = errno;
    *error = strerror(errno);
  }
  freeaddrinfo(res);
  return fd;
}
}  // namespace

int ConnectTcp(const std::string& host, uint16_t port, std::string* error) {
  int err = 0;
  int fd = OpenConnected(host, port, 0, error, &err);
  if (fd >= 0 && err != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectTcpNonBlocking(const std::string& host, uint16_t port, std::string* error) {
  int err = 0;
  int fd = OpenConnected(host, port, SOCK_NONBLOCK, error, &err);
  if (fd >= 0 && err != 0 && err != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

namespace {
std::string FormatAddr(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}
}  // namespace

std::string PeerAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?:0";
  return FormatAddr(ss);
}

bool PeerIsLocal(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  if (ss.ss_family == AF_UNIX) return true;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    return ntohl(a->sin_addr.s_addr) == INADDR_LOOPBACK;
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
      const uint8_t* b = a->sin6_addr.s6_addr;
      return b[12] == 127 && b[13] == 0 && b[14] == 0 && b[15] == 1;
    }
  }
  return false;
}

std::string LocalAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?:0";
  return FormatAddr(ss);
}

bool SendPending(int fd, std::string_view out, size_t* sent) {
  while (*sent < out.size()) {
    ssize_t n = ::send(fd, out.data() + *sent, out.size() - *sent, MSG_NOSIGNAL);
    if (n > 0) {
      *sent += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  return true;
}

}  // namespace strata::io
