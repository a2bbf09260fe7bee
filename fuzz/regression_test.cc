// Every fuzz target over its corpus (fuzz/corpus/<target>/): the seeds taken
// from the test fixtures and every input that once crashed it. An input that
// crashes fails here, in the ordinary test run, with no fuzzer needed.
#include <filesystem>

#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "fuzz/targets.h"
#include "gtest/gtest.h"

namespace paasta::fuzz {
namespace {

TEST(FuzzRegressionTest, EveryTargetSurvivesItsCorpus) {
  int inputs = 0;
  for (const NamedTarget& target : AllTargets()) {
    const std::string dir = testing::AbsolutePath(std::string("fuzz/corpus/") + target.name);
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << "no corpus for " << target.name;
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const absl::StatusOr<std::string> input = ReadFile(entry.path().string());
      ASSERT_TRUE(input.ok()) << entry.path();
      SCOPED_TRACE(entry.path().string());
      target.target(reinterpret_cast<const uint8_t*>(input->data()), input->size());
      ++count;
    }
    EXPECT_GT(count, 0) << target.name;
    inputs += count;
  }
  std::cout << "[ " << inputs << " corpus inputs over " << AllTargets().size() << " targets ]\n";
}

}  // namespace
}  // namespace paasta::fuzz
