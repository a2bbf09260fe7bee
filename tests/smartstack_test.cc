// SmartStack on one machine with a real HAProxy, the drainer's hacheck endpoint
// and real tasks on the agent: requests to the proxy port reach every healthy
// task, a task marked down through hacheck stops receiving requests, and
// HAProxy's view shows in ListNamespaces.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/agent_helpers.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/agent.grpc.pb.h"
#include "protos/smartstack.grpc.pb.h"
#include "smartstack/haproxy_supervisor.h"

namespace paasta {
namespace {

constexpr char kAppId[] = "svc.main.git3f596a50.config01234567";

class SmartstackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("smartstack");
    proxy_port_ = testing::ReserveLoopbackPort();
    hacheck_port_ = testing::ReserveLoopbackPort();
    ASSERT_TRUE(MakeDirs(dir_ + "/soa/svc").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/etc").ok());
    Write("soa/svc/marathon-local.yaml", "main:\n  instances: 3\n");
    // Generous timeouts: the test is about routing, and a loaded 2-core machine
    // (other tests run alongside) must not turn a slow connect into a failure.
    Write("soa/svc/smartstack.yaml",
          absl::StrCat("main:\n  proxy_port: ", proxy_port_,
                       "\n  timeout_connect_ms: 3000\n  timeout_server_ms: 10000\n  healthcheck_timeout_s: 5\n"));
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");
    absl::StatusOr<testing::Daemon> agent =
        testing::StartDaemon("agent/paasta-agent",
                             {"--state_dir=" + dir_ + "/agent", "--tick=50ms",
                              "--cgroup_name=paasta-smartstack-test-" + std::to_string(::getpid())},
                             dir_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    absl::StatusOr<testing::Daemon> drainer = testing::StartDaemon(
        "drainer/paasta-drainer",
        {absl::StrCat("--hacheck_listen=127.0.0.1:", hacheck_port_), "--spool_root=" + dir_ + "/spool"}, dir_);
    ASSERT_TRUE(drainer.ok()) << drainer.status();
    drainer_ = std::move(*drainer);
    StartSmartstack();
    agent_stub_ = v1::Agent::NewStub(grpc::CreateChannel(agent_.grpc_address, grpc::InsecureChannelCredentials()));
  }

  void StartSmartstack() {
    absl::StatusOr<testing::Daemon> smartstack = testing::StartDaemon(
        "smartstack/paasta-smartstack",
        {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--state_dir=" + dir_ + "/haproxy",
         "--agent=" + agent_.grpc_address, absl::StrCat("--hacheck=127.0.0.1:", hacheck_port_), "--interval=200ms",
         "--check_interval=200ms", "--min_reload_interval=200ms"},
        dir_);
    ASSERT_TRUE(smartstack.ok()) << smartstack.status();
    smartstack_ = std::move(*smartstack);
  }

  void PutTestServers(int instances) {
    grpc::ClientContext context;
    v1::PutAppRequest request;
    v1::AppDefinition* app = request.mutable_app();
    app->set_id(kAppId);
    app->set_instances(instances);
    app->set_cmd("exec " + testing::AbsolutePath("agent/testing/test_server"));
    app->set_cpus(0.1);
    app->set_mem(64);
    v1::PutAppResponse response;
    ASSERT_TRUE(agent_stub_->PutApp(&context, request, &response).ok());
  }

  // HAProxy masters serving this test's configuration (processes reading it
  // whose parent does not).
  int HaproxyMasters() {
    const std::string config = dir_ + "/haproxy/haproxy.cfg";
    std::map<int, int> parent_of;  // pid -> ppid, of processes reading `config`
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      int pid = 0;
      if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
      const absl::StatusOr<std::string> cmdline = ReadFile(entry.path().string() + "/cmdline");
      const absl::StatusOr<std::string> stat = ReadFile(entry.path().string() + "/stat");
      if (!cmdline.ok() || !stat.ok() || !absl::StrContains(*cmdline, config)) continue;
      const std::vector<std::string> fields = absl::StrSplit(stat->substr(stat->rfind(')') + 2), ' ');
      if (fields.size() > 1 && fields[0] != "Z") absl::SimpleAtoi(fields[1], &parent_of[pid]);
    }
    int masters = 0;
    for (const auto& [pid, ppid] : parent_of) masters += parent_of.count(ppid) == 0;
    return masters;
  }

