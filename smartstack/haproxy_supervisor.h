// Runs and reconfigures a real HAProxy (Debian's `haproxy`) for the
// one-machine SmartStack:
//
// - Apply(text) validates the new configuration with `haproxy -c` first; a
//   configuration HAProxy rejects is never applied (the running one stays)
//   and the rejection is returned and kept for status.
// - HAProxy runs in master-worker mode (-W). A change is applied with a
//   seamless reload: SIGUSR2 to the master, which starts new workers that take
//   over the listening sockets (`expose-fd listeners` on the stats socket) while
//   the old workers finish their connections. So no connection is refused and
//   no request in flight is lost.
// - A reload is only signalled once the master answers on its CLI socket (-S),
//   and it counts as done only when the master's reload counter moves. A
//   master that is still starting dies of a SIGUSR2 that comes before its
//   handler, or ignores one that comes a little later, and would then serve its
//   first configuration for good (measured with HAProxy 2.6 on a loaded
//   machine: dead under ~100 ms after start, signal lost up to ~160 ms). A
//   reload not seen within 3 s is signalled again.
// - Reloads are rate-limited (at most one per min_reload_interval; a change
//   that comes sooner is applied by the next Apply or Tick after it).
// - If HAProxy exits, the next Tick starts it again.
// - A supervisor killed with SIGKILL leaves HAProxy serving; the next one for
//   the same folder takes that HAProxy over (its pid file names it) and
//   reloads it, instead of starting a second one on the same ports.
//
// Thread-safe.
#ifndef PAASTA_SMARTSTACK_HAPROXY_SUPERVISOR_H_
#define PAASTA_SMARTSTACK_HAPROXY_SUPERVISOR_H_

#include <sys/types.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace paasta::smartstack {

struct SupervisorOptions {
  // The haproxy binary.
  std::string haproxy = "/usr/sbin/haproxy";
  // Where the live configuration, the candidate and HAProxy's output go.
  std::string dir;
  absl::Duration min_reload_interval = absl::Seconds(1);
  // HAProxy's admin socket, and the file the configuration loads server states
  // from: before a reload the states are saved there (`show servers state`).
  std::string stats_socket;
  std::string server_state_file;
  // The master's CLI socket (-S): reloads wait for it and are confirmed on it.
  // Empty: reloads are signalled blindly (tests of other parts).
  std::string master_socket;
};

// The path of HAProxy's socket `name` for a supervisor working in `dir`:
// `<dir>/<name>.sock`, or, as HAProxy refuses socket paths over 97 characters,
// `/tmp/paasta-<name>-<hash of dir>.sock` when that would be too long. Two
// supervisors in different folders do not share a socket (the name carries a
// 64-bit hash of the folder).
std::string HaproxySocketPath(const std::string& dir, const std::string& name);

// Sends `command` to HAProxy's admin socket; its answer ("" when the socket
// cannot be reached within 2 s).
std::string HaproxyCommand(const std::string& socket_path, const std::string& command);

class HaproxySupervisor {
 public:
  explicit HaproxySupervisor(SupervisorOptions options);
  // Stops HAProxy (its workers finish their connections first, up to 5 s).
  ~HaproxySupervisor();

  // Makes `config` the running configuration (see above). OK when it is
  // running or pending a rate-limited reload; INVALID_ARGUMENT with HAProxy's
  // message when it is rejected; UNAVAILABLE when HAProxy cannot be started.
  absl::Status Apply(const std::string& config);

  // Applies a pending change whose time has come; restarts HAProxy if it died.
  void Tick();

  // The master's pid (0 when not running); the last rejection ("" if none);
  // how many reloads were done.
  pid_t pid();
  std::string last_rejection();
  int reloads();

 private:
  absl::Status StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ApplyLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Signals a reload of `wanted_` once the master can take it.
  void ReloadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks a signalled reload done when the master counted it; forgets one not
  // seen in time, so that the next Tick signals it again.
  void ConfirmLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The master's reload counter from its CLI; -1 when it does not answer.
  int MasterReloadsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool RunningLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Running, with the wanted configuration loaded or being loaded.
  bool UpToDateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SupervisorOptions options_;
  absl::Mutex mu_;
  pid_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  // pid_ was started by an earlier supervisor (not our child: watched through /proc).
  bool adopted_ ABSL_GUARDED_BY(mu_) = false;
  // pid_ serves its CLI on options_.master_socket (false for a master an
  // earlier version started without one: its reloads are signalled blindly).
  bool has_master_cli_ ABSL_GUARDED_BY(mu_) = false;
  // What runs, what a signalled reload is loading ("" when none is pending)
  // with the master's reload count before it, and what should run.
  std::string running_ ABSL_GUARDED_BY(mu_);
  std::string loading_ ABSL_GUARDED_BY(mu_);
  int master_reloads_before_ ABSL_GUARDED_BY(mu_) = 0;
  std::string wanted_ ABSL_GUARDED_BY(mu_);
  absl::Time last_reload_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_rejection_ ABSL_GUARDED_BY(mu_);
  int reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace paasta::smartstack

#endif  // PAASTA_SMARTSTACK_HAPROXY_SUPERVISOR_H_
