// paasta-scheduler-bridge: the Chronos bridge. Keeps the job engine's jobs equal
// to the chronos-<cluster>.yaml configs (every --interval and at once on Sync),
// and runs, reruns and stops jobs on request. The engine is a real Chronos when
// the system config has chronos_config, else the embedded scheduler, which
// keeps its jobs and runs in <state_dir>/scheduler.sqlite and runs them on the
// agent.
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/addresses.h"
#include "common/clock.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/file_util.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "scheduler-bridge/bridge.h"
#include "scheduler-bridge/bridge_service.h"
#include "scheduler-bridge/chronos_engine.h"
#include "scheduler-bridge/embedded_scheduler.h"
#include "scheduler-bridge/run_launcher.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kSchedulerBridgeAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kSchedulerBridgeAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, soa_dir, paasta::config::DefaultSoaDir(),
          "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
ABSL_FLAG(std::string, cluster, "", "The cluster whose jobs to run (default: the system config's cluster)");
ABSL_FLAG(std::string, state_dir, "/var/lib/paasta/scheduler-bridge",
          "Where the bridge keeps its state: the embedded scheduler's SQLite file and emergency stops");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(30), "Time between two syncs of every job with the configs");
ABSL_FLAG(absl::Duration, tick, absl::Milliseconds(500),
          "Time between two passes of the embedded scheduler (firing due runs, following running ones)");
ABSL_FLAG(std::string, agent, paasta::kAgentAddresses.grpc,
          "host:port of paasta-agent, where the embedded scheduler runs jobs");

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-scheduler-bridge",
                           "the Chronos bridge: scheduled and dependent jobs, reruns.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-scheduler-bridge", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  const std::string system_dir = absl::GetFlag(FLAGS_system_config_dir);
  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  if (absl::Status made = paasta::MakeDirs(state_dir); !made.ok()) {
    spdlog::error("paasta-scheduler-bridge cannot start: --state_dir: {}", std::string(made.message()));
    return 1;
  }
  paasta::RealClock clock;
  paasta::scheduler::AgentRunLauncher launcher(absl::GetFlag(FLAGS_agent));
  std::unique_ptr<paasta::scheduler::JobEngine> chronos;
  std::unique_ptr<paasta::scheduler::EmbeddedScheduler> embedded;
  paasta::scheduler::JobEngine* engine = nullptr;
  if (absl::StatusOr<paasta::config::SystemConfig> system = paasta::config::LoadSystemConfig(system_dir);
      system.ok() && system->chronos.has_value()) {
    chronos = std::make_unique<paasta::scheduler::ChronosEngine>(*system->chronos, system->chronos->api_prefix);
    engine = chronos.get();
  } else {
    absl::StatusOr<std::unique_ptr<paasta::scheduler::EmbeddedScheduler>> opened =
        paasta::scheduler::EmbeddedScheduler::Open(state_dir + "/scheduler.sqlite", &launcher, &clock);
    if (!opened.ok()) {
      spdlog::error("paasta-scheduler-bridge cannot start: {}", opened.status().ToString());
      return 1;
    }
    embedded = std::move(*opened);
    engine = embedded.get();
  }
  spdlog::info("running jobs on {}", engine->Describe());
  paasta::scheduler::BridgeOptions options;
  options.soa_dir = absl::GetFlag(FLAGS_soa_dir);
  options.system_config_dir = system_dir;
  options.cluster = absl::GetFlag(FLAGS_cluster);
  options.state_dir = state_dir;
  paasta::scheduler::Bridge bridge(options, engine, &clock);
  paasta::scheduler::BridgeService service(bridge, daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-scheduler-bridge cannot start: {}", started.ToString());
    return 1;
  }
  // The scheduler ticks on its own thread, so a long sync (many services, a
  // slow disk) never delays a run; metrics follow every 10 s between syncs.
  absl::Notification stopping;
  std::thread ticker([&] {
    const absl::Duration tick = absl::GetFlag(FLAGS_tick);
    absl::Time last_metrics = absl::Now();
    while (!stopping.WaitForNotificationWithTimeout(tick)) {
      if (embedded != nullptr) embedded->Tick();
      if (absl::Now() - last_metrics >= absl::Seconds(10)) {
        service.RecordMetrics();
        last_metrics = absl::Now();
      }
    }
  });
  const int exit_code = daemon.WaitForShutdownRunningEvery(absl::GetFlag(FLAGS_interval), [&] { service.RunSync(); });
  stopping.Notify();
  ticker.join();
  return exit_code;
}
