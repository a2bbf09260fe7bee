#include "common/config/deployments.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::config {
namespace {

constexpr char kSha[] = "3f596a503944b7ef7b534e00087d9c7f2f1c511a";

TEST(DeploymentsTest, ReadsV1AndV2) {
  const std::string text = absl::StrCat(R"({
    "v1": {
      "svc:paasta-local.main": {"docker_image": "services-svc:paasta-)", kSha, R"(",
                                "desired_state": "stop", "force_bounce": "20161107T101010"},
      "svc:paasta-local.canary": {"docker_image": "services-svc:paasta-)", kSha, R"("}
    },
    "v2": {
      "deployments": {"local.everything": {"docker_image": "services-svc:paasta-)", kSha,
                                         R"(", "git_sha": ")", kSha, R"("}},
      "controls": {"svc:local.main": {"desired_state": "stop", "force_bounce": "20161107T101010"}}
    }})");
  const absl::StatusOr<Deployments> parsed = ParseDeployments(text, "deployments.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const BranchDeployment* main = parsed->ForBranch("svc", "local.main");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->desired_state, DesiredState::kStop);
  EXPECT_EQ(main->force_bounce, "20161107T101010");
  EXPECT_EQ(main->GitSha(), kSha);
  // Missing keys take the reader's defaults: start, no force_bounce.
  const BranchDeployment* canary = parsed->ForBranch("svc", "local.canary");
  ASSERT_NE(canary, nullptr);
  EXPECT_EQ(canary->desired_state, DesiredState::kStart);
  EXPECT_FALSE(canary->force_bounce.has_value());
  EXPECT_EQ(parsed->ForBranch("svc", "local.nope"), nullptr);
  EXPECT_EQ(parsed->deploy_groups.at("local.everything").git_sha, kSha);
  EXPECT_EQ(parsed->controls.at("svc:local.main").desired_state, DesiredState::kStop);
}

TEST(DeploymentsTest, ReadsTheLegacyFlatForm) {
  const absl::StatusOr<Deployments> parsed = ParseDeployments(
      R"({"svc:paasta-local.main": "services-svc:paasta-abc123"})", "deployments.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const BranchDeployment* main = parsed->ForBranch("svc", "local.main");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->docker_image, "services-svc:paasta-abc123");
  EXPECT_EQ(main->desired_state, DesiredState::kStart);
  EXPECT_FALSE(main->force_bounce.has_value());
  EXPECT_EQ(main->GitSha(), "abc123");
}

TEST(DeploymentsTest, MalformedInputNamesFileAndKey) {
  auto parsed = ParseDeployments(R"({"v1": {"svc:paasta-local.main": {"desired_state": "paused"}}})",
                                 "/soa/svc/deployments.json");
  EXPECT_EQ(parsed.status().message(),
            "/soa/svc/deployments.json: v1.svc:paasta-local.main.desired_state: must be \"start\" "
            "or \"stop\", found \"paused\"");
  parsed = ParseDeployments("[1]", "d.json");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  parsed = ParseDeployments("{", "d.json");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DeploymentsTest, MissingFileSaysSo) {
  const std::string soa = testing::NewTempDir("soa");
  ::mkdir((soa + "/svc").c_str(), 0755);
  const auto missing = ReadDeployments(soa, "svc");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no deployments.json for svc"), std::string::npos);
  ASSERT_TRUE(WriteFileAtomically(soa + "/svc/deployments.json", R"({"v1": {}, "v2": {}})").ok());
  EXPECT_TRUE(ReadDeployments(soa, "svc").ok());
  EXPECT_EQ(ReadDeployments(soa, "../svc").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace paasta::config
