// Channels to paasta daemons, plaintext or mutual TLS.
//
// A process has one identity towards the daemons it calls: its main decides it
// once, before any channel is made, from the system config's grpc_tls
// (common/config/system_config.h); every client in the process then dials with
// DaemonChannel().
//
//   paasta::UseTlsForDaemonChannels(*tls, cert, key);   // in main, when grpc_tls is set
//   auto stub = v1::Agent::NewStub(paasta::DaemonChannel("127.0.0.1:7701"));
#ifndef PAASTA_COMMON_GRPC_CHANNEL_H_
#define PAASTA_COMMON_GRPC_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace paasta {

// PEM files of a TLS identity. cert_file and key_file may both be empty for a
// client without a certificate (it can then only call read RPCs of daemons
// that have open_reads).
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Reads the files into channel credentials that verify the server against the
// CA and present the certificate. INVALID_ARGUMENT / NOT_FOUND naming the file
// that cannot be read or is not PEM.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> TlsChannelCredentials(const TlsFiles& files);

// From now on DaemonChannel() dials with TLS from `files`. Call once, from
// main, before any channel is made; errors as TlsChannelCredentials.
absl::Status UseTlsForDaemonChannels(const TlsFiles& files);

// A channel to the daemon at `address` ("host:port") with the process's
// credentials: plaintext unless UseTlsForDaemonChannels was called. It tries
// to reconnect at most 2 s apart, so a long-lived channel to a daemon that
// restarted is back within seconds.
std::shared_ptr<grpc::Channel> DaemonChannel(const std::string& address);

// Reads a PEM file: NOT_FOUND / PERMISSION_DENIED naming `what` and the path, or
// INVALID_ARGUMENT when it holds no "-----BEGIN" block.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, const std::string& what);

}  // namespace paasta

#endif  // PAASTA_COMMON_GRPC_CHANNEL_H_
