// The paasta CLI's commands, apart from argument parsing (cli.cc): each takes
// its options as a plain struct, prints to `out` and `err`, and returns the
// exit code (common/status_map.h).
#ifndef PAASTA_CLI_COMMANDS_H_
#define PAASTA_CLI_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/daemon_client.h"
#include "protos/deployer.pb.h"

namespace paasta::cli {

struct MarkForDeploymentOptions {
  std::string service;
  std::string deploy_group;
  // A full or abbreviated sha, or a ref name.
  std::string commit;
  // Follow the deploy until every long-running instance of the group runs the
  // new version (healthy, no bounce left), or until `timeout`.
  bool wait = false;
  absl::Duration timeout = absl::Minutes(30);
  // Rewrite one progress line per instance (a terminal) or print a line when
  // something changes.
  bool terminal = false;
  absl::Duration poll_interval = absl::Milliseconds(500);
};

// One instance's progress in a deploy of `sha`: the line shown for it, and
// whether it is done (runs the new version, healthy, nothing left to bounce).
struct DeployProgress {
  std::string line;
  bool done = false;
};
DeployProgress DescribeProgress(const v1::InstanceStatus& status, const std::string& sha);

// `paasta mark-for-deployment`: asks the generator to tag the commit.
int MarkForDeployment(const Endpoints& endpoints, const MarkForDeploymentOptions& options, std::ostream& out,
                      std::ostream& err);

// Which of start, stop and restart.
enum class StateChange { kStart, kStop, kRestart };

struct SetStateOptions {
  StateChange change = StateChange::kStart;
  std::string service;
  // Empty means every instance.
  std::vector<std::string> instances;
  std::vector<std::string> clusters;
};

// `paasta start|stop|restart`: asks the generator to write control tags.
int SetState(const Endpoints& endpoints, const SetStateOptions& options, std::ostream& out, std::ostream& err);

struct RerunOptions {
  std::string service;
  std::string instance;
  std::vector<std::string> clusters;
  // The execution date; unset means now.
  bool has_execution_date = false;
  absl::Time execution_date;
};

// `paasta rerun`: asks the scheduler bridge to run the job for a date.
int Rerun(const Endpoints& endpoints, const RerunOptions& options, std::ostream& out, std::ostream& err);

// Parses a rerun date, "%Y-%m-%dT%H:%M:%S" in UTC as the original. False if it
// does not match.
bool ParseExecutionDate(const std::string& text, absl::Time* date);

// `paasta metastatus`: the address and health of every daemon. Exit 0 when all
// are SERVING, 2 otherwise.
int Metastatus(const Endpoints& endpoints, std::ostream& out, std::ostream& err);

struct ValidateOptions {
  // Empty validates every service.
  std::string service;
  std::string soa_dir;
};

// `paasta validate`: checks soa-configs (no daemon needed). Prints every
// problem, then a summary; exit 0 when there are no errors (warnings do not
// fail), 1 otherwise.
int Validate(const ValidateOptions& options, std::ostream& out, std::ostream& err);

struct ListOptions {
  std::string soa_dir;
  // Every folder, not only PaaSTA services.
  bool all = false;
  // Print service.instance for every instance (of every cluster) instead.
  bool instances = false;
};

// `paasta list`: one service (or service.instance) a line.
int List(const ListOptions& options, std::ostream& out, std::ostream& err);

struct EmergencyOptions {
  // Start (jobs: run now; long-running: lift an emergency stop and reconcile)
  // or stop (kill every task now, without draining, until the next deploy).
  bool stop = false;
  // Restart (long-running only): stop, then start at once.
  bool restart = false;
  std::string service;
  std::string instance;
  // Empty means the cluster the daemons serve.
  std::string cluster;
};

// `paasta emergency-start|emergency-stop|emergency-restart`: asks the
// scheduler bridge when the instance is a job, the deployer when it is
// long-running.
int Emergency(const Endpoints& endpoints, const EmergencyOptions& options, std::ostream& out, std::ostream& err);

// `paasta wait-for-deployment`: waits until the deploy group points at
// `options.commit` (a full or abbreviated sha; someone else marks it), then
// follows its long-running instances as mark-for-deployment --wait does.
int WaitForDeploymentOf(const Endpoints& endpoints, const MarkForDeploymentOptions& options, std::ostream& out,
                        std::ostream& err);

// `paasta get-latest-deployment`: prints the sha a deploy group runs.
int GetLatestDeployment(const Endpoints& endpoints, const std::string& service, const std::string& deploy_group,
                        std::ostream& out, std::ostream& err);

struct RollbackOptions {
  std::string service;
  // The commit to go back to.
  std::string commit;
  // Empty: every deploy group the service has deployed.
  std::vector<std::string> deploy_groups;
};

// `paasta rollback`: marks `commit` for deployment in each deploy group.
int Rollback(const Endpoints& endpoints, const RollbackOptions& options, std::ostream& out, std::ostream& err);

// `paasta list-clusters`: every cluster a service of the soa-configs runs in.
int ListClusters(const std::string& soa_dir, std::ostream& out, std::ostream& err);

}  // namespace paasta::cli

#endif  // PAASTA_CLI_COMMANDS_H_
