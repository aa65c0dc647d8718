// Thin socket helpers: listening sockets (SO_REUSEPORT so each shard thread accepts on its own
// socket), non-blocking setup, and address parsing. No I/O policy lives here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::io {

// Creates a non-blocking listening TCP socket bound to host:port. With reuse_port, several
// sockets may bind the same address and the kernel spreads connections across them.
// Returns the fd, or -1 with *error set.
int Listen(const std::string& host, uint16_t port, bool reuse_port, int backlog,
           std::string* error);
// Whether host:port is free to listen on: false, with *error set ("... Address already in use"),
// when another socket already listens there. Call it before binding a SO_REUSEPORT group: the
// kernel lets any process of the same user join an existing group, so a second server started on
// the same port would otherwise come up silently and take a share of the connections.
bool AddressFree(const std::string& host, uint16_t port, std::string* error);
// Connects (blocking) to host:port; returns the fd or -1. For tests and tools.
int ConnectTcp(const std::string& host, uint16_t port, std::string* error);
// Starts a non-blocking connect to host:port (name resolution itself blocks). Returns the fd,
// with the connection established or in progress (it becomes writable when done: read SO_ERROR),
// or -1 with *error set.
int ConnectTcpNonBlocking(const std::string& host, uint16_t port, std::string* error);
bool SetNonBlocking(int fd);
// Sends out[*sent..] on a non-blocking socket until it is all sent or the socket is full,
// advancing *sent (retrying EINTR). Returns false on a write error (the peer is gone); true
// otherwise, with *sent < out.size() when the socket is full (wait for EPOLLOUT).
bool SendPending(int fd, std::string_view out, size_t* sent);
void SetNoDelay(int fd);
// "ip:port" of the peer / local end of a connected socket.
std::string PeerAddress(int fd);
// Whether the peer is "local" as Redis defines it: a Unix socket, 127.0.0.1 or ::1 (also as the
// IPv4-mapped ::ffff:127.0.0.1). Other 127.0.0.0/8 addresses are not.
bool PeerIsLocal(int fd);
std::string LocalAddress(int fd);

}  // namespace strata::io
