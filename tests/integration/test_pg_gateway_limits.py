"""The PostgreSQL gateway's server-wide admission limits, with settings small enough to reach.

The same PostgreSQL, instance and clients as test_pg_gateway.py (its fixtures and helpers are
reused), but an iamdb server whose `[gateway]` settings block a source address after 3 failed
log-ins within 2 seconds, for 3 seconds, and admit at most 5 clients at once. Each throttling
case fails from its own loopback address (127.0.0.2, 127.0.0.3, ...), so that the cases do not
share a count and the other addresses show who is not affected.
"""
import base64
import os
import secrets
import shutil
import socket
import struct
import tempfile
import time
from pathlib import Path

import pytest

from lib.iamdb import IamdbServer
# The fixtures alice, pam_service, pg and gateway of test_pg_gateway.py, used here with this
# module's `iamdb`.
from test_pg_gateway import (ACCOUNT, HOST, REGION, Audit, RawClient, alice, error_fields, gateway,  # noqa: F401
                             metric, pam_service, pg, psql, raw_login, token_from_iamdb, wait_until)

FAILURES = 3
WINDOW_S = 2
BLOCK_S = 3
MAX_CLIENTS = 5


@pytest.fixture(scope="module")
def iamdb():
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres",
                "gateway.auth_failures": FAILURES,
                "gateway.auth_failure_window_seconds": WINDOW_S,
                "gateway.auth_block_seconds": BLOCK_S,
                "gateway.max_clients": MAX_CLIENTS,
                "gateway.startup_timeout_seconds": 3}
    try:
        with IamdbServer(account_id=ACCOUNT, region=REGION, settings=settings) as server:
            server.audit = Audit(server.data_dir / "audit.log")
            server.ca = server.data_dir / "tls" / "ca.pem"
            yield server
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------- failures


def fail_with_a_wrong_token(port, ca, source):
    raw = RawClient(port, source=source)
    try:
        raw.start_tls(ca)
        raw.startup("alice")
        raw.message()  # AuthenticationCleartextPassword
        raw.password("not-a-token")
        assert raw.error()["C"] == "28000"
    finally:
        raw.close()


def fail_with_a_wrong_password(port, ca, source):
    """bob's SCRAM exchange, relayed to PostgreSQL, with a proof that cannot be right."""
    raw = RawClient(port, source=source)
    try:
        raw.start_tls(ca)
        raw.startup("bob")
        kind, body = raw.message()
        assert (kind, struct.unpack("!I", body[:4])[0]) == (b"R", 10), body  # AuthenticationSASL
        nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        first = f"n,,n=,r={nonce}".encode()
        mechanism = b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first
        raw.sock.sendall(b"p" + struct.pack("!I", len(mechanism) + 4) + mechanism)
        kind, body = raw.message()
        assert (kind, struct.unpack("!I", body[:4])[0]) == (b"R", 11), body  # AuthenticationSASLContinue
        server_first = dict(part.split("=", 1) for part in body[4:].decode().split(","))
        proof = base64.b64encode(bytes(32)).decode()
        final = f"c=biws,r={server_first['r']},p={proof}".encode()
        raw.sock.sendall(b"p" + struct.pack("!I", len(final) + 4) + final)
        assert raw.error()["C"] == "28P01"
    finally:
        raw.close()


def fail_with_an_unknown_cancel_key(port, ca, source):
    s = socket.create_connection((HOST, port), timeout=10, source_address=(source, 0))
    try:
        s.sendall(struct.pack("!IIII", 16, 80877102, secrets.randbits(31), secrets.randbits(32)))
        assert s.recv(1) == b""  # closed, as the postmaster closes it
    finally:
        s.close()


def blocked_refusal(port, ca, source, user="alice"):
    """The error a client from `source` gets once it has sent its startup packet over TLS, or
    None when it is asked to authenticate."""
    raw = RawClient(port, source=source)
    try:
        raw.start_tls(ca)
        raw.startup(user)
        kind, body = raw.message()
        if kind != b"E":
            return None
        return error_fields(body)
    finally:
        raw.close()


def logs_in(port, token, ca, source):
    try:
        raw = raw_login(port, "alice", token, ca, source=source)
    except (AssertionError, EOFError, ConnectionError):
        return False
    try:
        return raw.query("SELECT current_user") == ["alice"]
    finally:
        raw.close()


FAILURE_KINDS = [
    # (case, source address, one failed attempt, the server log's line when it blocks)
    ("wrong tokens", "127.0.0.2", fail_with_a_wrong_token, "gateway: 127.0.0.2 is blocked for 3s after 3 failed log-ins"),
    ("wrong passwords of a password user", "127.0.0.3", fail_with_a_wrong_password,
     "gateway: 127.0.0.3 is blocked for 3s after 3 failed log-ins"),
    ("unknown cancel keys", "127.0.0.4", fail_with_an_unknown_cancel_key,
     "gateway: 127.0.0.4 is blocked after repeated failures (cancel keys)"),
]


