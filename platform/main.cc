// paasta-platform: the whole platform on one machine, supervised.
//
//   paasta-platform --state_dir=.paasta [--bin_dir=DIR] [--ports=default|auto] [--prometheus=/usr/bin/prometheus]
//
// Starts, in order and each once the ones before it are healthy: paasta-agent,
// paasta-drainer (with the hacheck endpoint), paasta-smartstack (with HAProxy),
// paasta-deployer, paasta-scheduler-bridge, paasta-generator, paasta-monitor and,
// when asked, Prometheus scraping them all with the paasta alert rules. Each
// one's state lives under the state folder, its output in <state>/logs/<name>.log.
// A daemon that exits is restarted with a growing delay. SIGINT or SIGTERM stops
// them all in reverse order (the agent takes its tasks with it; the next start
// runs them again).
//
// It writes <state>/platform.json (every daemon's addresses, pid, restarts;
// "ready": true once all are healthy) and <state>/paasta.conf, a `paasta --config`
// file naming every daemon's address and the system config folder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/addresses.h"
#include "common/config/system_config.h"
#include "common/file_util.h"
#include "common/grpc_channel.h"
#include "common/net_util.h"
#include "platform/supervisor.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, state_dir, "", "The state folder (required): each daemon's state, logs, run files");
ABSL_FLAG(std::string, bin_dir, "", "Where the daemon binaries are (default: the folder of paasta-platform itself)");
ABSL_FLAG(std::string, soa_dir, "", "The soa-configs folder (default: $PAASTA_SOA_DIR, else <state>/soa)");
ABSL_FLAG(std::string, system_config_dir, "",
          "The system config folder (default: $PAASTA_SYSTEM_CONFIG_DIR, else <state>/etc)");
ABSL_FLAG(std::string, ports, "default",
          "default: the loopback addresses the CLI expects (127.0.0.1:7701...); auto: free ports, picked at the "
          "first start and kept across restarts");
ABSL_FLAG(std::string, hacheck_listen, paasta::kHacheckListen,
          "host:port of the drainer's hacheck endpoint (HAProxy checks tasks through it); port 0 picks one");
ABSL_FLAG(std::string, prometheus, "", "The prometheus binary; empty runs no Prometheus");
ABSL_FLAG(std::string, prometheus_listen, "127.0.0.1:9090",
          "host:port of Prometheus's web interface; port 0 picks one");
ABSL_FLAG(std::string, prometheus_rules, "", "The alert rules file Prometheus loads (paasta-rules.yml)");
ABSL_FLAG(std::string, prometheus_interval, "15s", "Prometheus's scrape and rule evaluation interval");
ABSL_FLAG(std::string, daemon_flags, "",
          "Extra flags for daemons, ';'-separated NAME:FLAG, e.g. "
          "\"paasta-deployer:--interval=1s;paasta-monitor:--interval=5s\"");
ABSL_FLAG(absl::Duration, max_restart_delay, absl::Seconds(30), "The longest wait before restarting a daemon");

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// The folder paasta-platform was started from, as named (a symlink is not
// followed: the daemons sit beside the name used).
std::string OwnFolder(const char* argv0) {
  const std::string self = std::strchr(argv0, '/') != nullptr ? argv0 : "/proc/self/exe";
  if (self == "/proc/self/exe") {
    std::error_code error;
    const std::filesystem::path resolved = std::filesystem::read_symlink(self, error);
    return error ? "." : resolved.parent_path().string();
  }
  return std::filesystem::absolute(std::filesystem::path(self)).parent_path().string();
}

