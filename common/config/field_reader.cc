#include "common/config/field_reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paasta::config {

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

NumberRange NumberRange::AtLeast(double min) {
  NumberRange range;
  range.min = min;
  return range;
}

NumberRange NumberRange::Above(double greater_than) {
  NumberRange range;
  range.greater_than = greater_than;
  return range;
}

NumberRange NumberRange::Between(double min, double max) {
  NumberRange range;
  range.min = min;
  range.max = max;
  return range;
}

NumberRange NumberRange::AboveAtMost(double greater_than, double max) {
  NumberRange range;
  range.greater_than = greater_than;
  range.max = max;
  return range;
}

namespace {

// 1000000 as "1000000", 0.5 as "0.5".
std::string FormatBound(double bound) {
  if (bound == std::floor(bound) && std::fabs(bound) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(bound));
  }
  return absl::StrCat(bound);
}

std::string RangeText(const NumberRange& range) {
  std::vector<std::string> parts;
  if (range.greater_than) parts.push_back(absl::StrCat("greater than ", FormatBound(*range.greater_than)));
  if (range.min) parts.push_back(absl::StrCat("at least ", FormatBound(*range.min)));
  if (range.max) parts.push_back(absl::StrCat("at most ", FormatBound(*range.max)));
  return absl::StrJoin(parts, " and ");
}

}  // namespace

FieldReader::FieldReader(const ConfigValue& map, std::string instance,
                         std::vector<Problem>* problems, std::string key_prefix)
    : map_(map),
      instance_(std::move(instance)),
      problems_(problems),
      key_prefix_(std::move(key_prefix)) {
  if (!map_.IsMap() && !map_.IsNull()) {
    problems_->push_back({Problem::Severity::kError, map_.position(), instance_,
                          key_prefix_.empty() ? "" : key_prefix_.substr(0, key_prefix_.size() - 1),
                          absl::StrCat("expected a map of keys, found ", map_.Describe())});
  }
}

void FieldReader::Add(Problem::Severity severity, absl::string_view key,
                      const std::string& message) {
  const ConfigValue* value = map_.Find(key);
  problems_->push_back({severity, value != nullptr ? value->position() : map_.position(),
                        instance_, absl::StrCat(key_prefix_, key), message});
}

void FieldReader::Error(absl::string_view key, const std::string& message) {
  Add(Problem::Severity::kError, key, message);
}

void FieldReader::Warning(absl::string_view key, const std::string& message) {
  Add(Problem::Severity::kWarning, key, message);
}

const ConfigValue* FieldReader::Lookup(absl::string_view key) {
  known_.insert(std::string(key));
  const ConfigValue* value = map_.Find(key);
  return value == nullptr || value->IsNull() ? nullptr : value;
}

const ConfigValue* FieldReader::Raw(absl::string_view key) { return Lookup(key); }

void FieldReader::Ignore(std::initializer_list<absl::string_view> keys) {
  for (absl::string_view key : keys) known_.insert(std::string(key));
}

bool FieldReader::CheckRange(absl::string_view key, const ConfigValue& value, double number,
                             const NumberRange& range, bool integer) {
  const bool ok = !std::isnan(number) && (!range.min || number >= *range.min) &&
                  (!range.greater_than || number > *range.greater_than) &&
                  (!range.max || number <= *range.max);
  if (!ok) {
    Error(key, absl::StrCat("must be ", integer ? "an integer" : "a number",
                            range.min || range.greater_than || range.max ? " " : "",
                            RangeText(range), ", found ", value.Describe()));
  }
  return ok;
}

bool FieldReader::Number(absl::string_view key, double* out, NumberRange range) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsNumber()) {
    Error(key, absl::StrCat("must be a number", range.min || range.greater_than || range.max ? " " : "",
                            RangeText(range), ", found ", value->Describe()));
    return false;
  }
  if (!CheckRange(key, *value, value->number_value(), range, false)) return false;
  *out = value->number_value();
  return true;
}

bool FieldReader::OptionalNumber(absl::string_view key, std::optional<double>* out,
                                 NumberRange range) {
  double number = 0;
  if (!Number(key, &number, range)) return false;
  *out = number;
  return true;
}

