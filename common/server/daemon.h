// The bootstrap every paasta daemon runs on: a gRPC server with health checking
// (grpc.health.v1) and server reflection, per-RPC metrics and a build-info gauge
// served for Prometheus at http://<metrics_listen>/metrics, and a graceful
// shutdown on SIGTERM or SIGINT.
//
// Example (a daemon's main, after flags are parsed):
//
//   paasta::Daemon daemon(options);          // first: blocks SIGTERM/SIGINT
//   paasta::AgentService agent(...);
//   daemon.AddService(&agent);
//   return daemon.Run();                     // serve until SIGTERM, then exit 0
//
// Life cycle: health says SERVING once Start() has bound both ports; on
// shutdown it turns NOT_SERVING, the server stops accepting calls, in-flight
// calls get `shutdown_grace` to finish (then they are cancelled), and Run()
// returns 0. gRPC's graceful GOAWAY waits for each connected client to answer a
// ping; an idle client process only reads its socket when its backup poller runs
// (every 5 s), so with such a client connected the stop takes the whole grace
// (3 s by default) even with no call in flight. The grace is the bound.
#ifndef PAASTA_COMMON_SERVER_DAEMON_H_
#define PAASTA_COMMON_SERVER_DAEMON_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/config/system_config.h"
#include "common/http_server.h"
#include "common/server/authorization.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"

namespace paasta {

struct DaemonOptions {
  // The binary's name, e.g. "paasta-agent"; labels the build-info metric.
  std::string name;
  // host:port for gRPC; port 0 picks a free port.
  std::string grpc_listen = "127.0.0.1:0";
  // host:port for the Prometheus /metrics endpoint; port 0 picks a free port.
  std::string metrics_listen = "127.0.0.1:0";
  // If set, once serving, {"grpc": "host:port", "metrics": "host:port"} is written
  // there atomically (for supervisors and tests that use port 0).
  std::string ports_file;
  // How long in-flight calls may run on after shutdown begins.
  absl::Duration shutdown_grace = absl::Seconds(3);
  // Mutual TLS and the caller policy (the system config's grpc_tls); unset
  // means plaintext, which the daemon warns about as it starts.
  std::optional<config::GrpcTls> tls;
};

class Daemon {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread, so that every thread started
  // afterwards (gRPC's included) inherits the mask and WaitForShutdown() receives
  // them: construct the Daemon before starting any other thread.
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // The registry for the daemon's own metrics (served beside the RPC metrics).
  prometheus::Registry& metrics() { return *registry_; }

  // Adds a service to serve. Call before Start(); `service` is not owned and
  // must outlive the Daemon. A GuardedService gets the daemon's Authorizer.
  void AddService(grpc::Service* service);

  // Binds both ports, starts serving and turns health to SERVING. UNAVAILABLE
  // with the address when a port cannot be bound; the file's error when a
  // grpc_tls file cannot be read or the policy file is wrong.
  absl::Status Start();

  // Blocks until SIGTERM, SIGINT or RequestShutdown(), then shuts down as the
  // banner says. Returns the process exit code (0).
  int WaitForShutdown();

  // WaitForShutdown(), while another thread runs `pass` at once and then every
  // `interval`; the pass under way finishes before this returns.
  int WaitForShutdownRunningEvery(absl::Duration interval, const std::function<void()>& pass);

  // Asks WaitForShutdown() to return. Thread-safe; idempotent.
  void RequestShutdown() { shutdown_requested_.Notify(); }

  // Start() then WaitForShutdown(); logs a start failure and returns 1 for it.
  int Run();

  // The bound ports (0 before Start()).
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  // "host:port" of the bound gRPC server.
  std::string grpc_address() const;
  // The server, for in-process channels in tests. Null before Start().
  grpc::Server* server() { return server_.get(); }

 private:
  // Constant after construction.
  const DaemonOptions options_;
  const std::shared_ptr<prometheus::Registry> registry_;

  // Set up by Start(), torn down by WaitForShutdown(); used from the main thread.
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpServer> metrics_server_;
  std::unique_ptr<Authorizer> authorizer_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;

  absl::Notification shutdown_requested_;
};

// Splits "host:port" into its parts (IPv6 hosts in brackets: "[::1]:7701").
// INVALID_ARGUMENT naming the address when it has no port.
absl::Status SplitHostPort(const std::string& address, std::string* host, int* port);

}  // namespace paasta

#endif  // PAASTA_COMMON_SERVER_DAEMON_H_
