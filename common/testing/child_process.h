// A child process for tests that run the real binaries: start with an argv,
// stdout and stderr into one file, signal, wait with a timeout; killed and
// reaped if still running when destroyed.
#ifndef PAASTA_COMMON_TESTING_CHILD_PROCESS_H_
#define PAASTA_COMMON_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace paasta::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with `argv`, its stdout and stderr appended to
  // `output_path`, and the environment of the test plus `extra_env` ("K=V").
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& output_path,
                                                             const std::vector<std::string>& extra_env = {});

  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& output_path() const { return output_path_; }

  // Sends `signal`. False if the process is already reaped.
  bool Signal(int signal);

  // Waits up to `timeout` for the process to end; returns its waitpid status
  // (use WIFEXITED/WEXITSTATUS). DEADLINE_EXCEEDED if it is still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // Everything the process has written so far.
  std::string Output() const;

 private:
  ChildProcess(pid_t pid, std::string output_path) : pid_(pid), output_path_(std::move(output_path)) {}

  pid_t pid_;
  std::string output_path_;
  bool reaped_ = false;
};

// A fresh empty folder under $TEST_TMPDIR (or /tmp) whose name starts with `name`.
std::string NewTempDir(const std::string& name);

// Polls until `path` exists and is not empty, then returns its content.
// DEADLINE_EXCEEDED after `timeout`.
absl::StatusOr<std::string> WaitForFile(const std::string& path, absl::Duration timeout);

// Polls `predicate` every 50 ms until it holds; false if it still does not
// after `timeout` (an upper bound for slow machines, never a speed check).
bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout = absl::Seconds(60));

// `path` made absolute (relative ones are from the working directory: the
// runfiles in a test), or "" when it does not exist.
std::string AbsolutePath(const std::string& path);

// A loopback port reserved for the rest of the test process, for a program
// that takes its listen address as a flag and binds it with SO_REUSEADDR (see
// paasta::ReserveLoopbackPort): no other test running alongside can take it
// before the program binds it, nor while it restarts.
int ReserveLoopbackPort();

// A daemon started for a test: its process and the addresses it bound.
struct Daemon {
  std::unique_ptr<ChildProcess> process;
  std::string grpc_address;
  std::string metrics_address;
};

// Starts a paasta daemon binary (a runfiles path such as
// "agent/paasta-agent") on free loopback ports with `flags`, its output in
// <dir>/<name>.log, and waits for its ports file. An error with the daemon's
// output if it does not come up.
absl::StatusOr<Daemon> StartDaemon(const std::string& binary, const std::vector<std::string>& flags,
                                   const std::string& dir);

}  // namespace paasta::testing

#endif  // PAASTA_COMMON_TESTING_CHILD_PROCESS_H_
