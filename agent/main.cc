// paasta-agent: the embedded single-machine engine. Runs apps (N tasks each,
// relaunched with back-off, health-checked) and one-off tasks as real processes,
// keeps its state in SQLite, and finds its tasks again after a restart.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "agent/agent_service.h"
#include "agent/cgroups.h"
#include "agent/docker_args.h"
#include "agent/engine.h"
#include "agent/process_runtime.h"
#include "agent/store.h"
#include "common/addresses.h"
#include "common/clock.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kAgentAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kAgentAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, state_dir, "/var/lib/paasta/agent",
          "Where the agent keeps its SQLite state and the tasks' sandboxes");
ABSL_FLAG(std::string, git_cache_dir, "", "Where checkouts of deployed commits are kept (default: <state_dir>/git)");
ABSL_FLAG(std::string, host, "127.0.0.1", "The address tasks are reached on");
ABSL_FLAG(std::string, shim_path, "", "The paasta-task-shim binary (default: beside paasta-agent)");
ABSL_FLAG(std::string, cgroup_name, "paasta-agent", "The cgroup (under the agent's own) that holds the tasks' cgroups");
ABSL_FLAG(absl::Duration, kill_grace, absl::Seconds(5), "SIGTERM, then SIGKILL after this");
ABSL_FLAG(bool, stop_tasks_on_exit, false,
          "Stop every task when the agent stops (the apps are kept and run again at the next start). By "
          "default tasks keep running and a restarted agent adopts them.");
ABSL_FLAG(absl::Duration, tick, absl::Milliseconds(200), "Time between supervision passes");
ABSL_FLAG(std::string, docker, "auto",
          "auto: run apps that name an image in Docker when an engine answers; never: always run "
          "processes in a checkout of their commit");

namespace {

std::string BesideThisBinary(const std::string& name) {
  char self[PATH_MAX] = {};
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string path = length > 0 ? std::string(self, static_cast<size_t>(length)) : "";
  return absl::StrCat(path.substr(0, path.rfind('/') + 1), name);
}

}  // namespace

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-agent",
                           "the embedded single-machine engine: runs apps and one-off tasks.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-agent", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  ::mkdir(state_dir.c_str(), 0755);
  absl::StatusOr<std::unique_ptr<paasta::agent::Store>> store = paasta::agent::Store::Open(state_dir + "/agent.db");
  if (!store.ok()) {
    spdlog::error("paasta-agent cannot start: {} (--state_dir)", store.status().ToString());
    return 1;
  }
  if ((*store)->read_only()) {
    // Tasks found again keep running under supervision; changes are refused.
    spdlog::error(
        "the agent state cannot be written: {} is read-only; what runs is kept running, and every change "
        "(PutApp, DeleteApp, RunTask) is refused until the agent restarts with it writable",
        (*store)->path());
  }
  const paasta::agent::CgroupSupport cgroups = paasta::agent::DetectCgroups(absl::GetFlag(FLAGS_cgroup_name));
  spdlog::info("task limits: {}", cgroups.Describe());
  const std::string shim =
      absl::GetFlag(FLAGS_shim_path).empty() ? BesideThisBinary("paasta-task-shim") : absl::GetFlag(FLAGS_shim_path);
  if (::access(shim.c_str(), X_OK) != 0) {
    spdlog::error("paasta-agent cannot start: the task shim {} is missing (--shim_path)", shim);
    return 1;
  }
  paasta::agent::ProcessRuntime runtime(shim, cgroups);
  paasta::RealClock clock;
  paasta::agent::EngineOptions options;
  options.state_dir = state_dir;
  options.git_cache_dir =
      absl::GetFlag(FLAGS_git_cache_dir).empty() ? state_dir + "/git" : absl::GetFlag(FLAGS_git_cache_dir);
  options.host = absl::GetFlag(FLAGS_host);
  options.kill_grace = absl::GetFlag(FLAGS_kill_grace);
  options.tick = absl::GetFlag(FLAGS_tick);
  options.docker_available = absl::GetFlag(FLAGS_docker) == "auto" && paasta::agent::DockerEngineAvailable();
  spdlog::info("runtime: {}", options.docker_available ? "Docker for apps that name an image, processes otherwise"
                                                       : "processes (no Docker engine answers, or --docker=never)");
  paasta::agent::Engine engine(options, &runtime, store->get(), &clock);
  if (absl::Status started = engine.Start(); !started.ok()) {
    spdlog::error("paasta-agent cannot start: {}", started.ToString());
    return 1;
  }
  paasta::agent::AgentService service(engine, daemon.metrics());
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-agent cannot start: {}", started.ToString());
    return 1;
  }
  absl::Notification stop;
  std::thread metrics([&] {
    do {
      service.UpdateMetrics();
    } while (!stop.WaitForNotificationWithTimeout(absl::Seconds(1)));
  });
  const int exit_code = daemon.WaitForShutdown();
  stop.Notify();
  metrics.join();
  if (absl::GetFlag(FLAGS_stop_tasks_on_exit)) {
    spdlog::info("stopping every task (--stop_tasks_on_exit)");
    engine.StopAllTasks(absl::GetFlag(FLAGS_kill_grace) + absl::Seconds(5));
  }
  // Otherwise tasks keep running: the next start finds them again.
  engine.Stop();
  // Empty task cgroups go (those of running tasks hold processes and stay),
  // then the base folders if nothing is left in them.
  paasta::agent::RemoveStaleTaskCgroups(cgroups, {});
  paasta::agent::RemoveCgroupBases(cgroups);
  return exit_code;
}
