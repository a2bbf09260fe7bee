// FieldReader: reads the keys of one config map into typed fields, recording a
// Problem (file, line, instance, key, found vs. allowed) for every value of the
// wrong type or out of range, and a warning with a "did you mean" for every key
// it was never asked about. Internal to the config loaders.
//
//   FieldReader reader(instance_map, "svc.main", &problems);
//   reader.Number("cpus", &config.cpus, NumberRange::Above(0));
//   reader.Integer("instances", &config.instances, NumberRange::AtLeast(0));
//   reader.WarnAboutUnknownKeys();
#ifndef PAASTA_COMMON_CONFIG_FIELD_READER_H_
#define PAASTA_COMMON_CONFIG_FIELD_READER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/config/config_value.h"
#include "common/config/problem.h"

namespace paasta::config {

// Bounds for numbers; unset bounds do not apply.
struct NumberRange {
  std::optional<double> min;           // value >= min
  std::optional<double> greater_than;  // value > greater_than
  std::optional<double> max;           // value <= max

  static NumberRange AtLeast(double min);
  static NumberRange Above(double greater_than);
  static NumberRange Between(double min, double max);
  static NumberRange AboveAtMost(double greater_than, double max);
};

class FieldReader {
 public:
  // `map` must outlive the reader. A non-map `map` is reported once.
  FieldReader(const ConfigValue& map, std::string instance, std::vector<Problem>* problems,
              std::string key_prefix = "");

  // Each reader marks `key` as known. When the key is absent (or null) the
  // output keeps its default; when its value is unusable an error is recorded
  // and the output keeps its default. They return true if the key was present
  // and valid.
  bool Number(absl::string_view key, double* out, NumberRange range = {});
  bool Integer(absl::string_view key, int64_t* out, NumberRange range = {});
  bool OptionalInteger(absl::string_view key, std::optional<int64_t>* out, NumberRange range = {});
  bool OptionalNumber(absl::string_view key, std::optional<double>* out, NumberRange range = {});
  bool Bool(absl::string_view key, bool* out);
  bool String(absl::string_view key, std::string* out);
  bool OptionalString(absl::string_view key, std::optional<std::string>* out);
  // One of `allowed` (the message lists them).
  bool Choice(absl::string_view key, const std::vector<std::string>& allowed,
              std::optional<std::string>* out);
  bool StringList(absl::string_view key, std::vector<std::string>* out);
  // A map of string keys to strings (integers are accepted and written out).
  bool StringMap(absl::string_view key, std::map<std::string, std::string>* out);
  // The raw value of `key` (marked known), or null if absent or null.
  const ConfigValue* Raw(absl::string_view key);
  // Marks keys as known without reading them (free-form or read elsewhere).
  void Ignore(std::initializer_list<absl::string_view> keys);

  // Records an error about `key` (at its value's position, or the map's when absent).
  void Error(absl::string_view key, const std::string& message);
  void Warning(absl::string_view key, const std::string& message);

  // Warns about keys never read, suggesting the nearest known key. Keys whose
  // value comes from a file named in `free_form_files` (service.yaml) are
  // skipped: that file is free-form.
  void WarnAboutUnknownKeys(const std::set<std::string>& free_form_files = {});

  const ConfigValue& map() const { return map_; }
  // Where problems go (nested readers share it).
  std::vector<Problem>* problems() const { return problems_; }
  const std::string& instance() const { return instance_; }

 private:
  const ConfigValue* Lookup(absl::string_view key);
  bool CheckRange(absl::string_view key, const ConfigValue& value, double number,
                  const NumberRange& range, bool integer);
  void Add(Problem::Severity severity, absl::string_view key, const std::string& message);

  const ConfigValue& map_;
  const std::string instance_;
  std::vector<Problem>* const problems_;
  const std::string key_prefix_;
  std::set<std::string> known_;
};

// Levenshtein distance, for "did you mean".
int EditDistance(absl::string_view a, absl::string_view b);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_FIELD_READER_H_
