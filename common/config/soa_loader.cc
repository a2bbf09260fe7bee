#include "common/config/soa_loader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/config/field_reader.h"
#include "common/iso8601.h"
#include "common/named_format.h"

namespace paasta::config {
namespace {

constexpr size_t kMaxNameLength = 63;

bool IsDirectory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

absl::StatusOr<std::vector<std::string>> ListDirectory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    return absl::NotFoundError(absl::StrCat("cannot read the folder ", path));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// A "<type>-<cluster>.yaml" file name, split.
struct InstanceFileName {
  InstanceType type;
  std::string cluster;
};

// Matches the original's /(marathon|chronos|paasta_native|adhoc)-([0-9a-z-_]*)\.yaml$.
// Sets `*bad_cluster` when the type prefix matches but the cluster is not a
// lowercase name (the original silently ignored such files).
std::optional<InstanceFileName> ParseInstanceFileName(const std::string& file, bool* bad_cluster) {
  static const std::pair<const char*, InstanceType> kTypes[] = {
      {"marathon-", InstanceType::kMarathon},
      {"chronos-", InstanceType::kChronos},
      {"paasta_native-", InstanceType::kPaastaNative},
      {"adhoc-", InstanceType::kAdhoc},
  };
  *bad_cluster = false;
  absl::string_view name = file;
  if (!absl::ConsumeSuffix(&name, ".yaml")) return std::nullopt;
  for (const auto& [prefix, type] : kTypes) {
    absl::string_view rest = name;
    if (!absl::ConsumePrefix(&rest, prefix)) continue;
    for (char c : rest) {
      if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_')) {
        *bad_cluster = true;
        return std::nullopt;
      }
    }
    return InstanceFileName{type, std::string(rest)};
  }
  return std::nullopt;
}

// Reads a YAML file, turning a parse error into a Problem at its line.
std::optional<ConfigValue> ReadYaml(const std::string& path, std::vector<Problem>* problems) {
  absl::StatusOr<ConfigValue> parsed = ParseYamlFile(path);
  if (parsed.ok()) return *std::move(parsed);
  // The message reads "<path>:<line>[:<column>]: <what>".
  absl::string_view message = parsed.status().message();
  SourcePosition position{path, 0};
  if (absl::ConsumePrefix(&message, path + ":")) {
    const size_t colon = message.find(':');
    int line = 0;
    if (colon != absl::string_view::npos && absl::SimpleAtoi(message.substr(0, colon), &line)) {
      position.line = line;
      message.remove_prefix(colon + 1);
      // Drop a column number, keep the rest.
      const size_t next = message.find(": ");
      int column = 0;
      if (next != absl::string_view::npos && absl::SimpleAtoi(message.substr(0, next), &column)) {
        message.remove_prefix(next + 2);
      } else {
        message = absl::StripLeadingAsciiWhitespace(message);
      }
    }
  }
  problems->push_back({Problem::Severity::kError, position, "", "", std::string(message)});
  return std::nullopt;
}

// A list of [location_type, value] pairs (deploy_blacklist, monitoring_blacklist).
void ReadPairs(FieldReader& reader, absl::string_view key, std::vector<std::pair<std::string, std::string>>* out) {
  const ConfigValue* value = reader.Raw(key);
  if (value == nullptr) return;
  std::vector<std::pair<std::string, std::string>> pairs;
  bool ok = value->IsList();
  if (ok) {
    for (const ConfigValue& item : value->items()) {
      if (!item.IsList() || item.items().size() != 2 || !item.items()[0].IsString() || !item.items()[1].IsString()) {
        ok = false;
        break;
      }
      pairs.emplace_back(item.items()[0].string_value(), item.items()[1].string_value());
    }
  }
  if (!ok) {
    reader.Error(key, absl::StrCat("must be a list of [location_type, value] pairs, e.g. "
                                   "[[region, uswest1-prod]], found ",
                                   value->Describe()));
    return;
  }
  *out = std::move(pairs);
}

// A list of constraints, each a list of 2 or 3 strings.
void ReadConstraints(FieldReader& reader, absl::string_view key, std::vector<std::vector<std::string>>* out,
                     bool* present) {
  const ConfigValue* value = reader.Raw(key);
  if (value == nullptr) return;
  std::vector<std::vector<std::string>> constraints;
  bool ok = value->IsList();
  if (ok) {
    for (const ConfigValue& item : value->items()) {
      if (!item.IsList() || item.items().size() < 2 || item.items().size() > 3) {
        ok = false;
        break;
      }
      std::vector<std::string> parts;
      for (const ConfigValue& part : item.items()) {
        if (part.IsString()) {
          parts.push_back(part.string_value());
        } else if (part.IsInt()) {
          parts.push_back(absl::StrCat(part.int_value()));
        } else {
          ok = false;
        }
      }
      constraints.push_back(std::move(parts));
    }
  }
  if (!ok) {
    reader.Error(key, absl::StrCat("must be a list of [field, OPERATOR(, value)] constraints, "
                                   "e.g. [[pool, LIKE, default]], found ",
                                   value->Describe()));
    return;
  }
  *out = std::move(constraints);
  if (present != nullptr) *present = true;
}

// The keys every instance type has (§1.3 "Common").
void ReadCommonKeys(FieldReader& reader, InstanceConfig* config) {
  reader.Number("cpus", &config->cpus, NumberRange::Above(0));
  reader.Number("mem", &config->mem, NumberRange::Above(0));
  reader.Number("disk", &config->disk, NumberRange::Above(0));
  reader.Integer("cfs_period_us", &config->cfs_period_us, NumberRange::Between(1000, 1000000));
  reader.Number("cpu_burst_pct", &config->cpu_burst_pct, NumberRange::AtLeast(0));

  if (const ConfigValue* ulimit = reader.Raw("ulimit")) {
    if (!ulimit->IsMap()) {
      reader.Error("ulimit", absl::StrCat("must be a map of name -> {soft: N, hard: N}, found ", ulimit->Describe()));
    } else {
      for (const auto& [name, limits] : ulimit->entries()) {
        const size_t before = reader.problems()->size();
        FieldReader limit_reader(limits, reader.instance(), reader.problems(), absl::StrCat("ulimit.", name, "."));
        UlimitConfig entry;
        entry.name = name;
        const bool has_soft = limit_reader.Integer("soft", &entry.soft, NumberRange::AtLeast(0));
        limit_reader.OptionalInteger("hard", &entry.hard, NumberRange::AtLeast(0));
        limit_reader.WarnAboutUnknownKeys();
        if (limits.IsMap() && limits.Find("soft") == nullptr) {
          reader.Error("ulimit", absl::StrCat("soft limit missing in ulimit configuration for ", name, "."));
        }
        if (has_soft && !HasErrors({reader.problems()->begin() + before, reader.problems()->end()})) {
          config->ulimits.push_back(entry);
        }
      }
      std::sort(config->ulimits.begin(), config->ulimits.end(),
                [](const UlimitConfig& a, const UlimitConfig& b) { return a.name < b.name; });
    }
  }
  reader.StringList("cap_add", &config->cap_add);

  reader.OptionalString("cmd", &config->cmd);
  std::vector<std::string> args;
  const bool has_args = reader.StringList("args", &args);
  if (config->cmd.has_value() && reader.map().Find("args") != nullptr && !reader.map().Find("args")->IsNull()) {
    reader.Error("args", "Instance configuration can specify cmd or args, but not both.");
  }
  if (has_args) {
    config->args = std::move(args);
  } else if (!config->cmd.has_value()) {
    config->args = std::vector<std::string>{};
  }

  reader.StringMap("env", &config->env);

  if (const ConfigValue* volumes = reader.Raw("extra_volumes")) {
    bool ok = volumes->IsList();
    if (ok) {
      for (const ConfigValue& item : volumes->items()) {
        FieldReader volume_reader(item, reader.instance(), reader.problems(), "extra_volumes.");
        VolumeConfig volume;
        std::optional<std::string> mode;
        const bool ok_container = volume_reader.String("containerPath", &volume.container_path);
        const bool ok_host = volume_reader.String("hostPath", &volume.host_path);
        volume_reader.Choice("mode", {"RO", "RW"}, &mode);
        volume_reader.WarnAboutUnknownKeys();
        if (item.IsMap() && (!ok_container || !ok_host || !mode.has_value()) &&
            (item.Find("containerPath") == nullptr || item.Find("hostPath") == nullptr ||
             item.Find("mode") == nullptr)) {
          reader.Error("extra_volumes", absl::StrCat("each volume needs containerPath, hostPath and mode (RO or "
                                                     "RW), found ",
                                                     item.ToJson()));
        } else if (ok_container && ok_host && mode.has_value()) {
          volume.mode = *mode;
          config->extra_volumes.push_back(volume);
        }
      }
    } else {
      reader.Error("extra_volumes", absl::StrCat("must be a list of {containerPath, hostPath, "
                                                 "mode} maps, found ",
                                                 volumes->Describe()));
    }
  }

  if (const ConfigValue* monitoring = reader.Raw("monitoring")) {
    if (monitoring->IsMap()) {
      config->monitoring = *monitoring;
    } else {
      reader.Error("monitoring", absl::StrCat("must be a map, found ", monitoring->Describe()));
    }
  }

  ReadPairs(reader, "deploy_blacklist", &config->deploy_blacklist);
  config->monitoring_blacklist = config->deploy_blacklist;
  ReadPairs(reader, "monitoring_blacklist", &config->monitoring_blacklist);
  if (const ConfigValue* whitelist = reader.Raw("deploy_whitelist")) {
    bool ok = whitelist->IsList() && whitelist->items().size() == 2 && whitelist->items()[0].IsString() &&
              whitelist->items()[1].IsList();
    std::vector<std::string> values;
    if (ok) {
      for (const ConfigValue& value : whitelist->items()[1].items()) {
        if (!value.IsString()) ok = false;
        if (value.IsString()) values.push_back(value.string_value());
      }
    }
    if (ok) {
      config->deploy_whitelist = std::make_pair(whitelist->items()[0].string_value(), std::move(values));
    } else {
      reader.Error("deploy_whitelist", absl::StrCat("must be one [location_type, [value, ...]] pair, e.g. "
                                                    "[region, [uswest1-prod]], found ",
                                                    whitelist->Describe()));
    }
  }
  reader.String("pool", &config->pool);
  std::vector<std::vector<std::string>> constraints;
  bool has_constraints = false;
  ReadConstraints(reader, "constraints", &constraints, &has_constraints);
  if (has_constraints) config->constraints = std::move(constraints);
  ReadConstraints(reader, "extra_constraints", &config->extra_constraints, nullptr);

  std::optional<std::string> net;
  if (reader.Choice("net", {"bridge", "host", "none"}, &net)) config->net = *net;

  config->deploy_group = absl::StrCat(config->cluster, ".", config->instance);
  std::string deploy_group;
  if (reader.String("deploy_group", &deploy_group)) {
    const absl::StatusOr<std::string> formatted = FormatNamed(
        deploy_group, {{"cluster", config->cluster}, {"instance", config->instance}, {"service", config->service}});
    if (formatted.ok()) {
      config->deploy_group = *formatted;
    } else {
      reader.Error("deploy_group", absl::StrCat("\"", deploy_group, "\" ", formatted.status().message()));
    }
  }
  config->branch = absl::StrCat(config->cluster, ".", config->instance);
  reader.String("branch", &config->branch);
}

void ReadDrainParams(FieldReader& reader, const std::string& method, std::optional<ConfigValue>* out) {
  const ConfigValue* params = reader.Raw("drain_method_params");
  if (params == nullptr) {
    if (method == "http") {
      reader.Error("drain_method_params",
                   "drain_method http needs drain_method_params with drain, stop_draining, "
                   "is_draining and is_safe_to_kill");
    }
    return;
  }
  if (!params->IsMap()) {
    reader.Error("drain_method_params", absl::StrCat("must be a map, found ", params->Describe()));
    return;
  }
  FieldReader params_reader(*params, reader.instance(), reader.problems(), "drain_method_params.");
  if (method == "hacheck") {
    double delay = 0, expiration = 0;
    int64_t port = 0;
    params_reader.Number("delay", &delay, NumberRange::AtLeast(0));
    params_reader.Number("expiration", &expiration, NumberRange::AtLeast(0));
    params_reader.Integer("hacheck_port", &port, NumberRange::Between(1, 65535));
    params_reader.WarnAboutUnknownKeys();
  } else if (method == "http") {
    for (const char* step : {"drain", "stop_draining", "is_draining", "is_safe_to_kill"}) {
      const ConfigValue* step_config = params_reader.Raw(step);
      if (step_config == nullptr) {
        params_reader.Error(step,
                            "required by drain_method http: {url_format, method, "
                            "success_codes}");
        continue;
      }
      FieldReader step_reader(*step_config, reader.instance(), reader.problems(),
                              absl::StrCat("drain_method_params.", step, "."));
      std::string url_format;
      std::optional<std::string> http_method;
      if (!step_reader.String("url_format", &url_format) && step_config->IsMap() &&
          step_config->Find("url_format") == nullptr) {
        step_reader.Error("url_format", "required, e.g. http://{host}:{port}/drain");
      }
      step_reader.Choice("method", {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}, &http_method);
      if (const ConfigValue* codes = step_reader.Raw("success_codes")) {
        if (!codes->IsInt() && !codes->IsString()) {
          step_reader.Error("success_codes",
                            absl::StrCat("must be a code or a list like \"200-299,302\", found ", codes->Describe()));
        }
      }
      step_reader.WarnAboutUnknownKeys();
    }
    params_reader.WarnAboutUnknownKeys();
  }
  // noop and test take no parameters: anything given is kept and ignored.
  *out = *params;
}

void ReadMarathonKeys(FieldReader& reader, const ServiceConfig& service, MarathonInstanceConfig* config) {
  // Long-running keys.
  reader.StringList("registrations", &config->registrations);
  for (const std::string& registration : config->registrations) {
    const std::vector<std::string> parts = absl::StrSplit(registration, '.');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      reader.Warning("registrations", absl::StrCat("\"", registration, "\" is not service.namespace; ignored"));
    }
  }
  config->registrations.erase(std::remove_if(config->registrations.begin(), config->registrations.end(),
                                             [](const std::string& r) {
                                               const std::vector<std::string> parts = absl::StrSplit(r, '.');
                                               return parts.size() != 2 || parts[0].empty() || parts[1].empty();
                                             }),
                              config->registrations.end());
  reader.OptionalString("nerve_ns", &config->nerve_ns);
  if (auto it = service.smartstack.find(config->NerveNamespace()); it != service.smartstack.end()) {
    config->smartstack = it->second;
  }

