#include "common/named_format.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paasta {

absl::StatusOr<std::string> FormatNamed(const std::string& pattern,
                                        const std::map<std::string, std::string>& fields) {
  std::string result;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      result.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      result.push_back('}');
      ++i;
    } else if (c == '{') {
      const size_t close = pattern.find('}', i);
      if (close == std::string::npos) {
        return absl::InvalidArgumentError("has a \"{\" with no \"}\"");
      }
      const std::string field = pattern.substr(i + 1, close - i - 1);
      auto it = fields.find(field);
      if (it == fields.end()) {
        std::vector<std::string> known;
        for (const auto& [name, value] : fields) known.push_back(absl::StrCat("{", name, "}"));
        return absl::InvalidArgumentError(absl::StrCat("has an unknown placeholder {", field,
                                                       "}: use ", absl::StrJoin(known, ", ")));
      }
      result += it->second;
      i = close;
    } else if (c == '}') {
      return absl::InvalidArgumentError("has a \"}\" with no \"{\"");
    } else {
      result.push_back(c);
    }
  }
  return result;
}

}  // namespace paasta
