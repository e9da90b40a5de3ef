"""IAM database authentication inside real servers, end to end: PostgreSQL 15 with pam_iamdb.so and
MariaDB 10.11 with AWSAuthenticationPlugin, both serving TLS, set up by `iamdb setup ... --apply`
and `--apply-sql`, checking tokens through a real iamdb daemon.

Tokens from both AWS CLIs, boto3 and `iamdb generate-db-auth-token` let psql, psycopg2, the
mariadb client and pymysql in as the IAM users. Each refusal shows the client only the generic
error (PostgreSQL's "PAM authentication failed", MariaDB's ERROR 1045) while the audit log names
the precise reason. With the daemon stopped the databases refuse IAM users (fail closed) and let
them in again once it is back, without a restart. Password users keep their passwords; IAM users
cannot use one.

Each database server and the daemon start once for the module. The daemon (lib.iamdb) puts its
verify socket in a directory the `postgres` user can enter, with `[verify] socket_group =
"postgres"`, as the docs tell operators to.
"""
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.mariadb import MARIADBD, MariaDB
from lib.postgres import PAM_DIR, PostgreSQL
from lib.tls import make_server_tls

PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
MARIADB_PLUGIN = env.BUILD_DIR / "plugins" / "mariadb" / "aws_authentication_plugin.so"
ACCOUNT = "123456789012"
REGION = "us-east-1"
HOST = "127.0.0.1"
PG_INSTANCE = "pg-main"
MARIA_INSTANCE = "maria-main"

AUDIT_TIMEOUT_S = 15


# ---------------------------------------------------------------------------------- the daemon


class Audit:
    """The daemon's audit log (JSON lines): the connect events that follow a mark."""

    def __init__(self, path):
        self.path = Path(path)
        self.position = 0

    def _connects(self):
        if not self.path.exists():
            return []
        events = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        return [e for e in events if e.get("kind") == "connect"]

    def mark(self):
        self.position = len(self._connects())

    def next(self):
        """The first connect event after the mark (waits for the audit thread to write it)."""
        deadline = time.monotonic() + AUDIT_TIMEOUT_S
        while time.monotonic() < deadline:
            events = self._connects()
            if len(events) > self.position:
                self.position += 1
                return events[self.position - 1]
            time.sleep(0.05)  # poll interval while the event is being written
        raise AssertionError(f"no connect event in {self.path} after the mark")


@pytest.fixture(scope="module")
def iamdb():
    """The daemon, with its verify socket where the `postgres` user can reach it."""
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres"}
    try:
        with IamdbServer(account_id=ACCOUNT, region=REGION, settings=settings) as server:
            server.audit = Audit(server.data_dir / "audit.log")
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


