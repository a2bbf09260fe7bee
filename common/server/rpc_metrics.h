// Per-RPC Prometheus metrics for every paasta daemon, through a gRPC server
// interceptor (so health checks and reflection are counted too), named as the
// Go ecosystem's grpc-prometheus names them:
//
//   grpc_server_started_total{grpc_service, grpc_method}
//   grpc_server_handled_total{grpc_service, grpc_method, grpc_code}
//   grpc_server_handling_seconds{grpc_service, grpc_method}  (histogram)
//
// The interceptor also fills in the message of a bare UNIMPLEMENTED status (what
// generated service classes answer for RPCs a daemon does not implement yet), so
// callers read "<method> is not implemented yet in paasta <version>" instead of
// nothing.
#ifndef PAASTA_COMMON_SERVER_RPC_METRICS_H_
#define PAASTA_COMMON_SERVER_RPC_METRICS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace paasta {

// The name grpc-prometheus gives a status code, e.g. "OK", "NotFound".
std::string GrpcCodeName(grpc::StatusCode code);

// Creates one interceptor per RPC. Thread-safe; must outlive the server.
class RpcMetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Registers the metric families in `registry`, which must outlive this.
  explicit RpcMetricsInterceptorFactory(prometheus::Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  // Constant after construction (the families are thread-safe).
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

}  // namespace paasta

#endif  // PAASTA_COMMON_SERVER_RPC_METRICS_H_
