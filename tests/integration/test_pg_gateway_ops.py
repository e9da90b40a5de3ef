"""The PostgreSQL gateway's operational behaviours: its certificate replaced while it runs, TLS to
the backend with CA and host name verification, a listener moved by `iamdb instance modify`,
clients still logging in while the settings change, a listen address another process shares
through SO_REUSEPORT refused, and each instance's new-connection rate limit kept to itself.

The same PostgreSQL, instance pg-gw and clients as test_pg_gateway.py (its fixtures and helpers
are reused), with an iamdb server whose gateway certificate is a pair of files of this module's
own (`[gateway] tls_cert` / `tls_key`), looked at every second (`tls_reload_seconds = 1`). The
tests that need instances of their own register them with `backend_auth trust` over
PostgreSQL's Unix socket (its pam_iamdb checks tokens for pg-gw only) and remove them at the end.
"""
import hashlib
import os
import shutil
import socket
import ssl
import struct
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.tls import issue_server_cert, make_server_tls
# The fixtures alice, pam_service, pg and gateway of test_pg_gateway.py, used here with this
# module's `iamdb`.
from test_pg_gateway import (ACCOUNT, HOST, INSTANCE, MONITOR_PASSWORD, REGION, Audit, RawClient, alice,  # noqa: F401
                             connect, error_fields, gateway, iamdb_cli, modify_gateway, one, pam_service, pg, psql,
                             raw_login, startup_bytes, token_from_iamdb, wait_listening, wait_until)

RELOAD_S = 1
# A reload is due within RELOAD_S plus the maintenance tick (1 s); a few more for a busy machine.
RELOAD_WAIT_S = 10
KEPT = "gateway: keeping the current TLS certificate: "
RELOADED = "gateway: TLS certificate reloaded"


@pytest.fixture(scope="module")
def gateway_tls(tmp_path_factory):
    """Two certificates for the gateway, each from its own CA, and the live files the server reads
    (the first certificate's to begin with)."""
    first = make_server_tls(tmp_path_factory.mktemp("gateway-first"))
    second = make_server_tls(tmp_path_factory.mktemp("gateway-second"))
    live = tmp_path_factory.mktemp("gateway-live")
    install_files(first, live / "server.crt", live / "server.key")
    return {"first": first, "second": second, "cert": live / "server.crt", "key": live / "server.key"}


@pytest.fixture(scope="module")
def iamdb(gateway_tls):
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres",
                "gateway.tls_cert": str(gateway_tls["cert"]),
                "gateway.tls_key": str(gateway_tls["key"]),
                "gateway.tls_reload_seconds": RELOAD_S,
                # Refusals here come from 127.0.0.1 often; the throttle has its own tests.
                "gateway.auth_failures": 1000,
                "gateway.startup_timeout_seconds": 3}
    try:
        with IamdbServer(account_id=ACCOUNT, region=REGION, settings=settings) as server:
            server.audit = Audit(server.data_dir / "audit.log")
            server.ca = gateway_tls["first"].ca_cert
            yield server
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------- helpers


def install_files(server_tls, cert, key):
    """Replaces `cert` and `key` with the certificate and key of `server_tls`, each file by a
    rename, as deployment tools do."""
    for source, target in ((server_tls.cert, cert), (server_tls.key, key)):
        staged = target.with_name(target.name + ".new")
        shutil.copyfile(source, staged)
        os.chmod(staged, 0o600)
        os.replace(staged, target)


def fingerprint(cert_file):
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(Path(cert_file).read_text())).hexdigest()


def presented_certificate(port):
    """The SHA-256 fingerprint of the certificate a PostgreSQL server (or the gateway) presents
    after SSLRequest, looked at without verifying it."""
    with socket.create_connection((HOST, port), timeout=10) as plain:
        plain.sendall(struct.pack("!II", 8, 80877103))
        assert plain.recv(1) == b"S"
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(plain) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def log_count(iamdb, text):
    return iamdb.log().count(text)


def wait_for_new_log_line(iamdb, text, before, timeout=RELOAD_WAIT_S):
    wait_until(lambda: log_count(iamdb, text) > before, f"the log line {text!r}", timeout=timeout)


