"""The in-database plugins fail closed, inside real servers: PostgreSQL 15 with pam_iamdb.so
and MariaDB 10.11 with AWSAuthenticationPlugin, both serving TLS.

With no daemon (the verify socket does not exist) and with a daemon that accepts and never
answers, an IAM user is refused with the generic error; a MariaDB IAM login without TLS is
refused before any verify call; ordinary password users keep logging in. A scripted peer that
speaks the verify protocol checks what the plugins send and that they obey an explicit answer
(the real daemon's allow path is tested with the daemon itself).
"""
import json
import os
import shutil
import socket
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from lib import env
from lib.mariadb import MariaDB
from lib.postgres import PostgreSQL, pam_service
from lib.tls import make_server_tls

PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
MARIADB_PLUGIN = env.BUILD_DIR / "plugins" / "mariadb" / "aws_authentication_plugin.so"
INSTANCE = "test-instance"
TIMEOUT_MS = 1000
# Looks like an RDS auth token; what matters is that it must never appear in a log.
TOKEN = ("127.0.0.1:5432/?Action=connect&DBUser=alice&X-Amz-Algorithm=AWS4-HMAC-SHA256"
         "&X-Amz-Credential=AKIAEXAMPLE%2F20260615%2Fus-east-1%2Frds-db%2Faws4_request"
         "&X-Amz-Date=20260615T083007Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
         "&X-Amz-Signature=feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface")
PG_REFUSAL = 'PAM authentication failed for user "alice"'


class VerifyPeer:
    """A Unix-socket peer of the plugins: records each request line; answers with
    `answer(request_dict)` (a dict to send) or, when `answer` is None, never answers and holds
    the connection open. The socket is world-writable so that PostgreSQL backends, running as
    `postgres`, can connect."""

    def __init__(self, answer=None):
        self.answer = answer
        self.directory = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
        os.chmod(self.directory, 0o755)
        self.path = self.directory / "verify.sock"
        self.requests = []
        self.connections = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        os.chmod(self.path, 0o666)
        self._listener.listen(16)
        self._listener.settimeout(0.2)
        self._threads = [threading.Thread(target=self._accept_loop, daemon=True)]
        self._threads[0].start()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(0.2)
            data = b""
            while b"\n" not in data and not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                data += chunk
            if b"\n" not in data:
                return
            request = json.loads(data.split(b"\n", 1)[0])
            with self._lock:
                self.requests.append(request)
            if self.answer is not None:
                conn.sendall((json.dumps(self.answer(request)) + "\n").encode())
            # Hold the connection until the plugin gives up (closes) or the peer stops.
            while not self._stop.is_set():
                try:
                    if not conn.recv(4096):
                        return
                except socket.timeout:
                    continue

    def close(self):
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def verify_peer(answer=None):
    peer = VerifyPeer(answer)
    try:
        yield peer
    finally:
        peer.close()


def allow_only(token):
    def answer(request):
        allowed = request["token"] == token
        return {"v": 1, "allow": allowed, "request_id": "test-request",
                "reason": "allowed" if allowed else "signature_mismatch",
                **({"principal": "arn:aws:iam::123456789012:user/alice"} if allowed else {})}
    return answer


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    return make_server_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def absent_socket(tmp_path_factory):
    return tmp_path_factory.mktemp("no-daemon") / "verify.sock"


# ---------------------------------------------------------------- PostgreSQL + pam_iamdb


@pytest.fixture(scope="module")
def pg(server_tls):
    assert PAM_MODULE.exists(), f"build the PAM module first: {PAM_MODULE}"
    with PostgreSQL(tls=server_tls) as server:
        server.sql("CREATE ROLE rds_iam")
        server.sql("CREATE USER alice")
        server.sql("GRANT rds_iam TO alice")
        server.sql("CREATE USER bob PASSWORD 'bob-secret'")
        server.module = server.copy_into(PAM_MODULE)
        yield server


@contextmanager
def pam_pointing_at(pg, socket_path):
    """A PAM service for pam_iamdb with `socket_path`, and pg_hba.conf sending IAM users over
    TLS to it (and refusing them without TLS)."""
    arguments = f"socket={socket_path} instance={INSTANCE} timeout_ms={TIMEOUT_MS} tls=assume"
    with pam_service([f"auth required {pg.module} {arguments}",
                      f"account required {pg.module}"]) as service:
        pg.set_hba([f"hostssl all +rds_iam 127.0.0.1/32 pam pamservice={service}",
                    "host all +rds_iam 127.0.0.1/32 reject",
                    "host all all 127.0.0.1/32 scram-sha-256"])
        yield


def assert_pg_refused(result):
    assert result.returncode != 0, result.stdout
    assert "FATAL:" in result.stderr and PG_REFUSAL in result.stderr, result.stderr


def test_postgres_refuses_iam_user_when_no_daemon_runs(pg, absent_socket):
    with pam_pointing_at(pg, absent_socket):
        assert_pg_refused(pg.psql("alice", TOKEN))


def test_postgres_refuses_iam_user_when_daemon_never_answers(pg):
    with verify_peer() as peer, pam_pointing_at(pg, peer.path):
        assert_pg_refused(pg.psql("alice", TOKEN))
        assert peer.requests == [{"v": 1, "instance": INSTANCE, "user": "alice", "token": TOKEN,
                                  "client_addr": "127.0.0.1", "tls": True}]


def test_postgres_password_user_still_logs_in(pg, absent_socket):
    with pam_pointing_at(pg, absent_socket):
        for sslmode in ("require", "disable"):
            result = pg.psql("bob", "bob-secret", sslmode=sslmode)
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip() == "bob"


