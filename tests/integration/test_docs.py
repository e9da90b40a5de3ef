"""The documentation runs as written: every ```` ```sh runnable ```` block of docs/*.md is run,
in order, in one bash session per page, against real servers.

Each page's settings block reads environment variables with defaults (`IAMDB_DATA=${IAMDB_DATA:-
/var/lib/iamdb}`); the test points them at temporary directories, free ports and servers it
started, and puts the built `iamdb` first on PATH:

- one PostgreSQL 15 and one MariaDB 10.11, both serving TLS with a test CA (`DB_CA`), shared by
  every page;
- pages that make their own iamdb (their blocks run `iamdb init`) get a fresh `IAMDB_DATA`,
  `IAMDB_RUN` and `IAMDB_LISTEN`; the others share one iamdb server the test runs, with the
  databases already set up for IAM logins through it (instances `orders-db` and `shop-db`,
  database user `app_user`, an AWS profile `app` allowed to connect as it, and a role `app-role`
  that `app` may assume, allowed the same), which is what a reader has after following
  postgresql.md, mariadb.md and iam.md.

A block that fails (`set -e -o pipefail`) fails the page with the block's text, its line in
the page and everything the session printed since the block began. Whatever a page left running
in the background (an `iamdb server &`) is stopped when its session ends.

Also checked here: every page is linked from docs/README.md, every relative link in the docs
names a file that exists, docs/config.md is what scripts/gen-config-doc.sh makes from the
built binary, and packaging/prometheus-alerts.yml is valid alerting-rule YAML.
"""
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from lib import env
from lib.iamdb import IamdbServer
from lib.mariadb import MariaDB
from lib.postgres import PAM_DIR, PostgreSQL
from lib.tls import make_server_tls

DOCS = env.SOURCE_DIR / "docs"
PAM_MODULE = env.BUILD_DIR / "plugins" / "pam" / "pam_iamdb.so"
MARIADB_PLUGIN = env.BUILD_DIR / "plugins" / "mariadb" / "aws_authentication_plugin.so"
REGION = "us-east-1"
SESSION_TIMEOUT_S = 180
# postgresql.md's `iamdb setup postgres --apply` writes this PAM service (its default name).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# ---------------------------------------------------------------------------------- the pages


