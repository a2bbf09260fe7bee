#include "agent/health_check.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/http_server.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace paasta::agent {
namespace {

google::protobuf::Duration Seconds(double seconds) {
  return google::protobuf::util::TimeUtil::NanosecondsToDuration(static_cast<int64_t>(seconds * 1e9));
}

v1::HealthCheck Check(v1::HealthCheckProtocol protocol, int grace, int interval, int max_failures) {
  v1::HealthCheck check;
  check.set_protocol(protocol);
  *check.mutable_grace_period() = Seconds(grace);
  *check.mutable_interval() = Seconds(interval);
  *check.mutable_timeout() = Seconds(1);
  check.set_max_consecutive_failures(max_failures);
  return check;
}

TEST(HealthTrackerTest, TheHeadersWorkedExample) {
  // grace 60 s, interval 10 s, max 3; the task starts at t0 and always fails.
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  HealthTracker failing(Check(v1::HEALTH_CHECK_PROTOCOL_HTTP, 60, 10, 3), t0);
  for (int at = 0; at <= 80; at += 10) {
    failing.Record({false, "HTTP 503"}, t0 + absl::Seconds(at));
    EXPECT_FALSE(failing.ShouldKill()) << "at " << at << " s";
  }
  failing.Record({false, "HTTP 503"}, t0 + absl::Seconds(90));
  EXPECT_TRUE(failing.ShouldKill()) << "70, 80, 90 s counted";
  EXPECT_EQ(failing.Result().consecutive_failures(), 3);
  EXPECT_EQ(failing.Result().last_failure_cause(), "HTTP 503");
  EXPECT_FALSE(failing.Result().has_last_success());

  // A task that passed at 20 s: failures count at once after that.
  HealthTracker flaky(Check(v1::HEALTH_CHECK_PROTOCOL_HTTP, 60, 10, 3), t0);
  flaky.Record({true, ""}, t0 + absl::Seconds(20));
  EXPECT_TRUE(flaky.Alive());
  flaky.Record({false, "connection refused"}, t0 + absl::Seconds(30));
  flaky.Record({false, "connection refused"}, t0 + absl::Seconds(40));
  EXPECT_FALSE(flaky.ShouldKill());
  flaky.Record({false, "connection refused"}, t0 + absl::Seconds(50));
  EXPECT_TRUE(flaky.ShouldKill());
  EXPECT_EQ(flaky.NextCheck(), t0 + absl::Seconds(60));

  // max 0: never killed.
  HealthTracker never(Check(v1::HEALTH_CHECK_PROTOCOL_TCP, 0, 1, 0), t0);
  for (int i = 1; i < 100; ++i) never.Record({false, "x"}, t0 + absl::Seconds(i));
  EXPECT_FALSE(never.ShouldKill());
}

// healthcheck_grace_period_seconds: 0 means "count failures from the start";
// only a check without a grace period gets Marathon's 300 s.
TEST(HealthTrackerTest, ZeroGracePeriodIsKeptUnsetOneDefaults) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  HealthTracker no_grace(Check(v1::HEALTH_CHECK_PROTOCOL_HTTP, 0, 1, 2), t0);
  no_grace.Record({false, "connection refused"}, t0 + absl::Seconds(1));
  no_grace.Record({false, "connection refused"}, t0 + absl::Seconds(2));
  EXPECT_TRUE(no_grace.ShouldKill()) << "with the 300 s default neither failure would count";
  EXPECT_EQ(GracePeriod(Check(v1::HEALTH_CHECK_PROTOCOL_HTTP, 0, 1, 2)), absl::ZeroDuration());
  EXPECT_EQ(GracePeriod(v1::HealthCheck()), absl::Seconds(300));
}

TEST(RunHealthCheckTest, HttpPassesOn2xxAnd3xxOnly) {
  int code = 200;
  HttpServer server([&](const HttpServerRequest& request) {
    HttpServerResponse response;
    response.status_code = request.path == "/status" ? code : 404;
    return response;
  });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  v1::HealthCheck check = Check(v1::HEALTH_CHECK_PROTOCOL_HTTP, 0, 1, 3);
  check.set_path("/status");
  // Each row: the answer's code and whether it passes.
  for (const auto& [answer, passes] : std::vector<std::pair<int, bool>>{
           {200, true}, {204, true}, {302, true}, {399, true}, {404, false}, {503, false}}) {
    code = answer;
    const CheckResult result = RunHealthCheck(check, "127.0.0.1", {server.port()}, {}, "");
    EXPECT_EQ(result.passed, passes) << answer;
    if (!passes) {
      EXPECT_EQ(result.cause, absl::StrCat("HTTP ", answer));
    }
  }
  check.set_port_index(1);
  EXPECT_EQ(RunHealthCheck(check, "127.0.0.1", {server.port()}, {}, "").cause, "the task has no port 1");
}

TEST(RunHealthCheckTest, TcpAndCommand) {
  HttpServer server([](const HttpServerRequest&) { return HttpServerResponse{}; });
  ASSERT_TRUE(server.Start("127.0.0.1:0").ok());
  const int port = server.port();
  const v1::HealthCheck tcp = Check(v1::HEALTH_CHECK_PROTOCOL_TCP, 0, 1, 3);
  EXPECT_TRUE(RunHealthCheck(tcp, "127.0.0.1", {port}, {}, "").passed);
  server.Stop();
  const CheckResult refused = RunHealthCheck(tcp, "127.0.0.1", {port}, {}, "");
  EXPECT_FALSE(refused.passed);
  EXPECT_EQ(refused.cause, "Connection refused");

  v1::HealthCheck command = Check(v1::HEALTH_CHECK_PROTOCOL_COMMAND, 0, 1, 3);
  command.set_command("test \"$PORT\" = 31000");
  EXPECT_TRUE(RunHealthCheck(command, "127.0.0.1", {}, {{"PORT", "31000"}}, "").passed);
  EXPECT_EQ(RunHealthCheck(command, "127.0.0.1", {}, {{"PORT", "1"}}, "").cause, "exited with status 1");
  command.set_command("sleep 10");
  *command.mutable_timeout() = Seconds(0.2);
  EXPECT_TRUE(absl::StartsWith(RunHealthCheck(command, "127.0.0.1", {}, {}, "").cause, "timed out after"));
}

}  // namespace
}  // namespace paasta::agent
