// paasta-deployer: the Marathon deployer. Every --interval (and at once on
// Reconcile) it composes every marathon instance's app and takes one safe bounce
// step on the orchestrator, draining old tasks through the drainer.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "common/addresses.h"
#include "common/clock.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "deployer/agent_orchestrator.h"
#include "deployer/deployer.h"
#include "deployer/deployer_service.h"
#include "deployer/marathon_orchestrator.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kDeployerAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kDeployerAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, soa_dir, paasta::config::DefaultSoaDir(),
          "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
ABSL_FLAG(std::string, cluster, "", "The cluster to deploy (default: the system config's cluster)");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(10), "Time between two passes over every instance");
ABSL_FLAG(std::string, agent, paasta::kAgentAddresses.grpc, "host:port of paasta-agent");
ABSL_FLAG(std::string, drainer, paasta::kDrainerAddresses.grpc, "host:port of paasta-drainer");
ABSL_FLAG(std::string, smartstack, paasta::kSmartstackAddresses.grpc,
          "host:port of paasta-smartstack, asked which tasks HAProxy has UP (the check_haproxy bounce health "
          "parameter of smartstack instances); empty: health checks alone decide");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-deployer",
                           "the Marathon deployer: composes apps and bounces them safely.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-deployer", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  const std::string system_dir = absl::GetFlag(FLAGS_system_config_dir);
  // The system config chooses the engine: Marathon when it has marathon_config,
  // else the agent on this machine.
  std::unique_ptr<paasta::deployer::Orchestrator> orchestrator;
  if (absl::StatusOr<paasta::config::SystemConfig> system = paasta::config::LoadSystemConfig(system_dir);
      system.ok() && system->marathon.has_value()) {
    spdlog::info("deploying to Marathon at {} (marathon_config in {})", system->marathon->url, system_dir);
    orchestrator = std::make_unique<paasta::deployer::MarathonOrchestrator>(*system->marathon);
  } else {
    spdlog::info("deploying to the agent at {}", absl::GetFlag(FLAGS_agent));
    orchestrator = std::make_unique<paasta::deployer::AgentOrchestrator>(absl::GetFlag(FLAGS_agent));
  }
  paasta::deployer::DrainerClient drainer(absl::GetFlag(FLAGS_drainer));
  paasta::RealClock clock;
  paasta::deployer::DeployerOptions options;
  options.soa_dir = absl::GetFlag(FLAGS_soa_dir);
  options.system_config_dir = system_dir;
  options.cluster = absl::GetFlag(FLAGS_cluster);
  std::unique_ptr<paasta::deployer::SmartstackClient> smartstack;
  if (!absl::GetFlag(FLAGS_smartstack).empty()) {
    smartstack = std::make_unique<paasta::deployer::SmartstackClient>(absl::GetFlag(FLAGS_smartstack));
  }
  paasta::deployer::Deployer deployer(options, orchestrator.get(), &drainer, &clock, smartstack.get());
  paasta::deployer::DeployerService service(deployer, daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-deployer cannot start: {}", started.ToString());
    return 1;
  }
  return daemon.WaitForShutdownRunningEvery(absl::GetFlag(FLAGS_interval), [&] { service.RunPass(); });
}