  void TearDown() override {
    if (smartstack_.process != nullptr && smartstack_.process->Signal(SIGTERM)) {
      smartstack_.process->Wait(absl::Seconds(15)).IgnoreError();
    }
    testing::StopAgentCleanly(agent_stub_.get(), agent_);
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir_, "/", path), text).ok());
  }

  std::vector<v1::Task> Tasks() { return testing::AgentTasks(*agent_stub_); }

  // The tasks that answered `count` requests through the proxy port ("" for a
  // failed request).
  std::multiset<std::string> Through(int count) {
    std::multiset<std::string> seen;
    for (int i = 0; i < count; ++i) {
      HttpRequest request;
      request.url = absl::StrCat("http://127.0.0.1:", proxy_port_, "/");
      request.timeout = absl::Seconds(5);
      absl::StatusOr<HttpResponse> response = HttpFetch(request);
      const size_t task = response.ok() ? response->body.find("task=") : std::string::npos;
      seen.insert(response.ok() && response->status_code == 200 && task != std::string::npos
                      ? response->body.substr(task + 5)
                      : "");
      if (!response.ok()) {
        last_failure_ = response.status().ToString();
      } else if (response->status_code != 200) {
        last_failure_ = absl::StrCat("HTTP ", response->status_code, ": ", response->body);
      }
    }
    last_seen_ = seen;
    return seen;
  }

  // What a failed wait saw: the last answers through the proxy, the agent's
  // tasks, HAProxy's view of each server and the daemons' logs.
  std::string Diagnosis() {
    std::string text = "last answers through the proxy:";
    for (const std::string& task : last_seen_) absl::StrAppend(&text, " [", task, "]");
    absl::StrAppend(&text, "\nlast failure: ", last_failure_, "\ntasks:");
    for (const v1::Task& task : Tasks()) {
      absl::StrAppend(&text, " ", task.id(), " port ", task.ports_size() > 0 ? task.ports(0) : 0, ";");
    }
    const std::string config = ReadFile(dir_ + "/haproxy/haproxy.cfg").value_or("(no config)");
    std::string socket;
    for (absl::string_view line : absl::StrSplit(config, '\n')) {
      line = absl::StripLeadingAsciiWhitespace(line);
      if (absl::ConsumePrefix(&line, "stats socket ")) socket = std::string(line.substr(0, line.find(' ')));
    }
    absl::StrAppend(&text, "\nHAProxy's servers (show servers state):\n",
                    socket.empty() ? "(no socket)" : smartstack::HaproxyCommand(socket, "show servers state\n"), "\n",
                    config, "\nhaproxy.log:\n", ReadFile(dir_ + "/haproxy/haproxy.log").value_or("(none)"),
                    "\nhacheck (paasta-drainer):\n", drainer_.process->Output(), "\npaasta-smartstack:\n",
                    smartstack_.process->Output());
    return text;
  }

  std::string dir_;
  std::multiset<std::string> last_seen_;
  std::string last_failure_ = "(none)";
  int proxy_port_ = 0, hacheck_port_ = 0;
  testing::Daemon agent_, drainer_, smartstack_;
  std::unique_ptr<v1::Agent::Stub> agent_stub_;
};

