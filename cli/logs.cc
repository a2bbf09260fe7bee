#include "cli/logs.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "deployer/config_hash.h"
#include "google/protobuf/util/time_util.h"
#include "protos/agent.grpc.pb.h"
#include "protos/deployer.grpc.pb.h"
#include "protos/scheduler_bridge.grpc.pb.h"

namespace paasta::cli {
namespace {

using google::protobuf::util::TimeUtil;

absl::Time FromProto(const google::protobuf::Timestamp& time) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(time));
}

// One source of output: the tasks of a long-running instance, or the runs of a job.
struct OutputSource {
  std::string instance;
  v1::ReadOutputRequest request;
  bool has_since = false;
  google::protobuf::Timestamp since;
};

// One daemon's events, read from `since` on.
struct EventSource {
  const DaemonEndpoint* endpoint = nullptr;
  bool has_since = false;
  google::protobuf::Timestamp since;
};

class LogReader {
 public:
  // One channel per daemon for the whole run (`-f` polls every second).
  LogReader(const Endpoints& endpoints, const LogsOptions& options, std::ostream& err)
      : endpoints_(endpoints),
        options_(options),
        err_(err),
        agent_(v1::Agent::NewStub(Connect(endpoints.agent))),
        deployer_(v1::Deployer::NewStub(Connect(endpoints.deployer))),
        bridge_(v1::SchedulerBridge::NewStub(Connect(endpoints.scheduler_bridge))) {}

  // Finds the instances and jobs; false (with exit_code set) when there is nothing to read.
  bool Discover() {
    std::set<std::string> known;
    {
      grpc::ClientContext context;
      SetDeadline(endpoints_, &context);
      v1::ListInstancesRequest request;
      request.set_service(options_.service);
      v1::ListInstancesResponse response;
      const grpc::Status status = deployer_->ListInstances(&context, request, &response);
      if (!status.ok()) {
        Failed(endpoints_.deployer, status);
      } else {
        for (const v1::InstanceStatus& instance : response.instances()) {
          cluster_ = instance.instance().cluster();
          known.insert(instance.instance().instance());
          if (!Wanted(instance.instance().instance())) continue;
          OutputSource source;
          source.instance = instance.instance().instance();
          // The trailing "." keeps "main" from matching "main2".
          source.request.add_app_id_prefixes(deployer::AppIdPrefix(options_.service, instance.instance().instance()) +
                                             ".");
          outputs_.push_back(source);
        }
      }
    }
    {
      grpc::ClientContext context;
      SetDeadline(endpoints_, &context);
      v1::ListJobsRequest request;
      request.set_service(options_.service);
      v1::ListJobsResponse response;
      const grpc::Status status = bridge_->ListJobs(&context, request, &response);
      if (!status.ok()) {
        Failed(endpoints_.scheduler_bridge, status);
      } else {
        std::map<std::string, size_t> by_instance;
        for (const v1::JobStatus& job : response.jobs()) {
          if (cluster_.empty()) cluster_ = job.instance().cluster();
          known.insert(job.instance().instance());
          if (!Wanted(job.instance().instance())) continue;
          auto [it, added] = by_instance.emplace(job.instance().instance(), outputs_.size());
          if (added) {
            OutputSource source;
            source.instance = job.instance().instance();
            outputs_.push_back(source);
          }
          outputs_[it->second].request.add_job_names(job.job().name());  // reruns included
        }
      }
    }
    if (!options_.clusters.empty() && !cluster_.empty() &&
        std::find(options_.clusters.begin(), options_.clusters.end(), cluster_) == options_.clusters.end()) {
      err_ << "paasta logs: the daemons serve cluster \"" << cluster_ << "\", not "
           << absl::StrJoin(options_.clusters, ", ") << "\n";
      exit_code_ = 1;
      return false;
    }
    for (const std::string& instance : options_.instances) {
      if (known.count(instance) == 0) {
        err_ << "paasta logs: " << options_.service << "." << instance << " is not an instance or job of cluster "
             << (cluster_.empty() ? "(unknown)" : cluster_)
             << " (there: " << (known.empty() ? "none" : absl::StrJoin(known, ", "))
             << (exit_code_ != 0 ? "; as far as the daemons that answered know" : "") << ")\n";
        exit_code_ = std::max(exit_code_, 1);
        return false;
      }
    }
    if (known.empty() && exit_code_ == 0) {
      err_ << "paasta logs: " << options_.service << " has no instances or jobs in cluster "
           << (cluster_.empty() ? "(unknown)" : cluster_) << " (see `paasta list -i`)\n";
      exit_code_ = 1;
      return false;
    }
    for (const DaemonEndpoint* endpoint : {&endpoints_.deployer, &endpoints_.scheduler_bridge}) {
      EventSource source;
      source.endpoint = endpoint;
      events_.push_back(source);
    }
    return true;
  }

