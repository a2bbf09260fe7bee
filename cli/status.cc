#include "cli/status.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/client_context.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"
#include "protos/smartstack.grpc.pb.h"

namespace paasta::cli {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

std::string Ago(absl::Time then, absl::Time now) {
  const int64_t seconds = absl::ToInt64Seconds(now - then);
  auto count = [](int64_t n, const char* unit) { return absl::StrCat(n, " ", unit, n == 1 ? "" : "s", " ago"); };
  if (seconds < 60) return count(seconds, "second");
  if (seconds < 3600) return count(seconds / 60, "minute");
  if (seconds < 86400) return count(seconds / 3600, "hour");
  return count(seconds / 86400, "day");
}

bool Wanted(const StatusReport& report, const std::string& instance) {
  return report.only.empty() || std::find(report.only.begin(), report.only.end(), instance) != report.only.end();
}

std::string When(const google::protobuf::Timestamp& time, absl::Time now) {
  const absl::Time when = FromProto(time);
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%S", when, absl::UTCTimeZone()), " (", Ago(when, now), ")");
}

// `-v`: the app and a table of its tasks (and the old apps' tasks).
void FormatTasks(const StatusReport& report, const v1::InstanceStatus& status, std::string* out) {
  absl::StrAppend(out, "      Marathon app ID: ", status.desired_app_id(), "\n");
  if (status.has_app_created())
    absl::StrAppend(out, "      App created: ", When(status.app_created(), report.now), "\n");
  if (status.tasks().empty()) {
    absl::StrAppend(out, "      Tasks:  none\n");
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"Mesos Task ID", "Host deployed to", "Deployed at (UTC)", "Health"}};
  for (const v1::InstanceTask& task : status.tasks()) {
    const std::string health = task.health() == v1::HEALTH_STATE_HEALTHY     ? "Healthy"
                               : task.health() == v1::HEALTH_STATE_UNHEALTHY ? "Unhealthy"
                                                                             : "No health check result";
    rows.push_back({absl::StrCat(task.id(), task.app_id() == status.desired_app_id() ? "" : " (old app)"),
                    task.port() == 0 ? task.host() : absl::StrCat(task.host(), ":", task.port()),
                    task.has_started_at() ? When(task.started_at(), report.now) : "Not running yet", health});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  absl::StrAppend(out, "      Tasks:\n");
  for (const auto& row : rows) {
    std::string line = "        ";
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i], i + 1 < row.size() ? std::string(widths[i] - row[i].size() + 2, ' ') : "");
    }
    absl::StrAppend(out, line, "\n");
  }
}

void FormatInstance(const StatusReport& report, const v1::InstanceStatus& status, std::string* out) {
  absl::StrAppend(out, "  instance: ", status.instance().instance(), "\n");
  if (status.git_sha().empty()) {
    absl::StrAppend(out, "    Git sha:    None (not deployed yet)\n");
    if (!status.last_error().empty()) absl::StrAppend(out, "    Reason:     ", status.last_error(), "\n");
    return;
  }
  absl::StrAppend(out, "    Git sha:    ", status.git_sha().substr(0, 8), " (desired)\n");
  const int expected = status.expected_instances();
  const std::string desired = status.desired_state() == v1::DESIRED_STATE_STOP || expected == 0 ? "Stopped" : "Started";
  const std::string state = status.emergency_stopped()    ? "Disabled"
                            : status.bounce_in_progress() ? absl::StrCat("Bouncing (", status.bounce_method(), ")")
                                                          : "Configured";
  absl::StrAppend(out, "    State:      ", state, " - Desired state: ", desired, "\n");
  const int running = status.running_tasks();
  // As the original: Healthy when the running tasks reach the count.
  const std::string health = running >= expected ? "Healthy" : running == 0 ? "Critical" : "Warning";
  const int64_t delay_seconds = TimeUtil::DurationToSeconds(status.launch_delay());
  const std::string progress =
      expected == 0 ? "Stopped"
      : running < expected && delay_seconds > 0
          ? absl::StrCat("Delayed (tasks are crashing, next won't launch for another ", delay_seconds, " seconds)")
      : status.bounce_in_progress() || running < expected ? "Deploying"
                                                          : "Running";
  absl::StrAppend(out, "    Marathon:   ", health, " - up with (", running, "/", expected,
                  ") instances. Status: ", progress, "\n");
  if (report.verbose) FormatTasks(report, status, out);
  if (!status.last_error().empty()) absl::StrAppend(out, "    Error:      ", status.last_error(), "\n");
  const std::string ns_name = absl::StrCat(status.instance().service(), ".", status.instance().instance());
  for (const v1::Namespace& ns : report.namespaces) {
    if (ns.name() != ns_name) continue;
    int up = 0;
    for (const v1::Backend& backend : ns.backends()) up += backend.status() == v1::BACKEND_STATUS_UP;
    const int percent = expected == 0 ? 100 : up * 100 / expected;
    absl::StrAppend(out, "    Smartstack:\n", "      ", report.cluster, " - ", percent >= 50 ? "Healthy" : "Critical",
                    " - in haproxy with (", up, "/", expected, ") total backends UP in this namespace.\n");
  }
}

