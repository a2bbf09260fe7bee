#include "scheduler-bridge/time_variables.h"

#include <cctype>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"

namespace paasta::scheduler {
namespace {

constexpr char kKnown[] = "shortdate, year, month, day, hour, unixtime, daynumber";

bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Python's datetime(year, month, day, hour): the date must exist.
bool ValidDate(int64_t year, int month, int day) {
  if (year < 1 || year > 9999) return false;
  const absl::CivilDay normalized(year, month, day);
  return normalized.year() == year && normalized.month() == month && normalized.day() == day;
}

// The original's macro_timedelta: years and months rebuild the date (which must
// exist), days and hours are then added.
absl::StatusOr<absl::CivilHour> Shift(absl::CivilHour start, int64_t years, int64_t months, int64_t days,
                                      int64_t hours) {
  int64_t month0 = start.month() - 1 + months;
  int64_t year = start.year() + years + (month0 >= 0 ? month0 / 12 : -((11 - month0) / 12));
  const int month = static_cast<int>(((month0 % 12) + 12) % 12) + 1;
  if (!ValidDate(year, month, start.day())) {
    return absl::InvalidArgumentError(absl::StrFormat("day %d does not exist in %04d-%02d", start.day(), year, month));
  }
  absl::CivilHour shifted(year, month, start.day(), start.hour());
  shifted += days * 24 + hours;
  if (shifted.year() < 1 || shifted.year() > 9999) return absl::InvalidArgumentError("the date is out of range");
  return shifted;
}

// The value of one key as Python's str() of it, and whether it is an int.
struct Rendered {
  std::string text;
  bool integer = false;
};

absl::StatusOr<Rendered> Value(absl::string_view key, absl::CivilSecond now, absl::TimeZone zone) {
  size_t end = 0;
  while (end < key.size() && IsWord(key[end])) ++end;
  const absl::string_view attr = key.substr(0, end);
  int64_t delta = 0;
  if (end + 1 < key.size() && (key[end] == '+' || key[end] == '-') &&
      std::isdigit(static_cast<unsigned char>(key[end + 1]))) {
    size_t digits = end + 1;
    while (digits < key.size() && std::isdigit(static_cast<unsigned char>(key[digits]))) ++digits;
    if (!absl::SimpleAtoi(key.substr(end, digits - end), &delta)) {
      return absl::InvalidArgumentError("the offset is too large");
    }
  }
  const absl::CivilHour hour(now);
  auto shifted = [&](int64_t years, int64_t months, int64_t days, int64_t hours) {
    return Shift(hour, years, months, days, hours);
  };
  absl::StatusOr<absl::CivilHour> at(hour);
  std::string out;
  if (attr == "shortdate") {
    at = shifted(0, 0, delta, 0);
    if (at.ok()) out = absl::StrFormat("%04d-%02d-%02d", at->year(), at->month(), at->day());
  } else if (attr == "year") {
    at = shifted(delta, 0, 0, 0);
    if (at.ok()) out = absl::StrFormat("%04d", at->year());
  } else if (attr == "month") {
    at = shifted(0, delta, 0, 0);
    if (at.ok()) out = absl::StrFormat("%02d", at->month());
  } else if (attr == "day") {
    at = shifted(0, 0, delta, 0);
    if (at.ok()) out = absl::StrFormat("%02d", at->day());
  } else if (attr == "hour") {
    at = shifted(0, 0, 0, delta);
    if (at.ok()) out = absl::StrFormat("%02d", at->hour());
  } else if (attr == "unixtime") {
    const int64_t seconds = absl::ToUnixSeconds(absl::FromCivil(now, zone)) + delta;
    if (seconds == 0) return absl::InvalidArgumentError("the value is 0");  // falsy: the original's KeyError
    return Rendered{absl::StrCat(seconds), true};
  } else if (attr == "daynumber") {
    // date.toordinal(): 0001-01-01 is day 1.
    const int64_t ordinal = (absl::CivilDay(now) - absl::CivilDay(1, 1, 1)) + 1 + delta;
    if (ordinal == 0) return absl::InvalidArgumentError("the value is 0");
    return Rendered{absl::StrCat(ordinal), true};
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown time variable \"", attr, "\" (known: ", kKnown, ")"));
  }
  if (!at.ok()) return at.status();
  return Rendered{out, false};
}

}  // namespace

absl::StatusOr<std::string> RenderTimeVariables(absl::string_view command, absl::Time at, absl::TimeZone zone,
                                                absl::string_view job) {
  const absl::CivilSecond now = absl::ToCivilSecond(at, zone);
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(job, ": cmd: ", what, " (in: ", command, ")"));
  };
  std::string out;
  for (size_t i = 0; i < command.size(); ++i) {
    if (command[i] != '%') {
      out += command[i];
      continue;
    }
    if (i + 1 >= command.size()) return error("a % at the end; write %% for a percent sign");
    if (command[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    if (command[i + 1] != '(') {
      return error(absl::StrCat("\"%", command.substr(i + 1, 1),
                                "\" is not a time variable; write %% for a percent sign, %(name)s for a variable"));
    }
    const size_t close = command.find(')', i + 2);
    if (close == absl::string_view::npos) return error("a %( without its )");
    const absl::string_view key = command.substr(i + 2, close - i - 2);
    if (close + 1 >= command.size()) return error(absl::StrCat("%(", key, ") has no conversion; write %(", key, ")s"));
    const char conversion = command[close + 1];
    if (conversion != 's' && conversion != 'd' && conversion != 'i' && conversion != 'r') {
      return error(absl::StrCat("%(", key, ")", std::string(1, conversion),
                                ": only the conversions s, d, i and r are supported"));
    }
    absl::StatusOr<Rendered> value = Value(key, now, zone);
    if (!value.ok())
      return error(absl::StrCat("%(", key, ")", std::string(1, conversion), ": ", value.status().message()));
    if ((conversion == 'd' || conversion == 'i') && !value->integer) {
      return error(absl::StrCat("%(", key, ")", std::string(1, conversion), ": the value is text; use %(", key, ")s"));
    }
    // %r of a str is its repr: quoted.
    out += conversion == 'r' && !value->integer ? absl::StrCat("'", value->text, "'") : value->text;
    i = close + 1;
  }
  return out;
}

bool HasTimeVariables(absl::string_view command) {
  for (size_t i = 0; i + 1 < command.size(); ++i) {
    if (command[i] == '%' && command[i + 1] == '%') {
      ++i;
    } else if (command[i] == '%' && command[i + 1] == '(') {
      return true;
    }
  }
  return false;
}

}  // namespace paasta::scheduler