  reader.Choice("healthcheck_mode", {"http", "tcp", "cmd"}, &config->healthcheck_mode);
  reader.OptionalString("healthcheck_uri", &config->healthcheck_uri);
  reader.OptionalString("healthcheck_cmd", &config->healthcheck_cmd);
  const std::optional<std::string> mode = config->HealthcheckMode();
  if (mode.has_value() && *mode != "http" && *mode != "tcp" && *mode != "cmd") {
    reader.Error("healthcheck_mode",
                 absl::StrCat("Unknown mode: ", *mode, " (from smartstack.yaml namespace ", config->NerveNamespace(),
                              "). Only acceptable healthcheck modes are http/tcp/cmd"));
  }
  if (mode == "cmd" && !config->healthcheck_cmd.has_value()) {
    reader.Error("healthcheck_cmd", "healthcheck mode 'cmd' requires a healthcheck_cmd to run");
  }
  reader.Number("healthcheck_grace_period_seconds", &config->healthcheck_grace_period_seconds, NumberRange::AtLeast(0));
  reader.Number("healthcheck_interval_seconds", &config->healthcheck_interval_seconds, NumberRange::Above(0));
  reader.Number("healthcheck_timeout_seconds", &config->healthcheck_timeout_seconds, NumberRange::Above(0));
  reader.Integer("healthcheck_max_consecutive_failures", &config->healthcheck_max_consecutive_failures,
                 NumberRange::AtLeast(1));

