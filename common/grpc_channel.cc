#include "common/grpc_channel.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/file_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace paasta {
namespace {

absl::Mutex credentials_mutex;
std::shared_ptr<grpc::ChannelCredentials>* daemon_credentials ABSL_GUARDED_BY(credentials_mutex) = nullptr;

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return absl::Status(text.status().code(), absl::StrCat(what, ": ", text.status().message()));
  if (!absl::StrContains(*text, "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, " is not a PEM file (no \"-----BEGIN\" line)"));
  }
  return text;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsChannelCredentials(const TlsFiles& files) {
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> ca = ReadPemFile(files.ca_file, "grpc_tls.ca_file");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *std::move(ca);
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both its certificate and its key file");
  }
  if (!files.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPemFile(files.cert_file, "client certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPemFile(files.key_file, "client key");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

absl::Status UseTlsForDaemonChannels(const TlsFiles& files) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = TlsChannelCredentials(files);
  if (!credentials.ok()) return credentials.status();
  absl::MutexLock lock(&credentials_mutex);
  delete daemon_credentials;
  daemon_credentials = new std::shared_ptr<grpc::ChannelCredentials>(*std::move(credentials));
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> DaemonChannel(const std::string& address) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  {
    absl::MutexLock lock(&credentials_mutex);
    if (daemon_credentials != nullptr) credentials = *daemon_credentials;
  }
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  // Daemons restart in seconds (supervised); a long-lived channel to one that
  // did must not sit out gRPC's default back-off of up to two minutes.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(address, credentials, arguments);
}

}  // namespace paasta