def restore_gateway_certificate(iamdb, gateway, gateway_tls):
    """Puts the first certificate back and waits until the gateway presents it."""
    install_files(gateway_tls["first"], gateway_tls["cert"], gateway_tls["key"])
    wanted = fingerprint(gateway_tls["first"].cert)
    wait_until(lambda: presented_certificate(gateway) == wanted, "the first certificate back", timeout=RELOAD_WAIT_S)


def server_running(iamdb):
    """The server process has not exited (a crash would have ended it)."""
    return iamdb._process.poll() is None


def backend_tls_setting(iamdb):
    listing = iamdb_cli(iamdb, "instance", "list", "--id", INSTANCE).stdout
    return listing.split("backend-tls=")[1].split()[0]


def set_backend_tls(iamdb, mode, ca=None):
    """Sets pg-gw's TLS to the backend; waits until sessions starting now use it."""
    modify_gateway(iamdb, "--backend-tls", mode, "--backend-ca", str(ca) if ca else "")


def add_instance(iamdb, pg, instance_id, *extra):
    """Registers `instance_id` behind the gateway on a free port, its IAM users' sessions trusted
    over PostgreSQL's Unix socket; returns the port."""
    for attempt in range(3):
        port = env.free_port()
        iamdb_cli(iamdb, "instance", "add", "--id", instance_id, "--engine", "postgres", "--endpoint",
                  f"{HOST}:{port}", "--enable-iam", "--gateway-listen", f"{HOST}:{port}", "--backend", pg.unix_socket,
                  "--backend-auth", "trust", "--backend-tls", "disable",
                  "--backend-password", f"iamdb_monitor={MONITOR_PASSWORD}", *extra)
        if wait_listening(iamdb, port):
            return port
        iamdb_cli(iamdb, "instance", "remove", "--id", instance_id)
    raise AssertionError(f"instance {instance_id} never listened:\n{iamdb.log()}")


@contextmanager
def instance_of_its_own(iamdb, pg, instance_id, *extra):
    port = add_instance(iamdb, pg, instance_id, *extra)
    try:
        yield port
    finally:
        iamdb_cli(iamdb, "instance", "remove", "--id", instance_id, check=False)


def refuses_connections(port):
    try:
        socket.create_connection((HOST, port), timeout=2).close()
        return False
    except ConnectionRefusedError:
        return True


def log_in(port, user, token, ca, **startup):
    """A RawClient logged in with `token` and its startup parameters, or the FATAL error fields."""
    raw = RawClient(port)
    raw.start_tls(ca)
    raw.startup(user, **startup)
    kind, body = raw.message()
    if kind == b"E":
        raw.close()
        return error_fields(body)
    raw.password(token)
    while True:
        kind, body = raw.message()
        if kind == b"E":
            raw.close()
            return error_fields(body)
        if kind == b"Z":
            return raw


# ---------------------------------------------------------------------------------- certificate reload


def test_a_replaced_certificate_is_presented_to_new_clients_while_sessions_opened_before_go_on(
        iamdb, alice, gateway, gateway_tls):
    first, second = gateway_tls["first"], gateway_tls["second"]
    token = token_from_iamdb(alice, gateway, "alice")
    assert presented_certificate(gateway) == fingerprint(first.cert)
    before = raw_login(gateway, "alice", token, first.ca_cert)
    reloads = log_count(iamdb, RELOADED)
    try:
        install_files(second, gateway_tls["cert"], gateway_tls["key"])
        wait_until(lambda: presented_certificate(gateway) == fingerprint(second.cert), "the new certificate",
                   timeout=RELOAD_WAIT_S)
        assert log_count(iamdb, RELOADED) > reloads
        # New clients verify the new certificate against its CA; the old CA no longer vouches for it.
        result = psql(gateway, "alice", token, second.ca_cert)
        assert (result.returncode, result.stdout.strip()) == (0, "alice"), result.stderr
        refused = psql(gateway, "alice", token, first.ca_cert)
        assert refused.returncode != 0 and "certificate verify failed" in refused.stderr, refused.stderr
        # The session that started with the old certificate goes on.
        assert before.query("SELECT current_user") == ["alice"]
    finally:
        before.close()
        restore_gateway_certificate(iamdb, gateway, gateway_tls)


def write_garbage_key(gateway_tls):
    gateway_tls["key"].write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def write_garbage_certificate(gateway_tls):
    gateway_tls["cert"].write_text("garbage\n")


