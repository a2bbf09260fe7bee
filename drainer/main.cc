// paasta-drainer: the drainer: takes tasks out of service before they are killed.
//
// Its RPCs land with issue 04; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/drainer.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kDrainerAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kDrainerAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-drainer", "the drainer: takes tasks out of service before they are killed.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-drainer", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Drainer::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
