#include "deployer/generator/tags.h"

#include "gtest/gtest.h"

namespace paasta::generator {
namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');

git::Ref R(const std::string& tag, const std::string& sha) { return {"refs/tags/" + tag, sha}; }

TEST(LatestDeployTagTest, NewestTimestampWins) {
  const std::vector<git::Ref> refs = {
      R("paasta-local.everything-20161107T101010-deploy", kA),
      R("paasta-local.everything-20161108T090000-deploy", kB),
      // Not this group: a longer group name, a malformed timestamp, a control tag.
      R("paasta-local.everything-canary-20161109T000000-deploy", kA),
      R("paasta-local.everything-2016110T000000-deploy", kA),
      R("paasta-local.everything-20161109T000000-stop", kA),
      R("v1.0", kA),
  };
  const auto latest = LatestDeployTag(refs, "local.everything");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->sha, kB);
  EXPECT_EQ(latest->timestamp, "20161108T090000");
  EXPECT_EQ(LatestDeployTag(refs, "local.everything-canary")->sha, kA);
  EXPECT_FALSE(LatestDeployTag(refs, "prod.everything").has_value());
  // The group is matched literally, not as a pattern: "." is not a wildcard.
  EXPECT_FALSE(LatestDeployTag(refs, "localXeverything").has_value());
}

TEST(ControlStateAtTest, OnlyTagsAtTheDeployShaCountAndNewestWins) {
  // Each row: the refs, and the state of branch local.main with deploy sha kB.
  struct Row {
    const char* what;
    std::vector<git::Ref> refs;
    config::DesiredState state;
    std::optional<std::string> force_bounce;
  };
  const Row rows[] = {
      {"no control tags: start", {}, config::DesiredState::kStart, std::nullopt},
      {"a stop at the deploy sha", {R("paasta-local.main-20161108T100000-stop", kB)},
       config::DesiredState::kStop, "20161108T100000"},
      {"a stop at an older deploy is ignored (a new deploy resets stop)",
       {R("paasta-local.main-20161108T100000-stop", kA)}, config::DesiredState::kStart,
       std::nullopt},
      {"the newest of start and stop wins",
       {R("paasta-local.main-20161108T100000-stop", kB),
        R("paasta-local.main-20161108T110000-start", kB)},
       config::DesiredState::kStart, "20161108T110000"},
      {"up to two paasta- prefixes are tolerated",
       {R("paasta-paasta-local.main-20161108T120000-stop", kB)}, config::DesiredState::kStop,
       "20161108T120000"},
      {"no prefix is tolerated too", {R("local.main-20161108T130000-stop", kB)},
       config::DesiredState::kStop, "20161108T130000"},
      {"three prefixes are not", {R("paasta-paasta-paasta-local.main-20161108T120000-stop", kB)},
       config::DesiredState::kStart, std::nullopt},
      {"a deploy tag is not a control tag", {R("paasta-local.main-20161108T100000-deploy", kB)},
       config::DesiredState::kStart, std::nullopt},
      {"another instance sharing the prefix does not count",
       {R("paasta-local.main-1-20161108T100000-stop", kB)}, config::DesiredState::kStart,
       std::nullopt},
  };
  for (const Row& row : rows) {
    const ControlState state = ControlStateAt(row.refs, "local.main", kB);
    EXPECT_EQ(state.desired_state, row.state) << row.what;
    EXPECT_EQ(state.force_bounce, row.force_bounce) << row.what;
  }
}

TEST(TagNamesTest, FormatsAsTheOriginal) {
  const absl::Time time = absl::FromUnixSeconds(1478513410);  // 2016-11-07T10:10:10Z
  EXPECT_EQ(TagTimestamp(time), "20161107T101010");
  EXPECT_EQ(DeployTagName("local.everything", time), "paasta-local.everything-20161107T101010-deploy");
  EXPECT_EQ(ControlTagName("local.main", time, config::DesiredState::kStop),
            "paasta-local.main-20161107T101010-stop");
  EXPECT_EQ(ControlTagName("local.main", time, config::DesiredState::kStart),
            "paasta-local.main-20161107T101010-start");
}

}  // namespace
}  // namespace paasta::generator