def runnable_blocks(text):
    """[(line number of the opening fence, block text)] for each ```sh runnable fence, in order.
    Fences may be indented (inside list items); the block's indentation is removed."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = re.match(r"^(\s*)(`{3,}|~{3,})\s*(.*)$", lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = match.groups()
        start = i
        body = []
        i += 1
        while i < len(lines) and not re.match(rf"^\s*{re.escape(fence)}\s*$", lines[i]):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        if i == len(lines):
            raise AssertionError(f"fence opened at line {start + 1} is never closed")
        if info.split() == ["sh", "runnable"]:
            blocks.append((start + 1, "\n".join(body) + "\n"))
        i += 1
    return blocks


def index_order():
    """The pages docs/README.md links to, in its order."""
    readme = (DOCS / "README.md").read_text()
    order = []
    for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", readme):
        if "/" not in target and target not in order:
            order.append(target)
    return order


def pages():
    return sorted(p.name for p in DOCS.glob("*.md") if p.name != "README.md")


def pages_in_index_order():
    order = index_order()
    return [p for p in order if (DOCS / p).exists()] + [p for p in pages() if p not in order]


def test_parser_finds_only_runnable_fences():
    text = ("intro\n```sh runnable\necho one\n```\n```sh\necho shown only\n```\n"
            "1. item\n\n   ```sh runnable\n   echo two\n   ```\n````md\n```sh runnable\nnested\n```\n````\n")
    assert runnable_blocks(text) == [(2, "echo one\n"), (10, "echo two\n")]
    with pytest.raises(AssertionError, match="never closed"):
        runnable_blocks("```sh runnable\necho\n")


def test_every_page_is_in_the_index():
    missing = [p for p in pages() if p not in index_order()]
    assert not missing, f"docs/README.md does not link {missing}"


def test_relative_links_resolve():
    broken = []
    for page in sorted(DOCS.glob("*.md")):
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists():
                broken.append(f"{page.name}: {target}")
    assert not broken, f"links to missing files: {broken}"


def test_config_reference_is_up_to_date(tmp_path):
    """docs/config.md is generated from `iamdb server --print-default-config`."""
    out = tmp_path / "config.md"
    env.run([str(env.SOURCE_DIR / "scripts" / "gen-config-doc.sh"), str(out)],
            env={**os.environ, "IAMDB_BIN": str(env.IAMDB_BIN)})
    committed = (DOCS / "config.md").read_text()
    assert out.read_text() == committed, (
        "docs/config.md is out of date: run scripts/gen-config-doc.sh (with IAMDB_BIN pointing at the "
        "build) and commit the result")


def test_alert_rules_are_valid():
    yaml = pytest.importorskip("yaml")
    rules = yaml.safe_load((env.SOURCE_DIR / "packaging" / "prometheus-alerts.yml").read_text())
    groups = rules["groups"]
    assert groups, "no rule groups"
    metric_names = set(re.findall(r"\biamdb_[a-z_]+", (DOCS / "monitoring.md").read_text()))
    for group in groups:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["alert"] and rule["expr"], rule
            assert rule["annotations"]["summary"], rule
            used = set(re.findall(r"\biamdb_[a-z_]+", rule["expr"]))
            assert used or 'job="iamdb"' in rule["expr"], f"{rule['alert']} watches nothing of iamdb's"
            unknown = {m for m in used if not any(m.startswith(k) for k in metric_names)}
            assert not unknown, f"{rule['alert']} uses metrics monitoring.md does not list: {unknown}"
    exprs = " ".join(rule["expr"] for group in groups for rule in group["rules"])
    assert "iamdb_iam_db_auth_connection_failure_total" in exprs, "no rule watches login failures"


def test_systemd_unit_is_valid(tmp_path):
    """packaging/iamdb.service passes `systemd-analyze verify` (with ExecStart pointing at the
    build, since the unit names the installed binary)."""
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    unit = (env.SOURCE_DIR / "packaging" / "iamdb.service").read_text()
    assert "ExecStart=/usr/local/bin/iamdb server --data-dir /var/lib/iamdb" in unit
    copy = tmp_path / "iamdb.service"
    copy.write_text(unit.replace("/usr/local/bin/iamdb", str(env.IAMDB_BIN)))
    result = env.run([analyze, "verify", str(copy)], check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stdout + result.stderr


# ---------------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def server_tls(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    os.chmod(directory, 0o755)
    return make_server_tls(directory)


@pytest.fixture(scope="module")
def postgres(server_tls):
    with PostgreSQL(tls=server_tls) as pg:
        yield pg


@pytest.fixture(scope="module")
def mariadb(server_tls):
    with MariaDB(tls=server_tls) as db:
        shutil.copyfile(MARIADB_PLUGIN, db.plugin_dir / "aws_authentication_plugin.so")
        yield db


@pytest.fixture(scope="module")
def doc_pam_service():
    """postgresql.md writes the PAM service ${PAM_SERVICE:-iamdb}; the test names one of its own
    (another copy of the suite may run beside it) and removes it afterwards."""
    name = f"iamdb-doc-{secrets.token_hex(6)}"
    yield name
    (PAM_DIR / name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def modules(postgres):
    """pam_iamdb.so where the postgres user can read it (what `cmake --install` would do)."""
    return postgres.copy_into(PAM_MODULE)


@pytest.fixture(scope="module")
def shared_iamdb():
    """The iamdb server shared by the pages that do not make their own, its verify socket where
    the database servers' users can reach it."""
    run_dir = Path(tempfile.mkdtemp(prefix="iamdb-docs-run-"))
    os.chmod(run_dir, 0o755)
    settings = {"verify.socket": str(run_dir / "verify.sock"), "verify.socket_group": "postgres"}
    try:
        with IamdbServer(region=REGION, settings=settings) as server:
            server.run_dir = run_dir
            yield server
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def databases_ready(shared_iamdb, postgres, mariadb, modules):
    """The state a reader has after postgresql.md, mariadb.md and iam.md, on the shared iamdb:
    instances orders-db (PostgreSQL) and shop-db (MariaDB) with IAM on, set up with `iamdb
    setup`, database user app_user on both, and IAM user app (profile `app`) allowed to
    connect as app_user, directly or through role app-role (which trusts it). Returns the `app`
    key."""
    server = shared_iamdb
    rds, iam = server.client("rds"), server.client("iam")
    pam_service = f"iamdb-test-{secrets.token_hex(6)}"
    dbis = []
    for instance, engine, port in (("orders-db", "postgres", postgres.port), ("shop-db", "mariadb", mariadb.port)):
        created = rds.create_db_instance(DBInstanceIdentifier=instance, Engine=engine,
                                         DBInstanceClass="db.iamdb.external", EnableIAMDatabaseAuthentication=True,
                                         Tags=[{"Key": "iamdb:endpoint", "Value": f"localhost:{port}"}])
        dbis.append(created["DBInstance"]["DbiResourceId"])
    try:
        env.run([str(env.IAMDB_BIN), "setup", "postgres", "--instance", "orders-db", "--data-dir", server.data_dir,
                 "--module", modules, "--pam-service", pam_service, "--apply", postgres.datadir, "--apply-sql",
                 "--host", postgres.socket_dir, "--port", str(postgres.port)])
        env.run([str(env.IAMDB_BIN), "setup", "mariadb", "--instance", "shop-db", "--data-dir", server.data_dir,
                 "--apply-sql", "--socket", mariadb.socket, "--os-user", "root"])
        postgres.sql("CREATE USER app_user; GRANT rds_iam TO app_user;")
        mariadb.sql("CREATE USER 'app_user'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
        account = server.client("sts").get_caller_identity()["Account"]
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "rds-db:connect",
             "Resource": [f"arn:aws:rds-db:{REGION}:{account}:dbuser:{dbi}/app_user" for dbi in dbis]},
            {"Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": "*"}]}
        iam.create_user(UserName="app")
        iam.put_user_policy(UserName="app", PolicyName="connect-as-app-user", PolicyDocument=json.dumps(policy))
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/app"}, "Action": "sts:AssumeRole"}]}
        iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(RoleName="app-role", PolicyName="connect-as-app-user", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="app")["AccessKey"]
        yield key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        (PAM_DIR / pam_service).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- sessions


