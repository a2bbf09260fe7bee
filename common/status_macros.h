// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status / absl::StatusOr.
// (Abseil 20220623 ships no status_macros.h.)
//
// Example:
//
//   absl::StatusOr<Config> LoadConfig(const std::string& path) {
//     ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     RETURN_IF_ERROR(CheckNotEmpty(path, text));
//     return ParseConfig(text);
//   }
#ifndef PAASTA_COMMON_STATUS_MACROS_H_
#define PAASTA_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function
// if it is not OK.
#define RETURN_IF_ERROR(expr)                                  \
  do {                                                         \
    ::absl::Status paasta_status_macro_status_ = (expr);       \
    if (!paasta_status_macro_status_.ok()) {                   \
      return paasta_status_macro_status_;                      \
    }                                                          \
  } while (false)

#define PAASTA_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define PAASTA_STATUS_MACROS_CONCAT_(a, b) PAASTA_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, otherwise moves the value into `lhs` (a declaration such
// as `auto x` or an existing variable).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  PAASTA_ASSIGN_OR_RETURN_IMPL_(     \
      PAASTA_STATUS_MACROS_CONCAT_(paasta_statusor_, __LINE__), lhs, rexpr)

#define PAASTA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) {                                     \
    return std::move(statusor).status();                    \
  }                                                         \
  lhs = std::move(statusor).value()

#endif  // PAASTA_COMMON_STATUS_MACROS_H_
