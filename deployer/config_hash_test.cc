#include "deployer/config_hash.h"

#include <sys/wait.h>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::deployer {
namespace {

TEST(ConfigHashTest, TheOriginalsKnownVector) {
  // §3.2: {'foo': 'bar'} hashes to config94232c5b.
  EXPECT_EQ(ConfigHash({{"foo", "bar"}}, ""), "config94232c5b");
}

TEST(ConfigHashTest, WritesJsonAsPythonDoes) {
  const nlohmann::json app = {{"mem", 1024.0},   {"cpus", 0.25},  {"cmd", nullptr},
                              {"instances", 3},  {"env", {{"B", "2"}, {"A", "é"}}},
                              {"args", {"a", true, 1e-5, 1e16}}};
  const std::string dumped = PythonJsonDumps(app);
  EXPECT_EQ(dumped,
            R"({"args": ["a", true, 1e-05, 1e+16], "cmd": null, "cpus": 0.25, )"
            R"("env": {"A": "\u00e9", "B": "2"}, "instances": 3, "mem": 1024.0})");
  // And python3 itself agrees.
  const std::string dir = testing::NewTempDir("python");
  ASSERT_TRUE(WriteFileAtomically(dir + "/in.json", dumped).ok());
  auto python = testing::ChildProcess::Start(
      {"/usr/bin/python3", "-c",
       "import json,sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))",
       dir + "/in.json"},
      dir + "/out");
  ASSERT_TRUE(python.ok());
  const auto status = (*python)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << (*python)->Output();
  EXPECT_EQ((*python)->Output(), dumped);
}

TEST(ConfigHashTest, StableForReorderedKeysAndChangedByForceBounce) {
  const nlohmann::json a = nlohmann::json::parse(R"({"cpus": 0.25, "env": {"X": "1", "Y": "2"}})");
  const nlohmann::json b = nlohmann::json::parse(R"({"env": {"Y": "2", "X": "1"}, "cpus": 0.25})");
  EXPECT_EQ(ConfigHash(a, ""), ConfigHash(b, ""));
  EXPECT_NE(ConfigHash(a, ""), ConfigHash(a, "20161107T101010"));
  EXPECT_NE(ConfigHash(a, "20161107T101010"), ConfigHash(a, "20161107T101011"));
}

TEST(AppIdTest, UnderscoresBecomeDoubleDashes) {
  EXPECT_EQ(AppId("example_service", "main_worker", "3f596a503944b7ef7b534e00087d9c7f2f1c511a",
                  "config94232c5b"),
            "example--service.main--worker.git3f596a50.config94232c5b");
  EXPECT_EQ(AppIdPrefix("example_service", "main"), "example--service.main");
}

}  // namespace
}  // namespace paasta::deployer
