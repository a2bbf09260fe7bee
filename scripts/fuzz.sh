#!/usr/bin/env bash
# Fuzzes every parser that reads what users or remote services send (fuzz/):
# libFuzzer, under AddressSanitizer and UndefinedBehaviorSanitizer, built with
# Debian's clang 14. Not part of the test command.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    (default: 60 s, every target)
#
# Each target starts from its corpus (fuzz/corpus/<target>/) and keeps what it
# finds in .fuzz/<target>/; a crashing input is written to .fuzz/crashes/. To
# keep a crash fixed: add the input to fuzz/corpus/<target>/ (the ordinary test
# run replays it through //fuzz:regression_test) and fix the parser.
set -euo pipefail
cd "$(dirname "$0")/.."

PAASTA_EXTRA_PACKAGES="clang-14 libclang-rt-14-dev" scripts/setup.sh

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
all=(yaml soa_service system_config deployments schedule time_variables marathon_apps chronos_jobs hacheck_answer)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

bazel build --config=fuzz $(printf '//fuzz:%s_fuzzer ' "${targets[@]}")
# The fuzz build's own output folder: bazel-bin follows whichever build ran last.
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)

mkdir -p .fuzz/crashes
printf '%-16s %12s %10s %8s\n' target executions exec/s crashes
failed=0
for t in "${targets[@]}"; do
  mkdir -p ".fuzz/$t"
  cp -n "fuzz/corpus/$t/"* ".fuzz/$t/" 2>/dev/null || true
  set +e
  # -timeout: an input a parser needs more than 10 s for is a finding too (a
  # daemon would stall on it); libFuzzer writes it as .fuzz/crashes/<target>-timeout-*.
  "$bin/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 -rss_limit_mb=2048 \
    -artifact_prefix=".fuzz/crashes/$t-" ".fuzz/$t" >".fuzz/$t.log" 2>&1
  code=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' ".fuzz/$t.log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' ".fuzz/$t.log")
  crashes=$(find .fuzz/crashes -name "$t-*" | wc -l)
  printf '%-16s %12s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
  if ((code != 0)); then
    failed=1
    echo "  $t stopped with code $code; the end of .fuzz/$t.log:"
    tail -n 30 ".fuzz/$t.log" | sed 's/^/    /'
  fi
done
exit $failed
