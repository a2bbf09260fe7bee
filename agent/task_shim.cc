// paasta-task-shim: runs one task for the agent and outlives it.
//
//   paasta-task-shim --sandbox=DIR [--workdir=DIR] [--cgroup_procs=FILE ...] -- PROGRAM [ARGS...]
//
// It starts its own session (so the task survives an agent restart and an
// agent's Ctrl-C does not reach it), opens <sandbox>/stdout and <sandbox>/stderr
// for appending, and forks the task: the child makes its own process group,
// joins every --cgroup_procs file before it execs (a task never runs
// unlimited; if it cannot join, it exits 125 saying why), changes to --workdir
// and execs PROGRAM with the shim's environment. The shim writes
// <sandbox>/pids ("<shim pid> <task pid> <task start ticks>") before the task
// execs, waits for the task, and writes
// <sandbox>/exit_status ("exited <code>" or "signaled <signal>"), both
// atomically, so the agent can read them even after a restart.
//
// The pids file is also the claim to start: it is linked into place only if
// it does not exist. An agent that restarted (or gave up waiting) before the
// shim got there creates it first, saying "cancelled", and launches the task
// anew; this shim then exits 125 and the task never runs. The task is let go
// only by a byte the shim writes after its claim, so a shim killed before then
// leaves no task running either.
//
// The agent stops a task by signalling its process group (the task pid).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Writes `content` to `temp` and flushes it to disk; true when all of it is.
bool WriteDurably(const std::string& temp, const std::string& content) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ::fsync(fd);
  ::close(fd);
  return written;
}

bool WriteAtomically(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  return WriteDurably(temp, content) && ::rename(temp.c_str(), path.c_str()) == 0;
}

// Field 22 of /proc/<pid>/stat (the start time in clock ticks), 0 if unknown.
unsigned long long StartTicks(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  FILE* file = std::fopen(path, "r");
  if (file == nullptr) return 0;
  char buffer[1024] = {};
  const size_t length = std::fread(buffer, 1, sizeof(buffer) - 1, file);
  std::fclose(file);
  const std::string stat(buffer, length);
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  // After "pid (comm) ", the state is field 3; starttime is field 22.
  size_t position = close + 2;
  for (int field = 3; field < 22 && position != std::string::npos; ++field) {
    position = stat.find(' ', position);
    if (position != std::string::npos) ++position;
  }
  return position == std::string::npos ? 0 : std::strtoull(stat.c_str() + position, nullptr, 10);
}

// Links `content` into place at `path` unless `path` exists: true when this
// claimed it.
bool Claim(const std::string& path, const std::string& content) {
  const std::string temp = path + ".claim";
  const bool claimed = WriteDurably(temp, content) && ::link(temp.c_str(), path.c_str()) == 0;
  ::unlink(temp.c_str());
  return claimed;
}

void Fail(int fd, const std::string& message, int code) {
  const std::string line = "paasta-task-shim: " + message + "\n";
  if (::write(fd, line.data(), line.size()) < 0) {
  }
  _exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::string sandbox, workdir;
  std::vector<std::string> cgroup_procs;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.rfind("--sandbox=", 0) == 0) {
      sandbox = arg.substr(10);
    } else if (arg.rfind("--workdir=", 0) == 0) {
      workdir = arg.substr(10);
    } else if (arg.rfind("--cgroup_procs=", 0) == 0) {
      cgroup_procs.push_back(arg.substr(15));
    } else {
      std::fprintf(stderr, "paasta-task-shim: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (sandbox.empty() || i >= argc) {
    std::fprintf(stderr,
                 "usage: paasta-task-shim --sandbox=DIR [--workdir=DIR] [--cgroup_procs=FILE ...] "
                 "-- PROGRAM [ARGS...]\n");
    return 2;
  }
  ::setsid();
  // The shim must not die with the agent's signals; the task gets them from
  // the agent, addressed to its own process group.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);

  const int out = ::open((sandbox + "/stdout").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = ::open((sandbox + "/stderr").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    std::fprintf(stderr, "paasta-task-shim: cannot open the sandbox %s: %s\n", sandbox.c_str(), std::strerror(errno));
    return 2;
  }

  // The child waits on this pipe until the shim has recorded its start time, so
  // even a task that exits at once is known by pid and start time.
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) Fail(err, std::string("pipe: ") + std::strerror(errno), 2);
  const pid_t child = ::fork();
  if (child < 0) Fail(err, std::string("fork: ") + std::strerror(errno), 2);
  if (child == 0) {
    ::close(gate[1]);
    char go = 0;
    ssize_t got = 0;
    while ((got = ::read(gate[0], &go, 1)) < 0 && errno == EINTR) {
    }
    ::close(gate[0]);
    // Anything but 'g': the start was not claimed, or the task could not be
    // placed in its cgroup (the shim said why). Never run.
    if (got != 1 || go != 'g') _exit(125);
    if (!workdir.empty() && ::chdir(workdir.c_str()) != 0) {
      Fail(err, "cannot change to " + workdir + ": " + std::strerror(errno), 125);
    }
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, SIG_DFL);
    ::execvp(argv[i], argv + i);
    Fail(err, std::string("cannot run ") + argv[i] + ": " + std::strerror(errno), 127);
  }

  ::close(gate[0]);
  // The task's process group and cgroups are made here, before the claim
  // names its pid: the agent may signal the group or kill the cgroup the
  // moment it reads the claim, and must find the task in both. (Made by the
  // child after the claim, a kill sent at once found neither and the task ran.)
  ::setpgid(child, child);
  std::string refused;
  for (const std::string& procs : cgroup_procs) {
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    const std::string pid = std::to_string(child);
    if (fd < 0 || ::write(fd, pid.data(), pid.size()) < 0) {
      refused = "cannot enter the task's cgroup (" + procs + "): " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      break;
    }
    ::close(fd);
  }
  if (!Claim(sandbox + "/pids", std::to_string(::getpid()) + " " + std::to_string(child) + " " +
                                    std::to_string(StartTicks(child)) + "\n")) {
    ::close(gate[1]);  // the child exits without running the task
    while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    Fail(err, "the agent cancelled this launch before the task started (see " + sandbox + "/pids)", 125);
  }
  // Claimed either way, so the agent reads the refusal as the task's end.
  if (!refused.empty()) {
    const std::string line = "paasta-task-shim: " + refused + "\n";
    if (::write(err, line.data(), line.size()) < 0) {
    }
  }
  const char go = refused.empty() ? 'g' : 'x';
  if (::write(gate[1], &go, 1) != 1) {
  }
  ::close(gate[1]);  // the child goes on
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string result = WIFSIGNALED(status) ? "signaled " + std::to_string(WTERMSIG(status))
                                                 : "exited " + std::to_string(WEXITSTATUS(status));
  WriteAtomically(sandbox + "/exit_status", result + "\n");
  return 0;
}
