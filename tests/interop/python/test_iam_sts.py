"""IAM roles and STS, the way an admin and an app use them against AWS: boto3 and the AWS CLI v1 round
trips, IAM's error codes, AssumeRole / AssumeRoleWithWebIdentity, session policies, and temporary
credentials confined to their role."""

import collections
import http.client
import json
import urllib.parse

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, allow, doc, error_code, fail, jwt_claims, status, unique



# ---- helpers -------------------------------------------------------------------------------------








def trust_root(acct: str) -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"})


def refused_put(server, creds: dict, bucket: str, key: str) -> ClientError:
    """A PutObject the credentials may not do; returns its error. (That the connection stays usable
    after such a refusal is test_request_after_refused_put_keeps_working's.)"""
    return fail(server.temporary_client("s3", creds).put_object, Bucket=bucket, Key=key, Body=b"no")


def unchecked(server, service: str):
    """A root-signed client that leaves parameter checks to the server (botocore would refuse
    out-of-range values before sending them)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
    )




@pytest.fixture(scope="module")
def sts(server):
    return server.client("sts")


@pytest.fixture(scope="module")
def acct(sts):
    ident = sts.get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:root"
    assert len(ident["Account"]) == 12 and ident["Account"].isdigit()
    return ident["Account"]


@pytest.fixture(scope="module")
def prefix(server):
    """Objects in the bootstrap bucket, written with the root credentials."""
    p = unique("iamsts-")
    s3 = server.s3()
    s3.put_object(Bucket=server.bucket, Key=f"{p}/a.txt", Body=b"alpha")
    s3.put_object(Bucket=server.bucket, Key=f"{p}/b.txt", Body=b"bravo")
    return p


@pytest.fixture(scope="module")
def other_bucket(server):
    name = unique("iamsts-other-")
    s3 = server.s3()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="x.txt", Body=b"elsewhere")
    return name


def make_role(iam, trust: str, policies: dict | None = None, **kw) -> dict:
    name = kw.pop("RoleName", None) or unique("role-")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kw)["Role"]
    for pname, pdoc in (policies or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=pname, PolicyDocument=pdoc)
    return role


def assume(sts, role: dict, session: str = "sess", **kw) -> dict:
    return sts.assume_role(RoleArn=role["Arn"], RoleSessionName=session, **kw)


@pytest.fixture(scope="module")
def user_tokens(server):
    username, _, password = server.signed_up_user()
    result = server.password_auth(username, password)["AuthenticationResult"]
    return result


@pytest.fixture(scope="module")
def oidc_arn(server, iam, acct):
    """The IAM OIDC provider for the bootstrap user pool, as AWS requires before
    AssumeRoleWithWebIdentity accepts that pool's ID tokens."""
    url = f"https://cognito-idp.{REGION}.amazonaws.com/{server.pool_id}"
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=[server.client_id], ThumbprintList=["9" * 40])[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{acct}:oidc-provider/cognito-idp.{REGION}.amazonaws.com/{server.pool_id}"
    return arn


def web_trust(server, oidc_arn: str, client_id: str | None = None) -> str:
    provider = f"cognito-idp.{REGION}.amazonaws.com/{server.pool_id}"
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": oidc_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{provider}:aud": client_id or server.client_id}},
        }
    )


