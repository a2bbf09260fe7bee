#include "common/iso8601.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace paasta {
namespace {

TEST(IsoDurationTest, ParsesEveryDesignator) {
  // Each row: text, and its fixed part in seconds (calendar units aside).
  struct Row {
    const char* text;
    int64_t fixed_seconds;
    int64_t years, months;
  };
  const Row rows[] = {
      {"PT60S", 60, 0, 0},  {"PT1M", 60, 0, 0},    {"PT24H", 86400, 0, 0},
      {"P1D", 86400, 0, 0}, {"P1W", 604800, 0, 0}, {"P1DT1H1M1S", 90061, 0, 0},
      {"P1Y2M", 0, 1, 2},   {"PT0.5S", 0, 0, 0},  // half a second: fixed_seconds truncates to 0
      {"PT1,5S", 1, 0, 0},
  };
  for (const Row& row : rows) {
    const auto parsed = ParseIsoDuration(row.text);
    ASSERT_TRUE(parsed.ok()) << row.text << ": " << parsed.status();
    EXPECT_EQ(absl::ToInt64Seconds(parsed->FixedPart()), row.fixed_seconds) << row.text;
    EXPECT_EQ(parsed->years, row.years) << row.text;
    EXPECT_EQ(parsed->months, row.months) << row.text;
  }
  EXPECT_EQ(ParseIsoDuration("PT0.5S")->FixedPart(), absl::Milliseconds(500));
}

TEST(IsoDurationTest, RejectsMalformed) {
  // Each row is a string isodate (what PaaSTA validated with) also rejects.
  for (const char* bad : {"", "P", "PT", "60S", "PT60", "P1H", "PT1D", "P1M1Y", "P1.5D", "PxD", "P1DT", "PT-1S"}) {
    EXPECT_FALSE(ParseIsoDuration(bad).ok()) << bad;
  }
}

TEST(IsoDurationTest, RefusesComponentsTooLargeToMeanAnything) {
  EXPECT_TRUE(ParseIsoDuration("PT1000000M").ok());
  // The fuzzer's find: 66 digits of minutes became a negative count.
  const absl::StatusOr<IsoDuration> huge =
      ParseIsoDuration("P1Y2M3DT4H533333333333333333333333333333333333333333333333333333333333333333M6S");
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(absl::StrContains(huge.status().message(), "is too large")) << huge.status();
  EXPECT_FALSE(ParseIsoDuration("P1000001Y").ok());
}

TEST(IsoDateTimeTest, ParsesZonesAndFractions) {
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-25T00:00:00Z")), 1411603200);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-25T02:00:00+02:00")), 1411603200);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-24T17:00:00-0700")), 1411603200);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-25T09:00+09")), 1411603200);
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-25T00:00")), 1411603200);
  EXPECT_EQ(*ParseIsoDateTime("2014-09-25T00:00:00.250Z"), absl::FromUnixSeconds(1411603200) + absl::Milliseconds(250));
  absl::TimeZone los_angeles;
  ASSERT_TRUE(absl::LoadTimeZone("America/Los_Angeles", &los_angeles));
  // A zoneless time is read in the given zone (PDT is UTC-7 in September).
  EXPECT_EQ(absl::ToUnixSeconds(*ParseIsoDateTime("2014-09-24T17:00:00", los_angeles)), 1411603200);
}

TEST(IsoDateTimeTest, RejectsMalformed) {
  for (const char* bad : {"2014-09-25", "2014-9-25T00:00:00Z", "2014-09-25 00:00:00", "2014-02-30T00:00:00Z",
                          "2014-09-25T24:00:00Z", "2014-09-25T00:00:00X", "2014-09-25T00:00:00+25:00", "tomorrow"}) {
    EXPECT_FALSE(ParseIsoDateTime(bad).ok()) << bad;
  }
}

TEST(RepeatingIntervalTest, ParsesChronosSchedules) {
  auto schedule = ParseRepeatingInterval("R/2014-09-25T00:00:00Z/PT24H");
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  EXPECT_EQ(schedule->repetitions, -1);
  EXPECT_EQ(absl::ToUnixSeconds(schedule->start), 1411603200);
  EXPECT_EQ(schedule->period.hours, 24);

  schedule = ParseRepeatingInterval("R5//PT1M");
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  EXPECT_EQ(schedule->repetitions, 5);
  EXPECT_TRUE(schedule->start_text.empty());

  EXPECT_EQ(ParseRepeatingInterval("R0/2014-09-25T00:00:00Z/P1D")->repetitions, 0);
  for (const char* bad : {"R/2014-09-25T00:00:00Z", "5/2014-09-25T00:00:00Z/P1D", "R-1/2014-09-25T00:00:00Z/P1D",
                          "R/2014-09-25/P1D", "R/2014-09-25T00:00:00Z/1D", "BR7/2014-09-25T00:00:00Z/P1D"}) {
    EXPECT_FALSE(ParseRepeatingInterval(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace paasta
