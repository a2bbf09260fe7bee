// Python str.format-style substitution of named fields, as the original used
// for deploy_group ("{cluster}.everything") and the http drain method's URLs
// ("http://{host}:{port}/drain"). "{{" and "}}" are literal braces.
//
//   FormatNamed("{cluster}.{instance}", {{"cluster", "local"}, {"instance", "main"}})
//     -> "local.main"
#ifndef PAASTA_COMMON_NAMED_FORMAT_H_
#define PAASTA_COMMON_NAMED_FORMAT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace paasta {

// The pattern with every {field} replaced. INVALID_ARGUMENT for an unknown
// field (the message lists the known ones) or an unbalanced brace.
absl::StatusOr<std::string> FormatNamed(const std::string& pattern,
                                        const std::map<std::string, std::string>& fields);

}  // namespace paasta

#endif  // PAASTA_COMMON_NAMED_FORMAT_H_
