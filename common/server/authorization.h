// Who may change which services, checked by every mutating RPC.
//
// With grpc_tls set in the system config, daemons serve mutual TLS and a caller
// is the common name (CN) of the client certificate it presented. The policy
// file (grpc_tls.policy_file) maps callers to the services they may change:
//
//   # /etc/paasta/authorization.yaml
//   callers:
//     paasta-deployer: ["*"]           # daemons calling each other
//     paasta-generator: ["*"]
//     paasta-scheduler-bridge: ["*"]
//     alice: [example_service, example_batch]
//
// "*" is every service; an RPC that concerns every service (Generate or Sync
// without a service) needs it. A mutating RPC without a client certificate is
// UNAUTHENTICATED; one the policy does not allow is PERMISSION_DENIED naming
// the caller, the RPC and the service. Both are logged and counted in
// paasta_rpc_refused_total{rpc, reason}.
//
// Without grpc_tls (the one-machine default) nobody is authenticated and every
// caller may change everything; the daemon says so when it starts.
#ifndef PAASTA_COMMON_SERVER_AUTHORIZATION_H_
#define PAASTA_COMMON_SERVER_AUTHORIZATION_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace paasta {

class CallerPolicy {
 public:
  // Reads and checks the YAML policy file; INVALID_ARGUMENT naming the file,
  // line and key of every problem, NOT_FOUND when it cannot be read.
  static absl::StatusOr<CallerPolicy> Load(const std::string& path);
  static absl::StatusOr<CallerPolicy> Parse(const std::string& text, const std::string& path);

  // Whether `caller` may change `service`; an empty service means every one.
  bool MayChange(absl::string_view caller, absl::string_view service) const;

  size_t caller_count() const { return callers_.size(); }

 private:
  // caller -> services ("*" for all).
  std::map<std::string, std::set<std::string>, std::less<>> callers_;
};

class Authorizer {
 public:
  // Plaintext: no caller is known and every caller may change everything.
  // Refusals (none here) are counted in `registry`.
  explicit Authorizer(prometheus::Registry& registry);

  // Mutual TLS: callers are named by their certificates and checked against
  // the policy file, which is read again (at most once a second) when it
  // changes, so removing a caller takes effect without a restart; a changed
  // file that does not load is logged and the previous policy kept. Errors as
  // CallerPolicy::Load.
  static absl::StatusOr<std::unique_ptr<Authorizer>> WithPolicyFile(const std::string& path,
                                                                    prometheus::Registry& registry);

  // OK when the caller of `context` may change `service` ("" = every service)
  // through `rpc` ("Deployer/EmergencyStop"); otherwise UNAUTHENTICATED or
  // PERMISSION_DENIED as the file comment says, logged and counted. Allowed
  // changes are logged with their caller too.
  grpc::Status MayChange(const grpc::ServerContext& context, absl::string_view rpc, absl::string_view service) const;

  bool enforcing() const { return !policy_file_.empty(); }

 private:
  // The policy, re-read first if the file changed.
  std::shared_ptr<const CallerPolicy> CurrentPolicy() const;

  const std::string policy_file_;  // empty: plaintext
  prometheus::Family<prometheus::Counter>& refused_;
  mutable absl::Mutex mutex_;
  mutable std::shared_ptr<const CallerPolicy> policy_ ABSL_GUARDED_BY(mutex_);
  mutable std::string file_signature_ ABSL_GUARDED_BY(mutex_);  // inode, size, mtime
  mutable absl::Time next_check_ ABSL_GUARDED_BY(mutex_);

  Authorizer(std::string policy_file, std::shared_ptr<const CallerPolicy> policy, std::string signature,
             prometheus::Registry& registry);
};

// The certificate common name of the peer of `context`, or "" when it
// presented no (verified) certificate.
std::string CallerName(const grpc::ServerContext& context);

// Base of the services that have mutating RPCs. Daemon::AddService hands them
// the daemon's Authorizer; a service served outside a Daemon (unit tests with
// their own server) has none and lets every call through, as plaintext does.
class GuardedService {
 public:
  void set_authorizer(const Authorizer* authorizer) { authorizer_ = authorizer; }

 protected:
  ~GuardedService() = default;
  grpc::Status MayChange(const grpc::ServerContext& context, absl::string_view rpc, absl::string_view service) const {
    return authorizer_ == nullptr ? grpc::Status::OK : authorizer_->MayChange(context, rpc, service);
  }

 private:
  const Authorizer* authorizer_ = nullptr;
};

// The service an app id or task id of the agent belongs to:
// "example--service.main.git1234.config5678[.task]" -> "example_service".
std::string ServiceOfAppId(absl::string_view app_id);

// The service a job name of the scheduler belongs to: "example_batch daily"
// and a rerun's "tmp-20261128T0100 example_batch daily" -> "example_batch";
// "" when it has no space.
std::string ServiceOfJobName(absl::string_view job_name);

}  // namespace paasta

#endif  // PAASTA_COMMON_SERVER_AUTHORIZATION_H_
