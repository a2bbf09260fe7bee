// Command-line handling shared by every paasta daemon's main: absl flags, the
// flags every daemon has, and logging set-up.
//
// Each main defines its own --grpc_listen and --metrics_listen (their defaults
// differ per daemon, see common/addresses.h) and passes their values here:
//
//   ABSL_FLAG(std::string, grpc_listen, paasta::kAgentAddresses.grpc, "...");
//   ABSL_FLAG(std::string, metrics_listen, paasta::kAgentAddresses.metrics, "...");
//
//   int main(int argc, char** argv) {
//     paasta::ParseDaemonFlags(argc, argv, "paasta-agent", "Runs apps and tasks.");
//     paasta::Daemon daemon(paasta::DaemonOptionsFromFlags(
//         "paasta-agent", absl::GetFlag(FLAGS_grpc_listen),
//         absl::GetFlag(FLAGS_metrics_listen)));
//     ...
#ifndef PAASTA_COMMON_SERVER_DAEMON_FLAGS_H_
#define PAASTA_COMMON_SERVER_DAEMON_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "common/server/daemon.h"

// Shared by every daemon: the system config folder.
ABSL_DECLARE_FLAG(std::string, system_config_dir);

namespace paasta {

// Parses the command line and sets up logging for `name` at --log_level.
// Exits after --help (code 1, as Abseil 20220623 does) and --version (0), on an
// unknown flag or a bad value (1, Abseil's message), and on a positional
// argument (2).
void ParseDaemonFlags(int argc, char** argv, const std::string& name, const std::string& description);

// Options from the shared flags (--ports_file, --shutdown_grace,
// --system_config_dir) and the given listen addresses. When the system config
// has grpc_tls, the daemon serves mutual TLS and DaemonChannel() dials with
// the host's certificate. Exits 1 naming the file when the system config does
// not parse or a grpc_tls file cannot be read; a missing folder is plaintext.
DaemonOptions DaemonOptionsFromFlags(const std::string& name, const std::string& grpc_listen,
                                     const std::string& metrics_listen);

}  // namespace paasta

#endif  // PAASTA_COMMON_SERVER_DAEMON_FLAGS_H_
