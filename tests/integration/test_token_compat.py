"""RDS auth tokens against the real AWS tools: tokens from both AWS CLIs and boto3 verify with
iamdb's checker, and under a frozen clock `iamdb generate-db-auth-token` prints exactly what
`aws rds generate-db-auth-token` prints for the same arguments, environment and config files
(including its error messages). Every run uses a temporary HOME, so no real AWS config leaks in."""
import functools
import os
import subprocess

import pytest

from lib import env

FROZEN = "2026-06-15 08:30:07"
FROZEN_ISO = "2026-06-15T08:30:07Z"
VERIFY_TOOL = env.BUILD_DIR / "tests" / "token" / "verify_token_tool"

PERMANENT = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
TEMPORARY = ("ASIAQWERTYUIOPASDFGH", "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
             "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+session/token==")
PROFILE_KEY = ("AKIAPROFILEEXAMPLE01", "profile/secret+with=chars/EXAMPLEKEY")

CREDENTIALS = f"""[default]
aws_access_key_id = {PERMANENT[0]}
aws_secret_access_key = {PERMANENT[1]}

[temporary]
aws_access_key_id = {TEMPORARY[0]}
aws_secret_access_key = {TEMPORARY[1]}
aws_session_token = {TEMPORARY[2]}

[with space]
aws_access_key_id = {PROFILE_KEY[0]}
aws_secret_access_key = {PROFILE_KEY[1]}
"""

CONFIG = f"""# comments, a DEFAULT section, ':' delimiters and quoted profile names, as botocore reads them
[DEFAULT]
output = json

[default]
region = eu-west-1

[profile temporary]
region: ap-southeast-2

[profile "with space"]
region = sa-east-1

[profile from-config]
aws_access_key_id = {PROFILE_KEY[0]}
aws_secret_access_key = {PROFILE_KEY[1]}
region = ca-central-1
s3 =
    addressing_style = path

[profile assumer]
role_arn = arn:aws:iam::123456789012:role/db
source_profile = default
"""


@pytest.fixture
def home(tmp_path):
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(CREDENTIALS)
    (aws / "config").write_text(CONFIG)
    return tmp_path


def base_env(home, **extra):
    """A clean environment: nothing from the caller's AWS setup."""
    e = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
         "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true"}
    e.update(extra)
    return e


def run(cmd, environment, frozen=False):
    if frozen:
        cmd = ["faketime", "-f", FROZEN] + cmd
    return subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=120)


def generate_args(host, port, user, region=None, profile=None):
    args = ["--hostname", host, "--port", str(port), "--username", user]
    if region:
        args += ["--region", region]
    if profile:
        args += ["--profile", profile]
    return args


def iamdb_generate(args, environment, frozen=False):
    return run([str(env.IAMDB_BIN), "generate-db-auth-token"] + args, environment, frozen)


def aws_generate(cli, args, environment, frozen=False):
    return run([cli, "rds", "generate-db-auth-token"] + args, environment, frozen)


def verify(token, user, host, port, region, key, session_token="", at=None):
    cmd = [str(VERIFY_TOOL), "--token", token, "--user", user, "--host", host, "--port", str(port),
           "--region", region, "--access-key-id", key[0], "--secret", key[1]]
    if session_token:
        cmd += ["--session-token", session_token]
    if at:
        cmd += ["--time", at]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


CLIS = env.aws_clis()


def cli_id(cli):
    return "v2" if cli == env.DEBIAN_AWS else "path"


@functools.cache  # one start-up per CLI, not one per case that asks
def is_v2(cli):
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60)
    return (out.stdout + out.stderr).startswith("aws-cli/2")


@pytest.fixture(scope="module", autouse=True)
def tools_exist():
    assert VERIFY_TOOL.exists(), f"{VERIFY_TOOL} not built"
    assert CLIS, "no AWS CLI found"


# Real clock: tokens from each CLI and from boto3 verify.

@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
@pytest.mark.parametrize("host,port,user", [
    ("db.example.internal", 5432, "alice"),
    ("mysql.example.internal", 3306, "a+b=c&d e/f~ü"),
    ("DB.Example.Internal", 443, "port443"),
    ("[::1]", 5432, "ipv6"),
])
def test_cli_tokens_verify(home, cli, host, port, user):
    e = base_env(home, AWS_ACCESS_KEY_ID=TEMPORARY[0], AWS_SECRET_ACCESS_KEY=TEMPORARY[1],
                 AWS_SESSION_TOKEN=TEMPORARY[2])
    out = aws_generate(cli, generate_args(host, port, user, region="us-east-1"), e)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    result = verify(token, user, host.strip("[]"), port, "us-east-1", TEMPORARY[:2], TEMPORARY[2])
    assert result.stdout.strip() == "ok", (token, result.stdout, result.stderr)


