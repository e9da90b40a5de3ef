"""The PostgreSQL gateway end to end: a real PostgreSQL 15 behind the real iamdb server's gateway.

One PostgreSQL and one iamdb server start for the module. `iamdb setup postgres` prepares the
database (pam_iamdb, role rds_iam); its pg_hba.conf then serves the three backend
authentication modes of IAM users side by side:

    hostssl all +rds_iam 127.0.0.1/32 pam pamservice=...   token: the gateway forwards the token
    local   all +rds_iam trust                              trust: the gateway's Unix socket path
    host    all all      127.0.0.1/32 scram-sha-256         password (and every password user)
    local   all all      scram-sha-256

Instance `pg-gw` is registered with `iamdb instance add --gateway-listen ...`; the tests switch
its backend mode with `iamdb instance modify`. Clients are psql, psycopg2 and a small raw
protocol client (for SQLSTATEs and malformed packets), with tokens from the AWS CLIs, boto3 and
`iamdb generate-db-auth-token` naming the gateway's address. The audit log is read to check
the precise reasons the clients are not told.
"""
import io
import json
import os
import re
import secrets
import select
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.postgres import BIN as PG_BIN, PAM_DIR, PostgreSQL
from lib.tls import make_server_tls

PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = "127.0.0.1"
INSTANCE = "pg-gw"
MONITOR_PASSWORD = "monitor-" + secrets.token_hex(8)
ALICE_BACKEND_PASSWORD = "alice-backend-" + secrets.token_hex(8)

AUDIT_TIMEOUT_S = 15
WAIT_S = 15


# ---------------------------------------------------------------------------------- helpers


class Audit:
    """The server's audit log (JSON lines), read from a mark on."""

    def __init__(self, path):
        self.path = Path(path)
        self.position = 0

    def _events(self):
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def mark(self):
        """Marks the end of the log once earlier activity has landed: the audit thread writes
        events up to 100 ms after they happen, so the log must stay unchanged for longer than
        that, or an earlier test's event would count as one of ours."""
        deadline = time.monotonic() + AUDIT_TIMEOUT_S
        count = len(self._events())
        while time.monotonic() < deadline:
            time.sleep(0.15)  # longer than the audit thread's write interval
            settled, count = count, len(self._events())
            if count == settled:
                break
        self.position = count

    def since_mark(self):
        return self._events()[self.position:]

    def wait_for(self, predicate, what):
        """The first event after the mark that satisfies `predicate` (polls while the audit thread
        writes)."""
        deadline = time.monotonic() + AUDIT_TIMEOUT_S
        while time.monotonic() < deadline:
            for event in self._events()[self.position:]:
                if predicate(event):
                    return event
            time.sleep(0.05)  # poll interval while the event is being written
        raise AssertionError(f"no {what} event in {self.path} after the mark:\n" +
                             "\n".join(json.dumps(e) for e in self._events()[self.position:]))

    def gateway_connect(self):
        return self.wait_for(lambda e: e["kind"] == "connect" and e.get("via") == "gateway", "gateway connect")

    def session_end(self, reason=None):
        return self.wait_for(lambda e: e["kind"] == "session_end" and (reason is None or e["reason"] == reason),
                             f"session_end {reason or ''}")


def wait_until(condition, what, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)  # poll interval
    raise AssertionError(f"timed out waiting for {what}")


class RawClient:
    """The PostgreSQL protocol spoken by hand, to see exact SQLSTATEs and to send what no
    library sends."""

    def __init__(self, port, timeout=20, source=None):
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)

    def close(self):
        self.sock.close()

    def start_tls(self, ca_file):
        self.sock.sendall(struct.pack("!II", 8, 80877103))
        assert self.recv_exact(1) == b"S"
        context = ssl.create_default_context(cafile=str(ca_file))
        self.sock = context.wrap_socket(self.sock, server_hostname=HOST)

    def startup(self, user, database="postgres", **extra):
        params = {"user": user, "database": database, **extra}
        body = struct.pack("!I", 196608) + b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                                                    for k, v in params.items()) + b"\0"
        self.sock.sendall(struct.pack("!I", len(body) + 4) + body)

    def password(self, secret):
        body = secret.encode() + b"\0"
        self.sock.sendall(b"p" + struct.pack("!I", len(body) + 4) + body)

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError(f"connection closed after {len(data)} of {n} bytes")
            data += chunk
        return data

    def message(self):
        kind = self.recv_exact(1)
        (length,) = struct.unpack("!I", self.recv_exact(4))
        return kind, self.recv_exact(length - 4)

    def error(self):
        """Reads up to the ErrorResponse; returns its fields {code letter: text}."""
        while True:
            kind, body = self.message()
            if kind == b"E":
                return error_fields(body)

    def query(self, sql):
        """A simple query; returns its rows' first columns as text (raises on an ErrorResponse)."""
        body = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!I", len(body) + 4) + body)
        rows = []
        while True:
            kind, body = self.message()
            if kind == b"D":
                (length,) = struct.unpack("!i", body[2:6])
                rows.append(body[6:6 + length].decode())
            elif kind == b"E":
                raise AssertionError(f"query refused: {error_fields(body)}")
            elif kind == b"Z":
                return rows

    def closed_by_server(self):
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            return True


def raw_login(port, user, token, ca, source=None):
    """A RawClient logged in over TLS with `token` and ready for queries."""
    raw = RawClient(port, source=source)
    raw.start_tls(ca)
    raw.startup(user)
    raw.message()
    raw.password(token)
    while True:
        kind, body = raw.message()
        if kind == b"E":
            raise AssertionError(f"log-in refused: {error_fields(body)}")
        if kind == b"Z":
            return raw