void FormatJob(const StatusReport& report, const v1::JobStatus& status, std::string* out) {
  const v1::Job& job = status.job();
  absl::StrAppend(out, "  instance: ", status.instance().instance(),
                  status.launched_by_rerun() ? " (Launched by paasta rerun)" : "", "\n");
  if (!status.has_job()) {
    absl::StrAppend(out, "    Warning: chronos job is not set up yet\n");
    if (!status.last_error().empty()) absl::StrAppend(out, "    Reason:     ", status.last_error(), "\n");
    return;
  }
  if (!status.launched_by_rerun()) {
    absl::StrAppend(out, "    Desired:    ", job.disabled() ? "Disabled" : "Scheduled", "\n");
  }
  absl::StrAppend(out, "    Job:     ", job.name(), "\n");
  std::string last = "New (never)";
  const bool succeeded = status.has_last_success();
  const bool failed = status.has_last_failure();
  if (succeeded || failed) {
    const bool ok = succeeded && (!failed || FromProto(status.last_success()) >= FromProto(status.last_failure()));
    const absl::Time when = FromProto(ok ? status.last_success() : status.last_failure());
    last = absl::StrCat(ok ? "OK" : "Failed", " (", absl::FormatTime("%Y-%m-%dT%H:%M", when, absl::UTCTimeZone()), ", ",
                        Ago(when, report.now), ")");
  }
  absl::StrAppend(out, "      Status:   ", job.disabled() ? "Not scheduled" : "Scheduled", " (",
                  status.running() ? "running" : "idle", ")  Last:     ", last, "\n");
  if (!job.schedule().empty()) {
    absl::StrAppend(out, "      Schedule: ", job.schedule(), " (",
                    job.schedule_time_zone().empty() ? "UTC" : job.schedule_time_zone(), ") Epsilon: PT",
                    job.epsilon().seconds(), "S\n");
  } else {
    absl::StrAppend(out, "      Parents:  ", absl::StrJoin(job.parents(), ","), "\n");
  }
  if (status.has_next_run()) {
    absl::StrAppend(out, "      Next run: ",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", FromProto(status.next_run()), absl::UTCTimeZone()), "\n");
  }
  absl::StrAppend(out, "      Command:  ", job.shell() ? job.command() : absl::StrJoin(job.arguments(), " "), "\n");
  absl::StrAppend(out, "      Mesos:    ",
                  status.running_tasks() == 0 ? "Not running"
                  : status.running_tasks() == 1
                      ? "Running"
                      : absl::StrCat("Critical - ", status.running_tasks(), " tasks running (expected 1)"),
                  "\n");
  if (!status.last_error().empty()) absl::StrAppend(out, "      Error:    ", status.last_error(), "\n");
}

}  // namespace

std::string FormatStatus(const StatusReport& report) {
  std::string out = absl::StrCat("\ncluster: ", report.cluster, "\n");
  std::vector<v1::InstanceStatus> instances = report.instances;
  std::sort(instances.begin(), instances.end(),
            [](const auto& a, const auto& b) { return a.instance().instance() < b.instance().instance(); });
  for (const v1::InstanceStatus& status : instances) {
    if (Wanted(report, status.instance().instance())) FormatInstance(report, status, &out);
  }
  std::vector<v1::JobStatus> jobs = report.jobs;
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
    return a.instance().instance() != b.instance().instance() ? a.instance().instance() < b.instance().instance()
                                                              : a.job().name() < b.job().name();
  });
  for (const v1::JobStatus& status : jobs) {
    if (Wanted(report, status.instance().instance())) FormatJob(report, status, &out);
  }
  return out;
}

