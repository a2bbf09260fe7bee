#include "smartstack/haproxy_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace paasta::smartstack {
namespace {

// Spawns argv with stdout and stderr appended to `output`; its pid.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& output) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return absl::UnavailableError(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(error)));
  return pid;
}

// Whether `pid` is a live process (not a zombie).
bool ProcessAlive(pid_t pid) {
  absl::StatusOr<std::string> stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return false;
  const size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z';
}

// The HAProxy master an earlier supervisor of `dir` started and left running
// (it was killed): the pid file names a live process whose command line reads
// this folder's configuration. 0 when there is none.
pid_t OrphanMaster(const std::string& haproxy, const std::string& dir) {
  absl::StatusOr<std::string> text = ReadFile(dir + "/haproxy.pid");
  int pid = 0;
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid) || pid <= 0 || !ProcessAlive(pid)) {
    return 0;
  }
  absl::StatusOr<std::string> cmdline = ReadFile(absl::StrCat("/proc/", pid, "/cmdline"));
  if (!cmdline.ok()) return 0;
  const std::vector<std::string> args = absl::StrSplit(*cmdline, '\0');
  const bool ours =
      !args.empty() && args[0] == haproxy && std::find(args.begin(), args.end(), dir + "/haproxy.cfg") != args.end();
  return ours ? pid : 0;
}

}  // namespace

std::string HaproxyCommand(const std::string& socket_path, const std::string& command) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    ::close(fd);
    return "";
  }
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  timeval timeout = {2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
    char buffer[8192];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) answer.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer;
}

HaproxySupervisor::HaproxySupervisor(SupervisorOptions options) : options_(std::move(options)) {}

HaproxySupervisor::~HaproxySupervisor() {
  absl::MutexLock lock(&mu_);
  if (pid_ == 0) return;
  // Soft stop: the workers finish their connections. A worker that has only
  // just started can miss the master's signal (as a starting master misses a
  // reload), so the signal is repeated every second.
  bool ended = false;
  for (int i = 0; i < 100 && !ended; ++i) {
    if (i % 20 == 0) ::kill(pid_, SIGUSR1);
    ended = adopted_ ? !ProcessAlive(pid_) : ::waitpid(pid_, nullptr, WNOHANG) == pid_;
    if (!ended) absl::SleepFor(absl::Milliseconds(50));
  }
  if (!ended) {
    ::kill(pid_, SIGKILL);
    if (!adopted_) ::waitpid(pid_, nullptr, 0);
  }
  // HAProxy leaves its socket files behind (they may be in /tmp).
  for (const std::string& socket : {options_.stats_socket, options_.master_socket}) {
    if (!socket.empty()) ::unlink(socket.c_str());
  }
}

std::string HaproxySocketPath(const std::string& dir, const std::string& name) {
  const std::string path = absl::StrCat(dir, "/", name, ".sock");
  if (path.size() <= 90) return path;
  // std::hash, not absl::Hash: the name must stay the same across restarts.
  return absl::StrCat("/tmp/paasta-", name, "-", absl::Hex(std::hash<std::string>()(dir)), ".sock");
}

bool HaproxySupervisor::RunningLocked() {
  if (pid_ == 0) return false;
  int status = 0;
  const bool ended = adopted_ ? !ProcessAlive(pid_) : ::waitpid(pid_, &status, WNOHANG) == pid_;
  if (ended) {
    spdlog::warn("haproxy (pid {}) exited with status {}; starting it again", pid_, status);
    pid_ = 0;
    adopted_ = false;
    running_.clear();
    loading_.clear();
    return false;
  }
  return true;
}

