// `paasta local-run`: runs one instance on this machine the way the platform
// would (../shared/reference/paasta-behaviour.md §9.2), to try a service before
// deploying it.
//
// With a Docker engine it runs the `docker run` command the original built; without
// one it runs the instance's command as a local process in a checkout of the
// deployed commit (or, with --build, in the current folder), with the same
// environment and a PORT. Either way it then simulates the platform's health
// check (grace period, then attempts out of max failures) and exits with the
// task's exit code.
//
// Example:
//
//   paasta local-run -s example_service -i main -y examples/soa-configs --build
//   Running example_service.main (cluster local) as a process in /home/me/example_service ...
//   Running health check (http://127.0.0.1:41234/status)...
//   Healthcheck succeeded! (via: http://127.0.0.1:41234/status)
#ifndef PAASTA_CLI_LOCAL_RUN_H_
#define PAASTA_CLI_LOCAL_RUN_H_

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paasta::cli {

struct LocalRunOptions {
  std::string service;
  // Empty: the system config's cluster, or the service's only cluster.
  std::string cluster;
  // Empty: the service's only marathon/adhoc instance in the cluster.
  std::string instance;
  std::string soa_dir;
  // Empty: the default system config folder, when it exists.
  std::string system_config_dir;
  bool system_config_dir_explicit = false;
  // Print the docker run command as JSON and run nothing.
  bool dry_run = false;
  // A command instead of the instance's (-C), run with /bin/sh -c.
  std::string command;
  // Run attached to the terminal (a shell when there is no -C).
  bool interactive = false;
  // Run the health check, clean up, exit 0 when it passed and 1 otherwise.
  bool healthcheck_only = false;
  bool no_healthcheck = false;
  // Use the code in the current folder (Docker: `docker build` it) instead of
  // the deployed commit.
  bool build = false;
  // A Docker image to run instead of the deployed one.
  std::string image;
  // Where checkouts of deployed commits are kept (default
  // $XDG_CACHE_HOME/paasta or ~/.cache/paasta).
  std::string git_cache_dir;
  // Color the health-check lines.
  bool terminal = false;
};

// What `docker run` gets, in the original's order.
struct DockerRunSpec {
  // PAASTA_* and the instance's env (the instance's win), sorted by name.
  std::map<std::string, std::string> env;
  int port = 0;
  std::string hostname;
  double mem = 1024;
  // --<key>=<value> each, in order.
  std::vector<std::pair<std::string, std::string>> docker_params;
  // "bridge", "host", "none" (or anything the config passes through).
  std::string net = "bridge";
  std::string container_name;
  // "host:container:ro|rw".
  std::vector<std::string> volumes;
  bool interactive = false;
  std::string image;
  // Run with `sh -c`; empty runs the image's own command.
  std::string shell_command;
};

// The argument list, starting with "docker", "run".
std::vector<std::string> DockerRunCommand(const DockerRunSpec& spec);

// Python's pipes.quote: the word as it is when it only has safe characters,
// else single-quoted.
std::string ShellQuote(const std::string& word);

// POSIX shell word splitting as Python's shlex.split: quotes and backslashes,
// no expansion. INVALID_ARGUMENT for an unclosed quote or a trailing backslash.
absl::StatusOr<std::vector<std::string>> ShellSplit(const std::string& text);

// The command the task runs with `sh -c`: -C as given; interactive without -C,
// "bash"; else the instance's cmd as given (Marathon runs it with /bin/sh -c,
// so local-run does too); else its args, each shell-quoted and joined. Empty
// when there is none of these (the image's own command).
std::string ShellCommandFor(const std::string& command_flag, bool interactive, const std::optional<std::string>& cmd,
                            const std::optional<std::vector<std::string>>& args);

// `paasta local-run`. Returns the task's exit code (128 + signal when killed by
// one), 0/1 for --healthcheck-only, 1 for a bad config, 2 for bad usage.
int LocalRun(const LocalRunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace paasta::cli

#endif  // PAASTA_CLI_LOCAL_RUN_H_
