#!/usr/bin/env bash
# The main job: the paasta platform on this machine. Installs what is needed,
# builds, starts every daemon on its loopback address, waits until all are
# healthy, shows them, and keeps running until Ctrl-C, which stops them all.
#
# State (copied binaries, logs) lives in $PAASTA_STATE_DIR (default ./.paasta).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

daemons=(
  agent/paasta-agent
  deployer/generator/paasta-generator
  deployer/paasta-deployer
  scheduler-bridge/paasta-scheduler-bridge
  drainer/paasta-drainer
  monitor/paasta-monitor
  smartstack/paasta-smartstack
)
targets=(//cli:paasta //agent:paasta-task-shim)
for d in "${daemons[@]}"; do targets+=("//${d%/*}:${d##*/}"); done
bazel build "${targets[@]}"
bazel shutdown  # the Bazel server is not needed while the platform runs

state=${PAASTA_STATE_DIR:-$PWD/.paasta}
mkdir -p "$state/bin" "$state/logs" "$state/soa" "$state/agent" "$state/git-cache"
# Run copies, so that a rebuild never replaces a binary under a running daemon.
for d in "${daemons[@]}" cli/paasta agent/paasta-task-shim; do install -m 0755 "bazel-bin/$d" "$state/bin/"; done
paasta="$state/bin/paasta"

pids=()
stop_all() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    echo "Stopping the paasta daemons..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    echo "Stopped."
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Each daemon's state lives in the state folder.
declare -A flags=(
  [paasta-agent]="--state_dir=$state/agent"
  [paasta-generator]="--soa_dir=$state/soa --git_cache_dir=$state/git-cache"
)
for d in "${daemons[@]}"; do
  name=${d##*/}
  # shellcheck disable=SC2086
  "$state/bin/$name" ${flags[$name]:-} >>"$state/logs/$name.log" 2>&1 &
  pids+=($!)
done

# Wait until every daemon answers SERVING (or one of them dies).
deadline=$((SECONDS + 60))
until "$paasta" metastatus >/dev/null 2>&1; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      name=${daemons[$i]##*/}
      echo "$name exited while starting; the end of $state/logs/$name.log:" >&2
      tail -n 20 "$state/logs/$name.log" >&2
      exit 1
    fi
  done
  if ((SECONDS > deadline)); then
    echo "The daemons are not all healthy after 60 s:" >&2
    "$paasta" metastatus >&2 || true
    exit 1
  fi
  sleep 0.2
done

cat <<INFO

The paasta platform runs on this machine:

$("$paasta" metastatus)

Logs:     $state/logs/<daemon>.log
Metrics:  http://127.0.0.1:7801/metrics (agent) ... http://127.0.0.1:7807/metrics (smartstack)
Try:      $paasta metastatus
          $paasta --help

Press Ctrl-C to stop everything.
INFO

# Keep running until Ctrl-C; if a daemon dies, say which and stop the rest.
set +e
wait -n "${pids[@]}"
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    name=${daemons[$i]##*/}
    echo "$name exited; the end of $state/logs/$name.log:" >&2
    tail -n 20 "$state/logs/$name.log" >&2
  fi
done
exit 1