  // Everything new since the last call, oldest first.
  std::vector<LogEntry> ReadNew(int tail) {
    std::vector<LogEntry> entries;
    for (OutputSource& source : outputs_) ReadOutput(source, tail, &entries);
    for (EventSource& source : events_) ReadEvents(source, &entries);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const LogEntry& a, const LogEntry& b) { return a.time < b.time; });
    return entries;
  }

  int exit_code() const { return exit_code_; }

 private:
  bool Wanted(const std::string& instance) const {
    return options_.instances.empty() ||
           std::find(options_.instances.begin(), options_.instances.end(), instance) != options_.instances.end();
  }

  // Reports a daemon once per run.
  void Failed(const DaemonEndpoint& endpoint, const grpc::Status& status) {
    if (!reported_.insert(endpoint.binary).second) return;
    exit_code_ = std::max(exit_code_, ReportRpcFailure(endpoint, status, err_));
  }

  void ReadOutput(OutputSource& source, int tail, std::vector<LogEntry>* entries) {
    grpc::ClientContext context;
    SetDeadline(endpoints_, &context);
    v1::ReadOutputRequest request = source.request;
    if (source.has_since) *request.mutable_since() = source.since;
    request.set_tail(tail);
    v1::ReadOutputResponse response;
    const grpc::Status status = agent_->ReadOutput(&context, request, &response);
    if (!status.ok()) {
      Failed(endpoints_.agent, status);
      return;
    }
    if (response.has_until()) {
      source.has_since = true;
      source.since = response.until();
    }
    for (const v1::OutputLine& line : response.lines()) {
      const std::string& id = line.task_id();
      const std::string short_id = id.substr(id.rfind('.') + 1).substr(0, 8);
      entries->push_back(
          {FromProto(line.time()), source.instance, absl::StrCat(line.stream(), " ", short_id), line.text()});
    }
  }

  template <typename Stub>
  void ReadEventsFrom(Stub& stub, EventSource& source, std::vector<LogEntry>* entries) {
    grpc::ClientContext context;
    SetDeadline(endpoints_, &context);
    v1::ListEventsRequest request;
    request.set_service(options_.service);
    for (const std::string& instance : options_.instances) request.add_instances(instance);
    if (source.has_since) *request.mutable_since() = source.since;
    v1::ListEventsResponse response;
    const grpc::Status status = stub.ListEvents(&context, request, &response);
    if (!status.ok()) {
      Failed(*source.endpoint, status);
      return;
    }
    for (const v1::ServiceEvent& event : response.events()) {
      entries->push_back({FromProto(event.time()), event.instance(), event.source(), event.message()});
      source.has_since = true;
      source.since = event.time();
    }
  }

  void ReadEvents(EventSource& source, std::vector<LogEntry>* entries) {
    if (source.endpoint == &endpoints_.deployer) {
      ReadEventsFrom(*deployer_, source, entries);
    } else {
      ReadEventsFrom(*bridge_, source, entries);
    }
  }

  const Endpoints& endpoints_;
  const LogsOptions& options_;
  std::ostream& err_;
  const std::unique_ptr<v1::Agent::Stub> agent_;
  const std::unique_ptr<v1::Deployer::Stub> deployer_;
  const std::unique_ptr<v1::SchedulerBridge::Stub> bridge_;
  std::string cluster_;
  std::vector<OutputSource> outputs_;
  std::vector<EventSource> events_;
  std::set<std::string> reported_;
  int exit_code_ = 0;
};

}  // namespace

std::string FormatLogEntry(const LogEntry& entry) {
  return absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M:%E3S", entry.time, absl::UTCTimeZone()), " ",
                      entry.instance.empty() ? "-" : entry.instance, " ", entry.source, ": ", entry.text);
}

int Logs(const Endpoints& endpoints, const LogsOptions& options, std::ostream& out, std::ostream& err) {
  LogReader reader(endpoints, options, err);
  if (!reader.Discover()) return reader.exit_code();
  std::vector<LogEntry> entries = reader.ReadNew(options.lines);
  const size_t skip = entries.size() > static_cast<size_t>(options.lines) ? entries.size() - options.lines : 0;
  for (size_t i = skip; i < entries.size(); ++i) out << FormatLogEntry(entries[i]) << "\n";
  out.flush();
  while (options.follow) {
    absl::SleepFor(options.poll_interval);
    for (const LogEntry& entry : reader.ReadNew(0)) out << FormatLogEntry(entry) << "\n";
    out.flush();
  }
  return reader.exit_code();
}

}  // namespace paasta::cli
