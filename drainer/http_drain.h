// The http drain method: the original's generic method. Each step is an HTTP
// request whose URL is a template with {host}, {port}, {service}, {instance} and
// {nerve_ns}:
//
//   drain_method_params:
//     drain:           {url_format: "http://{host}:{port}/drain", method: POST}
//     stop_draining:   {url_format: "http://{host}:{port}/undrain", method: POST}
//     is_draining:     {url_format: "http://{host}:{port}/drain_status", success_codes: "200"}
//     is_safe_to_kill: {url_format: "http://{host}:{port}/quiet", success_codes: "200-299,302"}
//
// drain and stop_draining fail unless the answer's code is a success code;
// is_draining and is_safe_to_kill are true exactly when it is. method defaults
// to GET, success_codes to "200-299" (a list of codes and inclusive ranges).
#ifndef PAASTA_DRAINER_HTTP_DRAIN_H_
#define PAASTA_DRAINER_HTTP_DRAIN_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/config/config_value.h"
#include "drainer/drain_method.h"

namespace paasta::drainer {

// Parses success codes such as "200-299,302" or 200 into inclusive ranges.
absl::StatusOr<std::vector<std::pair<int, int>>> ParseSuccessCodes(const config::ConfigValue& codes);

class HttpDrainMethod : public DrainMethod {
 public:
  // One step's request.
  struct Step {
    std::string url_format;
    std::string method = "GET";
    std::vector<std::pair<int, int>> success_codes = {{200, 299}};
  };

  // Reads the four steps from params; INVALID_ARGUMENT naming what is missing.
  static absl::StatusOr<std::unique_ptr<HttpDrainMethod>> Create(const config::ConfigValue& params,
                                                                 const DrainContext& context);

  absl::Status Drain(const DrainTask& task) override;
  absl::Status StopDraining(const DrainTask& task) override;
  absl::StatusOr<bool> IsDraining(const DrainTask& task) override;
  absl::StatusOr<bool> IsSafeToKill(const DrainTask& task) override;

 private:
  HttpDrainMethod(Step drain, Step stop, Step is_draining, Step is_safe, const DrainContext& context)
      : drain_(std::move(drain)),
        stop_(std::move(stop)),
        is_draining_(std::move(is_draining)),
        is_safe_(std::move(is_safe)),
        context_(context) {}

  // What a step's request got.
  struct Answer {
    std::string request;  // "POST http://..."
    long code = 0;
    bool success = false;  // the code is one of the step's success codes
  };
  absl::StatusOr<Answer> Issue(const Step& step, const DrainTask& task);
  // Issue, failing unless the code is a success code.
  absl::Status Require(const Step& step, const DrainTask& task);

  const Step drain_, stop_, is_draining_, is_safe_;
  const DrainContext context_;
};

}  // namespace paasta::drainer

#endif  // PAASTA_DRAINER_HTTP_DRAIN_H_
