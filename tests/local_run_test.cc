// `paasta local-run` with the real binary on soa-configs written by the test:
// the docker run command of --dry-run (§9.2), and, as no Docker engine runs on
// this host (each test checks that and says so when one does), the process
// fallback: a real task started in a checkout of the deployed commit or in the
// current folder, the health-check simulation passing and failing, and the
// task's exit code handed back.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/docker_args.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace paasta {
namespace {

using ::paasta::testing::AbsolutePath;
using ::paasta::testing::ChildProcess;

constexpr char kPaasta[] = "cli/paasta";
constexpr char kTestServer[] = "agent/testing/test_server";

struct CliResult {
  int exit_code = -1;
  std::string output;
};

// Runs paasta in `work_dir` with a soa-configs folder and a system config.
CliResult RunPaasta(const std::string& work_dir, const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
  std::string command = absl::StrCat("cd '", work_dir, "' && exec '", AbsolutePath(kPaasta), "'");
  for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
  auto child =
      ChildProcess::Start({"/bin/sh", "-c", command}, paasta::testing::NewTempDir("local-run-output") + "/output", env);
  if (!child.ok()) return {};
  const auto status = (*child)->Wait(absl::Seconds(120));
  if (!status.ok() || !WIFEXITED(*status)) return {-1, (*child)->Output()};
  return {WEXITSTATUS(*status), (*child)->Output()};
}

class LocalRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (agent::DockerEngineAvailable()) {
      GTEST_SKIP() << "a Docker engine answers `docker info` here: local-run would use it, and these tests are "
                      "about the process fallback";
    }
    root_ = paasta::testing::NewTempDir("local-run");
    soa_dir_ = root_ + "/soa";
    system_dir_ = root_ + "/etc";
    code_dir_ = root_ + "/code";
    ASSERT_TRUE(MakeDirs(soa_dir_ + "/web").ok());
    ASSERT_TRUE(MakeDirs(system_dir_).ok());
    ASSERT_TRUE(MakeDirs(code_dir_).ok());
    ASSERT_TRUE(WriteFileAtomically(system_dir_ + "/cluster.json",
                                    R"({"cluster": "dev", "docker_registry": "registry.example.com:443",
                                        "volumes": [{"containerPath": "/nail/etc", "hostPath": "/nail/etc",
                                                     "mode": "RO"}]})")
                    .ok());
    repo_ = root_ + "/web-repo";
    paasta::testing::InitRepo(repo_);
    ASSERT_TRUE(
        WriteFileAtomically(soa_dir_ + "/web/service.yaml", absl::StrCat("git_url: file://", repo_, "\n")).ok());
    const std::string server = AbsolutePath(kTestServer);
    ASSERT_TRUE(WriteFileAtomically(soa_dir_ + "/web/marathon-dev.yaml", absl::StrCat(R"(main:
  cpus: 0.5
  mem: 256
  cmd: )",
                                                                                      server, R"(
  env: {GREETING: hello}
  extra_volumes: [{containerPath: /data, hostPath: /srv/data, mode: RW}]
  healthcheck_mode: http
  healthcheck_uri: /status
  healthcheck_grace_period_seconds: 0
  healthcheck_interval_seconds: 1
  healthcheck_max_consecutive_failures: 2
report:
  args: [sh, -c, "cat version.txt; exit 7"]
  deploy_group: dev.everything
)"))
                    .ok());
  }

  std::vector<std::string> Flags(std::vector<std::string> more) const {
    std::vector<std::string> flags = {"--system-config-dir", system_dir_, "local-run", "-y", soa_dir_, "-s", "web"};
    flags.insert(flags.end(), more.begin(), more.end());
    return flags;
  }

  // deployments.json saying `group` runs `sha`.
  void Deploy(const std::string& group, const std::string& sha) {
    const nlohmann::json deployments = {
        {"v1", nlohmann::json::object()},
        {"v2",
         {{"deployments", {{group, {{"docker_image", "services-web:paasta-" + sha}, {"git_sha", sha}}}}},
          {"controls", nlohmann::json::object()}}}};
    ASSERT_TRUE(WriteFileAtomically(soa_dir_ + "/web/deployments.json", deployments.dump()).ok());
  }

  std::string root_, soa_dir_, system_dir_, code_dir_, repo_;
};

