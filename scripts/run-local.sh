#!/usr/bin/env bash
# The main job: the paasta platform on this machine. Installs what is needed,
# builds, makes the example services git repositories, starts every daemon on
# its loopback address under paasta-platform (the supervisor), deploys the
# examples, shows their status, and keeps running until Ctrl-C, which stops
# everything (daemons, HAProxy, Prometheus and the example tasks).
#
# State (binaries, git repositories, soa-configs, each daemon's state and log)
# lives in $PAASTA_STATE_DIR (default ./.paasta); a second start finds it as it was.
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
targets=(//cli:paasta //agent:paasta-task-shim //platform:paasta-platform)
for d in "${daemons[@]}"; do targets+=("//${d%/*}:${d##*/}"); done
bazel build "${targets[@]}"
bazel shutdown  # the Bazel server is not needed while the platform runs

state=${PAASTA_STATE_DIR:-$PWD/.paasta}
mkdir -p "$state/bin" "$state/logs" "$state/soa" "$state/agent" "$state/git-cache" "$state/git" "$state/etc"
# Run copies, so that a rebuild never replaces a binary under a running daemon.
for d in "${daemons[@]}" cli/paasta agent/paasta-task-shim platform/paasta-platform; do install -m 0755 "bazel-bin/$d" "$state/bin/"; done
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

# The supervisor starts the daemons in order (each once the ones before it are
# healthy), restarts one that dies, and stops them all on SIGTERM.
prometheus_listen=${PAASTA_PROMETHEUS_LISTEN:-127.0.0.1:9090}
started_at=$SECONDS
"$state/bin/paasta-platform" --state_dir="$state" --prometheus="$(command -v prometheus)" \
  --prometheus_listen="$prometheus_listen" --prometheus_rules="$PWD/monitor/prometheus/paasta-rules.yml" \
  >>"$state/logs/paasta-platform.log" 2>&1 &
platform=$!
stop_all() {
  trap - EXIT INT TERM
  if kill -0 "$platform" 2>/dev/null; then
    echo "Stopping the platform..."
    kill -TERM "$platform"
    wait "$platform" 2>/dev/null || true
    echo "Stopped."
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

platform_ready() {
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("ready") else 1)' \
    "$state/platform.json" 2>/dev/null
}
rm -f "$state/platform.json"
until platform_ready; do
  if ! kill -0 "$platform" 2>/dev/null; then
    echo "The platform could not start; the end of $state/logs/paasta-platform.log:" >&2
    tail -n 30 "$state/logs/paasta-platform.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "Every daemon is healthy ($((SECONDS - started_at)) s)."

# Deploy every example service's newest commit (the generator writes
# deployments.json, the deployer starts the apps on the agent) and follow the
# bounce until the new version runs healthy. A commit already deployed is left as it is.
for code in examples/services/*/; do
  service=$(basename "$code")
  head=$(git -C "$state/git/$service" rev-parse HEAD)
  if [[ $("$paasta" get-latest-deployment -s "$service" -l local.everything 2>/dev/null) != "$head" ]]; then
    "$paasta" mark-for-deployment -s "$service" -l local.everything -c "$head" --wait --timeout 180s
  fi
done
echo "Everything is deployed and healthy ($((SECONDS - started_at)) s after the start)."
for code in examples/services/*/; do "$paasta" status -s "$(basename "$code")" || true; done

cat <<INFO

The paasta platform runs on this machine ($state/platform.json has every daemon's address and pid).

Try:      $paasta status -s example_service -v
          $paasta logs -s example_service -f
          curl http://127.0.0.1:20001/          (example_service.main through HAProxy)
          $paasta rerun -s example_batch -i rollup -d 2016-04-25T00:00:00
Deploy a change:
          edit $state/git/example_service/server.py, then
          git -C $state/git/example_service commit -am "my change"
          $paasta mark-for-deployment -s example_service -l local.everything -c HEAD --wait
Logs:     $state/logs/<daemon>.log (paasta-platform.log: starts, crashes, restarts)
Metrics:  http://127.0.0.1:7801/metrics (agent) ... http://127.0.0.1:7807/metrics (smartstack)
Alerts:   http://$prometheus_listen/alerts (Prometheus, with the paasta rules)
Configs:  $state/soa (soa-configs), $state/etc (system config)

Press Ctrl-C to stop everything.
INFO

# Keep running until Ctrl-C (the supervisor restarts a daemon that dies). The
# terminal's Ctrl-C reaches paasta-platform too; a signal sent to this script
# alone is passed on.
interrupted=0
trap 'interrupted=1; kill -TERM "$platform" 2>/dev/null' INT TERM
set +e
while kill -0 "$platform" 2>/dev/null; do wait "$platform"; code=$?; done
trap - EXIT
if ((interrupted)) || [[ ${code:-1} == 0 ]]; then
  echo "Stopped: every daemon and task of the platform has ended."
  exit 0
fi
echo "paasta-platform exited unexpectedly; the end of $state/logs/paasta-platform.log:" >&2
tail -n 20 "$state/logs/paasta-platform.log" >&2
exit 1
