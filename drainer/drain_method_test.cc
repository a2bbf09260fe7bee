// Each drain method on an injected clock. hacheck runs against the project's
// hacheck-compatible spool (tested against hacheck's documented API in
// hacheck_spool_test) over real HTTP on 127.0.0.1; http against an in-test
// server that records what it is asked.
#include "drainer/drain_method.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/config/config_value.h"
#include "common/http_server.h"
#include "drainer/hacheck_drain.h"
#include "drainer/hacheck_spool.h"
#include "drainer/http_drain.h"
#include "gtest/gtest.h"

namespace paasta::drainer {
namespace {

config::ConfigValue Params(const std::string& json) { return *config::ParseJson(json, "params"); }

DrainTask Task(int port) {
  DrainTask task;
  task.service = "svc";
  task.instance = "main";
  task.nerve_ns = "main";
  task.task_id = "svc.main.gitabc.config123.uuid";
  task.host = "127.0.0.1";
  task.port = port;
  return task;
}

class DrainMethodTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1795846142)};
  TestDrainState test_state_;
  DrainContext context_{&clock_, &test_state_, absl::Seconds(5)};
};

TEST_F(DrainMethodTest, NoopNeverDrainsAndIsAlwaysSafe) {
  auto method = CreateDrainMethod("noop", config::ConfigValue::Null(), context_);
  ASSERT_TRUE(method.ok());
  EXPECT_TRUE((*method)->Drain(Task(1)).ok());
  EXPECT_FALSE(*(*method)->IsDraining(Task(1)));
  EXPECT_TRUE(*(*method)->IsSafeToKill(Task(1)));
}

TEST_F(DrainMethodTest, TestRemembersDrainedTasksAcrossMethodObjects) {
  auto first = CreateDrainMethod("test", config::ConfigValue::Null(), context_);
  ASSERT_TRUE((*first)->Drain(Task(1)).ok());
  auto second = CreateDrainMethod("test", config::ConfigValue::Null(), context_);
  EXPECT_TRUE(*(*second)->IsDraining(Task(1)));
  EXPECT_TRUE(*(*second)->IsSafeToKill(Task(1)));
  DrainTask other = Task(1);
  other.task_id = "another";
  EXPECT_FALSE(*(*second)->IsSafeToKill(other));
  ASSERT_TRUE((*second)->StopDraining(Task(1)).ok());
  EXPECT_FALSE(*(*first)->IsDraining(Task(1)));
}

TEST_F(DrainMethodTest, UnknownMethodsAndBadParamsAreNamed) {
  auto method = CreateDrainMethod("gently", config::ConfigValue::Null(), context_);
  EXPECT_EQ(method.status().message(),
            "drain_method not recognized: gently. Must be one of (hacheck, http, noop, test)");
  method = CreateDrainMethod("hacheck", Params(R"({"delay": "soon"})"), context_);
  EXPECT_EQ(method.status().message(),
            "drain_method_params.delay: must be a number of seconds >= 0, found \"soon\"");
  method = CreateDrainMethod("hacheck", Params(R"({"hacheck_port": 70000})"), context_);
  EXPECT_EQ(method.status().code(), absl::StatusCode::kInvalidArgument);
  method = CreateDrainMethod("http", Params(R"({"drain": {"url_format": "x"}})"), context_);
  EXPECT_EQ(method.status().message(),
            "drain_method_params.stop_draining: required by drain_method http: {url_format, "
            "method, success_codes}");
}

TEST(ParseHacheckAnswerTest, ParsesTheDownMessageExactly) {
  // Each row: an answer and what it means.
  auto up = ParseHacheckAnswer(200, "");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->state, "up");
  auto down = ParseHacheckAnswer(
      503, "Service svc.main in down state since 1795846142.550000 until 1795846146.000000: "
           "Drained by Paasta");
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->state, "down");
  EXPECT_DOUBLE_EQ(down->since, 1795846142.55);
  EXPECT_DOUBLE_EQ(down->until, 1795846146.0);
  EXPECT_EQ(down->reason, "Drained by Paasta");
  auto bare = ParseHacheckAnswer(503, "Service svc.main in down state");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->since, 0);  // missing since/until read as 0
  EXPECT_EQ(bare->until, 0);
  auto trailing = ParseHacheckAnswer(503, "Service all in down state since 5.0\n");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->since, 5.0);
  auto garbage = ParseHacheckAnswer(500, "Internal Server Error");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(garbage.status().message(),
            "unexpected hacheck answer (HTTP 500): \"Internal Server Error\"");
}

