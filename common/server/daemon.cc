#include "common/server/daemon.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/grpc_channel.h"
#include "common/server/rpc_metrics.h"
#include "common/version.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "nlohmann/json.hpp"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"
#include "spdlog/spdlog.h"

namespace paasta {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// The Prometheus text exposition of `registry` at /metrics; 404 elsewhere.
HttpServerResponse ServeMetrics(prometheus::Registry& registry, const HttpServerRequest& request) {
  HttpServerResponse response;
  if (request.path != "/metrics") {
    response.status_code = 404;
    response.body = "not found: metrics are served at /metrics\n";
    return response;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    response.status_code = 405;
    response.body = "only GET and HEAD are allowed\n";
    return response;
  }
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = prometheus::TextSerializer().Serialize(registry.Collect());
  return response;
}

// Server credentials from the grpc_tls files: the host's certificate, and the
// CA that client certificates must be signed by.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsServerCredentials(const config::GrpcTls& tls) {
  absl::StatusOr<std::string> ca = ReadPemFile(tls.ca_file, "grpc_tls.ca_file");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPemFile(tls.cert_file, "grpc_tls.cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile(tls.key_file, "grpc_tls.key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(tls.open_reads
                                                ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
                                                : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = *std::move(ca);
  options.pem_key_cert_pairs.push_back({*std::move(key), *std::move(cert)});
  return grpc::SslServerCredentials(options);
}

}  // namespace

absl::Status SplitHostPort(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\" is not host:port (e.g. 127.0.0.1:7701)"));
  }
  *host = address.substr(0, colon);
  return absl::OkStatus();
}

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()) {
  const sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  prometheus::BuildGauge()
      .Name("paasta_build_info")
      .Help("Always 1; labels say which paasta binary and version serve here.")
      .Register(*registry_)
      .Add({{"binary", options_.name}, {"version", kVersion}})
      .Set(1);
}

Daemon::~Daemon() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
  }
}

void Daemon::AddService(grpc::Service* service) { services_.push_back(service); }

std::string Daemon::grpc_address() const {
  std::string host;
  int port = 0;
  if (!SplitHostPort(options_.grpc_listen, &host, &port).ok()) host = "127.0.0.1";
  return absl::StrCat(host, ":", grpc_port_);
}

absl::Status Daemon::Start() {
  std::string grpc_host, metrics_host;
  int requested_port = 0;
  if (absl::Status s = SplitHostPort(options_.grpc_listen, &grpc_host, &requested_port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--grpc_listen: ", s.message()));
  }
  if (absl::Status s = SplitHostPort(options_.metrics_listen, &metrics_host, &requested_port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics_listen: ", s.message()));
  }

  // Metrics first: a daemon that cannot be observed should not start serving.
  metrics_server_ = std::make_unique<HttpServer>(
      [registry = registry_](const HttpServerRequest& request) { return ServeMetrics(*registry, request); }, 2);
  if (absl::Status s = metrics_server_->Start(options_.metrics_listen); !s.ok()) {
    return absl::UnavailableError(absl::StrCat(s.message(), " (--metrics_listen)"));
  }
  metrics_port_ = metrics_server_->port();

  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options_.tls.has_value()) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls = TlsServerCredentials(*options_.tls);
    if (!tls.ok()) return tls.status();
    absl::StatusOr<std::unique_ptr<Authorizer>> authorizer =
        Authorizer::WithPolicyFile(options_.tls->policy_file, *registry_);
    if (!authorizer.ok()) return authorizer.status();
    spdlog::info(
        "gRPC uses mutual TLS (CA {}); the callers in {} may change services; read RPCs {}", options_.tls->ca_file,
        options_.tls->policy_file,
        options_.tls->open_reads ? "are open to clients without a certificate" : "need a client certificate too");
    credentials = *std::move(tls);
    authorizer_ = *std::move(authorizer);
  } else {
    credentials = grpc::InsecureServerCredentials();
    authorizer_ = std::make_unique<Authorizer>(*registry_);
    spdlog::warn(
        "gRPC is plaintext without authentication: anyone who can reach {} may change every service "
        "(the one-machine default; set grpc_tls in the system config for mutual TLS, see SECURITY.md)",
        options_.grpc_listen);
  }
  for (grpc::Service* service : services_) {
    if (auto* guarded = dynamic_cast<GuardedService*>(service)) guarded->set_authorizer(authorizer_.get());
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.grpc_listen, credentials, &grpc_port_);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  // The factory only refers to metric families in registry_, which outlives the
  // server, so gRPC may own it.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<RpcMetricsInterceptorFactory>(*registry_));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot serve gRPC on ", options_.grpc_listen, " (--grpc_listen)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);

  spdlog::info("{} {} serving gRPC on {}:{} and metrics on http://{}:{}/metrics", options_.name, kVersion, grpc_host,
               grpc_port_, metrics_host, metrics_port_);

  if (!options_.ports_file.empty()) {
    const nlohmann::json ports = {{"grpc", absl::StrCat(grpc_host, ":", grpc_port_)},
                                  {"metrics", absl::StrCat(metrics_host, ":", metrics_port_)}};
    if (absl::Status s = WriteFileAtomically(options_.ports_file, ports.dump() + "\n"); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("--ports_file: ", s.message()));
    }
  }
  return absl::OkStatus();
}

int Daemon::WaitForShutdown() {
  // Poll for a termination signal (or a programmatic request) five times a
  // second; sigtimedwait only ever sees signals that all threads block.
  const sigset_t signals = TerminationSignals();
  while (!shutdown_requested_.HasBeenNotified()) {
    const timespec wait = {0, 200 * 1000 * 1000};
    const int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal > 0) {
      spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.shutdown_grace));
    server_->Wait();
    spdlog::debug("gRPC server stopped");
    server_.reset();
  }
  metrics_server_.reset();
  spdlog::debug("metrics endpoint stopped");
  spdlog::info("{} stopped", options_.name);
  return 0;
}

int Daemon::WaitForShutdownRunningEvery(absl::Duration interval, const std::function<void()>& pass) {
  absl::Notification stop;
  std::thread loop([&] {
    do {
      pass();
    } while (!stop.WaitForNotificationWithTimeout(interval));
  });
  const int exit_code = WaitForShutdown();
  stop.Notify();
  loop.join();
  return exit_code;
}

int Daemon::Run() {
  if (absl::Status status = Start(); !status.ok()) {
    spdlog::error("{} cannot start: {}", options_.name, status.ToString());
    return 1;
  }
  return WaitForShutdown();
}

}  // namespace paasta