  if (const ConfigValue* drain = reader.Raw("drain_method")) {
    if (drain->IsString() &&
        std::find(DrainMethods().begin(), DrainMethods().end(), drain->string_value()) != DrainMethods().end()) {
      config->drain_method = drain->string_value();
    } else {
      reader.Error(
          "drain_method",
          NotRecognized("drain_method", drain->IsString() ? drain->string_value() : drain->Describe(), DrainMethods()));
    }
  }
  ReadDrainParams(reader, config->DrainMethod(), &config->drain_method_params);

  // Marathon keys.
  if (const ConfigValue* instances = reader.Raw("instances")) {
    if (instances->IsBool() && !instances->bool_value()) {
      config->instances = 0;  // `instances: false`, as the original read it
    } else {
      reader.Integer("instances", &config->instances, NumberRange::AtLeast(0));
    }
  }
  reader.Integer("min_instances", &config->min_instances, NumberRange::AtLeast(0));
  reader.OptionalInteger("max_instances", &config->max_instances, NumberRange::AtLeast(0));
  if (config->max_instances.has_value() && *config->max_instances < config->min_instances) {
    reader.Error("max_instances", absl::StrCat("must be at least min_instances (", config->min_instances, "), found ",
                                               *config->max_instances));
  }
  if (const ConfigValue* autoscaling = reader.Raw("autoscaling")) {
    if (autoscaling->IsMap()) {
      config->autoscaling = *autoscaling;
    } else {
      reader.Error("autoscaling", absl::StrCat("must be a map, found ", autoscaling->Describe()));
    }
  }
  reader.Number("backoff_factor", &config->backoff_factor, NumberRange::AtLeast(1));
  reader.Integer("max_launch_delay_seconds", &config->max_launch_delay_seconds, NumberRange::AtLeast(0));
  if (const ConfigValue* bounce = reader.Raw("bounce_method")) {
    if (bounce->IsString() &&
        std::find(BounceMethods().begin(), BounceMethods().end(), bounce->string_value()) != BounceMethods().end()) {
      config->bounce_method = bounce->string_value();
    } else {
      reader.Error("bounce_method",
                   NotRecognized("bounce_method", bounce->IsString() ? bounce->string_value() : bounce->Describe(),
                                 BounceMethods()));
    }
  }
  if (const ConfigValue* params = reader.Raw("bounce_health_params")) {
    if (params->IsMap()) {
      FieldReader params_reader(*params, reader.instance(), reader.problems(), "bounce_health_params.");
      bool check_haproxy = false;
      double min_task_uptime = 0;
      params_reader.Bool("check_haproxy", &check_haproxy);
      params_reader.Number("min_task_uptime", &min_task_uptime, NumberRange::AtLeast(0));
      params_reader.WarnAboutUnknownKeys();
      config->bounce_health_params = *params;
    } else {
      reader.Error("bounce_health_params", absl::StrCat("must be a map, found ", params->Describe()));
    }
  }
  reader.Number("bounce_margin_factor", &config->bounce_margin_factor, NumberRange::AboveAtMost(0, 1));
  std::vector<std::string> roles;
  if (reader.StringList("accepted_resource_roles", &roles)) {
    config->accepted_resource_roles = std::move(roles);
  }
  reader.Integer("replication_threshold", &config->replication_threshold, NumberRange::Between(0, 100));
}

