// The `docker run` argument list the agent uses when a Docker engine runs a
// task, as a pure function so it is checked on hosts without Docker too.
//
// It follows what Mesos did for PaaSTA (../shared/reference/
// seed-paasta-cooking.txt, "How PaaSTA Runs Docker Containers"): attached (output
// goes to the task's sandbox), --cpu-shares from cpus, --memory from mem, the
// app's parameters (memory-swap equal to memory, cpu-period, cpu-quota, ulimits,
// cap-add), bridge network with port 8888 published on the task's host port,
// env, volumes, never privileged, no restart policy, removed after exit, no tty;
// labelled so the agent can find its containers again.
//
// Example (a bridge-mode task on host port 31000):
//
//   docker run --rm --name=paasta-<task id> --label=paasta.task_id=<id>
//     --label=paasta.app_id=<app> --cpu-shares=256 --memory=1024m --net=bridge
//     --publish=31000:8888 --env=PAASTA_SERVICE=svc ... --volume=/nail:/nail:ro
//     --memory-swap=1024m --cpu-period=100000 --cpu-quota=250000
//     <image> /bin/sh -c "<cmd>"
#ifndef PAASTA_AGENT_DOCKER_ARGS_H_
#define PAASTA_AGENT_DOCKER_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "protos/types.pb.h"

namespace paasta::agent {

// One task to run in Docker.
struct DockerTask {
  std::string task_id;
  std::string app_id;
  double cpus = 0.25;
  double mem = 1024;
  // The container, as the app (or job) defines it.
  v1::Container container;
  // Host ports given to the task, in order; port mappings with host_port 0 take
  // them in turn.
  std::vector<int> host_ports;
  std::map<std::string, std::string> env;
  // The task's sandbox, mounted at /mnt/mesos/sandbox.
  std::string sandbox_dir;
  // Shell command, or argv when empty.
  std::string cmd;
  std::vector<std::string> args;
};

// The container name the agent gives a task: "paasta-" + the task id with
// characters Docker does not allow replaced by "-".
std::string ContainerName(const std::string& task_id);

// The full argument list, starting with "docker", "run".
std::vector<std::string> DockerRunArgs(const DockerTask& task);

// True if `docker info` succeeds within a few seconds.
bool DockerEngineAvailable();

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_DOCKER_ARGS_H_