# ---- IAM with boto3 ------------------------------------------------------------------------------
def test_role_round_trip_boto3(iam, acct):
    name = unique("rt-")
    trust = json.loads(trust_root(acct))
    created = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust),
        Path="/app/",
        Description="round trip",
        MaxSessionDuration=7200,
    )["Role"]
    assert created["RoleName"] == name
    assert created["Path"] == "/app/"
    assert created["Arn"] == f"arn:aws:iam::{acct}:role/app/{name}"
    assert created["RoleId"].startswith("AROA")
    assert created["CreateDate"]
    assert created["AssumeRolePolicyDocument"] == trust

    got = iam.get_role(RoleName=name)["Role"]
    for field in ("RoleName", "Path", "Arn", "RoleId"):
        assert got[field] == created[field], field
    assert got["Description"] == "round trip"
    assert got["MaxSessionDuration"] == 7200
    assert got["AssumeRolePolicyDocument"] == trust

    listed = [r for r in iam.list_roles(PathPrefix="/app/")["Roles"] if r["RoleName"] == name]
    assert len(listed) == 1 and listed[0]["Arn"] == created["Arn"]

    new_trust = json.loads(
        doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"})
    )
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new_trust

    policy = json.loads(doc(allow("s3:GetObject", "arn:aws:s3:::some-bucket/*")))
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(policy))
    got_policy = iam.get_role_policy(RoleName=name, PolicyName="read")
    assert got_policy["RoleName"] == name
    assert got_policy["PolicyName"] == "read"
    assert got_policy["PolicyDocument"] == policy
    # Putting the same name again replaces it.
    policy2 = json.loads(doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::some-bucket/*")))
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(policy2))
    iam.put_role_policy(RoleName=name, PolicyName="list", PolicyDocument=doc(allow("s3:ListBucket", "*")))
    assert iam.get_role_policy(RoleName=name, PolicyName="read")["PolicyDocument"] == policy2
    assert sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]) == ["list", "read"]

    e = fail(iam.delete_role, RoleName=name)
    assert error_code(e) == "DeleteConflict" and status(e) == 409
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == created["Arn"]

    iam.delete_role_policy(RoleName=name, PolicyName="read")
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["list"]
    assert error_code(fail(iam.get_role_policy, RoleName=name, PolicyName="read")) == "NoSuchEntity"
    assert error_code(fail(iam.delete_role, RoleName=name)) == "DeleteConflict"
    iam.delete_role_policy(RoleName=name, PolicyName="list")
    iam.delete_role(RoleName=name)

    e = fail(iam.get_role, RoleName=name)
    assert error_code(e) == "NoSuchEntity" and status(e) == 404
    assert name not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_list_roles_paging(iam, acct):
    path = f"/{unique('page')}/"
    names = sorted(unique("pg-") for _ in range(5))
    for n in names:
        iam.create_role(RoleName=n, Path=path, AssumeRolePolicyDocument=trust_root(acct))

    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    assert len(first["Roles"]) == 2
    assert first["IsTruncated"] is True and first["Marker"]
    seen = [r["RoleName"] for r in first["Roles"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_roles(PathPrefix=path, MaxItems=2, Marker=marker)
        assert 1 <= len(page["Roles"]) <= 2
        seen += [r["RoleName"] for r in page["Roles"]]
        marker = page.get("Marker") if page["IsTruncated"] else None
        if not page["IsTruncated"]:
            assert "Marker" not in page
    assert sorted(seen) == names, "every role once"

    # Without a prefix, paging walks every role in the account (roles of other tests too).
    everything = []
    for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 3}):
        assert len(page["Roles"]) <= 3
        everything += [r["RoleName"] for r in page["Roles"]]
    assert len(everything) == len(set(everything))
    assert set(names) <= set(everything)


def test_entity_already_exists_any_case(iam, acct):
    name = unique("Dup-")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_root(acct))
    for again in (name, name.upper(), name.lower()):
        e = fail(iam.create_role, RoleName=again, AssumeRolePolicyDocument=trust_root(acct))
        assert error_code(e) == "EntityAlreadyExists", again
        assert status(e) == 409
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].lower() == name.lower()] == [name]


def test_no_such_entity(iam, acct):
    missing = unique("missing-")
    calls = [
        (iam.get_role, dict(RoleName=missing)),
        (iam.delete_role, dict(RoleName=missing)),
        (iam.update_assume_role_policy, dict(RoleName=missing, PolicyDocument=trust_root(acct))),
        (iam.put_role_policy, dict(RoleName=missing, PolicyName="p", PolicyDocument=doc(allow("s3:GetObject", "*")))),
        (iam.get_role_policy, dict(RoleName=missing, PolicyName="p")),
        (iam.list_role_policies, dict(RoleName=missing)),
        (iam.delete_role_policy, dict(RoleName=missing, PolicyName="p")),
    ]
    for call, kw in calls:
        e = fail(call, **kw)
        assert error_code(e) == "NoSuchEntity", (call, e.response)
        assert status(e) == 404, call
    role = make_role(iam, trust_root(acct))
    e = fail(iam.get_role_policy, RoleName=role["RoleName"], PolicyName="nope")
    assert error_code(e) == "NoSuchEntity"
    e = fail(iam.delete_role_policy, RoleName=role["RoleName"], PolicyName="nope")
    assert error_code(e) == "NoSuchEntity"


def test_malformed_policy_documents(iam, acct):
    root = f"arn:aws:iam::{acct}:root"
    bad_trusts = {
        "bad json": '{"Version": "2012-10-17", "Statement": [',
        "no Principal": doc({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        "no Effect": doc({"Principal": {"AWS": root}, "Action": "sts:AssumeRole"}),
    }
    for why, trust in bad_trusts.items():
        name = unique("bad-")
        e = fail(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trust)
        assert error_code(e) == "MalformedPolicyDocument", (why, e.response)
        assert status(e) == 400, why
        assert error_code(fail(iam.get_role, RoleName=name)) == "NoSuchEntity", f"{why}: nothing created"

    role = make_role(iam, trust_root(acct))
    name = role["RoleName"]
    for why, trust in bad_trusts.items():
        e = fail(iam.update_assume_role_policy, RoleName=name, PolicyDocument=trust)
        assert error_code(e) == "MalformedPolicyDocument", (why, e.response)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(trust_root(acct))

    bad_permissions = {
        "bad json": "{not json",
        "no Effect": doc({"Action": "s3:GetObject", "Resource": "*"}),
        "Principal in a permission policy": doc(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "s3:GetObject", "Resource": "*"}
        ),
        "bad Effect": doc({"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}),
    }
    for why, pdoc in bad_permissions.items():
        e = fail(iam.put_role_policy, RoleName=name, PolicyName="p", PolicyDocument=pdoc)
        assert error_code(e) == "MalformedPolicyDocument", (why, e.response)
        assert status(e) == 400, why
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []


def test_validation_errors(server, iam, acct):
    e = fail(iam.create_role, RoleName="bad name!", AssumeRolePolicyDocument=trust_root(acct))
    assert error_code(e) == "ValidationError" and status(e) == 400
    e = fail(iam.create_role, RoleName="x" * 65, AssumeRolePolicyDocument=trust_root(acct))
    assert error_code(e) == "ValidationError"
    for seconds in (600, 50000):
        e = fail(
            unchecked(server, "iam").create_role,
            RoleName=unique("dur-"),
            AssumeRolePolicyDocument=trust_root(acct),
            MaxSessionDuration=seconds,
        )
        assert error_code(e) == "ValidationError", (seconds, e.response)


def test_unsigned_iam_refused(server, iam, acct):
    """AWS answers an unsigned IAM query request 403 MissingAuthenticationToken, and does nothing."""
    name = unique("anon-")
    anon = server.client("iam", signed=False)
    fail(anon.create_role, RoleName=name, AssumeRolePolicyDocument=trust_root(acct))
    assert error_code(fail(iam.get_role, RoleName=name)) == "NoSuchEntity", "an unsigned CreateRole made nothing"
    for call, kw in [(anon.list_roles, {}), (anon.create_role, dict(RoleName=name, AssumeRolePolicyDocument=trust_root(acct)))]:
        e = fail(call, **kw)
        assert (error_code(e), status(e)) == ("MissingAuthenticationToken", 403), (call, e.response["Error"])


def test_mis_signed_iam_refused(server):
    wrong = server.client("iam", secret_key="wrong" + server.secret_key[5:])
    e = fail(wrong.list_roles)
    assert error_code(e) == "SignatureDoesNotMatch" and status(e) == 403
    stranger = server.client("iam", access_key="AKIA" + "Q" * 16, secret_key="x" * 40)
    e = fail(stranger.list_roles)
    assert error_code(e) == "InvalidClientTokenId" and status(e) == 403
    e = fail(server.client("sts", signed=False).get_caller_identity)
    assert error_code(e) == "MissingAuthenticationToken" and status(e) == 403


def test_oidc_provider_round_trip(iam, acct):
    host = f"{unique('issuer')}.example.com"
    url = f"https://{host}/path"
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["client-a"], ThumbprintList=["a" * 40])[
        "OpenIDConnectProviderArn"
    ]
    assert arn == f"arn:aws:iam::{acct}:oidc-provider/{host}/path"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == f"{host}/path"
    assert got["ClientIDList"] == ["client-a"]
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    e = fail(iam.create_open_id_connect_provider, Url=url, ClientIDList=["client-b"], ThumbprintList=["b" * 40])
    assert error_code(e) == "EntityAlreadyExists"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    e = fail(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert error_code(e) == "NoSuchEntity"
    assert arn not in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]


def test_oidc_provider_keeps_thumbprints(iam):
    url = f"https://{unique('thumbs')}.example.com"
    thumbs = ["a" * 40, "b" * 40]
    arn = iam.create_open_id_connect_provider(Url=url, ClientIDList=["c"], ThumbprintList=thumbs)["OpenIDConnectProviderArn"]
    try:
        assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == thumbs
    finally:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


# ---- IAM with the AWS CLI ------------------------------------------------------------------------
def test_role_round_trip_cli(server, acct, tmp_path):
    name = unique("cli-")
    trust = json.loads(trust_root(acct))
    (tmp_path / "trust.json").write_text(json.dumps(trust, indent=2))
    policy = json.loads(doc(allow("s3:ListBucket", f"arn:aws:s3:::{server.bucket}")))
    (tmp_path / "policy.json").write_text(json.dumps(policy))

    created = server.aws_json(
        "iam", "create-role", "--role-name", name,
        "--assume-role-policy-document", f"file://{tmp_path / 'trust.json'}",
        "--description", "made by the CLI",
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{acct}:role/{name}"
    assert created["RoleId"].startswith("AROA")

    got = server.aws_json("iam", "get-role", "--role-name", name)["Role"]
    assert got["AssumeRolePolicyDocument"] == trust, "the CLI prints the trust policy decoded"
    assert got["Description"] == "made by the CLI"

    server.aws(
        "iam", "put-role-policy", "--role-name", name, "--policy-name", "list",
        "--policy-document", f"file://{tmp_path / 'policy.json'}",
    )
    got_policy = server.aws_json("iam", "get-role-policy", "--role-name", name, "--policy-name", "list")
    assert got_policy["PolicyDocument"] == policy

    # The CLI pages list-roles itself (Marker) until it has them all.
    listed = server.aws_json("iam", "list-roles", "--page-size", "2")
    assert name in [r["RoleName"] for r in listed["Roles"]]

    conflict = server.aws("iam", "delete-role", "--role-name", name, check=False)
    assert conflict.returncode != 0 and "DeleteConflict" in conflict.stderr, conflict.stderr
    server.aws("iam", "delete-role-policy", "--role-name", name, "--policy-name", "list")
    server.aws("iam", "delete-role", "--role-name", name)
    gone = server.aws("iam", "get-role", "--role-name", name, check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr, gone.stderr


# ---- STS AssumeRole ------------------------------------------------------------------------------
def test_assume_role_with_root_credentials(server, iam, sts, acct, prefix, other_bucket):
    role = make_role(
        iam,
        trust_root(acct),
        {"read": doc(allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/{prefix}/*"))},
    )
    out = assume(sts, role, session="root-session")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["SecretAccessKey"] and creds["SessionToken"] and creds["Expiration"]
    assumed = out["AssumedRoleUser"]
    assert assumed["Arn"] == f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/root-session"
    assert assumed["AssumedRoleId"] == f"{role['RoleId']}:root-session"

    me = server.temporary_client("sts", creds).get_caller_identity()
    assert me["Arn"] == assumed["Arn"]
    assert me["Account"] == acct
    assert me["UserId"] == assumed["AssumedRoleId"]

    s3 = server.temporary_client("s3", creds)
    assert s3.get_object(Bucket=server.bucket, Key=f"{prefix}/a.txt")["Body"].read() == b"alpha"
    e = refused_put(server, creds, server.bucket, f"{prefix}/new.txt")
    assert error_code(e) == "AccessDenied" and status(e) == 403
    e = fail(s3.list_objects_v2, Bucket=server.bucket)
    assert error_code(e) == "AccessDenied"
    assert error_code(fail(s3.get_object, Bucket=other_bucket, Key="x.txt")) == "AccessDenied"


def test_assume_role_not_trusting_root_is_access_denied(iam, sts, acct):
    role = make_role(
        iam,
        doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}),
    )
    e = fail(assume, sts, role)
    assert error_code(e) == "AccessDenied" and status(e) == 403
    # A trust that names the root but for another action does not let it AssumeRole either.
    other = make_role(
        iam,
        doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:TagSession"}),
    )
    assert error_code(fail(assume, sts, other)) == "AccessDenied"
    missing = {"Arn": f"arn:aws:iam::{acct}:role/{unique('nobody-')}"}
    assert error_code(fail(assume, sts, missing)) == "AccessDenied"


def test_assume_role_unsigned_is_refused(server, iam, acct):
    role = make_role(iam, trust_root(acct))
    e = fail(server.client("sts", signed=False).assume_role, RoleArn=role["Arn"], RoleSessionName="xx")
    assert error_code(e) == "MissingAuthenticationToken", e.response
    assert status(e) == 403


def test_session_policy_narrows_access(server, iam, sts, acct, prefix):
    bucket = server.bucket
    role = make_role(
        iam,
        trust_root(acct),
        {"all": doc(allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]))},
    )
    # Without a session policy the role's s3:* applies.
    full = server.temporary_client("s3", assume(sts, role)["Credentials"])
    full.put_object(Bucket=bucket, Key=f"{prefix}/full.txt", Body=b"ok")
    assert full.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")["KeyCount"] >= 2

    session_policy = doc(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    narrow_creds = assume(sts, role, Policy=session_policy)["Credentials"]
    narrow = server.temporary_client("s3", narrow_creds)
    assert narrow.get_object(Bucket=bucket, Key=f"{prefix}/a.txt")["Body"].read() == b"alpha"
    e = refused_put(server, narrow_creds, bucket, f"{prefix}/narrow.txt")
    assert error_code(e) == "AccessDenied" and status(e) == 403
    assert error_code(fail(narrow.list_objects_v2, Bucket=bucket)) == "AccessDenied"
    assert error_code(fail(narrow.delete_object, Bucket=bucket, Key=f"{prefix}/a.txt")) == "AccessDenied"
    assert server.s3().get_object(Bucket=bucket, Key=f"{prefix}/a.txt")["Body"].read() == b"alpha"

    # A session policy cannot widen: it grants PutObject on another bucket the role has no right to.
    wide = doc(allow("s3:*", "*"))
    widened = server.temporary_client("s3", assume(sts, role, Policy=wide)["Credentials"])
    assert error_code(fail(widened.list_buckets)) == "AccessDenied"


@pytest.mark.parametrize("size", [2, 65536])
def test_request_after_refused_put_keeps_working(server, size):
    """A PUT refused before its body is read must leave the keep-alive connection usable, or say
    `Connection: close` so the client opens a new one: SDKs send their next request on the same
    connection (after a refused PutObject with temporary credentials boto3 then fails with
    ConnectionClosedError, or even SignatureDoesNotMatch)."""
    parts = urllib.parse.urlsplit(server.endpoint)
    outcomes = collections.Counter()
    for i in range(100):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            conn.request("PUT", f"/{server.bucket}/refused-{i}.txt", body=b"n" * size)
            resp = conn.getresponse()
            resp.read()
            closing = (resp.getheader("connection") or "").lower() == "close"
            if closing:
                outcomes[(resp.status, "Connection: close")] += 1
                continue
            try:
                conn.request("GET", "/_s3cognito/health")
                after = conn.getresponse()
                after.read()
                outcomes[(resp.status, after.status)] += 1
            except (OSError, http.client.HTTPException) as e:
                outcomes[(resp.status, type(e).__name__)] += 1
        finally:
            conn.close()
    bad = {k: n for k, n in outcomes.items() if k[1] not in (200, "Connection: close")}
    assert not bad, f"next request on the connection of a refused {size}-byte PUT: {dict(outcomes)}"
    assert all(k[0] == 403 for k in outcomes)


def test_duration_seconds_bounds(server, iam, sts, acct):
    role = make_role(iam, trust_root(acct), MaxSessionDuration=3600)
    e = fail(assume, sts, role, DurationSeconds=7200)
    assert error_code(e) == "ValidationError" and status(e) == 400
    e = fail(assume, unchecked(server, "sts"), role, DurationSeconds=600)
    assert error_code(e) == "ValidationError"
    out = assume(sts, role, DurationSeconds=3600)
    assert out["Credentials"]["AccessKeyId"]


def test_temporary_credentials_confined_from_iam(server, iam, sts, acct):
    role = make_role(iam, trust_root(acct), {"s3": doc(allow("s3:ListBucket", f"arn:aws:s3:::{server.bucket}"))})
    creds = assume(sts, role)["Credentials"]
    temp_iam = server.temporary_client("iam", creds)
    for call, kw in [
        (temp_iam.list_roles, {}),
        (temp_iam.get_role, dict(RoleName=role["RoleName"])),
        (temp_iam.create_role, dict(RoleName=unique("escalate-"), AssumeRolePolicyDocument=trust_root(acct))),
        (
            temp_iam.put_role_policy,
            dict(RoleName=role["RoleName"], PolicyName="escalate", PolicyDocument=doc(allow("*", "*"))),
        ),
    ]:
        e = fail(call, **kw)
        assert error_code(e) == "AccessDenied", (call, e.response)
        assert status(e) == 403
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == ["s3"]
    assert role["RoleName"] in [r["RoleName"] for r in iam.list_roles()["Roles"]]

    # Identity-pool and user-pool administration is not theirs either.
    ci = server.temporary_client("cognito-identity", creds)
    e = fail(ci.list_identity_pools, MaxResults=10)
    assert error_code(e) == "AccessDeniedException", e.response
    e = fail(ci.describe_identity_pool, IdentityPoolId=server.exports["aws_cognito_identity_pool_id"])
    assert error_code(e) == "AccessDeniedException"
    e = fail(
        ci.create_identity_pool,
        IdentityPoolName=unique("sneaky"),
        AllowUnauthenticatedIdentities=True,
    )
    assert error_code(e) == "AccessDeniedException"
    idp = server.temporary_client("cognito-idp", creds)
    e = fail(idp.list_users, UserPoolId=server.pool_id)
    assert error_code(e) == "AccessDeniedException", e.response


def test_temporary_credentials_with_iam_permission(server, iam, sts, acct):
    """A role granted iam:GetRole/ListRoles may call exactly those."""
    role = make_role(iam, trust_root(acct), {"iam": doc(allow(["iam:GetRole", "iam:ListRoles"], "*"))})
    temp_iam = server.temporary_client("iam", assume(sts, role)["Credentials"])
    assert temp_iam.get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]
    assert role["RoleName"] in [r["RoleName"] for r in temp_iam.list_roles()["Roles"]]
    e = fail(temp_iam.delete_role, RoleName=role["RoleName"])
    assert error_code(e) == "AccessDenied"


# ---- STS AssumeRoleWithWebIdentity ---------------------------------------------------------------
def test_assume_role_with_web_identity(server, iam, acct, oidc_arn, user_tokens, prefix):
    role = make_role(
        iam,
        web_trust(server, oidc_arn),
        {"read": doc(allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/{prefix}/*"))},
    )
    id_token = user_tokens["IdToken"]
    out = server.client("sts", signed=False).assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="web", WebIdentityToken=id_token
    )
    claims = jwt_claims(id_token)
    assert out["SubjectFromWebIdentityToken"] == claims["sub"]
    assert out["Audience"] == server.client_id
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/web"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert server.temporary_client("sts", creds).get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
    s3 = server.temporary_client("s3", creds)
    assert s3.get_object(Bucket=server.bucket, Key=f"{prefix}/b.txt")["Body"].read() == b"bravo"
    assert error_code(refused_put(server, creds, server.bucket, f"{prefix}/w.txt")) == "AccessDenied"


def test_assume_role_with_web_identity_bad_tokens(server, iam, oidc_arn, user_tokens):
    role = make_role(iam, web_trust(server, oidc_arn))
    sts = server.client("sts", signed=False)
    for why, token in {
        "garbage": "not-a-jwt-at-all-" + "x" * 40,
        "access token": user_tokens["AccessToken"],
        "tampered": user_tokens["IdToken"][:-6] + ("AAAAAA" if not user_tokens["IdToken"].endswith("AAAAAA") else "BBBBBB"),
    }.items():
        e = fail(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="web", WebIdentityToken=token)
        assert error_code(e) == "InvalidIdentityToken", (why, e.response)
        assert status(e) == 400, why


def test_assume_role_with_web_identity_trust_mismatch(server, iam, acct, oidc_arn, user_tokens):
    sts = server.client("sts", signed=False)
    id_token = user_tokens["IdToken"]
    mismatched = {
        "other audience": web_trust(server, oidc_arn, client_id="someotherclientid"),
        "identity pools only": doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ),
        "root only": trust_root(acct),
        "another sub": doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"cognito-idp.{REGION}.amazonaws.com/{server.pool_id}:sub": "not-this-user"}
                },
            }
        ),
    }
    for why, trust in mismatched.items():
        role = make_role(iam, trust)
        e = fail(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="web", WebIdentityToken=id_token)
        assert error_code(e) == "AccessDenied", (why, e.response)
        assert status(e) == 403, why
    # The matching sub is let in.
    sub = jwt_claims(id_token)["sub"]
    role = make_role(
        iam,
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"cognito-idp.{REGION}.amazonaws.com/{server.pool_id}:sub": sub}},
            }
        ),
    )
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="mine", WebIdentityToken=id_token)
    assert out["SubjectFromWebIdentityToken"] == sub


def test_missing_keys_are_access_denied_unless_the_caller_may_list(server, iam, sts, acct, prefix):
    """As on S3: reading a key that does not exist says NoSuchKey only to a caller allowed to list it."""
    read_only = make_role(iam, trust_root(acct), {"read": doc(allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/{prefix}/*"))})
    read_and_list = make_role(
        iam,
        trust_root(acct),
        {
            "read": doc(
                allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/{prefix}/*"),
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": f"arn:aws:s3:::{server.bucket}",
                    "Condition": {"StringLike": {"s3:prefix": f"{prefix}/*"}},
                },
            )
        },
    )
    blind = server.temporary_client("s3", assume(sts, read_only)["Credentials"])
    seeing = server.temporary_client("s3", assume(sts, read_and_list)["Credentials"])
    for client, expected, head_status in ((blind, "AccessDenied", 403), (seeing, "NoSuchKey", 404)):
        assert error_code(fail(client.get_object, Bucket=server.bucket, Key=f"{prefix}/missing.txt")) == expected
        assert status(fail(client.head_object, Bucket=server.bucket, Key=f"{prefix}/missing.txt")) == head_status
        assert client.get_object(Bucket=server.bucket, Key=f"{prefix}/a.txt")["Body"].read() == b"alpha"
    # The account's own keys see NoSuchKey, as the bucket's owner does.
    assert error_code(fail(server.s3().get_object, Bucket=server.bucket, Key=f"{prefix}/missing.txt")) == "NoSuchKey"
