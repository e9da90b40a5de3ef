#!/usr/bin/env bash
# Configures and builds one configuration into build/<name>, all of it or only the targets named:
#   scripts/build.sh [release|asan|tsan|fuzz] [target...]
#   release (default)  optimised, with line tables (enough for backtraces and profiles; full debug
#                      info costs a third more compile time): the binary, plugins, tests, benchmarks
#   asan               AddressSanitizer + UBSan build of everything with its tests (unoptimised,
#                      line tables only: enough for the sanitizers' stack traces)
#   tsan               ThreadSanitizer build of the binary and the tests (-O1, line tables; no
#                      plugins: they would load into the databases); scripts/test.sh runs the
#                      thread-heavy unit tests with it
#   fuzz               libFuzzer targets, built with clang (optimised, line tables only)
# The unit tests alone are the target iamdb_unit_tests.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
[ $# -gt 0 ] && shift
targets=()
for t in "$@"; do targets+=(--target "$t"); done
jobs=${IAMDB_JOBS:-2}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
case "$config" in
  release) opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
                 "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG") ;;
  asan) opts=(-DCMAKE_BUILD_TYPE=Debug -DIAMDB_SANITIZE=ON -DIAMDB_BENCH=OFF
              -DCMAKE_C_FLAGS_DEBUG=-g1 -DCMAKE_CXX_FLAGS_DEBUG=-g1) ;;
  tsan) opts=(-DCMAKE_BUILD_TYPE=Debug -DIAMDB_TSAN=ON -DIAMDB_BENCH=OFF -DIAMDB_PLUGINS=OFF
              "-DCMAKE_C_FLAGS_DEBUG=-O1 -g1" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1") ;;
  fuzz) opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIAMDB_FUZZ=ON -DIAMDB_APP=OFF -DIAMDB_PLUGINS=OFF
              -DIAMDB_BENCH=OFF -DCMAKE_C_COMPILER=clang-16
              -DCMAKE_CXX_COMPILER=clang++-16
              "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG") ;;
  *) echo "usage: $0 [release|asan|tsan|fuzz] [target...]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$config" -G Ninja "${launcher[@]}" "${opts[@]}" >/dev/null
cmake --build "build/$config" -j "$jobs" "${targets[@]}"
