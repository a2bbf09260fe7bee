#include "cli/local_run.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace paasta::cli {
namespace {

using ::testing::ElementsAre;

TEST(ShellQuoteTest, QuotesAsPythonPipesQuoteDoes) {
  EXPECT_EQ(ShellQuote("python3"), "python3");
  EXPECT_EQ(ShellQuote("a/b-c_d.e:f,g@h%i+j=k"), "a/b-c_d.e:f,g@h%i+j=k");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("two words"), "'two words'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\"'\"'s'");
  EXPECT_EQ(ShellQuote("$HOME"), "'$HOME'");
}

TEST(ShellSplitTest, SplitsAsShlexSplitDoes) {
  EXPECT_THAT(*ShellSplit("  python3  server.py --port 8888 "), ElementsAre("python3", "server.py", "--port", "8888"));
  EXPECT_THAT(*ShellSplit("echo 'a b' \"c \\\"d\\\"\" e\\ f"), ElementsAre("echo", "a b", "c \"d\"", "e f"));
  EXPECT_THAT(*ShellSplit("x''y \"\""), ElementsAre("xy", ""));
  EXPECT_TRUE(ShellSplit("").value().empty());
  EXPECT_FALSE(ShellSplit("echo 'open").ok());
  EXPECT_FALSE(ShellSplit("echo \\").ok());
}

TEST(ShellCommandForTest, FollowsTheOriginalsPrecedence) {
  const std::optional<std::string> cmd = "python3 server.py $PORT";
  const std::optional<std::vector<std::string>> args = std::vector<std::string>{"run", "it's"};
  EXPECT_EQ(ShellCommandFor("echo hi", true, cmd, std::nullopt), "echo hi");  // -C wins
  EXPECT_EQ(ShellCommandFor("", true, cmd, std::nullopt), "bash");            // interactive
  // cmd is run as Marathon runs it (/bin/sh -c), not split and re-quoted.
  EXPECT_EQ(ShellCommandFor("", false, cmd, std::nullopt), "python3 server.py $PORT");
  EXPECT_EQ(ShellCommandFor("", false, std::nullopt, args), "run 'it'\"'\"'s'");
  EXPECT_EQ(ShellCommandFor("", false, std::nullopt, std::nullopt), "");
}

// The order of §9.2: env, MARATHON_PORT, HOST, MESOS_SANDBOX, memory, docker
// parameters, publish or net, name, volumes, detach or interactive, image, sh -c.
TEST(DockerRunCommandTest, BuildsTheOriginalsCommand) {
  DockerRunSpec spec;
  spec.env = {{"PAASTA_SERVICE", "svc"}, {"GREETING", "hello world"}};
  spec.port = 31337;
  spec.hostname = "box.example.com";
  spec.mem = 128.7;
  spec.docker_params = {{"memory-swap", "129m"}, {"cpu-period", "100000"}};
  spec.container_name = "paasta_local_run_me_42";
  spec.volumes = {"/nail/etc:/nail/etc:ro"};
  spec.image = "registry:443/services-svc:paasta-abc";
  spec.shell_command = "python3 server.py";
  EXPECT_THAT(
      DockerRunCommand(spec),
      ElementsAre("docker", "run", "--env=GREETING=hello world", "--env=PAASTA_SERVICE=svc",
                  "--env=MARATHON_PORT=31337", "--env=HOST=box.example.com", "--env=MESOS_SANDBOX=/mnt/mesos/sandbox",
                  "--memory=128m", "--memory-swap=129m", "--cpu-period=100000", "--publish=31337:8888",
                  "--name=paasta_local_run_me_42", "--volume=/nail/etc:/nail/etc:ro", "--detach=true",
                  "registry:443/services-svc:paasta-abc", "sh", "-c", "python3 server.py"));

  spec.net = "host";
  spec.interactive = true;
  spec.shell_command.clear();
  const std::vector<std::string> host = DockerRunCommand(spec);
  EXPECT_THAT(std::vector<std::string>(host.end() - 6, host.end()),
              ElementsAre("--net=host", "--name=paasta_local_run_me_42", "--volume=/nail/etc:/nail/etc:ro",
                          "--interactive=true", "--tty=true", "registry:443/services-svc:paasta-abc"));
}

}  // namespace
}  // namespace paasta::cli
