// The real paasta-agent: apps of a real test service over gRPC, the event
// stream, kill -9 of the agent and a restart that finds the same tasks (none
// duplicated), and DeleteApp leaving no process behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"

namespace paasta {
namespace {

using google::protobuf::util::TimeUtil;

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("agent");
    StartAgent();
  }

  void TearDown() override {
    // Leave nothing running: delete every app and wait for its tasks to end.
    if (stub_ != nullptr) {
      for (const v1::App& app : Apps()) {
        grpc::ClientContext context;
        v1::DeleteAppRequest request;
        request.set_app_id(app.definition().id());
        v1::DeleteAppResponse response;
        stub_->DeleteApp(&context, request, &response);
      }
      testing::WaitUntil([&] { return Tasks().empty(); }, absl::Seconds(15));
    }
    // A clean stop: the agent removes its (now empty) cgroup folders.
    if (agent_ != nullptr && agent_->Signal(SIGTERM)) agent_->Wait(absl::Seconds(10)).IgnoreError();
    agent_.reset();
  }

  void StartAgent() {
    ::unlink((dir_ + "/ports.json").c_str());
    auto child = testing::ChildProcess::Start(
        {"agent/paasta-agent", "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         "--ports_file=" + dir_ + "/ports.json", "--state_dir=" + dir_ + "/state",
         "--tick=50ms", "--kill_grace=2s", "--cgroup_name=" + cgroup_},
        dir_ + "/agent.log");
    ASSERT_TRUE(child.ok());
    agent_ = std::move(*child);
    const auto ports = testing::WaitForFile(dir_ + "/ports.json", absl::Seconds(30));
    ASSERT_TRUE(ports.ok()) << agent_->Output();
    metrics_ = nlohmann::json::parse(*ports).at("metrics");
    stub_ = v1::Agent::NewStub(grpc::CreateChannel(nlohmann::json::parse(*ports).at("grpc"),
                                                   grpc::InsecureChannelCredentials()));
  }

  std::vector<v1::App> Apps() {
    grpc::ClientContext context;
    v1::ListAppsRequest request;
    request.set_embed_tasks(true);
    v1::ListAppsResponse response;
    if (!stub_->ListApps(&context, request, &response).ok()) return {};
    return {response.apps().begin(), response.apps().end()};
  }

  std::vector<v1::Task> Tasks() {
    grpc::ClientContext context;
    v1::ListTasksResponse response;
    if (!stub_->ListTasks(&context, v1::ListTasksRequest(), &response).ok()) return {};
    return {response.tasks().begin(), response.tasks().end()};
  }

  int Healthy(const std::string& app_id) {
    for (const v1::App& app : Apps()) {
      if (app.definition().id() == app_id) return app.tasks_healthy();
    }
    return -1;
  }

  v1::AppDefinition ServerApp(const std::string& id, int instances) {
    v1::AppDefinition app;
    app.set_id(id);
    app.set_instances(instances);
    app.set_cmd("exec " + testing::AbsolutePath("agent/testing/test_server"));
    app.set_mem(128);
    app.set_cpus(0.1);
    v1::HealthCheck* check = app.add_health_checks();
    check->set_protocol(v1::HEALTH_CHECK_PROTOCOL_HTTP);
    check->set_path("/status");
    *check->mutable_grace_period() = TimeUtil::SecondsToDuration(5);
    *check->mutable_interval() = TimeUtil::MillisecondsToDuration(100);
    *check->mutable_timeout() = TimeUtil::MillisecondsToDuration(500);
    check->set_max_consecutive_failures(3);
    return app;
  }

