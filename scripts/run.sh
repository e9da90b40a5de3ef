#!/usr/bin/env bash
# Installs what is missing, builds, and runs iamdb's walkthrough (scripts/demo.sh): a throwaway
# iamdb server, PostgreSQL and MariaDB with TLS, and IAM logins to both, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
# The walkthrough writes a PAM service and runs PostgreSQL as its own user: it needs root.
if [ "$(id -u)" -ne 0 ]; then exec sudo --preserve-env=IAMDB_BUILD_DIR,TERM scripts/demo.sh; fi
exec scripts/demo.sh
