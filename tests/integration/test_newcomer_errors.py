"""The errors a newcomer meets in the first hour say what is wrong and what to do (issue 6).

Each case runs the real command the way a person would and checks that the message names the
thing that is wrong (the path, the address, the instance) and the next step (the command or
setting that fixes it): a missing data directory, a port in use, an iamdb server that is not
running, `iamdb connect` to an unknown instance, to one with IAM off, to a database that is not
running, without psql installed, `iamdb setup ... --apply-sql` with no database server, and a
token for the wrong endpoint (the client sees the generic refusal, the audit log says why and
what to change). `iamdb connect` also logs in for real through PostgreSQL's pam_iamdb.so.
"""
import json
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.postgres import PAM_DIR, PostgreSQL
from lib.tls import make_server_tls

PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
REGION = "us-east-1"
HOST = "127.0.0.1"
INSTANCE = "orders"
DB_USER = "app"


def iamdb(*args, environment=None, timeout=60):
    return env.run([str(env.IAMDB_BIN), *map(str, args)], check=False, env=environment, timeout=timeout)


def assert_says(result, *phrases):
    """The command failed and its standard error contains every phrase."""
    assert result.returncode != 0, f"succeeded:\n{result.stdout}{result.stderr}"
    for phrase in phrases:
        assert phrase in result.stderr, f"{phrase!r} not in:\n{result.stderr}"


def dead_port():
    """A loopback port nothing listens on (as a stopped database's)."""
    return env.free_port()


# ------------------------------------------------------------------------- the data directory


def test_a_missing_data_directory():
    assert_says(iamdb("server", "--data-dir", "/nope"), "/nope", "iamdb init --data-dir /nope")
    assert_says(iamdb("audit", "--data-dir", "/nope"), "/nope/iamdb.toml does not exist", "iamdb init")
    assert_says(iamdb("instance", "list", "--data-dir", "/nope"), "/nope/credentials does not exist", "iamdb init")


# ------------------------------------------------------------------------- a port in use


@pytest.fixture
def data_dir_on(tmp_path):
    """`iamdb init` for a server that will listen on the given port."""
    def init(port):
        data_dir = tmp_path / f"data-{port}"
        env.run([str(env.IAMDB_BIN), "init", "--data-dir", data_dir, "--api-listen", f"{HOST}:{port}"])
        return data_dir
    return init


def test_a_port_another_program_holds(data_dir_on):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = iamdb("server", "--data-dir", data_dir_on(port), timeout=30)
    assert_says(result, f"cannot listen on {HOST}:{port}: Address already in use", "stop it",
                "[api] listen in iamdb.toml")


def test_a_port_another_iamdb_server_holds(data_dir_on):
    with IamdbServer() as first:
        port = int(first.endpoint.rsplit(":", 1)[1])
        result = iamdb("server", "--data-dir", data_dir_on(port), timeout=30)
        assert_says(result, f"cannot listen on {HOST}:{port}: Address already in use", "another iamdb server")
        # The first server is unharmed.
        assert first.aws_json("iam", "get-user")["User"]["UserName"] == "admin"


# ------------------------------------------------------------------------- iamdb connect


@pytest.fixture(scope="module")
def daemon():
    """An iamdb server whose verify socket PostgreSQL's `postgres` user can reach; IAM user
    app-service may connect as database user `app` and look instances up (what `iamdb connect`
    needs), IAM user connect-only may only connect."""
    socket_dir = Path(tempfile.mkdtemp(prefix="iamdb-verify-"))
    os.chmod(socket_dir, 0o755)
    settings = {"verify.socket": str(socket_dir / "verify.sock"), "verify.socket_group": "postgres"}
    try:
        with IamdbServer(region=REGION, settings=settings) as server:
            connect = {"Effect": "Allow", "Action": "rds-db:connect",
                       "Resource": f"arn:aws:rds-db:{REGION}:{server.account_id}:dbuser:*/{DB_USER}"}
            describe = {"Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": "*"}
            server.app_key = make_user(server, "app-service", [connect, describe])
            server.connect_only_key = make_user(server, "connect-only", [connect])
            yield server
    finally:
        shutil.rmtree(socket_dir, ignore_errors=True)


