// The gRPC face of the generator (paasta.v1.Generator), its periodic pass,
// and its metrics:
//
//   paasta_generator_generations_total{result="changed|unchanged|failed"}
//   paasta_generator_refs_read_total
//   paasta_generator_pass_duration_seconds (histogram, one pass over every service)
//   paasta_generator_last_pass_timestamp_seconds
//   paasta_generator_tags_written_total{kind="deploy|control"}
#ifndef PAASTA_DEPLOYER_GENERATOR_GENERATOR_SERVICE_H_
#define PAASTA_DEPLOYER_GENERATOR_GENERATOR_SERVICE_H_

#include <string>
#include <vector>

#include "common/server/authorization.h"
#include "deployer/generator/generator.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "protos/generator.grpc.pb.h"

namespace paasta::generator {

class GeneratorService final : public v1::Generator::Service, public GuardedService {
 public:
  // `generator` and `registry` must outlive the service.
  GeneratorService(Generator& generator, std::string soa_dir, prometheus::Registry& registry);

  // One pass over every service (the periodic loop calls it). Thread-safe.
  void RunPass();

  grpc::Status Generate(grpc::ServerContext* context, const v1::GenerateRequest* request,
                        v1::GenerateResponse* response) override;
  grpc::Status ListDeployments(grpc::ServerContext* context, const v1::ListDeploymentsRequest* request,
                               v1::ListDeploymentsResponse* response) override;
  grpc::Status MarkForDeployment(grpc::ServerContext* context, const v1::MarkForDeploymentRequest* request,
                                 v1::MarkForDeploymentResponse* response) override;
  grpc::Status SetDesiredState(grpc::ServerContext* context, const v1::SetDesiredStateRequest* request,
                               v1::SetDesiredStateResponse* response) override;

 private:
  void Record(const GenerationResult& result, v1::ServiceGeneration* out);

  // Constant after construction.
  Generator& generator_;
  const std::string soa_dir_;
  prometheus::Family<prometheus::Counter>& generations_;
  prometheus::Counter& refs_read_;
  prometheus::Histogram& pass_duration_;
  prometheus::Gauge& last_pass_;
  prometheus::Family<prometheus::Counter>& tags_written_;
};

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_GENERATOR_SERVICE_H_