TEST_F(LocalRunTest, DryRunPrintsTheOriginalsDockerRunCommand) {
  const std::string sha = paasta::testing::CommitFiles(repo_, {{"version.txt", "one\n"}}, "one");
  Deploy("dev.main", sha);
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "main", "--dry-run"}));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const nlohmann::json command = nlohmann::json::parse(result.output);
  ASSERT_TRUE(command.is_array()) << result.output;
  std::vector<std::string> args = command.get<std::vector<std::string>>();
  ASSERT_GT(args.size(), 20u) << result.output;
  // The port and the container's name are random: check their shape, then fix them.
  const std::string port = args[7].substr(std::string("--env=MARATHON_PORT=").size());
  EXPECT_TRUE(std::regex_match(port, std::regex("[0-9]{2,5}"))) << args[7];
  EXPECT_TRUE(std::regex_match(args[15], std::regex("--name=paasta_local_run_[a-z0-9_-]+_[0-9]{1,6}"))) << args[15];
  args[15] = "--name=NAME";
  EXPECT_EQ(args, (std::vector<std::string>{
                      "docker",
                      "run",
                      "--env=GREETING=hello",
                      "--env=PAASTA_CLUSTER=dev",
                      "--env=PAASTA_DOCKER_IMAGE=services-web:paasta-" + sha,
                      "--env=PAASTA_INSTANCE=main",
                      "--env=PAASTA_SERVICE=web",
                      "--env=MARATHON_PORT=" + port,
                      args[8],  // --env=HOST=<this machine's fqdn>
                      "--env=MESOS_SANDBOX=/mnt/mesos/sandbox",
                      "--memory=256m",
                      "--memory-swap=256m",
                      "--cpu-period=100000",
                      "--cpu-quota=500000",
                      "--publish=" + port + ":8888",
                      "--name=NAME",
                      "--volume=/nail/etc:/nail/etc:ro",
                      "--volume=/srv/data:/data:rw",
                      "--detach=true",
                      "registry.example.com:443/services-web:paasta-" + sha,
                      "sh",
                      "-c",
                      AbsolutePath(kTestServer),
                  }));
  EXPECT_TRUE(absl::StartsWith(args[8], "--env=HOST=")) << args[8];
}

TEST_F(LocalRunTest, PassingHealthCheckInTheCurrentFolder) {
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "main", "--build", "--healthcheck-only"}));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, absl::StrCat("as a process in ", code_dir_))) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Healthcheck succeeded!")) << result.output;
}

TEST_F(LocalRunTest, FailingHealthCheckCountsAttemptsThenFails) {
  ASSERT_TRUE(WriteFileAtomically(code_dir_ + "/health", "fail").ok());
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "main", "--build", "--healthcheck-only"}),
                                     {"HEALTH_FILE=" + code_dir_ + "/health"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Healthcheck failed! (Attempt 1 of 2)")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Healthcheck failed! (Attempt 2 of 2)")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "HTTP 503")) << result.output;
  EXPECT_FALSE(absl::StrContains(result.output, "succeeded")) << result.output;
}

TEST_F(LocalRunTest, TaskThatDiesDuringTheHealthCheckEndsItWithItsCode) {
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "main", "--build", "-C", "exit 5"}));
  EXPECT_EQ(result.exit_code, 5) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "exited with code 5 during the health check")) << result.output;
}

// The deployed commit is checked out and run, not the repository's HEAD, and
// the task's exit code is local-run's.
TEST_F(LocalRunTest, RunsTheDeployedCommitAndExitsWithTheTasksCode) {
  const std::string deployed = paasta::testing::CommitFiles(repo_, {{"version.txt", "deployed\n"}}, "one");
  paasta::testing::CommitFiles(repo_, {{"version.txt", "newer\n"}}, "two");
  Deploy("dev.everything", deployed);
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "report", "--git-cache-dir", root_ + "/cache"}));
  EXPECT_EQ(result.exit_code, 7) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "\ndeployed\n")) << result.output;
  EXPECT_FALSE(absl::StrContains(result.output, "newer")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "web.report exited with code 7")) << result.output;
}

