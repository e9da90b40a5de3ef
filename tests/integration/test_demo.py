"""The README's run command ends in scripts/demo.sh, the walkthrough a newcomer sees first. Run it
as a person would: it reaches working IAM logins to PostgreSQL and MariaDB, the commands it
prints for another shell work when pasted, Ctrl-C stops everything (no process, no listening
port, no PAM service left), and a second run works as well as the first."""
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest

from lib import env

DEMO = env.SOURCE_DIR / "scripts" / "demo.sh"
READY = "Press Ctrl-C to stop"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the walkthrough runs as root (PAM service, postgres user)")


class Demo:
    def __init__(self, tmp_path, pam_service):
        self.dir = tmp_path / "demo"
        self.pam_service = pam_service
        self.log = tmp_path / f"demo-{uuid.uuid4().hex[:6]}.out"
        e = dict(os.environ, IAMDB_BUILD_DIR=str(env.BUILD_DIR), IAMDB_DEMO_DIR=str(self.dir),
                 IAMDB_DEMO_PAM_SERVICE=pam_service, TERM="dumb")
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(["bash", str(DEMO)], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=e, start_new_session=True)

    def text(self):
        return self.log.read_text()

    def wait_ready(self, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY in self.text():
                return self.text()
            if self.proc.poll() is not None:
                pytest.fail(f"the walkthrough stopped (exit {self.proc.returncode}):\n{self.text()}")
            time.sleep(0.1)  # poll interval, not a wait for time to pass
        self.interrupt()
        pytest.fail(f"the walkthrough was not ready after {timeout} s:\n{self.text()}")

    def interrupt(self):
        """Ctrl-C, as a terminal sends it: SIGINT to the whole foreground process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                pytest.fail(f"Ctrl-C did not stop the walkthrough within 60 s:\n{self.text()}")
        self.out.close()
        return self.text()


def pasted_commands(text):
    """The commands the walkthrough prints for another shell, as one shell script."""
    block = text.split("Try it yourself in another shell:", 1)[1].split(READY, 1)[0]
    return "\n".join(line for line in block.splitlines() if "--follow" not in line)


def ports_of(text):
    ports = {int(p) for p in re.findall(r"on port (\d+)", text)}
    ports |= {int(p) for p in re.findall(r"api=http://127\.0\.0\.1:(\d+)", text)}
    return ports


def listening(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes_under(path):
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if str(path) in line]


def run_once(tmp_path, pam_service):
    demo = Demo(tmp_path, pam_service)
    try:
        text = demo.wait_ready()
        for expected in ("app_user     | t   | TLSv1.3", "app_user@%\tTLSv1.3",
                         'PAM authentication failed for user "app_user"', "denied   user_mismatch",
                         "assumed-role/demo-db-role/"):
            assert expected in text, f"missing {expected!r} in:\n{text}"
        state = (demo.dir / "state").resolve()
        # What a person pastes into another shell works: both logins, the admin API call.
        script = "set -euo pipefail\n" + pasted_commands(text)
        pasted = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)})
        assert pasted.returncode == 0, f"pasted commands failed:\n{script}\n{pasted.stdout}\n{pasted.stderr}"
        assert "alice" in pasted.stdout  # iam list-users
        ports = ports_of(text)
        assert len(ports) == 3, text
        assert all(listening(p) for p in ports)
    finally:
        text = demo.interrupt()
    assert "stopped: iamdb, PostgreSQL and MariaDB are down" in text, text
    assert not [p for p in ports if listening(p)], "a port is still listening after Ctrl-C"
    assert not processes_under(state), f"processes left after Ctrl-C: {processes_under(state)}"
    assert not (tmp_path / "demo").exists()
    assert not os.path.exists(f"/etc/pam.d/{pam_service}")
    return text


def test_walkthrough_reaches_working_logins_and_stops_cleanly_twice(tmp_path):
    pam_service = f"iamdb-demo-test-{uuid.uuid4().hex[:8]}"
    try:
        first = run_once(tmp_path, pam_service)
        second = run_once(tmp_path, pam_service)
        assert ports_of(first) and ports_of(second)
    finally:
        if os.path.exists(f"/etc/pam.d/{pam_service}"):
            os.unlink(f"/etc/pam.d/{pam_service}")
