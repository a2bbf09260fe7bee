// The real `paasta` binary against real daemons: help, usage errors, an
// unreachable daemon named with its address and flag, a daemon's refusal in its
// own words, and the three ways to set a daemon's address.
#include <sys/stat.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace paasta {
namespace {

using ::paasta::testing::ChildProcess;

constexpr char kPaasta[] = "cli/paasta";

struct CliResult {
  int exit_code = -1;
  std::string output;
};

CliResult RunPaasta(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  const std::string dir = paasta::testing::NewTempDir("paasta");
  std::vector<std::string> argv = {kPaasta};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start(argv, dir + "/output", env);
  if (!child.ok()) return {};
  const auto status = (*child)->Wait(absl::Seconds(60));
  if (!status.ok() || !WIFEXITED(*status)) return {-1, (*child)->Output()};
  return {WEXITSTATUS(*status), (*child)->Output()};
}

// A daemon started for the test on port 0; stopped (SIGKILL) when destroyed.
class RunningDaemon {
 public:
  explicit RunningDaemon(const std::string& binary) {
    dir_ = paasta::testing::NewTempDir("daemon");
    std::vector<std::string> argv = {binary, "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                                     "--ports_file=" + dir_ + "/ports.json"};
    // Every daemon gets its own state under the test's folder.
    if (absl::StrContains(binary, "paasta-agent")) argv.push_back("--state_dir=" + dir_ + "/agent");
    if (absl::StrContains(binary, "paasta-generator")) argv.push_back("--soa_dir=" + dir_ + "/soa");
    if (absl::StrContains(binary, "paasta-scheduler-bridge")) {
      // An empty soa-configs folder and a one-machine cluster.
      ::mkdir((dir_ + "/soa").c_str(), 0755);
      ::mkdir((dir_ + "/etc").c_str(), 0755);
      WriteFileAtomically(dir_ + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").IgnoreError();
      argv.insert(argv.end(), {"--state_dir=" + dir_ + "/bridge", "--soa_dir=" + dir_ + "/soa",
                               "--system_config_dir=" + dir_ + "/etc", "--agent=127.0.0.1:1"});
    }
    auto child = ChildProcess::Start(argv, dir_ + "/output");
    if (!child.ok()) return;
    process_ = std::move(*child);
    const auto ports = paasta::testing::WaitForFile(dir_ + "/ports.json", absl::Seconds(30));
    if (ports.ok()) address_ = nlohmann::json::parse(*ports).at("grpc");
  }
  const std::string& address() const { return address_; }

 private:
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string address_;
};

// True when the CLI reached the daemon: whatever the daemon answered (here,
// that the service does not exist), it is not the "cannot reach" of exit 2.
bool Reached(const CliResult& result) {
  return result.exit_code != 2 && result.exit_code != -1 && !absl::StrContains(result.output, "cannot reach");
}

// Nothing listens on port 1 of loopback (a privileged port no test binds).
constexpr char kNobody[] = "127.0.0.1:1";

TEST(CliTest, HelpListsEveryCommandOfTheOriginal) {
  const CliResult result = RunPaasta({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command :
       {"mark-for-deployment", "start", "stop", "restart", "rerun", "status", "validate", "list", "list-clusters",
        "local-run", "logs", "emergency-start", "emergency-stop", "emergency-restart", "wait-for-deployment",
        "get-latest-deployment", "rollback", "metastatus"}) {
    EXPECT_TRUE(absl::StrContains(result.output, absl::StrCat("  ", command, " "))) << command << "\n" << result.output;
  }
  for (const char* flag : {"--generator", "--deployer", "--agent", "--scheduler-bridge"}) {
    EXPECT_TRUE(absl::StrContains(result.output, flag)) << flag;
  }
}

TEST(CliTest, EachCommandsHelpHasAnExample) {
  for (const char* command :
       {"mark-for-deployment", "start", "stop", "restart", "rerun", "validate", "list", "list-clusters", "status",
        "local-run", "logs", "emergency-start", "emergency-stop", "emergency-restart", "wait-for-deployment",
        "get-latest-deployment", "rollback", "metastatus"}) {
    const CliResult result = RunPaasta({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_TRUE(absl::StrContains(result.output, absl::StrCat("Example: paasta ", command))) << result.output;
  }
}

TEST(CliTest, UsageErrorsExitTwoAndNameTheFlag) {
  CliResult result = RunPaasta({"start", "-s", "example_service"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(result.output, "--clusters is required")) << result.output;

  result = RunPaasta({"rerun", "-s", "example_batch", "-i", "daily", "-d", "2016-04-25"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(result.output, "-d/--execution_date")) << result.output;

  result = RunPaasta({"no-such-command"});
  EXPECT_EQ(result.exit_code, 2);

  result = RunPaasta({"--rpc-timeout=soon", "start", "-s", "x", "-c", "local"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(result.output, "--rpc-timeout")) << result.output;
}

TEST(CliTest, UnreachableDaemonIsNamedWithItsAddressAndFlag) {
  const CliResult result = RunPaasta({"--generator", kNobody, "start", "-s", "example_service", "-c", "local"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(result.output, absl::StrCat("paasta: cannot reach paasta-generator at ", kNobody,
                                                            " (set its address with --generator, `generator = "
                                                            "\"HOST:PORT\"` in the CLI config file, or "
                                                            "daemon_addresses.generator in the system config)")))
      << result.output;
}

// Every command that needs a daemon, with every daemon unreachable: the first
// daemon it asks is named with its address and flag, exit 2, no crash.
TEST(CliTest, EveryDaemonCommandNamesTheDaemonItCouldNotReach) {
  const std::vector<std::string> nobody = {
      "--agent",   kNobody, "--generator",  kNobody, "--deployer",         kNobody, "--drainer",       kNobody,
      "--monitor", kNobody, "--smartstack", kNobody, "--scheduler-bridge", kNobody, "--rpc-timeout=5s"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", "HEAD"}, "paasta-generator"},
      {{"wait-for-deployment", "-s", "svc", "-l", "local.everything", "-c", "abc1234"}, "paasta-generator"},
      {{"get-latest-deployment", "-s", "svc", "-l", "local.everything"}, "paasta-generator"},
      {{"rollback", "-s", "svc", "-k", "abc1234"}, "paasta-generator"},
      {{"start", "-s", "svc", "-c", "local"}, "paasta-generator"},
      {{"stop", "-s", "svc", "-c", "local"}, "paasta-generator"},
      {{"restart", "-s", "svc", "-c", "local"}, "paasta-generator"},
      {{"status", "-s", "svc"}, "paasta-deployer"},
      {{"logs", "-s", "svc"}, "paasta-deployer"},
      {{"rerun", "-s", "svc", "-i", "job"}, "paasta-scheduler-bridge"},
      {{"emergency-start", "-s", "svc", "-i", "main"}, "paasta-scheduler-bridge"},
      {{"emergency-stop", "-s", "svc", "-i", "main"}, "paasta-scheduler-bridge"},
      {{"emergency-restart", "-s", "svc", "-i", "main"}, "paasta-scheduler-bridge"},
      {{"metastatus"}, "paasta-agent"},
  };
  for (const auto& [command, daemon] : cases) {
    std::vector<std::string> args = nobody;
    args.insert(args.end(), command.begin(), command.end());
    const CliResult result = RunPaasta(args);
    EXPECT_EQ(result.exit_code, 2) << command[0] << ": " << result.output;
    if (command[0] == "metastatus") {
      EXPECT_TRUE(absl::StrContains(result.output, "unreachable")) << result.output;
      continue;
    }
    EXPECT_TRUE(absl::StrContains(result.output, absl::StrCat("paasta: cannot reach ", daemon, " at ", kNobody)))
        << command[0] << ": " << result.output;
    EXPECT_FALSE(absl::StrContains(result.output, "terminate called")) << result.output;
  }
}

TEST(CliTest, RerunOfAServiceTheBridgeDoesNotKnowNamesItAndExitsOne) {
  RunningDaemon bridge("scheduler-bridge/paasta-scheduler-bridge");
  ASSERT_FALSE(bridge.address().empty());
  const CliResult rerun = RunPaasta({"--scheduler-bridge", bridge.address(), "rerun", "-s", "example_batch", "-i",
                                     "daily", "-d", "2016-04-25T00:00:00"});
  EXPECT_EQ(rerun.exit_code, 1) << rerun.output;
  EXPECT_TRUE(absl::StrContains(rerun.output, "paasta: no service \"example_batch\" in ")) << rerun.output;
}

TEST(CliTest, AddressesComeFromTheConfigFileAndTheEnvironment) {
  RunningDaemon generator("deployer/generator/paasta-generator");
  ASSERT_FALSE(generator.address().empty());
  const std::string config = paasta::testing::NewTempDir("config") + "/paasta.toml";
  ASSERT_TRUE(WriteFileAtomically(config, absl::StrCat("generator = \"", generator.address(), "\"\n")).ok());

  CliResult result = RunPaasta({"--config", config, "stop", "-s", "x", "-c", "local"});
  EXPECT_TRUE(Reached(result)) << result.output;
  result = RunPaasta({"stop", "-s", "x", "-c", "local"}, {"PAASTA_CLI_CONFIG=" + config});
  EXPECT_TRUE(Reached(result)) << result.output;
  result = RunPaasta({"stop", "-s", "x", "-c", "local"}, {"PAASTA_GENERATOR=" + generator.address()});
  EXPECT_TRUE(Reached(result)) << result.output;
  // A flag beats the environment.
  result = RunPaasta({"--generator", kNobody, "stop", "-s", "x", "-c", "local"},
                     {"PAASTA_GENERATOR=" + generator.address()});
  EXPECT_EQ(result.exit_code, 2) << result.output;
}

TEST(CliTest, AddressesComeFromTheSystemConfigWhenNothingElseSetsThem) {
  RunningDaemon generator("deployer/generator/paasta-generator");
  ASSERT_FALSE(generator.address().empty());
  const std::string dir = paasta::testing::NewTempDir("etc-paasta");
  ASSERT_TRUE(
      WriteFileAtomically(dir + "/cluster.json", absl::StrCat(R"({"cluster": "local", "daemon_addresses": )",
                                                              R"({"generator": ")", generator.address(), R"("}})"))
          .ok());
  CliResult result = RunPaasta({"--system-config-dir", dir, "stop", "-s", "x", "-c", "local"});
  EXPECT_TRUE(Reached(result)) << result.output;
  result = RunPaasta({"stop", "-s", "x", "-c", "local"}, {"PAASTA_SYSTEM_CONFIG_DIR=" + dir});
  EXPECT_TRUE(Reached(result)) << result.output;
  // A flag beats the system config.
  result = RunPaasta({"--system-config-dir", dir, "--generator", kNobody, "stop", "-s", "x", "-c", "local"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  // A folder named explicitly must exist.
  result = RunPaasta({"--system-config-dir", dir + "/missing", "stop", "-s", "x", "-c", "local"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "system config folder " + dir + "/missing")) << result.output;
}

TEST(CliTest, ValidateAndListWorkWithoutAnyDaemon) {
  CliResult result = RunPaasta({"validate", "-y", "examples/soa-configs"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "3 services, 6 instances: valid\n");
  result = RunPaasta({"list", "-y", "examples/soa-configs"});
  EXPECT_EQ(result.output, "example_batch\nexample_service\nexample_worker\n");
  result = RunPaasta({"validate", "-y", "tests/testdata/validation/cmd_and_args"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(result.output,
                                "tests/testdata/validation/cmd_and_args/svc/marathon-test.yaml:3: svc.main: "
                                "args: Instance configuration can specify cmd or args, but not both.\n"))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "1 service, 1 instance: 1 error, 0 warnings"));
  // Warnings do not fail.
  result = RunPaasta({"validate", "-y", "tests/testdata/validation/unknown_keys"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // An unsafe name is refused; an unknown service is not found.
  result = RunPaasta({"validate", "-y", "examples/soa-configs", "-s", "../etc"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(result.output, "service name \"../etc\" is not allowed"));
  result = RunPaasta({"validate", "-s", "nope"}, {"PAASTA_SOA_DIR=examples/soa-configs"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(result.output, "no service \"nope\" in examples/soa-configs"));
}

TEST(CliTest, MetastatusShowsEveryDaemonsHealth) {
  RunningDaemon agent("agent/paasta-agent");
  ASSERT_FALSE(agent.address().empty());
  // One daemon up, the others pointed at nothing: exit 2, each line says which.
  std::vector<std::string> args = {"--agent", agent.address()};
  for (const char* flag :
       {"--generator", "--deployer", "--scheduler-bridge", "--drainer", "--monitor", "--smartstack"}) {
    args.push_back(flag);
    args.push_back(kNobody);
  }
  args.push_back("metastatus");
  const CliResult result = RunPaasta(args);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "paasta-agent")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, agent.address() + " ")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "SERVING")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "paasta-monitor           127.0.0.1:1")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "unreachable")) << result.output;
}

}  // namespace
}  // namespace paasta
