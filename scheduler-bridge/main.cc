// paasta-scheduler-bridge: the Chronos bridge: scheduled and dependent jobs.
//
// Its RPCs land with issue 07; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/scheduler_bridge.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kSchedulerBridgeAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kSchedulerBridgeAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-scheduler-bridge", "the Chronos bridge: scheduled and dependent jobs.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-scheduler-bridge", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::SchedulerBridge::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
