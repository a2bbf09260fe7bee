// A TCP proxy on 127.0.0.1 that injects network faults between a client and
// the server behind it, for fault-injection tests of the clients of Marathon,
// Chronos and other HTTP peers.
//
//   FaultProxy proxy("127.0.0.1:" + std::to_string(marathon_port));
//   ASSERT_TRUE(proxy.Start().ok());
//   proxy.set_fault(FaultProxy::Fault::kHang);   // every new connection hangs
//   ... client calls http://127.0.0.1:<proxy.port()>/ ...
//   proxy.set_fault(FaultProxy::Fault::kNone);
//
// A fault applies to connections accepted after it is set.
#ifndef PAASTA_COMMON_TESTING_FAULT_PROXY_H_
#define PAASTA_COMMON_TESTING_FAULT_PROXY_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace paasta::testing {

class FaultProxy {
 public:
  enum class Fault {
    kNone,          // forward both ways
    kRefuse,        // close the connection at once, before reading anything
    kHang,          // read the request, never answer (until the client gives up)
    kDropResponse,  // forward the request, then only the first bytes of the
                    // answer (drop_after_bytes), then close both sides
  };

  explicit FaultProxy(std::string upstream);  // "127.0.0.1:port"
  ~FaultProxy();                              // Stop()

  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The fault for connections accepted from now on; the first `pass_first`
  // of them are still forwarded (a fault in the middle of a pass: clients
  // that open a connection per request see it on a later request).
  void set_fault(Fault fault, size_t drop_after_bytes = 64, int pass_first = 0) {
    absl::MutexLock lock(&mu_);
    drop_after_bytes_ = drop_after_bytes;
    pass_first_ = pass_first;
    fault_ = fault;
  }
  // Connections accepted so far.
  int connections() const { return connections_; }

 private:
  void AcceptLoop();
  void Serve(int client, Fault fault, size_t drop_after);

  const std::string upstream_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  absl::Mutex mu_;
  Fault fault_ ABSL_GUARDED_BY(mu_) = Fault::kNone;
  size_t drop_after_bytes_ ABSL_GUARDED_BY(mu_) = 64;
  int pass_first_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace paasta::testing

#endif  // PAASTA_COMMON_TESTING_FAULT_PROXY_H_
