#include "scheduler-bridge/schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace paasta::scheduler {
namespace {

// The zone a start such as "2016-01-01T00:00:00-08:00" was written in: its
// fixed offset ("Z" and no offset are UTC).
absl::TimeZone WrittenZone(absl::string_view start) {
  if (start.size() >= 6) {
    const absl::string_view tail = start.substr(start.size() - 6);
    int hours = 0, minutes = 0;
    if ((tail[0] == '+' || tail[0] == '-') && tail[3] == ':' && absl::SimpleAtoi(tail.substr(1, 2), &hours) &&
        absl::SimpleAtoi(tail.substr(4, 2), &minutes)) {
      const int seconds = (hours * 60 + minutes) * 60;
      return absl::FixedTimeZone(tail[0] == '-' ? -seconds : seconds);
    }
  }
  return absl::UTCTimeZone();
}

absl::Duration ClockPart(const IsoDuration& period) {
  return absl::Hours(period.hours) + absl::Minutes(period.minutes) + absl::Seconds(period.seconds);
}

int64_t DateDays(const IsoDuration& period) { return period.weeks * 7 + period.days; }

}  // namespace

absl::StatusOr<Schedule> Schedule::Parse(absl::string_view text, absl::string_view time_zone) {
  absl::StatusOr<RepeatingInterval> interval = ParseRepeatingInterval(text);
  if (!interval.ok()) return interval.status();
  if (interval->start_text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("schedule \"", text, "\" has no start time"));
  }
  const IsoDuration& period = interval->period;
  if (!period.HasCalendarUnits() && period.FixedPart() < absl::Minutes(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("schedule \"", text, "\": jobs must run at an interval of at least one minute"));
  }
  absl::TimeZone zone = WrittenZone(interval->start_text);
  if (!time_zone.empty() && !absl::LoadTimeZone(std::string(time_zone), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", time_zone, "\" (a tz database name such as America/Los_Angeles)"));
  }
  return Schedule(interval->repetitions, interval->start, period, zone);
}

absl::Time Schedule::After(absl::Time run) const {
  const absl::CivilSecond local = absl::ToCivilSecond(run, zone_);
  // Years and months as Joda adds them: the day is kept, or the month's last day.
  const absl::CivilMonth month = absl::CivilMonth(local) + (period_.years * 12 + period_.months);
  const int last_day = static_cast<int>((absl::CivilDay(absl::CivilMonth(month + 1)) - 1).day());
  const absl::CivilSecond moved(month.year(), month.month(), std::min(local.day(), last_day), local.hour(),
                                local.minute(), local.second());
  const absl::CivilSecond dated = moved + DateDays(period_) * 86400;
  return absl::FromCivil(dated, zone_) + (run - absl::FromCivil(local, zone_)) + ClockPart(period_);
}

absl::Time Schedule::Run(int64_t k) const {
  const absl::CivilSecond local = absl::ToCivilSecond(start_, zone_);
  return absl::FromCivil(local + k * DateDays(period_) * 86400, zone_) + (start_ - absl::FromCivil(local, zone_)) +
         k * ClockPart(period_);
}

std::optional<absl::Time> Schedule::NextRunAtOrAfter(absl::Time t) const {
  const auto allowed = [&](int64_t k) { return repetitions_ < 0 || k < repetitions_; };
  if (!allowed(0)) return std::nullopt;
  if (t <= start_) return start_;
  if (period_.HasCalendarUnits()) {
    // Months and years drift (January 31, February 29, March 29): step.
    absl::Time run = start_;
    for (int64_t k = 0; allowed(k); ++k) {
      if (run >= t) return run;
      const absl::Time next = After(run);
      if (next <= run) return std::nullopt;  // a period that does not move time on never reaches t
      run = next;
    }
    return std::nullopt;
  }
  // Fixed-length steps apart from daylight-saving shifts: jump, then adjust.
  int64_t k = static_cast<int64_t>(std::floor(absl::FDivDuration(t - start_, period_.FixedPart())));
  k = std::max<int64_t>(0, k - 1);
  while (k > 0 && Run(k - 1) >= t) --k;
  while (Run(k) < t) ++k;
  if (!allowed(k)) return std::nullopt;
  return Run(k);
}

}  // namespace paasta::scheduler