def write_another_certificates_key(gateway_tls):
    shutil.copyfile(gateway_tls["second"].key, gateway_tls["key"])


def remove_the_key(gateway_tls):
    gateway_tls["key"].unlink()


BROKEN_REPLACEMENTS = [
    # (case, what is done to the live files, what the log line says)
    ("a garbage key file", write_garbage_key, "cannot load the gateway key "),
    ("a garbage certificate file", write_garbage_certificate, "cannot load the gateway certificate "),
    ("the key of another certificate", write_another_certificates_key, "server.key: key values mismatch"),
    ("a removed key file", remove_the_key, "cannot read the gateway key "),
]


@pytest.mark.parametrize("case,breakage,logged", BROKEN_REPLACEMENTS, ids=[b[0] for b in BROKEN_REPLACEMENTS])
def test_a_broken_replacement_is_refused_with_a_log_line_and_the_old_certificate_stays(
        iamdb, alice, gateway, gateway_tls, case, breakage, logged):
    first = gateway_tls["first"]
    token = token_from_iamdb(alice, gateway, "alice")
    before = raw_login(gateway, "alice", token, first.ca_cert)
    kept = log_count(iamdb, KEPT)
    try:
        breakage(gateway_tls)
        wait_for_new_log_line(iamdb, KEPT, kept)
        line = [l for l in iamdb.log().splitlines() if KEPT in l][-1]
        assert logged in line, line
        assert server_running(iamdb)
        assert presented_certificate(gateway) == fingerprint(first.cert)
        result = psql(gateway, "alice", token, first.ca_cert)
        assert (result.returncode, result.stdout.strip()) == (0, "alice"), result.stderr
        assert before.query("SELECT current_user") == ["alice"]
    finally:
        before.close()
        # Mended files are taken up again.
        reloads = log_count(iamdb, RELOADED)
        restore_gateway_certificate(iamdb, gateway, gateway_tls)
        wait_for_new_log_line(iamdb, RELOADED, reloads)


def test_without_a_certificate_at_start_listeners_start_once_one_appears(tmp_path):
    cert, key = tmp_path / "gateway.crt", tmp_path / "gateway.key"
    settings = {"gateway.tls_cert": str(cert), "gateway.tls_key": str(key), "gateway.tls_reload_seconds": RELOAD_S}
    with IamdbServer(account_id=ACCOUNT, region=REGION, settings=settings) as server:
        assert "gateway: no TLS certificate yet, so no gateway listens" in server.log()
        port = env.free_port()
        iamdb_cli(server, "instance", "add", "--id", "pg-later", "--engine", "postgres", "--endpoint", f"{HOST}:{port}",
                  "--enable-iam", "--gateway-listen", f"{HOST}:{port}", "--backend", f"{HOST}:{env.free_port()}",
                  "--backend-auth", "trust")
        wait_until(lambda: "gateway pg-later: not listening on" in server.log(), "the reason it does not listen")
        assert refuses_connections(port)
        later = make_server_tls(tmp_path / "later")
        install_files(later, cert, key)
        wait_until(lambda: f"gateway pg-later: listening on {HOST}:{port}" in server.log(), "the listener",
                   timeout=RELOAD_WAIT_S)
        assert presented_certificate(port) == fingerprint(later.cert)


# ---------------------------------------------------------------------------------- backend TLS


@pytest.fixture
def backend_tls_restored(iamdb, gateway, pg):
    """Puts the backend back as the other tests expect it (TLS required, not verified, with its
    own certificate) at the end of the test."""
    original = (pg.tls.cert.read_bytes(), pg.tls.key.read_bytes())
    yield
    if (pg.tls.cert.read_bytes(), pg.tls.key.read_bytes()) != original:
        pg.tls.cert.write_bytes(original[0])
        pg.tls.key.write_bytes(original[1])
        pg.sql("SELECT pg_reload_conf()")
        wanted = fingerprint(pg.tls.cert)
        wait_until(lambda: presented_certificate(pg.port) == wanted, "the backend's own certificate back")
    if backend_tls_setting(iamdb) != "require":
        set_backend_tls(iamdb, "require")


