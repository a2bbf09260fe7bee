#include "common/testing/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace paasta::testing {
namespace {

int ConnectTo(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) return -1;
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr) != 1) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

FaultProxy::FaultProxy(std::string upstream) : upstream_(std::move(upstream)) {}

FaultProxy::~FaultProxy() { Stop(); }

absl::Status FaultProxy::Start() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 64) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return absl::UnavailableError("fault proxy: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void FaultProxy::Stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    workers.swap(workers_);
  }
  for (std::thread& worker : workers) worker.join();
  if (listener_ >= 0) ::close(listener_);
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    pollfd ready = {listener_, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    ++connections_;
    absl::MutexLock lock(&mu_);
    Fault fault = fault_;
    if (pass_first_ > 0) {
      --pass_first_;
      fault = Fault::kNone;
    }
    const size_t drop_after = drop_after_bytes_;
    workers_.emplace_back([this, client, fault, drop_after] { Serve(client, fault, drop_after); });
  }
}

void FaultProxy::Serve(int client, Fault fault, size_t drop_after) {
  if (fault == Fault::kRefuse) {
    ::close(client);
    return;
  }
  int server = -1;
  if (fault != Fault::kHang) {
    server = ConnectTo(upstream_);
    if (server < 0) {
      ::close(client);
      return;
    }
  }
  size_t answered = 0;
  char buffer[16 * 1024];
  bool open = true;
  while (open && !stopping_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    const int n = ::poll(fds, server >= 0 ? 2 : 1, 50);
    if (n <= 0) continue;
    if (fds[0].revents != 0) {
      const ssize_t got = ::recv(client, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        open = false;
      } else if (server >= 0) {
        open = WriteAll(server, buffer, static_cast<size_t>(got));
      }  // a hanging proxy reads and forgets
    }
    if (open && server >= 0 && fds[1].revents != 0) {
      ssize_t got = ::recv(server, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        open = false;
      } else {
        if (fault == Fault::kDropResponse && answered + static_cast<size_t>(got) >= drop_after) {
          got = static_cast<ssize_t>(drop_after - answered);
          open = false;  // after these bytes, the connection drops
        }
        answered += static_cast<size_t>(got);
        if (got > 0 && !WriteAll(client, buffer, static_cast<size_t>(got))) open = false;
      }
    }
  }
  ::shutdown(client, SHUT_RDWR);
  ::close(client);
  if (server >= 0) ::close(server);
}

}  // namespace paasta::testing
