// paasta-monitor: the replication monitor. Every --interval it checks every
// marathon instance's replication on the engine (the agent, or Marathon when
// the system config has marathon_config), the deployer's per-instance errors
// and the scheduler bridge's failed or missed jobs; raises alerts after each
// instance's alert_after; serves them over gRPC and as Prometheus metrics.
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
#include "deployer/marathon_orchestrator.h"
#include "monitor/monitor.h"
#include "monitor/monitor_service.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kMonitorAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kMonitorAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, soa_dir, paasta::config::DefaultSoaDir(),
          "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
ABSL_FLAG(std::string, cluster, "", "The cluster to check (default: the system config's cluster)");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(60), "Time between two checks of everything");
ABSL_FLAG(absl::Duration, min_task_uptime, absl::Seconds(60),
          "A healthy task counts as available once it has been up this long");
ABSL_FLAG(std::string, agent, paasta::kAgentAddresses.grpc, "host:port of paasta-agent (the one-machine engine)");
ABSL_FLAG(std::string, deployer, paasta::kDeployerAddresses.grpc, "host:port of paasta-deployer");
ABSL_FLAG(std::string, scheduler_bridge, paasta::kSchedulerBridgeAddresses.grpc,
          "host:port of paasta-scheduler-bridge");
ABSL_FLAG(std::string, smartstack, paasta::kSmartstackAddresses.grpc,
          "host:port of paasta-smartstack: instances in smartstack are counted by HAProxy's backends UP "
          "(empty: by their tasks)");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-monitor", "the replication monitor: alerts and metrics.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-monitor", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  const std::string system_dir = absl::GetFlag(FLAGS_system_config_dir);
  std::unique_ptr<paasta::deployer::Orchestrator> engine;
  if (absl::StatusOr<paasta::config::SystemConfig> system = paasta::config::LoadSystemConfig(system_dir);
      system.ok() && system->marathon.has_value()) {
    spdlog::info("counting tasks on Marathon at {}", system->marathon->url);
    engine = std::make_unique<paasta::deployer::MarathonOrchestrator>(*system->marathon);
  } else {
    spdlog::info("counting tasks on the agent at {}", absl::GetFlag(FLAGS_agent));
    engine = std::make_unique<paasta::deployer::AgentOrchestrator>(absl::GetFlag(FLAGS_agent));
  }
  paasta::monitor::GrpcStatusSource statuses(absl::GetFlag(FLAGS_deployer), absl::GetFlag(FLAGS_scheduler_bridge));
  paasta::RealClock clock;
  paasta::monitor::MonitorOptions options;
  options.soa_dir = absl::GetFlag(FLAGS_soa_dir);
  options.system_config_dir = system_dir;
  options.cluster = absl::GetFlag(FLAGS_cluster);
  options.min_task_uptime = absl::GetFlag(FLAGS_min_task_uptime);
  std::unique_ptr<paasta::deployer::SmartstackClient> smartstack;
  if (!absl::GetFlag(FLAGS_smartstack).empty()) {
    smartstack = std::make_unique<paasta::deployer::SmartstackClient>(absl::GetFlag(FLAGS_smartstack));
  }
  paasta::monitor::Monitor monitor(options, engine.get(), &statuses, &clock, smartstack.get());
  paasta::monitor::MonitorService service(monitor, daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-monitor cannot start: {}", started.ToString());
    return 1;
  }
  return daemon.WaitForShutdownRunningEvery(absl::GetFlag(FLAGS_interval), [&] { service.RunCheck(); });
}