// "host:0" becomes "host:<a port reserved for the platform's life>" (for
// listeners whose address others are told before they start, kept while they
// restart; see ReserveLoopbackPort).
std::string ResolvePortZero(const std::string& listen) {
  if (!absl::EndsWith(listen, ":0")) return listen;
  const int port = paasta::ReserveLoopbackPort();
  return port == 0 ? listen : absl::StrCat(listen.substr(0, listen.size() - 2), ":", port);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "paasta-platform --state_dir=DIR: runs every paasta daemon on this machine, supervised (see platform/main.cc)");
  absl::ParseCommandLine(argc, argv);
  const std::string state = absl::GetFlag(FLAGS_state_dir);
  if (state.empty()) {
    std::cerr << "paasta-platform: --state_dir is required\n";
    return 2;
  }
  const std::string bin = absl::GetFlag(FLAGS_bin_dir).empty() ? OwnFolder(argv[0]) : absl::GetFlag(FLAGS_bin_dir);
  auto from_env = [](const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
  };
  const std::string soa =
      absl::GetFlag(FLAGS_soa_dir).empty() ? from_env("PAASTA_SOA_DIR", state + "/soa") : absl::GetFlag(FLAGS_soa_dir);
  const std::string etc = absl::GetFlag(FLAGS_system_config_dir).empty()
                              ? from_env("PAASTA_SYSTEM_CONFIG_DIR", state + "/etc")
                              : absl::GetFlag(FLAGS_system_config_dir);
  // With grpc_tls, readiness checks call the daemons with the host's certificate.
  if (absl::StatusOr<paasta::config::SystemConfig> system = paasta::config::LoadSystemConfig(etc);
      !system.ok() && !absl::IsNotFound(system.status())) {
    std::cerr << "paasta-platform: " << system.status().message() << "\n";
    return 1;
  } else if (system.ok() && system->grpc_tls.has_value()) {
    const paasta::config::GrpcTls& tls = *system->grpc_tls;
    if (absl::Status s = paasta::UseTlsForDaemonChannels({tls.ca_file, tls.cert_file, tls.key_file}); !s.ok()) {
      std::cerr << "paasta-platform: " << s.message() << "\n";
      return 1;
    }
  }
  for (const char* dir : {"logs", "run"}) {
    if (absl::Status made = paasta::MakeDirs(absl::StrCat(state, "/", dir)); !made.ok()) {
      std::cerr << "paasta-platform: " << made.message() << "\n";
      return 1;
    }
  }
  std::map<std::string, std::vector<std::string>> extra;
  for (absl::string_view entry : absl::StrSplit(absl::GetFlag(FLAGS_daemon_flags), ';', absl::SkipEmpty())) {
    const size_t colon = entry.find(':');
    if (colon == absl::string_view::npos) {
      std::cerr << "paasta-platform: --daemon_flags: \"" << entry << "\" is not NAME:FLAG\n";
      return 2;
    }
    extra[std::string(entry.substr(0, colon))].push_back(std::string(entry.substr(colon + 1)));
  }
  const bool auto_ports = absl::GetFlag(FLAGS_ports) == "auto";
  if (!auto_ports && absl::GetFlag(FLAGS_ports) != "default") {
    std::cerr << "paasta-platform: --ports must be default or auto\n";
    return 2;
  }

  paasta::platform::Supervisor supervisor({.log_dir = state + "/logs",
                                           .run_dir = state + "/run",
                                           .status_file = state + "/platform.json",
                                           .max_restart_delay = absl::GetFlag(FLAGS_max_restart_delay)});
  using Daemon = paasta::platform::Supervisor::Daemon;
  std::map<std::string, Daemon*> by_name;
  auto add = [&](const std::string& name, const paasta::DaemonAddresses& defaults,
                 std::function<std::vector<std::string>()> args) {
    paasta::platform::DaemonSpec spec;
    spec.name = name;
    spec.binary = absl::StrCat(bin, "/", name);
    // Auto ports are reserved here, not picked by the daemon binding port 0: a
    // daemon restarted after a crash binds the same port again, and nobody
    // else may take it meanwhile.
    spec.grpc_listen = auto_ports ? ResolvePortZero("127.0.0.1:0") : std::string(defaults.grpc);
    spec.metrics_listen = auto_ports ? ResolvePortZero("127.0.0.1:0") : std::string(defaults.metrics);
    spec.args = [name, args = std::move(args), &extra, etc] {
      // Every daemon reads the system config (grpc_tls at least).
      std::vector<std::string> all = {"--system_config_dir=" + etc};
      for (std::string& arg : args()) all.push_back(std::move(arg));
      for (const std::string& flag : extra[name]) all.push_back(flag);
      return all;
    };
    by_name[name] = supervisor.Add(std::move(spec));
  };
  auto grpc_of = [&](const std::string& name) { return by_name.at(name)->grpc; };
  const std::string soa_flag = "--soa_dir=" + soa;
  add("paasta-agent", paasta::kAgentAddresses, [=] {
    return std::vector<std::string>{"--state_dir=" + state + "/agent", "--stop_tasks_on_exit"};
  });
  const std::string hacheck = ResolvePortZero(absl::GetFlag(FLAGS_hacheck_listen));
  add("paasta-drainer", paasta::kDrainerAddresses, [=] {
    return std::vector<std::string>{"--hacheck_listen=" + hacheck, "--spool_root=" + state + "/hacheck"};
  });
  add("paasta-smartstack", paasta::kSmartstackAddresses, [=] {
    return std::vector<std::string>{soa_flag, "--state_dir=" + state + "/smartstack",
                                    "--agent=" + grpc_of("paasta-agent"), "--hacheck=" + hacheck};
  });
  add("paasta-deployer", paasta::kDeployerAddresses, [=] {
    return std::vector<std::string>{soa_flag, "--agent=" + grpc_of("paasta-agent"),
                                    "--drainer=" + grpc_of("paasta-drainer"),
                                    "--smartstack=" + grpc_of("paasta-smartstack")};
  });
  add("paasta-scheduler-bridge", paasta::kSchedulerBridgeAddresses, [=] {
    return std::vector<std::string>{soa_flag, "--state_dir=" + state + "/scheduler-bridge",
                                    "--agent=" + grpc_of("paasta-agent")};
  });
  add("paasta-generator", paasta::kGeneratorAddresses, [=] {
    return std::vector<std::string>{"--soa_dir=" + soa, "--git_cache_dir=" + state + "/git-cache",
                                    "--deployer=" + grpc_of("paasta-deployer"),
                                    "--scheduler_bridge=" + grpc_of("paasta-scheduler-bridge")};
  });
  add("paasta-monitor", paasta::kMonitorAddresses, [=] {
    return std::vector<std::string>{
        soa_flag, "--agent=" + grpc_of("paasta-agent"), "--deployer=" + grpc_of("paasta-deployer"),
        "--scheduler_bridge=" + grpc_of("paasta-scheduler-bridge"), "--smartstack=" + grpc_of("paasta-smartstack")};
  });
  if (!absl::GetFlag(FLAGS_prometheus).empty()) {
    // Its configuration names the daemons' metrics addresses, known once they run.
    const std::string dir = state + "/prometheus";
    const std::string listen = ResolvePortZero(absl::GetFlag(FLAGS_prometheus_listen));
    paasta::platform::DaemonSpec spec;
    spec.name = "prometheus";
    spec.binary = absl::GetFlag(FLAGS_prometheus);
    spec.paasta_daemon = false;
    spec.ready_url = absl::StrCat("http://", listen, "/-/ready");
    spec.args = [&, dir, listen] {
      std::vector<std::string> targets;
      for (const auto& [name, daemon] : by_name) targets.push_back(absl::StrCat("\"", daemon->metrics, "\""));
      const std::string interval = absl::GetFlag(FLAGS_prometheus_interval);
      const std::string rules = absl::GetFlag(FLAGS_prometheus_rules);
      const std::string config =
          absl::StrCat("# Written by paasta-platform at each start: the daemons' metrics addresses.\n", "global:\n",
                       "  scrape_interval: ", interval, "\n  evaluation_interval: ", interval, "\n",
                       rules.empty() ? "" : absl::StrCat("rule_files:\n  - ", rules, "\n"),
                       "scrape_configs:\n  - job_name: paasta\n    honor_labels: true\n    static_configs:\n",
                       "      - targets: [", absl::StrJoin(targets, ", "), "]\n");
      paasta::MakeDirs(dir).IgnoreError();
      paasta::WriteFileAtomically(dir + "/prometheus.yml", config).IgnoreError();
      return std::vector<std::string>{"--config.file=" + dir + "/prometheus.yml",
                                      "--storage.tsdb.path=" + dir + "/data", "--web.listen-address=" + listen,
                                      "--log.level=warn"};
    };
    supervisor.Add(std::move(spec));
  }

  // Signals are taken in this thread's loop (children get them unblocked).
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  if (absl::Status started = supervisor.StartAll(); !started.ok()) {
    spdlog::error("the platform cannot start: {}", std::string(started.message()));
    return 1;
  }
  // A `paasta --config` file naming every daemon and the system config (the
  // cluster's name, grpc_tls).
  std::string cli_config = "# Written by paasta-platform: paasta --config " + state + "/paasta.conf ...\n";
  absl::StrAppend(&cli_config, "system-config-dir = \"", etc, "\"\n");
  for (const auto& [name, daemon] : by_name) {
    absl::StrAppend(&cli_config, name.substr(7), " = \"", daemon->grpc, "\"\n");
  }
  paasta::WriteFileAtomically(state + "/paasta.conf", cli_config).IgnoreError();
  spdlog::info("every daemon is healthy: {} (paasta --config {}/paasta.conf)", state + "/platform.json", state);
  while (g_stop == 0) {
    supervisor.Poll();
    absl::SleepFor(absl::Milliseconds(100));
  }
  spdlog::info("stopping every daemon");
  supervisor.StopAll();
  return 0;
}
