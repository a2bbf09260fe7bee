// Mutual TLS and the caller policy on the running platform: every daemon
// serves TLS with the host's certificate and calls the others with it; users
// present their own certificates through the CLI; the policy file decides
// who may change which service. The certificates are made by
// scripts/make-certs.sh, as an operator trying TLS out would.
//
// Callers (certificate common names) and what the policy lets them change:
//   paasta-host  every service (the daemons calling each other)
//   tester       every service (this test's own gRPC calls)
//   alice        example_service
//   bob          example_batch
//   mallory      nothing: her certificate comes from another CA
#include <sys/wait.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/grpc_channel.h"
#include "common/http_client.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "protos/agent.grpc.pb.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "tests/platform_fixture.h"

namespace paasta {
namespace {

class TlsTest : public PlatformTest {
 protected:
  void SetUp() override {
    PlatformTest::SetUp();
    certs_ = root_ + "/certs";
    MakeCerts(certs_, {"paasta-host", "tester", "alice", "bob"});
    MakeCerts(root_ + "/other-ca", {"mallory"});
    ASSERT_TRUE(WriteFileAtomically(state_ + "/etc/authorization.yaml",
                                    "callers:\n"
                                    "  paasta-host: [\"*\"]\n"
                                    "  tester: [\"*\"]\n"
                                    "  alice: [example_service]\n"
                                    "  bob: [example_batch]\n")
                    .ok());
    ASSERT_TRUE(WriteFileAtomically(state_ + "/etc/tls.json",
                                    absl::StrCat(R"({"grpc_tls": {"ca_file": ")", certs_, R"(/ca.pem", "cert_file": ")",
                                                 certs_, R"(/paasta-host.pem", "key_file": ")", certs_,
                                                 R"(/paasta-host-key.pem", "policy_file": ")", state_,
                                                 R"(/etc/authorization.yaml", "open_reads": true}})"))
                    .ok());
    // The fixture's own calls (Agent(), Runs()) go as "tester".
    ASSERT_TRUE(UseTlsForDaemonChannels(Files(certs_, "tester")).ok());
  }

  static TlsFiles Files(const std::string& dir, const std::string& name) {
    return {dir + "/ca.pem", dir + "/" + name + ".pem", dir + "/" + name + "-key.pem"};
  }

  void MakeCerts(const std::string& dir, const std::vector<std::string>& names) {
    std::vector<std::string> argv = {"/bin/bash", testing::AbsolutePath("scripts/make-certs.sh"), dir};
    argv.insert(argv.end(), names.begin(), names.end());
    auto child = testing::ChildProcess::Start(argv, root_ + "/make-certs.out");
    ASSERT_TRUE(child.ok()) << child.status();
    const absl::StatusOr<int> status = (*child)->Wait(absl::Seconds(60));
    ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*child)->Output();
  }

  // The CLI as `user`.
  CliResult PaastaAs(const std::string& user, std::vector<std::string> args) {
    const TlsFiles files = Files(certs_, user);
    args.insert(args.begin(), {"--tls-cert", files.cert_file, "--tls-key", files.key_file});
    return Paasta(args);
  }

  std::unique_ptr<v1::Deployer::Stub> DeployerWith(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    return v1::Deployer::NewStub(
        grpc::CreateChannel(Daemon("paasta-deployer")["grpc"].get<std::string>(), credentials));
  }

  std::string certs_;
};

grpc::Status EmergencyStopMain(v1::Deployer::Stub& deployer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::EmergencyStopRequest request;
  request.mutable_instance()->set_service("example_service");
  request.mutable_instance()->set_instance("main");
  v1::EmergencyStopResponse response;
  return deployer.EmergencyStop(&context, request, &response);
}

grpc::Status ListInstances(v1::Deployer::Stub& deployer) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListInstancesRequest request;
  v1::ListInstancesResponse response;
  return deployer.ListInstances(&context, request, &response);
}

