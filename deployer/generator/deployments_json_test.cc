#include "deployer/generator/deployments_json.h"

#include <sys/wait.h>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::generator {
namespace {

const std::string kOld = "1111111111111111111111111111111111111111";
const std::string kNew = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

git::Ref R(const std::string& tag, const std::string& sha) { return {"refs/tags/" + tag, sha}; }

config::ServiceConfig Fixture() {
  config::ServiceConfig service;
  service.name = "example_service";
  auto instance = [](auto config, const std::string& cluster, const std::string& name,
                     const std::string& group) {
    config.service = "example_service";
    config.cluster = cluster;
    config.instance = name;
    config.branch = cluster + "." + name;
    config.deploy_group = group;
    return config;
  };
  service.marathon.push_back(instance(config::MarathonInstanceConfig(), "local", "main", "local.everything"));
  service.marathon.push_back(instance(config::MarathonInstanceConfig(), "local", "canary", "local.canary"));
  service.marathon.push_back(instance(config::MarathonInstanceConfig(), "prod", "main", "prod.main"));
  service.chronos.push_back(instance(config::ChronosJobConfig(), "local", "nightly", "local.everything"));
  service.adhoc.push_back(instance(config::AdhocInstanceConfig(), "local", "migrate", "local.everything"));
  return service;
}

const std::vector<git::Ref> kRefs = {
    R("paasta-local.everything-20161107T101010-deploy", kOld),
    R("paasta-local.everything-20161108T090000-deploy", kNew),
    R("paasta-prod.main-20161101T000000-deploy", kOld),
    R("paasta-local.main-20161108T100000-stop", kNew),
    R("paasta-local.nightly-20161107T110000-stop", kOld),  // at the old deploy: ignored
    R("paasta-prod.main-20161102T000000-start", kOld),
};

TEST(DeploymentsJsonTest, ComputesV1AndV2) {
  const config::Deployments deployments = ComputeDeployments(Fixture(), kRefs);
  // local.canary was never deployed: left out.
  EXPECT_EQ(deployments.v1.size(), 4u);
  EXPECT_EQ(deployments.v1.count("example_service:paasta-local.canary"), 0u);
  const config::BranchDeployment& main = deployments.v1.at("example_service:paasta-local.main");
  EXPECT_EQ(main.docker_image, "services-example_service:paasta-" + kNew);
  EXPECT_EQ(main.desired_state, config::DesiredState::kStop);
  EXPECT_EQ(main.force_bounce, "20161108T100000");
  const config::BranchDeployment& nightly = deployments.v1.at("example_service:paasta-local.nightly");
  EXPECT_EQ(nightly.desired_state, config::DesiredState::kStart);  // the new deploy reset the stop
  EXPECT_FALSE(nightly.force_bounce.has_value());
  EXPECT_EQ(deployments.v1.at("example_service:paasta-prod.main").force_bounce, "20161102T000000");
  EXPECT_EQ(deployments.deploy_groups.size(), 2u);
  EXPECT_EQ(deployments.deploy_groups.at("local.everything").git_sha, kNew);
  EXPECT_EQ(deployments.controls.at("example_service:local.main").desired_state,
            config::DesiredState::kStop);
}

TEST(DeploymentsJsonTest, RendersByteExactly) {
  const std::string rendered = RenderDeploymentsJson(ComputeDeployments(Fixture(), kRefs));
  const absl::StatusOr<std::string> expected =
      ReadFile("deployer/generator/testdata/deployments.json");
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(rendered, *expected);

  // And it is what Python's json.dumps(sort_keys=True) writes for the same data.
  const std::string dir = testing::NewTempDir("python");
  ASSERT_TRUE(WriteFileAtomically(dir + "/in.json", rendered).ok());
  auto python = testing::ChildProcess::Start(
      {"/usr/bin/python3", "-c",
       "import json,sys; d=json.load(open(sys.argv[1])); "
       "sys.stdout.write(json.dumps(d, sort_keys=True))",
       dir + "/in.json"},
      dir + "/out.json");
  ASSERT_TRUE(python.ok());
  const auto status = (*python)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << (*python)->Output();
  EXPECT_EQ((*python)->Output(), rendered);
}

TEST(DeploymentsJsonTest, RoundTripsThroughTheReader) {
  const config::Deployments computed = ComputeDeployments(Fixture(), kRefs);
  const absl::StatusOr<config::Deployments> read =
      config::ParseDeployments(RenderDeploymentsJson(computed), "deployments.json");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(RenderDeploymentsJson(*read), RenderDeploymentsJson(computed));
  EXPECT_EQ(read->ForBranch("example_service", "local.main")->GitSha(), kNew);
}

TEST(DeploymentsJsonTest, NothingDeployedIsEmptyButWellFormed) {
  EXPECT_EQ(RenderDeploymentsJson(ComputeDeployments(Fixture(), {})),
            R"({"v1": {}, "v2": {"controls": {}, "deployments": {}}})");
}

}  // namespace
}  // namespace paasta::generator
