#!/usr/bin/env bash
# Runs the libFuzzer targets in build/fuzz, IAMDB_JOBS (2) at a time, each on a core of its own.
# With --smoke (the test command's mode) each target replays its seed corpus in
# tests/fuzz/corpus/<target> and then fuzzes for a few seconds; otherwise each fuzzes for
# ${IAMDB_FUZZ_SECONDS:-300} seconds, growing a corpus in build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${IAMDB_FUZZ_SECONDS:-300}
[ "${1:-}" = --smoke ] && seconds=${IAMDB_FUZZ_SMOKE_SECONDS:-10}
shopt -s nullglob
targets=(build/fuzz/tests/fuzz/fuzz_*)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets built in build/fuzz" >&2; exit 1; }
run_target() {
  local target=$1 name seeds work
  name=$(basename "$target")
  seeds="tests/fuzz/corpus/${name#fuzz_}"
  work="build/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$work"
  echo "fuzz: $name for ${seconds}s"
  local dirs=("$work")
  [ -d "$seeds" ] && dirs+=("$seeds")
  "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
    "${dirs[@]}" 2>"build/fuzz/$name.log" || { tail -50 "build/fuzz/$name.log" >&2; echo "FAILED: $name" >&2; return 1; }
}
export -f run_target
export seconds
printf '%s\n' "${targets[@]}" | xargs -P "${IAMDB_JOBS:-2}" -I{} bash -c 'run_target "$1"' _ {}
