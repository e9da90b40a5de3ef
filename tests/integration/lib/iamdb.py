"""A real iamdb server in a temporary directory, for integration tests.

    from lib.iamdb import IamdbServer

    with IamdbServer() as server:
        server.aws_json("iam", "create-user", "--user-name", "alice")   # Debian's AWS CLI, as admin
        iam = server.client("iam")                                       # boto3, as admin
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        server.add_profile("alice", key["AccessKeyId"], key["SecretAccessKey"])
        server.aws("sts", "get-caller-identity", profile="alice")

`iamdb init` makes the data directory (account, TLS material, the store, and user `admin` with
AdministratorAccess whose key it writes to DATA_DIR/credentials); `iamdb server` then runs on a
free loopback port. The fixture waits for the server's `ready api=URL verify=SOCKET` line on
stdout and stops it with SIGTERM on exit, also when a test fails; a server that does not stop
in time is killed and reported. A port taken between choosing it and binding it is retried with
a fresh data directory. The server's log (stderr) stays readable through `log()`.

For the AWS CLI the fixture keeps its own HOME, credentials file and config file in the temporary
directory (the caller's ~/.aws is never read) with one profile per identity, and passes
`--endpoint-url` on every call: Debian's /usr/bin/aws 2.9 does not read endpoint_url from files.
"""
import configparser
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import env

ADMIN_PROFILE = "iamdb-admin"
START_ATTEMPTS = 3
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


class IamdbError(AssertionError):
    pass


class AwsCliError(AssertionError):
    """A failed AWS CLI call; `code` is the AWS error code it printed (e.g. "NoSuchEntity")."""

    def __init__(self, cmd, result):
        self.result = result
        self.code = aws_error_code(result.stderr)
        super().__init__(f"aws failed ({result.returncode}): {cmd}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")


def aws_error_code(stderr):
    """The code in the CLI's "An error occurred (CODE) when calling ..." line, or None."""
    marker = "An error occurred ("
    start = stderr.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = stderr.find(")", start)
    return stderr[start:end] if end > start else None


