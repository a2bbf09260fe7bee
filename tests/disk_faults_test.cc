// The disk is full, or the state folder read-only, while the platform writes
// its state: deployments.json (the generator) and the agent's SQLite state
// (the real paasta-agent binary). Each time the write fails with an error that
// says so, the previous file stays intact, nothing that runs changes, and once
// there is room again the next write goes through. The small disk is a real
// tmpfs of 1 MiB mounted for the test (it needs root; without it the cases are
// skipped, saying so).
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/config/deployments.h"
#include "common/file_util.h"
#include "common/testing/child_process.h"
#include "common/testing/git_repo.h"
#include "deployer/generator/generator.h"
#include "deployer/generator/tags.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "protos/agent.grpc.pb.h"

namespace paasta {
namespace {

// A tmpfs of a given size at a folder, that can be filled up and made read-only.
class SmallDisk {
 public:
  // "" when mounted, else why not.
  std::string Mount(const std::string& dir) {
    dir_ = dir;
    if (!MakeDirs(dir).ok()) return "cannot create " + dir;
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") != 0) {
      return absl::StrCat("cannot mount a 1 MiB tmpfs at ", dir, " (", std::strerror(errno),
                          "): the disk-fault cases need root");
    }
    mounted_ = true;
    return "";
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }

  // Writes a filler file until the disk has no byte left.
  void Fill() {
    const int fd = ::open((dir_ + "/filler").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    const std::string chunk(64 * 1024, 'x');
    for (size_t size : {size_t{64 * 1024}, size_t{4096}, size_t{1}}) {
      while (::write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {
      }
    }
    EXPECT_EQ(errno, ENOSPC);
    ::close(fd);
  }
  void Free() { ::unlink((dir_ + "/filler").c_str()); }

  void ReadOnly(bool read_only) {
    ASSERT_EQ(::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | (read_only ? MS_RDONLY : 0), "size=1m"), 0)
        << std::strerror(errno);
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

// Files of a folder other than `except`.
std::vector<std::string> Listing(const std::string& dir, const std::string& except) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename() != except) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(DiskFaultsTest, DeploymentsJsonKeepsThePreviousVersionWhenTheDiskIsFullOrReadOnly) {
  const std::string dir = testing::NewTempDir("disk-generator");
  const std::string repo = dir + "/repo", soa = dir + "/soa";
  SmallDisk disk;
  if (const std::string why = disk.Mount(soa + "/svc"); !why.empty()) GTEST_SKIP() << why;
  testing::InitRepo(repo);
  const std::string v1 = testing::CommitFiles(repo, {{"server.py", "v1"}}, "v1");
  const std::string v2 = testing::CommitFiles(repo, {{"server.py", "v2"}}, "v2");
  ASSERT_TRUE(WriteFileAtomically(soa + "/svc/service.yaml", "git_url: " + repo + "\n").ok());
  ASSERT_TRUE(WriteFileAtomically(soa + "/svc/marathon-local.yaml", "main: {deploy_group: local.everything}\n").ok());
  absl::Time now = absl::FromUnixSeconds(1478513410);
  generator::GeneratorOptions options;
  options.soa_dir = soa;
  options.git_cache_dir = dir + "/cache";
  options.now = [&now] { return now; };
  generator::Generator generator(options);
  ASSERT_TRUE(generator.MarkForDeployment("svc", "local.everything", v1, "").ok());
  const std::string deployed_v1 = *ReadFile(soa + "/svc/deployments.json");
  ASSERT_TRUE(absl::StrContains(deployed_v1, v1));
  const std::vector<std::string> files = Listing(soa + "/svc", "filler");

  // v2 is tagged (in git, on another disk) while the soa-dir's disk is full.
  disk.Fill();
  now += absl::Seconds(10);
  testing::Git(repo, {"tag", generator::DeployTagName("local.everything", now), v2});
  generator::GenerationResult result = generator.GenerateService("svc");
  EXPECT_TRUE(absl::StrContains(result.error, "cannot write deployments.json of svc")) << result.error;
  EXPECT_TRUE(absl::StrContains(result.error, "No space left on device")) << result.error;
  EXPECT_FALSE(result.changed);
  EXPECT_EQ(*ReadFile(soa + "/svc/deployments.json"), deployed_v1);
  EXPECT_EQ(Listing(soa + "/svc", "filler"), files) << "no temporary file is left behind";

  // Read-only: the same.
  disk.Free();
  disk.ReadOnly(true);
  result = generator.GenerateService("svc");
  EXPECT_TRUE(absl::StrContains(result.error, "Read-only file system")) << result.error;
  EXPECT_EQ(*ReadFile(soa + "/svc/deployments.json"), deployed_v1);

  // Room again: the next pass writes v2.
  disk.ReadOnly(false);
  result = generator.GenerateService("svc");
  EXPECT_EQ(result.error, "");
  EXPECT_TRUE(result.changed);
  absl::StatusOr<config::Deployments> read = config::ReadDeployments(soa, "svc");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(absl::StrContains(*ReadFile(soa + "/svc/deployments.json"), v2));
}

class AgentDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("disk-agent");
    if (const std::string why = disk_.Mount(dir_ + "/state"); !why.empty()) GTEST_SKIP() << why;
    // Only the SQLite state on the small disk: the tasks' output files (held
    // open by the tasks) live elsewhere, so the disk can be remounted
    // read-only while the agent is down.
    ASSERT_TRUE(MakeDirs(dir_ + "/sandboxes").ok());
    ASSERT_EQ(::symlink((dir_ + "/sandboxes").c_str(), (dir_ + "/state/sandboxes").c_str()), 0);
    StartAgent();
  }
  void TearDown() override {
    if (agent_ == nullptr) return;
    for (const std::string& id : AppIds()) {
      grpc::ClientContext context;
      v1::DeleteAppRequest request;
      request.set_app_id(id);
      v1::DeleteAppResponse response;
      stub_->DeleteApp(&context, request, &response);
    }
    testing::WaitUntil([&] { return TaskCount() == 0; }, absl::Seconds(15));
    if (agent_->Signal(SIGTERM)) agent_->Wait(absl::Seconds(10)).IgnoreError();
  }

