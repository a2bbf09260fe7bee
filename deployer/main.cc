// paasta-deployer: the Marathon deployer: composes apps and bounces them safely.
//
// Its RPCs land with issue 06; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/deployer.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kDeployerAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kDeployerAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-deployer", "the Marathon deployer: composes apps and bounces them safely.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-deployer", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Deployer::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