bool FieldReader::Integer(absl::string_view key, int64_t* out, NumberRange range) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsInt()) {
    Error(key, absl::StrCat("must be an integer", range.min || range.greater_than || range.max ? " " : "",
                            RangeText(range), ", found ", value->Describe()));
    return false;
  }
  if (!CheckRange(key, *value, static_cast<double>(value->int_value()), range, true)) return false;
  *out = value->int_value();
  return true;
}

bool FieldReader::OptionalInteger(absl::string_view key, std::optional<int64_t>* out,
                                  NumberRange range) {
  int64_t number = 0;
  if (!Integer(key, &number, range)) return false;
  *out = number;
  return true;
}

bool FieldReader::Bool(absl::string_view key, bool* out) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsBool()) {
    Error(key, absl::StrCat("must be true or false, found ", value->Describe()));
    return false;
  }
  *out = value->bool_value();
  return true;
}

bool FieldReader::String(absl::string_view key, std::string* out) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsString()) {
    Error(key, absl::StrCat("must be a string, found ", value->Describe()));
    return false;
  }
  *out = value->string_value();
  return true;
}

bool FieldReader::OptionalString(absl::string_view key, std::optional<std::string>* out) {
  std::string text;
  if (!String(key, &text)) return false;
  *out = std::move(text);
  return true;
}

bool FieldReader::Choice(absl::string_view key, const std::vector<std::string>& allowed,
                         std::optional<std::string>* out) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsString() ||
      std::find(allowed.begin(), allowed.end(), value->string_value()) == allowed.end()) {
    Error(key, absl::StrCat("must be one of ", absl::StrJoin(allowed, ", "), "; found ",
                            value->Describe()));
    return false;
  }
  *out = value->string_value();
  return true;
}

bool FieldReader::StringList(absl::string_view key, std::vector<std::string>* out) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsList()) {
    Error(key, absl::StrCat("must be a list of strings, found ", value->Describe()));
    return false;
  }
  std::vector<std::string> items;
  for (const ConfigValue& item : value->items()) {
    if (!item.IsString()) {
      problems_->push_back({Problem::Severity::kError, item.position(), instance_,
                            absl::StrCat(key_prefix_, key),
                            absl::StrCat("must be a list of strings, found an item ",
                                         item.Describe())});
      return false;
    }
    items.push_back(item.string_value());
  }
  *out = std::move(items);
  return true;
}

bool FieldReader::StringMap(absl::string_view key, std::map<std::string, std::string>* out) {
  const ConfigValue* value = Lookup(key);
  if (value == nullptr) return false;
  if (!value->IsMap()) {
    Error(key, absl::StrCat("must be a map of names to strings, found ", value->Describe()));
    return false;
  }
  std::map<std::string, std::string> entries;
  bool ok = true;
  for (const auto& [name, item] : value->entries()) {
    if (item.IsString()) {
      entries[name] = item.string_value();
    } else if (item.IsInt()) {
      entries[name] = absl::StrCat(item.int_value());
    } else {
      problems_->push_back({Problem::Severity::kError, item.position(), instance_,
                            absl::StrCat(key_prefix_, key, ".", name),
                            absl::StrCat("must be a string, found ", item.Describe(),
                                         " (quote it)")});
      ok = false;
    }
  }
  if (!ok) return false;
  *out = std::move(entries);
  return true;
}

void FieldReader::WarnAboutUnknownKeys(const std::set<std::string>& free_form_files) {
  if (!map_.IsMap()) return;
  for (const auto& [key, value] : map_.entries()) {
    if (known_.count(key) != 0) continue;
    if (free_form_files.count(value.position().file) != 0) continue;
    std::string message = "unknown key, ignored";
    int best = 3;  // suggest only near misses (at most 2 edits)
    std::string suggestion;
    for (const std::string& candidate : known_) {
      const int distance = EditDistance(key, candidate);
      if (distance < best) {
        best = distance;
        suggestion = candidate;
      }
    }
    if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean \"", suggestion, "\"?)");
    problems_->push_back({Problem::Severity::kWarning, value.position(), instance_,
                          absl::StrCat(key_prefix_, key), message});
  }
}

}  // namespace paasta::config