def error_fields(body):
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def iamdb():
    """The server, with its verify socket where PostgreSQL's pam_iamdb can reach it, and access
    keys made Inactive ending their gateway sessions."""
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres",
                "gateway.end_sessions_on_key_revocation": True,
                # The refusal tests fail often from 127.0.0.1; the throttle has its own test.
                "gateway.auth_failures": 1000,
                "gateway.startup_timeout_seconds": 3}
    try:
        with IamdbServer(account_id=ACCOUNT, region=REGION, settings=settings) as server:
            server.audit = Audit(server.data_dir / "audit.log")
            server.ca = server.data_dir / "tls" / "ca.pem"
            yield server
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


class Identity:
    """An IAM access key, as a CLI profile and as environment variables."""

    def __init__(self, iamdb, profile, key_id, secret):
        self.iamdb = iamdb
        self.profile = profile
        self.key_id = key_id
        self.secret = secret
        iamdb.add_profile(profile, key_id, secret)

    def environment(self):
        return {"PATH": os.environ["PATH"], "HOME": str(self.iamdb.base / "home"), "LANG": "C.UTF-8",
                "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret,
                "AWS_EC2_METADATA_DISABLED": "true", "TZ": "UTC"}


def connect_policy():
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "rds-db:connect", "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/*"},
        {"Effect": "Deny", "Action": "rds-db:connect",
         "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/mallory"}]}


def new_identity(iamdb, user, profile):
    key = iamdb.aws_json("iam", "create-access-key", "--user-name", user)["AccessKey"]
    return Identity(iamdb, profile, key["AccessKeyId"], key["SecretAccessKey"])


