// The paasta version every binary reports (--version, the build-info metric).
#ifndef PAASTA_COMMON_VERSION_H_
#define PAASTA_COMMON_VERSION_H_

namespace paasta {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace paasta

#endif  // PAASTA_COMMON_VERSION_H_
