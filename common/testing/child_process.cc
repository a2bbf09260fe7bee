#include "common/testing/child_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace paasta::testing {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                                  const std::string& output_path,
                                                                  const std::vector<std::string>& extra_env) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return absl::InternalError(absl::StrCat("cannot open ", output_path));

  // Everything the child needs is prepared before fork.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& e : extra_env) env_strings.push_back(e);
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // The test may block signals (a Daemon in-process does); the child must not
    // inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execve(args[0], args.data(), env.data());
    _exit(127);
  }
  ::close(out);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, output_path));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool ChildProcess::Signal(int signal) { return !reaped_ && ::kill(pid_, signal) == 0; }

absl::StatusOr<int> ChildProcess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      return status;
    }
    if (done < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("pid ", pid_, " still running after ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string ChildProcess::Output() const {
  auto content = ReadFile(output_path_);
  return content.ok() ? *content : "";
}

std::string NewTempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(root != nullptr ? root : "/tmp", "/", name, ".XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) std::abort();
  return path;
}

absl::StatusOr<std::string> WaitForFile(const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    auto content = ReadFile(path);
    if (content.ok() && !content->empty()) return content;
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(path, " did not appear within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (predicate()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return predicate();
}

std::string AbsolutePath(const std::string& path) {
  char resolved[PATH_MAX];
  return ::realpath(path.c_str(), resolved) != nullptr ? resolved : "";
}

int ReserveLoopbackPort() { return paasta::ReserveLoopbackPort(); }

absl::StatusOr<Daemon> StartDaemon(const std::string& binary, const std::vector<std::string>& flags,
                                   const std::string& dir) {
  const std::string name = binary.substr(binary.rfind('/') + 1);
  const std::string ports = dir + "/" + name + ".ports";
  ::unlink(ports.c_str());  // a restart must not read the previous run's ports
  std::vector<std::string> argv = {binary, "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                   "--ports_file=" + ports};
  argv.insert(argv.end(), flags.begin(), flags.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(argv, dir + "/" + name + ".log");
  if (!child.ok()) return child.status();
  const absl::StatusOr<std::string> text = WaitForFile(ports, absl::Seconds(30));
  if (!text.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(name, " did not start: ", (*child)->Output()));
  }
  const nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("grpc") || !parsed.contains("metrics")) {
    return absl::InternalError(absl::StrCat(name, " wrote an unreadable ports file: ", *text));
  }
  Daemon daemon;
  daemon.process = std::move(*child);
  daemon.grpc_address = parsed["grpc"].get<std::string>();
  daemon.metrics_address = parsed["metrics"].get<std::string>();
  return daemon;
}

}  // namespace paasta::testing