// §6.5's check_schedule messages, joined by the caller.
std::vector<std::string> ScheduleProblems(const std::string& schedule) {
  const std::vector<std::string> parts = absl::StrSplit(schedule, '/');
  if (parts.size() != 3) return {absl::StrCat("The specified schedule \"", schedule, "\" is invalid")};
  std::vector<std::string> messages;
  const std::string& repeat = parts[0];
  const std::string& start = parts[1];
  const std::string& interval = parts[2];
  if (start.empty()) {
    messages.push_back(absl::StrCat("The specified schedule \"", schedule, "\" does not contain a start time"));
  } else if (absl::StatusOr<absl::Time> parsed = ParseIsoDateTime(start); !parsed.ok()) {
    messages.push_back(absl::StrCat("The specified start time \"", start, "\" in schedule \"", schedule,
                                    "\" does not conform to the ISO 8601 format:\n", parsed.status().message()));
  }
  absl::StatusOr<IsoDuration> period = ParseIsoDuration(interval);
  if (!period.ok()) {
    messages.push_back(absl::StrCat("The specified interval \"", interval, "\" in schedule \"", schedule,
                                    "\" does not conform to the ISO 8601 format."));
  } else if (!period->HasCalendarUnits() && period->FixedPart() < absl::Seconds(60)) {
    // Exactly PT1M passes: the original compared with < 60 s.
    messages.push_back(
        absl::StrCat("Unsupported interval \"", interval, "\": jobs must be run at an interval of > 60 seconds"));
  }
  bool repeat_ok = !repeat.empty() && repeat[0] == 'R';
  for (size_t i = 1; repeat_ok && i < repeat.size(); ++i) repeat_ok = absl::ascii_isdigit(repeat[i]);
  if (!repeat_ok) {
    messages.push_back(absl::StrCat("The specified repeat \"", repeat, "\" in schedule \"", schedule,
                                    "\" does not conform to the ISO 8601 format."));
  }
  return messages;
}

