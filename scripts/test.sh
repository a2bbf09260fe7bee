#!/usr/bin/env bash
# The test command: installs what the build and tests need, builds everything,
# runs every test, prints "N passed, N failed" counted from the test results, and
# exits with Bazel's code. Extra arguments go to `bazel test` (e.g. a target).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1

targets=("$@")
if ((${#targets[@]} == 0)); then targets=(//...); fi

bazel build --keep_going "${targets[@]}"
build_rc=$?
bazel test --keep_going --test_output=errors "${targets[@]}"
rc=$?
if ((rc == 0 && build_rc != 0)); then rc=$build_rc; fi

# Count test cases from each current test target's JUnit XML (sharded tests
# have one file per shard). A target with no result (it did not build, or
# crashed before writing one) counts as one failure.
bazel query "tests(set(${targets[*]}))" 2>/dev/null | python3 -c '
import os, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for label in sys.stdin.read().split():
    package, _, name = label.lstrip("/").partition(":")
    folder = os.path.join("bazel-testlogs", package, name)
    files = [os.path.join(root, f) for root, _, fs in os.walk(folder) for f in fs if f == "test.xml"]
    if not files:
        failed += 1
        print(f"no test result for {label}", file=sys.stderr)
        continue
    for path in files:
        for case in ET.parse(path).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
'

bazel shutdown
exit $rc
