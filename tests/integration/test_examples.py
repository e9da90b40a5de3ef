"""The application examples of docs/applications.md keep a connection pool working past a token's
15 minutes: examples/python/iam_pool.py (psycopg2 for PostgreSQL, PyMySQL for MariaDB, tokens
from boto3) and the C++ examples/cpp/iam_pool.cc (libpq, tokens from `iamdb
generate-db-auth-token`), against real PostgreSQL 15 with pam_iamdb.so and MariaDB 10.11 with
AWSAuthenticationPlugin checking tokens through a real iamdb daemon.

Time is faked, not waited for: the daemon, the example and every process it starts run under
libfaketime reading one offset file, which the test moves forward (+9, +12, +25 minutes). The
databases themselves keep the real clock; they only forward tokens to the daemon, whose clock
decides expiry. A control checks that the daemon really sees the moved clock: a token signed
at +0 is refused as expired at +25 minutes (15 minutes plus the 5 minutes of allowed skew).
"""
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.mariadb import MariaDB
from lib.postgres import PAM_DIR, PostgreSQL
from lib.tls import make_server_tls

PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
MARIADB_PLUGIN = env.BUILD_DIR / "plugins" / "mariadb" / "aws_authentication_plugin.so"
PYTHON_EXAMPLE = env.SOURCE_DIR / "examples" / "python" / "iam_pool.py"
CPP_EXAMPLE = env.BUILD_DIR / "examples" / "iamdb_example_pool"
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
HOST = "127.0.0.1"
REGION = "us-east-1"
DB_USER = "app"
ANSWER_TIMEOUT_S = 60
AUDIT_TIMEOUT_S = 15


class FakeClock:
    """libfaketime's offset file, shared by every process started with `environment()`."""

    def __init__(self, directory):
        self.path = Path(directory) / "faketime-offset"
        self.set("+0")

    def set(self, offset):
        self.path.write_text(offset + "\n")

    def environment(self):
        # The monotonic clock stays real, so that timeouts and timers are not disturbed.
        return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": str(self.path), "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


@pytest.fixture(scope="module")
def clock():
    with tempfile.TemporaryDirectory(prefix="iamdb-clock-") as directory:
        yield FakeClock(directory)


@pytest.fixture(scope="module")
def iamdb(clock):
    """The daemon on the fake clock, its verify socket where the `postgres` user can reach it, and
    an IAM user `app-service` allowed to connect as database user `app` anywhere."""
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres"}
    try:
        with IamdbServer(region=REGION, settings=settings, server_env=clock.environment()) as server:
            server.aws("iam", "create-user", "--user-name", "app-service")
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "rds-db:connect",
                "Resource": f"arn:aws:rds-db:{REGION}:{server.account_id}:dbuser:*/{DB_USER}"}]}
            server.aws("iam", "put-user-policy", "--user-name", "app-service", "--policy-name", "connect",
                       "--policy-document", json.dumps(policy))
            key = server.aws_json("iam", "create-access-key", "--user-name", "app-service")["AccessKey"]
            server.app_key = (key["AccessKeyId"], key["SecretAccessKey"])
            yield server
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    return make_server_tls(tmp_path_factory.mktemp("tls"))


def iamdb_cli(*args):
    return env.run([str(env.IAMDB_BIN), *map(str, args)])


def register(iamdb, instance, engine, port):
    iamdb.aws("rds", "create-db-instance", "--db-instance-identifier", instance, "--engine", engine,
              "--db-instance-class", "db.iamdb.external", "--enable-iam-database-authentication",
              "--tags", f"Key=iamdb:endpoint,Value={HOST}:{port}")


