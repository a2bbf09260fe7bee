#include "common/net_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"

namespace paasta {
namespace {

constexpr int kRangeSize = 10000;     // ports picked from
constexpr int kLowestPort = 10000;    // never below (well-known services live there)
constexpr size_t kRemembered = 1024;  // ports this process handed out lately

// [first, last] of the kernel's ephemeral range.
std::pair<int, int> EphemeralRange() {
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  int first = 0, last = 0;
  if (file >> first >> last && first > 0 && first <= last && last <= 65535) return {first, last};
  return {32768, 60999};  // Linux's default
}

// Binds a socket to 127.0.0.1:port (0: the kernel picks) and returns the port
// it got, or 0. No SO_REUSEADDR: a port any socket is bound to (a listener, a
// reservation, a connection in TIME_WAIT) is not taken. With `hold` the socket
// stays open (until exit), turned reusable for the port's listener.
int BindLoopback(int port, bool hold) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(address);
  int bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    bound = ntohs(address.sin_port);
  }
  if (bound != 0 && hold) {
    // Set after the exclusive bind: Linux checks the flags of the sockets
    // already bound when another binds, so only a reusing listener passes.
    const int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0) {
      return bound;  // the fd is the reservation
    }
    bound = 0;
  }
  ::close(fd);
  return bound;
}

int PickLoopbackPort(bool hold) {
  static absl::Mutex* mu = new absl::Mutex;
  static absl::BitGen* bits ABSL_GUARDED_BY(mu) = new absl::BitGen;
  static std::deque<int>* handed_out ABSL_GUARDED_BY(mu) = new std::deque<int>;

  // Ports below the ephemeral range, or above it when it starts too low.
  const auto [ephemeral_first, ephemeral_last] = EphemeralRange();
  int first = 0, last = 0;
  if (ephemeral_first - kLowestPort >= 1000) {
    first = std::max(kLowestPort, ephemeral_first - kRangeSize);
    last = ephemeral_first - 1;
  } else if (65535 - ephemeral_last >= 1000) {
    first = ephemeral_last + 1;
    last = std::min(65535, first + kRangeSize - 1);
  } else {
    return BindLoopback(0, hold);  // no room outside: the kernel's pick
  }
  absl::MutexLock lock(mu);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = absl::Uniform<int>(absl::IntervalClosed, *bits, first, last);
    if (absl::c_linear_search(*handed_out, port) || BindLoopback(port, hold) != port) continue;
    handed_out->push_back(port);
    if (handed_out->size() > kRemembered) handed_out->pop_front();
    return port;
  }
  return 0;
}

}  // namespace

int FreeLoopbackPort() { return PickLoopbackPort(/*hold=*/false); }

int ReserveLoopbackPort() { return PickLoopbackPort(/*hold=*/true); }

}  // namespace paasta
