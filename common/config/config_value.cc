#include "common/config/config_value.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace paasta::config {

std::string SourcePosition::ToString() const { return line > 0 ? absl::StrCat(file, ":", line) : file; }

ConfigValue ConfigValue::Null(SourcePosition position) {
  ConfigValue v;
  v.position_ = std::move(position);
  return v;
}
ConfigValue ConfigValue::Bool(bool value, SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kBool;
  v.bool_ = value;
  return v;
}
ConfigValue ConfigValue::Int(int64_t value, SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kInt;
  v.int_ = value;
  return v;
}
ConfigValue ConfigValue::Double(double value, SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kDouble;
  v.double_ = value;
  return v;
}
ConfigValue ConfigValue::String(std::string value, SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kString;
  v.string_ = std::move(value);
  return v;
}
ConfigValue ConfigValue::List(SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kList;
  return v;
}
ConfigValue ConfigValue::Map(SourcePosition position) {
  ConfigValue v = Null(std::move(position));
  v.kind_ = Kind::kMap;
  return v;
}

const ConfigValue* ConfigValue::Find(absl::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

ConfigValue* ConfigValue::FindMutable(absl::string_view key) {
  return const_cast<ConfigValue*>(static_cast<const ConfigValue*>(this)->Find(key));
}

void ConfigValue::Set(std::string key, ConfigValue value) {
  kind_ = Kind::kMap;
  if (ConfigValue* existing = FindMutable(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

void ConfigValue::Erase(absl::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->first == key) {
      entries_.erase(it);
      return;
    }
  }
}

std::string ConfigValue::KindName() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kDouble:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kList:
      return "a list";
    case Kind::kMap:
      return "a map";
  }
  return "?";
}

std::string ConfigValue::Describe() const {
  switch (kind_) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return bool_ ? "true" : "false";
    case Kind::kInt:
      return absl::StrCat(int_);
    case Kind::kDouble:
      return absl::StrCat(double_);
    case Kind::kString: {
      std::string shown = string_.size() > 60 ? string_.substr(0, 57) + "..." : string_;
      return absl::StrCat("\"", absl::StrReplaceAll(shown, {{"\"", "\\\""}, {"\n", "\\n"}}), "\"");
    }
    case Kind::kList:
      return absl::StrCat("a list of ", items_.size());
    case Kind::kMap:
      return "a map";
  }
  return "?";
}

namespace {

nlohmann::ordered_json ToJsonValue(const ConfigValue& value) {
  switch (value.kind()) {
    case ConfigValue::Kind::kNull:
      return nullptr;
    case ConfigValue::Kind::kBool:
      return value.bool_value();
    case ConfigValue::Kind::kInt:
      return value.int_value();
    case ConfigValue::Kind::kDouble:
      return value.number_value();
    case ConfigValue::Kind::kString:
      return value.string_value();
    case ConfigValue::Kind::kList: {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const ConfigValue& item : value.items()) list.push_back(ToJsonValue(item));
      return list;
    }
    case ConfigValue::Kind::kMap: {
      nlohmann::ordered_json map = nlohmann::ordered_json::object();
      for (const auto& [key, item] : value.entries()) map[key] = ToJsonValue(item);
      return map;
    }
  }
  return nullptr;
}

}  // namespace

std::string ConfigValue::ToJson() const { return ToJsonValue(*this).dump(); }

ConfigValue DeepMerge(const ConfigValue& overrides, const ConfigValue& defaults) {
  if (!overrides.IsMap() || !defaults.IsMap()) return overrides;
  ConfigValue merged = ConfigValue::Map(overrides.position());
  for (const auto& [key, value] : defaults.entries()) {
    const ConfigValue* override_value = overrides.Find(key);
    merged.Set(key, override_value != nullptr ? DeepMerge(*override_value, value) : value);
  }
  for (const auto& [key, value] : overrides.entries()) {
    if (defaults.Find(key) == nullptr) merged.Set(key, value);
  }
  return merged;
}

