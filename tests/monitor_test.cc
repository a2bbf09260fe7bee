// The monitor with a real Prometheus (Debian's `prometheus`, started here on
// 127.0.0.1 with a temporary config and data folder) scraping it and
// evaluating the shipped alert rules, the real agent and real processes: an
// instance whose tasks are killed and do not come back becomes under-replicated,
// the alert fires in Prometheus (with the team and runbook of monitoring.yaml),
// and resolves once the tasks are back.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/agent_helpers.h"
#include "common/testing/child_process.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"
#include "protos/monitor.grpc.pb.h"

namespace paasta {
namespace {

constexpr char kSha[] = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";
constexpr char kAppId[] = "svc.main.git3f596a50.config01234567";

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("monitor");
    rules_ = testing::AbsolutePath("monitor/prometheus/paasta-rules.yml");
    ASSERT_FALSE(rules_.empty());
    ASSERT_TRUE(MakeDirs(dir_ + "/soa/svc").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/etc").ok());
    Write("soa/svc/marathon-local.yaml", "main:\n  instances: 2\n  cpus: 0.1\n  mem: 64\n  cmd: sleep 600\n");
    Write("soa/svc/monitoring.yaml", "team: web\nrunbook: http://runbooks/svc\nalert_after: 2s\n");
    Write("soa/svc/deployments.json",
          absl::StrCat(R"({"v1": {"svc:paasta-local.main": {"desired_state": "start", "docker_image": )",
                       R"("services-svc:paasta-)", kSha, R"(", "force_bounce": null}}})"));
    Write("etc/cluster.json", R"({"cluster": "local", "volumes": []})");

    absl::StatusOr<testing::Daemon> agent =
        testing::StartDaemon("agent/paasta-agent",
                             {"--state_dir=" + dir_ + "/agent", "--tick=50ms",
                              "--cgroup_name=paasta-monitor-test-" + std::to_string(::getpid())},
                             dir_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(*agent);
    agent_stub_ = v1::Agent::NewStub(grpc::CreateChannel(agent_.grpc_address, grpc::InsecureChannelCredentials()));
    absl::StatusOr<testing::Daemon> monitor = testing::StartDaemon(
        "monitor/paasta-monitor",
        {"--soa_dir=" + dir_ + "/soa", "--system_config_dir=" + dir_ + "/etc", "--agent=" + agent_.grpc_address,
         "--deployer=127.0.0.1:1", "--scheduler_bridge=127.0.0.1:1", "--smartstack=", "--interval=300ms",
         "--min_task_uptime=1s"},
        dir_);
    ASSERT_TRUE(monitor.ok()) << monitor.status();
    monitor_ = std::move(*monitor);
    monitor_stub_ =
        v1::Monitor::NewStub(grpc::CreateChannel(monitor_.grpc_address, grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (prometheus_ != nullptr && prometheus_->Signal(SIGTERM)) prometheus_->Wait(absl::Seconds(10)).IgnoreError();
    monitor_.process.reset();
    testing::StopAgentCleanly(agent_stub_.get(), agent_);
  }

  void Write(const std::string& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomically(absl::StrCat(dir_, "/", path), text).ok());
  }

  void PutApp(int instances) {
    grpc::ClientContext context;
    v1::PutAppRequest request;
    request.mutable_app()->set_id(kAppId);
    request.mutable_app()->set_instances(instances);
    request.mutable_app()->set_cmd("exec sleep 600");
    request.mutable_app()->set_cpus(0.1);
    request.mutable_app()->set_mem(64);
    v1::PutAppResponse response;
    const grpc::Status status = agent_stub_->PutApp(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::vector<v1::Task> Tasks() { return testing::AgentTasks(*agent_stub_); }

  // Starts Prometheus scraping the monitor every second with the shipped rules.
  void StartPrometheus() {
    const int port = testing::ReserveLoopbackPort();
    prometheus_url_ = absl::StrCat("http://127.0.0.1:", port);
    Write("prometheus.yml",
          absl::StrCat("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n", "rule_files:\n  - ", rules_, "\n",
                       "scrape_configs:\n  - job_name: paasta\n    honor_labels: true\n    static_configs:\n",
                       "      - targets: ['", monitor_.metrics_address, "']\n"));
    auto child = testing::ChildProcess::Start(
        {"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml", "--storage.tsdb.path=" + dir_ + "/tsdb",
         absl::StrCat("--web.listen-address=127.0.0.1:", port), "--log.level=warn"},
        dir_ + "/prometheus.log");
    ASSERT_TRUE(child.ok()) << child.status();
    prometheus_ = std::move(*child);
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          HttpRequest ready;
          ready.url = prometheus_url_ + "/-/ready";
          const absl::StatusOr<HttpResponse> response = HttpFetch(ready);
          return response.ok() && response->status_code == 200;
        },
        absl::Seconds(60)))
        << prometheus_->Output();
  }

  nlohmann::json PrometheusGet(const std::string& path) {
    HttpRequest request;
    request.url = prometheus_url_ + path;
    const absl::StatusOr<HttpResponse> response = HttpFetch(request);
    if (!response.ok() || response->status_code != 200) return nullptr;
    return nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  }

  // The state of alert `name` for svc.main in Prometheus ("firing",
  // "pending"), or "" when Prometheus lists no such alert.
  std::string PrometheusAlert(const std::string& name, nlohmann::json* found = nullptr) {
    const nlohmann::json alerts = PrometheusGet("/api/v1/alerts");
    if (!alerts.is_object() || !alerts.contains("data")) return "";
    for (const nlohmann::json& alert : alerts["data"]["alerts"]) {
      if (alert["labels"].value("alertname", "") == name && alert["labels"].value("service", "") == "svc" &&
          alert["labels"].value("instance", "") == "main") {
        if (found != nullptr) *found = alert;
        return alert.value("state", "");
      }
    }
    return "";
  }

  v1::Alert MonitorAlert() {
    grpc::ClientContext context;
    v1::ListAlertsRequest request;
    request.set_include_ok(true);
    v1::ListAlertsResponse response;
    EXPECT_TRUE(monitor_stub_->ListAlerts(&context, request, &response).ok());
    for (const v1::Alert& alert : response.alerts()) {
      if (alert.check() == "check_marathon_services_replication") return alert;
    }
    return v1::Alert();
  }

  std::string dir_, rules_, prometheus_url_;
  testing::Daemon agent_, monitor_;
  std::unique_ptr<testing::ChildProcess> prometheus_;
  std::unique_ptr<v1::Agent::Stub> agent_stub_;
  std::unique_ptr<v1::Monitor::Stub> monitor_stub_;
};

TEST_F(MonitorTest, ShippedRulesPassPromtool) {
  auto promtool = testing::ChildProcess::Start({"/usr/bin/promtool", "check", "rules", rules_}, dir_ + "/promtool.log");
  ASSERT_TRUE(promtool.ok()) << promtool.status();
  const absl::StatusOr<int> status = (*promtool)->Wait(absl::Seconds(60));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*promtool)->Output();
  EXPECT_TRUE(absl::StrContains((*promtool)->Output(), "SUCCESS: 3 rules found")) << (*promtool)->Output();
}

TEST_F(MonitorTest, UnderReplicationFiresInPrometheusAndResolvesWhenTasksReturn) {
  PutApp(2);
  StartPrometheus();
  // Prometheus scrapes the monitor: both tasks count once up a second.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const nlohmann::json result =
            PrometheusGet("/api/v1/query?query=paasta_instance_available_instances%7Bservice%3D%22svc%22%7D");
        return result.is_object() && !result["data"]["result"].empty() &&
               result["data"]["result"][0]["value"][1] == "2";
      },
      absl::Seconds(60)))
      << prometheus_->Output();
  EXPECT_EQ(MonitorAlert().state(), v1::ALERT_STATE_OK);

  // Kill both tasks and scale the app down so they do not come back.
  {
    grpc::ClientContext context;
    v1::KillTasksRequest request;
    for (const v1::Task& task : Tasks()) request.add_task_ids(task.id());
    ASSERT_EQ(request.task_ids_size(), 2);
    request.set_scale(true);
    v1::KillTasksResponse response;
    ASSERT_TRUE(agent_stub_->KillTasks(&context, request, &response).ok());
  }
  nlohmann::json alert;
  ASSERT_TRUE(testing::WaitUntil([&] { return PrometheusAlert("PaastaUnderReplicated", &alert) == "firing"; },
                                 absl::Seconds(60)))
      << "monitor: " << MonitorAlert().DebugString() << "tasks: " << Tasks().size()
      << "\nprometheus alerts: " << PrometheusGet("/api/v1/alerts").dump() << "\n"
      << prometheus_->Output() << "\n"
      << monitor_.process->Output();
  EXPECT_EQ(alert["labels"]["team"], "web");
  EXPECT_EQ(alert["labels"]["runbook"], "http://runbooks/svc");
  EXPECT_EQ(alert["labels"]["cluster"], "local");
  EXPECT_TRUE(absl::StrContains(alert["annotations"].value("description", ""), "has 0 out of 2 expected instances"))
      << alert.dump();
  const v1::Alert firing = MonitorAlert();
  EXPECT_EQ(firing.state(), v1::ALERT_STATE_FIRING);
  EXPECT_EQ(firing.message(), "Service svc.main has 0 out of 2 expected instances available! (threshold: 50%)");

  // The tasks return: the alert resolves.
  PutApp(2);
  ASSERT_TRUE(testing::WaitUntil([&] { return PrometheusAlert("PaastaUnderReplicated").empty(); }, absl::Seconds(60)))
      << prometheus_->Output();
  EXPECT_EQ(MonitorAlert().state(), v1::ALERT_STATE_OK);
}

}  // namespace
}  // namespace paasta
