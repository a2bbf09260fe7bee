#include "common/server/daemon_flags.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/system_config.h"
#include "common/grpc_channel.h"
#include "common/logging.h"
#include "common/status_map.h"
#include "common/version.h"

ABSL_FLAG(std::string, ports_file, "",
          "If set, write {\"grpc\": \"host:port\", \"metrics\": \"host:port\"} here once "
          "serving (useful with port 0)");
ABSL_FLAG(std::string, log_level, "info", "Log level: trace, debug, info, warn or error");
ABSL_FLAG(std::string, system_config_dir, paasta::config::DefaultSystemConfigDir(),
          "The system config folder (default: $PAASTA_SYSTEM_CONFIG_DIR or /etc/paasta); its grpc_tls key turns on "
          "mutual TLS (SECURITY.md)");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(3),
          "On SIGTERM/SIGINT, how long in-flight calls may run on before they are cancelled");

namespace paasta {

void ParseDaemonFlags(int argc, char** argv, const std::string& name, const std::string& description) {
  absl::FlagsUsageConfig config;
  config.version_string = [name] { return absl::StrCat(name, " ", kVersion, "\n"); };
  config.normalize_filename = [](absl::string_view file) { return std::string(file); };
  // --help shows the project's flags (absl's default shows only flags defined
  // in a file named after the binary); --helpfull adds Abseil's own.
  config.contains_help_flags = [](absl::string_view file) { return !absl::StrContains(file, "absl/"); };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(
      absl::StrCat(description, "\n\nUsage: ", name, " [--flag=value ...]\n",
                   "Every daemon serves gRPC (with health checking and reflection) on --grpc_listen\n"
                   "and Prometheus metrics on http://<--metrics_listen>/metrics; SIGTERM stops it."));
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  InitLogging(name, absl::GetFlag(FLAGS_log_level));
  if (positional.size() > 1) {
    std::fprintf(stderr, "%s: unexpected argument \"%s\" (flags are --name=value; see --help)\n", name.c_str(),
                 positional[1]);
    std::exit(kExitUsage);
  }
}

DaemonOptions DaemonOptionsFromFlags(const std::string& name, const std::string& grpc_listen,
                                     const std::string& metrics_listen) {
  DaemonOptions options;
  options.name = name;
  options.grpc_listen = grpc_listen;
  options.metrics_listen = metrics_listen;
  options.ports_file = absl::GetFlag(FLAGS_ports_file);
  options.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  // Daemons that need no other system config key start without the folder;
  // one that does not parse is an error for every daemon.
  const std::string dir = absl::GetFlag(FLAGS_system_config_dir);
  absl::StatusOr<config::SystemConfig> system = config::LoadSystemConfig(dir);
  if (!system.ok() && !absl::IsNotFound(system.status())) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(system.status().message()).c_str());
    std::exit(1);
  }
  if (system.ok() && system->grpc_tls.has_value()) {
    options.tls = system->grpc_tls;
    // The daemon calls others with the host's certificate too.
    if (absl::Status s = UseTlsForDaemonChannels({options.tls->ca_file, options.tls->cert_file, options.tls->key_file});
        !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(s.message()).c_str());
      std::exit(1);
    }
  }
  return options;
}

}  // namespace paasta
