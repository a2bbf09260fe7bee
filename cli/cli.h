// The paasta command line: parses arguments with CLI11 and runs one command.
#ifndef PAASTA_CLI_CLI_H_
#define PAASTA_CLI_CLI_H_

namespace paasta::cli {

// Runs `paasta <argv...>`; returns the process exit code (0 ok, 1 failed,
// 2 usage error or unreachable daemon, 3 not available yet; common/status_map.h).
int RunCli(int argc, char** argv);

}  // namespace paasta::cli

#endif  // PAASTA_CLI_CLI_H_