TEST_F(LocalRunTest, ExplainsWhatIsMissing) {
  CliResult result = RunPaasta(code_dir_, Flags({"-i", "report"}));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "web.report has never been deployed to deploy group dev.everything"))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "--build")) << result.output;

  result = RunPaasta(code_dir_, Flags({}));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "several instances in cluster dev (main, report)")) << result.output;

  result = RunPaasta(code_dir_, Flags({"-i", "nope"}));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "web.nope is not an instance of cluster dev")) << result.output;

  result = RunPaasta(code_dir_, Flags({"-i", "main", "--image", "some/image"}));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "--image needs a Docker engine")) << result.output;

  // A bad key is named with its file before anything runs.
  ASSERT_TRUE(WriteFileAtomically(soa_dir_ + "/web/adhoc-dev.yaml", "oops:\n  mem: lots\n").ok());
  result = RunPaasta(code_dir_, Flags({"-i", "oops", "--build"}));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "adhoc-dev.yaml:2: web.oops: mem:")) << result.output;
}

// The Docker path, with a stand-in `docker` CLI first on PATH (no Docker engine
// runs on this host): it records every call, answers `docker info`, and for
// `docker run` starts the test service on the published port so the health
// check has something real to reach. local-run must pull the deployed image,
// run the §9.2 command detached, health-check the published port, then remove
// the container.
TEST_F(LocalRunTest, WithADockerEngineRunsTheContainerAndRemovesIt) {
  const std::string bin = root_ + "/bin";
  ASSERT_TRUE(MakeDirs(bin).ok());
  const std::string calls = root_ + "/docker-calls";
  ASSERT_TRUE(WriteFileAtomically(bin + "/docker",
                                  absl::StrCat(R"sh(#!/bin/sh
echo "$*" >> ')sh",
                                               calls, R"sh('
state=')sh",
                                               root_, R"sh('
case "$1" in
  info|pull) exit 0 ;;
  run)
    for arg in "$@"; do
      case "$arg" in --publish=*) port=${arg#--publish=}; port=${port%%:*} ;; esac
    done
    PORT=$port ')sh",
                                               AbsolutePath(kTestServer), R"sh(' > "$state/container.out" 2>&1 &
    echo $! > "$state/container.pid"
    echo c0ffee ;;
  inspect) kill -0 "$(cat "$state/container.pid")" 2>/dev/null && echo true || echo false ;;
  stop|rm) kill "$(cat "$state/container.pid")" 2>/dev/null; exit 0 ;;
  wait) echo 0 ;;
  *) exit 1 ;;
esac
)sh"))
                  .ok());
  ASSERT_EQ(::chmod((bin + "/docker").c_str(), 0755), 0);
  const std::string sha = paasta::testing::CommitFiles(repo_, {{"version.txt", "one\n"}}, "one");
  Deploy("dev.main", sha);
  const CliResult result = RunPaasta(code_dir_, Flags({"-i", "main", "--healthcheck-only"}),
                                     {"PATH=" + bin + ":" + std::string(std::getenv("PATH"))});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "in Docker: docker run")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Healthcheck succeeded!")) << result.output;
  const std::string recorded = *ReadFile(calls);
  const std::string image = "registry.example.com:443/services-web:paasta-" + sha;
  EXPECT_TRUE(absl::StrContains(recorded, "pull " + image + "\n")) << recorded;
  EXPECT_TRUE(absl::StrContains(recorded, "--detach=true " + image + " sh -c " + AbsolutePath(kTestServer)))
      << recorded;
  EXPECT_TRUE(absl::StrContains(recorded, "rm -f c0ffee")) << "the container is removed: " << recorded;
  // The stand-in's "container" is gone too.
  const pid_t container = std::stoi(ReadFile(root_ + "/container.pid").value_or("0"));
  ASSERT_GT(container, 0);
  EXPECT_TRUE(paasta::testing::WaitUntil([&] { return ::kill(container, 0) != 0; }, absl::Seconds(10)));
  ::kill(container, SIGKILL);  // in case it was not
}

}  // namespace
}  // namespace paasta