class HacheckDrainTest : public DrainMethodTest {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start("127.0.0.1:0").ok()); }
  config::ConfigValue HacheckParams(const std::string& extra = "") {
    return Params(absl::StrCat(R"({"delay": 60, "hacheck_port": )", server_.port(), extra, "}"));
  }
  HacheckSpool spool_{&clock_};
  HttpServer server_{[this](const HttpServerRequest& request) { return spool_.Handle(request); }};
};

TEST_F(HacheckDrainTest, DrainIsSafeToKillOnlyAfterTheDelay) {
  auto method = CreateDrainMethod("hacheck", HacheckParams(), context_);
  ASSERT_TRUE(method.ok()) << method.status();
  const DrainTask task = Task(31000);
  EXPECT_FALSE(*(*method)->IsDraining(task));
  ASSERT_TRUE((*method)->Drain(task).ok());
  EXPECT_TRUE(*(*method)->IsDraining(task));
  // The spool has it down until now + 10 x delay (600 s), with the reason.
  EXPECT_EQ(*spool_.DownMessage("svc.main", 31000),
            "Service svc.main in down state since 1795846142.000000 until 1795846742.000000: "
            "Drained by Paasta");
  EXPECT_FALSE(*(*method)->IsSafeToKill(task));
  clock_.Advance(absl::Seconds(60));
  EXPECT_FALSE(*(*method)->IsSafeToKill(task)) << "since < now - delay is strict";
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(*(*method)->IsSafeToKill(task));
  ASSERT_TRUE((*method)->StopDraining(task).ok());
  EXPECT_FALSE(*(*method)->IsDraining(task));
  EXPECT_FALSE(*(*method)->IsSafeToKill(task));
}

TEST_F(HacheckDrainTest, ExplicitExpirationAndExpiry) {
  auto method = CreateDrainMethod("hacheck", HacheckParams(R"(, "expiration": 30)"), context_);
  ASSERT_TRUE(method.ok());
  ASSERT_TRUE((*method)->Drain(Task(31000)).ok());
  EXPECT_TRUE(absl::StrContains(*spool_.DownMessage("svc.main", 31000), "until 1795846172.000000"));
  clock_.Advance(absl::Seconds(31));  // hacheck drops the down state after it
  EXPECT_FALSE(*(*method)->IsDraining(Task(31000)));
}

TEST_F(HacheckDrainTest, ZeroDelayStillLeavesTheTaskDownLongEnoughToBeSeen) {
  auto method = CreateDrainMethod(
      "hacheck", Params(absl::StrCat(R"({"delay": 0, "hacheck_port": )", server_.port(), "}")),
      context_);
  ASSERT_TRUE((*method)->Drain(Task(31000)).ok());
  EXPECT_TRUE(absl::StrContains(*spool_.DownMessage("svc.main", 31000), "until 1795846202.000000"));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(*(*method)->IsSafeToKill(Task(31000)));
}

TEST_F(HacheckDrainTest, TheNamespaceNamesTheSpoolEntry) {
  auto method = CreateDrainMethod("hacheck", HacheckParams(), context_);
  DrainTask canary = Task(31005);
  canary.instance = "canary";
  canary.nerve_ns = "main";  // registers in svc.main
  ASSERT_TRUE((*method)->Drain(canary).ok());
  EXPECT_TRUE(spool_.DownMessage("svc.main", 31005).has_value());
  EXPECT_FALSE(spool_.DownMessage("svc.canary", 31005).has_value());
  EXPECT_EQ(static_cast<HacheckDrainMethod*>(method->get())->SpoolUrl(canary),
            absl::StrCat("http://127.0.0.1:", server_.port(), "/spool/svc.main/31005/status"));
}

