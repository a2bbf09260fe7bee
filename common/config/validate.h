// Validation of a soa-configs folder, as `paasta validate` runs it.
//
// Example:
//
//   ASSIGN_OR_RETURN(ValidationResult result, Validate(SoaDir("/nail/etc/services"), {}));
//   for (const Problem& problem : result.problems) std::cout << problem.ToString() << "\n";
#ifndef PAASTA_COMMON_CONFIG_VALIDATE_H_
#define PAASTA_COMMON_CONFIG_VALIDATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/problem.h"
#include "common/config/soa_loader.h"

namespace paasta::config {

struct ValidationResult {
  // Every problem of the validated services, in file order.
  std::vector<Problem> problems;
  // The services validated, and how many instances (of every type) they have.
  std::vector<std::string> services;
  int instances = 0;
};

// Validates `services` (every PaaSTA service of the folder when empty): loads
// them, and any other service a chronos parent names, and runs every check of
// soa_loader.h. Errors: an unsafe service name (INVALID_ARGUMENT), a service
// or the folder not found (NOT_FOUND).
absl::StatusOr<ValidationResult> Validate(const SoaDir& soa,
                                          const std::vector<std::string>& services);

}  // namespace paasta::config

#endif  // PAASTA_COMMON_CONFIG_VALIDATE_H_
