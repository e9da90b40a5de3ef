#!/usr/bin/env bash
# Configures and builds one configuration into build/<name>:
#   release (default)  optimised with debug info: the binary, plugins, tests, benchmarks
#   asan               AddressSanitizer + UBSan build of everything with its tests
#   fuzz               libFuzzer targets, built with clang
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-release}
jobs=${IAMDB_JOBS:-2}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
case "$config" in
  release) opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan) opts=(-DCMAKE_BUILD_TYPE=Debug -DIAMDB_SANITIZE=ON -DIAMDB_BENCH=OFF) ;;
  fuzz) opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DIAMDB_FUZZ=ON -DIAMDB_APP=OFF -DIAMDB_PLUGINS=OFF
              -DIAMDB_BENCH=OFF -DCMAKE_C_COMPILER=clang-16
              -DCMAKE_CXX_COMPILER=clang++-16) ;;
  *) echo "usage: $0 [release|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$config" -G Ninja "${launcher[@]}" "${opts[@]}" >/dev/null
cmake --build "build/$config" -j "$jobs"