@pytest.fixture(scope="module")
def pg(iamdb, server_tls):
    assert PAM_MODULE.exists(), f"build the PAM module first: {PAM_MODULE}"
    service = f"iamdb-example-{os.getpid()}"
    with PostgreSQL(tls=server_tls) as server:
        try:
            server.set_hba(["host all all 127.0.0.1/32 scram-sha-256"])
            iamdb_cli("setup", "postgres", "--instance", "orders-pg", "--data-dir", iamdb.data_dir,
                      "--module", server.copy_into(PAM_MODULE), "--pam-service", service, "--apply", server.datadir,
                      "--apply-sql", "--host", server.socket_dir, "--port", server.port, "--user", "postgres")
            server.sql(f"CREATE USER {DB_USER}; GRANT rds_iam TO {DB_USER}")
            register(iamdb, "orders-pg", "postgres", server.port)
            server.engine = "postgres"
            server.instance = "orders-pg"
            server.logged_in_as = DB_USER
            yield server
        finally:
            (PAM_DIR / service).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def maria(iamdb, server_tls, tmp_path_factory):
    assert MARIADB_PLUGIN.exists(), f"build the MariaDB plugin first: {MARIADB_PLUGIN}"
    with MariaDB(tls=server_tls) as server:
        module = server.plugin_dir / "aws_authentication_plugin.so"
        shutil.copyfile(MARIADB_PLUGIN, module)
        iamdb_cli("setup", "mariadb", "--instance", "orders-maria", "--data-dir", iamdb.data_dir, "--module", module,
                  "--os-user", "root", "--apply", tmp_path_factory.mktemp("mariadb.conf.d"), "--apply-sql",
                  "--socket", server.socket, "--user", "root")
        server.sql(f"CREATE USER '{DB_USER}'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        register(iamdb, "orders-maria", "mariadb", server.port)
        server.engine = "mariadb"
        server.instance = "orders-maria"
        server.logged_in_as = f"{DB_USER}@%"
        yield server


def audit_connects(iamdb, instance):
    """The daemon's connect events for `instance`, from its JSON-lines audit log."""
    path = iamdb.data_dir / "audit.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [e for e in map(json.loads, filter(str.strip, lines))
            if e.get("kind") == "connect" and e.get("instance") == instance]


def wait_for_connects(iamdb, instance, count):
    deadline = time.monotonic() + AUDIT_TIMEOUT_S
    while True:
        events = audit_connects(iamdb, instance)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.05)  # poll interval while the audit thread writes


