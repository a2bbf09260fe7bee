#include "common/config/system_config.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/field_reader.h"
#include "common/file_util.h"

namespace paasta::config {
namespace {

// Every *.json under `dir`, recursively, sorted by full path.
void FindJsonFiles(const std::string& dir, std::vector<std::string>* files) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) continue;
    if (S_ISDIR(info.st_mode)) {
      FindJsonFiles(path, files);
    } else if (S_ISREG(info.st_mode) && absl::EndsWith(name, ".json")) {
      files->push_back(path);
    }
  }
}

}  // namespace

std::string DefaultSystemConfigDir() {
  const char* env = std::getenv("PAASTA_SYSTEM_CONFIG_DIR");
  return env != nullptr && *env != '\0' ? env : "/etc/paasta";
}

absl::StatusOr<SystemConfig> LoadSystemConfig(const std::string& dir) {
  struct stat info;
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(absl::StrCat("system config folder ", dir,
                                            " does not exist (set it with --system_config_dir, "
                                            "--system-config-dir in the CLI, or PAASTA_SYSTEM_CONFIG_DIR)"));
  }
  SystemConfig config;
  std::vector<std::string> files;
  FindJsonFiles(dir, &files);
  std::sort(files.begin(), files.end());
  std::vector<Problem> problems;
  for (const std::string& file : files) {
    if (::access(file.c_str(), R_OK) != 0) continue;  // e.g. credentials for root only
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) continue;
    absl::StatusOr<ConfigValue> parsed = ParseJson(*text, file);
    if (!parsed.ok()) {
      problems.push_back({Problem::Severity::kError,
                          {file, 0},
                          "",
                          "",
                          std::string(parsed.status().message().substr(file.size() + 2))});
      continue;
    }
    if (!parsed->IsMap()) {
      problems.push_back({Problem::Severity::kError,
                          {file, 0},
                          "",
                          "",
                          absl::StrCat("expected a JSON object, found ", parsed->Describe())});
      continue;
    }
    config.merged = DeepMerge(*parsed, config.merged);
    config.files.push_back(file);
  }

  FieldReader reader(config.merged, "", &problems);
  reader.String("cluster", &config.cluster);
  reader.String("docker_registry", &config.docker_registry);
  reader.String("dockercfg_location", &config.dockercfg_location);
  reader.String("synapse_host", &config.synapse_host);
  reader.Integer("synapse_port", &config.synapse_port, NumberRange::Between(1, 65535));
  reader.String("synapse_haproxy_url_format", &config.synapse_haproxy_url_format);
  reader.String("cluster_fqdn_format", &config.cluster_fqdn_format);
  reader.String("sensu_host", &config.sensu_host);
  reader.Integer("sensu_port", &config.sensu_port, NumberRange::Between(1, 65535));
  if (const ConfigValue* zookeeper = reader.Raw("zookeeper")) {
    if (zookeeper->IsString()) {
      config.zookeeper = zookeeper->string_value();
      if (absl::StartsWith(config.zookeeper, "zk://")) config.zookeeper = config.zookeeper.substr(5);
    } else {
      reader.Error("zookeeper", absl::StrCat("must be a string, found ", zookeeper->Describe()));
    }
  }
  if (const ConfigValue* volumes = reader.Raw("volumes")) {
    std::vector<VolumeConfig> parsed;
    bool ok = volumes->IsList();
    for (size_t i = 0; ok && i < volumes->items().size(); ++i) {
      const ConfigValue& item = volumes->items()[i];
      FieldReader volume_reader(item, "", &problems, absl::StrCat("volumes[", i, "]."));
      VolumeConfig volume;
      std::optional<std::string> mode;
      ok = volume_reader.String("containerPath", &volume.container_path) &&
           volume_reader.String("hostPath", &volume.host_path) && volume_reader.Choice("mode", {"RO", "RW"}, &mode);
      if (ok) {
        volume.mode = *mode;
        parsed.push_back(volume);
      }
    }
    if (ok) {
      config.volumes = std::move(parsed);
    } else {
      reader.Error("volumes", "must be a list of {hostPath, containerPath, mode: RO|RW}");
    }
  }
  if (const ConfigValue* marathon = reader.Raw("marathon_config")) {
    FieldReader marathon_reader(*marathon, "", &problems, "marathon_config.");
    MarathonEndpoint endpoint;
    if (!marathon_reader.String("url", &endpoint.url) && marathon->IsMap() && marathon->Find("url") == nullptr) {
      marathon_reader.Error("url", "required, e.g. http://marathon.example.com:8080");
    }
    marathon_reader.String("user", &endpoint.user);
    marathon_reader.String("password", &endpoint.password);
    marathon_reader.WarnAboutUnknownKeys();
    config.marathon = endpoint;
  }
  if (const ConfigValue* chronos = reader.Raw("chronos_config")) {
    FieldReader chronos_reader(*chronos, "", &problems, "chronos_config.");
    ChronosEndpoint endpoint;
    // The original took a list; a single URL is accepted too.
    if (const ConfigValue* url = chronos->Find("url"); url != nullptr && url->IsString()) {
      chronos_reader.Raw("url");
      endpoint.urls = {url->string_value()};
    } else if (!chronos_reader.StringList("url", &endpoint.urls) && chronos->IsMap() &&
               chronos->Find("url") == nullptr) {
      chronos_reader.Error("url", "required: a list of URLs, e.g. [\"http://chronos:4400\"]");
    }
    chronos_reader.String("user", &endpoint.user);
    chronos_reader.String("password", &endpoint.password);
    chronos_reader.String("api_prefix", &endpoint.api_prefix);
    chronos_reader.WarnAboutUnknownKeys();
    config.chronos = endpoint;
  }
  if (const ConfigValue* local_run = reader.Raw("local_run_config")) {
    FieldReader local_reader(*local_run, "", &problems, "local_run_config.");
    local_reader.String("default_cluster", &config.local_run_default_cluster);
  }
  if (const ConfigValue* addresses = reader.Raw("daemon_addresses")) {
    FieldReader address_reader(*addresses, "", &problems, "daemon_addresses.");
    for (const char* daemon :
         {"agent", "generator", "deployer", "scheduler_bridge", "drainer", "monitor", "smartstack"}) {
      std::string address;
      if (address_reader.String(daemon, &address)) config.daemon_addresses[daemon] = address;
    }
    address_reader.WarnAboutUnknownKeys();
  }
  if (const ConfigValue* tls = reader.Raw("grpc_tls")) {
    FieldReader tls_reader(*tls, "", &problems, "grpc_tls.");
    GrpcTls parsed;
    bool complete = tls->IsMap();
    for (auto [key, out] : {std::pair{"ca_file", &parsed.ca_file}, std::pair{"cert_file", &parsed.cert_file},
                            std::pair{"key_file", &parsed.key_file}, std::pair{"policy_file", &parsed.policy_file}}) {
      if (tls->IsMap() && tls->Find(key) == nullptr) {
        tls_reader.Error(key, "required: the absolute path of a PEM file (see SECURITY.md)");
        complete = false;
      } else if (!tls_reader.String(key, out)) {
        complete = false;
      }
    }
    tls_reader.Bool("open_reads", &parsed.open_reads);
    tls_reader.WarnAboutUnknownKeys();
    if (complete) config.grpc_tls = parsed;
  }
  // Other keys of the original (log_writer, dashboard_links, ...) are kept in
  // `merged` for whoever needs them; they are not checked here.
  for (Problem& problem : problems) {
    // Type problems concern the merged document: name the folder.
    if (problem.position.file.empty()) problem.position.file = dir;
  }
  if (absl::Status status = ErrorsToStatus(problems); !status.ok()) return status;
  return config;
}

}  // namespace paasta::config
