#include "common/config/problem.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paasta::config {

std::string Problem::ToString() const {
  std::string out = position.ToString();
  if (!instance.empty()) absl::StrAppend(&out, ": ", instance);
  if (!key.empty()) absl::StrAppend(&out, ": ", key);
  absl::StrAppend(&out, ": ", severity == Severity::kWarning ? "warning: " : "", message);
  return out;
}

bool HasErrors(const std::vector<Problem>& problems) {
  for (const Problem& problem : problems) {
    if (problem.severity == Problem::Severity::kError) return true;
  }
  return false;
}

absl::Status ErrorsToStatus(const std::vector<Problem>& problems) {
  std::vector<std::string> lines;
  for (const Problem& problem : problems) {
    if (problem.severity == Problem::Severity::kError) lines.push_back(problem.ToString());
  }
  if (lines.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

}  // namespace paasta::config
