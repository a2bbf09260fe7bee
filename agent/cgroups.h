// Per-task resource limits with cgroups, as the host allows them
// (../shared/reference/runtime-host.md): v2 when the unified hierarchy has the
// memory and cpu controllers, else v1 (memory, cpu, pids, freezer), else none,
// with the reason said, never silently.
//
// A task's processes join its cgroup before they exec (the task shim writes the
// child's pid into each cgroup.procs), so a task never runs unlimited.
//
//   CgroupSupport support = DetectCgroups("paasta-agent");
//   ASSIGN_OR_RETURN(TaskCgroup cgroup, CreateTaskCgroup(support, task_id, {1024, 0.5}));
//   // child: for (path : cgroup.procs_files) write(getpid()) ... exec
//   KillTaskCgroup(cgroup);  RemoveTaskCgroup(cgroup);
#ifndef PAASTA_AGENT_CGROUPS_H_
#define PAASTA_AGENT_CGROUPS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace paasta::agent {

struct CgroupSupport {
  enum class Mode { kNone, kV1, kV2 };
  Mode mode = Mode::kNone;
  // Why there are no limits (mode kNone), for task status messages.
  std::string reason;
  // v1: controller -> the folder under which task cgroups are made.
  std::map<std::string, std::string> v1_bases;
  // v2: the folder under which task cgroups are made.
  std::string v2_base;

  // "cgroup v1 (memory, cpu, pids, freezer)", "cgroup v2", or "no cgroups: <reason>".
  std::string Describe() const;
};

// Finds what this host offers for a process of this name, creating the base
// folder(s) named `name` under the agent's own cgroup.
CgroupSupport DetectCgroups(const std::string& name);

struct CgroupLimits {
  // Memory limit in MiB; no swap is allowed above it. 0 means none.
  double mem_mb = 0;
  // CPU share (1.0 = 1024 shares / weight 100). 0 means the default.
  double cpus = 0;
};

// One task's cgroup.
struct TaskCgroup {
  CgroupSupport::Mode mode = CgroupSupport::Mode::kNone;
  // The task's folders (one per v1 controller, or one for v2).
  std::vector<std::string> dirs;
  // The files a process writes its pid to in order to join.
  std::vector<std::string> procs_files;
};

// Creates the task's cgroup with `limits`. With mode kNone returns an empty
// TaskCgroup. Errors name the file that could not be written.
absl::StatusOr<TaskCgroup> CreateTaskCgroup(const CgroupSupport& support, const std::string& task_id,
                                            const CgroupLimits& limits);

// The pids in the task's cgroup.
std::vector<int> CgroupPids(const TaskCgroup& cgroup);

// SIGKILLs every process of the cgroup (v2: cgroup.kill; v1: freeze, kill,
// thaw), so no descendant escapes.
void KillTaskCgroup(const TaskCgroup& cgroup);

// Removes the task's folders (after its processes are gone).
void RemoveTaskCgroup(const TaskCgroup& cgroup);

// Removes the base folder(s) DetectCgroups made, if no task cgroup is left in
// them (on a clean shutdown with tasks still running they stay).
void RemoveCgroupBases(const CgroupSupport& support);

// Removes the empty task cgroups under the bases whose name is not in `live`
// (task ids): those of tasks that ended while no agent was there to remove
// their cgroup (an agent killed between creating a task's cgroup and
// recording it). A stale cgroup that still holds processes is left alone (it
// may belong to another agent sharing the name); returns how many were removed.
int RemoveStaleTaskCgroups(const CgroupSupport& support, const std::set<std::string>& live);

// True if the task's cgroup recorded an out-of-memory kill.
bool CgroupOomKilled(const TaskCgroup& cgroup);

}  // namespace paasta::agent

#endif  // PAASTA_AGENT_CGROUPS_H_
