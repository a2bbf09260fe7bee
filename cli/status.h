// `paasta status`: the lines of the original (../shared/reference/
// paasta-behaviour.md §9.1) for each instance and job of a service, from what
// the daemons report: the deployer's instance statuses, the scheduler bridge's
// job statuses and SmartStack's namespaces. Formatting is a pure function.
#ifndef PAASTA_CLI_STATUS_H_
#define PAASTA_CLI_STATUS_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "cli/daemon_client.h"
#include "protos/deployer.pb.h"
#include "protos/scheduler_bridge.pb.h"
#include "protos/smartstack.pb.h"

namespace paasta::cli {

struct StatusReport {
  std::string service;
  // The cluster the daemons serve.
  std::string cluster;
  std::vector<v1::InstanceStatus> instances;
  std::vector<v1::JobStatus> jobs;
  std::vector<v1::Namespace> namespaces;
  // Only these instances; empty means all.
  std::vector<std::string> only;
  // For "N minutes ago".
  absl::Time now;
  // -v: each instance's app id, creation time and tasks.
  bool verbose = false;
};

// The status text, instances then jobs, in name order.
std::string FormatStatus(const StatusReport& report);

// The same report as JSON for scripts: {"service", "cluster", "instances":
// [deployer InstanceStatus], "jobs": [bridge JobStatus], "namespaces":
// [SmartStack Namespace]}, each message in the proto3 JSON mapping
// (lowerCamelCase fields, RFC 3339 times), filtered by instance as the text.
std::string FormatStatusJson(const StatusReport& report);

struct StatusOptions {
  std::string service;
  std::vector<std::string> clusters;
  std::vector<std::string> instances;
  // Print JSON instead of text.
  bool json = false;
  // The app id and a table of tasks for each instance.
  bool verbose = false;
};

// `paasta status`: asks the deployer, the scheduler bridge and SmartStack, and
// prints. A daemon that cannot be reached is named (exit 2); what the others
// said is still printed.
int Status(const Endpoints& endpoints, const StatusOptions& options, std::ostream& out, std::ostream& err);

}  // namespace paasta::cli

#endif  // PAASTA_CLI_STATUS_H_