def test_postgres_obeys_the_daemons_answer(pg):
    with verify_peer(allow_only(TOKEN)) as peer, pam_pointing_at(pg, peer.path):
        allowed = pg.psql("alice", TOKEN)
        assert allowed.returncode == 0, allowed.stderr
        assert allowed.stdout.strip() == "alice"
        assert_pg_refused(pg.psql("alice", TOKEN.replace("feedface", "deadbeef")))


def test_postgres_refuses_iam_user_without_tls_before_pam(pg):
    with verify_peer(allow_only(TOKEN)) as peer, pam_pointing_at(pg, peer.path):
        result = pg.psql("alice", TOKEN, sslmode="disable")
        assert result.returncode != 0
        assert 'rejects connection for host "127.0.0.1", user "alice"' in result.stderr, result.stderr
        assert peer.connections == 0


# ---------------------------------------------------------------- MariaDB + AWSAuthenticationPlugin


@pytest.fixture(scope="module")
def maria(server_tls):
    assert MARIADB_PLUGIN.exists(), f"build the MariaDB plugin first: {MARIADB_PLUGIN}"
    with MariaDB(tls=server_tls) as server:
        server.install_plugin(MARIADB_PLUGIN, "aws_authentication_plugin")
        server.sql(f"SET GLOBAL awsauthenticationplugin_instance = '{INSTANCE}'")
        server.sql(f"SET GLOBAL awsauthenticationplugin_timeout_ms = {TIMEOUT_MS}")
        server.sql("CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        server.sql("CREATE USER 'bob'@'%' IDENTIFIED BY 'bob-secret'")
        yield server


def point_plugin_at(maria, socket_path):
    maria.sql(f"SET GLOBAL awsauthenticationplugin_socket = '{socket_path}'")


def assert_maria_refused(result):
    assert result.returncode != 0, result.stdout
    assert "ERROR 1045" in result.stderr and "Access denied for user 'alice'" in result.stderr, \
        result.stderr


def test_mariadb_plugin_is_installed_as_rds_names_it(maria):
    rows = maria.sql("SELECT PLUGIN_NAME, PLUGIN_STATUS, PLUGIN_TYPE FROM information_schema.PLUGINS "
                     "WHERE PLUGIN_NAME = 'AWSAuthenticationPlugin'")
    assert rows.split() == ["AWSAuthenticationPlugin", "ACTIVE", "AUTHENTICATION"]
    assert maria.sql("SELECT plugin, authentication_string FROM mysql.user WHERE user = 'alice'"
                     ).split() == ["AWSAuthenticationPlugin", "RDS"]


def test_mariadb_refuses_iam_user_when_no_daemon_runs(maria, absent_socket):
    point_plugin_at(maria, absent_socket)
    assert_maria_refused(maria.client("alice", TOKEN, tls=True))


def test_mariadb_refuses_iam_user_when_daemon_never_answers(maria):
    with verify_peer() as peer:
        point_plugin_at(maria, peer.path)
        assert_maria_refused(maria.client("alice", TOKEN, tls=True))
        assert peer.requests == [{"v": 1, "instance": INSTANCE, "user": "alice", "token": TOKEN,
                                  "client_addr": "127.0.0.1", "tls": True}]


def test_mariadb_refuses_iam_user_without_tls_before_any_call(maria):
    with verify_peer(allow_only(TOKEN)) as peer:
        point_plugin_at(maria, peer.path)
        assert_maria_refused(maria.client("alice", TOKEN, tls=False))
        assert peer.connections == 0
    assert "reason=plugin_tls_required" in maria.log_text()


def test_mariadb_password_user_still_logs_in(maria, absent_socket):
    point_plugin_at(maria, absent_socket)
    for tls in (True, False):
        result = maria.client("bob", "bob-secret", tls=tls)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "bob@%"


def test_mariadb_obeys_the_daemons_answer(maria):
    with verify_peer(allow_only(TOKEN)) as peer:
        point_plugin_at(maria, peer.path)
        allowed = maria.client("alice", TOKEN, tls=True)
        assert allowed.returncode == 0, allowed.stderr
        assert allowed.stdout.strip() == "alice@%"
        assert_maria_refused(maria.client("alice", TOKEN.replace("feedface", "deadbeef"), tls=True))


def test_mariadb_logs_reasons_but_never_the_token(maria, absent_socket):
    point_plugin_at(maria, absent_socket)
    assert_maria_refused(maria.client("alice", TOKEN, tls=True))
    with verify_peer() as peer:
        point_plugin_at(maria, peer.path)
        assert_maria_refused(maria.client("alice", TOKEN, tls=True))
    log = maria.log_text()
    assert "AWSAuthenticationPlugin: " in log
    assert "reason=rpc_unreachable" in log and "reason=rpc_timeout" in log
    assert "X-Amz-Signature" not in log and "feedface" not in log


def test_mariadb_plugin_takes_its_settings_from_server_options(server_tls):
    with verify_peer() as peer, MariaDB(
            tls=server_tls, load_plugins=[(MARIADB_PLUGIN, "aws_authentication_plugin")],
            extra_args=[f"--awsauthenticationplugin-socket={peer.path}",
                        "--awsauthenticationplugin-instance=from-options",
                        "--awsauthenticationplugin-timeout-ms=300"]) as server:
        variables = dict(line.split("\t") for line in server.sql(
            "SHOW GLOBAL VARIABLES LIKE 'awsauthenticationplugin%'").splitlines())
        assert variables == {"awsauthenticationplugin_socket": str(peer.path),
                             "awsauthenticationplugin_instance": "from-options",
                             "awsauthenticationplugin_timeout_ms": "300",
                             "awsauthenticationplugin_require_tls": "ON"}
        server.sql("CREATE USER 'alice'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        assert_maria_refused(server.client("alice", TOKEN, tls=True))
        assert [r["instance"] for r in peer.requests] == ["from-options"]
