#include "agent/output_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"

namespace paasta::agent {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : -1;
}

struct IndexRecord {
  absl::Time time;
  int64_t size = 0;
};

std::vector<IndexRecord> ReadIndex(const std::string& path) {
  std::vector<IndexRecord> records;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return records;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> fields = absl::StrSplit(line, ' ');
    int64_t micros = 0, size = 0;
    if (!absl::SimpleAtoi(fields.first, &micros) || !absl::SimpleAtoi(fields.second, &size)) continue;
    records.push_back({absl::FromUnixMicros(micros), size});
  }
  return records;
}

// Appends the lines of `path` (indexed by `index`) in (since, until].
void ReadIndexedLines(const std::string& path, const std::vector<IndexRecord>& index, const std::string& task_id,
                      const std::string& stream, absl::Time since, absl::Time until, bool ended, int64_t* sequence,
                      std::vector<OutputLine>* out) {
  if (index.empty()) return;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return;
  size_t start = 0;
  size_t record = 0;
  while (start < text->size()) {
    const size_t newline = text->find('\n', start);
    if (newline == std::string::npos && !ended) break;  // may still grow
    const size_t end = newline == std::string::npos ? text->size() : newline;
    // The first pass that saw this line's first byte.
    while (record < index.size() && index[record].size <= static_cast<int64_t>(start)) ++record;
    if (record == index.size()) break;  // not indexed yet
    const absl::Time time = index[record].time;
    ++*sequence;
    if (time > since && time <= until) {
      out->push_back({time, task_id, stream, text->substr(start, end - start), *sequence});
    }
    start = end + 1;
  }
}

}  // namespace

void IndexOutput(const std::string& sandbox_dir, int64_t indexed_sizes[2], absl::Time now) {
  for (int i = 0; i < 2; ++i) {
    const std::string path = absl::StrCat(sandbox_dir, "/", kOutputStreams[i]);
    const int64_t size = FileSize(path);
    if (size < 0 || size == indexed_sizes[i]) continue;
    const std::string record = absl::StrCat(absl::ToUnixMicros(now), " ", size, "\n");
    const int fd = ::open((path + ".times").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) continue;
    if (::write(fd, record.data(), record.size()) == static_cast<ssize_t>(record.size())) indexed_sizes[i] = size;
    ::close(fd);
  }
}

void RotateOutput(const std::string& sandbox_dir, int64_t limit, int64_t indexed_sizes[2]) {
  for (int i = 0; i < 2; ++i) {
    const std::string path = absl::StrCat(sandbox_dir, "/", kOutputStreams[i]);
    if (FileSize(path) <= limit) continue;
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok() || !WriteFileAtomically(path + ".1", *text).ok()) continue;
    // The task appends, so it writes on at the start of the emptied file.
    if (::truncate(path.c_str(), 0) != 0) continue;  // tried again on a later pass
    if (::rename((path + ".times").c_str(), (path + ".1.times").c_str()) != 0) ::unlink((path + ".1.times").c_str());
    indexed_sizes[i] = 0;
  }
}

std::vector<OutputLine> ReadTaskOutput(const std::string& task_id, const std::string& sandbox_dir, absl::Time since,
                                       absl::Time until) {
  std::vector<OutputLine> lines;
  const bool ended = FileSize(sandbox_dir + "/exit_status") >= 0;
  for (const char* stream : kOutputStreams) {
    int64_t sequence = 0;
    for (const std::string& path :
         {absl::StrCat(sandbox_dir, "/", stream, ".1"), absl::StrCat(sandbox_dir, "/", stream)}) {
      const std::vector<IndexRecord> index = ReadIndex(path + ".times");
      // Skip files whose every line is at or before `since` without reading them.
      if (index.empty() || index.back().time <= since) continue;
      // A rotated file is complete: its last line counts even without a newline.
      const bool complete = ended || absl::EndsWith(path, ".1");
      ReadIndexedLines(path, index, task_id, stream, since, until, complete, &sequence, &lines);
    }
  }
  return lines;
}

}  // namespace paasta::agent