class IamdbServer:
    def __init__(self, account_id="123456789012", region="us-east-1", cli=env.DEBIAN_AWS, settings=None,
                 server_env=None):
        """`cli`: the AWS CLI `aws()` runs unless told otherwise (see lib.env.aws_clis()).
        `settings`: {"section.key": value} to set in iamdb.toml before the server starts (e.g.
        {"api.header_timeout_seconds": 2}). `server_env`: extra environment for the server
        process (e.g. libfaketime's variables)."""
        self.account_id = account_id
        self.region = region
        self.cli = cli
        self.settings = settings or {}
        self.server_env = server_env or {}
        self.base = None
        self.data_dir = None
        self.endpoint = None
        self.verify_socket = None
        self.admin = None  # (access key id, secret access key)
        self._process = None
        self._log = None
        self._profiles = {}

    # --- lifecycle ---

    def __enter__(self):
        self.base = Path(tempfile.mkdtemp(prefix="iamdb-it-"))
        (self.base / "home").mkdir()
        try:
            self._start()
        except BaseException:
            self._cleanup()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self._cleanup()
        return False

    def _start(self):
        last = None
        for attempt in range(START_ATTEMPTS):
            self.data_dir = self.base / f"data{attempt}"
            port = env.free_port()
            env.run([str(env.IAMDB_BIN), "init", "--data-dir", str(self.data_dir), "--region", self.region,
                     "--account-id", self.account_id, "--api-listen", f"127.0.0.1:{port}"])
            self.admin = _read_admin_key(self.data_dir / "credentials")
            _apply_settings(self.data_dir / "iamdb.toml", self.settings)
            self._log = open(self.base / f"server{attempt}.log", "w+")
            self._spawn()
            ready = self._wait_ready()
            if ready:
                fields = dict(part.split("=", 1) for part in ready.split()[1:])
                self.endpoint = fields["api"]
                self.verify_socket = fields.get("verify")
                self.add_profile(ADMIN_PROFILE, *self.admin)
                return
            last = self.log()
            self._process = None
            if "in use" not in last:
                break
        raise IamdbError(f"iamdb server did not start:\n{last}")

    def _wait_ready(self):
        """The ready line, or None if the server exited first. Times out loudly."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        stdout = self._process.stdout
        while time.monotonic() < deadline:
            readable, _, _ = select.select([stdout], [], [], 0.2)
            if readable:
                line = stdout.readline()
                if line.startswith("ready "):
                    return line.strip()
                if line == "":  # end of stream: the server exited
                    self._process.wait(timeout=STOP_TIMEOUT_S)
                    return None
            elif self._process.poll() is not None:
                return None
        self._process.kill()
        self._process.wait()
        raise IamdbError(f"iamdb server printed no ready line within {READY_TIMEOUT_S}s:\n{self.log()}")

    def _spawn(self):
        self._process = subprocess.Popen([str(env.IAMDB_BIN), "server", "--data-dir", str(self.data_dir)],
                                         stdout=subprocess.PIPE, stderr=self._log, text=True,
                                         env={**os.environ, **self.server_env})

    @property
    def pid(self):
        """The running server's process id (for measuring it from outside)."""
        return self._process.pid

    def kill(self):
        """SIGKILL: the server dies at once, mid-whatever (crash tests)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            process.stdout.close()

    def restart(self):
        """Starts the server again on the same data directory (after stop() or kill())."""
        self._spawn()
        ready = self._wait_ready()
        if not ready:
            raise IamdbError(f"iamdb server did not start again:\n{self.log()}")
        fields = dict(part.split("=", 1) for part in ready.split()[1:])
        self.endpoint = fields["api"]
        self.verify_socket = fields.get("verify")

    def start_second(self):
        """Runs a second `iamdb server` on the same data directory and returns its
        CompletedProcess (it must refuse)."""
        return env.run([str(env.IAMDB_BIN), "server", "--data-dir", str(self.data_dir)], check=False, timeout=30)

    def iamdb(self, *args, check=True):
        """Runs the iamdb CLI with `args`."""
        return env.run([str(env.IAMDB_BIN), *map(str, args)], check=check)

    def stop(self):
        """SIGTERM, then wait; a server that does not stop in time is killed and reported."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                status = process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise IamdbError(f"iamdb server ignored SIGTERM for {STOP_TIMEOUT_S}s:\n{self.log()}")
        else:
            status = process.returncode
        process.stdout.close()
        if status != 0:
            raise IamdbError(f"iamdb server exited with status {status}:\n{self.log()}")

    def _cleanup(self):
        if self._log:
            self._log.close()
            self._log = None
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def log(self):
        """What the server has written to stderr so far."""
        if not self._log:
            return ""
        self._log.flush()
        self._log.seek(0)
        text = self._log.read()
        self._log.seek(0, os.SEEK_END)
        return text

    # --- the AWS CLI ---

    @property
    def credentials_file(self):
        return self.base / "aws-credentials"

    @property
    def config_file(self):
        return self.base / "aws-config"

    def add_profile(self, name, access_key_id, secret_access_key, session_token=None):
        """Adds (or replaces) a CLI profile with these credentials and the server's region."""
        self._profiles[name] = (access_key_id, secret_access_key, session_token)
        credentials = configparser.ConfigParser()
        config = configparser.ConfigParser()
        for profile, (key_id, secret, token) in self._profiles.items():
            credentials[profile] = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}
            if token:
                credentials[profile]["aws_session_token"] = token
            config[f"profile {profile}"] = {"region": self.region, "output": "json"}
        with open(self.credentials_file, "w") as f:
            credentials.write(f)
        with open(self.config_file, "w") as f:
            config.write(f)

    def aws_env(self, profile=ADMIN_PROFILE):
        """An environment for the AWS CLI: nothing from the caller's AWS setup, `profile` chosen."""
        return {"PATH": os.environ["PATH"], "HOME": str(self.base / "home"), "LANG": "C.UTF-8",
                "LC_ALL": "C.UTF-8", "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_file), "AWS_CONFIG_FILE": str(self.config_file),
                "AWS_PROFILE": profile}

    def aws(self, *args, profile=ADMIN_PROFILE, cli=None, check=True):
        """Runs `aws --endpoint-url URL ARGS...`; raises AwsCliError on failure when `check`."""
        cmd = [cli or self.cli, "--endpoint-url", self.endpoint, *map(str, args)]
        result = env.run(cmd, check=False, env=self.aws_env(profile))
        if check and result.returncode != 0:
            raise AwsCliError(cmd, result)
        return result

    def aws_json(self, *args, **kwargs):
        """The parsed JSON output of a successful call ({} when it prints nothing)."""
        out = self.aws(*args, "--output", "json", **kwargs).stdout.strip()
        return json.loads(out) if out else {}

    def aws_error(self, *args, **kwargs):
        """Runs a call that must fail; returns the AWS error code it printed."""
        result = self.aws(*args, check=False, **kwargs)
        if result.returncode == 0:
            raise AssertionError(f"aws {' '.join(map(str, args))} succeeded:\n{result.stdout}")
        return aws_error_code(result.stderr)

    # --- boto3 ---

    def client(self, service, credentials=None):
        """A boto3 client for `service` against the server; admin credentials unless given
        (access key id, secret[, session token])."""
        import boto3  # Debian's, for /usr/bin/python3
        key_id, secret, *token = credentials or self.admin
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=key_id, aws_secret_access_key=secret,
                            aws_session_token=token[0] if token else None)


def _apply_settings(path, settings):
    """Sets `section.key` values in the TOML file iamdb init wrote (one `key = value` per line
    under `[section]`)."""
    if not settings:
        return
    lines = path.read_text().splitlines()
    for dotted, value in settings.items():
        section, key = dotted.split(".", 1) if "." in dotted else ("", dotted)
        literal = json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        current = ""
        for i, line in enumerate(lines):
            if line.startswith("["):
                current = line.strip("[] ")
            elif current == section and line.split("=")[0].strip() == key:
                lines[i] = f"{key} = {literal}"
                break
        else:
            raise AssertionError(f"no setting {dotted} in {path}")
    path.write_text("\n".join(lines) + "\n")


def _read_admin_key(path):
    parser = configparser.ConfigParser()
    parser.read(path)
    section = parser[ADMIN_PROFILE]
    return section["aws_access_key_id"], section["aws_secret_access_key"]
