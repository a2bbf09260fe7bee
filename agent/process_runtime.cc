#include "agent/process_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/file_util.h"

namespace paasta::agent {
namespace {

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void ReapIfChild(int pid) {
  if (pid > 0) ::waitpid(pid, nullptr, WNOHANG);
}

}  // namespace

std::vector<std::string> ProcessStatFields(int pid) {
  if (pid <= 0) return {};
  absl::StatusOr<std::string> stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return {};
  const size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 > stat->size()) return {};
  return absl::StrSplit(absl::StripAsciiWhitespace(absl::string_view(*stat).substr(close + 2)), ' ');
}

uint64_t ProcessStartTicks(int pid) {
  const std::vector<std::string> fields = ProcessStatFields(pid);
  // fields[0] is the state (field 3); starttime is field 22, fields[19].
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return 0;
  uint64_t ticks = 0;
  return absl::SimpleAtoi(fields[19], &ticks) ? ticks : 0;
}

std::optional<ShimPids> ParseShimPids(const std::string& text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(text), ' ');
  ShimPids pids;
  if (parts.size() == 3 && absl::SimpleAtoi(parts[0], &pids.shim_pid) && absl::SimpleAtoi(parts[1], &pids.task_pid) &&
      absl::SimpleAtoi(parts[2], &pids.task_start_ticks)) {
    return pids;
  }
  return std::nullopt;
}

absl::StatusOr<ProcessHandle> ProcessRuntime::Launch(const ProcessSpec& spec) {
  if (spec.argv.empty()) return absl::InvalidArgumentError("nothing to run: empty command");
  if (::mkdir(spec.sandbox_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("cannot create the sandbox ", spec.sandbox_dir, ": ", std::strerror(errno)));
  }
  ProcessHandle handle;
  handle.task_id = spec.task_id;
  handle.sandbox_dir = spec.sandbox_dir;
  if (cgroups_.mode == CgroupSupport::Mode::kNone) {
    handle.limits_note = absl::StrCat("running without resource limits: ", cgroups_.reason);
  } else {
    absl::StatusOr<TaskCgroup> cgroup = CreateTaskCgroup(cgroups_, spec.task_id, spec.limits);
    if (!cgroup.ok()) return cgroup.status();
    handle.cgroup = *cgroup;
  }

  // Everything the child needs is built before fork (only exec follows it).
  std::vector<std::string> args = {shim_path_, "--sandbox=" + spec.sandbox_dir};
  if (!spec.work_dir.empty()) args.push_back("--workdir=" + spec.work_dir);
  for (const std::string& procs : handle.cgroup.procs_files) args.push_back("--cgroup_procs=" + procs);
  args.push_back("--");
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : spec.env) env_strings.push_back(absl::StrCat(name, "=", value));
  if (spec.env.count("PATH") == 0) env_strings.push_back(absl::StrCat("PATH=", kDefaultPath));
  std::vector<char*> env;
  for (std::string& entry : env_strings) env.push_back(entry.data());
  env.push_back(nullptr);
  const std::string shim_log = spec.sandbox_dir + "/shim.log";
  const std::string pids_file = spec.sandbox_dir + "/pids";
  ::unlink(pids_file.c_str());
  ::unlink((spec.sandbox_dir + "/exit_status").c_str());

  const pid_t shim = ::fork();
  if (shim < 0) {
    RemoveTaskCgroup(handle.cgroup);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (shim == 0) {
    const int log = ::open(shim_log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), env.data());
    _exit(127);
  }
  handle.shim_pid = shim;
  handle.shim_start_ticks = ProcessStartTicks(shim);

  // The shim writes "<shim pid> <task pid> <task start ticks>" before the task execs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> text = ReadFile(pids_file);
    if (std::optional<ShimPids> pids = text.ok() ? ParseShimPids(*text) : std::nullopt; pids.has_value()) {
      handle.task_pid = pids->task_pid;
      handle.task_start_ticks = pids->task_start_ticks;
      return handle;
    }
    int status = 0;
    if (::waitpid(shim, &status, WNOHANG) == shim) {
      RemoveTaskCgroup(handle.cgroup);
      const absl::StatusOr<std::string> log = ReadFile(shim_log);
      return absl::InternalError(
          absl::StrCat("the task shim ", shim_path_, " failed", log.ok() && !log->empty() ? ": " + *log : ""));
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  // Given up: unless the shim claimed the start meanwhile, it never will.
  if (std::optional<ShimPids> pids = ClaimedOrCancel(spec.sandbox_dir); pids.has_value()) {
    handle.task_pid = pids->task_pid;
    handle.task_start_ticks = pids->task_start_ticks;
    return handle;
  }
  ::kill(shim, SIGKILL);
  ReapIfChild(shim);
  RemoveTaskCgroup(handle.cgroup);
  return absl::DeadlineExceededError(absl::StrCat("the task shim did not start ", spec.task_id));
}

std::optional<ShimPids> ClaimedOrCancel(const std::string& sandbox_dir) {
  const std::string path = sandbox_dir + "/pids";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    static constexpr char kCancelled[] = "cancelled\n";
    if (::write(fd, kCancelled, sizeof(kCancelled) - 1) < 0) {
    }  // the file's existence is the cancellation; its text is for people
    ::close(fd);
    return std::nullopt;
  }
  if (errno != EEXIST) return std::nullopt;  // no sandbox: no shim can claim it either
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? ParseShimPids(*text) : std::nullopt;  // "cancelled" parses as nothing
}

ProcessStatus ProcessRuntime::Probe(const ProcessHandle& handle) {
  ReapIfChild(handle.shim_pid);
  ProcessStatus status;
  absl::StatusOr<std::string> exit = ReadFile(handle.sandbox_dir + "/exit_status");
  if (exit.ok()) {
    const std::vector<absl::string_view> parts = absl::StrSplit(absl::StripAsciiWhitespace(*exit), ' ');
    int value = 0;
    if (parts.size() == 2 && absl::SimpleAtoi(parts[1], &value)) {
      status.state = ProcessStatus::State::kExited;
      status.oom_killed = CgroupOomKilled(handle.cgroup);
      if (parts[0] == "signaled") {
        status.signal = value;
        status.message = absl::StrCat("killed by signal ", value, " (", strsignal(value), ")",
                                      status.oom_killed ? ": out of memory" : "");
      } else {
        status.exit_code = value;
        status.message = absl::StrCat("exited with status ", value, status.oom_killed ? " (out of memory)" : "");
      }
      return status;
    }
  }
  const bool task_alive = handle.task_start_ticks != 0 && ProcessStartTicks(handle.task_pid) == handle.task_start_ticks;
  const bool shim_alive = handle.shim_start_ticks != 0 && ProcessStartTicks(handle.shim_pid) == handle.shim_start_ticks;
  if (task_alive || shim_alive) {
    status.state = ProcessStatus::State::kRunning;
    return status;
  }
  status.state = ProcessStatus::State::kGone;
  status.message = "its processes are gone and no exit status was recorded";
  return status;
}

void ProcessRuntime::Signal(const ProcessHandle& handle, int signal) {
  if (handle.task_start_ticks != 0 && ProcessStartTicks(handle.task_pid) == handle.task_start_ticks) {
    ::kill(-handle.task_pid, signal);
  }
}

void ProcessRuntime::Kill(const ProcessHandle& handle) {
  Signal(handle, SIGKILL);
  KillTaskCgroup(handle.cgroup);
}

void ProcessRuntime::Release(const ProcessHandle& handle) { RemoveTaskCgroup(handle.cgroup); }

}  // namespace paasta::agent
