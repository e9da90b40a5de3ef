"""The iamdb server as issue 4 checks it: verify RPC decisions for tokens made by the real AWS
CLIs (long-term keys and assumed roles), each refusal with its reason in the audit log; crash
safety of acknowledged API writes; bad input of every kind; lifecycle (SIGTERM, a second start)."""
import json
import os
import socket
import sqlite3
import stat
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.verify_rpc import exchange, verify

DB_HOST = "orders.db.internal"
DB_PORT = 5432
OTHER_HOST = "other.db.internal"


def audit_reasons(server, request_ids):
    """request id -> reason, from `iamdb audit --json`, once the audit thread has written them."""
    deadline = time.monotonic() + 10
    while True:
        out = server.iamdb("audit", "--data-dir", server.data_dir, "--kind", "connect", "--json", "--limit", "1000").stdout
        events = {e["request_id"]: e for e in map(json.loads, out.splitlines())}
        if all(r in events for r in request_ids) or time.monotonic() > deadline:
            return {r: events.get(r, {}).get("reason") for r in request_ids}
        time.sleep(0.2)


def cli_token(server, cli, profile, user, host=DB_HOST, port=DB_PORT, extra_env=None):
    """A token made by a real AWS CLI with `profile`'s credentials."""
    result = env.run([cli, "rds", "generate-db-auth-token", "--hostname", host, "--port", str(port), "--username",
                      user, "--region", server.region], env={**server.aws_env(profile), **(extra_env or {})})
    return result.stdout.strip()


@pytest.fixture(scope="module")
def world():
    """A server with two IAM-enabled instances, user alice with a key and a policy allowing
    rds-db:connect as db user alice on `orders`, and a role alice may assume that allows the same."""
    with IamdbServer() as server:
        rds = server.client("rds")
        iam = server.client("iam")
        orders = rds.create_db_instance(DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro",
                                        Tags=[{"Key": "iamdb:endpoint", "Value": f"{DB_HOST}:{DB_PORT}"}],
                                        EnableIAMDatabaseAuthentication=True)["DBInstance"]
        rds.create_db_instance(DBInstanceIdentifier="other", Engine="postgres", DBInstanceClass="db.t3.micro",
                               Tags=[{"Key": "iamdb:endpoint", "Value": f"{OTHER_HOST}:{DB_PORT}"}],
                               EnableIAMDatabaseAuthentication=True)
        resource = f"arn:aws:rds-db:{server.region}:{server.account_id}:dbuser:{orders['DbiResourceId']}/alice"
        allow = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": [resource,
                                f"arn:aws:rds-db:{server.region}:{server.account_id}:dbuser:*/bob"]}]}
        policy_arn = iam.create_policy(PolicyName="orders-alice", PolicyDocument=json.dumps(allow))["Policy"]["Arn"]
        iam.create_user(UserName="alice")
        iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn)
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        server.add_profile("alice", key["AccessKeyId"], key["SecretAccessKey"])
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:user/alice"}}]}
        iam.create_role(RoleName="db-login", AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName="db-login", PolicyArn=policy_arn)
        iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
        server.alice_key = key
        server.policy_arn = policy_arn
        yield server


@pytest.mark.parametrize("cli", env.aws_clis())
def test_cli_tokens_are_allowed_and_precisely_refused(world, cli):
    token = cli_token(world, cli, "alice", "alice")
    ok = verify(world.verify_socket, "orders", "alice", token)
    assert ok["allow"] is True and ok["reason"] == "allowed"
    assert ok["principal"] == f"arn:aws:iam::{world.account_id}:user/alice"
    refusals = {
        "user_mismatch": verify(world.verify_socket, "orders", "bob", token),
        "endpoint_mismatch": verify(world.verify_socket, "other", "alice", token),
        "tls_required": verify(world.verify_socket, "orders", "alice", token, tls=False),
        "unknown_instance": verify(world.verify_socket, "nope", "alice", token),
        "policy_implicit_deny": verify(world.verify_socket, "other", "alice",
                                       cli_token(world, cli, "alice", "alice", host=OTHER_HOST)),
    }
    for reason, answer in refusals.items():
        assert answer["allow"] is False and answer["reason"] == reason, answer
    logged = audit_reasons(world, [a["request_id"] for a in refusals.values()] + [ok["request_id"]])
    assert logged[ok["request_id"]] == "allowed"
    for reason, answer in refusals.items():
        assert logged[answer["request_id"]] == reason