  void StartAgent() {
    ::unlink((dir_ + "/ports.json").c_str());
    auto child = testing::ChildProcess::Start(
        {"agent/paasta-agent", "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         "--ports_file=" + dir_ + "/ports.json", "--state_dir=" + dir_ + "/state", "--tick=50ms", "--kill_grace=2s",
         absl::StrCat("--cgroup_name=paasta-disk-test-", ::getpid())},
        absl::StrCat(dir_, "/agent.", ++starts_, ".log"));
    ASSERT_TRUE(child.ok());
    agent_ = std::move(*child);
    const auto ports = testing::WaitForFile(dir_ + "/ports.json", absl::Seconds(30));
    ASSERT_TRUE(ports.ok()) << agent_->Output();
    stub_ = v1::Agent::NewStub(
        grpc::CreateChannel(nlohmann::json::parse(*ports).at("grpc"), grpc::InsecureChannelCredentials()));
  }

  grpc::Status PutApp(const std::string& id, int instances) {
    grpc::ClientContext context;
    v1::PutAppRequest request;
    request.mutable_app()->set_id(id);
    request.mutable_app()->set_cmd("sleep 600");
    request.mutable_app()->set_instances(instances);
    request.mutable_app()->set_mem(32);
    request.mutable_app()->set_cpus(0.1);
    v1::PutAppResponse response;
    return stub_->PutApp(&context, request, &response);
  }

  std::vector<std::string> AppIds() {
    grpc::ClientContext context;
    v1::ListAppsResponse response;
    std::vector<std::string> ids;
    if (stub_->ListApps(&context, v1::ListAppsRequest(), &response).ok()) {
      for (const v1::App& app : response.apps()) ids.push_back(app.definition().id());
    }
    return ids;
  }

  // Tasks in any state (a killed one is listed until it has ended).
  int TaskCount() {
    grpc::ClientContext context;
    v1::ListTasksResponse response;
    if (!stub_->ListTasks(&context, v1::ListTasksRequest(), &response).ok()) return -1;
    return response.tasks_size();
  }

  int RunningTasks() {
    grpc::ClientContext context;
    v1::ListTasksResponse response;
    if (!stub_->ListTasks(&context, v1::ListTasksRequest(), &response).ok()) return -1;
    int running = 0;
    for (const v1::Task& task : response.tasks()) running += task.state() == v1::TASK_STATE_RUNNING;
    return running;
  }

  std::string dir_;
  SmallDisk disk_;
  int starts_ = 0;
  std::unique_ptr<testing::ChildProcess> agent_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

TEST_F(AgentDiskTest, AppChangesAreRefusedWhileTheStateCannotBeWrittenAndNothingIsLost) {
  ASSERT_TRUE(PutApp("keep.main.git1.config1", 1).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return RunningTasks() == 1; }, absl::Seconds(15)));

  disk_.Fill();
  grpc::Status refused = PutApp("new.main.git1.config1", 1);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "full")) << refused.error_message();
  const grpc::Status scale = PutApp("keep.main.git1.config1", 2);
  EXPECT_FALSE(scale.ok());
  absl::SleepFor(absl::Milliseconds(500));  // ten ticks: nothing is launched for what was refused
  EXPECT_EQ(AppIds(), std::vector<std::string>{"keep.main.git1.config1"});
  EXPECT_EQ(RunningTasks(), 1);

  EXPECT_TRUE(agent_->Signal(0)) << "the agent is still running";

  // Room again; then a crash: the state written before is all there.
  disk_.Free();
  ASSERT_TRUE(PutApp("new.main.git1.config1", 1).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return RunningTasks() == 2; }, absl::Seconds(15)));
  ASSERT_TRUE(agent_->Signal(SIGKILL));
  agent_->Wait(absl::Seconds(10)).IgnoreError();

  // A state folder that became read-only (as a file system does on an I/O
  // error): the agent starts and keeps what runs running, says at start that
  // its state is read-only, and refuses changes saying why.
  disk_.ReadOnly(true);
  StartAgent();
  EXPECT_EQ(AppIds(), (std::vector<std::string>{"keep.main.git1.config1", "new.main.git1.config1"}));
  EXPECT_TRUE(testing::WaitUntil([&] { return RunningTasks() == 2; }, absl::Seconds(15)));
  refused = PutApp("third.main.git1.config1", 1);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "readonly")) << refused.error_message();
  EXPECT_TRUE(absl::StrContains(agent_->Output(), "the agent state cannot be written")) << agent_->Output();
  EXPECT_EQ(AppIds(), (std::vector<std::string>{"keep.main.git1.config1", "new.main.git1.config1"}));
  ASSERT_TRUE(agent_->Signal(SIGKILL));
  agent_->Wait(absl::Seconds(10)).IgnoreError();

  disk_.ReadOnly(false);
  StartAgent();
  EXPECT_EQ(AppIds(), (std::vector<std::string>{"keep.main.git1.config1", "new.main.git1.config1"}));
  EXPECT_TRUE(testing::WaitUntil([&] { return RunningTasks() == 2; }, absl::Seconds(15)));
}

}  // namespace
}  // namespace paasta
