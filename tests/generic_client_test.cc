// Every daemon answers a generic gRPC client that was not written here and
// knows none of paasta's protos: Node.js with @grpc/grpc-js and
// grpc-js-reflection-client (tests/grpc-js, installed by scripts/setup.sh
// from the npm registry) asks each daemon's server reflection for its services
// and its service's descriptor, then calls one read RPC.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace paasta {
namespace {

struct Case {
  std::string binary;
  std::vector<std::string> flags;  // "$DIR" is the test's folder
  std::string service;
  std::string method;
  std::string request;
};

std::vector<Case> Cases() {
  return {
      {"agent/paasta-agent",
       {"--state_dir=$DIR/agent", "--cgroup_name=paasta-generic-client-test"},
       "paasta.v1.Agent",
       "ListApps",
       "{}"},
      {"deployer/generator/paasta-generator",
       {"--soa_dir=$DIR/soa", "--git_cache_dir=$DIR/cache", "--deployer=", "--scheduler_bridge="},
       "paasta.v1.Generator",
       "ListDeployments",
       R"({"service": "svc"})"},
      {"deployer/paasta-deployer",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--agent=127.0.0.1:1", "--smartstack="},
       "paasta.v1.Deployer",
       "ListInstances",
       "{}"},
      {"scheduler-bridge/paasta-scheduler-bridge",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--state_dir=$DIR/bridge", "--agent=127.0.0.1:1"},
       "paasta.v1.SchedulerBridge",
       "ListJobs",
       "{}"},
      {"drainer/paasta-drainer",
       {"--hacheck_listen="},
       "paasta.v1.Drainer",
       "IsDraining",
       R"({"task": {"service": "svc", "instance": "main", "namespace": "main", "task_id": "t1", "host": "127.0.0.1",
                    "port": 31000},
           "method": {"name": "noop"}})"},
      {"monitor/paasta-monitor",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--agent=127.0.0.1:1", "--deployer=127.0.0.1:1",
        "--scheduler_bridge=127.0.0.1:1", "--smartstack="},
       "paasta.v1.Monitor",
       "ListAlerts",
       R"({"include_ok": true})"},
      {"smartstack/paasta-smartstack",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--state_dir=$DIR/haproxy", "--agent=127.0.0.1:1"},
       "paasta.v1.Smartstack",
       "ListNamespaces",
       "{}"},
  };
}

TEST(GenericClientTest, EveryDaemonAnswersAReflectionOnlyClient) {
  // The client runs from its source folder, where setup.sh installed its packages.
  const std::string client = testing::AbsolutePath("tests/grpc-js/client.js");
  ASSERT_FALSE(client.empty());
  char resolved[PATH_MAX];
  ASSERT_NE(::realpath(client.c_str(), resolved), nullptr);
  const std::string folder = std::string(resolved).substr(0, std::string(resolved).rfind('/'));
  ASSERT_TRUE(ReadFile(folder + "/node_modules/@grpc/grpc-js/package.json").ok())
      << "the generic client's npm packages are missing from " << folder
      << "/node_modules: run scripts/setup.sh (it runs npm ci there)";

  const std::string dir = testing::NewTempDir("generic-client");
  ASSERT_TRUE(MakeDirs(dir + "/soa/svc").ok());
  ASSERT_TRUE(MakeDirs(dir + "/etc").ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/soa/svc/marathon-local.yaml", "main:\n  instances: 1\n").ok());
  ASSERT_TRUE(
      WriteFileAtomically(dir + "/soa/svc/deployments.json", R"({"v1": {}, "v2": {"deployments": {}, "controls": {}}})")
          .ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").ok());
  for (const Case& c : Cases()) {
    std::vector<std::string> flags;
    for (std::string flag : c.flags) {
      if (const size_t at = flag.find("$DIR"); at != std::string::npos) flag.replace(at, 4, dir);
      flags.push_back(flag);
    }
    absl::StatusOr<testing::Daemon> daemon = testing::StartDaemon(c.binary, flags, dir);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    auto node = testing::ChildProcess::Start(
        {"/usr/bin/env", "node", resolved, daemon->grpc_address, c.service, c.method, c.request},
        dir + "/" + c.method + ".out");
    ASSERT_TRUE(node.ok()) << node.status();
    const absl::StatusOr<int> status = (*node)->Wait(absl::Seconds(60));
    ASSERT_TRUE(status.ok()) << c.service;
    const std::string output = (*node)->Output();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << c.service << ": " << output;
    const nlohmann::json answer = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(answer.is_object()) << c.service << ": " << output;
    const std::vector<std::string> services = answer.value("services", std::vector<std::string>());
    EXPECT_NE(std::find(services.begin(), services.end(), c.service), services.end()) << output;
    EXPECT_NE(std::find(services.begin(), services.end(), "grpc.health.v1.Health"), services.end()) << output;
    EXPECT_EQ(answer.value("call", ""), c.service + "/" + c.method);
    EXPECT_TRUE(answer.contains("response") && answer["response"].is_object()) << output;
    // A clean stop (the agent then removes its cgroup folders).
    if (daemon->process->Signal(SIGTERM)) daemon->process->Wait(absl::Seconds(10)).IgnoreError();
  }
}

}  // namespace
}  // namespace paasta
