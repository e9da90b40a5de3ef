#!/usr/bin/env bash
# Installs what is missing, builds, and runs iamdb's main job on an embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec build/release/src/cli/iamdb version