void ReadChronosKeys(FieldReader& reader, ChronosJobConfig* config) {
  reader.OptionalString("schedule", &config->schedule);
  if (const ConfigValue* parents = reader.Raw("parents")) {
    if (parents->IsString()) {
      config->parents = {parents->string_value()};
    } else {
      reader.StringList("parents", &config->parents);
    }
  }
  const bool has_parents = reader.map().Find("parents") != nullptr && !reader.map().Find("parents")->IsNull();
  if (config->schedule.has_value() && has_parents) {
    reader.Error("parents", "a job has a schedule or parents, not both");
  } else if (!config->schedule.has_value() && !has_parents && reader.map().Find("schedule") == nullptr) {
    reader.Error("schedule", "a job needs a schedule (R[n]/<start>/<period>) or parents");
  }
  if (config->schedule.has_value()) {
    const std::vector<std::string> messages = ScheduleProblems(*config->schedule);
    if (!messages.empty()) reader.Error("schedule", absl::StrJoin(messages, "\n"));
  }
  std::vector<std::string> malformed;
  for (const std::string& parent : config->parents) {
    const std::vector<std::string> parts = absl::StrSplit(parent, '.');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) malformed.push_back(parent);
  }
  if (!malformed.empty()) {
    reader.Error("parents", absl::StrCat("The job name(s) ", absl::StrJoin(malformed, ", "),
                                         " is not formatted correctly: expected service.instance"));
  }
  if (reader.OptionalString("schedule_time_zone", &config->schedule_time_zone)) {
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(*config->schedule_time_zone, &zone)) {
      reader.Error("schedule_time_zone", absl::StrCat("\"", *config->schedule_time_zone,
                                                      "\" is not a tz database name (e.g. America/Los_Angeles)"));
    }
  }
  if (const ConfigValue* epsilon = reader.Raw("epsilon")) {
    if (epsilon->IsString() && ParseIsoDuration(epsilon->string_value()).ok()) {
      config->epsilon = epsilon->string_value();
    } else {
      reader.Error("epsilon",
                   absl::StrCat("The specified epsilon value ",
                                epsilon->IsString() ? "\"" + epsilon->string_value() + "\"" : epsilon->Describe(),
                                " does not conform to the ISO8601 format."));
    }
  }
  if (const ConfigValue* retries = reader.Raw("retries")) {
    if (retries->IsInt() && retries->int_value() >= 0) {
      config->retries = retries->int_value();
    } else {
      reader.Error("retries",
                   absl::StrCat("The specified retries value ", retries->Describe(), " is not a valid int."));
    }
  }
  reader.Bool("disabled", &config->disabled);
  if (const ConfigValue* bounce = reader.Raw("bounce_method")) {
    if (!bounce->IsString() || bounce->string_value() != "graceful") {
      reader.Error("bounce_method", absl::StrCat("The specified bounce method ", bounce->Describe(),
                                                 " is invalid. It must be one of (graceful)."));
    }
  }
}

SmartstackNamespaceConfig ReadNamespace(const std::string& service, const std::string& name, const ConfigValue& value,
                                        std::vector<Problem>* problems) {
  SmartstackNamespaceConfig ns;
  ns.name = name;
  ns.position = value.position();
  FieldReader reader(value, absl::StrCat(service, ".", name), problems);
  reader.OptionalInteger("proxy_port", &ns.proxy_port, NumberRange::Between(1, 65535));
  reader.Choice("mode", {"http", "tcp", "https"}, &ns.mode);
  reader.Choice("healthcheck_mode", {"http", "tcp", "https"}, &ns.healthcheck_mode);
  reader.OptionalString("healthcheck_uri", &ns.healthcheck_uri);
  reader.OptionalNumber("healthcheck_timeout_s", &ns.healthcheck_timeout_s, NumberRange::Above(0));
  reader.OptionalNumber("updown_timeout_s", &ns.updown_timeout_s, NumberRange::Above(0));
  reader.OptionalInteger("timeout_connect_ms", &ns.timeout_connect_ms, NumberRange::Above(0));
  reader.OptionalInteger("timeout_server_ms", &ns.timeout_server_ms, NumberRange::Above(0));
  reader.OptionalInteger("timeout_client_ms", &ns.timeout_client_ms, NumberRange::Above(0));
  reader.OptionalInteger("retries", &ns.retries, NumberRange::AtLeast(0));
  reader.String("discover", &ns.discover);
  if (const ConfigValue* advertise = reader.Raw("advertise")) ns.advertise = *advertise;
  reader.StringMap("extra_healthcheck_headers", &ns.extra_healthcheck_headers);
  if (const ConfigValue* routes = reader.Raw("routes")) {
    bool ok = routes->IsList();
    for (size_t i = 0; ok && i < routes->items().size(); ++i) {
      const ConfigValue& route = routes->items()[i];
      const ConfigValue* source = route.Find("source");
      const ConfigValue* destinations = route.Find("destinations");
      ok = source != nullptr && source->IsString() && destinations != nullptr && destinations->IsList();
      if (!ok) break;
      for (const ConfigValue& destination : destinations->items()) {
        ok = ok && destination.IsString();
        if (ok) ns.routes.emplace_back(source->string_value(), destination.string_value());
      }
    }
    if (!ok) {
      reader.Error("routes", "must be a list of {source: location, destinations: [locations]}");
    }
  }
  if (const ConfigValue* extra = reader.Raw("extra_advertise")) {
    bool ok = extra->IsMap();
    if (ok) {
      for (const auto& [source, destinations] : extra->entries()) {
        if (!destinations.IsList()) {
          ok = false;
          break;
        }
        for (const ConfigValue& destination : destinations.items()) {
          if (!destination.IsString()) {
            ok = false;
            break;
          }
          ns.extra_advertise.emplace_back(source, destination.string_value());
        }
      }
    }
    if (!ok) reader.Error("extra_advertise", "must be a map of location -> [locations]");
  }
  reader.WarnAboutUnknownKeys();
  return ns;
}