TEST_F(SmartstackTest, RoutesToEveryHealthyTaskAndNotToADrainedOne) {
  PutTestServers(3);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const std::multiset<std::string> seen = Through(12);
        return seen.count("") == 0 && std::set<std::string>(seen.begin(), seen.end()).size() == 3;
      },
      absl::Seconds(60)))
      << Diagnosis();

  // Drain one task through hacheck: HAProxy stops sending it requests.
  const std::vector<v1::Task> tasks = Tasks();
  ASSERT_EQ(tasks.size(), 3u);
  const v1::Task& drained = tasks[0];
  HttpRequest down;
  down.method = "POST";
  down.url = absl::StrCat("http://127.0.0.1:", hacheck_port_, "/spool/svc.main/", drained.ports(0), "/status");
  down.body = "status=down&reason=Drained+by+Paasta";
  down.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  ASSERT_EQ(HttpFetch(down)->status_code, 200);
  ASSERT_TRUE(testing::WaitUntil([&] { return Through(12).count(drained.id()) == 0; }, absl::Seconds(30)))
      << Diagnosis();
  const std::multiset<std::string> after = Through(30);
  EXPECT_EQ(after.count(drained.id()), 0u);
  EXPECT_EQ(after.count(""), 0u) << "the others take every request";

  // A broken smartstack.yaml changes nothing: HAProxy keeps routing.
  Write("soa/svc/smartstack.yaml", "main: [unclosed\n");
  absl::SleepFor(absl::Seconds(1));  // five passes
  EXPECT_EQ(Through(12).count(""), 0u) << ReadFile(dir_ + "/haproxy/haproxy.cfg").value_or("(no config)");

  auto stub =
      v1::Smartstack::NewStub(grpc::CreateChannel(smartstack_.grpc_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::ListNamespacesRequest request;
  v1::ListNamespacesResponse response;
  ASSERT_TRUE(stub->ListNamespaces(&context, request, &response).ok());
  ASSERT_EQ(response.namespaces_size(), 1);
  EXPECT_EQ(response.namespaces(0).name(), "svc.main");
  EXPECT_EQ(response.namespaces(0).proxy_port(), static_cast<uint32_t>(proxy_port_));
  int up = 0, down_count = 0;
  for (const v1::Backend& backend : response.namespaces(0).backends()) {
    up += backend.status() == v1::BACKEND_STATUS_UP;
    down_count += backend.status() == v1::BACKEND_STATUS_DOWN;
  }
  EXPECT_EQ(up, 2);
  EXPECT_EQ(down_count, 1);
}

// paasta-smartstack killed with SIGKILL: HAProxy serves on meanwhile, and the
// restarted daemon takes that HAProxy over (and reconfigures it) instead of
// starting a second one on the same port with a stale configuration.
TEST_F(SmartstackTest, KilledItsHaproxyServesOnAndIsTakenOverNotDoubled) {
  PutTestServers(3);
  auto distinct = [&](int count) {
    const std::multiset<std::string> seen = Through(count);
    return seen.count("") == 0 ? std::set<std::string>(seen.begin(), seen.end()).size() : 0u;
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return distinct(12) == 3; }, absl::Seconds(60))) << Diagnosis();
  const std::string pid_file = dir_ + "/haproxy/haproxy.pid";
  const std::string master = std::string(absl::StripAsciiWhitespace(*ReadFile(pid_file)));
  ASSERT_EQ(HaproxyMasters(), 1);

  ASSERT_TRUE(smartstack_.process->Signal(SIGKILL));
  smartstack_.process->Wait(absl::Seconds(10)).IgnoreError();
  EXPECT_EQ(distinct(12), 3u) << "HAProxy serves on without its supervisor";

  StartSmartstack();
  PutTestServers(2);  // a change the restarted daemon must bring to the HAProxy it took over
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return absl::StrContains(smartstack_.process->Output(),
                                 "left running by an earlier paasta-smartstack is taken over");
      },
      absl::Seconds(30)))
      << smartstack_.process->Output();
  // Its configuration names the two tasks left, and HAProxy serves them.
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        const std::string config = ReadFile(dir_ + "/haproxy/haproxy.cfg").value_or("");
        int servers = 0;
        for (absl::string_view line : absl::StrSplit(config, '\n')) {
          servers += absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "server ");
        }
        return servers == 2 && distinct(12) == 2;
      },
      absl::Seconds(60)))
      << ReadFile(dir_ + "/haproxy/haproxy.cfg").value_or("(no config)");
  EXPECT_EQ(std::string(absl::StripAsciiWhitespace(*ReadFile(pid_file))), master);
  EXPECT_EQ(HaproxyMasters(), 1);

  // A clean stop takes it along.
  ASSERT_TRUE(smartstack_.process->Signal(SIGTERM));
  smartstack_.process->Wait(absl::Seconds(15)).IgnoreError();
  smartstack_.process.reset();
  EXPECT_TRUE(testing::WaitUntil([&] { return HaproxyMasters() == 0; }, absl::Seconds(10)));
}

// A crossover bounce of a 3-instance service under continuous load through the
// proxy port: the deployer starts the new tasks, drains each old one through
// hacheck (HAProxy takes it out of rotation), kills it after the drain delay,
// and HAProxy reloads as tasks come and go. Every response is counted: none
// may fail.
class BounceTest : public SmartstackTest {
 protected:
  void SetUp() override {
    SmartstackTest::SetUp();
    if (HasFatalFailure()) return;
    repo_ = dir_ + "/repo";
    testing::InitRepo(repo_);
    v1_ = testing::CommitFiles(repo_, {{"version.txt", "v1\n"}}, "v1");
    v2_ = testing::CommitFiles(repo_, {{"version.txt", "v2\n"}}, "v2");
    Write("soa/svc/service.yaml", "git_url: " + repo_ + "\n");
    Write("soa/svc/marathon-local.yaml",
          absl::StrCat("main:\n  instances: 3\n  cpus: 0.1\n  mem: 64\n", "  cmd: VERSION=$(cat version.txt) exec ",
                       testing::AbsolutePath("agent/testing/test_server"),
                       "\n  healthcheck_grace_period_seconds: 5\n  healthcheck_interval_seconds: 0.2\n",
                       "  healthcheck_timeout_seconds: 1\n  healthcheck_max_consecutive_failures: 3\n",
                       "  drain_method: hacheck\n  drain_method_params:\n    delay: 1\n    hacheck_port: ",
                       hacheck_port_, "\n  bounce_method: crossover\n  deploy_group: local.everything\n"));
    absl::StatusOr<testing::Daemon> deployer =
        testing::StartDaemon("deployer/paasta-deployer",
                             {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--interval=200ms",
                              "--agent=" + agent_.grpc_address, "--drainer=" + drainer_.grpc_address,
                              "--smartstack=" + smartstack_.grpc_address},
                             dir_);
    ASSERT_TRUE(deployer.ok()) << deployer.status();
    deployer_ = std::move(*deployer);
  }

