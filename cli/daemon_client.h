// How the paasta CLI finds and talks to the daemons: one address per daemon
// (flag, config file key or environment variable; loopback defaults), and one
// way to tell a person what went wrong with a call.
#ifndef PAASTA_CLI_DAEMON_CLIENT_H_
#define PAASTA_CLI_DAEMON_CLIENT_H_

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/system_config.h"
#include "common/grpc_channel.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace paasta::cli {

// One daemon as the CLI knows it.
struct DaemonEndpoint {
  // The binary's name, e.g. "paasta-generator".
  std::string binary;
  // The CLI flag (and config file key, without dashes) that sets its address.
  std::string flag;
  // host:port of its gRPC server.
  std::string address;
};

// Every daemon's endpoint, and the deadline of each call.
struct Endpoints {
  DaemonEndpoint agent;
  DaemonEndpoint generator;
  DaemonEndpoint deployer;
  DaemonEndpoint scheduler_bridge;
  DaemonEndpoint drainer;
  DaemonEndpoint monitor;
  DaemonEndpoint smartstack;
  absl::Duration rpc_timeout = absl::Seconds(30);
};

// The endpoints with the loopback defaults of common/addresses.h.
Endpoints DefaultEndpoints();

// A channel to the endpoint: plain text on loopback, or mutual TLS once
// UseClientTls was called.
std::shared_ptr<grpc::Channel> Connect(const DaemonEndpoint& endpoint);

// With the system config's grpc_tls: dial every daemon with TLS, presenting
// `mine` (--tls-cert/--tls-key) or, when not given, the host's certificate
// if this user can read its key, or no certificate (read RPCs only, where the
// daemons have open_reads). Errors name the file.
absl::Status UseClientTls(const config::GrpcTls& tls, const TlsFiles& mine);

// Sets the call's deadline from the endpoints' rpc_timeout.
void SetDeadline(const Endpoints& endpoints, grpc::ClientContext* context);

// Explains a failed call on `err` in words and returns the exit code
// (common/status_map.h): unreachable daemons name the address and the flag
// that sets it (exit 2); UNIMPLEMENTED says the daemon cannot do this yet
// (exit 3); a refused caller hears how to present a certificate; other errors
// print the daemon's message.
int ReportRpcFailure(const DaemonEndpoint& endpoint, const grpc::Status& status, std::ostream& err);

// "user@host" for the requested_by fields of mutating calls.
std::string RequestedBy();

}  // namespace paasta::cli

#endif  // PAASTA_CLI_DAEMON_CLIENT_H_