def test_backend_tls_verify_full_with_the_ca_that_signed_the_backend_lets_clients_in(
        iamdb, alice, gateway, pg, backend_tls_restored):
    set_backend_tls(iamdb, "verify-full", pg.tls.ca_cert)
    token = token_from_iamdb(alice, gateway, "alice")
    with connect(gateway, "alice", token, iamdb.ca) as conn:
        assert one(conn, "SELECT current_user") == "alice"
        # pam_iamdb (hostssl) checked the forwarded token over the verified TLS connection.
        assert one(conn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    conn.close()
    result = psql(gateway, "bob", "bob-secret", iamdb.ca)
    assert (result.returncode, result.stdout.strip()) == (0, "bob"), result.stderr


def test_backend_tls_verify_full_refuses_a_backend_whose_certificate_another_ca_signed(
        iamdb, alice, gateway, pg, backend_tls_restored, tmp_path):
    stranger = make_server_tls(tmp_path / "another-ca")
    set_backend_tls(iamdb, "verify-full", stranger.ca_cert)
    token = token_from_iamdb(alice, gateway, "alice")
    failures = log_count(iamdb, f"TLS to the backend {HOST}:{pg.port} failed")
    iamdb.audit.mark()
    # The new settings' monitor connection cannot verify the backend either: the gateway cannot
    # tell whether alice is an IAM user, and says so rather than relaying.
    fields = log_in(gateway, "alice", token, iamdb.ca)
    assert isinstance(fields, dict), "logged in through an unverified backend"
    assert (fields["S"], fields["C"], fields["M"]) == \
        ("FATAL", "57P03", 'the iamdb gateway cannot tell yet how user "alice" logs in; try again'), fields
    end = iamdb.audit.session_end("iam_users_unavailable")
    # OpenSSL's reason: PostgreSQL sends its CA along, which the gateway does not trust.
    assert f"TLS to the backend {HOST}:{pg.port} failed: TLS handshake: certificate verify failed: " \
           "self-signed certificate in certificate chain" in end["detail"], end
    assert log_count(iamdb, f"TLS to the backend {HOST}:{pg.port} failed") > failures
    result = psql(gateway, "bob", "bob-secret", iamdb.ca)
    assert result.returncode != 0 and 'cannot tell yet how user "bob" logs in' in result.stderr, result.stderr


def test_backend_tls_verify_full_refuses_a_backend_certificate_for_another_host_name(
        iamdb, alice, gateway, pg, backend_tls_restored, tmp_path):
    set_backend_tls(iamdb, "verify-full", pg.tls.ca_cert)
    token = token_from_iamdb(alice, gateway, "alice")
    first = log_in(gateway, "alice", token, iamdb.ca)
    assert not isinstance(first, dict), first  # the monitor is connected, alice known as an IAM user
    try:
        assert first.query("SELECT current_user") == ["alice"]
        # The backend now presents a certificate of the right CA for another name.
        elsewhere = issue_server_cert(pg.tls_source.ca_cert.parent, tmp_path / "elsewhere", "elsewhere.example",
                                      ("DNS:elsewhere.example",))
        pg.tls.cert.write_bytes(elsewhere.cert.read_bytes())
        pg.tls.key.write_bytes(elsewhere.key.read_bytes())
        pg.sql("SELECT pg_reload_conf()")
        wait_until(lambda: presented_certificate(pg.port) == fingerprint(elsewhere.cert), "the backend's new certificate")
        # A client whose startup parameters no pooled session has needs a new backend connection.
        failures = log_count(iamdb, f"gateway {INSTANCE}: TLS to the backend {HOST}:{pg.port} failed")
        iamdb.audit.mark()
        fields = log_in(gateway, "alice", token, iamdb.ca, application_name="verify-full test")
        assert isinstance(fields, dict), "logged in through a backend with another host's certificate"
        assert (fields["S"], fields["C"], fields["M"]) == \
            ("FATAL", "08006", f"the iamdb gateway cannot log in to the database of instance {INSTANCE} "
                               "(the server log says why)"), fields
        end = iamdb.audit.session_end("backend_unavailable")
        assert "certificate verify failed" in end["detail"] and "IP address mismatch" in end["detail"], end
        assert log_count(iamdb, f"gateway {INSTANCE}: TLS to the backend {HOST}:{pg.port} failed") > failures
        # The session that was verified before goes on.
        assert first.query("SELECT current_user") == ["alice"]
    finally:
        first.close()


# ---------------------------------------------------------------------------------- listeners


def test_a_moved_listener_serves_on_its_new_address_and_sessions_opened_before_go_on(iamdb, alice, pg):
    with instance_of_its_own(iamdb, pg, "pg-move") as old:
        token = token_from_iamdb(alice, old, "alice")
        working = raw_login(old, "alice", token, iamdb.ca)
        assert working.query("SELECT current_user") == ["alice"]  # holds a backend
        # The pool knows alice's parameters now: this one is ready before holding a backend.
        idle = raw_login(old, "alice", token, iamdb.ca)
        bob = connect(old, "bob", "bob-secret", iamdb.ca)
        bob.autocommit = True
        try:
            new = env.free_port()
            iamdb_cli(iamdb, "instance", "modify", "--id", "pg-move", "--gateway-listen", f"{HOST}:{new}",
                      "--endpoint", f"{HOST}:{new}")
            wait_until(lambda: f"gateway pg-move: listening on {HOST}:{new}" in iamdb.log(), "the new listener")
            wait_until(lambda: refuses_connections(old), "the old port closed")
            assert f"gateway pg-move: stopped listening on {HOST}:{old}" in iamdb.log()
            result = psql(new, "alice", token_from_iamdb(alice, new, "alice"), iamdb.ca)
            assert (result.returncode, result.stdout.strip()) == (0, "alice"), result.stderr
            # Sessions that came in through the old address are not cut.
            assert working.query("SELECT current_user") == ["alice"]
            assert idle.query("SELECT current_user") == ["alice"]
            assert one(bob, "SELECT current_user") == "bob"
        finally:
            working.close()
            idle.close()
            bob.close()


def test_clients_midway_through_logging_in_when_the_settings_change_finish_under_the_old_ones(iamdb, alice, pg):
    # Clients accepted before `instance modify` keep the settings they came in under, also when
    # they have not said who they are yet: the gateway must still learn whether that user is an
    # IAM user through the replaced settings' monitor, not refuse them (57P03).
    def monitors():
        return int(pg.sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'iamdb gateway monitor'"))

    with instance_of_its_own(iamdb, pg, "pg-change") as port:
        token = token_from_iamdb(alice, port, "alice")
        others = monitors()  # other instances' monitors; this one has none before its first log-in
        waiting = {}
        for user in ("alice", "bob", "carol"):
            raw = RawClient(port)
            raw.start_tls(iamdb.ca)  # TLS done, no startup message yet
            waiting[user] = raw
        try:
            before = iamdb.log().count("gateway pg-change: new settings in use")
            iamdb_cli(iamdb, "instance", "modify", "--id", "pg-change", "--pool-idle-timeout", "123")
            wait_until(lambda: iamdb.log().count("gateway pg-change: new settings in use") > before,
                       "the new gateway settings")
            # An IAM user is asked for a token (AuthenticationCleartextPassword) and gets in.
            raw = waiting["alice"]
            raw.startup("alice")
            kind, body = raw.message()
            assert (kind, body) == (b"R", struct.pack("!I", 3)), (kind, body, iamdb.log())
            raw.password(token)
            while kind != b"Z":
                kind, body = raw.message()
                assert kind != b"E", error_fields(body)
            assert raw.query("SELECT current_user") == ["alice"]
            # A password user's log-in is relayed to the backend, which asks for SCRAM (AuthenticationSASL).
            raw = waiting["bob"]
            raw.startup("bob")
            kind, body = raw.message()
            assert (kind, body[:4]) == (b"R", struct.pack("!I", 10)), (kind, body, iamdb.log())
            # Another IAM user, classified from the list the first one fetched.
            raw = waiting["carol"]
            raw.startup("carol")
            assert raw.message() == (b"R", struct.pack("!I", 3))
            # The replaced settings' monitor does not stay connected.
            wait_until(lambda: monitors() == others, "the replaced settings' monitor connection closed")
            # New clients use the new settings.
            fresh = log_in(port, "alice", token, iamdb.ca)
            assert isinstance(fresh, RawClient), fresh
            fresh.close()
        finally:
            for raw in waiting.values():
                raw.close()


def test_a_listen_address_another_process_holds_with_so_reuseport_is_refused_not_shared(iamdb, alice, pg):
    # The kernel would let this process join the gateway's SO_REUSEPORT group (same user) and take a
    # share of its clients; the gateway refuses the address instead, and says why.
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    squatter.bind((HOST, 0))
    squatter.listen(16)
    taken = squatter.getsockname()[1]
    try:
        with instance_of_its_own(iamdb, pg, "pg-shared") as port:
            iamdb_cli(iamdb, "instance", "modify", "--id", "pg-shared", "--gateway-listen", f"{HOST}:{taken}",
                      "--endpoint", f"{HOST}:{taken}")
            refusal = f"gateway pg-shared: cannot listen on {HOST}:{taken}: another process listens there too"
            wait_until(lambda: refusal in iamdb.log(), "the refusal of the shared address")
            assert f"gateway pg-shared: listening on {HOST}:{taken}" not in iamdb.log()
            # Every connection to the address reaches the other process: the gateway holds no socket there.
            squatter.settimeout(5)
            for _ in range(8):
                client = socket.create_connection((HOST, taken), timeout=5)
                accepted, _ = squatter.accept()
                accepted.close()
                client.close()
            # An address of its own still works, and the instance serves there.
            free = env.free_port()
            iamdb_cli(iamdb, "instance", "modify", "--id", "pg-shared", "--gateway-listen", f"{HOST}:{free}",
                      "--endpoint", f"{HOST}:{free}")
            wait_until(lambda: f"gateway pg-shared: listening on {HOST}:{free}" in iamdb.log(), "the new listener")
            # A loopback address steers new connections by CPU (cpu_steering's default) when each
            # worker (one per core) has a CPU of its own to name.
            line = next(line for line in iamdb.log().splitlines()
                        if f"gateway pg-shared: listening on {HOST}:{free}" in line)
            steered = len(os.sched_getaffinity(0)) >= os.cpu_count()
            assert ("new connections steered to the worker of their CPU" in line) == steered, line
            result = psql(free, "alice", token_from_iamdb(alice, free, "alice"), iamdb.ca)
            assert (result.returncode, result.stdout.strip()) == (0, "alice"), result.stderr
            assert port != free
    finally:
        squatter.close()


# ---------------------------------------------------------------------------------- rate limits


def test_one_instances_new_connection_rate_limit_leaves_another_instance_alone(iamdb, alice, pg):
    with instance_of_its_own(iamdb, pg, "pg-tight", "--max-new-connections-per-second", "1") as tight, \
            instance_of_its_own(iamdb, pg, "pg-roomy", "--max-new-connections-per-second", "50") as roomy:
        token = token_from_iamdb(alice, roomy, "alice")
        iamdb.audit.mark()
        # A burst to both, interleaved: connections opened together, each instance's admission
        # decided as it accepts them. Without TLS, admitted clients get 28000, refused ones 53400.
        burst = []
        for n in range(6):
            burst += [("pg-tight", RawClient(tight, timeout=10)), ("pg-roomy", RawClient(roomy, timeout=10))]
        codes = {"pg-tight": [], "pg-roomy": []}
        for instance_id, raw in burst:
            raw.sock.sendall(startup_bytes("alice"))
            codes[instance_id].append(raw.error())
            raw.close()
        # (Whether the first of the burst is let in depends on how long ago the listener's
        # readiness probe took the bucket's only token.)
        tight_codes = [f["C"] for f in codes["pg-tight"]]
        assert "53400" in tight_codes and set(tight_codes) <= {"28000", "53400"}, codes["pg-tight"]
        refused = next(f for f in codes["pg-tight"] if f["C"] == "53400")
        assert refused["M"] == "instance pg-tight accepts at most 1 new connections per second; try again", refused
        assert [f["C"] for f in codes["pg-roomy"]] == ["28000"] * 6, codes["pg-roomy"]
        # The other instance goes on logging clients in.
        result = psql(roomy, "alice", token, iamdb.ca)
        assert (result.returncode, result.stdout.strip()) == (0, "alice"), result.stderr
        end = iamdb.audit.session_end("rate_limited")
        assert (end["instance"], end["outcome"]) == ("pg-tight", "denied"), end
        assert not [e for e in iamdb.audit.since_mark() if e["kind"] == "session_end" and
                    e["reason"] == "rate_limited" and e["instance"] != "pg-tight"]