@pytest.mark.parametrize("session", [False, True], ids=["long-term", "session"])
def test_boto3_tokens_verify(home, session):
    key = TEMPORARY if session else PERMANENT
    script = (
        "import boto3, sys\n"
        "s = boto3.session.Session(aws_access_key_id=sys.argv[1], aws_secret_access_key=sys.argv[2],"
        " aws_session_token=sys.argv[3] or None, region_name='eu-central-1')\n"
        "print(s.client('rds').generate_db_auth_token('db.example.internal', 5432, 'bob', 'eu-central-1'))\n")
    out = run([env.SYSTEM_PYTHON, "-c", script, key[0], key[1], key[2] if session else ""],
              base_env(home))
    assert out.returncode == 0, out.stderr
    result = verify(out.stdout.strip(), "bob", "db.example.internal", 5432, "eu-central-1", key[:2],
                    key[2] if session else "")
    assert result.stdout.strip() == "ok", result.stdout


def test_tampered_cli_token_is_refused(home):
    e = base_env(home, AWS_ACCESS_KEY_ID=PERMANENT[0], AWS_SECRET_ACCESS_KEY=PERMANENT[1])
    out = aws_generate(CLIS[0], generate_args("db.example.internal", 5432, "alice", "us-east-1"), e)
    token = out.stdout.strip()
    result = verify(token, "mallory", "db.example.internal", 5432, "us-east-1", PERMANENT)
    assert result.returncode == 1 and result.stdout.startswith("user_mismatch"), result.stdout
    forged = token.replace("DBUser=alice", "DBUser=mallory")
    result = verify(forged, "mallory", "db.example.internal", 5432, "us-east-1", PERMANENT)
    assert result.returncode == 1 and result.stdout.startswith("signature_mismatch"), result.stdout


# Frozen clock: byte-identical output.