def quick_identity(iamdb, user, create_user=True):
    """A new access key of `user` (created with the connect policy unless it exists), through
    boto3: no CLI process per call."""
    iam = iamdb.client("iam")
    if create_user:
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="connect", PolicyDocument=json.dumps(connect_policy()))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return Identity(iamdb, f"{user}-{key['AccessKeyId'][-4:]}", key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def alice(iamdb):
    """IAM user alice may connect as any database user but mallory."""
    iamdb.aws("iam", "create-user", "--user-name", "alice")
    iamdb.aws("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "connect",
              "--policy-document", json.dumps(connect_policy()))
    return new_identity(iamdb, "alice", "alice")


@pytest.fixture(scope="module")
def pam_service():
    name = f"iamdb-test-{secrets.token_hex(6)}"
    yield name
    (PAM_DIR / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def pg(iamdb, pam_service, tmp_path_factory):
    assert PAM_MODULE.exists(), f"build the PAM module first: {PAM_MODULE}"
    server_tls = make_server_tls(tmp_path_factory.mktemp("pg-tls"))
    with PostgreSQL(tls=server_tls) as server:
        module = server.copy_into(PAM_MODULE)
        env.run([str(a) for a in (env.IAMDB_BIN, "setup", "postgres", "--instance", INSTANCE, "--data-dir",
                                   iamdb.data_dir, "--module", module, "--pam-service", pam_service, "--apply",
                                   server.datadir, "--apply-sql", "--host", server.socket_dir, "--port", server.port,
                                   "--user", "postgres")])
        server.set_hba([f"hostssl all +rds_iam 127.0.0.1/32 pam pamservice={pam_service}",
                        "local   all +rds_iam trust",
                        "host    all all 127.0.0.1/32 scram-sha-256",
                        "local   all all scram-sha-256"])
        server.sql(f"CREATE USER iamdb_monitor PASSWORD '{MONITOR_PASSWORD}'")
        server.sql(f"CREATE USER alice PASSWORD '{ALICE_BACKEND_PASSWORD}'")
        server.sql("CREATE USER mallory")
        server.sql("CREATE USER carol")
        server.sql("GRANT rds_iam TO alice, mallory, carol")
        server.sql("CREATE USER bob PASSWORD 'bob-secret'")
        server.unix_socket = server.socket_dir / f".s.PGSQL.{server.port}"
        yield server


def iamdb_cli(iamdb, *args, check=True):
    return env.run([str(env.IAMDB_BIN), *map(str, args), "--data-dir", iamdb.data_dir], check=check)


@pytest.fixture(scope="module")
def gateway(iamdb, pg):
    """Instance pg-gw behind the gateway, backend mode token (TLS to the backend)."""
    for attempt in range(3):
        port = env.free_port()
        iamdb_cli(iamdb, "instance", "add", "--id", INSTANCE, "--engine", "postgres", "--endpoint", f"{HOST}:{port}",
                  "--enable-iam", "--gateway-listen", f"{HOST}:{port}", "--backend", f"{HOST}:{pg.port}",
                  "--backend-auth", "token", "--backend-tls", "require",
                  "--backend-password", f"iamdb_monitor={MONITOR_PASSWORD}")
        if wait_listening(iamdb, port):
            return port
        iamdb_cli(iamdb, "instance", "remove", "--id", INSTANCE)
    raise AssertionError(f"the gateway never listened:\n{iamdb.log()}")


def wait_listening(iamdb, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)  # poll interval while the listener starts
        if "cannot listen" in iamdb.log():
            return False
    return False


def modify_gateway(iamdb, *args):
    """`iamdb instance modify` with gateway flags; waits until the new settings are in use."""
    before = iamdb.log().count("new settings in use")
    out = iamdb_cli(iamdb, "instance", "modify", "--id", INSTANCE, *args).stdout
    wait_until(lambda: iamdb.log().count("new settings in use") > before, "the new gateway settings")
    return out


def set_backend(iamdb, pg, mode):
    """Switches the instance's backend authentication; sessions started after it use it."""
    args = {"token": ["--backend", f"{HOST}:{pg.port}", "--backend-tls", "require"],
            "trust": ["--backend", pg.unix_socket, "--backend-tls", "disable"],
            "password": ["--backend", f"{HOST}:{pg.port}", "--backend-tls", "disable",
                         "--backend-password", f"alice={ALICE_BACKEND_PASSWORD}"]}[mode]
    out = iamdb_cli(iamdb, "instance", "modify", "--id", INSTANCE, "--backend-auth", mode, *args).stdout
    assert f"backend-auth={mode}" in out, out
    wait_until(lambda: f"new settings in use (backend {args[1]}, {mode})" in iamdb.log(), f"backend mode {mode}")


# ---------------------------------------------------------------------------------- clients


def token_from_aws_cli(cli, identity, port, user):
    return identity.iamdb.aws("rds", "generate-db-auth-token", "--hostname", HOST, "--port", port, "--region",
                              REGION, "--username", user, profile=identity.profile, cli=cli).stdout.strip()


def token_from_boto3(identity, port, user):
    import boto3  # Debian's, for /usr/bin/python3
    rds = boto3.client("rds", region_name=REGION, aws_access_key_id=identity.key_id,
                       aws_secret_access_key=identity.secret)
    return rds.generate_db_auth_token(DBHostname=HOST, Port=port, DBUsername=user)


def token_from_iamdb(identity, port, user, at=None):
    cmd = [str(env.IAMDB_BIN), "generate-db-auth-token", "--hostname", HOST, "--port", str(port), "--region",
           REGION, "--username", user]
    if at is not None:
        cmd = ["faketime", "-f", at.strftime("%Y-%m-%d %H:%M:%S")] + cmd
    return env.run(cmd, env=identity.environment()).stdout.strip()


def psql(port, user, password, ca, sql="SELECT current_user", sslmode="verify-full"):
    conninfo = (f"host={HOST} port={port} user={user} dbname=postgres sslmode={sslmode} sslrootcert={ca} "
                f"connect_timeout=20")
    return env.run(["/usr/bin/psql", "-X", "-A", "-t", conninfo, "-c", sql], check=False,
                   env=dict(os.environ, PGPASSWORD=password), timeout=60)


def connect(port, user, password, ca, **kwargs):
    import psycopg2  # Debian's, for /usr/bin/python3
    return psycopg2.connect(host=HOST, port=port, user=user, password=password, dbname="postgres",
                            sslmode="verify-full", sslrootcert=str(ca), connect_timeout=20, **kwargs)


def query(conn, sql, *args):
    with conn.cursor() as cursor:
        cursor.execute(sql, args or None)
        return cursor.fetchall() if cursor.description else None


def one(conn, sql, *args):
    return query(conn, sql, *args)[0][0]


# ---------------------------------------------------------------------------------- log-ins


def test_tokens_from_every_signer_let_psql_and_psycopg2_in(iamdb, alice, gateway):
    sources = [(f"aws CLI {cli}", lambda user, cli=cli: token_from_aws_cli(cli, alice, gateway, user))
               for cli in env.aws_clis()]
    sources.append(("boto3", lambda user: token_from_boto3(alice, gateway, user)))
    sources.append(("iamdb", lambda user: token_from_iamdb(alice, gateway, user)))
    for source, make_token in sources:
        token = make_token("alice")
        iamdb.audit.mark()
        result = psql(gateway, "alice", token, iamdb.ca)
        assert result.returncode == 0, f"{source}, psql: {result.stderr}"
        assert result.stdout.strip() == "alice"
        event = iamdb.audit.gateway_connect()
        assert (event["outcome"], event["reason"], event["db_user"], event["instance"], event["source"]) == \
            ("allowed", "allowed", "alice", INSTANCE, HOST), event
        assert event["principal"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
        start = iamdb.audit.wait_for(lambda e: e["kind"] == "session_start", "session_start")
        assert (start["db_user"], start["reason"], start["access_key_id"]) == ("alice", "iam", alice.key_id), start
        with connect(gateway, "alice", token, iamdb.ca) as conn:
            assert one(conn, "SELECT current_user") == "alice", source
            assert one(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
        conn.close()


def test_without_tls_the_client_gets_28000_before_any_password_is_asked(iamdb, alice, gateway):
    raw = RawClient(gateway)
    try:
        raw.startup("alice")
        fields = raw.error()
        assert (fields["S"], fields["C"]) == ("FATAL", "28000"), fields
        assert "accepts only TLS connections" in fields["M"], fields
        assert raw.closed_by_server()
    finally:
        raw.close()
    result = psql(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca, sslmode="disable")
    assert result.returncode != 0
    assert "accepts only TLS connections" in result.stderr, result.stderr


def test_gssencrequest_is_answered_n_and_the_client_goes_on_with_tls(iamdb, alice, gateway):
    iamdb.audit.mark()
    raw = RawClient(gateway)
    try:
        raw.sock.sendall(struct.pack("!II", 8, 80877104))  # GSSENCRequest
        assert raw.recv_exact(1) == b"N"
        raw.start_tls(iamdb.ca)
        raw.startup("alice")
        kind, body = raw.message()
        assert (kind, struct.unpack("!I", body)[0]) == (b"R", 3)  # AuthenticationCleartextPassword
        raw.password(token_from_iamdb(alice, gateway, "alice"))
        while raw.message()[0] != b"Z":
            pass
        assert raw.query("SELECT current_user") == ["alice"]
    finally:
        raw.close()
    # libpq's gssencmode=prefer (its default where it has GSSAPI) falls back the same way.
    result = psql(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    assert result.returncode == 0 and result.stdout.strip() == "alice", result.stderr
    # Both sessions' audit events are written before the next test marks the log.
    def written(kind, reasons):
        return sum(e["kind"] == kind and e.get("via") == "gateway" and e["reason"] in reasons
                   for e in iamdb.audit.since_mark())
    wait_until(lambda: written("connect", ["allowed"]) >= 2 and
               written("session_end", ["client_terminated", "client_closed"]) >= 2,
               "the two sessions' events in the audit log")


REFUSALS = [
    # (case, database user, token, reason in the audit log)
    ("expired token", "alice",
     lambda who, port: token_from_iamdb(who, port, "alice", at=datetime.now(timezone.utc) - timedelta(minutes=30)),
     "expired"),
    ("token for another user", "alice", lambda who, port: token_from_iamdb(who, port, "mallory"), "user_mismatch"),
    ("token for another endpoint", "alice", lambda who, port: token_from_iamdb(who, port + 1, "alice"),
     "endpoint_mismatch"),
    ("tampered signature", "alice",
     lambda who, port: token_from_iamdb(who, port, "alice")[:-1] + "0"
     if not token_from_iamdb(who, port, "alice").endswith("0") else token_from_iamdb(who, port, "alice")[:-1] + "1",
     "signature_mismatch"),
    ("a policy that denies", "mallory", lambda who, port: token_from_iamdb(who, port, "mallory"),
     "policy_explicit_deny"),
    ("its backend password instead of a token", "alice", lambda who, port: ALICE_BACKEND_PASSWORD,
     "malformed_token"),
]


@pytest.mark.parametrize("case,user,make_token,reason", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_generic_for_the_client_and_precise_in_the_audit_log(iamdb, alice, gateway, case, user,
                                                                          make_token, reason):
    token = make_token(alice, gateway)
    iamdb.audit.mark()
    result = psql(gateway, user, token, iamdb.ca)
    assert result.returncode != 0, result.stdout
    assert f'IAM authentication failed for user "{user}"' in result.stderr, result.stderr
    event = iamdb.audit.gateway_connect()
    assert (event["outcome"], event["reason"], event["db_user"], event["instance"]) == \
        ("denied", reason, user, INSTANCE), event
    assert f"request id {event['request_id']}" in result.stderr
    assert token not in json.dumps(event)
    # The raw protocol shows the SQLSTATE.
    iamdb.audit.mark()
    raw = RawClient(gateway)
    try:
        raw.start_tls(iamdb.ca)
        raw.startup(user)
        kind, body = raw.message()
        assert (kind, struct.unpack("!I", body)[0]) == (b"R", 3)  # AuthenticationCleartextPassword
        raw.password(token)
        fields = raw.error()
        assert (fields["S"], fields["C"]) == ("FATAL", "28000"), fields
    finally:
        raw.close()
    assert iamdb.audit.gateway_connect()["reason"] == reason


def test_a_password_user_logs_in_with_scram_through_the_same_endpoint(iamdb, gateway):
    result = psql(gateway, "bob", "bob-secret", iamdb.ca)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bob"
    with connect(gateway, "bob", "bob-secret", iamdb.ca) as conn:
        assert one(conn, "SELECT current_user") == "bob"
    conn.close()
    wrong = psql(gateway, "bob", "not-bobs", iamdb.ca)
    assert wrong.returncode != 0
    assert 'password authentication failed for user "bob"' in wrong.stderr, wrong.stderr


def test_an_iam_user_can_never_log_in_with_a_password(iamdb, gateway, pg):
    # alice has a real password on the backend; the gateway still asks her for a token.
    assert pg.psql("alice", ALICE_BACKEND_PASSWORD, sslmode="disable").returncode == 0
    iamdb.audit.mark()
    result = psql(gateway, "alice", ALICE_BACKEND_PASSWORD, iamdb.ca)
    assert result.returncode != 0
    assert 'IAM authentication failed for user "alice"' in result.stderr, result.stderr
    assert iamdb.audit.gateway_connect()["reason"] == "malformed_token"


def test_a_user_granted_rds_iam_must_use_a_token_at_the_next_log_in(iamdb, alice, gateway, pg):
    pg.sql("CREATE USER dave PASSWORD 'dave-secret'")
    try:
        assert psql(gateway, "dave", "dave-secret", iamdb.ca).returncode == 0
        pg.sql("GRANT rds_iam TO dave")
        # A user missing from the list is looked up again at most once a second.
        refused = wait_until(lambda: (lambda r: r if r.returncode != 0 else None)(
            psql(gateway, "dave", "dave-secret", iamdb.ca)), "dave asked for a token", timeout=5)
        assert 'IAM authentication failed for user "dave"' in refused.stderr, \
            refused.stderr
        ok = psql(gateway, "dave", token_from_iamdb(alice, gateway, "dave"), iamdb.ca)
        assert ok.returncode == 0 and ok.stdout.strip() == "dave", ok.stderr
    finally:
        pg.sql("DROP USER dave")


# ---------------------------------------------------------------------------------- pooling


def backend_pid_and_leave_state(conn):
    """Leaves every kind of session state on the backend; returns its pid."""
    query(conn, "SET work_mem = '7777kB'")
    query(conn, "SET application_name = 'first client'")
    query(conn, "CREATE TEMP TABLE leftover (x int)")
    query(conn, "PREPARE leftover_statement AS SELECT 1")
    query(conn, "SELECT pg_advisory_lock(4242)")
    query(conn, "LISTEN leftover_channel")
    return one(conn, "SELECT pg_backend_pid()")


def test_the_next_client_reuses_the_backend_and_sees_none_of_the_first_clients_state(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    first = connect(gateway, "alice", token, iamdb.ca)
    first.autocommit = True
    pid = backend_pid_and_leave_state(first)
    first_key = first.get_backend_pid()
    first.close()
    time.sleep(0.2)  # the gateway resets the backend after the client left
    second = connect(gateway, "alice", token, iamdb.ca)
    try:
        assert one(second, "SELECT pg_backend_pid()") == pid, "the backend was not reused"
        assert second.get_backend_pid() != first_key, "each client gets its own BackendKeyData"
        assert second.get_backend_pid() != pid, "the client's key is the gateway's, not the backend's"
        assert one(second, "SHOW work_mem") != "7777kB"
        assert one(second, "SHOW application_name") != "first client"
        assert one(second, "SELECT count(*) FROM pg_class WHERE relname = 'leftover' AND relpersistence = 't'") == 0
        assert one(second, "SELECT count(*) FROM pg_prepared_statements") == 0
        assert one(second, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()") == 0
        assert query(second, "SELECT pg_listening_channels()") == []
    finally:
        second.close()


def test_a_session_left_in_a_transaction_is_closed_not_pooled(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    first = connect(gateway, "alice", token, iamdb.ca)
    query(first, "SELECT 1")  # psycopg2 opened a transaction; it is still open when we close
    pid = one(first, "SELECT pg_backend_pid()")
    first.close()
    time.sleep(0.2)  # the gateway closes that backend
    second = connect(gateway, "alice", token, iamdb.ca)
    try:
        assert one(second, "SELECT pg_backend_pid()") != pid
    finally:
        second.close()


def test_psycopg2_cancel_interrupts_pg_sleep_through_the_gateway(iamdb, alice, gateway):
    import psycopg2
    import psycopg2.errors
    conn = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    try:
        conn.autocommit = True
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg2.errors.QueryCanceled):
            query(conn, "SELECT pg_sleep(30)")
        timer.join()
        assert time.monotonic() - started < 10
        assert one(conn, "SELECT 42") == 42  # the session goes on
    finally:
        conn.close()


def test_a_stale_or_wrong_cancel_key_cancels_nothing(iamdb, alice, gateway):
    import psycopg2
    victim = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    victim.autocommit = True
    other = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    stale_pid = other.get_backend_pid()
    other.close()
    try:
        result = {}

        def sleep():
            result["value"] = one(victim, "SELECT 7 FROM pg_sleep(1.5)")
        worker = threading.Thread(target=sleep)
        worker.start()
        time.sleep(0.3)  # let the query start
        for pid, secret in ((stale_pid, 0), (victim.get_backend_pid(), 12345)):
            s = socket.create_connection((HOST, gateway), timeout=5)
            s.sendall(struct.pack("!IIII", 16, 80877102, pid & 0xffffffff, secret))
            assert s.recv(1) == b""  # the gateway closes it, as the postmaster does
            s.close()
        worker.join()
        assert result["value"] == 7
    finally:
        victim.close()
    del psycopg2


# ---------------------------------------------------------------------------------- sessions


def sessions_list(iamdb):
    return iamdb_cli(iamdb, "sessions", "list", "--instance", INSTANCE).stdout


def test_sessions_list_and_kill(iamdb, alice, gateway):
    import psycopg2
    conn = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    conn.autocommit = True
    bob = connect(gateway, "bob", "bob-secret", iamdb.ca)
    raw = raw_login(gateway, "carol", token_from_iamdb(alice, gateway, "carol"), iamdb.ca)
    try:
        query(conn, "SELECT repeat('x', 10000)")
        listing = sessions_list(iamdb)
        line = next(l for l in listing.splitlines() if " alice@postgres " in l)
        session_id = line.split()[0]
        assert f"from {HOST}" in line and alice.key_id in line and f"user/alice" in line, line
        assert int(re.search(r"out=(\d+)", line).group(1)) > 10000, line
        assert any(" bob@postgres " in l and "password" in l for l in listing.splitlines()), listing
        iamdb.audit.mark()
        killed = iamdb_cli(iamdb, "sessions", "kill", session_id).stdout
        assert "ended 1 session(s)" in killed, killed
        # libpq reports the closed connection (as after pg_terminate_backend on PostgreSQL itself).
        with pytest.raises(psycopg2.OperationalError):
            query(conn, "SELECT 1")
        end = iamdb.audit.session_end("killed")
        assert (end["db_user"], end["access_key_id"]) == ("alice", alice.key_id), end
        assert session_id not in sessions_list(iamdb)
        assert one(bob, "SELECT current_user") == "bob"  # others go on
        # The client is told why, with SQLSTATE 57P01.
        carol = next(l for l in sessions_list(iamdb).splitlines() if " carol@postgres " in l).split()[0]
        assert "ended 1 session(s)" in iamdb_cli(iamdb, "sessions", "kill", carol).stdout
        fields = raw.error()
        assert (fields["S"], fields["C"], fields["M"]) == \
            ("FATAL", "57P01", "terminating connection due to administrator command"), fields
        assert "iamdb sessions kill" in fields["D"]
        assert raw.closed_by_server()
    finally:
        conn.close()
        bob.close()
        raw.close()


def test_making_an_access_key_inactive_ends_its_sessions_at_once(iamdb, gateway):
    iamdb.aws("iam", "create-user", "--user-name", "erin")
    iamdb.aws("iam", "put-user-policy", "--user-name", "erin", "--policy-name", "connect",
              "--policy-document", json.dumps(connect_policy()))
    erin = new_identity(iamdb, "erin", "erin")
    raw = raw_login(gateway, "carol", token_from_iamdb(erin, gateway, "carol"), iamdb.ca)
    try:
        iamdb.audit.mark()
        iamdb.aws("iam", "update-access-key", "--user-name", "erin", "--access-key-id", erin.key_id,
                  "--status", "Inactive")
        fields = raw.error()
        assert (fields["C"], fields["D"]) == ("57P01", "The access key of this session was deactivated or deleted."), \
            fields
        end = iamdb.audit.session_end("access_key_revoked")
        assert (end["access_key_id"], end["db_user"]) == (erin.key_id, "carol"), end
    finally:
        raw.close()


def assert_stopped(raw, case):
    fields = raw.error()
    assert (fields["C"], fields["M"]) == ("57P01", "terminating connection due to administrator command"), \
        (case, fields)
    assert raw.closed_by_server(), case


def test_sessions_kill_by_access_key_and_by_principal_ends_exactly_those(iamdb, alice, gateway):
    frank = quick_identity(iamdb, "frank")
    alice2 = quick_identity(iamdb, "alice", create_user=False)
    alice_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"
    sessions = {
        "alice, first key": raw_login(gateway, "carol", token_from_iamdb(alice, gateway, "carol"), iamdb.ca),
        "alice, second key": raw_login(gateway, "carol", token_from_iamdb(alice2, gateway, "carol"), iamdb.ca),
        "frank": raw_login(gateway, "carol", token_from_iamdb(frank, gateway, "carol"), iamdb.ca),
    }
    bob = connect(gateway, "bob", "bob-secret", iamdb.ca)
    bob.autocommit = True

    def still_serving(names):
        for name in names:
            assert sessions[name].query("SELECT current_user") == ["carol"], name
        assert one(bob, "SELECT current_user") == "bob"

    try:
        still_serving(sessions)
        iamdb.audit.mark()
        out = iamdb_cli(iamdb, "sessions", "kill", "--access-key", alice2.key_id).stdout
        assert "ended 1 session(s)" in out and alice2.key_id in out and alice.key_id not in out, out
        assert_stopped(sessions["alice, second key"], "by access key")
        end = iamdb.audit.session_end("killed")
        assert end["access_key_id"] == alice2.key_id, end
        still_serving(["alice, first key", "frank"])

        out = iamdb_cli(iamdb, "sessions", "kill", "--principal", alice_arn).stdout
        assert "ended 1 session(s)" in out and alice.key_id in out, out
        assert_stopped(sessions["alice, first key"], "by principal")
        still_serving(["frank"])
        listing = sessions_list(iamdb)
        assert alice_arn not in listing and frank.key_id in listing, listing
        # Nothing left to match: nothing ends.
        out = iamdb_cli(iamdb, "sessions", "kill", "--principal", alice_arn).stdout
        assert "ended 0 session(s)" in out, out
        still_serving(["frank"])
    finally:
        for raw in sessions.values():
            raw.close()
        bob.close()
        iamdb.client("iam").delete_access_key(UserName="alice", AccessKeyId=alice2.key_id)


def test_sessions_list_and_kill_need_their_permissions(iamdb, alice, gateway):
    grace = quick_identity(iamdb, "grace")
    raw = raw_login(gateway, "carol", token_from_iamdb(alice, gateway, "carol"), iamdb.ca)
    try:
        session_id = next(l for l in sessions_list(iamdb).splitlines() if " carol@postgres " in l).split()[0]
        api = ["--endpoint-url", iamdb.endpoint, "--ca-bundle", iamdb.ca]
        cases = [("list", ["sessions", "list"]),
                 ("kill by id", ["sessions", "kill", session_id]),
                 ("kill by principal", ["sessions", "kill", "--principal", f"arn:aws:iam::{ACCOUNT}:user/alice"]),
                 ("kill by access key", ["sessions", "kill", "--access-key", alice.key_id])]
        for case, args in cases:
            result = env.run([str(env.IAMDB_BIN), *args, *map(str, api)], check=False, env=grace.environment())
            assert result.returncode != 0, (case, result.stdout)
            assert "AccessDenied" in result.stderr and "rds:" in result.stderr, (case, result.stderr)
            assert session_id not in result.stdout, case
        assert raw.query("SELECT current_user") == ["carol"]  # nothing ended
        assert session_id in sessions_list(iamdb)
    finally:
        raw.close()


# ---------------------------------------------------------------------------------- protection


def test_malformed_and_oversized_packets_are_refused_without_disturbing_others(iamdb, alice, gateway):
    conn = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    conn.autocommit = True
    try:
        cases = [
            ("oversized startup packet", struct.pack("!II", 1_000_000, 196608)),
            ("startup length below 8", struct.pack("!I", 4)),
            ("unknown protocol version", struct.pack("!II", 8, 0x00090000)),
            ("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ]
        for case, data in cases:
            s = socket.create_connection((HOST, gateway), timeout=10)
            s.sendall(data)
            kind = s.recv(1)
            assert kind in (b"E", b""), case
            if kind == b"E":
                (length,) = struct.unpack("!I", s.recv(4))
                body = b""
                while len(body) < length - 4:
                    body += s.recv(length - 4 - len(body))
                assert error_fields(body)["C"] == "08P01", (case, error_fields(body))
            s.close()
            assert one(conn, "SELECT current_user") == "alice", case
        # An oversized password message after TLS.
        raw = RawClient(gateway)
        try:
            raw.start_tls(iamdb.ca)
            raw.startup("alice")
            raw.message()
            raw.sock.sendall(b"p" + struct.pack("!I", 100_000) + b"x" * 1000)
            assert raw.error()["C"] == "08P01"
        finally:
            raw.close()
        assert one(conn, "SELECT 1") == 1
    finally:
        conn.close()


# ---------------------------------------------------------------------------------- backend modes


@pytest.mark.parametrize("mode", ["trust", "password", "token"])
def test_each_backend_authentication_mode_logs_iam_users_in(iamdb, alice, gateway, pg, mode):
    set_backend(iamdb, pg, mode)
    token = token_from_iamdb(alice, gateway, "alice")
    with connect(gateway, "alice", token, iamdb.ca) as conn:
        assert one(conn, "SELECT current_user") == "alice"
        ssl_on, socket_kind = query(conn, "SELECT s.ssl, a.client_addr IS NULL FROM pg_stat_ssl s "
                                          "JOIN pg_stat_activity a USING (pid) WHERE pid = pg_backend_pid()")[0]
    conn.close()
    assert (ssl_on, socket_kind) == {"token": (True, False), "trust": (False, True),
                                     "password": (False, False)}[mode]
    # Password users keep working in every mode.
    assert psql(gateway, "bob", "bob-secret", iamdb.ca).stdout.strip() == "bob"



# ---------------------------------------------------------------------------------- relaying


def test_copy_notify_errors_large_rows_and_the_extended_protocol_are_relayed(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    conn = connect(gateway, "alice", token, iamdb.ca)
    listener = connect(gateway, "alice", token, iamdb.ca)
    conn.autocommit = listener.autocommit = True
    try:
        query(conn, "CREATE TEMP TABLE t (n int, s text)")
        with conn.cursor() as cursor:
            cursor.copy_expert("COPY t FROM STDIN", io.StringIO("".join(f"{i}\tx{i}\n" for i in range(5000))))
            out = io.StringIO()
            cursor.copy_expert("COPY t TO STDOUT", out)
        assert one(conn, "SELECT count(*) FROM t") == 5000
        assert len(out.getvalue().splitlines()) == 5000
        assert len(one(conn, "SELECT repeat('y', 5000000)")) == 5_000_000
        import psycopg2.errors
        with pytest.raises(psycopg2.errors.DivisionByZero):
            query(conn, "SELECT 1/0")
        assert one(conn, "SELECT 2") == 2
        query(listener, "LISTEN gateway_channel")
        query(conn, "NOTIFY gateway_channel, 'hello'")

        def notified():
            listener.poll()
            return listener.notifies
        assert wait_until(notified, "the notification")[0].payload == "hello"
    finally:
        conn.close()
        listener.close()
    # Pipelined extended protocol: three Parse/Bind/Execute, one Sync.
    raw = raw_login(gateway, "alice", token, iamdb.ca)
    try:
        def msg(kind, body):
            return kind + struct.pack("!I", len(body) + 4) + body
        batch = b""
        for i in range(3):
            batch += msg(b"P", b"\0SELECT $1::int * 2\0" + struct.pack("!hI", 1, 23))
            batch += msg(b"B", b"\0\0" + struct.pack("!hh", 0, 1) + struct.pack("!I", 1) + str(i).encode() +
                         struct.pack("!h", 0))
            batch += msg(b"E", b"\0" + struct.pack("!I", 0))
        raw.sock.sendall(batch + msg(b"S", b""))
        rows = []
        while True:
            kind, body = raw.message()
            if kind == b"D":
                rows.append(body[6:].decode())
            if kind == b"E":
                raise AssertionError(error_fields(body))
            if kind == b"Z":
                break
        assert rows == ["0", "2", "4"]
    finally:
        raw.close()


def metric(iamdb, name, **labels):
    """The value of one sample on /metrics, or None."""
    import urllib.request
    text = urllib.request.urlopen(f"{iamdb.endpoint}/metrics", timeout=10).read().decode()
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_show_clients_pool_and_time_to_ready(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    first = connect(gateway, "alice", token, iamdb.ca)
    first.autocommit = True
    assert one(first, "SELECT 1") == 1
    first.close()  # its backend goes back to the pool: the next client is a pool hit
    conn = connect(gateway, "alice", token, iamdb.ca)
    conn.autocommit = True
    try:
        assert one(conn, "SELECT 1") == 1
        # The gauges are published once a second.
        # A tick may fall between the client being ready and its first query taking a backend.
        wait_until(lambda: metric(iamdb, "iamdb_gateway_clients", instance=INSTANCE) == 1.0 and
                   metric(iamdb, "iamdb_gateway_backend_connections", instance=INSTANCE, state="in_use") >= 1,
                   "one client holding a backend")
        assert metric(iamdb, "iamdb_gateway_pool_hits_total", instance=INSTANCE) >= 1
        assert metric(iamdb, "iamdb_gateway_pool_misses_total", instance=INSTANCE) >= 1
        assert metric(iamdb, "iamdb_gateway_time_to_ready_seconds_count", instance=INSTANCE) >= 1
        assert metric(iamdb, "iamdb_gateway_sessions_ended_total", instance=INSTANCE, reason="client_terminated") >= 1
    finally:
        conn.close()
    wait_until(lambda: metric(iamdb, "iamdb_gateway_clients", instance=INSTANCE) == 0.0, "no client")


# ---------------------------------------------------------------------------------- limits


def startup_bytes(user):
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0postgres\0\0"
    return struct.pack("!I", len(body) + 4) + body


def test_a_client_sending_one_byte_at_a_time_is_cut_off_without_disturbing_others(iamdb, alice, gateway):
    conn = connect(gateway, "alice", token_from_iamdb(alice, gateway, "alice"), iamdb.ca)
    conn.autocommit = True
    slow = socket.create_connection((HOST, gateway), timeout=10)
    try:
        started = time.monotonic()
        answer = b""
        for byte in startup_bytes("alice"):
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                break
            assert one(conn, "SELECT 1") == 1
            readable, _, _ = select.select([slow], [], [], 0.5)  # one byte every half second
            if readable:
                answer = slow.recv(4096)
                break
        assert time.monotonic() - started < 3 + 3
        assert answer[:1] == b"E", answer
        assert error_fields(answer[5:])["C"] == "57014", answer
    finally:
        slow.close()
        conn.close()


def test_an_exhausted_pool_refuses_with_53300_after_the_wait(iamdb, alice, gateway, pg):
    import psycopg2
    modify_gateway(iamdb, "--max-backends", "1", "--pool-wait-timeout", "1")
    token = token_from_iamdb(alice, gateway, "alice")
    holder = connect(gateway, "alice", token, iamdb.ca)
    try:
        query(holder, "SELECT 1")  # psycopg2 keeps the transaction open: the backend stays taken
        waiting = connect(gateway, "alice", token, iamdb.ca)
        iamdb.audit.mark()
        started = time.monotonic()
        with pytest.raises(psycopg2.OperationalError):
            query(waiting, "SELECT 1")
        assert 0.9 < time.monotonic() - started < 5
        waiting.close()
        end = iamdb.audit.session_end("pool_wait_timeout")
        assert "no backend connection of instance pg-gw became free within 1 s" in end["detail"], end
        raw = raw_login(gateway, "alice", token, iamdb.ca)
        try:
            body = b"SELECT 1\0"
            raw.sock.sendall(b"Q" + struct.pack("!I", len(body) + 4) + body)
            assert raw.error()["C"] == "53300"
        finally:
            raw.close()
    finally:
        holder.close()
        modify_gateway(iamdb, "--max-backends", "100", "--pool-wait-timeout", "30")


def test_the_new_connection_rate_limit_refuses_with_53400_and_lets_clients_in_again(iamdb, alice, gateway):
    modify_gateway(iamdb, "--max-new-connections-per-second", "1")
    try:
        iamdb.audit.mark()
        # A burst of connections, opened together: the first takes the second's only token.
        burst = [RawClient(gateway, timeout=10) for _ in range(6)]
        states = []
        for raw in burst:
            raw.sock.sendall(startup_bytes("alice"))  # no TLS: admitted clients get 28000, refused ones 53400
            states.append(raw.error())
            raw.close()
        codes = [f["C"] for f in states]
        assert "28000" in codes and "53400" in codes and set(codes) == {"28000", "53400"}, states
        refused = next(f for f in states if f["C"] == "53400")
        assert refused["M"] == "instance pg-gw accepts at most 1 new connections per second; try again", refused
        end = iamdb.audit.session_end("rate_limited")
        assert (end["outcome"], end["instance"], end["source"]) == ("denied", INSTANCE, HOST), end
        # The bucket refills: a client gets in again.
        token = token_from_iamdb(alice, gateway, "alice")
        wait_until(lambda: psql(gateway, "alice", token, iamdb.ca).returncode == 0, "a client after the burst",
                   timeout=10)
    finally:
        modify_gateway(iamdb, "--max-new-connections-per-second", "0")
    # Without the limit, a burst is let in.
    burst = [RawClient(gateway, timeout=10) for _ in range(6)]
    for raw in burst:
        raw.sock.sendall(startup_bytes("alice"))
        assert raw.error()["C"] == "28000"
        raw.close()


def test_a_backend_restart_gives_the_client_a_clean_error_and_the_next_client_a_working_session(
        iamdb, alice, gateway, pg):
    import psycopg2
    token = token_from_iamdb(alice, gateway, "alice")
    pooled = connect(gateway, "alice", token, iamdb.ca)
    pooled.autocommit = True
    assert one(pooled, "SELECT 1") == 1
    pooled.close()  # its backend is now idle in the pool
    busy = connect(gateway, "alice", token, iamdb.ca)
    busy.autocommit = True
    assert one(busy, "SELECT 1") == 1
    env.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(pg.datadir), "-l",
             str(pg.log_file), "-m", "fast", "-w", "restart"], timeout=120)
    with pytest.raises(psycopg2.OperationalError):
        query(busy, "SELECT 1")
    busy.close()
    for client in range(2):
        with connect(gateway, "alice", token, iamdb.ca) as fresh:
            assert one(fresh, "SELECT current_user") == "alice", client
        fresh.close()
    assert psql(gateway, "bob", "bob-secret", iamdb.ca).stdout.strip() == "bob"
