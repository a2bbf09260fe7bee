#include "common/net_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "gtest/gtest.h"

namespace paasta {
namespace {

// Listens on 127.0.0.1:port (with SO_REUSEADDR when `reuse`, as most
// servers); the fd, or -1.
int Listen(int port, bool reuse = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (reuse) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || ::listen(fd, 1) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(FreeLoopbackPortTest, PicksABindablePortOutsideTheKernelsEphemeralRange) {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int first = 0, last = 0;
  ASSERT_TRUE(range >> first >> last) << "this test reads the ephemeral range from /proc";
  for (int i = 0; i < 50; ++i) {
    const int port = FreeLoopbackPort();
    ASSERT_NE(port, 0);
    EXPECT_TRUE(port < first || port > last) << port << " is in the ephemeral range " << first << "-" << last;
    const int fd = Listen(port);
    EXPECT_GE(fd, 0) << "port " << port << " was handed out but cannot be bound";
    if (fd >= 0) ::close(fd);
  }
}

TEST(FreeLoopbackPortTest, NeverHandsOutTheSamePortTwiceInAShortWhile) {
  std::set<int> seen;
  for (int i = 0; i < 500; ++i) {
    const int port = FreeLoopbackPort();
    ASSERT_NE(port, 0);
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " handed out twice";
  }
}

TEST(FreeLoopbackPortTest, NeverHandsOutAPortSomeoneListensOn) {
  // Ports held by listeners (beyond what this process remembers handing out:
  // the listeners bind ports the kernel picks, so only the bind check can
  // keep them out). Each is a port the picker may try; none may come back.
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int first = 0, last = 0;
  ASSERT_TRUE(range >> first >> last);
  std::set<int> held;
  std::vector<int> fds;
  for (int port = first - 1; port >= first - 400 && port > 1024; --port) {
    if (const int fd = Listen(port); fd >= 0) {
      held.insert(port);
      fds.push_back(fd);
    }
  }
  ASSERT_GT(held.size(), 100u);
  for (int i = 0; i < 2000; ++i) {
    const int port = FreeLoopbackPort();
    ASSERT_NE(port, 0);
    EXPECT_EQ(held.count(port), 0u) << "port " << port << " is in use and was handed out";
  }
  for (int fd : fds) ::close(fd);
}

TEST(ReserveLoopbackPortTest, TheListenerBindsBesideTheReservationAndNobodyElseCan) {
  const int port = ReserveLoopbackPort();
  ASSERT_NE(port, 0);
  // Nobody picking a port (an exclusive bind, as every picker makes) gets it.
  EXPECT_EQ(Listen(port), -1) << "a reserved port was bound by an exclusive bind";
  // The listener it is meant for binds, listens and is connected to.
  const int listener = Listen(port, /*reuse=*/true);
  ASSERT_GE(listener, 0) << "the listener could not bind beside the reservation";
  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const int accepted = ::accept(listener, nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  ::close(accepted);
  ::close(client);
  // A second listener with SO_REUSEADDR is refused while the first listens.
  EXPECT_EQ(Listen(port, /*reuse=*/true), -1);
  ::close(listener);
  // The listener gone (a daemon that crashed), the port stays reserved ...
  EXPECT_EQ(Listen(port), -1) << "the reservation ended with its listener";
  // ... and its restart binds it again.
  const int again = Listen(port, /*reuse=*/true);
  EXPECT_GE(again, 0) << "a restarted listener could not bind its reserved port";
  ::close(again);
}

}  // namespace
}  // namespace paasta
