#include "agent/docker_args.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace paasta::agent {

std::string ContainerName(const std::string& task_id) {
  std::string name = "paasta-";
  for (char c : task_id) name.push_back(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-' ? c : '-');
  return name;
}

std::vector<std::string> DockerRunArgs(const DockerTask& task) {
  std::vector<std::string> args = {"docker",
                                   "run",
                                   "--rm",
                                   "--name=" + ContainerName(task.task_id),
                                   "--label=paasta.task_id=" + task.task_id,
                                   "--label=paasta.app_id=" + task.app_id};
  // Mesos gave containers 1024 shares per cpu (at least 2).
  args.push_back(absl::StrCat("--cpu-shares=", std::max<int64_t>(2, std::llround(task.cpus * 1024))));
  args.push_back(absl::StrCat("--memory=", static_cast<int64_t>(std::ceil(task.mem)), "m"));

  const v1::DockerContainer& docker = task.container.docker();
  switch (docker.network()) {
    case v1::NETWORK_MODE_HOST:
      args.push_back("--net=host");
      break;
    case v1::NETWORK_MODE_NONE:
      args.push_back("--net=none");
      break;
    default:
      args.push_back("--net=bridge");
      size_t next_port = 0;
      for (const v1::PortMapping& mapping : docker.port_mappings()) {
        int host_port = static_cast<int>(mapping.host_port());
        if (host_port == 0 && next_port < task.host_ports.size()) host_port = task.host_ports[next_port++];
        std::string publish = absl::StrCat("--publish=", host_port, ":", mapping.container_port());
        if (!mapping.protocol().empty() && mapping.protocol() != "tcp") {
          absl::StrAppend(&publish, "/", mapping.protocol());
        }
        args.push_back(publish);
      }
      break;
  }
  for (const auto& [name, value] : task.env) args.push_back(absl::StrCat("--env=", name, "=", value));
  if (!task.sandbox_dir.empty()) {
    args.push_back(absl::StrCat("--volume=", task.sandbox_dir, ":/mnt/mesos/sandbox:rw"));
  }
  for (const v1::Volume& volume : task.container.volumes()) {
    args.push_back(absl::StrCat("--volume=", volume.host_path(), ":", volume.container_path(), ":",
                                volume.mode() == v1::VOLUME_MODE_RW ? "rw" : "ro"));
  }
  for (const v1::DockerParameter& parameter : docker.parameters()) {
    args.push_back(absl::StrCat("--", parameter.key(), "=", parameter.value()));
  }
  args.push_back(docker.image());
  if (!task.cmd.empty()) {
    args.insert(args.end(), {"/bin/sh", "-c", task.cmd});
  } else {
    args.insert(args.end(), task.args.begin(), task.args.end());
  }
  return args;
}

bool DockerEngineAvailable() {
  const pid_t child = ::fork();
  if (child == 0) {
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    ::execlp("docker", "docker", "info", static_cast<char*>(nullptr));
    _exit(127);
  }
  if (child < 0) return false;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return false;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace paasta::agent
