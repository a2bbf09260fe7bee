#!/usr/bin/env bash
# The whole test suite (or the targets given) under AddressSanitizer and
# UndefinedBehaviorSanitizer: scripts/asan.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Leaks inside the Debian libraries' own singletons only (bazel/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/bazel/lsan.supp:print_suppressions=0"
exec bazel test --config=asan "${@:-//...}"
