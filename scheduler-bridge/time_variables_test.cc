// Time variables as the original rendered them (§6.7), as tables of commands
// and times with their expected output, worked out by hand from Python's
// datetime rules (unixtime and daynumber checked with python3).
#include "scheduler-bridge/time_variables.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace paasta::scheduler {
namespace {

absl::Time At(int y, int m, int d, int h, int min) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), absl::UTCTimeZone());
}

struct Row {
  const char* command;
  const char* expected;
};

void ExpectRendered(absl::Time at, absl::TimeZone zone, const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    const auto rendered = RenderTimeVariables(row.command, at, zone, "svc.job");
    ASSERT_TRUE(rendered.ok()) << row.command << ": " << rendered.status();
    EXPECT_EQ(*rendered, row.expected) << row.command;
  }
}

TEST(TimeVariablesTest, EveryVariableWithOffsets) {
  // 2016-03-01 05:30 UTC: the day after a leap day.
  ExpectRendered(At(2016, 3, 1, 5, 30), absl::UTCTimeZone(),
                 {{"%(shortdate)s", "2016-03-01"},
                  {"%(shortdate-1)s", "2016-02-29"},
                  {"%(shortdate+365)s", "2017-03-01"},
                  {"%(year)s %(year-1)s %(year+10)s", "2016 2015 2026"},
                  {"%(month)s %(month-3)s %(month+10)s", "03 12 01"},
                  {"%(day)s %(day-1)s %(day+30)s", "01 29 31"},
                  {"%(hour)s %(hour-6)s %(hour+20)s", "05 23 01"},
                  {"%(unixtime)s %(unixtime-30)s %(unixtime)d", "1456810200 1456810170 1456810200"},
                  {"%(daynumber)s %(daynumber-1)i", "736024 736023"},
                  {"./rollup --date %(shortdate-1)s --hour %(hour)s", "./rollup --date 2016-02-29 --hour 05"},
                  {"echo %(year)r", "echo '2016'"},
                  {"no variables at all", "no variables at all"},
                  {"100%% of %(year)s %%(year)s", "100% of 2016 %(year)s"},
                  // The key is matched at its start only: whitespace drops the offset, and
                  // what follows a valid key is ignored, both as the original.
                  {"%(shortdate - 1)s", "2016-03-01"},
                  {"%(shortdate-1 days)s", "2016-02-29"}});
}

TEST(TimeVariablesTest, MonthAndYearEnds) {
  ExpectRendered(At(2016, 12, 31, 23, 0), absl::UTCTimeZone(),
                 {{"%(shortdate+1)s", "2017-01-01"},
                  {"%(hour+1)s %(day+1)s", "00 01"},
                  {"%(month+1)s %(month+13)s %(month-12)s", "01 01 12"},
                  {"%(year+1)s", "2017"}});
  ExpectRendered(At(2016, 1, 1, 0, 0), absl::UTCTimeZone(),
                 {{"%(shortdate-1)s", "2015-12-31"}, {"%(hour-1)s", "23"}, {"%(month-1)s", "12"}});
}

TEST(TimeVariablesTest, TheZoneDecidesTheCalendarNotTheInstant) {
  absl::TimeZone los_angeles;
  ASSERT_TRUE(absl::LoadTimeZone("America/Los_Angeles", &los_angeles));
  // 05:30 UTC on March 1 is 21:30 on February 29 in Los Angeles.
  ExpectRendered(
      At(2016, 3, 1, 5, 30), los_angeles,
      {{"%(shortdate)s %(hour)s", "2016-02-29 21"}, {"%(unixtime)s", "1456810200"}, {"%(daynumber)s", "736023"}});
}

TEST(TimeVariablesTest, ErrorsNameTheJobAndTheVariableAndRenderNothing) {
  const struct {
    absl::Time at;
    const char* command;
    const char* message;
  } rows[] = {
      {At(2016, 3, 1, 0, 0), "run %(shortdate)s %(foo)s", "unknown time variable \"foo\""},
      {At(2016, 3, 1, 0, 0), "run %(shortdate1)s", "unknown time variable \"shortdate1\""},
      {At(2016, 1, 31, 0, 0), "run %(month+1)s", "day 31 does not exist in 2016-02"},
      {At(2016, 2, 29, 0, 0), "run %(year+1)s", "day 29 does not exist in 2017-02"},
      {At(2016, 3, 1, 0, 0), "date +%Y", "\"%Y\" is not a time variable"},
      {At(2016, 3, 1, 0, 0), "50%", "a % at the end"},
      {At(2016, 3, 1, 0, 0), "run %(shortdate", "a %( without its )"},
      {At(2016, 3, 1, 0, 0), "run %(shortdate)", "has no conversion"},
      {At(2016, 3, 1, 0, 0), "run %(shortdate)x", "only the conversions s, d, i and r"},
      {At(2016, 3, 1, 0, 0), "run %(shortdate)d", "the value is text"},
      {At(2016, 3, 1, 0, 0), "run %s", "\"%s\" is not a time variable"},
  };
  for (const auto& row : rows) {
    const auto rendered = RenderTimeVariables(row.command, row.at, absl::UTCTimeZone(), "example_batch.rollup");
    ASSERT_FALSE(rendered.ok()) << row.command << " rendered as " << *rendered;
    EXPECT_TRUE(absl::IsInvalidArgument(rendered.status()));
    EXPECT_TRUE(absl::StartsWith(rendered.status().message(), "example_batch.rollup: cmd: ")) << rendered.status();
    EXPECT_TRUE(absl::StrContains(rendered.status().message(), row.message)) << rendered.status();
  }
}

TEST(TimeVariablesTest, HasTimeVariables) {
  EXPECT_TRUE(HasTimeVariables("run --date %(shortdate-1)s"));
  EXPECT_FALSE(HasTimeVariables("run --percent 100%%"));
  EXPECT_FALSE(HasTimeVariables("run %%(shortdate)s"));
  EXPECT_FALSE(HasTimeVariables("run"));
}

}  // namespace
}  // namespace paasta::scheduler