def makes_own_iamdb(blocks):
    return any(re.search(r"^\s*iamdb init\b", text, re.M) for _, text in blocks)


def page_environment(base, own_iamdb, server, postgres, mariadb, modules, app_key):
    """The environment a page's session starts with: nothing from the caller's AWS setup."""
    home = base / "home"
    (home / ".aws").mkdir(parents=True)
    (base / "mariadb.conf.d").mkdir()
    credentials = home / ".aws" / "credentials"
    config = home / ".aws" / "config"
    credentials.write_text("")
    config.write_text("")
    # The mariadb client's administrator connection, as root's ~/.my.cnf would give it.
    (home / ".my.cnf").write_text(f"[client]\nsocket = {mariadb.socket}\n")
    if app_key:
        credentials.write_text(f"[app]\naws_access_key_id = {app_key[0]}\naws_secret_access_key = {app_key[1]}\n")
        config.write_text(f"[profile app]\nregion = {REGION}\n")
    variables = {
        "PATH": f"{env.IAMDB_BIN.parent}:{SYSTEM_PATH}",
        "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",
        "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true",
        "DB_HOST": "localhost", "DB_CA": str(postgres.tls.ca_cert),
        "PGCONF": str(postgres.datadir), "PGPORT": str(postgres.port), "PGHOST": str(postgres.socket_dir),
        "PAM_MODULE": str(modules),
        "DB_PORT": str(mariadb.port), "MARIADB_CONF": str(base / "mariadb.conf.d"),
        "BACKUP_DIR": str(base / "backup"),
    }
    if own_iamdb:
        variables.update({"IAMDB_DATA": str(base / "iamdb"), "IAMDB_RUN": str(base / "run"),
                          "IAMDB_LISTEN": f"127.0.0.1:{env.free_port()}"})
    else:
        variables.update({"IAMDB_DATA": str(server.data_dir), "IAMDB_RUN": str(server.run_dir),
                          "IAMDB_LISTEN": server.endpoint.removeprefix("http://")})
    return variables


def session_script(blocks, marker):
    """One bash script: each block announced by a marker line, stopping at the first failure."""
    parts = ["set -e -o pipefail\n"]
    for index, (_, text) in enumerate(blocks):
        parts.append(f"echo '{marker} {index}'\n{text}")
    parts.append(f"echo '{marker} end'\n")
    return "".join(parts)


def run_session(page, blocks, variables, base):
    marker = f"@@block-{secrets.token_hex(4)}"
    script = base / "session.sh"
    script.write_text(session_script(blocks, marker))
    output = base / "session.out"
    with open(output, "w") as out:
        process = subprocess.Popen(["/bin/bash", str(script)], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=variables, cwd=base, start_new_session=True)
        try:
            status = process.wait(timeout=SESSION_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            status = None
        finally:
            _stop_group(process.pid)
    text = output.read_text(errors="replace")
    sections = re.split(rf"^{re.escape(marker)} (\S+)$\n?", text, flags=re.M)
    reached = sections[-2] if len(sections) > 1 else None
    if status == 0 and reached == "end":
        return text
    if reached is None or reached == "end":
        raise AssertionError(f"{page}: the session failed outside any block (status {status}):\n{text}")
    line, block = blocks[int(reached)]
    what = "did not finish within %d s" % SESSION_TIMEOUT_S if status is None else f"failed (status {status})"
    raise AssertionError(f"{page}: the block at line {line} {what}:\n{block}\n--- output ---\n{sections[-1]}")


def _stop_group(pgid):
    """SIGTERM to everything the session started, then SIGKILL to what is left."""
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)  # polling for the processes to exit


def pages_with_runnable_blocks():
    return [p for p in pages_in_index_order() if runnable_blocks((DOCS / p).read_text())]


@pytest.mark.parametrize("page", pages_with_runnable_blocks())
def test_page_runs(page, request, postgres, mariadb, modules, doc_pam_service):
    blocks = runnable_blocks((DOCS / page).read_text())
    own = makes_own_iamdb(blocks)
    server = app_key = None
    if not own:
        server = request.getfixturevalue("shared_iamdb")
        app_key = request.getfixturevalue("databases_ready")
    base = Path(tempfile.mkdtemp(prefix="iamdb-docs-"))
    os.chmod(base, 0o755)  # the database servers' users enter IAMDB_RUN below it
    try:
        variables = page_environment(base, own, server, postgres, mariadb, modules, app_key)
        variables["PAM_SERVICE"] = doc_pam_service
        print(run_session(page, blocks, variables, base))  # shown by pytest -s, or with a failure
    finally:
        shutil.rmtree(base, ignore_errors=True)
