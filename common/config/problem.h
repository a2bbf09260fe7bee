// A problem found in soa-configs or the system config: where (file and line),
// which instance, which key, and what was found versus what is allowed.
#ifndef PAASTA_COMMON_CONFIG_PROBLEM_H_
#define PAASTA_COMMON_CONFIG_PROBLEM_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/config/config_value.h"

namespace paasta::config {

struct Problem {
  enum class Severity { kError, kWarning };

  Severity severity = Severity::kError;
  // The file and line of the value at fault (of the instance when a key is missing).
  SourcePosition position;
  // "service.instance", or "" for a problem of a whole file.
  std::string instance;
  // The key at fault, e.g. "cpus" or "drain_method_params.delay"; "" for none.
  std::string key;
  // What was found and what is allowed.
  std::string message;

  // "file:line: service.instance: key: message", with "warning: " before the
  // message for warnings and empty parts left out.
  std::string ToString() const;
};

// True if any problem is an error.
bool HasErrors(const std::vector<Problem>& problems);

// INVALID_ARGUMENT listing every error (one per line), or OK when there is none.
absl::Status ErrorsToStatus(const std::vector<Problem>& problems);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_PROBLEM_H_
