// paasta-drainer: takes tasks out of service before they are killed, through
// the drain method of their instance (noop, test, hacheck, http).
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/clock.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "drainer/drainer_service.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kDrainerAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kDrainerAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(absl::Duration, http_timeout, absl::Seconds(5),
          "Every HTTP call of the hacheck and http methods ends within this");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-drainer",
                           "the drainer: takes tasks out of service before they are killed.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-drainer",
                                                       absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::RealClock clock;
  paasta::drainer::DrainerService service(&clock, absl::GetFlag(FLAGS_http_timeout),
                                          daemon.metrics());
  daemon.AddService(&service);
  return daemon.Run();
}
