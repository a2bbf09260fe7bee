// Every validation rule has a failing fixture: a soa-configs folder under
// testdata/validation/<rule>/ and, beside it, expected.txt with the exact
// problems `paasta validate` reports (file:line: service.instance: key: message),
// paths relative to the fixture.
#include <dirent.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/config/validate.h"
#include "common/file_util.h"
#include "gtest/gtest.h"

namespace paasta::config {
namespace {

constexpr char kFixtures[] = "tests/testdata/validation";

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kFixtures);
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::string Render(const std::vector<Problem>& problems, const std::string& root) {
  std::string out;
  for (const Problem& problem : problems) {
    std::string line = problem.ToString();
    absl::string_view view = line;
    absl::ConsumePrefix(&view, root + "/");
    absl::StrAppend(&out, view, "\n");
  }
  return out;
}

class ValidationFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidationFixtureTest, ReportsExactlyTheExpectedProblems) {
  const std::string root = absl::StrCat(kFixtures, "/", GetParam());
  const absl::StatusOr<std::string> expected = ReadFile(root + "/expected.txt");
  ASSERT_TRUE(expected.ok()) << expected.status();
  const absl::StatusOr<ValidationResult> result = Validate(SoaDir(root), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Render(result->problems, root), *expected);
  // The fixture fails validation exactly when it expects an error.
  bool expects_error = false;
  for (absl::string_view line : absl::StrSplit(*expected, '\n', absl::SkipEmpty())) {
    // A problem's first line starts with a path of the fixture; continuation
    // lines of multi-line messages do not.
    const std::string path = absl::StrCat(root, "/", line.substr(0, line.find(':')));
    if (::access(path.c_str(), F_OK) != 0) continue;
    expects_error |= line.find(": warning: ") == absl::string_view::npos;
  }
  EXPECT_EQ(HasErrors(result->problems), expects_error);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ValidationFixtureTest, ::testing::ValuesIn(FixtureNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(ValidationTest, EveryRuleHasAFixture) {
  // A guard against fixtures going missing from the data dependency.
  EXPECT_GE(FixtureNames().size(), 20u);
}

TEST(ValidationTest, TwentyProblemsAreTwentyErrors) {
  const std::string root = absl::StrCat(kFixtures, "/twenty_problems");
  const absl::StatusOr<ValidationResult> result = Validate(SoaDir(root), {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->problems.size(), 20u);
  for (const Problem& problem : result->problems) {
    EXPECT_EQ(problem.severity, Problem::Severity::kError) << problem.ToString();
    EXPECT_EQ(problem.instance, "svc.main");
  }
}

TEST(ValidationTest, ProblemsOfParentServicesAreNotReportedAsTheChilds) {
  // chronos_parents: validating only svc still finds other.c (for the cycle)
  // but reports nothing that belongs to "other".
  const std::string root = absl::StrCat(kFixtures, "/chronos_parents");
  const absl::StatusOr<ValidationResult> result = Validate(SoaDir(root), {"svc"});
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result->problems.empty());
  for (const Problem& problem : result->problems) {
    EXPECT_EQ(problem.instance.substr(0, 4), "svc.") << problem.ToString();
  }
}

TEST(ValidationTest, PathEscapingServiceNamesAreRefusedBeforeAnyFileIsOpened) {
  // The root does not exist: a NOT_FOUND would mean the file system was asked.
  const SoaDir soa("/nonexistent-soa-dir");
  // (Strings, not pointers: a pointer into a temporary string would dangle.)
  const std::vector<std::string> names = {
      "../etc", "/etc", "a/b", "..", "", "has space", "Upper", "svc\n", std::string(64, 'a')};
  for (const std::string& name : names) {
    std::vector<Problem> problems;
    const absl::StatusOr<ServiceConfig> loaded = soa.LoadService(name, &problems);
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << name;
    const absl::StatusOr<ValidationResult> validated = Validate(soa, {name});
    EXPECT_EQ(validated.status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_EQ(soa.LoadService(std::string(63, 'a'), nullptr).status().code(), absl::StatusCode::kNotFound);
}

TEST(ValidationTest, TheExamplesAreValid) {
  const absl::StatusOr<ValidationResult> result = Validate(SoaDir("examples/soa-configs"), {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Render(result->problems, "examples/soa-configs"), "");
  EXPECT_EQ(result->services, (std::vector<std::string>{"example_batch", "example_service", "example_worker"}));
}

}  // namespace
}  // namespace paasta::config
