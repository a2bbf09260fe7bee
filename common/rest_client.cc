#include "common/rest_client.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/http_client.h"
#include "common/version.h"

namespace paasta {
namespace {

// The peer's own message: Marathon's {"message", "details"}, Chronos 3.x's
// {"status", "message"}, else the body (shortened).
std::string PeerMessage(const std::string& body) {
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) {
    std::string message = parsed["message"];
    if (parsed.contains("details")) message += " " + parsed["details"].dump();
    return message;
  }
  if (body.empty()) return "(no message)";
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

}  // namespace

RestClient::RestClient(std::string peer, std::vector<std::string> base_urls, std::string user, std::string password,
                       RestOptions options, std::string client)
    : peer_(std::move(peer)),
      user_(std::move(user)),
      password_(std::move(password)),
      options_(options),
      client_(std::move(client)) {
  for (const std::string& url : base_urls) base_urls_.emplace_back(absl::StripSuffix(url, "/"));
}

absl::StatusOr<nlohmann::json> RestClient::Call(const std::string& method, const std::string& path_and_query,
                                                const nlohmann::json* body,
                                                const nlohmann::json::parser_callback_t& keep,
                                                std::string* raw_body) const {
  HttpRequest request;
  request.method = method;
  request.timeout = options_.timeout;
  request.follow_redirects = true;
  request.headers = {{"Accept", "application/json"},
                     {"User-Agent", absl::StrCat("PaaSTA Tools ", kVersion, " ", client_)}};
  if (body != nullptr) {
    request.body = body->dump();
    request.headers.emplace_back("Content-Type", "application/json");
  }
  if (!user_.empty()) {
    request.headers.emplace_back("Authorization", "Basic " + absl::Base64Escape(user_ + ":" + password_));
  }
  absl::Duration wait = options_.backoff;
  for (int attempt = 0;; ++attempt) {
    // Each attempt tries the URLs in order until one answers.
    absl::StatusOr<HttpResponse> response = absl::UnavailableError("no URL configured");
    for (const std::string& base : base_urls_) {
      request.url = base + path_and_query;
      response = HttpFetch(request);
      if (response.ok()) break;
    }
    const std::string what = absl::StrCat(peer_, " ", method, " ", request.url);
    const bool retry = !response.ok() || response->status_code >= 500;
    if (retry && attempt < options_.retries) {
      absl::SleepFor(wait);
      wait *= 2;
      continue;
    }
    if (!response.ok()) {
      return absl::Status(absl::IsDeadlineExceeded(response.status()) ? absl::StatusCode::kDeadlineExceeded
                                                                      : absl::StatusCode::kUnavailable,
                          absl::StrCat(what, ": ", response.status().message()));
    }
    const long code = response->status_code;
    if (code >= 200 && code < 300) {
      if (raw_body != nullptr) {
        *raw_body = std::move(response->body);
        return nlohmann::json::object();
      }
      if (response->body.empty()) return nlohmann::json::object();
      nlohmann::json parsed = nlohmann::json::parse(response->body, keep, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) return absl::InternalError(absl::StrCat(what, ": the answer is not JSON"));
      return parsed;
    }
    const std::string message = absl::StrCat(what, ": HTTP ", code, ": ", PeerMessage(response->body));
    switch (code) {
      case 404:
        return absl::NotFoundError(message);
      case 409:
        return absl::StrContains(response->body, "already exists") ? absl::AlreadyExistsError(message)
                                                                   : absl::FailedPreconditionError(message);
      case 400:
      case 422:
        return absl::InvalidArgumentError(message);
      case 401:
      case 403:
        return absl::PermissionDeniedError(message);
      default:
        return code >= 500 ? absl::UnavailableError(message) : absl::UnknownError(message);
    }
  }
}

}  // namespace paasta
