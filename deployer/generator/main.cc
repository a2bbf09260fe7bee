// paasta-generator: the deployments generator. Generates every service's
// deployments.json from git on start, every --interval, and at once on the
// Generate RPC; writes deploy and control tags; tells the deployer and the
// scheduler bridge when a service's deployments changed.
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/config/soa_loader.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "deployer/generator/change_notifier.h"
#include "deployer/generator/generator.h"
#include "deployer/generator/generator_service.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kGeneratorAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kGeneratorAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, soa_dir, paasta::config::DefaultSoaDir(),
          "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
ABSL_FLAG(std::string, git_cache_dir, "/var/cache/paasta/git",
          "Where mirrors of remote service repositories are kept (for tagging)");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(10), "Time between two passes over every service");
ABSL_FLAG(std::string, deployer, paasta::kDeployerAddresses.grpc,
          "host:port of paasta-deployer, told to reconcile a service whose deployments changed "
          "(empty: do not tell it)");
ABSL_FLAG(std::string, scheduler_bridge, paasta::kSchedulerBridgeAddresses.grpc,
          "host:port of paasta-scheduler-bridge, told to sync a service whose deployments changed "
          "(empty: do not tell it)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-generator", "the deployments generator: git tags to deployments.json.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-generator", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  paasta::generator::GeneratorOptions options;
  options.soa_dir = absl::GetFlag(FLAGS_soa_dir);
  options.git_cache_dir = absl::GetFlag(FLAGS_git_cache_dir);
  paasta::generator::Generator generator(options);
  paasta::generator::ChangeNotifier notifier(absl::GetFlag(FLAGS_deployer), absl::GetFlag(FLAGS_scheduler_bridge));
  generator.OnChanged([&](const std::string& service) { notifier.Changed(service); });
  paasta::generator::GeneratorService service(generator, options.soa_dir, daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-generator cannot start: {}", started.ToString());
    return 1;
  }

  return daemon.WaitForShutdownRunningEvery(absl::GetFlag(FLAGS_interval), [&] { service.RunPass(); });
}
