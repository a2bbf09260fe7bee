// A small process supervisor for the one-machine platform (paasta-platform):
// it starts daemons in order, each only once the ones before it are healthy,
// appends each one's output to <log_dir>/<name>.log, restarts a daemon that
// exits with a growing delay (1 s, 2 s, 4 s ... up to a cap; back to 1 s once it
// stayed up a minute), and stops them in reverse order.
//
// A daemon listening on port 0 is asked to write its addresses to a ports file;
// the supervisor reads them once and gives the same ports again at every
// restart, so the daemons that talk to it keep finding it.
//
// Example:
//
//   Supervisor supervisor({.log_dir = "/var/lib/paasta/logs", .status_file = ".../platform.json"});
//   Supervisor::Daemon* agent = supervisor.Add({.name = "paasta-agent", .binary = "/usr/bin/paasta-agent",
//                                               .args = [] { return std::vector<std::string>{"--tick=200ms"}; }});
//   RETURN_IF_ERROR(supervisor.StartAll());
//   while (!stopping) supervisor.Poll();   // restarts what exited
//   supervisor.StopAll();
#ifndef PAASTA_PLATFORM_SUPERVISOR_H_
#define PAASTA_PLATFORM_SUPERVISOR_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace paasta::platform {

struct DaemonSpec {
  std::string name;
  std::string binary;
  // The arguments after the binary (called at each start, so they can name
  // other daemons' addresses).
  std::function<std::vector<std::string>()> args;
  // A paasta daemon: serves gRPC health and takes --grpc_listen,
  // --metrics_listen and --ports_file. Otherwise `ready_url` (HTTP 200) tells
  // it is ready.
  bool paasta_daemon = true;
  std::string ready_url;
  // host:port to listen on; port 0 picks one at the first start.
  std::string grpc_listen;
  std::string metrics_listen;
};

struct SupervisorOptions {
  std::string log_dir;
  // Where each daemon's ports file goes.
  std::string run_dir;
  // Rewritten (atomically) after each change: every daemon's state as JSON.
  std::string status_file;
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_timeout = absl::Seconds(20);
  absl::Duration max_restart_delay = absl::Seconds(30);
  // A daemon up this long starts again from the first delay after a crash.
  absl::Duration stable_after = absl::Seconds(60);
};

class Supervisor {
 public:
  struct Daemon {
    DaemonSpec spec;
    // The addresses it serves on (known once it started).
    std::string grpc;
    std::string metrics;
    pid_t pid = 0;
    int restarts = 0;
    int failures_in_a_row = 0;
    absl::Time started_at = absl::InfinitePast();
    absl::Time restart_at = absl::InfinitePast();
    std::string last_exit;
  };

  explicit Supervisor(SupervisorOptions options);
  ~Supervisor();

  Daemon* Add(DaemonSpec spec);

  // Starts every daemon in order, waiting for each to be healthy. An error
  // names the daemon and ends with the tail of its log; what started is stopped.
  absl::Status StartAll();

  // Reaps daemons that exited and restarts those whose delay is over. Call it
  // often (every 100 ms or so).
  void Poll();

  // SIGTERM in reverse order, each waited for (SIGKILL after stop_timeout).
  void StopAll();

  const std::vector<std::unique_ptr<Daemon>>& daemons() const { return daemons_; }

 private:
  absl::Status Spawn(Daemon& daemon);
  absl::Status WaitReady(Daemon& daemon, bool first_start);
  void WriteStatus(bool ready);
  std::string LogTail(const Daemon& daemon) const;

  const SupervisorOptions options_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
  bool ready_ = false;
};

}  // namespace paasta::platform

#endif  // PAASTA_PLATFORM_SUPERVISOR_H_
