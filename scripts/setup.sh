#!/usr/bin/env bash
# Installs the Debian packages iamdb builds with and tests against, if any are missing.
# Non-interactive and idempotent: when everything is present it only asks dpkg and returns.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libssl-dev libsqlite3-dev libpq-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev libtoml11-dev libpam0g-dev libmariadbd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing (libFuzzer ships with clang's runtime)
  clang-16 libclang-rt-16-dev
  # real peers for the tests and benchmarks
  postgresql postgresql-contrib mariadb-server mariadb-client awscli python3 python3-boto3
  python3-psycopg2 python3-pymysql python3-pytest faketime pgbouncer openssl procps iproute2
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian packages start database services on install where an init system runs; tests
# start their own servers in temporary directories, so stop those if they came up.
for svc in postgresql mariadb pgbouncer; do
  "${sudo[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