def make_user(server, name, statements):
    """An IAM user with an inline policy of `statements`; returns its access key."""
    server.aws("iam", "create-user", "--user-name", name)
    server.aws("iam", "put-user-policy", "--user-name", name, "--policy-name", "access", "--policy-document",
               json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = server.aws_json("iam", "create-access-key", "--user-name", name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def app_environment(daemon, path=None, endpoint=True, key=None):
    """The application identity's environment: its access key, the server's API, nothing else."""
    key_id, secret = key or daemon.app_key
    environment = {"PATH": path or os.environ["PATH"], "HOME": str(daemon.base / "home"), "LANG": "C.UTF-8",
                   "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": REGION,
                   "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    if endpoint:
        environment["AWS_ENDPOINT_URL"] = daemon.endpoint
    return environment


def register(daemon, instance, endpoint, engine="postgres", iam=True):
    daemon.iamdb("instance", "add", "--data-dir", daemon.data_dir, "--id", instance, "--engine", engine,
                 "--endpoint", endpoint, *(["--enable-iam"] if iam else []))


@pytest.fixture(scope="module")
def pg(daemon, tmp_path_factory):
    """PostgreSQL with TLS and pam_iamdb.so, user `app` in rds_iam, registered as `orders`."""
    assert PAM_MODULE.exists(), f"build the PAM module first: {PAM_MODULE}"
    service = f"iamdb-newcomer-{os.getpid()}"
    with PostgreSQL(tls=make_server_tls(tmp_path_factory.mktemp("tls"))) as server:
        try:
            iamdb("setup", "postgres", "--instance", INSTANCE, "--data-dir", daemon.data_dir,
                  "--module", server.copy_into(PAM_MODULE), "--pam-service", service, "--apply", server.datadir,
                  "--apply-sql", "--host", server.socket_dir, "--port", server.port, "--user", "postgres")
            server.sql(f"CREATE USER {DB_USER}; GRANT rds_iam TO {DB_USER}")
            register(daemon, INSTANCE, f"{HOST}:{server.port}")
            yield server
        finally:
            (PAM_DIR / service).unlink(missing_ok=True)


def connect(daemon, pg, *extra, instance=INSTANCE, environment=None):
    return iamdb("connect", "--instance", instance, "--user", DB_USER, "--ssl-ca", pg.tls.ca_cert, "--",
                 "-X", "-A", "-t", "-c", "SELECT current_user", *extra,
                 environment=environment or app_environment(daemon))


def test_connect_logs_in_with_a_fresh_token(daemon, pg):
    result = connect(daemon, pg)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == DB_USER
    assert "not verified" not in result.stderr  # --ssl-ca given: psql verified the certificate


def test_connect_warns_when_the_certificate_is_not_verified(daemon, pg):
    result = iamdb("connect", "--instance", INSTANCE, "--user", DB_USER, "--", "-X", "-A", "-t", "-c",
                   "SELECT 1", environment=app_environment(daemon))
    assert result.returncode == 0, result.stderr
    assert "the server's certificate is not verified; give --ssl-ca CA.pem" in result.stderr


def test_connect_to_an_unknown_instance(daemon, pg):
    assert_says(connect(daemon, pg, instance="ordres"),
                f"instance ordres is not registered with the iamdb server at {daemon.endpoint}",
                "iamdb instance list", "iamdb instance add --id ordres")


def test_connect_with_an_identity_that_may_only_connect(daemon, pg):
    assert_says(connect(daemon, pg, environment=app_environment(daemon, key=daemon.connect_only_key)),
                "(AccessDenied)", "rds:DescribeDBInstances", "allow that action to this identity")


def test_connect_to_an_instance_with_iam_off(daemon, pg):
    register(daemon, "legacy", f"{HOST}:{pg.port}", iam=False)
    assert_says(connect(daemon, pg, instance="legacy"), "IAM database authentication is off for legacy",
                "aws rds modify-db-instance --db-instance-identifier legacy --enable-iam-database-authentication")


def test_connect_to_a_database_that_is_not_running(daemon, pg):
    port = dead_port()
    register(daemon, "stopped", f"{HOST}:{port}")
    assert_says(connect(daemon, pg, instance="stopped"),
                f"cannot reach {HOST} port {port}, the endpoint registered for stopped (Connection refused)",
                "is the database server running there?", "iamdb instance modify --id stopped --endpoint HOST:PORT")


def test_connect_without_psql_installed(daemon, pg, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    assert_says(connect(daemon, pg, environment=app_environment(daemon, path=str(empty))),
                "cannot run psql", "install postgresql-client")


def test_connect_without_a_running_iamdb_server(daemon, pg):
    environment = app_environment(daemon)
    environment["AWS_ENDPOINT_URL"] = f"http://{HOST}:{dead_port()}"
    assert_says(connect(daemon, pg, environment=environment), "Connection refused", "is `iamdb server` running?")


def test_connect_without_saying_which_iamdb_server(daemon, pg):
    assert_says(connect(daemon, pg, environment=app_environment(daemon, endpoint=False)),
                "which iamdb server?", "--endpoint-url", "AWS_ENDPOINT_URL")


def test_connect_passes_awkward_values_to_psql_intact(daemon, pg, tmp_path):
    """A CA path with a space and a quote reaches libpq as one value."""
    awkward = tmp_path / "my 'certs'"
    awkward.mkdir()
    shutil.copyfile(pg.tls.ca_cert, awkward / "ca.pem")
    result = iamdb("connect", "--instance", INSTANCE, "--user", DB_USER, "--ssl-ca", awkward / "ca.pem", "--",
                   "-X", "-A", "-t", "-c", "SELECT current_user", environment=app_environment(daemon))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == DB_USER


# ------------------------------------------------------------------------- iamdb setup --apply-sql


def test_setup_apply_sql_without_a_postgresql_server(daemon):
    port = dead_port()
    result = iamdb("setup", "postgres", "--instance", "nowhere", "--data-dir", daemon.data_dir, "--apply-sql",
                   "--host", HOST, "--port", port, "--user", "postgres")
    assert_says(result, f'connection to server at "{HOST}", port {port} failed', "Is the database server running?",
                "--host and --port")


def test_setup_apply_sql_without_a_mariadb_server(daemon, tmp_path):
    result = iamdb("setup", "mariadb", "--instance", "nowhere", "--data-dir", daemon.data_dir, "--apply-sql",
                   "--socket", tmp_path / "mysqld.sock", "--user", "root")
    assert_says(result, "ERROR 2002", "Can't connect to local server through socket", "Is the database server running?",
                "--socket")


# ------------------------------------------------------------------------- a token for the wrong endpoint


def test_a_token_for_the_wrong_endpoint(daemon, pg):
    """The client only learns that authentication failed; `iamdb audit` says which endpoint the
    token named, which one the instance has, and what to change."""
    token = env.run([str(env.IAMDB_BIN), "generate-db-auth-token", "--hostname", "localhost", "--port", str(pg.port),
                     "--username", DB_USER], env=app_environment(daemon)).stdout.strip()
    refused = pg.psql(DB_USER, token, sslmode="verify-full")
    assert refused.returncode != 0
    assert f'PAM authentication failed for user "{DB_USER}"' in refused.stderr, refused.stderr
    deadline = time.monotonic() + 15
    while True:
        shown = daemon.iamdb("audit", "--data-dir", daemon.data_dir, "--kind", "connect", "--outcome", "denied",
                             "--instance", INSTANCE, "--limit", "1").stdout
        if "endpoint_mismatch" in shown or time.monotonic() > deadline:
            break
        time.sleep(0.1)  # poll interval while the audit thread writes
    for phrase in ("endpoint_mismatch", f"token names 'localhost' port {pg.port}",
                   f"not an endpoint of this instance ({HOST}:{pg.port})",
                   "sign tokens for the host and port clients connect to", "iamdb instance modify --alias"):
        assert phrase in shown, f"{phrase!r} not in:\n{shown}"
    # The fix the message suggests works.
    daemon.iamdb("instance", "modify", "--data-dir", daemon.data_dir, "--id", INSTANCE, "--alias",
                 f"localhost:{pg.port}")
    assert pg.psql(DB_USER, token, sslmode="verify-full").returncode == 0