void ReadMonitoring(const ConfigValue& value, std::vector<Problem>* problems) {
  FieldReader reader(value, "", problems);
  std::string text;
  bool flag = false;
  int64_t number = 0;
  std::vector<std::string> list;
  reader.String("team", &text);
  reader.Bool("page", &flag);
  reader.String("runbook", &text);
  reader.String("tip", &text);
  if (const ConfigValue* email = reader.Raw("notification_email")) {
    if (!email->IsString() && !email->IsBool()) {
      reader.Error("notification_email", absl::StrCat("must be an address or false, found ", email->Describe()));
    }
  }
  reader.StringList("irc_channels", &list);
  reader.Bool("ticket", &flag);
  reader.String("project", &text);
  if (const ConfigValue* after = reader.Raw("alert_after")) {
    absl::Duration duration;
    if (!after->IsString() || !absl::ParseDuration(after->string_value(), &duration)) {
      reader.Error("alert_after", absl::StrCat("must be a duration such as 2m or 1h, found ", after->Describe()));
    }
  }
  if (const ConfigValue* realert = reader.Raw("realert_every")) {
    if (!realert->IsInt()) reader.Integer("realert_every", &number, NumberRange::AtLeast(-1));
  }
  reader.WarnAboutUnknownKeys();
}

void ReadDeploy(const ConfigValue& value, ServiceConfig* service, std::vector<Problem>* problems) {
  FieldReader reader(value, "", problems);
  if (const ConfigValue* pipeline = reader.Raw("pipeline")) {
    if (!pipeline->IsList()) {
      reader.Error("pipeline", absl::StrCat("must be a list of {step: name}, found ", pipeline->Describe()));
    } else {
      for (const ConfigValue& item : pipeline->items()) {
        FieldReader step_reader(item, "", problems, "pipeline.");
        PipelineStep step;
        if (!step_reader.String("step", &step.step) && item.IsMap() && item.Find("step") == nullptr) {
          step_reader.Error("step", "each pipeline entry needs a step name");
        }
        step_reader.Bool("trigger_next_step_manually", &step.trigger_next_step_manually);
        step_reader.WarnAboutUnknownKeys();
        if (!step.step.empty()) service->deploy_pipeline.push_back(step);
      }
    }
  }
  reader.WarnAboutUnknownKeys();
}

template <typename Config>
void SortInstances(std::vector<Config>* configs) {
  std::sort(configs->begin(), configs->end(), [](const Config& a, const Config& b) {
    return std::tie(a.cluster, a.instance) < std::tie(b.cluster, b.instance);
  });
}

}  // namespace

std::string DefaultSoaDir() {
  const char* env = std::getenv("PAASTA_SOA_DIR");
  return env != nullptr && *env != '\0' ? env : "/nail/etc/services";
}

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  bool ok =
      !name.empty() && name.size() <= kMaxNameLength && (absl::ascii_islower(name[0]) || absl::ascii_isdigit(name[0]));
  for (char c : name) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " name \"", absl::CEscape(name),
                                                 "\" is not allowed: use lowercase letters, digits, "
                                                 "\"_\" and \"-\", starting with a letter or digit, at most ",
                                                 kMaxNameLength, " characters"));
}

std::vector<std::string> CheckSchedule(const std::string& schedule) { return ScheduleProblems(schedule); }

absl::StatusOr<std::vector<std::string>> SoaDir::ListAllServices() const {
  absl::StatusOr<std::vector<std::string>> names = ListDirectory(root_);
  if (!names.ok()) {
    return absl::NotFoundError(absl::StrCat("soa-configs folder ", root_,
                                            " cannot be read "
                                            "(set it with -y/--soa-dir or PAASTA_SOA_DIR)"));
  }
  std::vector<std::string> services;
  for (const std::string& name : *names) {
    if (name[0] != '.' && IsDirectory(absl::StrCat(root_, "/", name))) services.push_back(name);
  }
  return services;
}

absl::StatusOr<std::vector<std::string>> SoaDir::ServicesToVisit(const std::string& only) const {
  if (!only.empty()) return std::vector<std::string>{only};
  return ListPaastaServices();
}

absl::StatusOr<std::vector<std::string>> SoaDir::ListPaastaServices() const {
  absl::StatusOr<std::vector<std::string>> all = ListAllServices();
  if (!all.ok()) return all.status();
  std::vector<std::string> services;
  for (const std::string& service : *all) {
    absl::StatusOr<std::vector<std::string>> files = ListDirectory(absl::StrCat(root_, "/", service));
    if (!files.ok()) continue;
    for (const std::string& file : *files) {
      bool bad_cluster = false;
      if (ParseInstanceFileName(file, &bad_cluster).has_value()) {
        services.push_back(service);
        break;
      }
    }
  }
  return services;
}

