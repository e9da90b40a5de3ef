"""Where the build under test lives, and small process/network helpers shared by the tests."""
import os
import socket
import subprocess
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("IAMDB_SOURCE_DIR", Path(__file__).resolve().parents[3]))
BUILD_DIR = Path(os.environ.get("IAMDB_BUILD_DIR", SOURCE_DIR / "build" / "release"))
IAMDB_BIN = Path(os.environ.get("IAMDB_BIN", BUILD_DIR / "src" / "cli" / "iamdb"))
VECTORS_DIR = Path(os.environ.get("IAMDB_VECTORS_DIR", SOURCE_DIR.parent / "shared" / "vectors"))

# Debian's boto3, psycopg2 and pymysql are installed for the system interpreter.
SYSTEM_PYTHON = "/usr/bin/python3"
# Debian's AWS CLI (v2). Another `aws` may come first on PATH; tests name the one they use.
DEBIAN_AWS = "/usr/bin/aws"


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago. Servers started on it must still handle a race
    with another process by failing clearly, and callers retry with a new port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(cmd, check=True, **kwargs):
    """Runs a command, capturing text output; on failure the exception shows both streams."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 120)
    result = subprocess.run(cmd, check=False, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"command failed ({result.returncode}): {cmd}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def aws_clis():
    """The real AWS CLIs on this machine: Debian's v2 and, when present, the first on PATH."""
    import shutil
    found = []
    for candidate in (DEBIAN_AWS, shutil.which("aws")):
        if candidate and os.path.exists(candidate) and os.path.realpath(candidate) not in [
                os.path.realpath(c) for c in found]:
            found.append(candidate)
    return found
