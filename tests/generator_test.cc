// The deployments generator as users meet it: the real paasta-generator and
// paasta binaries, a real git repository and soa-dir. The deployer is stood in
// for by an in-test gRPC server implementing paasta.v1.Deployer/Reconcile (the
// RPC the generator calls), which records what it was asked.
#include <signal.h>
#include <sys/wait.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/config/deployments.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/deployer.grpc.pb.h"
#include "protos/generator.grpc.pb.h"

namespace paasta {
namespace {

using ::paasta::testing::ChildProcess;
using ::paasta::testing::CommitFiles;
using ::paasta::testing::Git;
using ::paasta::testing::NewTempDir;

// Records Reconcile calls.
class RecordingDeployer final : public v1::Deployer::Service {
 public:
  grpc::Status Reconcile(grpc::ServerContext*, const v1::ReconcileRequest* request,
                         v1::ReconcileResponse*) override {
    absl::MutexLock lock(&mu_);
    services_.insert(request->service());
    return grpc::Status::OK;
  }
  bool WasAsked(const std::string& service) {
    absl::MutexLock lock(&mu_);
    return services_.count(service) != 0;
  }

 private:
  absl::Mutex mu_;
  std::set<std::string> services_ ABSL_GUARDED_BY(mu_);
};

struct CliResult {
  int exit_code = -1;
  std::string output;
};

class GeneratorDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("generator-e2e");
    repo_ = dir_ + "/repo";
    soa_ = dir_ + "/soa";
    testing::InitRepo(repo_);
    first_ = CommitFiles(repo_, {{"server.py", "v1"}}, "first");
    second_ = CommitFiles(repo_, {{"server.py", "v2"}}, "second");
    ::mkdir(soa_.c_str(), 0755);
    ::mkdir((soa_ + "/svc").c_str(), 0755);
    ASSERT_TRUE(WriteFileAtomically(soa_ + "/svc/service.yaml", "git_url: " + repo_ + "\n").ok());
    ASSERT_TRUE(WriteFileAtomically(soa_ + "/svc/marathon-local.yaml",
                                    "main: {deploy_group: local.everything}\n"
                                    "canary: {deploy_group: local.canary}\n")
                    .ok());
    ASSERT_TRUE(WriteFileAtomically(soa_ + "/svc/chronos-local.yaml",
                                    "job:\n  schedule: R/2016-01-01T00:00:00Z/P1D\n"
                                    "  deploy_group: local.everything\n")
                    .ok());

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&deployer_);
    deployer_server_ = builder.BuildAndStart();
    ASSERT_NE(deployer_server_, nullptr);
    deployer_address_ = absl::StrCat("127.0.0.1:", port);

