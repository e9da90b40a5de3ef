"""`iamdb policy simulate` as a user runs it: policy files on disk, decisions and the statements
behind them on stdout (text or JSON), exit status 0 whatever the decision and 2 on bad input."""
import json

import pytest

from lib import env

DBI = "db-12ABC34DEFG5HIJ6KLMNOP78QR"
ALICE_DB = f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{DBI}/alice"
POSTGRES_DB = f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{DBI}/postgres"

CONNECT_AS_SELF = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ConnectAsSelf",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": "arn:aws:rds-db:us-east-1:123456789012:dbuser:*/${aws:username}",
            "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}},
        },
        {"Sid": "NeverPostgres", "Effect": "Deny", "Action": "rds-db:*",
         "Resource": "arn:aws:rds-db:*:*:dbuser:*/postgres"},
    ],
}


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return str(path)


def simulate(*args, check_status=0):
    result = env.run([str(env.IAMDB_BIN), "policy", "simulate", *args], check=False)
    assert result.returncode == check_status, f"status {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def simulate_json(*args):
    return json.loads(simulate(*args, "--json").stdout)["EvaluationResults"]


def test_allowed_with_variable_and_source_ip(tmp_path):
    policy = write(tmp_path, "connect.json", CONNECT_AS_SELF)
    [result] = simulate_json("--policy-file", policy, "--action", "rds-db:connect", "--resource", ALICE_DB,
                             "--context", "aws:username=string:alice", "--context", "aws:SourceIp=ip:10.20.30.40")
    assert result["EvalDecision"] == "allowed"
    assert result["EvalActionName"] == "rds-db:connect"
    assert result["EvalResourceName"] == ALICE_DB
    assert [(s["SourcePolicyId"], s["StatementIndex"], s["Sid"], s["Effect"]) for s in result["DecidingStatements"]] \
        == [(policy, 1, "ConnectAsSelf", "Allow")]
    assert result["Explanation"] == f'allowed by "{policy}" statement 1 (Sid ConnectAsSelf)'


def test_every_decision_exits_zero(tmp_path):
    policy = write(tmp_path, "connect.json", CONNECT_AS_SELF)
    results = simulate_json("--policy-file", policy, "--action", "rds-db:connect",
                            "--resource", ALICE_DB, "--resource", POSTGRES_DB,
                            "--context", "aws:username=string:alice", "--context", "aws:SourceIp=ip:192.0.2.1")
    assert [r["EvalDecision"] for r in results] == ["implicitDeny", "explicitDeny"]
    assert results[0]["MatchedStatements"] == []
    assert results[0]["Explanation"] == f"implicitly denied: no statement allows rds-db:connect on {ALICE_DB}"
    assert [s["Sid"] for s in results[1]["MatchedStatements"]] == ["NeverPostgres"]


def test_text_output_names_the_statements(tmp_path):
    policy = write(tmp_path, "connect.json", CONNECT_AS_SELF)
    out = simulate("--policy-file", policy, "--action", "rds-db:connect", "--resource", POSTGRES_DB,
                   "--context", "aws:username=string:postgres", "--context", "aws:SourceIp=ip:10.0.0.1").stdout
    assert out.splitlines() == [
        f"rds-db:connect on {POSTGRES_DB}: explicitDeny",
        f'  explicitly denied by "{policy}" statement 2 (Sid NeverPostgres)',
        "  matched statements:",
        f'    Allow  identity  "{policy}" statement 1 (Sid ConnectAsSelf)',
        f'    Deny   identity  "{policy}" statement 2 (Sid NeverPostgres)',
    ]


def test_boundary_and_session_policy(tmp_path):
    everything = write(tmp_path, "all.json", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "*", "Resource": "*"}})
    boundary = write(tmp_path, "boundary.json", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "rds-db:connect", "Resource": "*"}})
    session = write(tmp_path, "session.json", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "rds-db:connect", "Resource": ALICE_DB}})
    common = ["--policy-file", everything, "--boundary-file", boundary, "--session-policy-file", session,
              "--caller-arn", "arn:aws:sts::123456789012:assumed-role/ops/alice"]
    results = simulate_json(*common, "--action", "rds-db:connect", "--action", "iam:CreateUser",
                            "--resource", ALICE_DB)
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("rds-db:connect", "allowed"), ("iam:CreateUser", "implicitDeny")]
    assert [(s["SourcePolicyType"], s["SourcePolicyId"]) for s in results[0]["DecidingStatements"]] == [
        ("identity", everything), ("boundary", boundary), ("session", session)]
    assert "permissions boundary does not" in results[1]["Explanation"]