TEST_F(DrainMethodTest, HacheckDownOrSlowIsATimelyError) {
  // Nothing listens: a quick UNAVAILABLE naming the URL.
  HttpServer closed([](const HttpServerRequest&) { return HttpServerResponse{}; });
  ASSERT_TRUE(closed.Start("127.0.0.1:0").ok());
  const int port = closed.port();
  closed.Stop();
  auto method = CreateDrainMethod(
      "hacheck", Params(absl::StrCat(R"({"hacheck_port": )", port, "}")), context_);
  const absl::Status down = (*method)->Drain(Task(31000));
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(down.message(), absl::StrCat("127.0.0.1:", port, "/spool/svc.main/31000/status")))
      << down;

  // A hacheck that never answers: the call ends at the timeout.
  absl::Notification release;
  HttpServer slow([&](const HttpServerRequest&) {
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
    return HttpServerResponse{};
  });
  ASSERT_TRUE(slow.Start("127.0.0.1:0").ok());
  DrainContext quick = context_;
  quick.http_timeout = absl::Milliseconds(200);
  method = CreateDrainMethod("hacheck", Params(absl::StrCat(R"({"hacheck_port": )", slow.port(), "}")),
                             quick);
  const absl::StatusOr<bool> safe = (*method)->IsSafeToKill(Task(31000));
  release.Notify();
  EXPECT_EQ(safe.status().code(), absl::StatusCode::kDeadlineExceeded) << safe.status();
}

TEST(ParseSuccessCodesTest, CodesAndRanges) {
  auto codes = ParseSuccessCodes(config::ConfigValue::String("200-299, 302,305-306"));
  ASSERT_TRUE(codes.ok());
  EXPECT_EQ(*codes, (std::vector<std::pair<int, int>>{{200, 299}, {302, 302}, {305, 306}}));
  EXPECT_EQ(*ParseSuccessCodes(config::ConfigValue::Int(204)),
            (std::vector<std::pair<int, int>>{{204, 204}}));
  EXPECT_FALSE(ParseSuccessCodes(config::ConfigValue::String("299-200")).ok());
  EXPECT_FALSE(ParseSuccessCodes(config::ConfigValue::String("ok")).ok());
}

TEST_F(DrainMethodTest, HttpMethodFollowsItsTemplatesAndCodes) {
  absl::Mutex mu;
  std::vector<std::string> seen;
  bool drained = false;
  HttpServer server([&](const HttpServerRequest& request) {
    absl::MutexLock lock(&mu);
    seen.push_back(request.method + " " + request.path);
    HttpServerResponse response;
    if (request.path == "/drain") drained = true;
    if (request.path == "/undrain") drained = false;
    if (request.path == "/status/svc/main/main") response.status_code = drained ? 200 : 404;
    if (request.path == "/quiet") response.status_code = drained ? 302 : 409;
    if (request.path == "/broken") response.status_code = 500;
    return response;
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const std::string base = "http://{host}:{port}";
  auto params = Params(absl::StrCat(
      R"({"drain": {"url_format": ")", base, R"(/drain", "method": "POST"},)",
      R"("stop_draining": {"url_format": ")", base, R"(/undrain", "method": "POST"},)",
      R"("is_draining": {"url_format": ")", base, R"(/status/{service}/{instance}/{nerve_ns}", "success_codes": "200"},)",
      R"("is_safe_to_kill": {"url_format": ")", base, R"(/quiet", "success_codes": "200-299,302"}})"));
  auto method = CreateDrainMethod("http", params, context_);
  ASSERT_TRUE(method.ok()) << method.status();
  const DrainTask task = Task(server.port());
  EXPECT_FALSE(*(*method)->IsDraining(task));
  EXPECT_FALSE(*(*method)->IsSafeToKill(task));
  ASSERT_TRUE((*method)->Drain(task).ok());
  EXPECT_TRUE(*(*method)->IsDraining(task));
  EXPECT_TRUE(*(*method)->IsSafeToKill(task));  // 302 is a success code here
  ASSERT_TRUE((*method)->StopDraining(task).ok());
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(seen, (std::vector<std::string>{"GET /status/svc/main/main", "GET /quiet",
                                              "POST /drain", "GET /status/svc/main/main",
                                              "GET /quiet", "POST /undrain"}));
  }
  // A drain step answered with a failure code is an error naming the request.
  auto broken = CreateDrainMethod(
      "http",
      Params(absl::StrCat(R"({"drain": {"url_format": ")", base, R"(/broken"},)",
                          R"("stop_draining": {"url_format": "x"}, "is_draining": {"url_format": "x"},)",
                          R"("is_safe_to_kill": {"url_format": "x"}})")),
      context_);
  ASSERT_TRUE(broken.ok());
  const absl::Status status = (*broken)->Drain(task);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), absl::StrCat("GET http://127.0.0.1:", server.port(),
                                           "/broken answered 500, not a success code"));
}

}  // namespace
}  // namespace paasta::drainer
