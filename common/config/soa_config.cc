#include "common/config/soa_config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace paasta::config {

const char* InstanceTypeName(InstanceType type) {
  switch (type) {
    case InstanceType::kMarathon: return "marathon";
    case InstanceType::kChronos: return "chronos";
    case InstanceType::kPaastaNative: return "paasta_native";
    case InstanceType::kAdhoc: return "adhoc";
  }
  return "?";
}

std::optional<std::string> SmartstackNamespaceConfig::EffectiveMode() const {
  if (mode.has_value()) return mode;
  if (proxy_port.has_value()) return std::string("http");
  return std::nullopt;
}

std::vector<std::string> MarathonInstanceConfig::Registrations() const {
  if (!registrations.empty()) return registrations;
  if (nerve_ns.has_value()) return {absl::StrCat(service, ".", *nerve_ns)};
  return {absl::StrCat(service, ".", instance)};
}

std::string MarathonInstanceConfig::NerveNamespace() const {
  const std::string first = Registrations().front();
  const size_t dot = first.find('.');
  return dot == std::string::npos ? first : first.substr(dot + 1);
}

bool MarathonInstanceConfig::InSmartstack() const {
  return smartstack.has_value() && smartstack->proxy_port.has_value();
}

std::optional<std::string> MarathonInstanceConfig::HealthcheckMode() const {
  if (healthcheck_mode.has_value()) return healthcheck_mode;
  if (smartstack.has_value()) return smartstack->EffectiveMode();
  return std::nullopt;
}

std::string MarathonInstanceConfig::HealthcheckUri() const {
  if (healthcheck_uri.has_value()) return *healthcheck_uri;
  if (smartstack.has_value() && smartstack->healthcheck_uri.has_value()) {
    return *smartstack->healthcheck_uri;
  }
  return "/status";
}

std::string MarathonInstanceConfig::DrainMethod() const {
  if (drain_method.has_value()) return *drain_method;
  return InSmartstack() ? "hacheck" : "noop";
}

ConfigValue MarathonInstanceConfig::DrainMethodParams() const {
  if (drain_method_params.has_value()) return *drain_method_params;
  ConfigValue params = ConfigValue::Map();
  if (InSmartstack()) params.Set("delay", ConfigValue::Int(60));
  return params;
}

ConfigValue MarathonInstanceConfig::BounceHealthParams() const {
  if (bounce_health_params.has_value()) return *bounce_health_params;
  ConfigValue params = ConfigValue::Map();
  if (InSmartstack()) params.Set("check_haproxy", ConfigValue::Bool(true));
  return params;
}

int64_t MarathonInstanceConfig::InstanceCount(DesiredState desired_state) const {
  if (desired_state == DesiredState::kStop) return 0;
  if (max_instances.has_value()) return *max_instances;
  return instances;
}

int64_t MarathonInstanceConfig::BackoffSeconds(DesiredState desired_state) const {
  // Worked example: 3 instances -> ceil(10 / 3) = 4 s; 20 instances -> 1 s.
  const int64_t count = max_instances.has_value() ? *max_instances : InstanceCount(desired_state);
  if (count <= 0) return 1;
  return (10 + count - 1) / count;
}

std::string ServiceConfig::Team(const ConfigValue& monitoring) {
  const ConfigValue* team = monitoring.Find("team");
  return team != nullptr && team->IsString() ? team->string_value() : "";
}

const std::vector<std::string>& BounceMethods() {
  static const auto* methods =
      new std::vector<std::string>{"brutal", "crossover", "down", "downthenup", "upthendown"};
  return *methods;
}

const std::vector<std::string>& DrainMethods() {
  static const auto* methods = new std::vector<std::string>{"hacheck", "http", "noop", "test"};
  return *methods;
}

std::string NotRecognized(const std::string& key, const std::string& value,
                          const std::vector<std::string>& allowed) {
  return absl::StrCat(key, " not recognized: ", value, ". Must be one of (", absl::StrJoin(allowed, ", "), ")");
}

}  // namespace paasta::config