def test_trust_policy_for_assume_role(tmp_path):
    trust = write(tmp_path, "trust.json", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/alice"},
        "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}})
    role = "arn:aws:iam::123456789012:role/dba"
    args = ["--trust-policy-file", trust, "--action", "sts:AssumeRole", "--resource", role]
    [allowed] = simulate_json(*args, "--caller-arn", "arn:aws:iam::123456789012:user/alice",
                              "--context", "aws:MultiFactorAuthPresent=boolean:true")
    assert allowed["EvalDecision"] == "allowed"
    assert allowed["DecidingStatements"][0]["SourcePolicyType"] == "resource"
    [no_mfa] = simulate_json(*args, "--caller-arn", "arn:aws:iam::123456789012:user/alice")
    assert no_mfa["EvalDecision"] == "implicitDeny"
    [bob] = simulate_json(*args, "--caller-arn", "arn:aws:iam::123456789012:user/bob",
                          "--context", "aws:MultiFactorAuthPresent=boolean:true")
    assert bob["EvalDecision"] == "implicitDeny"


def test_context_types(tmp_path):
    policy = write(tmp_path, "typed.json", {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "rds-db:connect", "Resource": "*", "Condition": {
            "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]},
            "NumericLessThan": {"app:load": "0.75"},
            "DateLessThan": {"aws:CurrentTime": "2026-07-01T00:00:00Z"},
            "BinaryEquals": {"app:blob": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}}})
    base = ["--policy-file", policy, "--action", "rds-db:connect", "--resource", ALICE_DB,
            "--context", "app:load=numeric:0.5", "--context", "aws:CurrentTime=date:2026-06-15T08:30:07Z",
            "--context", "app:blob=binary:QmluYXJ5VmFsdWVJbkJhc2U2NA=="]
    [ok] = simulate_json(*base, "--context", "aws:TagKeys=stringList:env,team")
    assert ok["EvalDecision"] == "allowed"
    [extra_tag] = simulate_json(*base, "--context", "aws:TagKeys=stringList:env,owner")
    assert extra_tag["EvalDecision"] == "implicitDeny"


@pytest.mark.parametrize("document,message", [
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},'
     '{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}]}',
     "Statement 2: Action and NotAction both present"),
    ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*",'
     '"Condition":{"StringEqualz":{"aws:username":"alice"}}}}',
     "Statement 1: Unknown condition operator StringEqualz"),
    ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"rds-db:connect","Resource":"db_user"}}',
     "Statement 1: Invalid ARN in Resource: db_user"),
    ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}',
     "Statement 1: Principal is not allowed in an identity-based policy"),
    ('{"Version":"2012-10-17", "Statement": ', "Syntax errors in policy"),
])
def test_malformed_policy_is_bad_input(tmp_path, document, message):
    policy = write(tmp_path, "bad.json", document)
    result = simulate("--policy-file", policy, "--action", "rds-db:connect", check_status=2)
    assert result.stdout == ""
    assert f"iamdb policy simulate: {policy}: {message}" in result.stderr


@pytest.mark.parametrize("args,message", [
    (["--context", "aws:SourceIp=ip:10.0.0.300"], 'not an IP address: "10.0.0.300"'),
    (["--context", "aws:SourceIp=address:10.0.0.1"], 'unknown type "address"'),
    (["--context", "aws:SourceIp"], "expected KEY=TYPE:VALUE"),
    (["--context", "aws:username=string:a", "--context", "AWS:UserName=string:b"], "given twice"),
    (["--context", "aws:CurrentTime=date:tomorrow"], "not an ISO 8601 or epoch date"),
    (["--caller-arn", "alice"], "--caller-arn: not an IAM user, role, session or account ARN"),
    (["--policy-file", "/nonexistent/policy.json"], "cannot read /nonexistent/policy.json"),
])
def test_bad_arguments_are_bad_input(tmp_path, args, message):
    policy = write(tmp_path, "connect.json", CONNECT_AS_SELF)
    result = simulate("--policy-file", policy, "--action", "rds-db:connect", *args, check_status=2)
    assert message in result.stderr


def test_size_limit_is_configurable(tmp_path):
    statements = [{"Effect": "Allow", "Action": "rds-db:connect", "Resource": f"arn:aws:rds-db:*:*:dbuser:*/u{i}"}
                  for i in range(150)]
    policy = write(tmp_path, "big.json", {"Version": "2012-10-17", "Statement": statements})
    too_big = simulate("--policy-file", policy, "--action", "rds-db:connect", check_status=2)
    assert "Cannot exceed quota for PolicySize: 10240" in too_big.stderr
    simulate("--policy-file", policy, "--action", "rds-db:connect", "--max-policy-size", "20000")


def test_missing_action_is_a_usage_error(tmp_path):
    policy = write(tmp_path, "connect.json", CONNECT_AS_SELF)
    result = simulate("--policy-file", policy, check_status=2)
    assert "--action is required" in result.stderr + result.stdout