namespace {

// PyYAML's (YAML 1.1) implicit resolution of a plain scalar.
ConfigValue ResolvePlainScalar(const std::string& text, SourcePosition position) {
  static const char* const kNulls[] = {"", "~", "null", "Null", "NULL"};
  for (const char* null : kNulls) {
    if (text == null) return ConfigValue::Null(std::move(position));
  }
  static const char* const kTrue[] = {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const char* const kFalse[] = {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (text == t) return ConfigValue::Bool(true, std::move(position));
  }
  for (const char* f : kFalse) {
    if (text == f) return ConfigValue::Bool(false, std::move(position));
  }

  // Integers: [-+]? then 0b…, 0x…, 0o…, 0<octal>, or decimal; '_' separators.
  std::string digits = absl::StrReplaceAll(text, {{"_", ""}});
  bool negative = false;
  absl::string_view body = digits;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  auto all_of = [](absl::string_view s, auto predicate) {
    if (s.empty()) return false;
    for (char c : s) {
      if (!predicate(c)) return false;
    }
    return true;
  };
  int base = 0;
  absl::string_view number;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    if (all_of(body.substr(2), [](char c) { return absl::ascii_isxdigit(c); })) {
      base = 16;
      number = body.substr(2);
    }
  } else if (body.size() > 2 && body[0] == '0' && body[1] == 'b') {
    if (all_of(body.substr(2), [](char c) { return c == '0' || c == '1'; })) {
      base = 2;
      number = body.substr(2);
    }
  } else if (body.size() > 2 && body[0] == '0' && body[1] == 'o') {
    if (all_of(body.substr(2), [](char c) { return c >= '0' && c <= '7'; })) {
      base = 8;
      number = body.substr(2);
    }
  } else if (body.size() > 1 && body[0] == '0') {
    if (all_of(body.substr(1), [](char c) { return c >= '0' && c <= '7'; })) {
      base = 8;
      number = body.substr(1);
    }
  } else if (all_of(body, [](char c) { return absl::ascii_isdigit(c); })) {
    base = 10;
    number = body;
  }
  if (base != 0) {
    uint64_t magnitude = 0;
    bool overflow = false;
    for (char c : number) {
      const int digit = absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / base) {
        overflow = true;
        break;
      }
      magnitude = magnitude * base + digit;
    }
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
    if (!overflow && magnitude <= limit) {
      const int64_t signed_value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
      return ConfigValue::Int(signed_value, std::move(position));
    }
    // Too large for 64 bits: kept as text.
    return ConfigValue::String(text, std::move(position));
  }

  // Floats need a dot (PyYAML: "1e3" is a string), or are .inf / .nan.
  static const char* const kInf[] = {".inf", ".Inf", ".INF"};
  for (const char* inf : kInf) {
    if (body == inf) {
      return ConfigValue::Double(negative ? -HUGE_VAL : HUGE_VAL, std::move(position));
    }
  }
  static const char* const kNan[] = {".nan", ".NaN", ".NAN"};
  for (const char* nan : kNan) {
    if (digits == nan) return ConfigValue::Double(std::nan(""), std::move(position));
  }
  if (digits.find('.') != std::string::npos) {
    bool shape_ok = true;
    bool seen_digit = false;
    size_t i = 0;
    for (; i < body.size() && absl::ascii_isdigit(body[i]); ++i) seen_digit = true;
    if (i < body.size() && body[i] == '.') {
      for (++i; i < body.size() && absl::ascii_isdigit(body[i]); ++i) seen_digit = true;
    }
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
      ++i;
      if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
      const size_t exponent_start = i;
      for (; i < body.size() && absl::ascii_isdigit(body[i]); ++i) {
      }
      shape_ok = i > exponent_start;
    }
    shape_ok = shape_ok && seen_digit && i == body.size();
    double parsed = 0;
    if (shape_ok && absl::SimpleAtod(digits, &parsed)) {
      return ConfigValue::Double(parsed, std::move(position));
    }
  }
  return ConfigValue::String(text, std::move(position));
}

class YamlConverter {
 public:
  explicit YamlConverter(std::string file) : file_(std::move(file)) {}

  absl::StatusOr<ConfigValue> Convert(const YAML::Node& node, int depth) {
    const SourcePosition position{file_, node.Mark().line + 1};
    if (++nodes_ > kMaxConfigNodes) {
      return Error(position, absl::StrCat("more than ", kMaxConfigNodes, " values (aliases that expand too much?)"));
    }
    if (depth > kMaxConfigDepth) {
      return Error(position, absl::StrCat("nested deeper than ", kMaxConfigDepth, " levels"));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return ConfigValue::Null(position);
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        if (tag == "!" || tag == "tag:yaml.org,2002:str") {
          return ConfigValue::String(node.Scalar(), position);
        }
        return ResolvePlainScalar(node.Scalar(), position);
      }
      case YAML::NodeType::Sequence: {
        ConfigValue list = ConfigValue::List(position);
        for (const YAML::Node& item : node) {
          auto converted = Convert(item, depth + 1);
          if (!converted.ok()) return converted.status();
          list.Append(*std::move(converted));
        }
        return list;
      }
      case YAML::NodeType::Map: {
        ConfigValue map = ConfigValue::Map(position);
        std::vector<ConfigValue> merges;
        for (const auto& entry : node) {
          const SourcePosition key_position{file_, entry.first.Mark().line + 1};
          if (!entry.first.IsScalar()) {
            return Error(key_position, "a map key must be a plain value, not a list or a map");
          }
          const std::string key = entry.first.Scalar();
          if (const ConfigValue* earlier = map.Find(key)) {
            return Error(key_position,
                         absl::StrCat("key \"", key, "\" appears twice (also at line ", earlier->position().line, ")"));
          }
          auto converted = Convert(entry.second, depth + 1);
          if (!converted.ok()) return converted.status();
          if (key == "<<" && entry.first.Tag() == "?") {
            merges.push_back(*std::move(converted));
            continue;
          }
          map.Set(key, *std::move(converted));
        }
        // YAML 1.1 merge keys, as PyYAML applies them: `<<: *base` (or a list of
        // them, earlier ones first) adds the keys the map does not set itself.
        for (const ConfigValue& merge : merges) {
          const std::vector<ConfigValue> sources = merge.IsList() ? merge.items() : std::vector<ConfigValue>{merge};
          for (const ConfigValue& source : sources) {
            if (!source.IsMap()) {
              return Error(source.position(), "a merge key (<<) must name a map or a list of maps");
            }
            for (const auto& [name, value] : source.entries()) {
              if (map.Find(name) == nullptr) map.Set(name, value);
            }
          }
        }
        return map;
      }
    }
    return ConfigValue::Null(position);
  }

 private:
  absl::Status Error(const SourcePosition& position, const std::string& message) {
    return absl::InvalidArgumentError(absl::StrCat(position.ToString(), ": ", message));
  }

  std::string file_;
  int nodes_ = 0;
};