class Example:
    """One example program on the fake clock, as the application identity; `borrow(n)` sends a
    workload line and returns the JSON line it answers with."""

    def __init__(self, kind, db, iamdb, clock, workdir):
        key_id, secret = iamdb.app_key
        environment = {"PATH": os.environ["PATH"], "HOME": str(workdir), "LANG": "C.UTF-8", "TZ": "UTC",
                       "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": REGION,
                       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                       "AWS_EC2_METADATA_DISABLED": "true", **clock.environment()}
        common = ["--host", HOST, "--port", str(db.port), "--user", DB_USER, "--ssl-ca", str(db.tls.ca_cert),
                  "--max-connections", "8"]
        if kind == "python":
            argv = [env.SYSTEM_PYTHON, str(PYTHON_EXAMPLE), "--engine", db.engine, *common]
        else:
            assert CPP_EXAMPLE.exists(), f"build the C++ example first: {CPP_EXAMPLE}"
            argv = [str(CPP_EXAMPLE), "--iamdb", str(env.IAMDB_BIN), *common]
        self.stderr = open(Path(workdir) / "stderr", "w+")
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        text=True, env=environment)

    def errors(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def borrow(self, count):
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        readable, _, _ = select.select([self.process.stdout], [], [], ANSWER_TIMEOUT_S)
        line = self.process.stdout.readline() if readable else ""
        assert line, f"the example gave no answer to {count!r}:\n{self.errors()}"
        answer = json.loads(line)
        assert "error" not in answer, f"{answer['error']}\nstderr:\n{self.errors()}"
        return answer["connections"]

    def close(self):
        """Ends the workload (EOF) and returns the exit status."""
        self.process.stdin.close()
        try:
            return self.process.wait(timeout=ANSWER_TIMEOUT_S)
        finally:
            self.process.stdout.close()
            self.stderr.close()


def signed_at(connection):
    return datetime.strptime(connection["token_date"], "%Y%m%dT%H%M%SZ")


@pytest.fixture(params=[("python", "postgres"), ("python", "mariadb"), ("cpp", "postgres")],
                ids=["python-psycopg2", "python-pymysql", "cpp-libpq"])
def example_case(request):
    kind, engine = request.param
    return kind, request.getfixturevalue("pg" if engine == "postgres" else "maria")


def test_pool_refreshes_its_token_and_keeps_old_connections_past_15_minutes(example_case, iamdb, clock, tmp_path):
    kind, db = example_case
    clock.set("+0")
    before = len(audit_connects(iamdb, db.instance))
    example = Example(kind, db, iamdb, clock, tmp_path)
    try:
        # (clock offset, connections borrowed at once): each step needs one more than the last.
        steps = {}
        for offset, count in (("+0", 2), ("+9m", 3), ("+12m", 4), ("+25m", 5)):
            clock.set(offset)
            steps[offset] = example.borrow(count)
    finally:
        clock.set("+0")
        status = example.close()
    assert status == 0, example.errors()

    for offset, connections in steps.items():
        assert [c["user"] for c in connections] == [db.logged_in_as] * len(connections), (offset, connections)
    first = steps["+0"]
    assert [c["new"] for c in first] == [True, True]
    token_a = signed_at(first[0])
    assert signed_at(first[1]) == token_a

    known = {c["backend"] for c in first}

    def reused_and_fresh(offset):
        """A step reuses every connection opened before it and opens exactly one."""
        fresh = [c for c in steps[offset] if c["new"]]
        assert {c["backend"] for c in steps[offset] if not c["new"]} == known, (offset, steps)
        assert len(fresh) == 1, (offset, steps[offset])
        known.add(fresh[0]["backend"])
        return signed_at(fresh[0])

    # +9 minutes: the token is reused for a new login.
    assert reused_and_fresh("+9m") == token_a
    # +12 minutes: 3 minutes before the token would expire, the new login gets a new token.
    token_b = reused_and_fresh("+12m")
    assert timedelta(minutes=11) < token_b - token_a < timedelta(minutes=13), (token_a, token_b)
    # +25 minutes: sessions that logged in with the first token (expired 10 minutes ago, skew
    # included) still work, and the next login gets a third token.
    token_c = reused_and_fresh("+25m")
    assert timedelta(minutes=24) < token_c - token_a < timedelta(minutes=26), (token_a, token_c)

    # The daemon saw exactly the five logins, all allowed, as the IAM user.
    events = wait_for_connects(iamdb, db.instance, before + 5)[before:]
    assert [(e["outcome"], e["db_user"]) for e in events] == [("allowed", DB_USER)] * 5, events
    assert all(e["principal"].endswith(":user/app-service") for e in events), events


def test_the_daemon_runs_on_the_moved_clock(pg, iamdb, clock):
    """The control: without a refresh, a login at +25 minutes with the first token would fail."""
    clock.set("+0")
    key_id, secret = iamdb.app_key
    token = env.run([str(env.IAMDB_BIN), "generate-db-auth-token", "--hostname", HOST,
                     "--port", str(pg.port), "--username", DB_USER, "--region", REGION],
                    env={"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
                         "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}).stdout.strip()
    before = len(audit_connects(iamdb, pg.instance))
    assert pg.psql(DB_USER, token, sslmode="verify-full").returncode == 0
    clock.set("+25m")
    try:
        refused = pg.psql(DB_USER, token, sslmode="verify-full")
    finally:
        clock.set("+0")
    assert refused.returncode != 0 and f'PAM authentication failed for user "{DB_USER}"' in refused.stderr
    events = wait_for_connects(iamdb, pg.instance, before + 2)[before:]
    assert [(e["outcome"], e["reason"]) for e in events] == [("allowed", "allowed"), ("denied", "expired")], events