def test_assumed_role_tokens(world):
    sts = world.client("sts", (world.alice_key["AccessKeyId"], world.alice_key["SecretAccessKey"]))
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{world.account_id}:role/db-login",
                            RoleSessionName="ci-7")["Credentials"]
    world.add_profile("alice-role", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    caller = world.aws_json("sts", "get-caller-identity", profile="alice-role")
    assert caller["Arn"] == f"arn:aws:sts::{world.account_id}:assumed-role/db-login/ci-7"
    for cli in env.aws_clis():
        token = cli_token(world, cli, "alice-role", "alice")
        answer = verify(world.verify_socket, "orders", "alice", token)
        assert answer["allow"] is True, answer
        assert answer["principal"] == caller["Arn"]
    # The same key without its session token, or with another one, is refused.
    world.add_profile("alice-role-forged", creds["AccessKeyId"], creds["SecretAccessKey"], "forged-session-token")
    forged = verify(world.verify_socket, "orders", "alice", cli_token(world, env.DEBIAN_AWS, "alice-role-forged", "alice"))
    assert forged["reason"] == "invalid_session_token"


def test_role_arn_profile_through_iamdb_cli(world, tmp_path):
    """iamdb generate-db-auth-token assumes a profile's role_arn against endpoint_url, as the AWS CLI
    would, and caches the temporary credentials."""
    config = tmp_path / "config"
    config.write_text(
        f"[profile alice]\naws_access_key_id = {world.alice_key['AccessKeyId']}\n"
        f"aws_secret_access_key = {world.alice_key['SecretAccessKey']}\nregion = {world.region}\n"
        f"[profile db]\nrole_arn = arn:aws:iam::{world.account_id}:role/db-login\nsource_profile = alice\n"
        f"role_session_name = iamdb-test\nregion = {world.region}\nendpoint_url = {world.endpoint}\n")
    run_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(config),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    tokens = [env.run([str(env.IAMDB_BIN), "generate-db-auth-token", "--profile", "db", "--hostname", DB_HOST,
                       "--port", str(DB_PORT), "--username", "alice"], env=run_env).stdout.strip() for _ in range(2)]
    assert len(list((tmp_path / ".cache" / "iamdb" / "sts").glob("*.json"))) == 1
    for token in tokens:
        answer = verify(world.verify_socket, "orders", "alice", token)
        assert answer["allow"] is True, answer
        assert answer["principal"].endswith(":assumed-role/db-login/iamdb-test")


def test_changes_take_effect_at_once(world):
    iam = world.client("iam")
    rds = world.client("rds")
    token = cli_token(world, env.DEBIAN_AWS, "alice", "alice")
    assert verify(world.verify_socket, "orders", "alice", token)["allow"] is True
    # A matching explicit Deny wins.
    iam.put_user_policy(UserName="alice", PolicyName="deny", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "rds-db:*", "Resource": "*"}]}))
    denied = verify(world.verify_socket, "orders", "alice", token)
    iam.delete_user_policy(UserName="alice", PolicyName="deny")
    # The instance's IAM switch.
    rds.modify_db_instance(DBInstanceIdentifier="orders", EnableIAMDatabaseAuthentication=False)
    switched_off = verify(world.verify_socket, "orders", "alice", token)
    rds.modify_db_instance(DBInstanceIdentifier="orders", EnableIAMDatabaseAuthentication=True)
    assert verify(world.verify_socket, "orders", "alice", token)["allow"] is True
    # The key made Inactive: refused by the very next check, no restart.
    iam.update_access_key(UserName="alice", AccessKeyId=world.alice_key["AccessKeyId"], Status="Inactive")
    inactive = verify(world.verify_socket, "orders", "alice", token)
    iam.update_access_key(UserName="alice", AccessKeyId=world.alice_key["AccessKeyId"], Status="Active")
    assert verify(world.verify_socket, "orders", "alice", token)["allow"] is True
    answers = {"policy_explicit_deny": denied, "iam_disabled": switched_off, "inactive_access_key": inactive}
    logged = audit_reasons(world, [a["request_id"] for a in answers.values()])
    for reason, answer in answers.items():
        assert answer["allow"] is False and answer["reason"] == reason, answer
        assert logged[answer["request_id"]] == reason


