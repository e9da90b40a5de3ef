#!/usr/bin/env bash
# Installs what is missing, builds, and runs iamdb's walkthrough (scripts/demo.sh): a throwaway
# iamdb server, PostgreSQL and MariaDB with TLS, and IAM logins to both, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec scripts/demo.sh