# (name, generate args, extra environment, key that signs, session token, v2 only)
IDENTICAL_CASES = [
    ("env-credentials", generate_args("db.example.internal", 5432, "alice", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PERMANENT, "", False),
    ("env-session-token", generate_args("orders.cluster-abc.eu-west-1.rds.amazonaws.com", 3306,
                                        "jane_doe", "eu-west-1"),
     {"AWS_ACCESS_KEY_ID": TEMPORARY[0], "AWS_SECRET_ACCESS_KEY": TEMPORARY[1],
      "AWS_SESSION_TOKEN": TEMPORARY[2]}, TEMPORARY, TEMPORARY[2], False),
    ("reserved-characters", generate_args("db.example.internal", 5432, "a+b=c&d e/f~", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": TEMPORARY[0], "AWS_SECRET_ACCESS_KEY": TEMPORARY[1],
      "AWS_SESSION_TOKEN": TEMPORARY[2]}, TEMPORARY, TEMPORARY[2], False),
    ("utf8-user", generate_args("db.example.internal", 5432, "jürgen", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PERMANENT, "", False),
    ("mixed-case-host", generate_args("DB.Example.Internal", 5432, "MixedCase", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PERMANENT, "", False),
    ("port-443", generate_args("db.example.internal", 443, "u", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PERMANENT, "", False),
    ("port-80", generate_args("db.example.internal", 80, "u", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PERMANENT, "", False),
    ("default-profile-files", generate_args("db.example.internal", 5432, "alice"), {}, PERMANENT, "", False),
    ("profile-flag-session", generate_args("db.example.internal", 5432, "alice", profile="temporary"),
     {}, TEMPORARY, TEMPORARY[2], False),
    ("profile-flag-beats-env-credentials",
     generate_args("db.example.internal", 5432, "alice", profile="with space"),
     {"AWS_ACCESS_KEY_ID": PERMANENT[0], "AWS_SECRET_ACCESS_KEY": PERMANENT[1]}, PROFILE_KEY, "", False),
    ("profile-env-keeps-env-credentials", generate_args("db.example.internal", 5432, "alice"),
     {"AWS_PROFILE": "temporary", "AWS_ACCESS_KEY_ID": PROFILE_KEY[0],
      "AWS_SECRET_ACCESS_KEY": PROFILE_KEY[1]}, PROFILE_KEY, "", False),
    ("config-file-credentials", generate_args("db.example.internal", 5432, "alice", profile="from-config"),
     {}, PROFILE_KEY, "", False),
    ("region-env-over-profile", generate_args("db.example.internal", 5432, "alice"),
     {"AWS_DEFAULT_REGION": "us-west-2"}, PERMANENT, "", False),
    ("region-flag-over-env", generate_args("db.example.internal", 5432, "alice", region="ap-south-1"),
     {"AWS_DEFAULT_REGION": "us-west-2"}, PERMANENT, "", False),
    ("aws-region-variable", generate_args("db.example.internal", 5432, "alice"),
     {"AWS_REGION": "eu-north-1", "AWS_DEFAULT_REGION": "us-west-2"}, PERMANENT, "", True),
    ("aws-profile-over-default-profile", generate_args("db.example.internal", 5432, "alice"),
     {"AWS_PROFILE": "temporary", "AWS_DEFAULT_PROFILE": "with space"}, TEMPORARY, TEMPORARY[2], True),
]


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
@pytest.mark.parametrize("case", IDENTICAL_CASES, ids=[c[0] for c in IDENTICAL_CASES])
def test_output_is_byte_identical(home, cli, case):
    name, args, extra, key, session_token, v2_only = case
    if v2_only and not is_v2(cli):
        pytest.skip("AWS CLI v1 reads AWS_REGION and AWS_PROFILE differently; iamdb follows v2")
    e = base_env(home, **extra)
    theirs = aws_generate(cli, args, e, frozen=True)
    ours = iamdb_generate(args, e, frozen=True)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert ours.stdout.endswith("\n") and ours.stdout.count("\n") == 1

    token = ours.stdout.strip()
    host, port = args[1], args[3]
    user = args[5]
    region = token.split("X-Amz-Credential=")[1].split("&")[0].split("%2F")[2]
    result = verify(token, user, host, port, region, key, session_token, at=FROZEN_ISO)
    assert result.stdout.strip() == "ok", result.stdout


# (name, generate args, extra environment, v2 only)
ERROR_CASES = [
    ("no-credentials", generate_args("h", 5432, "u", "us-east-1"),
     {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"}, False),
    ("no-region", generate_args("h", 5432, "u"),
     {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B"},
     False),
    ("profile-not-found", generate_args("h", 5432, "u", "us-east-1", profile="nope"), {}, False),
    ("profile-env-not-found", generate_args("h", 5432, "u", "us-east-1"), {"AWS_PROFILE": "nope"}, True),
    ("partial-env-credentials", generate_args("h", 5432, "u", "us-east-1"),
     {"AWS_ACCESS_KEY_ID": "AKIAONLY"}, False),
]


@pytest.mark.parametrize("cli", CLIS, ids=cli_id)
@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_say_what_the_aws_cli_says(home, cli, case):
    name, args, extra, v2_only = case
    if v2_only and not is_v2(cli):
        pytest.skip("AWS CLI v1 reads AWS_PROFILE after AWS_DEFAULT_PROFILE; iamdb follows v2")
    e = base_env(home, **extra)
    theirs = aws_generate(cli, args, e)
    ours = iamdb_generate(args, e)
    assert theirs.returncode != 0 and ours.returncode != 0
    assert ours.stdout == ""
    assert ours.stderr.strip() == theirs.stderr.strip()


def test_role_profile_without_sts_endpoint_is_refused_naming_the_profile(home):
    """A role_arn profile needs STS; with no endpoint_url anywhere, iamdb says so rather than
    signing with the source profile's key (test_server.py covers the profile with an endpoint)."""
    out = iamdb_generate(generate_args("h", 5432, "u", "us-east-1", profile="assumer"), base_env(home))
    assert out.returncode != 0
    assert out.stdout == ""
    assert 'The profile "assumer"' in out.stderr
    assert "arn:aws:iam::123456789012:role/db" in out.stderr
    assert "endpoint_url" in out.stderr


def test_unparsable_config_names_the_file(home):
    (home / ".aws" / "config").write_text("[default]\nregion\n")
    e = base_env(home)
    theirs = aws_generate(CLIS[0], generate_args("h", 5432, "u", "us-east-1"), e)
    ours = iamdb_generate(generate_args("h", 5432, "u", "us-east-1"), e)
    assert theirs.returncode != 0 and ours.returncode != 0
    expected = f"Unable to parse config file: {home / '.aws' / 'config'}"
    assert expected in theirs.stderr
    assert ours.stderr.startswith(expected)
