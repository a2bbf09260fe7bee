// paasta-monitor: the monitor: replication checks, alerts and metrics.
//
// Its RPCs land with issue 08; until then the generated base class answers
// UNIMPLEMENTED and the bootstrap says so in the status message.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "protos/monitor.grpc.pb.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kMonitorAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kMonitorAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-monitor", "the monitor: replication checks, alerts and metrics.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-monitor", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::v1::Monitor::Service service;
  daemon.AddService(&service);
  return daemon.Run();
}
