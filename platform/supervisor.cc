#include "platform/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/grpc_channel.h"
#include "common/file_util.h"
#include "common/grpc_health.h"
#include "common/http_client.h"
#include "grpcpp/create_channel.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace paasta::platform {
namespace {

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return "ended";
}

bool Alive(pid_t pid) { return pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0; }

}  // namespace

Supervisor::Supervisor(SupervisorOptions options) : options_(std::move(options)) {}

Supervisor::~Supervisor() { StopAll(); }

Supervisor::Daemon* Supervisor::Add(DaemonSpec spec) {
  auto daemon = std::make_unique<Daemon>();
  daemon->spec = std::move(spec);
  daemon->grpc = daemon->spec.grpc_listen;
  daemon->metrics = daemon->spec.metrics_listen;
  daemons_.push_back(std::move(daemon));
  return daemons_.back().get();
}

absl::Status Supervisor::Spawn(Daemon& daemon) {
  std::vector<std::string> argv = {daemon.spec.binary};
  if (daemon.spec.paasta_daemon) {
    argv.push_back("--grpc_listen=" + daemon.grpc);
    argv.push_back("--metrics_listen=" + daemon.metrics);
    argv.push_back(absl::StrCat("--ports_file=", options_.run_dir, "/", daemon.spec.name, ".ports.json"));
    ::unlink(absl::StrCat(options_.run_dir, "/", daemon.spec.name, ".ports.json").c_str());
  }
  for (std::string& arg : daemon.spec.args()) argv.push_back(std::move(arg));
  const std::string log = absl::StrCat(options_.log_dir, "/", daemon.spec.name, ".log");
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log, ": ", std::strerror(errno)));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return absl::InternalError(absl::StrCat("cannot start ", daemon.spec.name, ": fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Its own process group: a terminal's Ctrl-C reaches the supervisor only,
    // which stops the daemons in order. It dies with the supervisor, too.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(1);  // the supervisor is already gone
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "paasta-platform: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ::close(log_fd);
  daemon.pid = pid;
  daemon.started_at = absl::Now();
  spdlog::info("started {} (pid {})", daemon.spec.name, pid);
  return absl::OkStatus();
}

absl::Status Supervisor::WaitReady(Daemon& daemon, bool first_start) {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  auto dead = [&]() -> absl::Status {
    int status = 0;
    if (::waitpid(daemon.pid, &status, WNOHANG) == daemon.pid) {
      daemon.pid = 0;
      return absl::UnavailableError(absl::StrCat(daemon.spec.name, " ", DescribeExit(status), " while starting"));
    }
    return absl::OkStatus();
  };
  if (daemon.spec.paasta_daemon && first_start) {
    // Port 0: learn the ports it took (kept for every restart).
    const std::string ports_file = absl::StrCat(options_.run_dir, "/", daemon.spec.name, ".ports.json");
    while (true) {
      if (absl::Status gone = dead(); !gone.ok()) return gone;
      if (absl::StatusOr<std::string> text = ReadFile(ports_file); text.ok()) {
        const nlohmann::json ports = nlohmann::json::parse(*text, nullptr, false);
        if (ports.is_object() && ports.contains("grpc") && ports.contains("metrics")) {
          daemon.grpc = ports["grpc"].get<std::string>();
          daemon.metrics = ports["metrics"].get<std::string>();
          break;
        }
      }
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat(daemon.spec.name, " did not write ", ports_file));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  while (true) {
    if (absl::Status gone = dead(); !gone.ok()) return gone;
    bool ready = false;
    if (daemon.spec.paasta_daemon) {
      auto channel = paasta::DaemonChannel(daemon.grpc);
      absl::StatusOr<std::string> health = CheckHealth(channel, "", absl::Milliseconds(500));
      ready = health.ok() && *health == "SERVING";
    } else {
      HttpRequest request;
      request.url = daemon.spec.ready_url;
      request.timeout = absl::Milliseconds(500);
      absl::StatusOr<HttpResponse> response = HttpFetch(request);
      ready = response.ok() && response->status_code == 200;
    }
    if (ready) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(daemon.spec.name, " is not healthy after ", absl::FormatDuration(options_.start_timeout)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

std::string Supervisor::LogTail(const Daemon& daemon) const {
  const std::string log = absl::StrCat(options_.log_dir, "/", daemon.spec.name, ".log");
  absl::StatusOr<std::string> text = ReadFile(log);
  if (!text.ok()) return "";
  std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  const size_t from = lines.size() > 20 ? lines.size() - 20 : 0;
  std::string tail = absl::StrCat("\nthe end of ", log, ":\n");
  for (size_t i = from; i < lines.size(); ++i) absl::StrAppend(&tail, "  ", lines[i], "\n");
  return tail;
}

absl::Status Supervisor::StartAll() {
  for (auto& daemon : daemons_) {
    absl::Status started = Spawn(*daemon);
    if (started.ok()) started = WaitReady(*daemon, /*first_start=*/true);
    if (!started.ok()) {
      const std::string tail = LogTail(*daemon);
      StopAll();
      return absl::Status(started.code(), absl::StrCat(started.message(), tail));
    }
    spdlog::info("{} is healthy at {}", daemon->spec.name,
                 daemon->spec.paasta_daemon ? daemon->grpc : daemon->spec.ready_url);
    WriteStatus(false);
  }
  ready_ = true;
  WriteStatus(true);
  return absl::OkStatus();
}

void Supervisor::Poll() {
  const absl::Time now = absl::Now();
  bool changed = false;
  for (auto& daemon : daemons_) {
    if (daemon->pid > 0) {
      int status = 0;
      if (::waitpid(daemon->pid, &status, WNOHANG) != daemon->pid) continue;
      daemon->pid = 0;
      daemon->last_exit = DescribeExit(status);
      daemon->failures_in_a_row = now - daemon->started_at >= options_.stable_after ? 1 : daemon->failures_in_a_row + 1;
      const absl::Duration delay =
          std::min(options_.max_restart_delay, absl::Seconds(1) * (1 << std::min(daemon->failures_in_a_row - 1, 10)));
      daemon->restart_at = now + delay;
      spdlog::warn("{} {}; restarting it in {}{}", daemon->spec.name, daemon->last_exit, absl::FormatDuration(delay),
                   LogTail(*daemon));
      changed = true;
    } else if (daemon->restart_at != absl::InfinitePast() && now >= daemon->restart_at) {
      daemon->restart_at = absl::InfinitePast();
      ++daemon->restarts;
      if (absl::Status started = Spawn(*daemon); !started.ok()) {
        spdlog::error("{}", std::string(started.message()));
        daemon->restart_at = now + options_.max_restart_delay;
      }
      changed = true;
    }
  }
  if (changed) WriteStatus(ready_);
}

void Supervisor::StopAll() {
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    Daemon& daemon = **it;
    daemon.restart_at = absl::InfinitePast();
    if (daemon.pid <= 0) continue;
    ::kill(daemon.pid, SIGTERM);
    const absl::Time deadline = absl::Now() + options_.stop_timeout;
    while (Alive(daemon.pid) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
    if (Alive(daemon.pid)) {
      spdlog::warn("{} did not stop within {}: killing it", daemon.spec.name,
                   absl::FormatDuration(options_.stop_timeout));
      ::kill(daemon.pid, SIGKILL);
    }
    ::waitpid(daemon.pid, nullptr, 0);
    spdlog::info("stopped {}", daemon.spec.name);
    daemon.pid = 0;
  }
  if (!daemons_.empty() && !options_.status_file.empty()) {
    ready_ = false;
    WriteStatus(false);
  }
}

void Supervisor::WriteStatus(bool ready) {
  if (options_.status_file.empty()) return;
  nlohmann::json daemons = nlohmann::json::array();
  for (const auto& daemon : daemons_) {
    nlohmann::json entry = {{"name", daemon->spec.name},
                            {"pid", daemon->pid},
                            {"restarts", daemon->restarts},
                            {"state", daemon->pid > 0 ? "running" : "stopped"}};
    if (daemon->spec.paasta_daemon) {
      entry["grpc"] = daemon->grpc;
      entry["metrics"] = daemon->metrics;
    } else {
      entry["ready_url"] = daemon->spec.ready_url;
    }
    if (!daemon->last_exit.empty()) entry["last_exit"] = daemon->last_exit;
    daemons.push_back(entry);
  }
  const nlohmann::json status = {{"ready", ready}, {"supervisor_pid", ::getpid()}, {"daemons", daemons}};
  if (absl::Status written = WriteFileAtomically(options_.status_file, status.dump(2) + "\n"); !written.ok()) {
    spdlog::warn("cannot write {}: {}", options_.status_file, std::string(written.message()));
  }
}

}  // namespace paasta::platform
