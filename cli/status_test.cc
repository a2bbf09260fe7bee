// paasta status's lines (§9.1) from daemon answers, as a table of cases.
#include "cli/status.h"

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace paasta::cli {
namespace {

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

StatusReport Report() {
  StatusReport report;
  report.service = "example_service";
  report.cluster = "local";
  report.now = absl::FromUnixSeconds(1795860600);
  return report;
}

TEST(FormatStatusTest, LongRunningInstancesWithSmartstack) {
  StatusReport report = Report();
  report.instances = {
      Parse<v1::InstanceStatus>(R"(instance {service: "example_service" instance: "main" cluster: "local"}
          git_sha: "3f596a503944b7ef7b534e00087d9c7f2f1c511a" desired_state: DESIRED_STATE_START
          bounce_method: "crossover" expected_instances: 2 running_tasks: 2 healthy_tasks: 2)"),
      Parse<v1::InstanceStatus>(R"(instance {service: "example_service" instance: "canary" cluster: "local"}
          git_sha: "3f596a503944b7ef7b534e00087d9c7f2f1c511a" desired_state: DESIRED_STATE_START
          bounce_method: "crossover" bounce_in_progress: true expected_instances: 3 running_tasks: 1)"),
      Parse<v1::InstanceStatus>(R"(instance {service: "example_service" instance: "stopped" cluster: "local"}
          git_sha: "3f596a503944b7ef7b534e00087d9c7f2f1c511a" desired_state: DESIRED_STATE_STOP)"),
      Parse<v1::InstanceStatus>(R"(instance {service: "example_service" instance: "new" cluster: "local"}
          last_action: "not deployed yet" last_error: "no deployment of example_service:paasta-local.new")"),
  };
  report.namespaces = {Parse<v1::Namespace>(R"(name: "example_service.main" proxy_port: 20001
      backends {name: "127.0.0.1:31001" status: BACKEND_STATUS_UP}
      backends {name: "127.0.0.1:31002" status: BACKEND_STATUS_DOWN})")};
  EXPECT_EQ(FormatStatus(report),
            "\n"
            "cluster: local\n"
            "  instance: canary\n"
            "    Git sha:    3f596a50 (desired)\n"
            "    State:      Bouncing (crossover) - Desired state: Started\n"
            "    Marathon:   Warning - up with (1/3) instances. Status: Deploying\n"
            "  instance: main\n"
            "    Git sha:    3f596a50 (desired)\n"
            "    State:      Configured - Desired state: Started\n"
            "    Marathon:   Healthy - up with (2/2) instances. Status: Running\n"
            "    Smartstack:\n"
            "      local - Healthy - in haproxy with (1/2) total backends UP in this namespace.\n"
            "  instance: new\n"
            "    Git sha:    None (not deployed yet)\n"
            "    Reason:     no deployment of example_service:paasta-local.new\n"
            "  instance: stopped\n"
            "    Git sha:    3f596a50 (desired)\n"
            "    State:      Configured - Desired state: Stopped\n"
            "    Marathon:   Healthy - up with (0/0) instances. Status: Stopped\n");
  report.only = {"main"};
  EXPECT_EQ(FormatStatus(report).find("canary"), std::string::npos);
}

TEST(FormatStatusTest, VerboseListsTheTasksAndCrashingTasksSayDelayed) {
  StatusReport report = Report();
  report.verbose = true;
  report.instances = {
      Parse<v1::InstanceStatus>(R"(instance {service: "example_service" instance: "main" cluster: "local"}
          git_sha: "3f596a503944b7ef7b534e00087d9c7f2f1c511a" desired_state: DESIRED_STATE_START
          desired_app_id: "example--service.main.git3f596a50.config11111111"
          app_created {seconds: 1795860000} bounce_method: "crossover" bounce_in_progress: true
          expected_instances: 2 running_tasks: 1 launch_delay {seconds: 20}
          tasks {id: "example--service.main.git3f596a50.config11111111.a1" host: "127.0.0.1" port: 31001
                 started_at {seconds: 1795860540} health: HEALTH_STATE_HEALTHY
                 app_id: "example--service.main.git3f596a50.config11111111"}
          tasks {id: "example--service.main.git3f596a50.config11111111.b2" host: "127.0.0.1" port: 31002
                 app_id: "example--service.main.git3f596a50.config11111111" health: HEALTH_STATE_UNKNOWN}
          tasks {id: "example--service.main.git00000000.config22222222.c3" host: "127.0.0.1" port: 31000
                 started_at {seconds: 1795850000} health: HEALTH_STATE_UNHEALTHY
                 app_id: "example--service.main.git00000000.config22222222"})"),
  };
  EXPECT_EQ(
      FormatStatus(report),
      "\n"
      "cluster: local\n"
      "  instance: main\n"
      "    Git sha:    3f596a50 (desired)\n"
      "    State:      Bouncing (crossover) - Desired state: Started\n"
      "    Marathon:   Warning - up with (1/2) instances. Status: Delayed (tasks are crashing, next won't launch for "
      "another 20 seconds)\n"
      "      Marathon app ID: example--service.main.git3f596a50.config11111111\n"
      "      App created: 2026-11-28T10:00:00 (10 minutes ago)\n"
      "      Tasks:\n"
      // clang-format off
      "        Mesos Task ID                                                  Host deployed to  Deployed at (UTC)                   Health\n"
      "        example--service.main.git3f596a50.config11111111.a1            127.0.0.1:31001   2026-11-28T10:09:00 (1 minute ago)  Healthy\n"
      "        example--service.main.git3f596a50.config11111111.b2            127.0.0.1:31002   Not running yet                     No health check result\n"
      "        example--service.main.git00000000.config22222222.c3 (old app)  127.0.0.1:31000   2026-11-28T07:13:20 (2 hours ago)   Unhealthy\n");
  // clang-format on
  report.verbose = false;
  EXPECT_EQ(FormatStatus(report).find("Tasks:"), std::string::npos);
}

TEST(FormatStatusTest, JsonHasTheSameDataForScripts) {
  StatusReport report = Report();
  report.instances = {Parse<v1::InstanceStatus>(
      R"(instance {service: "example_service" instance: "main" cluster: "local"} expected_instances: 2)")};
  report.namespaces = {Parse<v1::Namespace>(R"(name: "example_service.main" proxy_port: 20001)")};
  report.jobs = {Parse<v1::JobStatus>(R"(instance {service: "example_service" instance: "nightly"})")};
  EXPECT_EQ(FormatStatusJson(report),
            R"({"service":"example_service","cluster":"local",)"
            R"("instances":[{"instance":{"service":"example_service","instance":"main","cluster":"local"},)"
            R"("expectedInstances":2}],)"
            R"("jobs":[{"instance":{"service":"example_service","instance":"nightly"}}],)"
            R"("namespaces":[{"name":"example_service.main","proxyPort":20001}]})"
            "\n");
  report.only = {"nightly"};
  EXPECT_EQ(FormatStatusJson(report), R"({"service":"example_service","cluster":"local","instances":[],)"
                                      R"("jobs":[{"instance":{"service":"example_service","instance":"nightly"}}],)"
                                      R"("namespaces":[]})"
                                      "\n");
}

TEST(FormatStatusTest, Jobs) {
  StatusReport report = Report();
  report.jobs = {
      Parse<v1::JobStatus>(R"(instance {service: "example_batch" instance: "rollup" cluster: "local"}
          job {name: "example_batch rollup" schedule: "R/2016-01-01T00:00:00Z/PT1M" shell: true
               command: "python3 rollup.py --date 2026-11-28" epsilon {seconds: 30}}
          desired_state: DESIRED_STATE_START last_success {seconds: 1795860420} running: true running_tasks: 1)"),
      Parse<v1::JobStatus>(R"(instance {service: "example_batch" instance: "publish" cluster: "local"}
          job {name: "example_batch publish" parents: "example_batch rollup" shell: true command: "python3 publish.py"
               disabled: true}
          last_success {seconds: 1795860000} last_failure {seconds: 1795860300})"),
      Parse<v1::JobStatus>(R"(instance {service: "example_batch" instance: "nightly" cluster: "local"}
          last_error: "No deployment found for example_batch.nightly in cluster local. Has Jenkins run for it?")"),
  };
  EXPECT_EQ(FormatStatus(report),
            "\n"
            "cluster: local\n"
            "  instance: nightly\n"
            "    Warning: chronos job is not set up yet\n"
            "    Reason:     No deployment found for example_batch.nightly in cluster local. Has Jenkins run for it?\n"
            "  instance: publish\n"
            "    Desired:    Disabled\n"
            "    Job:     example_batch publish\n"
            "      Status:   Not scheduled (idle)  Last:     Failed (2026-11-28T10:05, 5 minutes ago)\n"
            "      Parents:  example_batch rollup\n"
            "      Command:  python3 publish.py\n"
            "      Mesos:    Not running\n"
            "  instance: rollup\n"
            "    Desired:    Scheduled\n"
            "    Job:     example_batch rollup\n"
            "      Status:   Scheduled (running)  Last:     OK (2026-11-28T10:07, 3 minutes ago)\n"
            "      Schedule: R/2016-01-01T00:00:00Z/PT1M (UTC) Epsilon: PT30S\n"
            "      Command:  python3 rollup.py --date 2026-11-28\n"
            "      Mesos:    Running\n");
}

}  // namespace
}  // namespace paasta::cli