@pytest.mark.parametrize("case,source,fail_once,logged", FAILURE_KINDS, ids=[k[0] for k in FAILURE_KINDS])
def test_repeated_failures_block_the_source_address_for_a_while(iamdb, alice, gateway, case, source, fail_once,
                                                                logged):
    token = token_from_iamdb(alice, gateway, "alice")
    for attempt in range(FAILURES - 1):
        fail_once(gateway, iamdb.ca, source)
    assert blocked_refusal(gateway, iamdb.ca, source) is None, "blocked before the last failure"
    iamdb.audit.mark()
    fail_once(gateway, iamdb.ca, source)
    # A relayed failure is counted when the backend's refusal has gone by, which may be just
    # after the client read it: the block is in force once the server has logged it.
    wait_until(lambda: logged in iamdb.log(), f"the log line {logged!r}")

    # Blocked: even with a valid token, and for every user; told why, with its own SQLSTATE.
    for user in ("alice", "bob"):
        fields = blocked_refusal(gateway, iamdb.ca, source, user)
        assert fields is not None, user
        assert (fields["S"], fields["C"]) == ("FATAL", "08004"), (user, fields)
        message = fields["M"]
        assert message.startswith(f"too many failed log-ins from {source}; try again in "), message
        assert 0 < int(message.split("try again in ")[1].split()[0]) <= BLOCK_S, message
    end = iamdb.audit.wait_for(lambda e: e["kind"] == "session_end" and e["reason"] == "source_blocked" and
                               e["source"] == source, "session_end source_blocked")
    assert (end["outcome"], end["source"], end["instance"]) == ("denied", source, "pg-gw"), end
    assert end["detail"].startswith(f"too many failed log-ins from {source}"), end

    # Other addresses are not affected.
    assert logs_in(gateway, token, iamdb.ca, "127.0.0.1")
    assert logs_in(gateway, token, iamdb.ca, "127.0.0.10")
    assert psql(gateway, "bob", "bob-secret", iamdb.ca).stdout.strip() == "bob"

    # The block ends after auth_block_seconds.
    wait_until(lambda: logs_in(gateway, token, iamdb.ca, source), f"{source} let in again", timeout=BLOCK_S + 7)


def test_failures_further_apart_than_the_window_or_cleared_by_a_log_in_do_not_block(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    source = "127.0.0.5"
    for attempt in range(FAILURES - 1):
        fail_with_a_wrong_token(gateway, iamdb.ca, source)
    assert logs_in(gateway, token, iamdb.ca, source)  # a log-in clears the count
    for attempt in range(FAILURES - 1):
        fail_with_a_wrong_token(gateway, iamdb.ca, source)
    time.sleep(WINDOW_S + 0.2)  # the window of those failures passes
    fail_with_a_wrong_token(gateway, iamdb.ca, source)
    assert blocked_refusal(gateway, iamdb.ca, source) is None
    assert logs_in(gateway, token, iamdb.ca, source)
    assert f"{source} is blocked" not in iamdb.log()


# ---------------------------------------------------------------------------------- clients


def test_the_client_limit_refuses_one_more_with_53300_until_a_client_leaves(iamdb, alice, gateway):
    token = token_from_iamdb(alice, gateway, "alice")
    # Clients of earlier tests have gone (the gauge is published once a second).
    wait_until(lambda: metric(iamdb, "iamdb_gateway_connections") == 0.0, "no gateway connections")
    holders = []
    try:
        for n in range(MAX_CLIENTS):
            holders.append(raw_login(gateway, "alice", token, iamdb.ca))
        iamdb.audit.mark()
        raw = RawClient(gateway)
        try:
            raw.start_tls(iamdb.ca)
            raw.startup("alice")
            fields = raw.error()
            assert (fields["S"], fields["C"], fields["M"]) == ("FATAL", "53300", "sorry, too many clients already"), \
                fields
            assert raw.closed_by_server()
        finally:
            raw.close()
        end = iamdb.audit.session_end("too_many_clients")
        assert (end["outcome"], end["source"]) == ("denied", HOST), end
        for holder in holders:
            assert holder.query("SELECT current_user") == ["alice"]  # the admitted ones go on
        holders.pop().close()
        wait_until(lambda: logs_in(gateway, token, iamdb.ca, HOST), "a client let in after one left")
    finally:
        for holder in holders:
            holder.close()
