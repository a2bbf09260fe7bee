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
mkdir -p "$state/bin" "$state/logs" "$state/soa" "$state/agent" "$state/git-cache" "$state/git" "$state/etc"
# Run copies, so that a rebuild never replaces a binary under a running daemon.
for d in "${daemons[@]}" cli/paasta agent/paasta-task-shim; do install -m 0755 "bazel-bin/$d" "$state/bin/"; done
paasta="$state/bin/paasta"

# The example services: each one's code a git repository under $state/git (a
# new commit when the code here changed), their soa-configs under $state/soa
# pointing at those repositories (deployments.json, the generator's, is kept),
# and the one-machine cluster's system config.
git_in() { git -C "$1" -c user.name=paasta -c user.email=paasta@localhost "${@:2}"; }
for code in examples/services/*/; do
  service=$(basename "$code")
  repo="$state/git/$service"
  [[ -d $repo/.git ]] || git init -q -b main "$repo"
  cp -r "$code". "$repo/"
  git_in "$repo" add -A
  git_in "$repo" diff --cached --quiet || git_in "$repo" commit -q -m "example $service"
done
for configs in examples/soa-configs/*/; do
  service=$(basename "$configs")
  mkdir -p "$state/soa/$service"
  cp "$configs"*.yaml "$state/soa/$service/"
  sed -i "s|^git_url: .*|git_url: file://$state/git/$service|" "$state/soa/$service/service.yaml"
done
[[ -f $state/etc/cluster.json ]] || echo '{"cluster": "local", "volumes": []}' >"$state/etc/cluster.json"
# Every daemon and the CLI read these (their flags' defaults).
export PAASTA_SOA_DIR="$state/soa" PAASTA_SYSTEM_CONFIG_DIR="$state/etc"

pids=()
stop_all() {
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    echo "Stopping the paasta daemons..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    # Tasks outlive the agent by design (a restarted agent adopts them); here
    # Ctrl-C means everything, so end them too: each task leads its process
    # group under its shim. The apps stay recorded: the next start runs them again.
    local shim task tasks=() ids=()
    for shim in $(pgrep -f -- "paasta-task-shim --sandbox=$state/agent/sandboxes/" || true); do
      ids+=("$(ps -o args= -p "$shim" | sed -n 's|.*--sandbox=[^ ]*/sandboxes/\([^ ]*\).*|\1|p')")
      for task in $(pgrep -P "$shim" || true); do tasks+=("$task"); kill -TERM -- "-$task" 2>/dev/null || true; done
    done
    for _ in $(seq 50); do
      local alive=0
      for task in "${tasks[@]}"; do kill -0 "$task" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.1
    done
    for task in "${tasks[@]}"; do kill -KILL -- "-$task" 2>/dev/null || true; done
    # The agent removes a task's cgroup when it sees the task end; it is gone now.
    sleep 0.2
    for id in "${ids[@]}"; do
      [[ -n $id ]] && find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" -exec rmdir {} + 2>/dev/null || true
    done
    # And the agent's own cgroup folders, now empty (the next start makes them again).
    find /sys/fs/cgroup -maxdepth 6 -type d -name paasta-agent -exec rmdir {} + 2>/dev/null || true
    echo "Stopped."
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Each daemon's state lives in the state folder.
declare -A flags=(
  [paasta-agent]="--state_dir=$state/agent"
  [paasta-generator]="--git_cache_dir=$state/git-cache"
  [paasta-scheduler-bridge]="--state_dir=$state/scheduler-bridge"
  [paasta-drainer]="--spool_root=$state/hacheck"
  [paasta-smartstack]="--state_dir=$state/smartstack"
)
for d in "${daemons[@]}"; do
  name=${d##*/}
  # shellcheck disable=SC2086
  "$state/bin/$name" ${flags[$name]:-} >>"$state/logs/$name.log" 2>&1 &
  pids+=($!)
done

# Prometheus scrapes every daemon and evaluates the paasta alert rules
# (monitor/prometheus/); its data lives in the state folder.
prometheus_listen=${PAASTA_PROMETHEUS_LISTEN:-127.0.0.1:9090}
mkdir -p "$state/prometheus"
prometheus --config.file=monitor/prometheus/prometheus.yml --storage.tsdb.path="$state/prometheus" \
  --web.listen-address="$prometheus_listen" --log.level=warn >>"$state/logs/prometheus.log" 2>&1 &
pids+=($!)
daemons+=(prometheus)

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

# Deploy every example service's newest commit (the generator writes
# deployments.json, the deployer starts the apps on the agent).
for code in examples/services/*/; do
  "$paasta" mark-for-deployment -s "$(basename "$code")" -l local.everything -c HEAD
done
echo "Waiting for example_service.main to run healthy..."
healthy_tasks() {
  python3 - <<'PY'
import re, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:7803/metrics", timeout=2).read().decode()
m = re.search(r'paasta_deployer_healthy_tasks\{[^}]*instance="main"[^}]*service="example_service"[^}]*\} (\d+)', text)
print(int(float(m.group(1))) if m else 0)
PY
}
deadline=$((SECONDS + 120))
until [[ $(healthy_tasks 2>/dev/null) == 2 ]]; do
  if ((SECONDS > deadline)); then
    echo "example_service.main is not healthy after 120 s; see $state/logs/paasta-deployer.log and paasta-agent.log" >&2
    break
  fi
  sleep 1
done

cat <<INFO

The paasta platform runs on this machine:

$("$paasta" metastatus)

Logs:     $state/logs/<daemon>.log
Metrics:  http://127.0.0.1:7801/metrics (agent) ... http://127.0.0.1:7807/metrics (smartstack)
Alerts:   http://$prometheus_listen/alerts (Prometheus, with the paasta rules);
          grpcurl -plaintext 127.0.0.1:7706 paasta.v1.Monitor/ListAlerts
Examples: example_service.main (2 tasks, HTTP health check on /status) and
          example_worker.worker run on the agent from $state/git/<service>;
          their soa-configs are in $state/soa. Their tasks and ports:
          grpcurl -plaintext 127.0.0.1:7701 paasta.v1.Agent/ListTasks
Proxy:    example_service.main through HAProxy: curl http://127.0.0.1:20001/
Jobs:     example_batch.rollup runs every minute, example_batch.publish after it:
          grpcurl -plaintext -d '{"instance": {"service": "example_batch", "instance": "rollup"}, "include_reruns": true}' \\
            127.0.0.1:7704 paasta.v1.SchedulerBridge/ListRuns
          $paasta rerun -s example_batch -i rollup -d 2016-04-25T00:00:00
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
