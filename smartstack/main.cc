// paasta-smartstack: discovery and load balancing through HAProxy.
//
// Its RPCs land with issue 09; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/smartstack.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kSmartstackAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kSmartstackAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-smartstack", "discovery and load balancing through HAProxy.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-smartstack", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Smartstack::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