absl::Status HaproxySupervisor::StartLocked() {
  // A supervisor killed with SIGKILL leaves its HAProxy serving (traffic goes
  // on); the next one takes it over rather than start a second one on the
  // same ports with another configuration.
  const std::string master_cli = options_.master_socket.empty() ? "" : options_.master_socket + ",mode,600";
  if (const pid_t orphan = OrphanMaster(options_.haproxy, options_.dir); orphan != 0) {
    pid_ = orphan;
    adopted_ = true;
    const std::vector<std::string> args =
        absl::StrSplit(ReadFile(absl::StrCat("/proc/", pid_, "/cmdline")).value_or(""), '\0');
    has_master_cli_ = !master_cli.empty() && std::find(args.begin(), args.end(), master_cli) != args.end();
    spdlog::info("haproxy (pid {}) left running by an earlier paasta-smartstack is taken over", pid_);
    return absl::OkStatus();
  }
  // -W: master-worker, in the foreground (the supervisor is its parent).
  std::vector<std::string> argv = {
      options_.haproxy, "-W", "-f", options_.dir + "/haproxy.cfg", "-p", options_.dir + "/haproxy.pid"};
  if (!master_cli.empty()) {
    ::unlink(options_.master_socket.c_str());  // a stale one from a master that died
    argv.insert(argv.end(), {"-S", master_cli});
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, options_.dir + "/haproxy.log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  has_master_cli_ = !master_cli.empty();
  spdlog::info("haproxy started (pid {}) with {}/haproxy.cfg", pid_, options_.dir);
  return absl::OkStatus();
}

int HaproxySupervisor::MasterReloadsLocked() {
  // "<pid> master <reloads> [failed: N] <uptime> <version>"; ";quit" ends the
  // session, which the master CLI otherwise keeps open.
  for (absl::string_view line : absl::StrSplit(HaproxyCommand(options_.master_socket, "show proc;quit\n"), '\n')) {
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int reloads = 0;
    if (fields.size() > 2 && fields[1] == "master" && absl::SimpleAtoi(fields[2], &reloads)) return reloads;
  }
  return -1;
}

void HaproxySupervisor::ReloadLocked() {
  int before = 0;
  if (has_master_cli_) {
    before = MasterReloadsLocked();
    if (before < 0) return;  // starting, or re-executing for a reload: the next Tick asks again
  }
  // The new workers start from the servers' current states.
  if (!options_.server_state_file.empty() && !options_.stats_socket.empty()) {
    const std::string states = HaproxyCommand(options_.stats_socket, "show servers state\n");
    if (!states.empty()) WriteFileAtomically(options_.server_state_file, states).IgnoreError();
  }
  ::kill(pid_, SIGUSR2);  // seamless reload
  ++reloads_;
  last_reload_ = absl::Now();
  if (has_master_cli_) {
    loading_ = wanted_;
    master_reloads_before_ = before;
  } else {
    running_ = wanted_;
  }
}

void HaproxySupervisor::ConfirmLocked() {
  if (loading_.empty() || !RunningLocked()) return;
  if (MasterReloadsLocked() > master_reloads_before_) {
    running_ = std::move(loading_);
    loading_.clear();
  } else if (absl::Now() - last_reload_ > absl::Seconds(3)) {
    spdlog::warn("haproxy (pid {}) did not reload within 3 s of the signal; signalling again", pid_);
    loading_.clear();
  }
}

absl::Status HaproxySupervisor::ApplyLocked() {
  const std::string live = options_.dir + "/haproxy.cfg";
  if (absl::Status written = WriteFileAtomically(live, wanted_); !written.ok()) return written;
  const bool was_running = RunningLocked();
  if (!was_running) {
    if (absl::Status started = StartLocked(); !started.ok()) return started;
  }
  // Started now: it reads the file. Running (or taken over): it reloads it.
  if (was_running || adopted_) {
    ReloadLocked();
  } else {
    running_ = wanted_;
    loading_.clear();
    last_reload_ = absl::Now();
  }
  return absl::OkStatus();
}

bool HaproxySupervisor::UpToDateLocked() { return RunningLocked() && (running_ == wanted_ || loading_ == wanted_); }

absl::Status HaproxySupervisor::Apply(const std::string& config) {
  absl::MutexLock lock(&mu_);
  ConfirmLocked();
  if (config == wanted_ && UpToDateLocked()) return absl::OkStatus();
  // The same configuration waiting for its (rate-limited) reload was checked
  // already: the discovery pass hands it over every interval.
  if (config == wanted_) {
    if (RunningLocked() && absl::Now() - last_reload_ < options_.min_reload_interval) return absl::OkStatus();
    return ApplyLocked();
  }
  // Check it before it can replace anything.
  const std::string candidate = options_.dir + "/haproxy.candidate.cfg";
  if (absl::Status written = WriteFileAtomically(candidate, config); !written.ok()) return written;
  const std::string check_output = options_.dir + "/haproxy.check.log";
  ::unlink(check_output.c_str());
  absl::StatusOr<pid_t> check = Spawn({options_.haproxy, "-c", "-q", "-f", candidate}, check_output);
  if (!check.ok()) return check.status();
  int status = 0;
  ::waitpid(*check, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    absl::StatusOr<std::string> why = ReadFile(check_output);
    last_rejection_ = why.ok() ? *why : "haproxy -c failed";
    spdlog::error("haproxy rejected the new configuration; the running one stays: {}", last_rejection_);
    return absl::InvalidArgumentError(absl::StrCat("haproxy rejected the configuration: ", last_rejection_));
  }
  last_rejection_.clear();
  wanted_ = config;
  if (RunningLocked() && absl::Now() - last_reload_ < options_.min_reload_interval) {
    return absl::OkStatus();  // applied by a later Tick
  }
  return ApplyLocked();
}

void HaproxySupervisor::Tick() {
  absl::MutexLock lock(&mu_);
  if (wanted_.empty()) return;
  ConfirmLocked();
  if (UpToDateLocked()) return;
  if (RunningLocked() && absl::Now() - last_reload_ < options_.min_reload_interval) return;
  if (absl::Status applied = ApplyLocked(); !applied.ok()) {
    spdlog::error("cannot apply the haproxy configuration: {}", std::string(applied.message()));
  }
}

pid_t HaproxySupervisor::pid() {
  absl::MutexLock lock(&mu_);
  return RunningLocked() ? pid_ : 0;
}

std::string HaproxySupervisor::last_rejection() {
  absl::MutexLock lock(&mu_);
  return last_rejection_;
}

int HaproxySupervisor::reloads() {
  absl::MutexLock lock(&mu_);
  return reloads_;
}

}  // namespace paasta::smartstack
