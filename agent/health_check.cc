#include "agent/health_check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/http_client.h"
#include "google/protobuf/util/time_util.h"

namespace paasta::agent {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& duration, absl::Duration fallback) {
  if (duration.seconds() == 0 && duration.nanos() == 0) return fallback;
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

CheckResult CheckTcp(const std::string& host, int port, absl::Duration timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {false, absl::StrCat("socket: ", std::strerror(errno))};
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    return {false, absl::StrCat("not an IPv4 address: ", host)};
  }
  CheckResult result;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    result.passed = true;
  } else if (errno == EINPROGRESS) {
    pollfd waiting = {fd, POLLOUT, 0};
    const int ready = ::poll(&waiting, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    int error = 0;
    socklen_t length = sizeof(error);
    if (ready == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0) {
      result.passed = true;
    } else {
      result.cause = ready == 0 ? absl::StrCat("timed out after ", absl::FormatDuration(timeout))
                                : std::strerror(error != 0 ? error : errno);
    }
  } else {
    result.cause = std::strerror(errno);
  }
  ::close(fd);
  return result;
}

CheckResult CheckCommand(const std::string& command, const std::map<std::string, std::string>& env,
                         const std::string& work_dir, absl::Duration timeout) {
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) env_strings.push_back(absl::StrCat(name, "=", value));
  if (env.count("PATH") == 0) env_strings.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  std::vector<char*> envp;
  for (std::string& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) return {false, absl::StrCat("fork: ", std::strerror(errno))};
  if (pid == 0) {
    ::setpgid(0, 0);
    if (!work_dir.empty() && ::chdir(work_dir.c_str()) != 0) _exit(126);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], const_cast<char**>(argv), envp.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (absl::Now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return {false, absl::StrCat("timed out after ", absl::FormatDuration(timeout))};
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {true, ""};
  return {false, WIFEXITED(status) ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                                   : absl::StrCat("killed by signal ", WTERMSIG(status))};
}

}  // namespace

absl::Duration GracePeriod(const v1::HealthCheck& check) {
  // A grace period of 0 is a real setting (check from the start): only an unset one defaults.
  if (!check.has_grace_period()) return absl::Seconds(300);
  return absl::Seconds(check.grace_period().seconds()) + absl::Nanoseconds(check.grace_period().nanos());
}
absl::Duration Interval(const v1::HealthCheck& check) { return FromProto(check.interval(), absl::Seconds(10)); }
absl::Duration Timeout(const v1::HealthCheck& check) { return FromProto(check.timeout(), absl::Seconds(20)); }

CheckResult RunHealthCheck(const v1::HealthCheck& check, const std::string& host, const std::vector<int>& ports,
                           const std::map<std::string, std::string>& env, const std::string& work_dir) {
  const absl::Duration timeout = Timeout(check);
  if (check.protocol() == v1::HEALTH_CHECK_PROTOCOL_COMMAND) {
    return CheckCommand(check.command(), env, work_dir, timeout);
  }
  const size_t index = static_cast<size_t>(check.port_index());
  if (index >= ports.size()) return {false, absl::StrCat("the task has no port ", index)};
  if (check.protocol() == v1::HEALTH_CHECK_PROTOCOL_TCP) return CheckTcp(host, ports[index], timeout);
  HttpRequest request;
  request.url = absl::StrCat("http://", host, ":", ports[index], check.path());
  request.timeout = timeout;
  request.connect_timeout = timeout;
  absl::StatusOr<HttpResponse> response = HttpFetch(request);
  if (!response.ok()) {
    return {false, absl::IsDeadlineExceeded(response.status())
                       ? absl::StrCat("timed out after ", absl::FormatDuration(timeout))
                       : std::string(response.status().message())};
  }
  if (response->status_code >= 200 && response->status_code < 400) return {true, ""};
  return {false, absl::StrCat("HTTP ", response->status_code)};
}

HealthTracker::HealthTracker(const v1::HealthCheck& check, absl::Time task_started)
    : max_failures_(check.max_consecutive_failures()),
      grace_(GracePeriod(check)),
      interval_(Interval(check)),
      started_(task_started),
      next_check_(task_started) {}

void HealthTracker::Record(const CheckResult& result, absl::Time now) {
  has_result_ = true;
  alive_ = result.passed;
  next_check_ = now + interval_;
  if (result.passed) {
    if (!ever_passed_) first_success_ = now;
    ever_passed_ = true;
    last_success_ = now;
    consecutive_failures_ = 0;
    return;
  }
  last_failure_ = now;
  last_failure_cause_ = result.cause;
  // Within the grace period (inclusive), before a first success, failures do
  // not count.
  if (!ever_passed_ && now - started_ <= grace_) return;
  ++consecutive_failures_;
}

bool HealthTracker::ShouldKill() const { return max_failures_ > 0 && consecutive_failures_ >= max_failures_; }

v1::HealthCheckResult HealthTracker::Result() const {
  v1::HealthCheckResult result;
  result.set_alive(alive_);
  result.set_consecutive_failures(consecutive_failures_);
  if (first_success_ != absl::InfinitePast()) *result.mutable_first_success() = ToProto(first_success_);
  if (last_success_ != absl::InfinitePast()) *result.mutable_last_success() = ToProto(last_success_);
  if (last_failure_ != absl::InfinitePast()) *result.mutable_last_failure() = ToProto(last_failure_);
  result.set_last_failure_cause(last_failure_cause_);
  return result;
}

}  // namespace paasta::agent
