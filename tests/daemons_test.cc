// Every daemon, as its real binary in its own process: it becomes SERVING,
// exposes its service, health and reflection through reflection, answers its
// not-yet-built RPCs with UNIMPLEMENTED and a message, counts RPCs in /metrics,
// and exits 0 within 5 s of SIGTERM.
#include <signal.h>
#include <sys/wait.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/grpc_health.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/reflection.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/drainer.grpc.pb.h"
#include "protos/generator.grpc.pb.h"
#include "protos/monitor.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "protos/smartstack.grpc.pb.h"

namespace paasta {
namespace {

using ::paasta::testing::ChildProcess;

struct DaemonCase {
  // Path of the binary relative to the test's runfiles folder.
  std::string binary;
  // Its gRPC service.
  std::string service;
  // One of its RPCs, called with an empty request.
  std::string method;
  std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)> call;
  // What that call answers: UNIMPLEMENTED until the daemon's issue lands, then
  // the RPC's own refusal of an empty request.
  grpc::StatusCode code = grpc::StatusCode::UNIMPLEMENTED;
  std::string code_name = "Unimplemented";
  std::string message;
  // Flags the daemon needs beyond its addresses; "$DIR" is the test's folder.
  std::vector<std::string> extra_flags;
};

std::vector<std::string> DaemonArgv(const DaemonCase& daemon, const std::string& dir, std::vector<std::string> argv) {
  argv.insert(argv.begin(), daemon.binary);
  for (std::string flag : daemon.extra_flags) {
    const size_t at = flag.find("$DIR");
    if (at != std::string::npos) flag.replace(at, 4, dir);
    argv.push_back(flag);
  }
  return argv;
}

// Test failures name the daemon, not the struct's bytes.
void PrintTo(const DaemonCase& daemon, std::ostream* os) { *os << daemon.binary; }

template <typename Stub, typename Request, typename Response>
std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&, grpc::ClientContext*)> Call(
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*)) {
  return [method](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
    Stub stub(channel);
    Request request;
    Response response;
    return (stub.*method)(context, request, &response);
  };
}

std::vector<DaemonCase> Cases() {
  using namespace paasta::v1;
  return {
      {"agent/paasta-agent",
       "paasta.v1.Agent",
       "PutApp",
       Call(&Agent::Stub::PutApp),
       grpc::StatusCode::INVALID_ARGUMENT,
       "InvalidArgument",
       "app.id is required",
       {"--state_dir=$DIR/agent", "--cgroup_name=paasta-daemons-test"}},
      {"deployer/generator/paasta-generator",
       "paasta.v1.Generator",
       "ListDeployments",
       Call(&Generator::Stub::ListDeployments),
       grpc::StatusCode::INVALID_ARGUMENT,
       "InvalidArgument",
       "service name \"\" is not allowed: use lowercase letters, digits, \"_\" and \"-\", "
       "starting with a letter or digit, at most 63 characters",
       {"--soa_dir=$DIR/soa", "--git_cache_dir=$DIR/cache", "--deployer=", "--scheduler_bridge="}},
      {"deployer/paasta-deployer",
       "paasta.v1.Deployer",
       "EmergencyStop",
       Call(&Deployer::Stub::EmergencyStop),
       grpc::StatusCode::INVALID_ARGUMENT,
       "InvalidArgument",
       "instance.service and instance.instance are required",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc"}},
      {"scheduler-bridge/paasta-scheduler-bridge",
       "paasta.v1.SchedulerBridge",
       "StartNow",
       Call(&SchedulerBridge::Stub::StartNow),
       grpc::StatusCode::INVALID_ARGUMENT,
       "InvalidArgument",
       "instance.service and instance.instance are required",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--state_dir=$DIR/bridge"}},
      {"drainer/paasta-drainer",
       "paasta.v1.Drainer",
       "IsDraining",
       Call(&Drainer::Stub::IsDraining),
       grpc::StatusCode::INVALID_ARGUMENT,
       "InvalidArgument",
       "task.service and task.task_id are required",
       {"--hacheck_listen=127.0.0.1:0", "--spool_root=$DIR/spool"}},
      {"monitor/paasta-monitor",
       "paasta.v1.Monitor",
       "ListAlerts",
       Call(&Monitor::Stub::ListAlerts),
       grpc::StatusCode::OK,
       "OK",
       "",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--agent=127.0.0.1:1", "--deployer=127.0.0.1:1",
        "--scheduler_bridge=127.0.0.1:1", "--smartstack=127.0.0.1:1"}},
      {"smartstack/paasta-smartstack",
       "paasta.v1.Smartstack",
       "ListNamespaces",
       Call(&Smartstack::Stub::ListNamespaces),
       grpc::StatusCode::OK,
       "OK",
       "",
       {"--soa_dir=$DIR/soa", "--system_config_dir=$DIR/etc", "--state_dir=$DIR/haproxy", "--agent=127.0.0.1:1"}},
  };
}

// The value of the sample of `metric` whose labels include every one of
// `labels` (each written as name="value"); -1 if there is none.
double SampleValue(const std::string& exposition, const std::string& metric, const std::vector<std::string>& labels) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::StartsWith(line, metric + "{")) continue;
    bool all = true;
    for (const std::string& label : labels) all &= absl::StrContains(line, label);
    if (!all) continue;
    const size_t space = line.rfind(' ');
    return std::stod(std::string(line.substr(space + 1)));
  }
  return -1;
}

