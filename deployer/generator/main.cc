// paasta-generator: the deployments generator: git tags to deployments.json.
//
// Its RPCs land with issue 03; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/generator.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kGeneratorAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kGeneratorAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-generator", "the deployments generator: git tags to deployments.json.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-generator", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Generator::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
