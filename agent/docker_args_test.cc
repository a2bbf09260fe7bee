#include "agent/docker_args.h"

#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

// The fixture app of the seed's list: a PaaSTA service in bridge mode.
DockerTask Fixture() {
  DockerTask task;
  task.task_id = "example--service.main.git3f596a50.config0a1b2c3d.0f1e";
  task.app_id = "example--service.main.git3f596a50.config0a1b2c3d";
  task.cpus = 0.25;
  task.mem = 1024;
  task.host_ports = {31000};
  task.sandbox_dir = "/var/lib/paasta/sandboxes/t1";
  task.env = {{"PAASTA_SERVICE", "example_service"}, {"PAASTA_INSTANCE", "main"}};
  task.cmd = "python3 server.py";
  v1::DockerContainer* docker = task.container.mutable_docker();
  docker->set_image("registry.local/services-example_service:paasta-3f596a50");
  docker->set_network(v1::NETWORK_MODE_BRIDGE);
  v1::PortMapping* mapping = docker->add_port_mappings();
  mapping->set_container_port(8888);
  mapping->set_host_port(0);
  mapping->set_protocol("tcp");
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"memory-swap", "1024m"}, {"cpu-period", "100000"}, {"cpu-quota", "250000"},
           {"ulimit", "nofile=1024:2048"}, {"cap-add", "NET_ADMIN"}}) {
    v1::DockerParameter* parameter = docker->add_parameters();
    parameter->set_key(key);
    parameter->set_value(value);
  }
  v1::Volume* volume = task.container.add_volumes();
  volume->set_host_path("/nail/etc");
  volume->set_container_path("/nail/etc");
  volume->set_mode(v1::VOLUME_MODE_RO);
  return task;
}

TEST(DockerArgsTest, MatchesTheSeedsListForAFixtureApp) {
  EXPECT_EQ(DockerRunArgs(Fixture()),
            (std::vector<std::string>{
                "docker", "run",
                "--rm",  // removed after it finishes; attached (no -d): output to the sandbox
                "--name=paasta-example--service.main.git3f596a50.config0a1b2c3d.0f1e",
                "--label=paasta.task_id=example--service.main.git3f596a50.config0a1b2c3d.0f1e",
                "--label=paasta.app_id=example--service.main.git3f596a50.config0a1b2c3d",
                "--cpu-shares=256",  // from cpus
                "--memory=1024m",    // from mem
                "--net=bridge",
                "--publish=31000:8888",  // port 8888 on the task's host port
                "--env=PAASTA_INSTANCE=main", "--env=PAASTA_SERVICE=example_service",
                "--volume=/var/lib/paasta/sandboxes/t1:/mnt/mesos/sandbox:rw",
                "--volume=/nail/etc:/nail/etc:ro",
                "--memory-swap=1024m",  // equal to memory: no swap
                "--cpu-period=100000", "--cpu-quota=250000", "--ulimit=nofile=1024:2048",
                "--cap-add=NET_ADMIN",
                "registry.local/services-example_service:paasta-3f596a50", "/bin/sh", "-c",
                "python3 server.py"}));
}

TEST(DockerArgsTest, NeverPrivilegedNoRestartNoTty) {
  for (const std::string& arg : DockerRunArgs(Fixture())) {
    EXPECT_NE(arg.rfind("--privileged", 0), 0u) << arg;
    EXPECT_NE(arg.rfind("--restart", 0), 0u) << arg;
    EXPECT_NE(arg, "--tty");
    EXPECT_NE(arg, "-t");
    EXPECT_NE(arg, "--detach");
  }
}

TEST(DockerArgsTest, HostNetworkArgsAndTinyCpus) {
  DockerTask task = Fixture();
  task.container.mutable_docker()->set_network(v1::NETWORK_MODE_HOST);
  task.cmd.clear();
  task.args = {"./run", "--port", "8888"};
  task.cpus = 0.001;
  const std::vector<std::string> args = DockerRunArgs(task);
  EXPECT_NE(std::find(args.begin(), args.end(), "--net=host"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "--cpu-shares=2"), args.end());  // at least 2
  for (const std::string& arg : args) EXPECT_NE(arg.rfind("--publish", 0), 0u);
  EXPECT_EQ(std::vector<std::string>(args.end() - 3, args.end()),
            (std::vector<std::string>{"./run", "--port", "8888"}));
}

TEST(DockerArgsTest, ContainerNamesAreSafe) {
  EXPECT_EQ(ContainerName("a/b c:d"), "paasta-a-b-c-d");
}

}  // namespace
}  // namespace paasta::agent
