#include "common/server/authorization.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

TEST(CallerPolicyTest, CallersChangeTheirServicesAndStarMeansAll) {
  absl::StatusOr<CallerPolicy> policy = CallerPolicy::Parse(
      "callers:\n  paasta-host: ['*']\n  alice: [example_service, example_batch]\n  nobody: []\n", "authz.yaml");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->caller_count(), 3u);
  EXPECT_TRUE(policy->MayChange("alice", "example_service"));
  EXPECT_TRUE(policy->MayChange("alice", "example_batch"));
  EXPECT_FALSE(policy->MayChange("alice", "example_worker"));
  EXPECT_FALSE(policy->MayChange("alice", ""));  // every service needs "*"
  EXPECT_TRUE(policy->MayChange("paasta-host", "example_worker"));
  EXPECT_TRUE(policy->MayChange("paasta-host", ""));
  EXPECT_FALSE(policy->MayChange("nobody", "example_service"));
  EXPECT_FALSE(policy->MayChange("mallory", "example_service"));
  EXPECT_FALSE(policy->MayChange("", "example_service"));
}

TEST(CallerPolicyTest, ProblemsNameTheFileLineAndKey) {
  absl::StatusOr<CallerPolicy> missing = CallerPolicy::Parse("allow: {}\n", "/etc/paasta/authz.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "/etc/paasta/authz.yaml")) << missing.status();
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "callers")) << missing.status();

  absl::StatusOr<CallerPolicy> not_list =
      CallerPolicy::Parse("callers:\n  alice: [a]\n  bob: example_service\n", "authz.yaml");
  ASSERT_FALSE(not_list.ok());
  EXPECT_TRUE(absl::StrContains(not_list.status().message(), "authz.yaml:3")) << not_list.status();
  EXPECT_TRUE(absl::StrContains(not_list.status().message(), "callers.bob")) << not_list.status();

  absl::StatusOr<CallerPolicy> not_yaml = CallerPolicy::Parse("callers: [\n", "authz.yaml");
  EXPECT_FALSE(not_yaml.ok());

  absl::StatusOr<CallerPolicy> absent = CallerPolicy::Load("/nonexistent/authz.yaml");
  ASSERT_FALSE(absent.ok());
  EXPECT_TRUE(absl::StrContains(absent.status().message(), "grpc_tls.policy_file")) << absent.status();
  EXPECT_TRUE(absl::StrContains(absent.status().message(), "/nonexistent/authz.yaml")) << absent.status();
}

TEST(ServiceOfTest, AppIdsTaskIdsAndJobNames) {
  EXPECT_EQ(ServiceOfAppId("example--service.main.git0123abcd.config89abcdef"), "example_service");
  EXPECT_EQ(ServiceOfAppId("example--service.main.git0123abcd.config89abcdef.3f2a"), "example_service");
  EXPECT_EQ(ServiceOfAppId("plain"), "plain");
  EXPECT_EQ(ServiceOfJobName("example_batch rollup"), "example_batch");
  EXPECT_EQ(ServiceOfJobName("tmp-2026-11-28T0100 example_batch rollup"), "example_batch");
  EXPECT_EQ(ServiceOfJobName("lonely"), "");
}

}  // namespace
}  // namespace paasta