  void TearDown() override {
    deployer_.process.reset();
    SmartstackTest::TearDown();
  }

  void Deploy(const std::string& sha) {
    Write("soa/svc/deployments.json",
          absl::StrCat(R"({"v1": {"svc:paasta-local.main": {"desired_state": "start", "docker_image": )",
                       R"("services-svc:paasta-)", sha, R"(", "force_bounce": null}}})"));
  }

  // Every answer through the proxy is version=<version>, from 3 tasks.
  bool AllAnswer(const std::string& version) {
    const std::multiset<std::string> seen = Through(12);
    std::set<std::string> tasks;
    for (int i = 0; i < 12; ++i) {
      HttpRequest request;
      request.url = absl::StrCat("http://127.0.0.1:", proxy_port_, "/");
      absl::StatusOr<HttpResponse> response = HttpFetch(request);
      if (!response.ok() || !absl::StartsWith(response->body, "version=" + version + " ")) {
        last_failure_ = response.ok() ? absl::StrCat("HTTP ", response->status_code, ": ", response->body)
                                      : response.status().ToString();
        return false;
      }
      tasks.insert(response->body);
    }
    return seen.count("") == 0 && tasks.size() == 3;
  }

  std::string repo_, v1_, v2_;
  testing::Daemon deployer_;
};

TEST_F(BounceTest, ACrossoverBounceUnderLoadLosesNoRequest) {
  Deploy(v1_);
  ASSERT_TRUE(testing::WaitUntil([&] { return AllAnswer("v1"); }, absl::Seconds(90)))
      << Diagnosis() << "\npaasta-deployer:\n"
      << deployer_.process->Output();

  // The load: two clients, each one request after another, for the whole bounce.
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0}, v2{0};
  std::vector<std::string> failures;
  absl::Mutex failures_mu;
  auto client = [&] {
    while (!stop) {
      HttpRequest request;
      request.url = absl::StrCat("http://127.0.0.1:", proxy_port_, "/");
      request.timeout = absl::Seconds(5);
      absl::StatusOr<HttpResponse> response = HttpFetch(request);
      if (response.ok() && response->status_code == 200) {
        ++ok;
        if (absl::StartsWith(response->body, "version=v2 ")) ++v2;
      } else {
        ++failed;
        absl::MutexLock lock(&failures_mu);
        failures.push_back(response.ok() ? absl::StrCat("HTTP ", response->status_code, " ", response->body)
                                         : std::string(response.status().message()));
      }
    }
  };
  std::thread first(client), second(client);
  Deploy(v2_);
  const bool bounced = testing::WaitUntil(
      [&] {
        std::set<std::string> apps;
        for (const v1::Task& task : Tasks()) apps.insert(task.app_id());
        return apps.size() == 1 && absl::StrContains(*apps.begin(), ".git" + v2_.substr(0, 8) + ".") && v2 > 20 &&
               AllAnswer("v2");
      },
      absl::Seconds(120));
  stop = true;
  first.join();
  second.join();
  ASSERT_TRUE(bounced) << deployer_.process->Output();
  EXPECT_EQ(failed, 0) << "of " << ok + failed << " requests; first failures: "
                       << absl::StrJoin(std::vector<std::string>(
                                            failures.begin(), failures.begin() + std::min<size_t>(5, failures.size())),
                                        " | ");
  EXPECT_GT(ok, 100) << "the load ran through the whole bounce";
  std::printf("crossover under load: %d requests, %d failed\n", ok.load() + failed.load(), failed.load());
}

}  // namespace
}  // namespace paasta
