#include "drainer/hacheck_spool.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace paasta::drainer {
namespace {

// [.a-zA-Z0-9_-]+
bool IsServiceName(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

HttpServerResponse Reply(int code, std::string body, std::string content_type = "text/plain") {
  HttpServerResponse response;
  response.status_code = code;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

}  // namespace

std::optional<HacheckSpool::Entry> HacheckSpool::Current(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const double now = absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch());
  if (it->second.expiration.has_value() && *it->second.expiration < now) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void HacheckSpool::MarkDown(const std::string& key, const std::string& reason,
                            std::optional<double> expiration, std::optional<double> creation) {
  absl::MutexLock lock(&mu_);
  const double now = absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch());
  std::optional<Entry> existing = Current(key);
  Entry entry{reason, expiration, creation.value_or(now)};
  // Refreshing a down with the same reason keeps its start, so callers can
  // extend the expiration and still tell how long it has been down.
  if (existing.has_value() && existing->reason == reason && !creation.has_value()) {
    entry.creation = existing->creation;
  }
  entries_[key] = entry;
}

void HacheckSpool::MarkUp(const std::string& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
}

std::optional<std::string> HacheckSpool::DownMessage(const std::string& service, int port) {
  absl::MutexLock lock(&mu_);
  for (const std::string& key : {std::string("all"), service, absl::StrCat(service, ":", port)}) {
    std::optional<Entry> entry = Current(key);
    if (!entry.has_value()) continue;
    // The name is the level that is down: "all", or the service (also for an
    // entry of one of its ports).
    const std::string name = key == "all" ? "all" : service;
    std::string message = absl::StrFormat("Service %s in down state since %f", name, entry->creation);
    if (entry->expiration.has_value()) absl::StrAppendFormat(&message, " until %f", *entry->expiration);
    if (!entry->reason.empty()) absl::StrAppend(&message, ": ", entry->reason);
    return message;
  }
  return std::nullopt;
}

HttpServerResponse HacheckSpool::Handle(const HttpServerRequest& request) {
  // /spool/<service>/<port>/<rest>
  const std::vector<std::string> parts = absl::StrSplit(request.path, '/');
  int port = 0;
  if (parts.size() < 5 || !parts[0].empty() || parts[1] != "spool" || !IsServiceName(parts[2]) ||
      !absl::SimpleAtoi(parts[3], &port) || port < 0) {
    return Reply(404, "Not Found");
  }
  const std::string& service = parts[2];
  if (request.method == "GET" || request.method == "HEAD") {
    std::optional<std::string> down = DownMessage(service, port);
    if (down.has_value()) return Reply(503, *down, "text/html; charset=UTF-8");
    return Reply(200, "");
  }
  if (request.method != "POST" || parts.size() != 5 || parts[4] != "status") {
    return Reply(405, "Method Not Allowed");
  }
  std::map<std::string, std::string> form;
  for (const auto& [name, value] : ParseFormEncoded(request.body)) form.emplace(name, value);
  const std::string key = port == 0 ? service : absl::StrCat(service, ":", port);
  const std::string status = form.count("status") != 0 ? form["status"] : "";
  if (status == "up") {
    MarkUp(key);
    return Reply(200, "");
  }
  if (status != "down") return Reply(400, "status must be up or down");
  if (form.count("reason") == 0) {
    return Reply(400, "<html><title>400: Bad Request</title><body>400: Bad Request</body></html>",
                 "text/html; charset=UTF-8");
  }
  auto number = [&](const char* name) -> std::optional<double> {
    double value = 0;
    if (form.count(name) != 0 && absl::SimpleAtod(form[name], &value)) return value;
    return std::nullopt;
  };
  MarkDown(key, form["reason"], number("expiration"), number("creation"));
  return Reply(200, "");
}

}  // namespace paasta::drainer
