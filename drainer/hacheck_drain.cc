#include "drainer/hacheck_drain.h"

#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/http_client.h"
#include "common/version.h"

namespace paasta::drainer {
namespace {

std::string UserAgent() { return absl::StrCat("PaaSTA Tools ", kVersion, " paasta-drainer"); }

}  // namespace

absl::StatusOr<HacheckState> ParseHacheckAnswer(long status_code, const std::string& body) {
  HacheckState state;
  if (status_code == 200) return state;
  // hacheck's answers are one short line. A long body is refused before the
  // pattern sees it: std::regex recurses once per character, and a large
  // answer from a broken peer would overflow the stack.
  if (body.size() > kMaxHacheckAnswer) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected hacheck answer (HTTP ", status_code, "): ", body.size(),
                                                   " bytes, more than ", kMaxHacheckAnswer, ": \"", body.substr(0, 200),
                                                   "...\""));
  }
  // The original's pattern, as Python's re.match applies it ($ also matches
  // before one trailing newline).
  static const std::regex* pattern =
      new std::regex("^Service (.+) in (.+) state(?: since ([0-9.]+))?(?: until ([0-9.]+))?(?:: (.*))?$");
  std::string text = body;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::smatch match;
  if (!std::regex_match(text, match, *pattern)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected hacheck answer (HTTP ", status_code, "): \"", body.substr(0, 200), "\""));
  }
  state.state = match[2].str();
  if (match[3].matched) absl::SimpleAtod(match[3].str(), &state.since);
  if (match[4].matched) absl::SimpleAtod(match[4].str(), &state.until);
  if (match[5].matched) state.reason = match[5].str();
  return state;
}

std::string HacheckDrainMethod::SpoolUrl(const DrainTask& task) const {
  return absl::StrCat("http://", task.host, ":", params_.port, "/spool/", task.service, ".",
                      task.nerve_ns.empty() ? task.instance : task.nerve_ns, "/", task.port, "/status");
}

absl::Status HacheckDrainMethod::Post(const DrainTask& task, const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = SpoolUrl(task);
  request.headers = {{"User-Agent", UserAgent()}, {"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = body;
  request.timeout = context_.http_timeout;
  absl::StatusOr<HttpResponse> response = HttpFetch(request);
  if (!response.ok()) return response.status();
  if (response->status_code < 200 || response->status_code > 299) {
    const std::string message =
        absl::StrCat("hacheck at ", request.url, " answered ", response->status_code, ": ", response->body);
    return response->status_code >= 500 ? absl::UnavailableError(message) : absl::FailedPreconditionError(message);
  }
  return absl::OkStatus();
}

absl::Status HacheckDrainMethod::Drain(const DrainTask& task) {
  absl::Duration expiration = params_.expiration > absl::ZeroDuration() ? params_.expiration : params_.delay * 10;
  // With delay 0 the original's 10 x delay expired the down state as it was
  // written, so no load balancer ever saw it: keep it a minute instead.
  if (expiration <= absl::ZeroDuration()) expiration = absl::Seconds(60);
  const double until = absl::ToDoubleSeconds(context_.clock->Now() - absl::UnixEpoch() + expiration);
  return Post(task, absl::StrFormat("status=down&expiration=%.6f&reason=%s", until, UrlEncode("Drained by Paasta")));
}

absl::Status HacheckDrainMethod::StopDraining(const DrainTask& task) { return Post(task, "status=up"); }

absl::StatusOr<HacheckState> HacheckDrainMethod::Query(const DrainTask& task) {
  HttpRequest request;
  request.url = SpoolUrl(task);
  request.headers = {{"User-Agent", UserAgent()}};
  request.timeout = context_.http_timeout;
  absl::StatusOr<HttpResponse> response = HttpFetch(request);
  if (!response.ok()) return response.status();
  return ParseHacheckAnswer(response->status_code, response->body);
}

absl::StatusOr<bool> HacheckDrainMethod::IsDraining(const DrainTask& task) {
  absl::StatusOr<HacheckState> state = Query(task);
  if (!state.ok()) return state.status();
  return state->state != "up";
}

absl::StatusOr<bool> HacheckDrainMethod::IsSafeToKill(const DrainTask& task) {
  absl::StatusOr<HacheckState> state = Query(task);
  if (!state.ok()) return state.status();
  const double now = absl::ToDoubleSeconds(context_.clock->Now() - absl::UnixEpoch());
  return state->state != "up" && state->since < now - absl::ToDoubleSeconds(params_.delay);
}

}  // namespace paasta::drainer
