#include "drainer/drain_method.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "drainer/hacheck_drain.h"
#include "drainer/http_drain.h"

namespace paasta::drainer {
namespace {

class NoopDrainMethod : public DrainMethod {
 public:
  absl::Status Drain(const DrainTask&) override { return absl::OkStatus(); }
  absl::Status StopDraining(const DrainTask&) override { return absl::OkStatus(); }
  absl::StatusOr<bool> IsDraining(const DrainTask&) override { return false; }
  absl::StatusOr<bool> IsSafeToKill(const DrainTask&) override { return true; }
};

class TestDrainMethod : public DrainMethod {
 public:
  explicit TestDrainMethod(TestDrainState* state) : state_(state) {}
  absl::Status Drain(const DrainTask& task) override {
    state_->MarkDown(task.task_id);
    return absl::OkStatus();
  }
  absl::Status StopDraining(const DrainTask& task) override {
    state_->MarkUp(task.task_id);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> IsDraining(const DrainTask& task) override {
    return state_->IsDown(task.task_id);
  }
  absl::StatusOr<bool> IsSafeToKill(const DrainTask& task) override {
    return state_->IsDown(task.task_id);
  }

 private:
  TestDrainState* const state_;
};

// A non-negative number of seconds from params[key], or `fallback` when absent.
absl::StatusOr<absl::Duration> Seconds(const config::ConfigValue& params, const char* key,
                                       absl::Duration fallback) {
  const config::ConfigValue* value = params.Find(key);
  if (value == nullptr || value->IsNull()) return fallback;
  if (!value->IsNumber() || value->number_value() < 0 || std::isnan(value->number_value())) {
    return absl::InvalidArgumentError(absl::StrCat("drain_method_params.", key,
                                                   ": must be a number of seconds >= 0, found ",
                                                   value->Describe()));
  }
  return absl::Seconds(value->number_value());
}

}  // namespace

void TestDrainState::MarkDown(const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  down_.insert(task_id);
}

void TestDrainState::MarkUp(const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  down_.erase(task_id);
}

bool TestDrainState::IsDown(const std::string& task_id) {
  absl::MutexLock lock(&mu_);
  return down_.count(task_id) != 0;
}

const std::vector<std::string>& DrainMethodNames() {
  static const auto* names = new std::vector<std::string>{"hacheck", "http", "noop", "test"};
  return *names;
}

absl::StatusOr<std::unique_ptr<DrainMethod>> CreateDrainMethod(const std::string& name,
                                                               const config::ConfigValue& params,
                                                               const DrainContext& context) {
  if (!params.IsMap() && !params.IsNull()) {
    return absl::InvalidArgumentError(
        absl::StrCat("drain_method_params must be a map, found ", params.Describe()));
  }
  if (name == "noop") return std::unique_ptr<DrainMethod>(new NoopDrainMethod);
  if (name == "test") return std::unique_ptr<DrainMethod>(new TestDrainMethod(context.test_state));
  if (name == "hacheck") {
    HacheckParams hacheck;
    absl::StatusOr<absl::Duration> delay = Seconds(params, "delay", hacheck.delay);
    if (!delay.ok()) return delay.status();
    absl::StatusOr<absl::Duration> expiration = Seconds(params, "expiration", absl::ZeroDuration());
    if (!expiration.ok()) return expiration.status();
    hacheck.delay = *delay;
    hacheck.expiration = *expiration;
    if (const config::ConfigValue* port = params.Find("hacheck_port"); port != nullptr && !port->IsNull()) {
      if (!port->IsNumber() || port->number_value() < 1 || port->number_value() > 65535 ||
          port->number_value() != std::floor(port->number_value())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "drain_method_params.hacheck_port: must be a port number, found ", port->Describe()));
      }
      hacheck.port = static_cast<int>(port->number_value());
    }
    return std::unique_ptr<DrainMethod>(new HacheckDrainMethod(hacheck, context));
  }
  if (name == "http") {
    absl::StatusOr<std::unique_ptr<HttpDrainMethod>> http = HttpDrainMethod::Create(params, context);
    if (!http.ok()) return http.status();
    return std::unique_ptr<DrainMethod>(std::move(*http));
  }
  return absl::InvalidArgumentError(absl::StrCat("drain_method not recognized: ", name,
                                                 ". Must be one of (",
                                                 absl::StrJoin(DrainMethodNames(), ", "), ")"));
}

}  // namespace paasta::drainer
