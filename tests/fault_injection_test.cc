// Fault injection between the platform and the cluster engines it drives.
//
// Marathon and Chronos cannot run here: the servers are the in-test Marathon
// (deployer/testing/fake_marathon) and Chronos (scheduler-bridge/testing/
// fake_chronos), which follow the documented REST APIs (external-apis.md §1,
// §2). Between them and the real clients sits a TCP proxy
// (common/testing/fault_proxy) that makes connections hang, refuses them, or
// drops them in the middle of an answer; the servers themselves answer 503.
// Each time: no destructive action is taken on partial information, the call
// is retried with backoff, the status says what is wrong, and once the fault
// is gone the next pass finishes the work.
#include <sys/stat.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/fault_proxy.h"
#include "deployer/deployer.h"
#include "deployer/marathon_orchestrator.h"
#include "deployer/testing/fake_marathon.h"
#include "deployer/testing/instant_drainer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "scheduler-bridge/bridge.h"
#include "scheduler-bridge/chronos_engine.h"
#include "scheduler-bridge/testing/fake_chronos.h"

namespace paasta {
namespace {

using Fault = testing::FaultProxy::Fault;

const std::string kSha = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

// Client options that make a fault quick to see: 300 ms per request, two
// retries 20 ms then 40 ms apart.
RestOptions QuickRetries() { return RestOptions{absl::Milliseconds(300), 2, absl::Milliseconds(20)}; }

struct NamedFault {
  const char* name;
  Fault fault;
  size_t drop_after;
};
const NamedFault kProxyFaults[] = {
    {"a hanging connection", Fault::kHang, 0},
    {"a refused connection", Fault::kRefuse, 0},
    {"an answer dropped after its headers", Fault::kDropResponse, 60},
};

// Requests that change something ("GET ..." do not).
int Changes(const std::vector<std::string>& requests, size_t from) {
  int changes = 0;
  for (size_t i = from; i < requests.size(); ++i) changes += !absl::StartsWith(requests[i], "GET ");
  return changes;
}

class MarathonFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(marathon_.Start().ok());
    proxy_ = std::make_unique<testing::FaultProxy>(marathon_.url().substr(7));  // without "http://"
    ASSERT_TRUE(proxy_->Start().ok());
    client_ = std::make_unique<deployer::MarathonOrchestrator>(
        config::MarathonEndpoint{proxy_->url(), "paasta", "secret"}, QuickRetries());
    dir_ = testing::NewTempDir("marathon-faults");
    ASSERT_TRUE(MakeDirs(dir_ + "/soa/svc").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/etc").ok());
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/soa/svc/marathon-local.yaml",
                                    "main:\n  instances: 3\n  cmd: ./run\n  deploy_group: local.everything\n"
                                    "  bounce_method: crossover\n")
                    .ok());
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/etc/cluster.json", R"({"cluster": "local", "volumes": []})").ok());
    deployer_ = std::make_unique<deployer::Deployer>(deployer::DeployerOptions{dir_ + "/soa", dir_ + "/etc", "", 1},
                                                     client_.get(), &drainer_, &clock_);
  }

  void Deploy(const std::string& force_bounce) {
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/soa/svc/deployments.json",
                                    R"({"v1": {"svc:paasta-local.main": {"desired_state": "start",
                                        "docker_image": "services-svc:paasta-)" +
                                        kSha + R"(", "force_bounce": ")" + force_bounce + R"("}}})")
                    .ok());
  }

  v1::InstanceStatus Pass() {
    const std::vector<v1::InstanceStatus> statuses = deployer_->Reconcile("", "");
    EXPECT_EQ(statuses.size(), 1u);
    return statuses.empty() ? v1::InstanceStatus() : statuses[0];
  }

  // Every app stays within its allowance: no app has more tasks than instances.
  void ExpectWithinAllowance() {
    for (const std::string& id : marathon_.AppIds()) EXPECT_LE(marathon_.TaskCount(id), 3) << id;
  }

  deployer::testing::FakeMarathon marathon_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<deployer::MarathonOrchestrator> client_;
  deployer::testing::InstantDrainer drainer_;
  RealClock clock_;
  std::string dir_;
  std::unique_ptr<deployer::Deployer> deployer_;
};

TEST_F(MarathonFaultsTest, AnUnreachableOrBrokenMarathonChangesNothingAndTheNextPassFinishes) {
  Deploy("a");
  ASSERT_EQ(Pass().last_error(), "");
  const std::vector<std::string> first = marathon_.AppIds();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(marathon_.TaskCount(first[0]), 3);

  Deploy("b");  // a new version: a pass would create an app and, later, delete the old one
  for (const NamedFault& fault : kProxyFaults) {
    SCOPED_TRACE(fault.name);
    const size_t requests_before = marathon_.Requests().size();
    const int connections_before = proxy_->connections();
    proxy_->set_fault(fault.fault, fault.drop_after);
    const v1::InstanceStatus status = Pass();
    proxy_->set_fault(Fault::kNone);
    // The listing was tried three times (two retries), then the pass gave up on
    // the instance and said why, naming the URL.
    EXPECT_EQ(proxy_->connections() - connections_before, 3) << status.last_error();
    EXPECT_TRUE(absl::StrContains(status.last_error(), "GET " + proxy_->url() + "/v2/apps")) << status.last_error();
    EXPECT_EQ(Changes(marathon_.Requests(), requests_before), 0);
    EXPECT_EQ(marathon_.AppIds(), first);
    EXPECT_EQ(marathon_.TaskCount(first[0]), 3);
  }

  // Marathon itself answering 503: the same.
  const size_t requests_before = marathon_.Requests().size();
  marathon_.FailNext(3);
  v1::InstanceStatus status = Pass();
  EXPECT_TRUE(absl::StrContains(status.last_error(), "503")) << status.last_error();
  EXPECT_EQ(Changes(marathon_.Requests(), requests_before), 0);
  EXPECT_EQ(marathon_.AppIds(), first);

  // A drop in the middle of the pass: the listing is answered, the create's
  // answer is lost after Marathon made the app. The retry finds it exists;
  // nothing is duplicated and the next passes finish the bounce.
  proxy_->set_fault(Fault::kDropResponse, 0, /*pass_first=*/1);
  status = Pass();
  proxy_->set_fault(Fault::kNone);
  ExpectWithinAllowance();
  EXPECT_LE(marathon_.AppIds().size(), 2u);
  for (int pass = 0; pass < 6; ++pass) {
    status = Pass();
    ExpectWithinAllowance();
  }
  const std::vector<std::string> after = marathon_.AppIds();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], first[0]);
  EXPECT_EQ(marathon_.TaskCount(after[0]), 3);
  EXPECT_EQ(status.last_error(), "");
}

class ChronosFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(chronos_.Start().ok());
    proxy_ = std::make_unique<testing::FaultProxy>(chronos_.url().substr(7));
    ASSERT_TRUE(proxy_->Start().ok());
    config::ChronosEndpoint endpoint;
    endpoint.urls = {proxy_->url()};
    engine_ = std::make_unique<scheduler::ChronosEngine>(endpoint, "/scheduler", QuickRetries());
    root_ = testing::NewTempDir("chronos-faults");
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");
    Write("soa/batch/chronos-local.yaml",
          "extract:\n  schedule: R/2016-01-01T00:00:00Z/PT1H\n  cmd: ./extract\n"
          "load:\n  schedule: R/2016-01-01T00:30:00Z/PT1H\n  cmd: ./load\n");
    Write("soa/batch/deployments.json", nlohmann::json{{"v1",
                                                        {{"batch:paasta-local.extract",
                                                          {{"docker_image", "services-batch:paasta-" + kSha},
                                                           {"desired_state", "start"},
                                                           {"force_bounce", nullptr}}},
                                                         {"batch:paasta-local.load",
                                                          {{"docker_image", "services-batch:paasta-" + kSha},
                                                           {"desired_state", "start"},
                                                           {"force_bounce", nullptr}}}}}}
                                            .dump());
    scheduler::BridgeOptions options;
    options.soa_dir = root_ + "/soa";
    options.system_config_dir = root_ + "/etc";
    options.state_dir = root_ + "/state";
    bridge_ = std::make_unique<scheduler::Bridge>(options, engine_.get(), &clock_);
  }

  void Write(const std::string& relative, const std::string& content) {
    const std::string path = root_ + "/" + relative;
    ASSERT_TRUE(MakeDirs(path.substr(0, path.rfind('/'))).ok());
    ASSERT_TRUE(WriteFileAtomically(path, content).ok());
  }

  std::set<std::string> Jobs() {
    const std::vector<std::string> names = chronos_.JobNames();
    return {names.begin(), names.end()};
  }

  scheduler::testing::FakeChronos chronos_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<scheduler::ChronosEngine> engine_;
  RealClock clock_;
  std::string root_;
  std::unique_ptr<scheduler::Bridge> bridge_;
};

TEST_F(ChronosFaultsTest, AnUnreachableOrBrokenChronosLosesNoJobAndTheNextSyncFinishes) {
  v1::SyncResponse synced = bridge_->Sync("");
  ASSERT_EQ(synced.errors_size(), 0) << synced.DebugString();
  const std::set<std::string> both = {"batch extract", "batch load"};
  ASSERT_EQ(Jobs(), both);

  // "load" leaves the config: a sync with a complete listing would remove it.
  Write("soa/batch/chronos-local.yaml", "extract:\n  schedule: R/2016-01-01T00:00:00Z/PT1H\n  cmd: ./extract\n");
  for (const NamedFault& fault : kProxyFaults) {
    SCOPED_TRACE(fault.name);
    const size_t requests_before = chronos_.Requests().size();
    const int connections_before = proxy_->connections();
    proxy_->set_fault(fault.fault, fault.drop_after);
    const v1::SyncResponse response = bridge_->Sync("");
    proxy_->set_fault(Fault::kNone);
    EXPECT_EQ(proxy_->connections() - connections_before, 3);
    ASSERT_EQ(response.errors_size(), 1) << response.DebugString();
    EXPECT_TRUE(absl::StartsWith(response.errors(0), "nothing was changed: ")) << response.errors(0);
    EXPECT_TRUE(absl::StrContains(response.errors(0), proxy_->url() + "/scheduler/jobs")) << response.errors(0);
    EXPECT_EQ(response.removed_size(), 0);
    EXPECT_EQ(Changes(chronos_.Requests(), requests_before), 0);
    EXPECT_EQ(Jobs(), both);
  }
  const size_t requests_before = chronos_.Requests().size();
  chronos_.FailNext(3);
  v1::SyncResponse response = bridge_->Sync("");
  ASSERT_EQ(response.errors_size(), 1) << response.DebugString();
  EXPECT_TRUE(absl::StrContains(response.errors(0), "503")) << response.errors(0);
  EXPECT_EQ(Changes(chronos_.Requests(), requests_before), 0);
  EXPECT_EQ(Jobs(), both);

  // The fault gone, the next sync removes the job the config no longer has.
  response = bridge_->Sync("");
  EXPECT_EQ(response.errors_size(), 0) << response.DebugString();
  EXPECT_EQ(Jobs(), std::set<std::string>{"batch extract"});
}

}  // namespace
}  // namespace paasta
