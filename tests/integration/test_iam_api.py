"""The IAM and STS Query APIs against the real AWS tools, on one real iamdb server.

boto3, in process, checks what the server does: users, keys, groups, roles, managed and inline
policies and their versions, attachments, assumed sessions, the simulator, and the AWS error code
of each way a call fails. Each AWS CLI on this machine (lib.env.aws_clis()) then proves what only
it can, at one process start-up per call: that its own parser reads our XML, decodes the policy
documents, pages with --max-items/--starting-token and with --page-size, prints the error code of
a failed call, and assumes a role through a profile and acts as the session.

One server serves the module. The boto3 tests name things b3-* and api-*; each CLI works under
its own prefix (c0-, c1-) so the runs do not meet.
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


def error_code(call, **kwargs):
    """The AWS error code of a boto3 call that must fail."""
    from botocore.exceptions import ClientError
    try:
        call(**kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__}({kwargs}) succeeded")


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


# ---------------------------------------------------------------------- boto3 and the CLI


def test_user_role_policy_and_assumed_session(server, cli):
    """boto3 builds the story and checks the server's answers; the CLI creates the user, reads
    the role back, assumes it through the user's profile, acts as the session, reads the
    simulator's nested results and prints the refusal."""
    _, p = cli
    iam = server.client("iam")
    user = server.aws_json("iam", "create-user", "--user-name", f"{p}-alice", "--path", "/apps/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/apps/{p}-alice"
    key = iam.create_access_key(UserName=f"{p}-alice")["AccessKey"]
    server.add_profile(f"{p}-alice", key["AccessKeyId"], key["SecretAccessKey"])

    iam.create_group(GroupName=f"{p}-devs")
    iam.add_user_to_group(GroupName=f"{p}-devs", UserName=f"{p}-alice")
    assert [u["UserName"] for u in iam.get_group(GroupName=f"{p}-devs")["Users"]] == [f"{p}-alice"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=f"{p}-alice")["Groups"]] == [f"{p}-devs"]

    role = iam.create_role(RoleName=f"{p}-db-app", Description="connects to db",
                           AssumeRolePolicyDocument=json.dumps(trust(user["Arn"])))["Role"]
    assert role["MaxSessionDuration"] == 3600
    got = server.aws_json("iam", "get-role", "--role-name", f"{p}-db-app")["Role"]
    assert got["AssumeRolePolicyDocument"] == trust(user["Arn"])  # the CLI decodes it
    assert got["Description"] == "connects to db"

    policy = iam.create_policy(PolicyName=f"{p}-connect-alice",
                               PolicyDocument=json.dumps(allow("rds-db:connect", dbuser_arn("alice"))))["Policy"]
    iam.attach_role_policy(RoleName=f"{p}-db-app", PolicyArn=policy["Arn"])
    assert iam.list_attached_role_policies(RoleName=f"{p}-db-app")["AttachedPolicies"] \
        == [{"PolicyName": f"{p}-connect-alice", "PolicyArn": policy["Arn"]}]
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["AttachmentCount"] == 1

    # The user assumes the role (its trust policy names the user) and acts as the session.
    creds = server.aws_json("sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "ci-1",
                            profile=f"{p}-alice")["Credentials"]
    server.add_profile(f"{p}-session", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = server.aws_json("sts", "get-caller-identity", profile=f"{p}-session")
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{p}-db-app/ci-1"
    assert identity["Account"] == ACCOUNT

    # The simulator gives the engine's answers for the role ...
    sim = server.aws_json("iam", "simulate-principal-policy", "--policy-source-arn", role["Arn"],
                          "--action-names", "rds-db:connect",
                          "--resource-arns", dbuser_arn("alice"), dbuser_arn("bob"))
    results = sim["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    assert results[0]["MatchedStatements"][0]["SourcePolicyId"] == f"{p}-connect-alice"
    assert results[0]["MatchedStatements"][0]["SourcePolicyType"] == "user-managed"
    # ... and for policies given inline, with context values.
    only_from_vpc = allow("rds-db:connect", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    missing = server.aws_json("iam", "simulate-custom-policy", "--policy-input-list", json.dumps(only_from_vpc),
                              "--action-names", "rds-db:connect")["EvaluationResults"][0]
    assert missing["EvalDecision"] == "implicitDeny"
    assert missing["MissingContextValues"] == ["aws:SourceIp"]

    def decision_from(ip):
        entry = {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [ip], "ContextKeyType": "ip"}
        return iam.simulate_custom_policy(PolicyInputList=[json.dumps(only_from_vpc)], ActionNames=["rds-db:connect"],
                                          ContextEntries=[entry])["EvaluationResults"][0]["EvalDecision"]
    assert decision_from("10.1.2.3") == "allowed"
    assert decision_from("192.0.2.1") == "implicitDeny"

    # Neither the user nor the session may administer IAM.
    assert server.aws_error("iam", "list-users", profile=f"{p}-alice") == "AccessDenied"
    session = server.client("iam", (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    assert error_code(session.create_group, GroupName=f"{p}-x") == "AccessDenied"
    # A user with access keys cannot be deleted.
    assert error_code(iam.delete_user, UserName=f"{p}-alice") == "DeleteConflict"


def test_cli_decodes_policy_documents(server, cli):
    """Each field that holds a policy document travels URL-encoded in the XML; the CLI gives it
    back as JSON (the role's trust policy: above). Spaces and a '+' in the document show that
    the server's encoding and the CLI's decoding agree."""
    _, p = cli
    iam = server.client("iam")
    doc = allow("rds-db:connect", dbuser_arn("bob"), Condition={"StringEquals": {"aws:username": "bob+ops team"}})
    iam.create_user(UserName=f"{p}-bob")
    iam.put_user_policy(UserName=f"{p}-bob", PolicyName="db", PolicyDocument=json.dumps(doc))
    got = server.aws_json("iam", "get-user-policy", "--user-name", f"{p}-bob", "--policy-name", "db")
    assert (got["UserName"], got["PolicyName"], got["PolicyDocument"]) == (f"{p}-bob", "db", doc)

    arn = iam.create_policy(PolicyName=f"{p}-versioned",
                            PolicyDocument=json.dumps(allow("s3:GetObject")))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")), SetAsDefault=True)
    version = server.aws_json("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")["PolicyVersion"]
    assert (version["Document"], version["VersionId"], version["IsDefaultVersion"]) \
        == (allow("s3:GetObject"), "v1", False)


def test_cli_pages_through_lists(server, cli):
    _, p = cli
    iam = server.client("iam")
    prefix = f"/pages-{p}/"
    names = [f"{p}-page-{i}" for i in range(5)]
    for name in names:
        iam.create_group(GroupName=name, Path=prefix)
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


@pytest.mark.parametrize("code,args", [
    ("NoSuchEntity", ["iam", "get-user", "--user-name", "nobody-at-all"]),
    ("MalformedPolicyDocument", ["iam", "create-policy", "--policy-name", "broken",
                                 "--policy-document", '{"Version":"2012-10-17","Statement":[]}']),
], ids=["NoSuchEntity", "MalformedPolicyDocument"])
def test_cli_prints_error_codes(server, cli, code, args):
    """The CLI reads the code out of our ErrorResponse (AccessDenied, under a user's profile:
    above); test_error_codes has the whole table through boto3."""
    assert server.aws_error(*args) == code


# ---------------------------------------------------------------------- boto3 only


def test_policy_versions(server):
    iam = server.client("iam")
    arn = iam.create_policy(PolicyName="api-versioned",
                            PolicyDocument=json.dumps(allow("s3:GetObject")))["Policy"]["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")),
                                   SetAsDefault=True)["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", False), ("v2", True)]
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    assert document["PolicyVersion"]["Document"] == allow("s3:GetObject")
    assert error_code(iam.delete_policy_version, PolicyArn=arn, VersionId="v2") == "DeleteConflict"
    assert error_code(iam.delete_policy, PolicyArn=arn) == "DeleteConflict"
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*")))
    assert error_code(iam.create_policy_version, PolicyArn=arn, PolicyDocument=json.dumps(allow("s3:*"))) \
        == "LimitExceeded"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    for version in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    assert error_code(iam.get_policy, PolicyArn=arn) == "NoSuchEntity"
    assert error_code(iam.create_policy_version, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess",
                      PolicyDocument=json.dumps(allow("*"))) == "AccessDenied"


def test_inline_policies_and_attachments(server):
    iam = server.client("iam")
    iam.create_user(UserName="api-bob")
    doc = allow("rds-db:connect", dbuser_arn("bob"))
    iam.put_user_policy(UserName="api-bob", PolicyName="db", PolicyDocument=json.dumps(doc))
    got = iam.get_user_policy(UserName="api-bob", PolicyName="db")
    assert (got["UserName"], got["PolicyName"], got["PolicyDocument"]) == ("api-bob", "db", doc)
    assert iam.list_user_policies(UserName="api-bob")["PolicyNames"] == ["db"]
    too_big = allow("rds-db:connect", dbuser_arn("bob"), Sid="S" + "x" * 2100)
    assert error_code(iam.put_user_policy, UserName="api-bob", PolicyName="big",
                      PolicyDocument=json.dumps(too_big)) == "LimitExceeded"
    iam.delete_user_policy(UserName="api-bob", PolicyName="db")
    assert iam.list_user_policies(UserName="api-bob")["PolicyNames"] == []

    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.attach_user_policy(UserName="api-bob", PolicyArn=read_only)
    assert iam.list_attached_user_policies(UserName="api-bob")["AttachedPolicies"] \
        == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": read_only}]
    iam.detach_user_policy(UserName="api-bob", PolicyArn=read_only)
    assert error_code(iam.detach_user_policy, UserName="api-bob", PolicyArn=read_only) == "NoSuchEntity"
    assert error_code(iam.attach_user_policy, UserName="api-bob",
                      PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/api-missing") == "NoSuchEntity"

    iam.create_role(RoleName="api-worker",
                    AssumeRolePolicyDocument=json.dumps(trust(f"arn:aws:iam::{ACCOUNT}:user/api-bob")))
    iam.put_role_policy(RoleName="api-worker", PolicyName="db", PolicyDocument=json.dumps(doc))
    assert error_code(iam.delete_role, RoleName="api-worker") == "DeleteConflict"
    iam.delete_role_policy(RoleName="api-worker", PolicyName="db")
    iam.delete_role(RoleName="api-worker")
    assert error_code(iam.get_role, RoleName="api-worker") == "NoSuchEntity"


@pytest.fixture(scope="module")
def role_with_inline_policy(server):
    iam = server.client("iam")
    iam.create_role(RoleName="with-policy",
                    AssumeRolePolicyDocument=json.dumps(trust(f"arn:aws:iam::{ACCOUNT}:user/admin")))
    iam.put_role_policy(RoleName="with-policy", PolicyName="p", PolicyDocument=json.dumps(allow("s3:*")))
    return "with-policy"


# (the code AWS answers with, the boto3 operation, its arguments)
ERROR_CASES = [
    ("NoSuchEntity", "get_user", {"UserName": "nobody-at-all"}),
    ("NoSuchEntity", "get_role", {"RoleName": "nobody-at-all"}),
    ("EntityAlreadyExists", "create_user", {"UserName": "admin"}),
    ("MalformedPolicyDocument", "create_policy",
     {"PolicyName": "broken", "PolicyDocument": '{"Version":"2012-10-17","Statement":[]}'}),
    ("MalformedPolicyDocument", "put_user_policy",
     {"UserName": "admin", "PolicyName": "broken",
      "PolicyDocument": '{"Statement":{"Effect":"Allow","Action":"s3:*"}}'}),
    ("ValidationError", "create_user", {"UserName": "not a name"}),
    ("ValidationError", "list_policies", {"Scope": "Mine"}),
    ("InvalidInput", "get_policy", {"PolicyArn": "arn:aws:iam::123456789012:user/admin"}),
    ("LimitExceeded", "create_policy",
     {"PolicyName": "huge", "PolicyDocument": json.dumps(allow("s3:*", Sid="S" + "x" * 6200))}),
    ("DeleteConflict", "delete_user", {"UserName": "admin"}),
    ("DeleteConflict", "delete_role", {"RoleName": "with-policy"}),
    # AWS-managed policies belong to AWS, attached or not.
    ("AccessDenied", "delete_policy", {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
]


@pytest.mark.parametrize("code,operation,arguments", ERROR_CASES,
                         ids=[f"{code}-{operation}" for code, operation, _ in ERROR_CASES])
def test_error_codes(server, role_with_inline_policy, code, operation, arguments):
    iam = server.client("iam")
    assert error_code(getattr(iam, operation), **arguments) == code


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