    auto child = ChildProcess::Start(
        {"deployer/generator/paasta-generator", "--grpc_listen=127.0.0.1:0",
         "--metrics_listen=127.0.0.1:0", "--ports_file=" + dir_ + "/ports.json",
         "--soa_dir=" + soa_, "--git_cache_dir=" + dir_ + "/cache", "--interval=1s",
         "--deployer=" + deployer_address_, "--scheduler_bridge="},
        dir_ + "/generator.log");
    ASSERT_TRUE(child.ok());
    generator_ = std::move(*child);
    const auto ports = testing::WaitForFile(dir_ + "/ports.json", absl::Seconds(30));
    ASSERT_TRUE(ports.ok()) << generator_->Output();
    grpc_address_ = nlohmann::json::parse(*ports).at("grpc");
    metrics_address_ = nlohmann::json::parse(*ports).at("metrics");
  }

  void TearDown() override {
    if (deployer_server_ != nullptr) deployer_server_->Shutdown();
  }

  CliResult Paasta(std::vector<std::string> args) {
    args.insert(args.begin(), {"cli/paasta", "--generator", grpc_address_});
    auto child = ChildProcess::Start(args, NewTempDir("cli") + "/out");
    if (!child.ok()) return {};
    const auto status = (*child)->Wait(absl::Seconds(60));
    return {status.ok() && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, (*child)->Output()};
  }

  // Polls deployments.json until `predicate` holds (or 15 s pass).
  bool WaitFor(const std::function<bool(const config::Deployments&)>& predicate) {
    for (int attempt = 0; attempt < 300; ++attempt) {
      absl::StatusOr<config::Deployments> read = config::ReadDeployments(soa_, "svc");
      if (read.ok() && predicate(*read)) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::string dir_, repo_, soa_, first_, second_;
  RecordingDeployer deployer_;
  std::unique_ptr<grpc::Server> deployer_server_;
  std::string deployer_address_, grpc_address_, metrics_address_;
  std::unique_ptr<ChildProcess> generator_;
};

TEST_F(GeneratorDaemonTest, DeployStopStartFromTheCliAndTagsPushedByHand) {
  // mark-for-deployment with an abbreviated sha: resolved and shown in full.
  CliResult result = Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c",
                             first_.substr(0, 8)});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Marked " + first_ +
                                                   " for deployment in deploy group "
                                                   "local.everything of svc (tag "
                                                   "paasta-local.everything-"))
      << result.output;
  ASSERT_TRUE(WaitFor([&](const config::Deployments& d) {
    const auto* main = d.ForBranch("svc", "local.main");
    return main != nullptr && main->GitSha() == first_;
  }));
  // The deployer was told.
  for (int i = 0; i < 100 && !deployer_.WasAsked("svc"); ++i) absl::SleepFor(absl::Milliseconds(50));
  EXPECT_TRUE(deployer_.WasAsked("svc")) << generator_->Output();

  // stop: the instance's control tag, and the note for long-running instances.
  result = Paasta({"stop", "-s", "svc", "-i", "main,job", "-c", "local"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Tagged local.main at " + first_.substr(0, 8)))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "scaled to 0 gracefully")) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Scheduled jobs: they are disabled")) << result.output;
  EXPECT_TRUE(WaitFor([](const config::Deployments& d) {
    return d.ForBranch("svc", "local.main")->desired_state == config::DesiredState::kStop;
  }));

  // Never deployed: the original's refusal, nothing written.
  result = Paasta({"start", "-s", "svc", "-i", "canary", "-c", "local"});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "Has svc been deployed there yet?")) << result.output;

  // A deploy tag pushed by hand (plain git) is picked up by the periodic pass,
  // and it resets the stop.
  Git(repo_, {"tag", "paasta-local.everything-29991231T235959-deploy", second_});
  EXPECT_TRUE(WaitFor([&](const config::Deployments& d) {
    const auto* main = d.ForBranch("svc", "local.main");
    return main->GitSha() == second_ && main->desired_state == config::DesiredState::kStart;
  })) << generator_->Output();

  // Metrics moved.
  HttpRequest scrape;
  scrape.url = absl::StrCat("http://", metrics_address_, "/metrics");
  const auto metrics = HttpFetch(scrape);
  ASSERT_TRUE(metrics.ok());
  EXPECT_TRUE(absl::StrContains(metrics->body, "paasta_generator_generations_total{result=\"changed\"}"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body, "paasta_generator_tags_written_total{kind=\"deploy\"} 1"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body, "paasta_generator_tags_written_total{kind=\"control\"} 2"))
      << metrics->body;
}

TEST_F(GeneratorDaemonTest, GoesOnWhenTheDeployerIsDown) {
  deployer_server_->Shutdown();
  deployer_server_.reset();
  const CliResult result =
      Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", "HEAD"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(WaitFor([&](const config::Deployments& d) {
    return d.ForBranch("svc", "local.main") != nullptr;
  }));
  // The failed notification is logged, and the daemon keeps serving.
  for (int i = 0; i < 100 && !absl::StrContains(generator_->Output(), "could not ask the deployer");
       ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(absl::StrContains(generator_->Output(), "could not ask the deployer at " +
                                                          deployer_address_ + " to reconcile svc"))
      << generator_->Output();
  auto stub = v1::Generator::NewStub(
      grpc::CreateChannel(grpc_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::GenerateRequest request;
  v1::GenerateResponse response;
  ASSERT_TRUE(stub->Generate(&context, request, &response).ok());
  ASSERT_EQ(response.services_size(), 1);
  EXPECT_EQ(response.services(0).service(), "svc");
  EXPECT_EQ(response.services(0).error(), "");
  EXPECT_EQ(response.services(0).refs_read(), 1);
}

TEST_F(GeneratorDaemonTest, ListDeploymentsShowsGroupsAndControls) {
  ASSERT_EQ(Paasta({"mark-for-deployment", "-s", "svc", "-l", "local.everything", "-c", first_})
                .exit_code,
            0);
  ASSERT_EQ(Paasta({"stop", "-s", "svc", "-i", "main", "-c", "local"}).exit_code, 0);
  auto stub = v1::Generator::NewStub(
      grpc::CreateChannel(grpc_address_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::ListDeploymentsRequest request;
  request.set_service("svc");
  v1::ListDeploymentsResponse response;
  ASSERT_TRUE(stub->ListDeployments(&context, request, &response).ok());
  ASSERT_EQ(response.deployments_size(), 1);
  EXPECT_EQ(response.deployments(0).deploy_group(), "local.everything");
  EXPECT_EQ(response.deployments(0).git_sha(), first_);
  ASSERT_EQ(response.controls_size(), 2);  // job, main
  EXPECT_EQ(response.controls(1).instance().instance(), "main");
  EXPECT_EQ(response.controls(1).instance().cluster(), "local");
  EXPECT_EQ(response.controls(1).desired_state(), v1::DESIRED_STATE_STOP);
  EXPECT_TRUE(response.has_generated_at());
}

}  // namespace
}  // namespace paasta
