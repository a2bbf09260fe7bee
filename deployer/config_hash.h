// PaaSTA's config hash and app ids (../shared/reference/paasta-behaviour.md §3.2).
//
// The hash is "config" + the first 8 hex digits of
//   md5(json.dumps(D, sort_keys=True) + (force_bounce or ""))
// where D is the composed app (or job) dict, written exactly as Python 2.7's
// json.dumps writes it: keys sorted, ", " and ": " separators, ASCII only,
// floats as Python's repr ("1024.0", "0.25"). So the same config hashes the same
// on every machine and run, whatever the order of its keys.
//
//   ConfigHash({{"foo", "bar"}}, "")  == "config94232c5b"
//   AppId("example_service", "main", "3f596a50...", "config94232c5b")
//     == "example--service.main.git3f596a50.config94232c5b"
#ifndef PAASTA_DEPLOYER_CONFIG_HASH_H_
#define PAASTA_DEPLOYER_CONFIG_HASH_H_

#include <string>

#include "nlohmann/json.hpp"

namespace paasta::deployer {

// `value` as Python's json.dumps(value, sort_keys=True) writes it.
std::string PythonJsonDumps(const nlohmann::json& value);

// "config" + 8 hex digits of md5(PythonJsonDumps(config) + force_bounce).
std::string ConfigHash(const nlohmann::json& config, const std::string& force_bounce);

// Marathon ids allow no "_": PaaSTA writes it "--" (format_job_id).
std::string FormatIdPart(const std::string& part);

// "<service>.<instance>.git<first 8 of sha>.<config hash>", each part formatted.
std::string AppId(const std::string& service, const std::string& instance, const std::string& git_sha,
                  const std::string& config_hash);

// "<service>.<instance>", formatted: the prefix shared by every app of an instance.
std::string AppIdPrefix(const std::string& service, const std::string& instance);

}  // namespace paasta::deployer

#endif  // PAASTA_DEPLOYER_CONFIG_HASH_H_
