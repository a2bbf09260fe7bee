// paasta-smartstack: discovery and load balancing through HAProxy. Every
// --interval it finds the running tasks of every smartstack namespace with a
// proxy_port and keeps a real HAProxy (started and supervised here) routing
// <bind>:<proxy_port> to them, checked through the drainer's hacheck endpoint.
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/addresses.h"
#include "common/config/soa_loader.h"
#include "common/config/system_config.h"
#include "common/file_util.h"
#include "common/server/daemon.h"
#include "common/server/daemon_flags.h"
#include "common/status_map.h"
#include "deployer/agent_orchestrator.h"
#include "deployer/marathon_orchestrator.h"
#include "protos/smartstack.grpc.pb.h"
#include "smartstack/smartstack.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, grpc_listen, paasta::kSmartstackAddresses.grpc, "host:port to serve gRPC on");
ABSL_FLAG(std::string, metrics_listen, paasta::kSmartstackAddresses.metrics,
          "host:port to serve Prometheus metrics on (/metrics)");
ABSL_FLAG(std::string, soa_dir, paasta::config::DefaultSoaDir(),
          "The soa-configs folder (default: $PAASTA_SOA_DIR or /nail/etc/services)");
ABSL_FLAG(std::string, cluster, "", "The cluster (default: the system config's cluster)");
ABSL_FLAG(std::string, state_dir, "/var/lib/paasta/smartstack",
          "Where HAProxy's configuration, pid file and output are kept");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1), "Time between two discovery passes");
ABSL_FLAG(absl::Duration, min_reload_interval, absl::Seconds(1), "HAProxy is reloaded at most this often");
ABSL_FLAG(std::string, agent, paasta::kAgentAddresses.grpc, "host:port of paasta-agent");
ABSL_FLAG(std::string, hacheck, paasta::kHacheckListen,
          "host:port of the hacheck endpoint HAProxy checks tasks through (the drainer's)");
ABSL_FLAG(std::string, bind_address, "127.0.0.1", "The address HAProxy's frontends listen on");
ABSL_FLAG(absl::Duration, check_interval, absl::Milliseconds(500), "How often HAProxy checks each task");
ABSL_FLAG(std::string, haproxy, "/usr/sbin/haproxy", "The haproxy binary");

namespace {

class SmartstackService final : public paasta::v1::Smartstack::Service {
 public:
  explicit SmartstackService(paasta::smartstack::Smartstack& smartstack) : smartstack_(smartstack) {}
  grpc::Status ListNamespaces(grpc::ServerContext*, const paasta::v1::ListNamespacesRequest* request,
                              paasta::v1::ListNamespacesResponse* response) override {
    for (paasta::v1::Namespace& ns : smartstack_.Namespaces(request->service())) {
      *response->add_namespaces() = std::move(ns);
    }
    return grpc::Status::OK;
  }

 private:
  paasta::smartstack::Smartstack& smartstack_;
};

}  // namespace

int main(int argc, char** argv) {
  paasta::ParseDaemonFlags(argc, argv, "paasta-smartstack", "discovery and load balancing through HAProxy.");
  paasta::Daemon daemon(paasta::DaemonOptionsFromFlags("paasta-smartstack", absl::GetFlag(FLAGS_grpc_listen),
                                                       absl::GetFlag(FLAGS_metrics_listen)));
  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  if (absl::Status made = paasta::MakeDirs(state_dir); !made.ok()) {
    spdlog::error("paasta-smartstack cannot start: --state_dir: {}", std::string(made.message()));
    return 1;
  }
  const std::string system_dir = absl::GetFlag(FLAGS_system_config_dir);
  std::unique_ptr<paasta::deployer::Orchestrator> engine;
  if (absl::StatusOr<paasta::config::SystemConfig> system = paasta::config::LoadSystemConfig(system_dir);
      system.ok() && system->marathon.has_value()) {
    engine = std::make_unique<paasta::deployer::MarathonOrchestrator>(*system->marathon);
  } else {
    engine = std::make_unique<paasta::deployer::AgentOrchestrator>(absl::GetFlag(FLAGS_agent));
  }
  paasta::smartstack::SmartstackOptions options;
  options.soa_dir = absl::GetFlag(FLAGS_soa_dir);
  options.system_config_dir = system_dir;
  options.cluster = absl::GetFlag(FLAGS_cluster);
  options.globals.bind_address = absl::GetFlag(FLAGS_bind_address);
  options.globals.check_interval_ms = absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_check_interval));
  const std::vector<std::string> hacheck = absl::StrSplit(absl::GetFlag(FLAGS_hacheck), ':');
  if (hacheck.size() != 2 || !absl::SimpleAtoi(hacheck[1], &options.globals.hacheck_port)) {
    spdlog::error("paasta-smartstack cannot start: --hacheck: \"{}\" is not host:port", absl::GetFlag(FLAGS_hacheck));
    return 1;
  }
  options.globals.hacheck_host = hacheck[0];
  options.globals.stats_socket = paasta::smartstack::HaproxySocketPath(state_dir, "haproxy");
  options.globals.server_state_file = state_dir + "/haproxy.state";
  paasta::smartstack::SupervisorOptions supervisor_options;
  supervisor_options.stats_socket = options.globals.stats_socket;
  supervisor_options.master_socket = paasta::smartstack::HaproxySocketPath(state_dir, "haproxy-master");
  supervisor_options.server_state_file = options.globals.server_state_file;
  supervisor_options.haproxy = absl::GetFlag(FLAGS_haproxy);
  supervisor_options.dir = state_dir;
  supervisor_options.min_reload_interval = absl::GetFlag(FLAGS_min_reload_interval);
  paasta::smartstack::HaproxySupervisor haproxy(supervisor_options);
  paasta::smartstack::Smartstack smartstack(options, engine.get(), &haproxy);
  SmartstackService service(smartstack);
  daemon.AddService(&service);
  if (absl::Status started = daemon.Start(); !started.ok()) {
    spdlog::error("paasta-smartstack cannot start: {}", started.ToString());
    return 1;
  }
  return daemon.WaitForShutdownRunningEvery(absl::GetFlag(FLAGS_interval), [&] {
    if (absl::Status passed = smartstack.Pass(); !passed.ok()) {
      spdlog::warn("smartstack pass: {}; HAProxy keeps its configuration", std::string(passed.message()));
    }
    haproxy.Tick();
  });
}
