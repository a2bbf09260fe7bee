#include "common/iso8601.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace paasta {
namespace {

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\": ", why));
}

// Reads exactly `count` digits at `*pos` into `*value`.
bool ReadDigits(absl::string_view text, size_t* pos, int count, int* value) {
  if (*pos + count > text.size()) return false;
  int result = 0;
  for (int i = 0; i < count; ++i) {
    const char c = text[*pos + i];
    if (!absl::ascii_isdigit(c)) return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  *pos += count;
  return true;
}

bool ReadChar(absl::string_view text, size_t* pos, char c) {
  if (*pos < text.size() && text[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

}  // namespace

absl::Duration IsoDuration::FixedPart() const {
  return absl::Hours(24 * 7 * weeks) + absl::Hours(24 * days) + absl::Hours(hours) + absl::Minutes(minutes) +
         absl::Seconds(seconds);
}

// The largest number a duration component may have: a million years, hours
// or seconds.
constexpr double kMaxDurationComponent = 1e6;

absl::StatusOr<IsoDuration> ParseIsoDuration(absl::string_view text) {
  if (text.empty() || text[0] != 'P') return Invalid(text, "a duration starts with P");
  IsoDuration duration;
  bool in_time = false;
  bool any = false;
  // The designators allowed in order, before and after 'T'.
  const std::string date_order = "YMWD";
  const std::string time_order = "HMS";
  size_t next_date = 0;
  size_t next_time = 0;
  size_t pos = 1;
  while (pos < text.size()) {
    if (text[pos] == 'T') {
      if (in_time) return Invalid(text, "T appears twice");
      in_time = true;
      ++pos;
      if (pos == text.size()) return Invalid(text, "nothing follows T");
      continue;
    }
    const size_t number_start = pos;
    while (pos < text.size() && (absl::ascii_isdigit(text[pos]) || text[pos] == '.' || text[pos] == ',')) {
      ++pos;
    }
    if (pos == number_start) return Invalid(text, absl::StrCat("expected a number at position ", pos));
    if (pos == text.size()) return Invalid(text, "a number has no designator after it");
    std::string number(text.substr(number_start, pos - number_start));
    for (char& c : number) {
      if (c == ',') c = '.';
    }
    const char designator = text[pos++];
    const bool fraction = number.find('.') != std::string::npos;
    const std::string& order = in_time ? time_order : date_order;
    size_t& next = in_time ? next_time : next_date;
    const size_t index = order.find(designator, next);
    if (index == std::string::npos) {
      return Invalid(
          text, absl::StrCat("unexpected designator ", std::string(1, designator), in_time ? " after T" : " before T"));
    }
    next = index + 1;
    if (fraction && !(in_time && designator == 'S')) {
      return Invalid(text, "only seconds may have a fraction");
    }
    double value = 0;
    if (!absl::SimpleAtod(number, &value) || value < 0) {
      return Invalid(text, absl::StrCat("\"", number, "\" is not a number"));
    }
    // Beyond this no schedule means anything, and the conversion to integers
    // below would overflow (a huge count of minutes became a negative one).
    if (value > kMaxDurationComponent) {
      return Invalid(text, absl::StrCat("\"", number, "\" is too large (at most ", kMaxDurationComponent, ")"));
    }
    const int64_t whole = static_cast<int64_t>(value);
    if (in_time) {
      if (designator == 'H') duration.hours = whole;
      if (designator == 'M') duration.minutes = whole;
      if (designator == 'S') duration.seconds = value;
    } else {
      if (designator == 'Y') duration.years = whole;
      if (designator == 'M') duration.months = whole;
      if (designator == 'W') duration.weeks = whole;
      if (designator == 'D') duration.days = whole;
    }
    any = true;
  }
  if (!any) return Invalid(text, "a duration needs at least one component, e.g. PT1M");
  return duration;
}

absl::StatusOr<absl::Time> ParseIsoDateTime(absl::string_view text, absl::TimeZone default_zone) {
  size_t pos = 0;
  int year, month, day, hour, minute, second = 0;
  if (!ReadDigits(text, &pos, 4, &year) || !ReadChar(text, &pos, '-') || !ReadDigits(text, &pos, 2, &month) ||
      !ReadChar(text, &pos, '-') || !ReadDigits(text, &pos, 2, &day)) {
    return Invalid(text, "expected a date YYYY-MM-DD");
  }
  if (!ReadChar(text, &pos, 'T')) return Invalid(text, "expected T and a time after the date");
  if (!ReadDigits(text, &pos, 2, &hour) || !ReadChar(text, &pos, ':') || !ReadDigits(text, &pos, 2, &minute)) {
    return Invalid(text, "expected a time HH:MM[:SS]");
  }
  double fraction = 0;
  if (ReadChar(text, &pos, ':')) {
    if (!ReadDigits(text, &pos, 2, &second)) return Invalid(text, "expected seconds SS");
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      const size_t start = pos++;
      while (pos < text.size() && absl::ascii_isdigit(text[pos])) ++pos;
      if (pos == start + 1) return Invalid(text, "expected digits after the decimal point");
      std::string digits(text.substr(start + 1, pos - start - 1));
      fraction = std::stod("0." + digits);
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return Invalid(text, "a field is out of range");
  }
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.month() != month || civil.day() != day) {
    return Invalid(text, "no such day in that month");
  }
  absl::TimeZone zone = default_zone;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      zone = absl::UTCTimeZone();
      pos++;
    } else if (text[pos] == '+' || text[pos] == '-') {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int offset_hours = 0, offset_minutes = 0;
      if (!ReadDigits(text, &pos, 2, &offset_hours)) return Invalid(text, "expected a zone offset");
      if (ReadChar(text, &pos, ':')) {
        if (!ReadDigits(text, &pos, 2, &offset_minutes)) return Invalid(text, "expected zone minutes");
      } else if (pos < text.size()) {
        if (!ReadDigits(text, &pos, 2, &offset_minutes)) return Invalid(text, "expected zone minutes");
      }
      if (offset_hours > 23 || offset_minutes > 59) return Invalid(text, "zone offset out of range");
      zone = absl::FixedTimeZone(sign * (offset_hours * 3600 + offset_minutes * 60));
    }
    if (pos != text.size()) return Invalid(text, "unexpected text after the time");
  }
  return absl::FromCivil(civil, zone) + absl::Seconds(fraction);
}

absl::StatusOr<RepeatingInterval> ParseRepeatingInterval(absl::string_view text, absl::TimeZone default_zone) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 3) return Invalid(text, "expected R[n]/<start>/<period>");
  RepeatingInterval interval;
  const absl::string_view repeat = parts[0];
  if (repeat.empty() || repeat[0] != 'R') return Invalid(text, "the repeat must be R or Rn");
  if (repeat.size() > 1) {
    for (char c : repeat.substr(1)) {
      if (!absl::ascii_isdigit(c)) return Invalid(text, "the repeat must be R or Rn");
    }
    if (!absl::SimpleAtoi(repeat.substr(1), &interval.repetitions)) {
      return Invalid(text, "the repeat count is too large");
    }
  }
  interval.start_text = std::string(parts[1]);
  if (!interval.start_text.empty()) {
    absl::StatusOr<absl::Time> start = ParseIsoDateTime(parts[1], default_zone);
    if (!start.ok()) return start.status();
    interval.start = *start;
  }
  absl::StatusOr<IsoDuration> period = ParseIsoDuration(parts[2]);
  if (!period.ok()) return period.status();
  interval.period = *period;
  return interval;
}

}  // namespace paasta