def test_expired_role_session_is_refused():
    """A role session outlives neither its expiry nor the server's clock: the server runs with a
    clock we move forward (libfaketime reading an offset from a file)."""
    with tempfile.TemporaryDirectory() as tmp:
        offset = Path(tmp) / "offset"
        offset.write_text("+0\n")
        fake = {"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                "FAKETIME_TIMESTAMP_FILE": str(offset), "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        with IamdbServer(server_env=fake) as server:
            iam = server.client("iam")
            server.client("rds").create_db_instance(
                DBInstanceIdentifier="orders", Engine="postgres", DBInstanceClass="db.t3.micro",
                Tags=[{"Key": "iamdb:endpoint", "Value": f"{DB_HOST}:{DB_PORT}"}], EnableIAMDatabaseAuthentication=True)
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                     "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"}}]}
            iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
            iam.put_role_policy(RoleName="r", PolicyName="c", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": "*"}]}))
            creds = server.client("sts").assume_role(RoleArn=f"arn:aws:iam::{server.account_id}:role/r",
                                                     RoleSessionName="short", DurationSeconds=900)["Credentials"]
            server.add_profile("short", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
            assert verify(server.verify_socket, "orders", "app", cli_token(server, env.DEBIAN_AWS, "short", "app"))["allow"]
            # 16 minutes later for the server; the token is made at that time too.
            offset.write_text("+16m\n")
            late = cli_token(server, env.DEBIAN_AWS, "short", "app",
                             extra_env={k: v for k, v in fake.items() if k != "FAKETIME_DONT_FAKE_MONOTONIC"})
            answer = verify(server.verify_socket, "orders", "app", late)
            assert answer["allow"] is False and answer["reason"] == "session_expired", answer
            assert audit_reasons(server, [answer["request_id"]])[answer["request_id"]] == "session_expired"
            offset.write_text("+0\n")


def test_acknowledged_writes_survive_sigkill():
    with IamdbServer() as server:
        iam = server.client("iam")
        acknowledged = []
        stop = threading.Event()

        def burst(worker):
            n = 0
            while not stop.is_set():
                name = f"crash-{worker}-{n}"
                try:
                    iam.create_user(UserName=name)
                except Exception:  # the server died under us: that write was never acknowledged
                    return
                acknowledged.append(name)
                n += 1

        threads = [threading.Thread(target=burst, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        while len(acknowledged) < 40:
            time.sleep(0.01)
        server.kill()
        stop.set()
        for t in threads:
            t.join()
        with sqlite3.connect(server.data_dir / "iamdb.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        server.restart()
        names = {u["UserName"] for page in server.client("iam").get_paginator("list_users").paginate()
                 for u in page["Users"]}
        missing = [n for n in acknowledged if n not in names]
        assert not missing, f"{len(missing)} acknowledged users lost: {missing[:5]}"


def http(endpoint, method="POST", body=b"", headers=None):
    request = urllib.request.Request(endpoint + "/", data=body if method == "POST" else None, method=method,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def signed(server, body, secret=None):
    """Headers of a SigV4-signed form POST, signed with the admin key (or a wrong secret)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(server.admin[0], secret or server.admin[1]), "iam", server.region).add_auth(request)
    return dict(request.headers.items())


def test_bad_input_gets_aws_errors_and_others_keep_being_served():
    settings = {"api.header_timeout_seconds": 2, "api.body_timeout_seconds": 2, "api.max_body_bytes": 4096}
    with IamdbServer(settings=settings) as server:
        ep = server.endpoint
        body = b"Action=ListUsers&Version=2010-05-08"
        assert http(ep, body=body, headers=signed(server, body))[0] == 200
        status, text = http(ep, body=body)
        assert status == 403 and "<Code>MissingAuthenticationToken</Code>" in text, text
        status, text = http(ep, body=body, headers=signed(server, body, secret="wrong" * 8))
        assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
        garbage = b"Action=ListUsers&%zz=1"
        status, text = http(ep, body=garbage, headers=signed(server, garbage))
        assert status == 400 and "<Code>MalformedQueryString</Code>" in text, text
        unknown = b"Action=LaunchMissiles&Version=2010-05-08"
        status, text = http(ep, body=unknown, headers=signed(server, unknown))
        assert status == 400 and "<Code>InvalidAction</Code>" in text
        big = b"Action=ListUsers&Pad=" + b"x" * 10000
        assert http(ep, body=big, headers=signed(server, big))[0] == 413
        tampered = signed(server, body)
        assert http(ep, body=body + b"&Extra=1", headers=tampered)[0] == 403

        host, port = ep.removeprefix("http://").split(":")
        slow = socket.create_connection((host, int(port)))
        raw = socket.create_connection((host, int(port)))
        raw.sendall(b"\x16\x03\x01garbage that is not HTTP\r\n\r\n")
        started = time.monotonic()
        closed = False
        for byte in b"POST / HTTP/1.1\r\nHost: x\r\n":
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            # Others are served while the slow client trickles.
            with urllib.request.urlopen(ep + "/healthz", timeout=5) as r:
                assert r.status == 200
            time.sleep(0.25)
            if time.monotonic() - started > 6:
                break
        slow.settimeout(5)
        try:
            closed = closed or slow.recv(1) == b""
        except OSError:
            closed = True
        assert closed, "a client sending a byte every 250 ms must be cut off after the header timeout"
        raw.close()
        slow.close()

        # The verify RPC: garbage, a line over 16 KiB, a half line then close.
        assert exchange(server.verify_socket, b"not json\n")["reason"] == "malformed_request"
        assert exchange(server.verify_socket, b"x" * 20000)["reason"] == "request_too_large"
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(server.verify_socket)
            s.sendall(b'{"v":1,')
        assert http(ep, body=body, headers=signed(server, body))[0] == 200


def test_lifecycle_second_start_refused_and_sigterm_drains():
    with IamdbServer() as server:
        second = server.start_second()
        assert second.returncode != 0
        assert "already running" in second.stderr, second.stderr
        # stop() (on leaving the block) sends SIGTERM and requires exit status 0.


def test_verify_socket_in_the_data_dir_reaches_the_database_group():
    """`iamdb init` makes the data directory 0711: the database's OS group passes through to the
    default socket (0660, [verify] socket_group) but lists nothing; when a directory above it is
    closed to that group, the server says so at start."""
    with IamdbServer(settings={"verify.socket_group": "postgres"}) as server:
        assert stat.S_IMODE(os.stat(server.data_dir).st_mode) == 0o711
        assert stat.S_IMODE(os.stat(server.data_dir / "master.key").st_mode) == 0o600
        assert f"group postgres cannot reach the verify socket: {server.base} is not searchable" in server.log()
        os.chmod(server.base, 0o755)
        probe = "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print('reached')"
        reached = env.run(["runuser", "-u", "postgres", "--", env.SYSTEM_PYTHON, "-c", probe, server.verify_socket])
        assert reached.stdout.strip() == "reached"
        listing = env.run(["runuser", "-u", "postgres", "--", "ls", str(server.data_dir)], check=False)
        assert listing.returncode != 0
