// Logging for every paasta binary: spdlog, one line per event on stderr,
//
//   2026-11-28T06:47:28.123Z info paasta-agent: gRPC listening on 127.0.0.1:7701
//
// Code logs with spdlog directly (spdlog::info("app {} scaled to {}", id, n));
// gRPC's own log lines are routed through the same logger.
#ifndef PAASTA_COMMON_LOGGING_H_
#define PAASTA_COMMON_LOGGING_H_

#include <string>

namespace paasta {

// Configures the default logger for `binary_name` (e.g. "paasta-agent") and
// routes gRPC's log output into it. Call once, first thing in main.
// `level` is one of trace, debug, info, warn, error (unknown values mean info).
void InitLogging(const std::string& binary_name, const std::string& level = "info");

}  // namespace paasta

#endif  // PAASTA_COMMON_LOGGING_H_
