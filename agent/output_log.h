// Task output with times, for `paasta logs`.
//
// A task writes its stdout and stderr straight into its sandbox (through the
// shim, which never reads them). To know when each line was written, the agent
// keeps an index beside each file: <sandbox>/stdout.times holds one line
// "<unix micros> <file size>" for each supervision pass that found the file
// grown. A line's time is the first pass that saw its first byte, so times are
// exact to the pass interval (--tick, 200 ms) and never earlier than the line.
// Output written while the agent was down gets the time of its first pass
// after the restart.
//
// Rotation (past a size limit) moves the file to <file>.1 and empties it in
// place; its index moves to <file>.1.times with it.
#ifndef PAASTA_AGENT_OUTPUT_LOG_H_
#define PAASTA_AGENT_OUTPUT_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace paasta::agent {

// The output streams of a sandbox, in order.
inline constexpr const char* kOutputStreams[] = {"stdout", "stderr"};

// Appends an index record for each stream whose size differs from
// `indexed_sizes` (updated), at `now`.
void IndexOutput(const std::string& sandbox_dir, int64_t indexed_sizes[2], absl::Time now);

// Rotates each stream past `limit` bytes with its index; the stream's indexed
// size goes back to 0.
void RotateOutput(const std::string& sandbox_dir, int64_t limit, int64_t indexed_sizes[2]);

struct OutputLine {
  absl::Time time;
  std::string task_id;
  // "stdout" or "stderr".
  std::string stream;
  std::string text;
  // The line's place in its stream (older file first), to keep the order of lines with the same time.
  int64_t sequence = 0;
};

// The indexed lines of a task's sandbox with `since` < time <= `until`, stream
// by stream in file order. A last line without its newline is left out unless
// the task has ended (it may still grow).
std::vector<OutputLine> ReadTaskOutput(const std::string& task_id, const std::string& sandbox_dir, absl::Time since,
                                       absl::Time until);

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_OUTPUT_LOG_H_
