// The process runtime: runs a task as a real process through
// paasta-task-shim, in its own cgroup where the host allows it, with its output
// in its sandbox folder. What it returns (ProcessHandle) is all the agent needs
// to find the task again after its own restart.
//
//   ProcessRuntime runtime(shim_path, DetectCgroups("paasta-agent"));
//   ASSIGN_OR_RETURN(ProcessHandle handle, runtime.Launch(spec));
//   ProcessStatus status = runtime.Probe(handle);   // running, exited, or gone
//   runtime.Signal(handle, SIGTERM); ... runtime.Kill(handle); runtime.Release(handle);
#ifndef PAASTA_AGENT_PROCESS_RUNTIME_H_
#define PAASTA_AGENT_PROCESS_RUNTIME_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/cgroups.h"

namespace paasta::agent {

// What to run.
struct ProcessSpec {
  std::string task_id;
  // Created if missing; holds stdout, stderr, pids, exit_status.
  std::string sandbox_dir;
  // Where the task starts (its code: a checkout or a given folder).
  std::string work_dir;
  // Program and arguments (a shell command is {"/bin/sh", "-c", cmd}).
  std::vector<std::string> argv;
  // The task's whole environment (PATH is added when missing).
  std::map<std::string, std::string> env;
  CgroupLimits limits;
};

// A launched task, as the agent stores it.
struct ProcessHandle {
  std::string task_id;
  std::string sandbox_dir;
  int shim_pid = 0;
  uint64_t shim_start_ticks = 0;
  // The task's process (and process group) and its start time, which tells a
  // reused pid from the task.
  int task_pid = 0;
  uint64_t task_start_ticks = 0;
  TaskCgroup cgroup;
  // "" when limited; otherwise why the task runs without resource limits.
  std::string limits_note;
};

struct ProcessStatus {
  enum class State { kRunning, kExited, kGone };
  State state = State::kGone;
  // When exited: the code (or -1 when killed by a signal) and the signal.
  int exit_code = -1;
  int signal = 0;
  // The cgroup recorded an out-of-memory kill.
  bool oom_killed = false;
  // A human-readable account, e.g. "exited 3", "killed by signal 9 (out of memory)".
  std::string message;
};

// The fields of /proc/<pid>/stat from the third (the state) on, so that
// field N is at [N - 3]: "pid (comm)" may hold spaces and parentheses, so they
// are counted from the last ')'. Empty if the process does not exist.
std::vector<std::string> ProcessStatFields(int pid);

// The start time of `pid` in clock ticks since boot (field 22 of
// /proc/<pid>/stat), or 0 if it does not exist or is a zombie.
uint64_t ProcessStartTicks(int pid);

// What the shim writes to <sandbox>/pids when it claims a task's start:
// "<shim pid> <task pid> <task start ticks>".
struct ShimPids {
  int shim_pid = 0;
  int task_pid = 0;
  uint64_t task_start_ticks = 0;
};
// The pids in `text`; nullopt for anything else (a cancellation, a torn read).
std::optional<ShimPids> ParseShimPids(const std::string& text);

// Settles a launch whose shim may still be starting, after the agent restarted
// or gave up waiting: either the shim has claimed the start (its pids file
// exists) and its pids are returned, or the launch is cancelled for good here
// (the pids file is created saying "cancelled"; a shim that gets there later
// exits without running the task) and nullopt is returned. So a task is never
// started twice.
std::optional<ShimPids> ClaimedOrCancel(const std::string& sandbox_dir);

class ProcessRuntime {
 public:
  ProcessRuntime(std::string shim_path, CgroupSupport cgroups)
      : shim_path_(std::move(shim_path)), cgroups_(std::move(cgroups)) {}

  const CgroupSupport& cgroups() const { return cgroups_; }

  // Starts the task and waits (briefly) until the shim reports its pid.
  absl::StatusOr<ProcessHandle> Launch(const ProcessSpec& spec);

  // Whether the task runs, exited (with what), or is gone without a trace
  // (its processes died while nobody recorded the exit). Reaps the shim when it
  // is this process's child.
  ProcessStatus Probe(const ProcessHandle& handle);

  // Sends `signal` to the task's process group.
  void Signal(const ProcessHandle& handle, int signal);

  // SIGKILLs the task's process group and everything in its cgroup.
  void Kill(const ProcessHandle& handle);

  // Frees the task's cgroup (call once it has ended).
  void Release(const ProcessHandle& handle);

 private:
  const std::string shim_path_;
  const CgroupSupport cgroups_;
};

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_PROCESS_RUNTIME_H_