absl::StatusOr<ServiceConfig> SoaDir::LoadService(const std::string& service, std::vector<Problem>* problems) const {
  if (absl::Status name = CheckName("service", service); !name.ok()) return name;
  ServiceConfig config;
  config.name = service;
  config.dir = absl::StrCat(root_, "/", service);
  if (!IsDirectory(config.dir)) {
    return absl::NotFoundError(
        absl::StrCat("no service \"", service, "\" in ", root_, " (no folder ", config.dir, ")"));
  }
  absl::StatusOr<std::vector<std::string>> files = ListDirectory(config.dir);
  if (!files.ok()) return files.status();

  const std::string service_yaml_path = absl::StrCat(config.dir, "/service.yaml");
  auto read_if_present = [&](const std::string& name) -> std::optional<ConfigValue> {
    if (std::find(files->begin(), files->end(), name) == files->end()) return std::nullopt;
    return ReadYaml(absl::StrCat(config.dir, "/", name), problems);
  };

  // service.yaml: free-form, with a few keys PaaSTA reads.
  if (std::optional<ConfigValue> general = read_if_present("service.yaml")) {
    if (general->IsMap()) {
      config.service_yaml = *general;
      FieldReader reader(*general, "", problems);
      reader.String("git_url", &config.git_url);
      reader.String("description", &config.description);
      reader.String("external_link", &config.external_link);
    } else {
      problems->push_back({Problem::Severity::kError, general->position(), "", "",
                           absl::StrCat("expected a map of keys, found ", general->Describe())});
    }
  }
  if (config.git_url.empty()) {
    config.git_url = absl::StrCat("git@git.yelpcorp.com:services/", service, ".git");
  }
  if (std::optional<ConfigValue> monitoring = read_if_present("monitoring.yaml")) {
    ReadMonitoring(*monitoring, problems);
    if (monitoring->IsMap()) config.monitoring = *monitoring;
  }
  if (std::optional<ConfigValue> deploy = read_if_present("deploy.yaml")) {
    ReadDeploy(*deploy, &config, problems);
  }
  if (std::optional<ConfigValue> smartstack = read_if_present("smartstack.yaml")) {
    if (!smartstack->IsMap()) {
      problems->push_back(
          {Problem::Severity::kError, smartstack->position(), "", "", "expected a map of namespace -> keys"});
    } else {
      for (const auto& [name, value] : smartstack->entries()) {
        if (absl::Status ok = CheckName("namespace", name); !ok.ok()) {
          problems->push_back({Problem::Severity::kError, value.position(), "", name, std::string(ok.message())});
          continue;
        }
        config.smartstack[name] = ReadNamespace(service, name, value, problems);
      }
    }
  }

  // The defaults of marathon and adhoc instances: service.yaml, with
  // monitoring.yaml as its `monitoring` unless service.yaml has one.
  ConfigValue defaults = config.service_yaml;
  if (defaults.Find("monitoring") == nullptr) defaults.Set("monitoring", config.monitoring);
  const std::set<std::string> free_form = {service_yaml_path, absl::StrCat(config.dir, "/monitoring.yaml")};

  if (absl::StartsWith(service, "tmp") &&
      std::any_of(files->begin(), files->end(), [](const std::string& f) { return absl::StartsWith(f, "chronos-"); })) {
    problems->push_back({Problem::Severity::kError,
                         {config.dir, 0},
                         "",
                         "",
                         "a service whose name starts with \"tmp\" cannot have chronos jobs "
                         "(their names would clash with temporary rerun jobs)"});
  }

  // Instance files, in the original's type order; an instance belongs to the
  // first type whose file for the cluster has it.
  std::map<std::pair<std::string, std::string>, std::string> seen;  // (cluster, instance) -> file
  std::set<std::string> clusters;
  for (InstanceType type :
       {InstanceType::kMarathon, InstanceType::kChronos, InstanceType::kPaastaNative, InstanceType::kAdhoc}) {
    for (const std::string& file : *files) {
      bool bad_cluster = false;
      std::optional<InstanceFileName> parsed = ParseInstanceFileName(file, &bad_cluster);
      const std::string path = absl::StrCat(config.dir, "/", file);
      if (bad_cluster && type == InstanceType::kMarathon) {
        problems->push_back({Problem::Severity::kWarning,
                             {path, 0},
                             "",
                             "",
                             "not read: the cluster in a file name must be lowercase letters, "
                             "digits, \"-\" and \"_\""});
      }
      if (!parsed.has_value() || parsed->type != type) continue;
      if (parsed->cluster.empty()) {
        problems->push_back({Problem::Severity::kError, {path, 0}, "", "", "the file name names no cluster"});
        continue;
      }
      clusters.insert(parsed->cluster);
      std::optional<ConfigValue> document = ReadYaml(path, problems);
      if (!document.has_value() || type == InstanceType::kPaastaNative) continue;
      if (!document->IsMap()) {
        problems->push_back(
            {Problem::Severity::kError, document->position(), "", "", "expected a map of instance -> keys"});
        continue;
      }
      for (const auto& [instance, value] : document->entries()) {
        if (absl::StartsWith(instance, "_")) continue;  // a template for YAML anchors
        const std::string name = absl::StrCat(service, ".", instance);
        if (absl::Status ok = CheckName("instance", instance); !ok.ok()) {
          problems->push_back({Problem::Severity::kError, value.position(), "", "", std::string(ok.message())});
          continue;
        }
        auto [it, inserted] = seen.emplace(std::make_pair(parsed->cluster, instance), file);
        if (!inserted) {
          problems->push_back({Problem::Severity::kError, value.position(), name, "",
                               absl::StrCat("also defined in ", it->second, "; an instance has one type per cluster")});
          continue;
        }
        if (!value.IsMap() && !value.IsNull()) {
          problems->push_back({Problem::Severity::kError, value.position(), name, "",
                               absl::StrCat("expected a map of keys, found ", value.Describe())});
          continue;
        }
        const ConfigValue own = value.IsMap() ? value : ConfigValue::Map(value.position());
        if (type == InstanceType::kChronos) {
          ChronosJobConfig job;
          job.service = service;
          job.instance = instance;
          job.cluster = parsed->cluster;
          job.type = type;
          job.position = value.position();
          FieldReader reader(own, name, problems);
          ReadCommonKeys(reader, &job);
          ReadChronosKeys(reader, &job);
          reader.WarnAboutUnknownKeys();
          config.chronos.push_back(std::move(job));
          continue;
        }
        const ConfigValue merged = DeepMerge(own, defaults);
        FieldReader reader(merged, name, problems);
        reader.Ignore({"git_url", "description", "external_link"});
        if (type == InstanceType::kMarathon) {
          MarathonInstanceConfig marathon;
          marathon.service = service;
          marathon.instance = instance;
          marathon.cluster = parsed->cluster;
          marathon.type = type;
          marathon.position = value.position();
          ReadCommonKeys(reader, &marathon);
          ReadMarathonKeys(reader, config, &marathon);
          reader.WarnAboutUnknownKeys(free_form);
          config.marathon.push_back(std::move(marathon));
        } else {
          AdhocInstanceConfig adhoc;
          adhoc.service = service;
          adhoc.instance = instance;
          adhoc.cluster = parsed->cluster;
          adhoc.type = type;
          adhoc.position = value.position();
          ReadCommonKeys(reader, &adhoc);
          reader.WarnAboutUnknownKeys(free_form);
          config.adhoc.push_back(std::move(adhoc));
        }
      }
    }
  }
  config.clusters.assign(clusters.begin(), clusters.end());
  SortInstances(&config.marathon);
  SortInstances(&config.chronos);
  SortInstances(&config.adhoc);
  return config;
}

