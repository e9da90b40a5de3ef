"""The IAM and STS Query APIs against the real AWS tools: both AWS CLIs on this machine and
boto3 manage users, keys, groups, roles, managed and inline policies on a real iamdb server,
assume a role, simulate policies, page through lists, and see AWS's error codes.

One server serves the module; each CLI works under its own name prefix so the runs do not meet.
"""
import json

import pytest

from lib import env
from lib.iamdb import IamdbServer

ACCOUNT = "123456789012"
REGION = "us-east-1"
DBI = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def dbuser_arn(user):
    return f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{DBI}/{user}"


def allow(action, resource="*", **extra):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return {"Version": "2012-10-17", "Statement": [statement]}


def trust(principal_arn):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def server():
    with IamdbServer(account_id=ACCOUNT, region=REGION) as s:
        yield s


@pytest.fixture(params=env.aws_clis(), ids=lambda cli: "aws-" + cli.replace("/", "_"))
def cli(request, server):
    """(the CLI, a name prefix of its own)."""
    server.cli = request.param
    yield request.param, "c%d" % env.aws_clis().index(request.param)
    server.cli = env.DEBIAN_AWS


def test_user_role_policy_and_assumed_session(server, cli):
    _, p = cli
    aws, aws_json = server.aws, server.aws_json
    user = aws_json("iam", "create-user", "--user-name", f"{p}-alice", "--path", "/apps/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/apps/{p}-alice"
    key = aws_json("iam", "create-access-key", "--user-name", f"{p}-alice")["AccessKey"]
    server.add_profile(f"{p}-alice", key["AccessKeyId"], key["SecretAccessKey"])

    aws_json("iam", "create-group", "--group-name", f"{p}-devs")
    aws("iam", "add-user-to-group", "--group-name", f"{p}-devs", "--user-name", f"{p}-alice")
    group = aws_json("iam", "get-group", "--group-name", f"{p}-devs")
    assert [u["UserName"] for u in group["Users"]] == [f"{p}-alice"]
    assert [g["GroupName"] for g in aws_json("iam", "list-groups-for-user", "--user-name", f"{p}-alice")["Groups"]] \
        == [f"{p}-devs"]

    role = aws_json("iam", "create-role", "--role-name", f"{p}-db-app", "--description", "connects to db",
                    "--assume-role-policy-document", json.dumps(trust(user["Arn"])))["Role"]
    assert role["MaxSessionDuration"] == 3600
    got = aws_json("iam", "get-role", "--role-name", f"{p}-db-app")["Role"]
    assert got["AssumeRolePolicyDocument"] == trust(user["Arn"])  # the CLI decodes it
    assert got["Description"] == "connects to db"

    policy = aws_json("iam", "create-policy", "--policy-name", f"{p}-connect-alice",
                      "--policy-document", json.dumps(allow("rds-db:connect", dbuser_arn("alice"))))["Policy"]
    aws("iam", "attach-role-policy", "--role-name", f"{p}-db-app", "--policy-arn", policy["Arn"])
    attached = aws_json("iam", "list-attached-role-policies", "--role-name", f"{p}-db-app")["AttachedPolicies"]
    assert attached == [{"PolicyName": f"{p}-connect-alice", "PolicyArn": policy["Arn"]}]
    assert aws_json("iam", "get-policy", "--policy-arn", policy["Arn"])["Policy"]["AttachmentCount"] == 1

    # The user assumes the role (its trust policy names the user) and acts as the session.
    creds = aws_json("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "ci-1",
                     profile=f"{p}-alice")["Credentials"]
    server.add_profile(f"{p}-session", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = aws_json("sts", "get-caller-identity", profile=f"{p}-session")
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{p}-db-app/ci-1"
    assert identity["Account"] == ACCOUNT

    # The simulator gives the engine's answers for the role ...
    sim = aws_json("iam", "simulate-principal-policy", "--policy-source-arn", role["Arn"],
                   "--action-names", "rds-db:connect", "--resource-arns", dbuser_arn("alice"), dbuser_arn("bob"))
    results = sim["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == f"{p}-connect-alice"
    assert results[0]["MatchedStatements"][0]["SourcePolicyType"] == "user-managed"
    # ... and for policies given inline, with context values.
    only_from_vpc = allow("rds-db:connect", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    custom = ["iam", "simulate-custom-policy", "--policy-input-list", json.dumps(only_from_vpc),
              "--action-names", "rds-db:connect"]
    missing = aws_json(*custom)["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert missing["MissingContextValues"] == ["aws:SourceIp"]
    inside = aws_json(*custom, "--context-entries",
                      "ContextKeyName=aws:SourceIp,ContextKeyValues=10.1.2.3,ContextKeyType=ip")
    assert inside["EvaluationResults"][0]["EvalDecision"] == "allowed"
    outside = aws_json(*custom, "--context-entries",
                       "ContextKeyName=aws:SourceIp,ContextKeyValues=192.0.2.1,ContextKeyType=ip")
    assert outside["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"

    # Neither the user nor the session may administer IAM.
    assert server.aws_error("iam", "list-users", profile=f"{p}-alice") == "AccessDenied"
    assert server.aws_error("iam", "create-group", "--group-name", f"{p}-x", profile=f"{p}-session") == "AccessDenied"
    # A user with access keys cannot be deleted.
    assert server.aws_error("iam", "delete-user", "--user-name", f"{p}-alice") == "DeleteConflict"


def test_policy_versions(server, cli):
    _, p = cli
    aws, aws_json = server.aws, server.aws_json
    arn = aws_json("iam", "create-policy", "--policy-name", f"{p}-versioned",
                   "--policy-document", json.dumps(allow("s3:GetObject")))["Policy"]["Arn"]
    v2 = aws_json("iam", "create-policy-version", "--policy-arn", arn, "--set-as-default",
                  "--policy-document", json.dumps(allow("s3:*")))["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    versions = aws_json("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", False), ("v2", True)]
    document = aws_json("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert document["PolicyVersion"]["Document"] == allow("s3:GetObject")
    assert server.aws_error("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2") \
        == "DeleteConflict"
    assert server.aws_error("iam", "delete-policy", "--policy-arn", arn) == "DeleteConflict"
    for _ in range(3):
        aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", json.dumps(allow("s3:*")))
    assert server.aws_error("iam", "create-policy-version", "--policy-arn", arn,
                            "--policy-document", json.dumps(allow("s3:*"))) == "LimitExceeded"
    aws("iam", "set-default-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert aws_json("iam", "get-policy", "--policy-arn", arn)["Policy"]["DefaultVersionId"] == "v1"
    for version in ("v2", "v3", "v4", "v5"):
        aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", version)
    aws("iam", "delete-policy", "--policy-arn", arn)
    assert server.aws_error("iam", "get-policy", "--policy-arn", arn) == "NoSuchEntity"
    assert server.aws_error("iam", "create-policy-version", "--policy-arn",
                            "arn:aws:iam::aws:policy/ReadOnlyAccess",
                            "--policy-document", json.dumps(allow("*"))) == "AccessDenied"


def test_inline_policies_and_attachments(server, cli):
    _, p = cli
    aws, aws_json = server.aws, server.aws_json
    aws("iam", "create-user", "--user-name", f"{p}-bob")
    doc = allow("rds-db:connect", dbuser_arn("bob"))
    aws("iam", "put-user-policy", "--user-name", f"{p}-bob", "--policy-name", "db",
        "--policy-document", json.dumps(doc))
    got = aws_json("iam", "get-user-policy", "--user-name", f"{p}-bob", "--policy-name", "db")
    assert (got["UserName"], got["PolicyName"], got["PolicyDocument"]) == (f"{p}-bob", "db", doc)
    assert aws_json("iam", "list-user-policies", "--user-name", f"{p}-bob")["PolicyNames"] == ["db"]
    too_big = allow("rds-db:connect", dbuser_arn("bob"), Sid="S" + "x" * 2100)
    assert server.aws_error("iam", "put-user-policy", "--user-name", f"{p}-bob", "--policy-name", "big",
                            "--policy-document", json.dumps(too_big)) == "LimitExceeded"
    aws("iam", "delete-user-policy", "--user-name", f"{p}-bob", "--policy-name", "db")
    assert aws_json("iam", "list-user-policies", "--user-name", f"{p}-bob")["PolicyNames"] == []

    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    aws("iam", "attach-user-policy", "--user-name", f"{p}-bob", "--policy-arn", read_only)
    assert aws_json("iam", "list-attached-user-policies", "--user-name", f"{p}-bob")["AttachedPolicies"] \
        == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": read_only}]
    aws("iam", "detach-user-policy", "--user-name", f"{p}-bob", "--policy-arn", read_only)
    assert server.aws_error("iam", "detach-user-policy", "--user-name", f"{p}-bob",
                            "--policy-arn", read_only) == "NoSuchEntity"
    assert server.aws_error("iam", "attach-user-policy", "--user-name", f"{p}-bob", "--policy-arn",
                            f"arn:aws:iam::{ACCOUNT}:policy/{p}-missing") == "NoSuchEntity"

    aws("iam", "create-role", "--role-name", f"{p}-worker", "--assume-role-policy-document",
        json.dumps(trust(f"arn:aws:iam::{ACCOUNT}:user/{p}-bob")))
    aws("iam", "put-role-policy", "--role-name", f"{p}-worker", "--policy-name", "db",
        "--policy-document", json.dumps(doc))
    assert server.aws_error("iam", "delete-role", "--role-name", f"{p}-worker") == "DeleteConflict"
    aws("iam", "delete-role-policy", "--role-name", f"{p}-worker", "--policy-name", "db")
    aws("iam", "delete-role", "--role-name", f"{p}-worker")


def test_pagination(server, cli):
    _, p = cli
    prefix = f"/pages-{p}/"
    names = [f"{p}-page-{i}" for i in range(5)]
    for name in names:
        server.aws("iam", "create-group", "--group-name", name, "--path", prefix)
    listing = ["iam", "list-groups", "--path-prefix", prefix]
    first = server.aws_json(*listing, "--max-items", "2")
    assert [g["GroupName"] for g in first["Groups"]] == names[:2]
    second = server.aws_json(*listing, "--max-items", "2", "--starting-token", first["NextToken"])
    assert [g["GroupName"] for g in second["Groups"]] == names[2:4]
    third = server.aws_json(*listing, "--max-items", "2", "--starting-token", second["NextToken"])
    assert [g["GroupName"] for g in third["Groups"]] == names[4:]
    assert "NextToken" not in third
    # The CLI follows Marker across pages of two by itself.
    assert [g["GroupName"] for g in server.aws_json(*listing, "--page-size", "2")["Groups"]] == names


@pytest.mark.parametrize("case", [
    ("NoSuchEntity", ["iam", "get-user", "--user-name", "nobody-at-all"]),
    ("NoSuchEntity", ["iam", "get-role", "--role-name", "nobody-at-all"]),
    ("EntityAlreadyExists", ["iam", "create-user", "--user-name", "admin"]),
    ("MalformedPolicyDocument", ["iam", "create-policy", "--policy-name", "broken",
                                 "--policy-document", '{"Version":"2012-10-17","Statement":[]}']),
    ("MalformedPolicyDocument", ["iam", "put-user-policy", "--user-name", "admin", "--policy-name", "broken",
                                 "--policy-document", '{"Statement":{"Effect":"Allow","Action":"s3:*"}}']),
    ("ValidationError", ["iam", "create-user", "--user-name", "not a name"]),
    ("ValidationError", ["iam", "list-policies", "--scope", "Mine"]),
    ("InvalidInput", ["iam", "get-policy", "--policy-arn", "arn:aws:iam::123456789012:user/admin"]),
    ("LimitExceeded", ["iam", "create-policy", "--policy-name", "huge",
                       "--policy-document", json.dumps(allow("s3:*", Sid="S" + "x" * 6200))]),
    ("DeleteConflict", ["iam", "delete-user", "--user-name", "admin"]),
    ("DeleteConflict", ["iam", "delete-role", "--role-name", "with-policy"]),
    # AWS-managed policies belong to AWS, attached or not.
    ("AccessDenied", ["iam", "delete-policy", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess"]),
], ids=lambda case: f"{case[0]}-{case[1][1]}")
def test_error_codes(server, cli, case):
    code, args = case
    if args[1] == "delete-role" and server.aws("iam", "get-role", "--role-name", "with-policy", check=False).returncode:
        server.aws("iam", "create-role", "--role-name", "with-policy", "--assume-role-policy-document",
                   json.dumps(trust(f"arn:aws:iam::{ACCOUNT}:user/admin")))
        server.aws("iam", "put-role-policy", "--role-name", "with-policy", "--policy-name", "p",
                   "--policy-document", json.dumps(allow("s3:*")))
    assert server.aws_error(*args) == code


def test_boto3(server):
    from botocore.exceptions import ClientError
    iam = server.client("iam")
    user = iam.create_user(UserName="b3-carol")["User"]
    key = iam.create_access_key(UserName="b3-carol")["AccessKey"]
    iam.create_group(GroupName="b3-team")
    iam.add_user_to_group(GroupName="b3-team", UserName="b3-carol")
    role = iam.create_role(RoleName="b3-app", AssumeRolePolicyDocument=json.dumps(trust(user["Arn"])),
                           MaxSessionDuration=7200, Tags=[{"Key": "team", "Value": "db"}])["Role"]
    assert iam.get_role(RoleName="b3-app")["Role"]["AssumeRolePolicyDocument"] == trust(user["Arn"])
    assert iam.list_role_tags(RoleName="b3-app")["Tags"] == [{"Key": "team", "Value": "db"}]
    policy = iam.create_policy(PolicyName="b3-connect",
                               PolicyDocument=json.dumps(allow("rds-db:connect", dbuser_arn("carol"))))["Policy"]
    iam.attach_role_policy(RoleName="b3-app", PolicyArn=policy["Arn"])

    sts = server.client("sts", (key["AccessKeyId"], key["SecretAccessKey"]))
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="b3", DurationSeconds=7200)["Credentials"]
    session = server.client("sts", (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    assert session.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/b3-app/b3"

    results = iam.simulate_principal_policy(PolicySourceArn=role["Arn"], ActionNames=["rds-db:connect"],
                                            ResourceArns=[dbuser_arn("carol"), dbuser_arn("dave")])
    assert [r["EvalDecision"] for r in results["EvaluationResults"]] == ["allowed", "implicitDeny"]
    custom = iam.simulate_custom_policy(PolicyInputList=[json.dumps(allow("rds-db:connect"))],
                                        ActionNames=["rds-db:connect", "iam:CreateUser"])
    assert [r["EvalDecision"] for r in custom["EvaluationResults"]] == ["allowed", "implicitDeny"]

    for i in range(3):
        iam.create_group(GroupName=f"b3-page-{i}", Path="/b3-pages/")
    pages = iam.get_paginator("list_groups").paginate(PathPrefix="/b3-pages/", PaginationConfig={"PageSize": 2})
    assert [[g["GroupName"] for g in page["Groups"]] for page in pages] == [["b3-page-0", "b3-page-1"], ["b3-page-2"]]

    with pytest.raises(ClientError) as denied:
        server.client("iam", (key["AccessKeyId"], key["SecretAccessKey"])).list_users()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as conflict:
        iam.delete_group(GroupName="b3-team")
    assert conflict.value.response["Error"]["Code"] == "DeleteConflict"
    with pytest.raises(ClientError) as exists:
        iam.create_role(RoleName="B3-APP", AssumeRolePolicyDocument=json.dumps(trust(user["Arn"])))
    assert exists.value.response["Error"]["Code"] == "EntityAlreadyExists"
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_group(GroupName="b3-nobody")


def test_boto3_parses_every_result_shape(server):
    """The actions the CLI tests do not reach, through botocore's parsers."""
    iam = server.client("iam")
    admin_arn = f"arn:aws:iam::{ACCOUNT}:user/admin"
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.create_role(RoleName="b3-shapes", AssumeRolePolicyDocument=json.dumps(trust(admin_arn)))
    iam.update_role(RoleName="b3-shapes", MaxSessionDuration=43200)
    described = iam.update_role_description(RoleName="b3-shapes", Description="shapes")["Role"]
    assert (described["Description"], described["MaxSessionDuration"]) == ("shapes", 43200)
    iam.put_role_permissions_boundary(RoleName="b3-shapes", PermissionsBoundary=read_only)
    assert iam.get_role(RoleName="b3-shapes")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": read_only}
    iam.delete_role_permissions_boundary(RoleName="b3-shapes")
    iam.tag_role(RoleName="b3-shapes", Tags=[{"Key": "a", "Value": "1"}])
    iam.untag_role(RoleName="b3-shapes", TagKeys=["a"])
    assert iam.list_role_tags(RoleName="b3-shapes")["Tags"] == []
    assert "b3-shapes" in [r["RoleName"] for r in iam.list_roles()["Roles"]]

    arn = iam.create_policy(PolicyName="b3-tagged", PolicyDocument=json.dumps(allow("s3:*")), Description="d",
                            Tags=[{"Key": "k", "Value": "v"}])["Policy"]["Arn"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["k"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == allow("s3:*") and version["IsDefaultVersion"]

    iam.create_group(GroupName="b3-shapes")
    iam.update_group(GroupName="b3-shapes", NewGroupName="b3-shapes2", NewPath="/moved/")
    iam.put_group_policy(GroupName="b3-shapes2", PolicyName="p", PolicyDocument=json.dumps(allow("s3:*")))
    assert iam.get_group_policy(GroupName="b3-shapes2", PolicyName="p")["PolicyDocument"] == allow("s3:*")
    assert iam.list_group_policies(GroupName="b3-shapes2")["PolicyNames"] == ["p"]
    iam.attach_group_policy(GroupName="b3-shapes2", PolicyArn=arn)
    assert [a["PolicyArn"] for a in iam.list_attached_group_policies(GroupName="b3-shapes2")["AttachedPolicies"]] \
        == [arn]
    attached = iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]
    assert arn in [p["Arn"] for p in attached]
    assert iam.get_group(GroupName="b3-shapes2")["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/moved/b3-shapes2"

    sim = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(allow("iam:TagUser", Condition={"StringEquals": {"aws:RequestTag/team": "db"}}))],
        PermissionsBoundaryPolicyInputList=[json.dumps(allow("iam:*"))],
        ActionNames=["iam:TagUser"],
        ContextEntries=[{"ContextKeyName": "aws:RequestTag/team", "ContextKeyValues": ["db"], "ContextKeyType": "string"}],
        MaxItems=1)
    result = sim["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == [
        "PolicyInputList.1", "PermissionsBoundaryPolicyInputList.1"]
    assert sim["IsTruncated"] is False
