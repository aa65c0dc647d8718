#include "io/socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace strata::io {
namespace {

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

TEST(Socket, AddressFreeSeesAReusePortGroup) {
  std::string err;
  int a = Listen("127.0.0.1", 0, true, 16, &err);
  ASSERT_GE(a, 0) << err;
  uint16_t port = PortOf(a);
  // The kernel would let a second group member in; the probe does not.
  int b = Listen("127.0.0.1", port, true, 16, &err);
  EXPECT_GE(b, 0) << "SO_REUSEPORT joins an existing group of the same user";
  EXPECT_FALSE(AddressFree("127.0.0.1", port, &err));
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
  EXPECT_FALSE(AddressFree("0.0.0.0", port, &err));
  if (b >= 0) close(b);
  close(a);
  EXPECT_TRUE(AddressFree("127.0.0.1", port, &err)) << err;
}

TEST(Socket, AddressFreeIgnoresConnectedSockets) {
  std::string err;
  int l = Listen("127.0.0.1", 0, false, 16, &err);
  ASSERT_GE(l, 0) << err;
  uint16_t port = PortOf(l);
  int c = ConnectTcp("127.0.0.1", port, &err);
  ASSERT_GE(c, 0) << err;
  int s = accept(l, nullptr, nullptr);
  ASSERT_GE(s, 0);
  close(l);  // an accepted connection still uses the port, as after a restart
  EXPECT_TRUE(AddressFree("127.0.0.1", port, &err)) << err;
  int again = Listen("127.0.0.1", port, true, 16, &err);
  EXPECT_GE(again, 0) << err;
  if (again >= 0) close(again);
  close(s);
  close(c);
}

TEST(Socket, AddressFreeRejectsBadAddresses) {
  std::string err;
  EXPECT_FALSE(AddressFree("not-an-ip", 7000, &err));
  EXPECT_NE(err.find("invalid bind address"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::io