ConfigValue FromJsonScalar(const nlohmann::ordered_json& json, const SourcePosition& position);

// Converts `json`; false if it nests deeper than kMaxConfigDepth.
bool FromJson(const nlohmann::ordered_json& json, const SourcePosition& position, int depth, ConfigValue* out) {
  if (depth > kMaxConfigDepth) return false;
  *out = FromJsonScalar(json, position);
  if (json.is_array()) {
    *out = ConfigValue::List(position);
    for (const auto& item : json) {
      ConfigValue converted;
      if (!FromJson(item, position, depth + 1, &converted)) return false;
      out->Append(std::move(converted));
    }
  } else if (json.is_object()) {
    *out = ConfigValue::Map(position);
    for (const auto& [key, item] : json.items()) {
      ConfigValue converted;
      if (!FromJson(item, position, depth + 1, &converted)) return false;
      out->Set(key, std::move(converted));
    }
  }
  return true;
}

ConfigValue FromJsonScalar(const nlohmann::ordered_json& json, const SourcePosition& position) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::boolean:
      return ConfigValue::Bool(json.get<bool>(), position);
    case nlohmann::ordered_json::value_t::number_integer:
      return ConfigValue::Int(json.get<int64_t>(), position);
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t value = json.get<uint64_t>();
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return ConfigValue::Double(static_cast<double>(value), position);
      }
      return ConfigValue::Int(static_cast<int64_t>(value), position);
    }
    case nlohmann::ordered_json::value_t::number_float:
      return ConfigValue::Double(json.get<double>(), position);
    case nlohmann::ordered_json::value_t::string:
      return ConfigValue::String(json.get<std::string>(), position);
    default:
      return ConfigValue::Null(position);
  }
}

}  // namespace

size_t InvalidUtf8Offset(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || (length == 2 && c < 0xC2) || (length == 4 && c > 0xF4) || i + length > text.size()) return i;
    uint32_t code = length == 1 ? c : c & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return i;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return absl::string_view::npos;
}

absl::StatusOr<ConfigValue> ParseYaml(const std::string& text, const std::string& file) {
  // Every value ends up in protobuf strings, which must be UTF-8: say where it is not.
  if (const size_t bad = InvalidUtf8Offset(text); bad != absl::string_view::npos) {
    const size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
    const size_t column = bad - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d:%d: not valid UTF-8 (byte 0x%02X): soa-configs must be UTF-8 text", file,
        std::count(text.begin(), text.begin() + bad, '\n') + 1, column, static_cast<unsigned char>(text[bad])));
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", e.mark.line + 1, ":", e.mark.column + 1, ": cannot parse YAML: ", e.msg));
  }
  // An empty file (or one holding only null) reads as an empty map.
  if (!root.IsDefined() || root.IsNull()) return ConfigValue::Map({file, 1});
  try {
    return YamlConverter(file).Convert(root, 0);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::StatusOr<ConfigValue> ParseYamlFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (text->size() > kMaxConfigFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the file is ", text->size(),
                                                   " bytes; a soa-config file may hold at most ",
                                                   kMaxConfigFileBytes, " (4 MiB)"));
  }
  return ParseYaml(*text, path);
}

absl::StatusOr<ConfigValue> ParseJson(const std::string& text, const std::string& file) {
  nlohmann::ordered_json json;
  try {
    json = nlohmann::ordered_json::parse(text, nullptr, true, /*ignore_comments=*/false);
  } catch (const nlohmann::ordered_json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": cannot parse JSON: ", e.what()));
  }
  ConfigValue value;
  if (!FromJson(json, {file, 0}, 0, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": JSON nested deeper than ", kMaxConfigDepth, " levels"));
  }
  return value;
}

}  // namespace paasta::config
