#!/usr/bin/env bash
# Installs exactly the Debian packages the build, the tests and the main job need.
# Idempotent and fast when everything is present: it only calls apt-get when a
# package is missing. Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # Build: Bazel (WORKSPACE mode, offline) and the compiler.
  bazel-bootstrap bazel-rules-java g++ git ca-certificates
  # gRPC, Protocol Buffers, Abseil.
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # Configuration, metrics, logging, CLI parsing, JSON.
  libyaml-cpp-dev prometheus-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  # Git, state, HTTP client and server.
  libgit2-dev libsqlite3-dev libcurl4-openssl-dev libcivetweb-dev libssl-dev
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # The one-machine cluster's runtime peers and the example services.
  haproxy prometheus python3 procps tzdata
  # scripts/make-certs.sh (mutual TLS certificates for tests and operators).
  openssl
)

# Scripts that need more (scripts/fuzz.sh: clang) name it here.
# shellcheck disable=SC2206
PACKAGES+=(${PAASTA_EXTRA_PACKAGES:-})

# Node.js and npm run the generic gRPC client test (tests/grpc-js): Debian's
# unless the machine already has them (a nodesource Node.js brings its npm).
if ! command -v node >/dev/null 2>&1; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages present"
else
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The generic client's npm packages, exactly as package-lock.json pins them
# (from the npm registry; again only when the lock file changed).
client="$(dirname "$0")/../tests/grpc-js"
if [[ ! -f $client/node_modules/.package-lock.json || $client/package-lock.json -nt $client/node_modules/.package-lock.json ]]; then
  echo "setup: installing the generic gRPC client's npm packages"
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