std::string FormatStatusJson(const StatusReport& report) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  auto json_of = [&](const google::protobuf::Message& message) {
    std::string text;
    if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) return std::string("null");
    return text;
  };
  std::vector<std::string> instances, jobs, namespaces;
  for (const v1::InstanceStatus& status : report.instances) {
    if (Wanted(report, status.instance().instance())) instances.push_back(json_of(status));
  }
  for (const v1::JobStatus& status : report.jobs) {
    if (Wanted(report, status.instance().instance())) jobs.push_back(json_of(status));
  }
  for (const v1::Namespace& ns : report.namespaces) {
    const std::string instance = ns.name().substr(ns.name().find('.') + 1);
    if (Wanted(report, instance)) namespaces.push_back(json_of(ns));
  }
  // Names are [a-z0-9_-]: no escaping needed.
  return absl::StrCat("{\"service\":\"", report.service, "\",\"cluster\":\"", report.cluster, "\",\"instances\":[",
                      absl::StrJoin(instances, ","), "],\"jobs\":[", absl::StrJoin(jobs, ","), "],\"namespaces\":[",
                      absl::StrJoin(namespaces, ","), "]}\n");
}

int Status(const Endpoints& endpoints, const StatusOptions& options, std::ostream& out, std::ostream& err) {
  StatusReport report;
  report.service = options.service;
  report.only = options.instances;
  report.now = absl::Now();
  report.verbose = options.verbose;
  int exit_code = 0;
  {
    auto stub = v1::Deployer::NewStub(Connect(endpoints.deployer));
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::ListInstancesRequest request;
    request.set_service(options.service);
    v1::ListInstancesResponse response;
    const grpc::Status status = stub->ListInstances(&context, request, &response);
    if (!status.ok()) {
      exit_code = ReportRpcFailure(endpoints.deployer, status, err);
    } else {
      report.instances.assign(response.instances().begin(), response.instances().end());
    }
  }
  {
    auto stub = v1::SchedulerBridge::NewStub(Connect(endpoints.scheduler_bridge));
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::ListJobsRequest request;
    request.set_service(options.service);
    v1::ListJobsResponse response;
    const grpc::Status status = stub->ListJobs(&context, request, &response);
    if (!status.ok()) {
      exit_code = ReportRpcFailure(endpoints.scheduler_bridge, status, err);
    } else {
      report.jobs.assign(response.jobs().begin(), response.jobs().end());
    }
  }
  {
    auto stub = v1::Smartstack::NewStub(Connect(endpoints.smartstack));
    grpc::ClientContext context;
    SetDeadline(endpoints, &context);
    v1::ListNamespacesRequest request;
    request.set_service(options.service);
    v1::ListNamespacesResponse response;
    const grpc::Status status = stub->ListNamespaces(&context, request, &response);
    if (!status.ok()) {
      exit_code = ReportRpcFailure(endpoints.smartstack, status, err);
    } else {
      report.namespaces.assign(response.namespaces().begin(), response.namespaces().end());
    }
  }
  for (const auto& instance : report.instances) {
    if (!instance.instance().cluster().empty()) report.cluster = instance.instance().cluster();
  }
  for (const auto& job : report.jobs) {
    if (report.cluster.empty() && !job.instance().cluster().empty()) report.cluster = job.instance().cluster();
  }
  if (report.cluster.empty()) report.cluster = options.clusters.empty() ? "(unknown)" : options.clusters[0];
  if (!options.clusters.empty() &&
      std::find(options.clusters.begin(), options.clusters.end(), report.cluster) == options.clusters.end()) {
    err << "paasta status: the daemons serve cluster \"" << report.cluster << "\", not "
        << absl::StrJoin(options.clusters, ", ") << "\n";
    return 1;
  }
  if (report.instances.empty() && report.jobs.empty() && exit_code == 0) {
    err << "paasta status: " << options.service << " has no instances or jobs in cluster " << report.cluster
        << " (see `paasta list -i`)\n";
    return 1;
  }
  out << (options.json ? FormatStatusJson(report) : FormatStatus(report));
  return exit_code;
}

}  // namespace paasta::cli
