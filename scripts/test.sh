#!/usr/bin/env bash
# Runs every test: unit and integration tests on the release build (real PostgreSQL, MariaDB,
# AWS CLI and boto3), the unit tests and the gateway's integration tests again under
# AddressSanitizer + UBSan, the thread-heavy unit tests under ThreadSanitizer, and every fuzz
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
scripts/build.sh asan iamdb_unit_tests iamdb
step "unit tests under ASan + UBSan"
# One process per test binary rather than per test case (as ctest would): the sanitizers' start-up
# is paid once per binary, not once per test. A failing binary's whole output is shown.
run_binary() {
  local dir name
  dir=$(dirname "$1") name=$(basename "$1")
  if (cd "$dir" && timeout 900 "./$name" --gtest_brief=1 >"$name.asan.log" 2>&1); then
    echo "$1: $(grep -h 'PASSED' "$dir/$name.asan.log")"
  else
    cat "$dir/$name.asan.log"
    echo "FAILED: $1"
    return 1
  fi
}
export -f run_binary
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
find build/asan/tests -type f -name 'test_*' -perm -u+x | sort | xargs -P "$jobs" -I{} bash -c 'run_binary "$1"' _ {}

step "gateway integration tests against the server under ASan + UBSan"
# Hostile clients, cancel, pooling and revocation with the sanitized server (and the release
# build's plugins, which load into the databases). A report aborts the server or, for leaks, makes
# it exit non-zero when the test stops it; either fails the test.
(cd tests/integration &&
  IAMDB_BIN="$PWD/../../build/asan/src/cli/iamdb" IAMDB_BUILD_DIR="$PWD/../../build/release" \
  PYTHONDONTWRITEBYTECODE=1 timeout 1800 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  test_pg_gateway.py test_pg_gateway_limits.py test_pg_gateway_ops.py)

step "thread-heavy unit tests under ThreadSanitizer"
# The control plane's HTTP server and the gateway's listeners and session table, whose objects
# several threads touch. (The whole suite under TSan would take too long for every run.)
scripts/build.sh tsan test_server test_gateway
for t in build/tsan/tests/server/test_server build/tsan/tests/gateway/test_gateway; do
  (cd "$(dirname "$t")" && TSAN_OPTIONS=halt_on_error=1:abort_on_error=1 timeout 900 "./$(basename "$t")" --gtest_brief=1)
done

step "fuzz targets"
scripts/build.sh fuzz
scripts/fuzz.sh --smoke

step "all tests passed"
