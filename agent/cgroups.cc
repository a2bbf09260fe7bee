#include "agent/cgroups.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "spdlog/spdlog.h"

namespace paasta::agent {
namespace {

constexpr const char* kV1Controllers[] = {"memory", "cpu", "pids", "freezer"};

bool WriteInPlace(const std::string& path, const std::string& value) {
  FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  const bool written = std::fputs(value.c_str(), file) >= 0;
  return std::fclose(file) == 0 && written;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool MakeDir(const std::string& path) { return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

// The cgroup paths of this process: controller (or "" for v2) -> path.
std::map<std::string, std::string> OwnCgroups() {
  std::map<std::string, std::string> paths;
  absl::StatusOr<std::string> text = ReadFile("/proc/self/cgroup");
  if (!text.ok()) return paths;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (parts.size() != 3) continue;
    if (parts[1].empty()) {
      paths[""] = parts[2];
      continue;
    }
    for (absl::string_view controller : absl::StrSplit(parts[1], ',')) paths[std::string(controller)] = parts[2];
  }
  return paths;
}

struct Mount {
  std::string root;   // the mount's root within the hierarchy
  std::string point;  // where it is mounted
  std::string type;   // cgroup or cgroup2
  std::string options;
};

std::vector<Mount> CgroupMounts() {
  std::vector<Mount> mounts;
  absl::StatusOr<std::string> text = ReadFile("/proc/self/mountinfo");
  if (!text.ok()) return mounts;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    // id parent major:minor root point options ... - type source super-options
    const std::vector<std::string> fields = absl::StrSplit(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || dash + 3 > fields.end()) continue;
    const std::string& type = *(dash + 1);
    if (type != "cgroup" && type != "cgroup2") continue;
    mounts.push_back({fields[3], fields[4], type, *(dash + 3)});
  }
  return mounts;
}

// Where this process's cgroup `path` is, given the mount.
std::string Resolve(const Mount& mount, const std::string& path) {
  absl::string_view relative = path;
  if (mount.root != "/" && !absl::ConsumePrefix(&relative, mount.root)) return "";
  return absl::StrCat(absl::StripSuffix(mount.point, "/"), relative == "/" ? "" : relative);
}

}  // namespace

std::string CgroupSupport::Describe() const {
  switch (mode) {
    case Mode::kV2:
      return "cgroup v2";
    case Mode::kV1: {
      std::vector<std::string> names;
      for (const auto& [controller, base] : v1_bases) names.push_back(controller);
      return absl::StrCat("cgroup v1 (", absl::StrJoin(names, ", "), ")");
    }
    case Mode::kNone:
      break;
  }
  return absl::StrCat("no cgroups: ", reason);
}

CgroupSupport DetectCgroups(const std::string& name) {
  CgroupSupport support;
  const std::map<std::string, std::string> own = OwnCgroups();
  const std::vector<Mount> mounts = CgroupMounts();

  // v2 first: a unified hierarchy that offers memory and cpu to our subtree.
  for (const Mount& mount : mounts) {
    if (mount.type != "cgroup2" || own.count("") == 0) continue;
    const std::string self = Resolve(mount, own.at(""));
    absl::StatusOr<std::string> controllers = ReadFile(self + "/cgroup.controllers");
    if (self.empty() || !controllers.ok() || !absl::StrContains(*controllers, "memory") ||
        !absl::StrContains(*controllers, "cpu")) {
      continue;
    }
    const std::string base = absl::StrCat(self, "/", name);
    // A process may not sit in a cgroup whose children have controllers: the
    // agent's base gets the controllers, the tasks live below it.
    if (MakeDir(base) && WriteInPlace(base + "/cgroup.subtree_control", "+memory +cpu +pids")) {
      support.mode = CgroupSupport::Mode::kV2;
      support.v2_base = base;
      return support;
    }
  }

  // v1: each controller in its own hierarchy.
  for (const char* controller : kV1Controllers) {
    for (const Mount& mount : mounts) {
      if (mount.type != "cgroup") continue;
      const std::vector<std::string> options = absl::StrSplit(mount.options, ',');
      if (std::find(options.begin(), options.end(), controller) == options.end()) continue;
      if (own.count(controller) == 0) continue;
      const std::string self = Resolve(mount, own.at(controller));
      if (self.empty()) continue;
      const std::string base = absl::StrCat(self, "/", name);
      if (MakeDir(base) && ::access(base.c_str(), W_OK) == 0) support.v1_bases[controller] = base;
      break;
    }
  }
  if (support.v1_bases.count("memory") != 0 && support.v1_bases.count("cpu") != 0) {
    support.mode = CgroupSupport::Mode::kV1;
    return support;
  }
  support.v1_bases.clear();
  support.reason = mounts.empty() ? "no cgroup file system is mounted"
                                  : "the memory and cpu controllers are not writable here "
                                    "(not root, or delegated elsewhere)";
  return support;
}

absl::StatusOr<TaskCgroup> CreateTaskCgroup(const CgroupSupport& support, const std::string& task_id,
                                            const CgroupLimits& limits) {
  TaskCgroup cgroup;
  cgroup.mode = support.mode;
  auto fail = [&](const std::string& path) {
    RemoveTaskCgroup(cgroup);
    return absl::PermissionDeniedError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  };
  const int64_t bytes = static_cast<int64_t>(std::ceil(limits.mem_mb)) * 1024 * 1024;
  const int64_t shares = std::max<int64_t>(2, std::llround(limits.cpus * 1024));
  if (support.mode == CgroupSupport::Mode::kV2) {
    const std::string dir = absl::StrCat(support.v2_base, "/", task_id);
    if (!MakeDir(dir)) return fail(dir);
    cgroup.dirs.push_back(dir);
    if (limits.mem_mb > 0) {
      if (!WriteInPlace(dir + "/memory.max", absl::StrCat(bytes))) return fail(dir + "/memory.max");
      if (Exists(dir + "/memory.swap.max") && !WriteInPlace(dir + "/memory.swap.max", "0")) {
        return fail(dir + "/memory.swap.max");
      }
    }
    if (limits.cpus > 0) {
      // cpu.weight 1..10000 stands for shares 2..262144.
      const int64_t weight = 1 + ((shares - 2) * 9999) / 262142;
      if (!WriteInPlace(dir + "/cpu.weight", absl::StrCat(weight))) return fail(dir + "/cpu.weight");
    }
    cgroup.procs_files.push_back(dir + "/cgroup.procs");
    return cgroup;
  }
  if (support.mode == CgroupSupport::Mode::kV1) {
    for (const auto& [controller, base] : support.v1_bases) {
      const std::string dir = absl::StrCat(base, "/", task_id);
      if (!MakeDir(dir)) return fail(dir);
      cgroup.dirs.push_back(dir);
      cgroup.procs_files.push_back(dir + "/cgroup.procs");
      if (controller == "memory" && limits.mem_mb > 0) {
        if (!WriteInPlace(dir + "/memory.limit_in_bytes", absl::StrCat(bytes))) {
          return fail(dir + "/memory.limit_in_bytes");
        }
        // No swap above the limit: memory+swap equal to memory where swap is
        // accounted, and no swapping at all otherwise.
        if (Exists(dir + "/memory.memsw.limit_in_bytes")) {
          WriteInPlace(dir + "/memory.memsw.limit_in_bytes", absl::StrCat(bytes));
        }
        WriteInPlace(dir + "/memory.swappiness", "0");
      }
      if (controller == "cpu" && limits.cpus > 0) {
        if (!WriteInPlace(dir + "/cpu.shares", absl::StrCat(shares))) return fail(dir + "/cpu.shares");
      }
    }
  }
  return cgroup;
}

std::vector<int> CgroupPids(const TaskCgroup& cgroup) {
  std::vector<int> pids;
  for (const std::string& file : cgroup.procs_files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) continue;
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid) && std::find(pids.begin(), pids.end(), pid) == pids.end()) {
        pids.push_back(pid);
      }
    }
  }
  return pids;
}

