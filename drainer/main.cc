// paasta-drainer: takes tasks out of service before they are killed, through
// the drain method of their instance (noop, test, hacheck, http); and serves
// the one-machine cluster's hacheck-compatible endpoint (--hacheck_listen).
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "drainer/drainer_service.h"
#include "drainer/hacheck_spool.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kDrainerAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kDrainerAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(absl::Duration, http_timeout, absl::Seconds(5),
          "Every HTTP call of the hacheck and http methods ends within this");
ABSL_FLAG(std::string, hacheck_listen, paasta::kHacheckListen,
          "host:port of the hacheck-compatible spool and health-check endpoint for this machine's tasks "
          "(empty: do not serve it)");
ABSL_FLAG(std::string, spool_root, "/var/spool/paasta/hacheck",
          "Where the hacheck endpoint keeps its down entries (hacheck's spool files)");
ABSL_FLAG(absl::Duration, check_timeout, absl::Seconds(10),
          "A health check passed through the hacheck endpoint must answer within this");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-drainer",
                           "the drainer: takes tasks out of service before they are killed.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-drainer", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::RealClock clock;
  paasta::drainer::DrainerService service(&clock, absl::GetFlag(FLAGS_http_timeout), daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-drainer cannot start: {}", started.ToString());
    return 1;
  }
  // The one-machine cluster's hacheck: load balancers check tasks through it,
  // and the hacheck drain method marks tasks down in it.
  std::unique_ptr<paasta::drainer::HacheckSpool> spool;
  std::unique_ptr<paasta::HttpServer> hacheck;
  if (const std::string listen = absl::GetFlag(FLAGS_hacheck_listen); !listen.empty()) {
    paasta::drainer::HacheckOptions options;
    options.spool_root = absl::GetFlag(FLAGS_spool_root);
    options.check_timeout = absl::GetFlag(FLAGS_check_timeout);
    spool = std::make_unique<paasta::drainer::HacheckSpool>(&clock, options);
    hacheck = std::make_unique<paasta::HttpServer>(
        [&spool](const paasta::HttpServerRequest& request) { return spool->Handle(request); }, 8);
    if (absl::Status started = hacheck->Start(listen); !started.ok()) {
      spdlog::error("paasta-drainer cannot serve hacheck on {}: {}", listen, started.ToString());
      return 1;
    }
    spdlog::info("serving hacheck on http://{} (spool in {})", listen, options.spool_root);
  }
  const int exit_code = daemon.WaitForShutdown();
  if (hacheck != nullptr) hacheck->Stop();
  return exit_code;
}
