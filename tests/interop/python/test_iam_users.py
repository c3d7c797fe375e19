"""IAM users, their access keys and managed policies, as a backend gets its own least-privilege key instead of
the root keys: made with the AWS CLI, used with the AWS CLI, and taken back (a detached policy, an inactive
key) from the very next request. Inline user policies, policy versions, attachments to roles, and the
refusals IAM gives (a user still holding keys, a policy still attached, a third key) too."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import doc, allow, error_code, fail, unique


def cli(server, *args: str, profile_file=None, check: bool = True) -> subprocess.CompletedProcess:
    """The AWS CLI as the root user, or as the profile `backend` of `profile_file`."""
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(profile_file), "AWS_PROFILE": "backend"} if profile_file else {}
    script = " ".join(["aws", "--endpoint-url", '"$ENDPOINT"', *[f"'{arg}'" for arg in args]])
    return server.sh(script, extra_env=env, check=check)


def cli_json(server, *args: str, profile_file=None) -> dict:
    out = cli(server, *args, "--output", "json", profile_file=profile_file).stdout
    return json.loads(out) if out.strip() else {}


@pytest.fixture(scope="module")
def backend(server, tmp_path_factory):
    """A user `backend-…` with a managed policy allowing s3:GetObject under `reports/` only, and its key."""
    name = unique("backend")
    bucket = server.bucket
    user = cli_json(server, "iam", "create-user", "--user-name", name)["User"]
    assert user["Arn"].endswith(f":user/{name}") and user["UserId"].startswith("AIDA")
    document = doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/reports/*"))
    policy = cli_json(server, "iam", "create-policy", "--policy-name", f"{name}-read-reports", "--policy-document", document)["Policy"]
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    cli(server, "iam", "attach-user-policy", "--user-name", name, "--policy-arn", policy["Arn"])
    key = cli_json(server, "iam", "create-access-key", "--user-name", name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40
    credentials = tmp_path_factory.mktemp("backend") / "credentials"
    credentials.write_text(
        f"[backend]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n"
    )
    credentials.chmod(0o600)
    s3 = server.s3()
    s3.put_object(Bucket=bucket, Key="reports/q1.txt", Body=b"quarter one")
    s3.put_object(Bucket=bucket, Key="payroll/salaries.txt", Body=b"not for the backend")
    return {"name": name, "arn": user["Arn"], "policy": policy["Arn"], "key": key["AccessKeyId"], "credentials": credentials}


def as_backend(server, backend, *args, check=True):
    return cli(server, *args, profile_file=backend["credentials"], check=check)


def test_a_backend_reads_what_its_policy_allows_and_nothing_else(server, backend):
    bucket = server.bucket
    assert as_backend(server, backend, "s3", "cp", f"s3://{bucket}/reports/q1.txt", "-").stdout == "quarter one"
    denied = as_backend(server, backend, "s3", "cp", f"s3://{bucket}/payroll/salaries.txt", "-", check=False)
    assert denied.returncode != 0 and "403" in denied.stderr, denied.stderr
    written = as_backend(server, backend, "s3api", "put-object", "--bucket", bucket, "--key", "reports/new.txt", check=False)
    assert written.returncode != 0 and "AccessDenied" in written.stderr
    listed = as_backend(server, backend, "s3", "ls", f"s3://{bucket}/", check=False)
    assert listed.returncode != 0 and "AccessDenied" in listed.stderr
    iam = as_backend(server, backend, "iam", "list-users", check=False)
    assert iam.returncode != 0 and "AccessDenied" in iam.stderr
    who = json.loads(as_backend(server, backend, "sts", "get-caller-identity").stdout)
    assert who["Arn"] == backend["arn"] and who["UserId"].startswith("AIDA")


def test_a_detached_policy_and_an_inactive_key_stop_the_next_request(server, backend):
    bucket = server.bucket
    cli(server, "iam", "detach-user-policy", "--user-name", backend["name"], "--policy-arn", backend["policy"])
    denied = as_backend(server, backend, "s3", "cp", f"s3://{bucket}/reports/q1.txt", "-", check=False)
    assert denied.returncode != 0, "detached: refused at once"
    cli(server, "iam", "attach-user-policy", "--user-name", backend["name"], "--policy-arn", backend["policy"])
    assert as_backend(server, backend, "s3", "cp", f"s3://{bucket}/reports/q1.txt", "-").stdout == "quarter one"
    attached = cli_json(server, "iam", "list-attached-user-policies", "--user-name", backend["name"])["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [backend["policy"]]

    cli(server, "iam", "update-access-key", "--user-name", backend["name"], "--access-key-id", backend["key"], "--status", "Inactive")
    inactive = as_backend(server, backend, "s3api", "get-object", "--bucket", bucket, "--key", "reports/q1.txt", "/dev/null", check=False)
    assert inactive.returncode != 0 and "InvalidAccessKeyId" in inactive.stderr, inactive.stderr
    sts = as_backend(server, backend, "sts", "get-caller-identity", check=False)
    assert sts.returncode != 0 and "InvalidClientTokenId" in sts.stderr, sts.stderr
    keys = cli_json(server, "iam", "list-access-keys", "--user-name", backend["name"])["AccessKeyMetadata"]
    assert [(key["AccessKeyId"], key["Status"]) for key in keys] == [(backend["key"], "Inactive")]
    cli(server, "iam", "update-access-key", "--user-name", backend["name"], "--access-key-id", backend["key"], "--status", "Active")
    assert as_backend(server, backend, "s3", "cp", f"s3://{bucket}/reports/q1.txt", "-").stdout == "quarter one"


def test_policy_versions_change_what_the_user_may_do(server, backend):
    iam = server.client("iam")
    bucket = server.bucket
    wider = doc(allow("s3:GetObject", [f"arn:aws:s3:::{bucket}/reports/*", f"arn:aws:s3:::{bucket}/payroll/*"]))
    version = iam.create_policy_version(PolicyArn=backend["policy"], PolicyDocument=wider, SetAsDefault=True)["PolicyVersion"]
    assert version["VersionId"] == "v2" and version["IsDefaultVersion"] is True
    assert as_backend(server, backend, "s3", "cp", f"s3://{bucket}/payroll/salaries.txt", "-").stdout == "not for the backend"
    iam.set_default_policy_version(PolicyArn=backend["policy"], VersionId="v1")
    assert as_backend(server, backend, "s3", "cp", f"s3://{bucket}/payroll/salaries.txt", "-", check=False).returncode != 0
    versions = iam.list_policy_versions(PolicyArn=backend["policy"])["Versions"]
    assert {(v["VersionId"], v["IsDefaultVersion"]) for v in versions} == {("v1", True), ("v2", False)}
    read = iam.get_policy_version(PolicyArn=backend["policy"], VersionId="v2")["PolicyVersion"]
    assert json.loads(read["Document"]) == json.loads(wider) if isinstance(read["Document"], str) else read["Document"] == json.loads(wider)
    assert error_code(fail(iam.delete_policy_version, PolicyArn=backend["policy"], VersionId="v1")) == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=backend["policy"], VersionId="v2")
    for number in range(4):
        iam.create_policy_version(PolicyArn=backend["policy"], PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/v{number}/*")))
    assert error_code(fail(iam.create_policy_version, PolicyArn=backend["policy"], PolicyDocument=wider)) == "LimitExceeded"
    got = iam.get_policy(PolicyArn=backend["policy"])["Policy"]
    assert got["DefaultVersionId"] == "v1" and got["AttachmentCount"] == 1
    assert backend["policy"] in [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
    assert iam.list_policies(Scope="AWS")["Policies"] == []


def test_inline_policies_keys_and_deletion_rules(server):
    iam = server.client("iam")
    name = unique("worker")
    iam.create_user(UserName=name, Path="/services/")
    assert error_code(fail(iam.create_user, UserName=name.upper())) == "EntityAlreadyExists", "names are case-insensitive"
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=doc(allow("s3:ListBucket", f"arn:aws:s3:::{server.bucket}")))
    assert iam.list_user_policies(UserName=name)["PolicyNames"] == ["list"]
    assert iam.get_user_policy(UserName=name, PolicyName="list")["PolicyName"] == "list"
    first = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_access_key(UserName=name)
    assert error_code(fail(iam.create_access_key, UserName=name)) == "LimitExceeded", "two keys a user"
    s3 = server.s3(access_key=first["AccessKeyId"], secret_key=first["SecretAccessKey"])
    s3.list_objects_v2(Bucket=server.bucket, MaxKeys=1)
    assert error_code(fail(s3.get_object, Bucket=server.bucket, Key="reports/q1.txt")) == "AccessDenied"
    assert name in [user["UserName"] for user in iam.list_users(PathPrefix="/services/")["Users"]]

    refused = fail(iam.delete_user, UserName=name)
    assert error_code(refused) == "DeleteConflict", "keys first"
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert error_code(fail(iam.delete_user, UserName=name)) == "DeleteConflict", "policies first"
    iam.delete_user_policy(UserName=name, PolicyName="list")
    iam.delete_user(UserName=name)
    assert error_code(fail(iam.get_user, UserName=name)) == "NoSuchEntity"
    # The deleted user's key no longer signs.
    assert error_code(fail(s3.list_objects_v2, Bucket=server.bucket)) == "InvalidAccessKeyId"


def test_a_managed_policy_attached_to_a_role_reaches_its_sessions(server):
    iam, sts = server.client("iam"), server.client("sts")
    account = sts.get_caller_identity()["Account"]
    role_name = unique("reader")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)
    policy = iam.create_policy(PolicyName=unique("role-read"), PolicyDocument=doc(allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/reports/*")))["Policy"]
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role_name}", RoleSessionName="job")["Credentials"]
    session = server.temporary_client("s3", creds)
    assert error_code(fail(session.get_object, Bucket=server.bucket, Key="reports/q1.txt")) == "AccessDenied"
    iam.attach_role_policy(RoleName=role_name, PolicyArn=policy["Arn"])
    assert session.get_object(Bucket=server.bucket, Key="reports/q1.txt")["Body"].read() == b"quarter one"
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]] == [policy["Arn"]]
    assert error_code(fail(iam.delete_role, RoleName=role_name)) == "DeleteConflict", "attached policies keep the role"
    assert error_code(fail(iam.delete_policy, PolicyArn=policy["Arn"])) == "DeleteConflict", "attached: not deletable"
    iam.detach_role_policy(RoleName=role_name, PolicyArn=policy["Arn"])
    assert error_code(fail(session.get_object, Bucket=server.bucket, Key="reports/q1.txt")) == "AccessDenied"
    iam.delete_policy(PolicyArn=policy["Arn"])
    iam.delete_role(RoleName=role_name)
    assert error_code(fail(iam.attach_role_policy, RoleName=role_name, PolicyArn=policy["Arn"])) == "NoSuchEntity"
