#!/usr/bin/env bash
# Runs every test: unit and integration tests on the release build (real PostgreSQL, MariaDB,
# AWS CLI and boto3), the unit tests again under AddressSanitizer + UBSan, and every fuzz
# target over its corpus. Installs what is missing first. Exit status 0 only if all passed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${IAMDB_JOBS:-2}
step() { printf '\n== %s\n' "$*"; }

step "setup"
scripts/setup.sh

step "release build"
scripts/build.sh release
step "unit and integration tests"
ctest --test-dir build/release -j "$jobs" --output-on-failure --timeout 900

step "sanitizer build (ASan + UBSan)"
scripts/build.sh asan
step "unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan -L unit -j "$jobs" --output-on-failure --timeout 900

step "fuzz targets"
scripts/build.sh fuzz
scripts/fuzz.sh --smoke

step "all tests passed"
