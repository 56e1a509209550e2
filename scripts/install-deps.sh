#!/usr/bin/env bash
# Installs mloop's build, test and benchmark dependencies from Debian 12 packages.
# Idempotent: when every package is already installed it returns in well under a second.
#   scripts/install-deps.sh           what `make demo` and `make test` need
#   scripts/install-deps.sh --bench   also the benchmarks' peers (wrk, nginx, FastAPI + uvicorn)
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build make pkg-config clang-format git
  # libraries
  libsqlite3-dev libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libfmt-dev
  libfast-float-dev libzstd-dev zlib1g-dev libssl-dev libxxhash-dev libxgboost-dev libeigen3-dev
  libnlopt-dev libboost-dev
  # the demo talks to `mloop serve` with curl
  curl
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev sqlite3 zstd gzip bc
  # outside references (pandas for the ingest benchmark; scikit-learn ships the example datasets;
  # Optuna is the tuning benchmark's peer)
  python3 python3-pandas python3-sklearn python3-xgboost python3-optuna
)
if [ "${1:-}" = "--bench" ]; then
  # The serving benchmark's peers: wrk drives the load, nginx is the ceiling for HTTP, FastAPI on
  # uvicorn (uvloop, httptools) is the Python serving stack.
  PACKAGES+=(wrk nginx python3-fastapi python3-uvicorn python3-uvloop python3-httptools)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
