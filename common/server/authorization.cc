#include "common/server/authorization.h"

#include <sys/stat.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/config/config_value.h"
#include "common/config/field_reader.h"
#include "common/config/problem.h"
#include "common/file_util.h"
#include "spdlog/spdlog.h"

namespace paasta {

absl::StatusOr<CallerPolicy> CallerPolicy::Load(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("grpc_tls.policy_file: ", text.status().message()));
  }
  return Parse(*text, path);
}

absl::StatusOr<CallerPolicy> CallerPolicy::Parse(const std::string& text, const std::string& path) {
  absl::StatusOr<config::ConfigValue> document = config::ParseYaml(text, path);
  if (!document.ok()) return document.status();
  std::vector<config::Problem> problems;
  config::FieldReader reader(*document, "", &problems);
  CallerPolicy policy;
  const config::ConfigValue* callers = reader.Raw("callers");
  if (callers == nullptr && document->IsMap()) {
    reader.Error("callers", "required: a map from certificate common names to lists of services (\"*\" for all)");
  } else if (callers != nullptr && !callers->IsMap()) {
    reader.Error("callers", "must be a map from certificate common names to lists of services");
  } else if (callers != nullptr) {
    config::FieldReader caller_reader(*callers, "", &problems, "callers.");
    for (const auto& [caller, services] : callers->entries()) {
      std::vector<std::string> list;
      if (!caller_reader.StringList(caller, &list)) continue;
      policy.callers_[caller].insert(list.begin(), list.end());
    }
  }
  reader.WarnAboutUnknownKeys();
  for (config::Problem& problem : problems) {
    if (problem.position.file.empty()) problem.position.file = path;
  }
  if (absl::Status status = config::ErrorsToStatus(problems); !status.ok()) return status;
  return policy;
}

bool CallerPolicy::MayChange(absl::string_view caller, absl::string_view service) const {
  auto it = callers_.find(caller);
  if (it == callers_.end()) return false;
  if (it->second.count("*") > 0) return true;
  return !service.empty() && it->second.count(std::string(service)) > 0;
}

namespace {

// What changes when the policy file is replaced or edited: "" when it cannot be stat'ed.
std::string FileSignature(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return "";
  return absl::StrCat(info.st_ino, ":", info.st_size, ":", info.st_mtim.tv_sec, ".", info.st_mtim.tv_nsec);
}

prometheus::Family<prometheus::Counter>& RefusedFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("paasta_rpc_refused_total")
      .Help(
          "Mutating RPCs refused: reason unauthenticated (no client certificate) or "
          "permission_denied (the policy file does not allow the caller)")
      .Register(registry);
}

}  // namespace

Authorizer::Authorizer(prometheus::Registry& registry) : refused_(RefusedFamily(registry)) {}

Authorizer::Authorizer(std::string policy_file, std::shared_ptr<const CallerPolicy> policy, std::string signature,
                       prometheus::Registry& registry)
    : policy_file_(std::move(policy_file)),
      refused_(RefusedFamily(registry)),
      policy_(std::move(policy)),
      file_signature_(std::move(signature)),
      next_check_(absl::Now() + absl::Seconds(1)) {}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::WithPolicyFile(const std::string& path,
                                                                       prometheus::Registry& registry) {
  const std::string signature = FileSignature(path);
  absl::StatusOr<CallerPolicy> policy = CallerPolicy::Load(path);
  if (!policy.ok()) return policy.status();
  return std::unique_ptr<Authorizer>(
      new Authorizer(path, std::make_shared<const CallerPolicy>(*std::move(policy)), signature, registry));
}

std::shared_ptr<const CallerPolicy> Authorizer::CurrentPolicy() const {
  absl::MutexLock lock(&mutex_);
  const absl::Time now = absl::Now();
  if (now < next_check_) return policy_;
  next_check_ = now + absl::Seconds(1);
  const std::string signature = FileSignature(policy_file_);
  if (signature == file_signature_) return policy_;
  file_signature_ = signature;
  absl::StatusOr<CallerPolicy> reloaded = CallerPolicy::Load(policy_file_);
  if (!reloaded.ok()) {
    spdlog::error("the changed policy file does not load; the previous policy stays: {}", reloaded.status().ToString());
    return policy_;
  }
  spdlog::info("policy file {} changed: {} caller(s) now", policy_file_, reloaded->caller_count());
  policy_ = std::make_shared<const CallerPolicy>(*std::move(reloaded));
  return policy_;
}

std::string CallerName(const grpc::ServerContext& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  const std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.empty()) return "";
  return std::string(names.front().data(), names.front().size());
}

grpc::Status Authorizer::MayChange(const grpc::ServerContext& context, absl::string_view rpc,
                                   absl::string_view service) const {
  if (!enforcing()) return grpc::Status::OK;
  const std::string rpc_name(rpc);
  const std::string what = service.empty() ? "every service" : absl::StrCat("service ", service);
  const std::string caller = CallerName(context);
  if (caller.empty()) {
    refused_.Add({{"rpc", std::string(rpc)}, {"reason", "unauthenticated"}}).Increment();
    spdlog::warn("refused {} of {} from {}: no client certificate", rpc_name, what, context.peer());
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat(rpc, " changes ", what,
                                     " and needs a client certificate signed by the "
                                     "cluster's CA (grpc_tls in the system config; see SECURITY.md)"));
  }
  if (CurrentPolicy()->MayChange(caller, service)) {
    spdlog::info("{} of {} by caller \"{}\"", rpc_name, what, caller);
    return grpc::Status::OK;
  }
  refused_.Add({{"rpc", std::string(rpc)}, {"reason", "permission_denied"}}).Increment();
  spdlog::warn("refused {} of {} to caller \"{}\" ({}): not allowed by the policy file", rpc_name, what, caller,
               context.peer());
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("caller \"", caller, "\" may not change ", what, " (", rpc,
                                   "): the authorization policy does not list it for that service"));
}

std::string ServiceOfAppId(absl::string_view app_id) {
  const size_t dot = app_id.find('.');
  return absl::StrReplaceAll(app_id.substr(0, dot), {{"--", "_"}});
}

std::string ServiceOfJobName(absl::string_view job_name) {
  const std::vector<absl::string_view> words = absl::StrSplit(job_name, ' ');
  return words.size() < 2 ? "" : std::string(words[words.size() - 2]);
}

}  // namespace paasta