TEST_F(TlsTest, CallersAreAuthenticatedAndChangeOnlyWhatThePolicyAllows) {
  StartPlatform();  // the supervisor's health checks already go over mutual TLS
  for (const std::string name : {"paasta-agent", "paasta-deployer", "paasta-generator"}) {
    EXPECT_TRUE(absl::StrContains(*ReadFile(state_ + "/logs/" + name + ".log"), "gRPC uses mutual TLS")) << name;
  }

  // alice deploys her service: the CLI as alice, then the generator, deployer
  // and agent calling each other as paasta-host.
  const CliResult deployed =
      PaastaAs("alice", {"mark-for-deployment", "-s", "example_service", "-l", "local.everything", "-c",
                         testing::Git(Repo("example_service"), {"rev-parse", "HEAD"}), "--wait", "--timeout", "180s"});
  ASSERT_EQ(deployed.exit_code, 0) << deployed.output;
  ASSERT_EQ(MainTasks().size(), 2u);
  const std::set<std::string> apps = MainApps();

  // bob may not stop it, nor change its desired state; what runs stays.
  const CliResult bob_stop = PaastaAs("bob", {"emergency-stop", "-s", "example_service", "-i", "main"});
  EXPECT_NE(bob_stop.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(bob_stop.output, "caller \"bob\" may not change service example_service"))
      << bob_stop.output;
  const CliResult bob_state = PaastaAs("bob", {"stop", "-s", "example_service", "-i", "main", "-c", "local"});
  EXPECT_NE(bob_state.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(bob_state.output, "caller \"bob\" may not change service example_service"))
      << bob_state.output;
  EXPECT_EQ(MainApps(), apps);
  EXPECT_EQ(MainTasks().size(), 2u);
  EXPECT_TRUE(absl::StrContains(*ReadFile(state_ + "/logs/paasta-deployer.log"),
                                "refused Deployer/EmergencyStop of service example_service to caller \"bob\""));

  // Each may change their own: bob reruns his job; alice may not.
  const CliResult alice_rerun =
      PaastaAs("alice", {"rerun", "-s", "example_batch", "-i", "rollup", "-d", "2026-01-01T00:00:00"});
  EXPECT_NE(alice_rerun.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(alice_rerun.output, "caller \"alice\" may not change service example_batch"))
      << alice_rerun.output;
  const CliResult bob_deploy =
      PaastaAs("bob", {"mark-for-deployment", "-s", "example_batch", "-l", "local.everything", "-c",
                       testing::Git(Repo("example_batch"), {"rev-parse", "HEAD"}), "--wait", "--timeout", "180s"});
  ASSERT_EQ(bob_deploy.exit_code, 0) << bob_deploy.output;
  const CliResult bob_rerun =
      PaastaAs("bob", {"rerun", "-s", "example_batch", "-i", "rollup", "-d", "2026-01-01T00:00:00"});
  EXPECT_EQ(bob_rerun.exit_code, 0) << bob_rerun.output;

  // Reads are open here (open_reads): a TLS client without a certificate may
  // list, but a change needs one.
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> anonymous =
      TlsChannelCredentials({certs_ + "/ca.pem", "", ""});
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  auto anonymous_deployer = DeployerWith(*anonymous);
  EXPECT_TRUE(ListInstances(*anonymous_deployer).ok());
  const grpc::Status unauthenticated = EmergencyStopMain(*anonymous_deployer);
  EXPECT_EQ(unauthenticated.error_code(), grpc::StatusCode::UNAUTHENTICATED) << unauthenticated.error_message();
  EXPECT_TRUE(absl::StrContains(unauthenticated.error_message(), "needs a client certificate"));

  // Plain text and a certificate from another CA do not get through at all.
  EXPECT_EQ(ListInstances(*DeployerWith(grpc::InsecureChannelCredentials())).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> mallory =
      TlsChannelCredentials({certs_ + "/ca.pem", root_ + "/other-ca/mallory.pem", root_ + "/other-ca/mallory-key.pem"});
  ASSERT_TRUE(mallory.ok()) << mallory.status();
  EXPECT_EQ(EmergencyStopMain(*DeployerWith(*mallory)).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(MainApps(), apps);
  EXPECT_EQ(MainTasks().size(), 2u);

  // The policy is read again when it changes: a broken edit keeps the previous
  // one; granting bob example_service lets his stop through, without a restart.
  const std::string policy = state_ + "/etc/authorization.yaml";
  ASSERT_TRUE(WriteFileAtomically(policy, "callers: [this is not a map\n").ok());
  absl::SleepFor(absl::Milliseconds(1500));
  EXPECT_NE(PaastaAs("bob", {"emergency-stop", "-s", "example_service", "-i", "main"}).exit_code, 0);
  EXPECT_EQ(MainTasks().size(), 2u);
  EXPECT_TRUE(absl::StrContains(*ReadFile(state_ + "/logs/paasta-deployer.log"),
                                "the changed policy file does not load; the previous policy stays"));
  ASSERT_TRUE(WriteFileAtomically(policy,
                                  "callers:\n  paasta-host: [\"*\"]\n  tester: [\"*\"]\n"
                                  "  bob: [example_batch, example_service]\n")
                  .ok());
  absl::SleepFor(absl::Milliseconds(1500));
  const CliResult granted = PaastaAs("bob", {"emergency-stop", "-s", "example_service", "-i", "main"});
  EXPECT_EQ(granted.exit_code, 0) << granted.output;
  EXPECT_TRUE(absl::StrContains(*ReadFile(state_ + "/logs/paasta-deployer.log"),
                                "Deployer/EmergencyStop of service example_service by caller \"bob\""));

  // The refusals are counted; no daemon's /metrics shows key material or paths to it.
  const std::string key = *ReadFile(certs_ + "/paasta-host-key.pem");
  std::string deployer_metrics;
  for (const std::string name : {"paasta-agent", "paasta-drainer", "paasta-smartstack", "paasta-deployer",
                                 "paasta-scheduler-bridge", "paasta-generator", "paasta-monitor"}) {
    HttpRequest request;
    request.url = absl::StrCat("http://", Daemon(name)["metrics"].get<std::string>(), "/metrics");
    absl::StatusOr<HttpResponse> metrics = HttpFetch(request);
    ASSERT_TRUE(metrics.ok()) << name;
    EXPECT_FALSE(absl::StrContains(metrics->body, "PRIVATE KEY")) << name;
    EXPECT_FALSE(absl::StrContains(metrics->body, key.substr(30, 40))) << name;
    EXPECT_FALSE(absl::StrContains(metrics->body, "-key.pem")) << name;
    if (name == "paasta-deployer") deployer_metrics = metrics->body;
  }
  EXPECT_TRUE(absl::StrContains(
      deployer_metrics, R"(paasta_rpc_refused_total{reason="permission_denied",rpc="Deployer/EmergencyStop"} 2)"))
      << deployer_metrics;
  EXPECT_TRUE(absl::StrContains(deployer_metrics,
                                R"(paasta_rpc_refused_total{reason="unauthenticated",rpc="Deployer/EmergencyStop"} 1)"))
      << deployer_metrics;
}

}  // namespace
}  // namespace paasta
