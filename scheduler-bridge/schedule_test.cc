// Chronos schedules: a table of expressions and "next run at or after" times,
// worked out by hand from Chronos's rule (each run is the previous plus the
// period, in the job's zone), including a daylight-saving change in
// America/Los_Angeles (2016-03-13, 02:00 PST became 03:00 PDT).
#include "scheduler-bridge/schedule.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace paasta::scheduler {
namespace {

absl::Time Utc(const std::string& text) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &error)) << text << ": " << error;
  return t;
}

struct Row {
  const char* schedule;
  const char* zone;
  const char* after;     // UTC
  const char* expected;  // UTC, or "" for no further run
};

TEST(ScheduleTest, NextRuns) {
  const Row rows[] = {
      {"R/2016-01-01T00:00:00Z/PT1H", "", "2016-01-01T05:30:00Z", "2016-01-01T06:00:00Z"},
      {"R/2016-01-01T00:00:00Z/PT1H", "", "2016-01-01T06:00:00Z", "2016-01-01T06:00:00Z"},
      {"R/2016-01-01T00:00:00Z/PT1H", "", "2015-06-01T00:00:00Z", "2016-01-01T00:00:00Z"},
      {"R/2016-01-01T00:00:00Z/PT1M", "", "2026-11-28T09:00:00.5Z", "2026-11-28T09:01:00Z"},
      {"R/2016-01-01T00:00:00Z/PT90M", "", "2016-01-01T02:59:59Z", "2016-01-01T03:00:00Z"},
      // Five runs: January 1 to 5.
      {"R5/2016-01-01T00:00:00Z/P1D", "", "2016-01-03T12:00:00Z", "2016-01-04T00:00:00Z"},
      {"R5/2016-01-01T00:00:00Z/P1D", "", "2016-01-05T00:00:00Z", "2016-01-05T00:00:00Z"},
      {"R5/2016-01-01T00:00:00Z/P1D", "", "2016-01-05T00:00:01Z", ""},
      {"R0/2016-01-01T00:00:00Z/P1D", "", "2015-01-01T00:00:00Z", ""},
      {"R1/2016-01-01T00:00:00Z/P1D", "", "2016-01-01T00:00:00Z", "2016-01-01T00:00:00Z"},
      // Daily at 09:00 in Los Angeles: 17:00Z in winter, 16:00Z after the change.
      {"R/2016-03-12T09:00:00-08:00/P1D", "America/Los_Angeles", "2016-03-12T17:00:01Z", "2016-03-13T16:00:00Z"},
      {"R/2016-03-10T09:00:00-08:00/P1D", "America/Los_Angeles", "2016-03-20T00:00:00Z", "2016-03-20T16:00:00Z"},
      // PT24H is 24 real hours: 10:00 PDT.
      {"R/2016-03-12T09:00:00-08:00/PT24H", "America/Los_Angeles", "2016-03-12T17:00:01Z", "2016-03-13T17:00:00Z"},
      // Without a zone name the start's own offset is the zone: no change.
      {"R/2016-03-12T09:00:00-08:00/P1D", "", "2016-03-12T17:00:01Z", "2016-03-13T17:00:00Z"},
      // Weekly, across the change.
      {"R/2016-03-07T09:00:00-08:00/P1W", "America/Los_Angeles", "2016-03-08T00:00:00Z", "2016-03-14T16:00:00Z"},
      // Months drift as Chronos's stream does: January 31, February 29, March 29.
      {"R/2016-01-31T00:00:00Z/P1M", "", "2016-03-01T00:00:00Z", "2016-03-29T00:00:00Z"},
      {"R/2016-01-31T00:00:00Z/P1M", "", "2016-02-01T00:00:00Z", "2016-02-29T00:00:00Z"},
      {"R3/2016-01-31T00:00:00Z/P1M", "", "2016-03-30T00:00:00Z", ""},
      {"R/2016-02-29T12:00:00Z/P1Y", "", "2017-01-01T00:00:00Z", "2017-02-28T12:00:00Z"},
  };
  for (const Row& row : rows) {
    const absl::StatusOr<Schedule> schedule = Schedule::Parse(row.schedule, row.zone);
    ASSERT_TRUE(schedule.ok()) << row.schedule << ": " << schedule.status();
    const std::optional<absl::Time> next = schedule->NextRunAtOrAfter(Utc(row.after));
    if (std::string(row.expected).empty()) {
      EXPECT_FALSE(next.has_value()) << row.schedule << " after " << row.after << " gave "
                                     << absl::FormatTime(*next, absl::UTCTimeZone());
    } else {
      ASSERT_TRUE(next.has_value()) << row.schedule << " after " << row.after;
      EXPECT_EQ(*next, Utc(row.expected))
          << row.schedule << " after " << row.after << " gave " << absl::FormatTime(*next, absl::UTCTimeZone());
    }
  }
}

TEST(ScheduleTest, RefusedSchedules) {
  const struct {
    const char* schedule;
    const char* zone;
    const char* message;
  } rows[] = {
      {"R/2016-01-01T00:00:00Z/PT30S", "", "at least one minute"},
      {"R/2016-01-01T00:00:00Z/PT59S", "", "at least one minute"},
      {"R/2016-01-01T00:00:00Z/P", "", ""},
      {"R//PT1H", "", "has no start time"},
      {"R/2016-01-01T00:00:00Z/PT1H", "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\""},
      {"2016-01-01T00:00:00Z/PT1H", "", ""},
      {"R/yesterday/PT1H", "", ""},
  };
  for (const auto& row : rows) {
    const absl::StatusOr<Schedule> schedule = Schedule::Parse(row.schedule, row.zone);
    ASSERT_FALSE(schedule.ok()) << row.schedule;
    EXPECT_TRUE(absl::IsInvalidArgument(schedule.status())) << schedule.status();
    EXPECT_TRUE(absl::StrContains(schedule.status().message(), row.message)) << schedule.status();
  }
  EXPECT_TRUE(Schedule::Parse("R/2016-01-01T00:00:00Z/PT1M", "").ok()) << "exactly one minute is allowed";
}

}  // namespace
}  // namespace paasta::scheduler
