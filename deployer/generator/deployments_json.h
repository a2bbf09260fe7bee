// Computing a service's deployments.json from its configs and its git tags
// (../shared/reference/paasta-behaviour.md §2.2–§2.4), and rendering it.
//
// For every instance (marathon, chronos, adhoc, every cluster): the newest deploy
// tag of its deploy group gives the sha and the image
// "services-<service>:paasta-<sha>"; the control tags of its branch at that sha
// give desired_state and force_bounce. Instances never deployed are left out.
#ifndef PAASTA_DEPLOYER_GENERATOR_DEPLOYMENTS_JSON_H_
#define PAASTA_DEPLOYER_GENERATOR_DEPLOYMENTS_JSON_H_

#include <string>
#include <vector>

#include "common/config/deployments.h"
#include "common/config/soa_config.h"
#include "common/git/git_repository.h"

namespace paasta::generator {

// "services-<service>:paasta-<sha>" (the registry is not part of it).
std::string DockerImage(const std::string& service, const std::string& sha);

// The deployments of `service` given the refs of its repository.
config::Deployments ComputeDeployments(const config::ServiceConfig& service,
                                       const std::vector<git::Ref>& refs);

// The JSON text: {"v1": {...}, "v2": {"controls": {...}, "deployments": {...}}}
// exactly as Python's json.dumps(..., sort_keys=True) writes it (", " and ": "
// separators, keys sorted, non-ASCII escaped, no trailing newline).
std::string RenderDeploymentsJson(const config::Deployments& deployments);

}  // namespace paasta::generator

#endif  // PAASTA_DEPLOYER_GENERATOR_DEPLOYMENTS_JSON_H_
