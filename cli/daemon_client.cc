#include "cli/daemon_client.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/addresses.h"
#include "common/grpc_channel.h"
#include "common/status_map.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace paasta::cli {

Endpoints DefaultEndpoints() {
  Endpoints endpoints;
  endpoints.agent = {"paasta-agent", "--agent", kAgentAddresses.grpc};
  endpoints.generator = {"paasta-generator", "--generator", kGeneratorAddresses.grpc};
  endpoints.deployer = {"paasta-deployer", "--deployer", kDeployerAddresses.grpc};
  endpoints.scheduler_bridge = {"paasta-scheduler-bridge", "--scheduler-bridge", kSchedulerBridgeAddresses.grpc};
  endpoints.drainer = {"paasta-drainer", "--drainer", kDrainerAddresses.grpc};
  endpoints.monitor = {"paasta-monitor", "--monitor", kMonitorAddresses.grpc};
  endpoints.smartstack = {"paasta-smartstack", "--smartstack", kSmartstackAddresses.grpc};
  return endpoints;
}

std::shared_ptr<grpc::Channel> Connect(const DaemonEndpoint& endpoint) { return DaemonChannel(endpoint.address); }

absl::Status UseClientTls(const config::GrpcTls& tls, const TlsFiles& mine) {
  TlsFiles files = mine;
  files.ca_file = tls.ca_file;
  if (files.cert_file.empty() && files.key_file.empty() && ::access(tls.key_file.c_str(), R_OK) == 0) {
    files.cert_file = tls.cert_file;
    files.key_file = tls.key_file;
  }
  return UseTlsForDaemonChannels(files);
}

void SetDeadline(const Endpoints& endpoints, grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + endpoints.rpc_timeout));
}

int ReportRpcFailure(const DaemonEndpoint& endpoint, const grpc::Status& status, std::ostream& err) {
  const absl::Status converted = FromGrpcStatus(status);
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: {
      std::string key = endpoint.flag.substr(2);  // the system config's daemon_addresses key
      for (char& c : key) c = c == '-' ? '_' : c;
      err << "paasta: cannot reach " << endpoint.binary << " at " << endpoint.address << " (set its address with "
          << endpoint.flag << ", `" << endpoint.flag.substr(2) << " = \"HOST:PORT\"` in the CLI config file, or "
          << "daemon_addresses." << key << " in the system config): " << status.error_message() << "\n";
    } break;
    case grpc::StatusCode::UNAUTHENTICATED:
      err << "paasta: " << status.error_message() << "\n"
          << "paasta: present your client certificate with --tls-cert and --tls-key "
          << "(or $PAASTA_TLS_CERT and $PAASTA_TLS_KEY)\n";
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      err << "paasta: " << endpoint.binary << " at " << endpoint.address
          << " cannot do this yet: " << status.error_message() << "\n";
      break;
    default:
      err << "paasta: " << status.error_message() << "\n";
      break;
  }
  return ExitCodeFor(converted);
}

std::string RequestedBy() {
  std::string user;
  if (const char* env = std::getenv("USER"); env != nullptr && *env != '\0') {
    user = env;
  } else if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr) {
    user = entry->pw_name;
  } else {
    user = absl::StrCat("uid", ::getuid());
  }
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(user, "@", host[0] != '\0' ? host : "localhost");
}

}  // namespace paasta::cli