void KillTaskCgroup(const TaskCgroup& cgroup) {
  if (cgroup.mode == CgroupSupport::Mode::kV2 && !cgroup.dirs.empty() &&
      WriteInPlace(cgroup.dirs.front() + "/cgroup.kill", "1")) {
    return;
  }
  std::string freezer;
  for (const std::string& dir : cgroup.dirs) {
    if (Exists(dir + "/freezer.state")) freezer = dir + "/freezer.state";
  }
  // Freezing first means no process can fork a new one while we kill them.
  if (!freezer.empty()) WriteInPlace(freezer, "FROZEN");
  for (int round = 0; round < 10; ++round) {
    const std::vector<int> pids = CgroupPids(cgroup);
    if (pids.empty()) break;
    for (int pid : pids) ::kill(pid, SIGKILL);
    if (!freezer.empty()) WriteInPlace(freezer, "THAWED");  // the killed must run to die
    absl::SleepFor(absl::Milliseconds(20));
    if (!freezer.empty() && round + 1 < 10) WriteInPlace(freezer, "FROZEN");
  }
  if (!freezer.empty()) WriteInPlace(freezer, "THAWED");
}

void RemoveTaskCgroup(const TaskCgroup& cgroup) {
  // The folder stays busy while a process is in it: the task's last processes
  // may still be on their way out, or an ended task left a child behind (it
  // goes with its task, as in a container). Try for about half a second.
  for (int attempt = 0; attempt < 50; ++attempt) {
    bool busy = false;
    for (const std::string& dir : cgroup.dirs) {
      if (::rmdir(dir.c_str()) != 0 && errno == EBUSY) busy = true;
    }
    if (!busy) return;
    if (attempt == 5) KillTaskCgroup(cgroup);
    absl::SleepFor(absl::Milliseconds(10));
  }
  spdlog::warn("the cgroup of an ended task is still busy and stays: {}", absl::StrJoin(cgroup.dirs, ", "));
}

void RemoveCgroupBases(const CgroupSupport& support) {
  for (const auto& [controller, base] : support.v1_bases) ::rmdir(base.c_str());
  if (!support.v2_base.empty()) ::rmdir(support.v2_base.c_str());
}

int RemoveStaleTaskCgroups(const CgroupSupport& support, const std::set<std::string>& live) {
  std::vector<std::string> bases;
  for (const auto& [controller, base] : support.v1_bases) bases.push_back(base);
  if (!support.v2_base.empty()) bases.push_back(support.v2_base);
  int removed = 0;
  for (const std::string& base : bases) {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(base, error)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_directory(error) || live.count(name) > 0) continue;
      // rmdir fails (EBUSY) for a cgroup that still holds a process.
      if (::rmdir(entry.path().c_str()) == 0) ++removed;
    }
  }
  return removed;
}

bool CgroupOomKilled(const TaskCgroup& cgroup) {
  for (const std::string& dir : cgroup.dirs) {
    for (const char* file : {"/memory.oom_control", "/memory.events"}) {
      absl::StatusOr<std::string> text = ReadFile(dir + file);
      if (!text.ok()) continue;
      for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
        int64_t count = 0;
        if (absl::ConsumePrefix(&line, "oom_kill ") && absl::SimpleAtoi(line, &count) && count > 0) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace paasta::agent
