// libFuzzer's entry point for one target of targets.h, chosen at build time
// (FUZZ_TARGET, set by each cc_binary in BUILD.bazel).
#include "fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  paasta::fuzz::FUZZ_TARGET(data, size);
  return 0;
}