@pytest.fixture(scope="module")
def identities(iamdb):
    """User alice may connect as any database user but mallory (an explicit deny); her second
    access key is Inactive."""
    iamdb.aws("iam", "create-user", "--user-name", "alice")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/*"},
        {"Effect": "Deny", "Action": "rds-db:connect",
         "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/mallory"}]}
    iamdb.aws("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "connect",
              "--policy-document", json.dumps(policy))
    keys = [iamdb.aws_json("iam", "create-access-key", "--user-name", "alice")["AccessKey"] for _ in range(2)]
    iamdb.aws("iam", "update-access-key", "--user-name", "alice", "--access-key-id", keys[1]["AccessKeyId"],
              "--status", "Inactive")
    return {"alice": Identity(iamdb, "alice", keys[0]["AccessKeyId"], keys[0]["SecretAccessKey"]),
            "inactive": Identity(iamdb, "alice-inactive", keys[1]["AccessKeyId"], keys[1]["SecretAccessKey"])}


def register(iamdb, instance, engine, port):
    iamdb.aws("rds", "create-db-instance", "--db-instance-identifier", instance, "--engine", engine,
              "--db-instance-class", "db.iamdb.external", "--enable-iam-database-authentication",
              "--tags", f"Key=iamdb:endpoint,Value={HOST}:{port}")


def set_iam_switch(iamdb, instance, on):
    iamdb.aws("rds", "modify-db-instance", "--db-instance-identifier", instance, "--apply-immediately",
              "--enable-iam-database-authentication" if on else "--no-enable-iam-database-authentication")


# ---------------------------------------------------------------------------------- tokens


def token_from_aws_cli(cli, identity, port, user):
    return identity.iamdb.aws("rds", "generate-db-auth-token", "--hostname", HOST, "--port", port,
                              "--region", REGION, "--username", user, profile=identity.profile,
                              cli=cli).stdout.strip()


def token_from_boto3(identity, port, user):
    import boto3  # Debian's, for /usr/bin/python3
    rds = boto3.client("rds", region_name=REGION, aws_access_key_id=identity.key_id,
                       aws_secret_access_key=identity.secret)
    return rds.generate_db_auth_token(DBHostname=HOST, Port=port, DBUsername=user)


def token_from_iamdb(identity, port, user, at=None):
    """`iamdb generate-db-auth-token`; `at` (a UTC datetime) signs as if the clock said so."""
    cmd = [str(env.IAMDB_BIN), "generate-db-auth-token", "--hostname", HOST, "--port", str(port),
           "--region", REGION, "--username", user]
    if at is not None:
        cmd = ["faketime", "-f", at.strftime("%Y-%m-%d %H:%M:%S")] + cmd
    return env.run(cmd, env=identity.environment()).stdout.strip()


def token_sources(identities):
    """(name, function(port, user) -> token) for every signer the tests use."""
    alice = identities["alice"]
    sources = [(f"aws CLI {cli}", lambda port, user, cli=cli: token_from_aws_cli(cli, alice, port, user))
               for cli in env.aws_clis()]
    sources.append(("boto3", lambda port, user: token_from_boto3(alice, port, user)))
    sources.append(("iamdb", lambda port, user: token_from_iamdb(alice, port, user)))
    return sources


def tampered(token):
    last = token[-1]
    return token[:-1] + ("0" if last != "0" else "1")


# ---------------------------------------------------------------------------------- setup


def verify_socket(iamdb):
    """The verify socket that iamdb.toml names."""
    return re.search(r'(?m)^socket = "(.*)"$', (iamdb.data_dir / "iamdb.toml").read_text()).group(1)


def run_setup(*args):
    return env.run([str(env.IAMDB_BIN), "setup", *map(str, args)])


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    return make_server_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def pam_service():
    """A unique PAM service name; its file in /etc/pam.d (written by setup) goes at the end."""
    name = f"iamdb-test-{secrets.token_hex(6)}"
    yield name
    (PAM_DIR / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def pg(iamdb, server_tls, pam_service):
    assert PAM_MODULE.exists(), f"build the PAM module first: {PAM_MODULE}"
    with PostgreSQL(tls=server_tls) as server:
        server.set_hba(["host all all 127.0.0.1/32 scram-sha-256"])
        module = server.copy_into(PAM_MODULE)
        server.setup_args = ["postgres", "--instance", PG_INSTANCE, "--data-dir", iamdb.data_dir,
                             "--module", module, "--pam-service", pam_service, "--apply", server.datadir,
                             "--apply-sql", "--host", server.socket_dir, "--port", server.port,
                             "--user", "postgres"]
        server.setup_result = run_setup(*server.setup_args)
        server.sql("CREATE USER alice PASSWORD 'alice-password'")
        server.sql("CREATE USER mallory")
        server.sql("GRANT rds_iam TO alice, mallory")
        server.sql("CREATE USER bob PASSWORD 'bob-secret'")
        register(iamdb, PG_INSTANCE, "postgres", server.port)
        yield server


@pytest.fixture(scope="module")
def maria(iamdb, server_tls, tmp_path_factory):
    assert MARIADB_PLUGIN.exists(), f"build the MariaDB plugin first: {MARIADB_PLUGIN}"
    with MariaDB(tls=server_tls) as server:
        module = server.plugin_dir / "aws_authentication_plugin.so"
        shutil.copyfile(MARIADB_PLUGIN, module)
        server.option_dir = tmp_path_factory.mktemp("mariadb.conf.d")
        server.setup_args = ["mariadb", "--instance", MARIA_INSTANCE, "--data-dir", iamdb.data_dir,
                             "--module", module, "--os-user", "root", "--apply", server.option_dir,
                             "--apply-sql", "--socket", server.socket, "--user", "root"]
        server.setup_result = run_setup(*server.setup_args)
        server.sql("CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        server.sql("CREATE USER 'mallory'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        server.sql("CREATE USER 'bob'@'%' IDENTIFIED BY 'bob-secret'")
        register(iamdb, MARIA_INSTANCE, "mariadb", server.port)
        yield server


# ---------------------------------------------------------------------------------- clients


class PgClients:
    """PostgreSQL's clients: psql and psycopg2, with TLS verified against the test CA."""
    name = "postgres"
    instance = PG_INSTANCE

    def __init__(self, server):
        self.server = server
        self.port = server.port

    def cli(self, user, password, tls=True):
        """psql; (logged in, current_user, error text)."""
        result = self.server.psql(user, password, sslmode="verify-full" if tls else "disable")
        return result.returncode == 0, result.stdout.strip(), result.stderr

    def library(self, user, password):
        """psycopg2; (logged in, current_user, error text)."""
        import psycopg2  # Debian's, for /usr/bin/python3
        try:
            with psycopg2.connect(host=HOST, port=self.port, user=user, password=password, dbname="postgres",
                                  sslmode="verify-full", sslrootcert=str(self.server.tls.ca_cert),
                                  connect_timeout=30) as conn:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT current_user")
                    return True, cursor.fetchone()[0], ""
        except psycopg2.OperationalError as e:
            return False, "", str(e)

    def logged_in_as(self, user):
        return user

    def assert_refused(self, outcome, user):
        ok, out, err = outcome
        assert not ok, out
        assert f'FATAL:  PAM authentication failed for user "{user}"' in err, err

    clients = {"cli": "psql", "library": "psycopg2"}


class MariaClients:
    """MariaDB's clients: the mariadb client and pymysql, over TLS verified against the test CA."""
    name = "mariadb"
    instance = MARIA_INSTANCE

    def __init__(self, server):
        self.server = server
        self.port = server.port

    def cli(self, user, password, tls=True):
        """The mariadb client; (logged in, CURRENT_USER(), error text)."""
        result = self.server.client(user, password, tls=tls)
        return result.returncode == 0, result.stdout.strip(), result.stderr

    def library(self, user, password):
        """pymysql; (logged in, CURRENT_USER(), error text)."""
        import pymysql  # Debian's, for /usr/bin/python3
        try:
            conn = pymysql.connect(host=HOST, port=self.port, user=user, password=password, connect_timeout=30,
                                   ssl_ca=str(self.server.tls.ca_cert), ssl_verify_cert=True,
                                   ssl_verify_identity=True)
        except pymysql.err.OperationalError as e:
            return False, "", str(e)
        with conn:
            with conn.cursor() as cursor:
                cursor.execute("SELECT CURRENT_USER()")
                return True, cursor.fetchone()[0], ""

    def logged_in_as(self, user):
        return f"{user}@%"

    def assert_refused(self, outcome, user):
        ok, out, err = outcome
        assert not ok, out
        assert ("ERROR 1045" in err or "(1045," in err) and f"Access denied for user '{user}'" in err, err

    clients = {"cli": "mariadb", "library": "pymysql"}


@pytest.fixture(scope="module", params=["postgres", "mariadb"])
def db(request):
    """Each engine in turn; a module-scoped parameter, so each server starts once."""
    if request.param == "postgres":
        return PgClients(request.getfixturevalue("pg"))
    return MariaClients(request.getfixturevalue("maria"))


def other_port(db, request):
    """The endpoint port of the other engine's registered instance."""
    other = request.getfixturevalue("maria" if db.name == "postgres" else "pg")
    return other.port


# ---------------------------------------------------------------------------------- tests: setup


def test_postgres_setup_applies_hba_pam_and_role(pg, iamdb, pam_service):
    assert "warning" not in pg.setup_result.stderr, pg.setup_result.stderr
    out = pg.setup_result.stdout
    assert "iamdb lines placed first (updated)" in out
    assert f"PAM service {pam_service} (created)" in out
    assert "role rds_iam created" in out and "configuration reloaded" in out

    hba = (pg.datadir / "pg_hba.conf").read_text().splitlines()
    assert hba[0].startswith("# BEGIN iamdb")
    rules = [line for line in hba if line and not line.startswith("#")]
    assert rules == [f"hostssl all +rds_iam all pam pamservice={pam_service}",
                     "host    all +rds_iam all reject",
                     "local   all +rds_iam reject",
                     "local all postgres trust",
                     "host all all 127.0.0.1/32 scram-sha-256"]
    pam = (PAM_DIR / pam_service).read_text()
    assert f"socket={verify_socket(iamdb)} instance={PG_INSTANCE} timeout_ms=2000 tls=assume" in pam
    assert pg.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'rds_iam'").strip() == "1"


def test_postgres_setup_runs_again_without_changing_anything(pg, pam_service):
    before = (pg.datadir / "pg_hba.conf").read_text()
    again = run_setup(*pg.setup_args)
    assert "iamdb lines placed first (unchanged)" in again.stdout
    assert f"PAM service {pam_service} (unchanged)" in again.stdout
    assert "role rds_iam exists" in again.stdout
    assert (pg.datadir / "pg_hba.conf").read_text() == before


def test_mariadb_setup_installs_the_plugin_and_writes_its_options(maria, iamdb):
    assert "warning" not in maria.setup_result.stderr, maria.setup_result.stderr
    out = maria.setup_result.stdout
    assert "iamdb.cnf: plugin settings (created)" in out
    assert "plugin AWSAuthenticationPlugin installed" in out
    variables = dict(line.split("\t") for line in maria.sql(
        "SHOW GLOBAL VARIABLES LIKE 'awsauthenticationplugin%'").splitlines())
    assert variables == {"awsauthenticationplugin_socket": verify_socket(iamdb),
                         "awsauthenticationplugin_instance": MARIA_INSTANCE,
                         "awsauthenticationplugin_timeout_ms": "2000",
                         "awsauthenticationplugin_require_tls": "ON"}
    # The option file is what mariadbd itself reads at start-up.
    defaults = env.run([MARIADBD, f"--defaults-file={maria.option_dir / 'iamdb.cnf'}", "--print-defaults"]).stdout
    for option in (f"--loose-awsauthenticationplugin-socket={verify_socket(iamdb)}",
                   f"--loose-awsauthenticationplugin-instance={MARIA_INSTANCE}",
                   "--loose-awsauthenticationplugin-timeout-ms=2000",
                   "--loose-awsauthenticationplugin-require-tls=ON"):
        assert option in defaults, defaults

    again = run_setup(*maria.setup_args)
    assert "iamdb.cnf: plugin settings (unchanged)" in again.stdout
    assert "plugin AWSAuthenticationPlugin is installed" in again.stdout


def test_setup_warns_when_the_database_user_cannot_reach_the_socket():
    with tempfile.TemporaryDirectory(prefix="iamdb-setup-") as base:
        os.chmod(base, 0o755)
        private = Path(base) / "private"
        private.mkdir(mode=0o700)
        result = run_setup("postgres", "--instance", PG_INSTANCE, "--verify-socket", private / "verify.sock",
                           "--module", PAM_MODULE)
    assert f"user postgres cannot reach the verify socket: it may not enter {private} (mode 0700" in \
        result.stderr, result.stderr
    assert "hostssl all +rds_iam all pam pamservice=iamdb" in result.stdout


# ---------------------------------------------------------------------------------- tests: logins


def test_tokens_from_every_signer_let_every_client_in(db, iamdb, identities):
    for source, make_token in token_sources(identities):
        token = make_token(db.port, "alice")
        for client, name in db.clients.items():
            iamdb.audit.mark()
            ok, who, err = getattr(db, client)("alice", token)
            assert ok, f"{source} token, {name}: {err}"
            assert who == db.logged_in_as("alice"), f"{source} token, {name}"
            event = iamdb.audit.next()
            assert (event["outcome"], event["reason"], event["db_user"], event["instance"]) == \
                ("allowed", "allowed", "alice", db.instance), event
            assert event["principal"] == f"arn:aws:iam::{ACCOUNT}:user/alice", event


def test_iamdb_audit_shows_the_login(db, iamdb, identities):
    token = token_from_iamdb(identities["alice"], db.port, "alice")
    iamdb.audit.mark()
    assert db.cli("alice", token)[0]
    written = iamdb.audit.next()
    shown = env.run([str(env.IAMDB_BIN), "audit", "--data-dir", iamdb.data_dir, "--kind", "connect",
                     "--instance", db.instance, "--db-user", "alice", "--limit", "1", "--json"]).stdout
    shown = json.loads(shown.strip().splitlines()[-1])
    assert (shown["request_id"], shown["reason"]) == (written["request_id"], "allowed")


REFUSALS = [
    # (case, login user, how the token is made, reason in the audit log)
    ("expired token", "alice",
     lambda ids, port, other: token_from_iamdb(ids["alice"], port, "alice",
                                               at=datetime.now(timezone.utc) - timedelta(minutes=30)),
     "expired"),
    ("token for another user", "alice",
     lambda ids, port, other: token_from_iamdb(ids["alice"], port, "mallory"), "user_mismatch"),
    ("token for another instance's endpoint", "alice",
     lambda ids, port, other: token_from_iamdb(ids["alice"], other, "alice"), "endpoint_mismatch"),
    ("tampered signature", "alice",
     lambda ids, port, other: tampered(token_from_iamdb(ids["alice"], port, "alice")), "signature_mismatch"),
    ("a policy that denies", "mallory",
     lambda ids, port, other: token_from_iamdb(ids["alice"], port, "mallory"), "policy_explicit_deny"),
    ("an Inactive key", "alice",
     lambda ids, port, other: token_from_iamdb(ids["inactive"], port, "alice"), "inactive_access_key"),
    ("a password instead of a token", "alice",
     lambda ids, port, other: "alice-password", "malformed_token"),
]


@pytest.mark.parametrize("case,user,make_token,reason", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_generic_for_the_client_and_precise_in_the_audit_log(db, iamdb, identities, request, case,
                                                                          user, make_token, reason):
    token = make_token(identities, db.port, other_port(db, request))
    iamdb.audit.mark()
    db.assert_refused(db.cli(user, token), user)
    event = iamdb.audit.next()
    assert (event["outcome"], event["reason"], event["db_user"], event["instance"]) == \
        ("denied", reason, user, db.instance), event
    assert token not in json.dumps(event)


def test_instance_with_its_iam_switch_off_refuses(db, iamdb, identities):
    token = token_from_iamdb(identities["alice"], db.port, "alice")
    set_iam_switch(iamdb, db.instance, on=False)
    try:
        iamdb.audit.mark()
        db.assert_refused(db.library("alice", token), "alice")
        event = iamdb.audit.next()
        assert (event["outcome"], event["reason"]) == ("denied", "iam_disabled"), event
    finally:
        set_iam_switch(iamdb, db.instance, on=True)
    iamdb.audit.mark()
    assert db.library("alice", token)[0]
    assert iamdb.audit.next()["reason"] == "allowed"


def test_postgres_refuses_iam_users_without_tls_before_asking_for_a_token(pg, iamdb, identities):
    token = token_from_iamdb(identities["alice"], pg.port, "alice")
    iamdb.audit.mark()
    result = pg.psql("alice", token, sslmode="disable")
    assert result.returncode != 0
    assert ('pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "postgres", '
            'no encryption') in result.stderr, result.stderr
    # Nothing reached the daemon: the next connect event is the next login's.
    assert pg.psql("alice", token, sslmode="verify-full").returncode == 0
    assert iamdb.audit.next()["reason"] == "allowed"


def test_mariadb_refuses_iam_users_without_tls_before_asking_for_a_token(maria, iamdb, identities):
    token = token_from_iamdb(identities["alice"], maria.port, "alice")
    clients = MariaClients(maria)
    iamdb.audit.mark()
    logged = len(maria.log_text())
    clients.assert_refused(clients.cli("alice", token, tls=False), "alice")
    assert "reason=plugin_tls_required" in maria.log_text()[logged:]
    assert clients.cli("alice", token)[0]
    assert iamdb.audit.next()["reason"] == "allowed"
    # With the plugin's own TLS check off, the daemon still refuses a login without TLS.
    maria.sql("SET GLOBAL awsauthenticationplugin_require_tls = OFF")
    try:
        clients.assert_refused(clients.cli("alice", token, tls=False), "alice")
        event = iamdb.audit.next()
        assert (event["outcome"], event["reason"]) == ("denied", "tls_required"), event
    finally:
        maria.sql("SET GLOBAL awsauthenticationplugin_require_tls = ON")


def test_password_users_keep_their_passwords(db):
    for tls in (True, False):
        ok, who, err = db.cli("bob", "bob-secret", tls=tls)
        assert ok, err
        assert who == db.logged_in_as("bob")


def test_both_databases_fail_closed_while_the_daemon_is_down_and_recover_without_a_restart(
        pg, maria, iamdb, identities):
    engines = [PgClients(pg), MariaClients(maria)]
    tokens = {e.name: token_from_iamdb(identities["alice"], e.port, "alice") for e in engines}
    pg_started = pg.sql("SELECT pg_postmaster_start_time()")
    maria_pid = maria.process.pid
    logged = len(maria.log_text())
    iamdb.stop()
    try:
        for e in engines:
            e.assert_refused(e.cli("alice", tokens[e.name]), "alice")
            e.assert_refused(e.library("alice", tokens[e.name]), "alice")
        assert "reason=rpc_unreachable" in maria.log_text()[logged:]
    finally:
        iamdb.restart()
    iamdb.audit.mark()
    for e in engines:
        ok, who, err = e.cli("alice", tokens[e.name])
        assert ok, err
        assert who == e.logged_in_as("alice")
        assert iamdb.audit.next()["reason"] == "allowed"
    assert pg.sql("SELECT pg_postmaster_start_time()") == pg_started
    assert maria.process.pid == maria_pid and maria.process.poll() is None
