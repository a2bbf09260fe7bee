// The fuzz targets: one function per parser that reads what users or remote
// services send. Each takes any bytes and must return without crashing,
// hanging or leaking, whatever it is given. libFuzzer drives them
// (fuzzer_main.cc, scripts/fuzz.sh); regression_test.cc runs each over its
// corpus (fuzz/corpus/<target>/: seeds from the test fixtures, and every
// input that ever crashed one) in the ordinary test run.
#ifndef PAASTA_FUZZ_TARGETS_H_
#define PAASTA_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace paasta::fuzz {

using Target = void (*)(const uint8_t* data, size_t size);

// A YAML document through the soa-configs reader.
void Yaml(const uint8_t* data, size_t size);
// A soa-config file (the first byte picks marathon, chronos, adhoc,
// smartstack, service or monitoring) loaded and validated as a service.
void SoaService(const uint8_t* data, size_t size);
// A system config file (JSON) loaded from a folder.
void SystemConfig(const uint8_t* data, size_t size);
// deployments.json.
void Deployments(const uint8_t* data, size_t size);
// A chronos schedule, checked and parsed, its next run computed.
void Schedule(const uint8_t* data, size_t size);
// A command with date variables, rendered.
void TimeVariables(const uint8_t* data, size_t size);
// Marathon's GET /v2/apps answer.
void MarathonApps(const uint8_t* data, size_t size);
// Chronos's GET /scheduler/jobs answer.
void ChronosJobs(const uint8_t* data, size_t size);
// A hacheck answer (the first two bytes pick the status code).
void HacheckAnswer(const uint8_t* data, size_t size);

struct NamedTarget {
  const char* name;
  Target target;
};
// Every target, by the name of its corpus folder.
const std::vector<NamedTarget>& AllTargets();

}  // namespace paasta::fuzz

#endif  // PAASTA_FUZZ_TARGETS_H_
