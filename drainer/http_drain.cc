#include "drainer/http_drain.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/http_client.h"
#include "common/named_format.h"
#include "common/version.h"

namespace paasta::drainer {
namespace {

absl::StatusOr<HttpDrainMethod::Step> ReadStep(const config::ConfigValue& params, const char* name) {
  const config::ConfigValue* step = params.Find(name);
  const std::string where = absl::StrCat("drain_method_params.", name);
  if (step == nullptr || !step->IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": required by drain_method http: {url_format, method, success_codes}"));
  }
  HttpDrainMethod::Step out;
  const config::ConfigValue* url = step->Find("url_format");
  if (url == nullptr || !url->IsString()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".url_format: required, a string"));
  }
  out.url_format = url->string_value();
  if (const config::ConfigValue* method = step->Find("method"); method != nullptr && !method->IsNull()) {
    static const char* const kMethods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"};
    bool known = false;
    for (const char* m : kMethods) known |= method->IsString() && method->string_value() == m;
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ".method: must be GET, POST, PUT, PATCH, DELETE, OPTIONS or HEAD, found ",
          method->Describe()));
    }
    out.method = method->string_value();
  }
  if (const config::ConfigValue* codes = step->Find("success_codes"); codes != nullptr && !codes->IsNull()) {
    absl::StatusOr<std::vector<std::pair<int, int>>> parsed = ParseSuccessCodes(*codes);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".success_codes: ", parsed.status().message()));
    }
    out.success_codes = *parsed;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<int, int>>> ParseSuccessCodes(const config::ConfigValue& codes) {
  if (codes.IsInt()) return std::vector<std::pair<int, int>>{{codes.int_value(), codes.int_value()}};
  if (!codes.IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a code or a list like \"200-299,302\", found ", codes.Describe()));
  }
  std::vector<std::pair<int, int>> ranges;
  for (absl::string_view part : absl::StrSplit(codes.string_value(), ',')) {
    part = absl::StripAsciiWhitespace(part);
    const std::vector<absl::string_view> bounds = absl::StrSplit(part, '-');
    int low = 0, high = 0;
    bool ok = false;
    if (bounds.size() == 1) {
      ok = absl::SimpleAtoi(bounds[0], &low);
      high = low;
    } else if (bounds.size() == 2) {
      ok = absl::SimpleAtoi(bounds[0], &low) && absl::SimpleAtoi(bounds[1], &high) && low <= high;
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", part, "\" is not a code or a range like 200-299"));
    }
    ranges.emplace_back(low, high);
  }
  return ranges;
}

absl::StatusOr<std::unique_ptr<HttpDrainMethod>> HttpDrainMethod::Create(
    const config::ConfigValue& params, const DrainContext& context) {
  absl::StatusOr<Step> drain = ReadStep(params, "drain");
  if (!drain.ok()) return drain.status();
  absl::StatusOr<Step> stop = ReadStep(params, "stop_draining");
  if (!stop.ok()) return stop.status();
  absl::StatusOr<Step> is_draining = ReadStep(params, "is_draining");
  if (!is_draining.ok()) return is_draining.status();
  absl::StatusOr<Step> is_safe = ReadStep(params, "is_safe_to_kill");
  if (!is_safe.ok()) return is_safe.status();
  return std::unique_ptr<HttpDrainMethod>(
      new HttpDrainMethod(*drain, *stop, *is_draining, *is_safe, context));
}

absl::StatusOr<HttpDrainMethod::Answer> HttpDrainMethod::Issue(const Step& step,
                                                              const DrainTask& task) {
  absl::StatusOr<std::string> url =
      FormatNamed(step.url_format, {{"host", task.host},
                                    {"port", absl::StrCat(task.port)},
                                    {"service", task.service},
                                    {"instance", task.instance},
                                    {"nerve_ns", task.nerve_ns.empty() ? task.instance : task.nerve_ns}});
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("url_format \"", step.url_format, "\" ", url.status().message()));
  }
  HttpRequest request;
  request.method = step.method;
  request.url = *url;
  request.headers = {{"User-Agent", absl::StrCat("PaaSTA Tools ", kVersion, " paasta-drainer")}};
  request.timeout = context_.http_timeout;
  absl::StatusOr<HttpResponse> response = HttpFetch(request);
  if (!response.ok()) return response.status();
  Answer answer{request.method + " " + request.url, response->status_code, false};
  for (const auto& [low, high] : step.success_codes) {
    answer.success |= response->status_code >= low && response->status_code <= high;
  }
  return answer;
}

absl::Status HttpDrainMethod::Require(const Step& step, const DrainTask& task) {
  absl::StatusOr<Answer> answer = Issue(step, task);
  if (!answer.ok()) return answer.status();
  if (!answer->success) {
    return absl::FailedPreconditionError(absl::StrCat(answer->request, " answered ", answer->code,
                                                      ", not a success code"));
  }
  return absl::OkStatus();
}

absl::Status HttpDrainMethod::Drain(const DrainTask& task) { return Require(drain_, task); }

absl::Status HttpDrainMethod::StopDraining(const DrainTask& task) { return Require(stop_, task); }

absl::StatusOr<bool> HttpDrainMethod::IsDraining(const DrainTask& task) {
  absl::StatusOr<Answer> answer = Issue(is_draining_, task);
  if (!answer.ok()) return answer.status();
  return answer->success;
}

absl::StatusOr<bool> HttpDrainMethod::IsSafeToKill(const DrainTask& task) {
  absl::StatusOr<Answer> answer = Issue(is_safe_, task);
  if (!answer.ok()) return answer.status();
  return answer->success;
}

}  // namespace paasta::drainer