class DaemonTest : public ::testing::TestWithParam<DaemonCase> {};

TEST_P(DaemonTest, ServesHealthReflectionMetricsAndStopsOnSigterm) {
  const DaemonCase& daemon = GetParam();
  const std::string dir = paasta::testing::NewTempDir("daemon");
  const std::string ports_file = dir + "/ports.json";
  auto child = ChildProcess::Start(
      DaemonArgv(daemon, dir,
                 {"--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--ports_file=" + ports_file}),
      dir + "/output.log");
  ASSERT_TRUE(child.ok()) << child.status();
  ChildProcess& process = **child;

  const auto ports_text = paasta::testing::WaitForFile(ports_file, absl::Seconds(30));
  ASSERT_TRUE(ports_text.ok()) << ports_text.status() << "\n" << process.Output();
  const nlohmann::json ports = nlohmann::json::parse(*ports_text);
  const std::string grpc_address = ports.at("grpc");
  const std::string metrics_address = ports.at("metrics");

  auto channel = grpc::CreateChannel(grpc_address, grpc::InsecureChannelCredentials());
  ASSERT_TRUE(WaitForServing(channel, "", absl::Seconds(10)).ok()) << process.Output();
  const auto service_health = CheckHealth(channel, daemon.service, absl::Seconds(5));
  // The default health service only knows services it was told about; the
  // server as a whole ("") is what the bootstrap promises.
  EXPECT_TRUE(service_health.ok() || service_health.status().code() == absl::StatusCode::kNotFound)
      << service_health.status();

  // Reflection lists the daemon's own service, health and reflection.
  const auto services = paasta::testing::ListServicesByReflection(channel);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(std::find(services->begin(), services->end(), daemon.service), services->end());
  EXPECT_NE(std::find(services->begin(), services->end(), "grpc.health.v1.Health"), services->end());
  EXPECT_NE(std::find(services->begin(), services->end(), "grpc.reflection.v1alpha.ServerReflection"), services->end());

  // The probe RPC: a not-yet-built one answers UNIMPLEMENTED and says so; a
  // built one refuses the empty request with its own message (or, for a read
  // that needs no argument, answers it).
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  const grpc::Status status = daemon.call(channel, &context);
  EXPECT_EQ(status.error_code(), daemon.code);
  EXPECT_EQ(status.error_message(), daemon.code == grpc::StatusCode::OK ? ""
                                    : daemon.message.empty() ? absl::StrCat("/", daemon.service, "/", daemon.method,
                                                                            " is not implemented yet in paasta 0.1.0")
                                                             : daemon.message);

  // /metrics has the build info and counted the calls above.
  HttpRequest scrape;
  scrape.url = absl::StrCat("http://", metrics_address, "/metrics");
  const auto metrics = HttpFetch(scrape);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(metrics->status_code, 200);
  const std::string binary_name = daemon.binary.substr(daemon.binary.rfind('/') + 1);
  EXPECT_EQ(SampleValue(metrics->body, "paasta_build_info",
                        {absl::StrCat("binary=\"", binary_name, "\""), "version=\"0.1.0\""}),
            1)
      << metrics->body;
  EXPECT_EQ(SampleValue(metrics->body, "grpc_server_handled_total",
                        {absl::StrCat("grpc_service=\"", daemon.service, "\""),
                         absl::StrCat("grpc_method=\"", daemon.method, "\""),
                         absl::StrCat("grpc_code=\"", daemon.code_name, "\"")}),
            1)
      << metrics->body;
  EXPECT_GE(SampleValue(metrics->body, "grpc_server_handled_total",
                        {"grpc_service=\"grpc.health.v1.Health\"", "grpc_method=\"Check\"", "grpc_code=\"OK\""}),
            1)
      << metrics->body;
  EXPECT_GE(SampleValue(metrics->body, "grpc_server_handling_seconds_count",
                        {absl::StrCat("grpc_method=\"", daemon.method, "\"")}),
            1)
      << metrics->body;

  // SIGTERM: exit 0 within 5 s.
  ASSERT_TRUE(process.Signal(SIGTERM));
  const auto wait_status = process.Wait(absl::Seconds(5));
  ASSERT_TRUE(wait_status.ok()) << wait_status.status() << "\n" << process.Output();
  EXPECT_TRUE(WIFEXITED(*wait_status)) << process.Output();
  EXPECT_EQ(WEXITSTATUS(*wait_status), 0) << process.Output();
  EXPECT_TRUE(absl::StrContains(process.Output(), "received SIGTERM, shutting down"));
}