void CheckAcrossServices(const std::vector<ServiceConfig>& services, std::vector<Problem>* problems) {
  // Jobs by (cluster, "service.instance").
  std::map<std::pair<std::string, std::string>, const ChronosJobConfig*> jobs;
  for (const ServiceConfig& service : services) {
    for (const ChronosJobConfig& job : service.chronos) jobs[{job.cluster, job.Name()}] = &job;
  }
  for (const auto& [key, job] : jobs) {
    for (const std::string& parent : job->parents) {
      if (parent == job->Name()) {
        problems->push_back({Problem::Severity::kError, job->position, job->Name(), "parents",
                             absl::StrCat("Job ", job->Name(), " cannot depend on itself")});
      } else if (jobs.count({job->cluster, parent}) == 0 && std::count(parent.begin(), parent.end(), '.') == 1) {
        problems->push_back({Problem::Severity::kError, job->position, job->Name(), "parents",
                             absl::StrCat("Parent job ", parent, " could not be found in cluster ", job->cluster)});
      }
    }
  }
  // Cycles: depth-first search over parent edges; each cycle (as a set of jobs)
  // is reported once, at the job whose parent closes it, as "a -> b -> a"
  // where each job waits for the next.
  std::map<std::pair<std::string, std::string>, int> state;  // 0 new, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::set<std::set<std::string>> reported;
  std::function<void(const ChronosJobConfig*)> visit = [&](const ChronosJobConfig* job) {
    const std::pair<std::string, std::string> key{job->cluster, job->Name()};
    state[key] = 1;
    stack.push_back(job->Name());
    for (const std::string& parent : job->parents) {
      auto it = jobs.find({job->cluster, parent});
      if (it == jobs.end() || parent == job->Name()) continue;
      const int parent_state = state[{job->cluster, parent}];
      if (parent_state == 1) {
        const auto start = std::find(stack.begin(), stack.end(), parent);
        std::vector<std::string> cycle(start, stack.end());
        const std::set<std::string> members(cycle.begin(), cycle.end());
        if (reported.insert(members).second) {
          cycle.push_back(parent);
          problems->push_back({Problem::Severity::kError, job->position, job->Name(), "parents",
                               absl::StrCat("jobs depend on each other in a cycle: ", absl::StrJoin(cycle, " -> "))});
        }
      } else if (parent_state == 0) {
        visit(it->second);
      }
    }
    stack.pop_back();
    state[key] = 2;
  };
  for (const auto& [key, job] : jobs) {
    if (state[key] == 0) visit(job);
  }

  // Proxy ports: one namespace each (a one-machine cluster binds them all).
  std::map<int64_t, std::string> ports;
  for (const ServiceConfig& service : services) {
    for (const auto& [name, ns] : service.smartstack) {
      if (!ns.proxy_port.has_value()) continue;
      const std::string full = absl::StrCat(service.name, ".", name);
      auto [it, inserted] = ports.emplace(*ns.proxy_port, full);
      if (!inserted) {
        problems->push_back({Problem::Severity::kError, ns.position, full, "proxy_port",
                             absl::StrCat("proxy_port ", *ns.proxy_port, " is also used by ", it->second)});
      }
    }
  }
}

}  // namespace paasta::config
