"""pytest configuration for iamdb's integration tests: makes `lib` importable and checks that
the build under test exists."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import env  # noqa: E402


def pytest_configure(config):
    if not env.IAMDB_BIN.exists():
        raise SystemExit(f"iamdb binary not found at {env.IAMDB_BIN}: build first (scripts/build.sh)")