TEST_P(DaemonTest, RefusesToStartOnATakenPortAndSaysWhich) {
  const DaemonCase& daemon = GetParam();
  const std::string dir = paasta::testing::NewTempDir("taken");
  // The first instance takes a port; a second one on the same port must fail.
  auto first = ChildProcess::Start(
      DaemonArgv(daemon, dir,
                 {"--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", "--ports_file=" + dir + "/ports.json"}),
      dir + "/first.log");
  ASSERT_TRUE(first.ok());
  const auto ports_text = paasta::testing::WaitForFile(dir + "/ports.json", absl::Seconds(30));
  ASSERT_TRUE(ports_text.ok()) << ports_text.status();
  const std::string taken = nlohmann::json::parse(*ports_text).at("metrics");

  auto second = ChildProcess::Start(DaemonArgv(daemon, dir, {"--grpc_listen=127.0.0.1:0", "--metrics_listen=" + taken}),
                                    dir + "/second.log");
  ASSERT_TRUE(second.ok());
  const auto wait_status = (*second)->Wait(absl::Seconds(10));
  ASSERT_TRUE(wait_status.ok()) << wait_status.status();
  EXPECT_EQ(WEXITSTATUS(*wait_status), 1);
  EXPECT_TRUE(absl::StrContains((*second)->Output(), taken)) << (*second)->Output();
  EXPECT_TRUE(absl::StrContains((*second)->Output(), "--metrics_listen")) << (*second)->Output();
}

TEST_P(DaemonTest, HelpListsItsFlags) {
  const std::string dir = paasta::testing::NewTempDir("help");
  auto child = ChildProcess::Start({GetParam().binary, "--help"}, dir + "/help.txt");
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->Wait(absl::Seconds(10)).ok());
  const std::string help = (*child)->Output();
  for (const char* flag : {"--grpc_listen", "--metrics_listen", "--ports_file", "--log_level", "--shutdown_grace"}) {
    EXPECT_TRUE(absl::StrContains(help, flag)) << flag << "\n" << help;
  }
}

INSTANTIATE_TEST_SUITE_P(AllDaemons, DaemonTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<DaemonCase>& info) {
                           std::string name = info.param.service.substr(10);  // "paasta.v1."
                           return name;
                         });

}  // namespace
}  // namespace paasta
