// Default loopback addresses of the paasta daemons, so that every daemon of the
// one-machine cluster can run side by side and the CLI finds them without flags.
// Every daemon takes --grpc_listen and --metrics_listen to change its own; the CLI
// takes one flag per daemon (paasta --help).
#ifndef PAASTA_COMMON_ADDRESSES_H_
#define PAASTA_COMMON_ADDRESSES_H_

namespace paasta {

// The gRPC and metrics addresses a daemon uses by default.
struct DaemonAddresses {
  const char* grpc;     // host:port of its gRPC server
  const char* metrics;  // host:port of its Prometheus /metrics endpoint
};

inline constexpr DaemonAddresses kAgentAddresses = {"127.0.0.1:7701", "127.0.0.1:7801"};
inline constexpr DaemonAddresses kGeneratorAddresses = {"127.0.0.1:7702", "127.0.0.1:7802"};
inline constexpr DaemonAddresses kDeployerAddresses = {"127.0.0.1:7703", "127.0.0.1:7803"};
inline constexpr DaemonAddresses kSchedulerBridgeAddresses = {"127.0.0.1:7704",
                                                             "127.0.0.1:7804"};
inline constexpr DaemonAddresses kDrainerAddresses = {"127.0.0.1:7705", "127.0.0.1:7805"};
inline constexpr DaemonAddresses kMonitorAddresses = {"127.0.0.1:7706", "127.0.0.1:7806"};
inline constexpr DaemonAddresses kSmartstackAddresses = {"127.0.0.1:7707", "127.0.0.1:7807"};

// The hacheck-compatible endpoint the drainer serves (hacheck's port in PaaSTA).
inline constexpr char kHacheckListen[] = "127.0.0.1:6666";

}  // namespace paasta

#endif  // PAASTA_COMMON_ADDRESSES_H_
