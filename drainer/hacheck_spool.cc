#include "drainer/hacheck_spool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/json_fields.h"
#include "common/http_client.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

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

// Whether `key` is safe as a file name in the spool folder.
bool SafeKey(const std::string& key) {
  return IsServiceName(key.substr(0, key.find(':'))) && key.find('/') == std::string::npos;
}

}  // namespace

HacheckSpool::HacheckSpool(Clock* clock, HacheckOptions options) : clock_(clock), options_(std::move(options)) {
  if (options_.spool_root.empty()) return;
  if (absl::Status made = MakeDirs(options_.spool_root); !made.ok()) {
    spdlog::error("hacheck spool: {}", std::string(made.message()));
    return;
  }
  absl::MutexLock lock(&mu_);
  std::error_code error;
  for (const auto& file : std::filesystem::directory_iterator(options_.spool_root, error)) {
    const std::string key = file.path().filename().string();
    if (!file.is_regular_file() || !SafeKey(key) || key.rfind(".tmp", 0) == 0) continue;
    absl::StatusOr<std::string> text = ReadFile(file.path().string());
    if (!text.ok()) continue;
    Entry entry;
    const nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) {
      entry.reason = StringField(parsed, "reason");
      if (parsed.contains("expiration") && parsed["expiration"].is_number()) {
        entry.expiration = parsed["expiration"].get<double>();
      }
      entry.creation =
          parsed.contains("creation") && parsed["creation"].is_number() ? parsed["creation"].get<double>() : 0;
    } else {
      entry.reason = std::string(absl::StripAsciiWhitespace(*text));  // hacheck's old format
    }
    entries_[key] = entry;
  }
}

void HacheckSpool::Save(const std::string& key, const Entry* entry) {
  if (options_.spool_root.empty() || !SafeKey(key)) return;
  const std::string path = options_.spool_root + "/" + key;
  if (entry == nullptr) {
    ::unlink(path.c_str());
    return;
  }
  nlohmann::json json = {{"reason", entry->reason}, {"creation", entry->creation}};
  json["expiration"] = entry->expiration.has_value() ? nlohmann::json(*entry->expiration) : nlohmann::json(nullptr);
  if (absl::Status written = WriteFileAtomically(path, json.dump()); !written.ok()) {
    spdlog::error("hacheck spool: {}", std::string(written.message()));
  }
}

std::optional<HacheckSpool::Entry> HacheckSpool::Current(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const double now = absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch());
  if (it->second.expiration.has_value() && *it->second.expiration < now) {
    entries_.erase(it);
    Save(key, nullptr);
    return std::nullopt;
  }
  return it->second;
}

void HacheckSpool::MarkDown(const std::string& key, const std::string& reason, std::optional<double> expiration,
                            std::optional<double> creation) {
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
  Save(key, &entry);
}

void HacheckSpool::MarkUp(const std::string& key) {
  absl::MutexLock lock(&mu_);
  entries_.erase(key);
  Save(key, nullptr);
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

HttpServerResponse HacheckSpool::CheckHttp(int port, const std::string& path, const std::string& query) {
  HttpRequest check;
  check.url = absl::StrCat("http://127.0.0.1:", port, "/", path, query.empty() ? "" : "?", query);
  check.timeout = options_.check_timeout;
  check.connect_timeout = std::min(options_.check_timeout, absl::Seconds(3));
  absl::StatusOr<HttpResponse> answer = HttpFetch(check);
  if (!answer.ok()) return Reply(503, std::string(answer.status().message()));
  HttpServerResponse response = Reply(static_cast<int>(answer->status_code), std::move(answer->body));
  if (std::string type = answer->Header("content-type"); !type.empty()) response.content_type = type;
  return response;
}

HttpServerResponse HacheckSpool::CheckTcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Reply(503, absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  if (result != 0 && errno == EINPROGRESS) {
    pollfd poll_fd = {fd, POLLOUT, 0};
    result = ::poll(&poll_fd, 1, static_cast<int>(absl::ToInt64Milliseconds(options_.check_timeout))) == 1 ? 0 : -1;
    int error = 0;
    socklen_t length = sizeof(error);
    if (result == 0 && (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0)) {
      errno = error;
      result = -1;
    } else if (result != 0) {
      errno = ETIMEDOUT;
    }
  }
  const std::string problem = result == 0 ? "" : std::strerror(errno);
  ::close(fd);
  if (result != 0) return Reply(503, absl::StrCat("cannot connect to 127.0.0.1:", port, ": ", problem));
  return Reply(200, "");
}

HttpServerResponse HacheckSpool::Handle(const HttpServerRequest& request) {
  // /<spool|http|tcp>/<service>/<port>/<rest>
  const std::vector<std::string> parts = absl::StrSplit(request.path, absl::MaxSplits('/', 4));
  int port = 0;
  if (parts.size() < 5 || !parts[0].empty() || !IsServiceName(parts[2]) || !absl::SimpleAtoi(parts[3], &port) ||
      port < 0 || port > 65535) {
    return Reply(404, "Not Found");
  }
  const std::string& service = parts[2];
  if (parts[1] == "http" || parts[1] == "tcp") {
    if (request.method != "GET" && request.method != "HEAD") return Reply(405, "Method Not Allowed");
    // HAProxy checks every server of a backend with one path (port 0) and says
    // which server in "X-Haproxy-Server-State: UP 2/3; ...; address=H; port=P".
    if (port == 0) {
      for (absl::string_view field : absl::StrSplit(request.Header("x-haproxy-server-state"), ';')) {
        field = absl::StripAsciiWhitespace(field);
        if (absl::ConsumePrefix(&field, "port=") && absl::SimpleAtoi(field, &port) && port > 0 && port <= 65535) {
          break;
        }
        port = 0;
      }
      if (port == 0) return Reply(400, "no port: give it in the path or in X-Haproxy-Server-State (port=P)");
    }
    // The spool first: a task marked down is down whatever it answers.
    if (std::optional<std::string> down = DownMessage(service, port); down.has_value()) {
      return Reply(503, *down, "text/html; charset=UTF-8");
    }
    return parts[1] == "http" ? CheckHttp(port, parts[4], request.query) : CheckTcp(port);
  }
  if (parts[1] != "spool") return Reply(404, "Not Found");
  if (request.method == "GET" || request.method == "HEAD") {
    std::optional<std::string> down = DownMessage(service, port);
    if (down.has_value()) return Reply(503, *down, "text/html; charset=UTF-8");
    return Reply(200, "");
  }
  if (request.method != "POST" || parts[4] != "status") {
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