  std::string dir_, metrics_;
  std::string cgroup_ = absl::StrCat("paasta-agent-test-", ::getpid());
  std::unique_ptr<testing::ChildProcess> agent_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

TEST_F(AgentTest, RunsAppsStreamsEventsAndSurvivesKillDashNine) {
  // Watch events from the start.
  grpc::ClientContext watch_context;
  v1::WatchEventsRequest watch;
  watch.set_send_snapshot(true);
  auto stream = stub_->WatchEvents(&watch_context, watch);
  absl::Mutex mu;
  std::vector<v1::TaskEvent> events;
  std::thread reader([&] {
    v1::TaskEvent event;
    while (stream->Read(&event)) {
      absl::MutexLock lock(&mu);
      events.push_back(event);
    }
  });

  grpc::ClientContext put_context;
  v1::PutAppRequest put;
  *put.mutable_app() = ServerApp("web.main.git1.config1", 2);
  v1::PutAppResponse created;
  ASSERT_TRUE(stub_->PutApp(&put_context, put, &created).ok());
  EXPECT_TRUE(created.created());
  ASSERT_TRUE(testing::WaitUntil([&] { return Healthy("web.main.git1.config1") == 2; })) << agent_->Output();

  std::set<std::string> before;
  for (const v1::Task& task : Tasks()) {
    before.insert(task.id());
    HttpRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", task.ports(0), "/");
    const auto response = HttpFetch(request);
    ASSERT_TRUE(response.ok());
    EXPECT_EQ(response->body, absl::StrCat("version= task=", task.id()));
  }
  ASSERT_EQ(before.size(), 2u);
  {
    absl::MutexLock lock(&mu);
    int running = 0, healthy = 0;
    for (const v1::TaskEvent& event : events) {
      running += event.type() == v1::TASK_EVENT_TYPE_STATE_CHANGED &&
                 event.task().state() == v1::TASK_STATE_RUNNING;
      healthy += event.type() == v1::TASK_EVENT_TYPE_HEALTH_CHANGED &&
                 event.task().health() == v1::HEALTH_STATE_HEALTHY;
    }
    EXPECT_EQ(running, 2);
    EXPECT_EQ(healthy, 2);
  }
  watch_context.TryCancel();
  reader.join();

  // kill -9 of the agent: its tasks keep running; the next agent finds them.
  ASSERT_TRUE(agent_->Signal(SIGKILL));
  ASSERT_TRUE(agent_->Wait(absl::Seconds(5)).ok());
  StartAgent();
  ASSERT_TRUE(testing::WaitUntil([&] { return Healthy("web.main.git1.config1") == 2; })) << agent_->Output();
  std::set<std::string> after;
  for (const v1::Task& task : Tasks()) after.insert(task.id());
  EXPECT_EQ(after, before) << "the same tasks, found again";
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Tasks().size(), 2u) << "none duplicated";
  EXPECT_TRUE(absl::StrContains(agent_->Output(), "2 tasks found again")) << agent_->Output();

  // DeleteApp leaves no process behind: every task wrote its exit status.
  std::vector<std::string> sandboxes;
  for (const v1::Task& task : Tasks()) sandboxes.push_back(task.sandbox_dir());
  grpc::ClientContext delete_context;
  v1::DeleteAppRequest request;
  request.set_app_id("web.main.git1.config1");
  v1::DeleteAppResponse deleted;
  ASSERT_TRUE(stub_->DeleteApp(&delete_context, request, &deleted).ok());
  EXPECT_EQ(deleted.killed_tasks(), 2);
  ASSERT_TRUE(testing::WaitUntil([&] { return Tasks().empty(); }));
  for (const std::string& sandbox : sandboxes) {
    EXPECT_TRUE(ReadFile(sandbox + "/exit_status").ok()) << sandbox;
  }

  HttpRequest scrape;
  scrape.url = absl::StrCat("http://", metrics_, "/metrics");
  ASSERT_TRUE(testing::WaitUntil([&] {
    const auto metrics = HttpFetch(scrape);
    return metrics.ok() && absl::StrContains(metrics->body, "paasta_agent_health_checks_total{result=\"passed\"}");
  }));
}

TEST_F(AgentTest, ErrorsAreClear) {
  grpc::ClientContext context;
  v1::DeleteAppRequest request;
  request.set_app_id("nope");
  v1::DeleteAppResponse response;
  const grpc::Status status = stub_->DeleteApp(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "App '/nope' does not exist");
}

}  // namespace
}  // namespace paasta
