// The real paasta-drainer through its gRPC surface, draining against a
// hacheck-compatible spool served over HTTP on 127.0.0.1 (the project's own
// spool, tested against hacheck's documented API in drainer/hacheck_spool_test).
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/testing/child_process.h"
#include "drainer/hacheck_spool.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/drainer.grpc.pb.h"

namespace paasta {
namespace {

class DrainerDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hacheck_.Start("127.0.0.1:0").ok());
    dir_ = testing::NewTempDir("drainer");
    auto child = testing::ChildProcess::Start(
        {"drainer/paasta-drainer", "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         "--ports_file=" + dir_ + "/ports.json", "--http_timeout=1s", "--hacheck_listen="},
        dir_ + "/drainer.log");
    ASSERT_TRUE(child.ok());
    drainer_ = std::move(*child);
    const auto ports = testing::WaitForFile(dir_ + "/ports.json", absl::Seconds(30));
    ASSERT_TRUE(ports.ok()) << drainer_->Output();
    metrics_ = nlohmann::json::parse(*ports).at("metrics");
    stub_ = v1::Drainer::NewStub(
        grpc::CreateChannel(nlohmann::json::parse(*ports).at("grpc"), grpc::InsecureChannelCredentials()));
  }

  v1::DrainRequest Request(const std::string& method, int hacheck_port, double delay) {
    v1::DrainRequest request;
    request.mutable_task()->set_service("svc");
    request.mutable_task()->set_instance("canary");
    request.mutable_task()->set_namespace_("main");
    request.mutable_task()->set_task_id("svc.canary.git1.config2.abc");
    request.mutable_task()->set_host("127.0.0.1");
    request.mutable_task()->set_port(31000);
    request.mutable_method()->set_name(method);
    auto& fields = *request.mutable_method()->mutable_params()->mutable_fields();
    fields["hacheck_port"].set_number_value(hacheck_port);
    fields["delay"].set_number_value(delay);
    return request;
  }

  RealClock clock_;
  drainer::HacheckSpool spool_{&clock_};
  HttpServer hacheck_{[this](const HttpServerRequest& request) { return spool_.Handle(request); }};
  std::string dir_, metrics_;
  std::unique_ptr<testing::ChildProcess> drainer_;
  std::unique_ptr<v1::Drainer::Stub> stub_;
};

