// `paasta logs`: a service's task output (from the agent's sandboxes) and its
// deploy and job events (from the deployer and the scheduler bridge), merged
// by time, optionally followed.
//
//   $ paasta logs -s example_service -n 4
//   2026-11-28 12:40:01.000 main deployer: crossover bounce: created example--service.main.git3f59... (2 tasks)
//   2026-11-28 12:40:02.000 main stdout 7c1e0a2b: serving on 127.0.0.1:31001
//   2026-11-28 12:40:02.000 main stdout 5d09b4f1: serving on 127.0.0.1:31002
//   2026-11-28 12:40:09.000 main deployer: crossover bounce: killed 2 drained tasks of example--service.main.git1a2b...
#ifndef PAASTA_CLI_LOGS_H_
#define PAASTA_CLI_LOGS_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/daemon_client.h"

namespace paasta::cli {

struct LogsOptions {
  std::string service;
  // Empty: every instance and job of the service.
  std::vector<std::string> instances;
  // Empty: the cluster the daemons serve (any other is refused).
  std::vector<std::string> clusters;
  // Keep printing new lines until interrupted.
  bool follow = false;
  // The newest this many lines first.
  int lines = 100;
  absl::Duration poll_interval = absl::Seconds(1);
};

// One line of `paasta logs`.
struct LogEntry {
  absl::Time time;
  std::string instance;
  // "deployer", "scheduler-bridge", or "<stdout|stderr> <task>" for task output.
  std::string source;
  std::string text;
};

// "<UTC time to the millisecond> <instance> <source>: <text>".
std::string FormatLogEntry(const LogEntry& entry);

// Prints the newest `lines` entries (then follows). Daemons that cannot be
// reached are named once and what the others have is still printed (exit 2).
int Logs(const Endpoints& endpoints, const LogsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace paasta::cli

#endif  // PAASTA_CLI_LOGS_H_
