// paasta-agent: the embedded single-machine engine: runs apps and one-off tasks.
//
// Its RPCs land with issue 05; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/agent.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kAgentAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kAgentAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-agent", "the embedded single-machine engine: runs apps and one-off tasks.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-agent", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Agent::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