TEST_F(DrainerDaemonTest, DrainsThroughHacheckEndToEnd) {
  // delay 0: safe to kill as soon as the spool says it went down before now.
  const v1::DrainRequest request = Request("hacheck", hacheck_.port(), 0);
  {
    grpc::ClientContext context;
    v1::IsDrainingResponse response;
    ASSERT_TRUE(stub_->IsDraining(&context, request, &response).ok());
    EXPECT_FALSE(response.draining());
  }
  {
    grpc::ClientContext context;
    v1::DrainResponse response;
    const grpc::Status status = stub_->Drain(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // The spool entry is the namespace's: svc.main on the task's port.
  ASSERT_TRUE(spool_.DownMessage("svc.main", 31000).has_value());
  EXPECT_TRUE(absl::StrContains(*spool_.DownMessage("svc.main", 31000), ": Drained by Paasta"));
  absl::SleepFor(absl::Milliseconds(20));
  {
    grpc::ClientContext context;
    v1::IsSafeToKillResponse response;
    ASSERT_TRUE(stub_->IsSafeToKill(&context, request, &response).ok());
    EXPECT_TRUE(response.safe_to_kill());
  }
  {
    grpc::ClientContext context;
    v1::DrainResponse response;
    ASSERT_TRUE(stub_->StopDraining(&context, request, &response).ok());
  }
  EXPECT_FALSE(spool_.DownMessage("svc.main", 31000).has_value());

  HttpRequest scrape;
  scrape.url = absl::StrCat("http://", metrics_, "/metrics");
  const auto metrics = HttpFetch(scrape);
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(
      absl::StrContains(metrics->body, R"(paasta_drainer_calls_total{call="drain",method="hacheck",outcome="ok"} 1)"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(
      metrics->body, R"(paasta_drainer_calls_total{call="is_safe_to_kill",method="hacheck",outcome="true"} 1)"))
      << metrics->body;
}

TEST_F(DrainerDaemonTest, ErrorsComeBackAsStatusesWithTheirCause) {
  // An unknown method.
  grpc::ClientContext unknown_context;
  v1::DrainResponse response;
  grpc::Status status = stub_->Drain(&unknown_context, Request("gently", hacheck_.port(), 0), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "drain_method not recognized: gently. Must be one of (hacheck, http, noop, test)");
  // A hacheck that is down: UNAVAILABLE naming the URL (the deployer then kills
  // the task at once, as the original did).
  const int port = hacheck_.port();
  hacheck_.Stop();
  grpc::ClientContext down_context;
  status = stub_->Drain(&down_context, Request("hacheck", port, 60), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(
      absl::StrContains(status.error_message(), absl::StrCat("127.0.0.1:", port, "/spool/svc.main/31000/status")))
      << status.error_message();
  // noop needs no host: always safe.
  v1::DrainRequest noop;
  noop.mutable_task()->set_service("svc");
  noop.mutable_task()->set_task_id("t");
  noop.mutable_method()->set_name("noop");
  grpc::ClientContext noop_context;
  v1::IsSafeToKillResponse safe;
  ASSERT_TRUE(stub_->IsSafeToKill(&noop_context, noop, &safe).ok());
  EXPECT_TRUE(safe.safe_to_kill());
}

// The drainer's own hacheck endpoint (the one-machine cluster's): the hacheck
// drain method marks a task down in it, a health check through it answers 503
// from then on, and the entry survives kill -9 of the drainer.
TEST(DrainerHacheckTest, ServesHacheckAndKeepsDrainedTasksDownAcrossRestarts) {
  const std::string dir = testing::NewTempDir("drainer-hacheck");
  const int hacheck_port = testing::ReserveLoopbackPort();
  HttpServer task([](const HttpServerRequest&) {
    HttpServerResponse ok;
    ok.body = "ok";
    return ok;
  });
  ASSERT_TRUE(task.Start("127.0.0.1:0").ok());
  const std::vector<std::string> flags = {absl::StrCat("--hacheck_listen=127.0.0.1:", hacheck_port),
                                          "--spool_root=" + dir + "/spool"};
  absl::StatusOr<testing::Daemon> drainer = testing::StartDaemon("drainer/paasta-drainer", flags, dir);
  ASSERT_TRUE(drainer.ok()) << drainer.status();
  auto check = [&] {
    HttpRequest request;
    request.url = absl::StrCat("http://127.0.0.1:", hacheck_port, "/http/svc.main/", task.port(), "/status");
    absl::StatusOr<HttpResponse> response = HttpFetch(request);
    return response.ok() ? *response : HttpResponse();
  };
  ASSERT_TRUE(testing::WaitUntil([&] { return check().status_code == 200; }, absl::Seconds(10)));
  EXPECT_EQ(check().body, "ok");

  auto stub = v1::Drainer::NewStub(grpc::CreateChannel(drainer->grpc_address, grpc::InsecureChannelCredentials()));
  v1::DrainRequest request;
  request.mutable_task()->set_service("svc");
  request.mutable_task()->set_instance("main");
  request.mutable_task()->set_namespace_("main");
  request.mutable_task()->set_task_id("svc.main.git1.config2.abc");
  request.mutable_task()->set_host("127.0.0.1");
  request.mutable_task()->set_port(task.port());
  request.mutable_method()->set_name("hacheck");
  (*request.mutable_method()->mutable_params()->mutable_fields())["hacheck_port"].set_number_value(hacheck_port);
  grpc::ClientContext context;
  v1::DrainResponse drained;
  const grpc::Status status = stub->Drain(&context, request, &drained);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(check().status_code, 503);
  EXPECT_TRUE(absl::StartsWith(check().body, "Service svc.main in down state since ")) << check().body;

  ASSERT_TRUE(drainer->process->Signal(SIGKILL));
  ASSERT_TRUE(drainer->process->Wait(absl::Seconds(10)).ok());
  drainer = testing::StartDaemon("drainer/paasta-drainer", flags, dir);
  ASSERT_TRUE(drainer.ok()) << drainer.status();
  ASSERT_TRUE(testing::WaitUntil([&] { return check().status_code != 0; }, absl::Seconds(10)));
  EXPECT_EQ(check().status_code, 503) << "still drained after the restart";
  EXPECT_TRUE(absl::EndsWith(check().body, ": Drained by Paasta")) << check().body;
}

}  // namespace
}  // namespace paasta
