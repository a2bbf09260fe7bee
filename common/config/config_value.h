// ConfigValue: a parsed YAML or JSON document as a tree whose every node knows
// where it came from (file and line), so that errors found long after parsing
// (after service.yaml was merged under an instance, say) still name the file and
// line of the value at fault.
//
// Example:
//
//   ASSIGN_OR_RETURN(ConfigValue doc, ParseYamlFile("/nail/etc/services/svc/marathon-local.yaml"));
//   if (const ConfigValue* main = doc.Find("main")) {
//     if (const ConfigValue* cpus = main->Find("cpus"); cpus && cpus->IsNumber()) ...
//   }
//
// Plain YAML scalars are resolved the way PyYAML (which the original PaaSTA
// used) resolves them: null (~, null, empty), booleans (true/false, yes/no,
// on/off, in lower, Title or UPPER case), integers (decimal, 0x hex, 0o octal,
// underscores allowed), floats (1.5, 1e3, .inf, .nan); anything quoted is a
// string.
#ifndef PAASTA_COMMON_CONFIG_CONFIG_VALUE_H_
#define PAASTA_COMMON_CONFIG_CONFIG_VALUE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace paasta::config {

// Where a value was read: a file and a 1-based line (0 when unknown, as for
// JSON input).
struct SourcePosition {
  std::string file;
  int line = 0;

  // "file:line", or "file" when the line is unknown.
  std::string ToString() const;
};

class ConfigValue {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kList, kMap };

  ConfigValue() = default;
  static ConfigValue Null(SourcePosition position = {});
  static ConfigValue Bool(bool value, SourcePosition position = {});
  static ConfigValue Int(int64_t value, SourcePosition position = {});
  static ConfigValue Double(double value, SourcePosition position = {});
  static ConfigValue String(std::string value, SourcePosition position = {});
  static ConfigValue List(SourcePosition position = {});
  static ConfigValue Map(SourcePosition position = {});

  Kind kind() const { return kind_; }
  const SourcePosition& position() const { return position_; }

  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsBool() const { return kind_ == Kind::kBool; }
  bool IsInt() const { return kind_ == Kind::kInt; }
  // An int or a double.
  bool IsNumber() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsList() const { return kind_ == Kind::kList; }
  bool IsMap() const { return kind_ == Kind::kMap; }

  // The scalar values; each is only meaningful for its kind.
  bool bool_value() const { return bool_; }
  int64_t int_value() const { return int_; }
  // The number as a double (ints converted).
  double number_value() const { return kind_ == Kind::kInt ? static_cast<double>(int_) : double_; }
  const std::string& string_value() const { return string_; }

  // List items, in order.
  const std::vector<ConfigValue>& items() const { return items_; }
  void Append(ConfigValue value) { items_.push_back(std::move(value)); }

  // Map entries, in document order (keys are unique).
  const std::vector<std::pair<std::string, ConfigValue>>& entries() const { return entries_; }
  // The value at `key`, or null if this is not a map or has no such key.
  const ConfigValue* Find(absl::string_view key) const;
  ConfigValue* FindMutable(absl::string_view key);
  // Sets `key` (replacing an existing value, keeping its place).
  void Set(std::string key, ConfigValue value);
  // Removes `key` if present.
  void Erase(absl::string_view key);

  // "null", "a boolean", "an integer", "a number", "a string", "a list", "a map".
  std::string KindName() const;
  // A short rendering for messages: strings quoted, containers summarized, e.g.
  // "\"lots\"", "3.5", "a list of 2", "a map".
  std::string Describe() const;
  // The value as JSON text (keys in document order), for hashing and output.
  std::string ToJson() const;

 private:
  Kind kind_ = Kind::kNull;
  SourcePosition position_;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string string_;
  std::vector<ConfigValue> items_;
  std::vector<std::pair<std::string, ConfigValue>> entries_;
};

// Deep merge as the original's deep_merge_dictionaries(overrides, defaults):
// recursive over maps; a non-map on either side makes the override win whole;
// keys only in `defaults` survive. Each value keeps its own position.
ConfigValue DeepMerge(const ConfigValue& overrides, const ConfigValue& defaults);

// Limits that keep hostile input (aliases that expand enormously, deep nesting)
// from exhausting memory or the stack.
inline constexpr int kMaxConfigNodes = 1'000'000;
inline constexpr int kMaxConfigDepth = 100;

// Parses YAML text read from `file` (named in positions and errors). An empty
// document is an empty map, as the original read it. INVALID_ARGUMENT with
// "file:line: ..." for syntax errors, duplicate keys, non-scalar keys, or input
// beyond the limits above.
absl::StatusOr<ConfigValue> ParseYaml(const std::string& text, const std::string& file);

// The offset of the first byte that is not part of well-formed UTF-8 (no
// overlong forms, surrogates or values past U+10FFFF), or npos.
size_t InvalidUtf8Offset(absl::string_view text);

// Reads and parses a YAML file. A missing file is NOT_FOUND.
// Files larger than this are refused: every value must fit the 4 MiB gRPC
// messages it travels in (an app, a job), and no real config comes near it.
inline constexpr size_t kMaxConfigFileBytes = 4 * 1024 * 1024;

absl::StatusOr<ConfigValue> ParseYamlFile(const std::string& path);

// Parses JSON text read from `file` (lines are not tracked). INVALID_ARGUMENT
// naming the file for a syntax error.
absl::StatusOr<ConfigValue> ParseJson(const std::string& text, const std::string& file);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_CONFIG_VALUE_H_
