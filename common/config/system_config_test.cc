#include "common/config/system_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "gtest/gtest.h"

namespace paasta::config {
namespace {

class SystemConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::NewTempDir("etc-paasta"); }
  void Write(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(dir_, "/", name);
    ::mkdir(path.substr(0, path.rfind('/')).c_str(), 0755);
    ASSERT_TRUE(WriteFileAtomically(path, text).ok());
  }
  std::string dir_;
};

TEST_F(SystemConfigTest, DeepMergesEveryJsonFileInPathOrderLaterWinning) {
  Write("a.json",
        R"({"cluster": "first", "volumes": [{"hostPath": "/nail", "containerPath": "/nail", "mode": "RO"}]})");
  Write("b.json", R"({"cluster": "local", "marathon_config": {"url": "http://127.0.0.1:8080"}})");
  Write("sub/c.json", R"({"marathon_config": {"user": "deployer", "password": "s3cret"}})");
  Write("notes.txt", "not json, not read");
  // A file that cannot be read (a dangling link) is skipped, as the original
  // skipped credential files it could not open.
  ASSERT_EQ(::symlink("/nonexistent/secret.json", absl::StrCat(dir_, "/zz-secret.json").c_str()), 0);

  const absl::StatusOr<SystemConfig> config = LoadSystemConfig(dir_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->files, (std::vector<std::string>{dir_ + "/a.json", dir_ + "/b.json", dir_ + "/sub/c.json"}));
  EXPECT_EQ(config->cluster, "local");
  ASSERT_TRUE(config->volumes.has_value());
  ASSERT_EQ(config->volumes->size(), 1u);
  EXPECT_EQ((*config->volumes)[0].mode, "RO");
  ASSERT_TRUE(config->marathon.has_value());
  EXPECT_EQ(config->marathon->url, "http://127.0.0.1:8080");
  EXPECT_EQ(config->marathon->user, "deployer");
  EXPECT_FALSE(config->chronos.has_value());  // the embedded scheduler
}

TEST_F(SystemConfigTest, DefaultsAndOptionalKeys) {
  Write("cluster.json", R"({"cluster": "local",
    "chronos_config": {"url": "http://127.0.0.1:4400"},
    "zookeeper": "zk://10.0.0.1:2181",
    "daemon_addresses": {"agent": "127.0.0.1:9701"},
    "local_run_config": {"default_cluster": "local"}})");
  const absl::StatusOr<SystemConfig> config = LoadSystemConfig(dir_);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->volumes.has_value());
  EXPECT_EQ(config->dockercfg_location, "file:///root/.dockercfg");
  EXPECT_EQ(config->synapse_port, 3212);
  EXPECT_EQ(config->synapse_host, "localhost");
  EXPECT_EQ(config->synapse_haproxy_url_format, "http://{host:s}:{port:d}/;csv;norefresh");
  EXPECT_EQ(config->cluster_fqdn_format, "paasta-{cluster:s}.yelp");
  EXPECT_EQ(config->sensu_port, 3030);
  EXPECT_EQ(config->zookeeper, "10.0.0.1:2181");  // zk:// stripped
  ASSERT_TRUE(config->chronos.has_value());
  EXPECT_EQ(config->chronos->urls, std::vector<std::string>{"http://127.0.0.1:4400"});
  EXPECT_EQ(config->daemon_addresses.at("agent"), "127.0.0.1:9701");
  EXPECT_EQ(config->local_run_default_cluster, "local");
}

TEST_F(SystemConfigTest, ErrorsNameTheFileAndTheKey) {
  Write("a.json", R"({"cluster": 5, "volumes": "/nail"})");
  Write("b.json", "{not json");
  const absl::StatusOr<SystemConfig> config = LoadSystemConfig(dir_);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_NE(message.find(dir_ + "/b.json: cannot parse JSON"), std::string::npos) << message;
  EXPECT_NE(message.find(dir_ + "/a.json: cluster: must be a string, found 5"), std::string::npos) << message;
  EXPECT_NE(message.find(dir_ + "/a.json: volumes: must be a list"), std::string::npos) << message;
}

TEST_F(SystemConfigTest, GrpcTlsNeedsEveryFileAndSaysWhichIsMissing) {
  Write("tls.json", R"({"grpc_tls": {"ca_file": "/etc/paasta/tls/ca.pem", "cert_file": "/etc/paasta/tls/host.pem",
    "key_file": "/etc/paasta/tls/host-key.pem", "policy_file": "/etc/paasta/authz.yaml", "open_reads": true}})");
  absl::StatusOr<SystemConfig> config = LoadSystemConfig(dir_);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->grpc_tls.has_value());
  EXPECT_EQ(config->grpc_tls->key_file, "/etc/paasta/tls/host-key.pem");
  EXPECT_EQ(config->grpc_tls->policy_file, "/etc/paasta/authz.yaml");
  EXPECT_TRUE(config->grpc_tls->open_reads);

  Write("tls.json", R"({"grpc_tls": {"ca_file": "/etc/paasta/tls/ca.pem", "cert_file": 7}})");
  config = LoadSystemConfig(dir_);
  ASSERT_FALSE(config.ok());
  const std::string message(config.status().message());
  EXPECT_NE(message.find("grpc_tls.cert_file: must be a string"), std::string::npos) << message;
  EXPECT_NE(message.find("grpc_tls.key_file: required"), std::string::npos) << message;
  EXPECT_NE(message.find("grpc_tls.policy_file: required"), std::string::npos) << message;
}

TEST_F(SystemConfigTest, MissingFolderSaysHowToSetIt) {
  const absl::StatusOr<SystemConfig> config = LoadSystemConfig(dir_ + "/nope");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find("PAASTA_SYSTEM_CONFIG_DIR"), std::string::npos);
}

TEST(DefaultSystemConfigDirTest, HonoursTheEnvironment) {
  ::unsetenv("PAASTA_SYSTEM_CONFIG_DIR");
  EXPECT_EQ(DefaultSystemConfigDir(), "/etc/paasta");
  ::setenv("PAASTA_SYSTEM_CONFIG_DIR", "/srv/paasta", 1);
  EXPECT_EQ(DefaultSystemConfigDir(), "/srv/paasta");
  ::unsetenv("PAASTA_SYSTEM_CONFIG_DIR");
}

}  // namespace
}  // namespace paasta::config
