#!/usr/bin/env bash
# The test command: installs what the build and tests need, builds everything,
# runs every test, prints "N passed, N failed" counted from the test results, and
# exits with Bazel's code. Extra arguments go to `bazel test` (e.g. a target).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh || exit 1

targets=("$@")
if ((${#targets[@]} == 0)); then targets=(//...); fi

events=$(mktemp)
trap 'rm -f "$events"' EXIT

bazel build --keep_going "${targets[@]}"
build_rc=$?
bazel test --keep_going --test_output=errors --build_event_json_file="$events" "${targets[@]}"
rc=$?
if ((rc == 0 && build_rc != 0)); then rc=$build_rc; fi

# Count test cases from the JUnit XML files this run produced or reused (Bazel's
# build event stream names them; sharded tests have one per shard). A test
# target with no result (it did not build, or crashed before writing one)
# counts as one failure.
bazel query "tests(set(${targets[*]}))" 2>/dev/null | python3 -c '
import json, sys, urllib.parse, xml.etree.ElementTree as ET
events_path = sys.argv[1]
expected = set(sys.stdin.read().split())
files = {}
with open(events_path) as events:
    for line in events:
        event = json.loads(line)
        result = event.get("id", {}).get("testResult")
        if not result:
            continue
        for output in event.get("testResult", {}).get("testActionOutput", []):
            if output.get("name") == "test.xml" and output.get("uri", "").startswith("file://"):
                files.setdefault(result["label"], []).append(urllib.parse.urlparse(output["uri"]).path)
passed = failed = skipped = 0
for label in sorted(expected):
    if label not in files:
        failed += 1
        print(f"no test result for {label}", file=sys.stderr)
        continue
    for path in files[label]:
        for case in ET.parse(path).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("result") == "skipped":
                skipped += 1
            else:
                passed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
' "$events"

bazel shutdown
exit $rc
