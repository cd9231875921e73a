#!/usr/bin/env bash
# Installs the Debian 12 packages baselinr needs. Idempotent and quick when all are present.
#   scripts/install-deps.sh          build dependencies (for `make demo` / `make build`)
#   scripts/install-deps.sh --test   plus test servers and drivers (for `make test`)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libsqlite3-dev libpq-dev libmariadb-dev unixodbc-dev libcurl4-openssl-dev libssl-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql mariadb-server odbc-postgresql odbc-mariadb unixodbc
  python3 python3-scipy curl sqlite3
  chromium fonts-dejavu-core libpng-dev
)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Server packages must not start system-wide services during install: the tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f "$policy"; fi; }
trap cleanup EXIT

if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
