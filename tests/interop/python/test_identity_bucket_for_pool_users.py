"""An S3 bucket given only to users signed in through our Cognito user pool, two ways.

Approach 1 (federated identity): user pool -> identity pool -> IAM role with access to the bucket; the
app takes the user's ID token, calls GetId and GetCredentialsForIdentity, and lists the bucket with the
temporary credentials it gets.

Approach 2 (user pool groups): a group carries an IAM role (RoleArn), so members' ID tokens carry
`cognito:roles` / `cognito:preferred_role`; the app either calls STS AssumeRoleWithWebIdentity with that
role, or lets an identity pool pick the role from the token (role mapping Type Token), or from rules on
the token's claims (Type Rules)."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, allow, doc, error_code, fail, jwt_claims, unique

PASSWORD = "Passw0rd!Pool001"


# ---- helpers -------------------------------------------------------------------------------------






def identity_trust(*pool_ids: str) -> dict:
    """The trust statement AWS's console writes for an identity pool's authenticated role."""
    return {
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"cognito-identity.amazonaws.com:aud": list(pool_ids) if len(pool_ids) > 1 else pool_ids[0]},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
        },
    }




def caller_arn(server, creds: dict) -> str:
    return server.temporary_client("sts", creds).get_caller_identity()["Arn"]


def listing(s3, bucket: str, prefix: str = "") -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def refused_put(server, creds: dict, key: str) -> None:
    """An upload the credentials may not do is refused."""
    denied(server.temporary_client("s3", creds).put_object, Bucket=server.bucket, Key=key, Body=b"no")


def denied(call, **kw) -> None:
    e = fail(call, **kw)
    assert error_code(e) == "AccessDenied", e.response["Error"]
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403


# ---- module fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def acct(server):
    return server.client("sts").get_caller_identity()["Account"]


@pytest.fixture(scope="module")
def provider(server):
    """The Logins key (and CognitoIdentityProviders ProviderName) for the bootstrap user pool."""
    return f"cognito-idp.{REGION}.amazonaws.com/{server.pool_id}"


@pytest.fixture(scope="module")
def ci(server):
    """cognito-identity, root-signed (the admin side)."""
    return server.client("cognito-identity")


@pytest.fixture(scope="module")
def ci_public(server):
    """cognito-identity unsigned: GetId and GetCredentialsForIdentity are public calls."""
    return server.client("cognito-identity", signed=False)


@pytest.fixture(scope="module")
def seeded(server):
    """Objects put in the bootstrap bucket with the root credentials, plus one outside the prefix."""
    prefix = unique("pooluser-")
    s3 = server.s3()
    keys = {f"{prefix}/report.txt": b"quarterly numbers", f"{prefix}/photos/cat.jpg": b"\xff\xd8 cat"}
    for key, body in keys.items():
        s3.put_object(Bucket=server.bucket, Key=key, Body=body)
    outside = unique("pooluser-outside-") + ".txt"
    s3.put_object(Bucket=server.bucket, Key=outside, Body=b"not under the prefix")
    return {"prefix": prefix, "keys": keys, "outside": outside}


@pytest.fixture(scope="module")
def other_bucket(server):
    name = unique("pooluser-other-")
    server.s3().create_bucket(Bucket=name)
    server.s3().put_object(Bucket=name, Key="elsewhere.txt", Body=b"elsewhere")
    return name


def new_identity_pool(server, ci, provider: str) -> str:
    pool = ci.create_identity_pool(
        IdentityPoolName=unique("pooluser_"),
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": provider, "ClientId": server.client_id, "ServerSideTokenCheck": False}
        ],
    )
    assert pool["IdentityPoolId"].startswith(f"{REGION}:")
    return pool["IdentityPoolId"]


def sign_in(server, username: str, password: str = PASSWORD) -> dict:
    return server.password_auth(username, password)["AuthenticationResult"]


def identity_credentials(server, ci_public, provider, pool_id: str, id_token: str, **kw) -> tuple[str, dict]:
    """What an app's backend does: GetId, then GetCredentialsForIdentity, with the user's ID token."""
    logins = {provider: id_token}
    identity_id = ci_public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    out = ci_public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins, **kw)
    assert out["IdentityId"] == identity_id
    creds = out["Credentials"]
    assert creds["AccessKeyId"] and creds["SecretKey"] and creds["SessionToken"] and creds["Expiration"]
    return identity_id, creds


# ---- approach 1 ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def approach1(server, ci, provider, acct, tmp_path_factory):
    """The admin's setup: an identity pool on the bootstrap user pool/client and, made with the AWS CLI,
    its authenticated role allowed to list the bucket and read its objects."""
    pool_id = new_identity_pool(server, ci, provider)
    role_name = unique("pooluser-reader-")
    files = tmp_path_factory.mktemp("pooluser-policies")
    (files / "trust.json").write_text(doc(identity_trust(pool_id)))
    (files / "s3.json").write_text(
        doc(
            allow("s3:ListBucket", f"arn:aws:s3:::{server.bucket}"),
            allow("s3:GetObject", f"arn:aws:s3:::{server.bucket}/*"),
        )
    )
    role = server.aws_json(
        "iam", "create-role", "--role-name", role_name,
        "--assume-role-policy-document", f"file://{files / 'trust.json'}",
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{acct}:role/{role_name}"
    server.aws(
        "iam", "put-role-policy", "--role-name", role_name, "--policy-name", "bucket-read",
        "--policy-document", f"file://{files / 's3.json'}",
    )
    ci.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role["Arn"]})
    return {"pool_id": pool_id, "role": role}


@pytest.fixture(scope="module")
def plain_user(server):
    """A user who signed up and confirmed through the public API; in no group."""
    username, _, password = server.signed_up_user(password=PASSWORD)
    return username


def test_approach1_identity_pool_configured(server, ci, provider, approach1):
    pool = ci.describe_identity_pool(IdentityPoolId=approach1["pool_id"])
    assert pool["AllowUnauthenticatedIdentities"] is False
    assert [(p["ProviderName"], p["ClientId"]) for p in pool["CognitoIdentityProviders"]] == [
        (provider, server.client_id)
    ]
    assert approach1["pool_id"] in [p["IdentityPoolId"] for p in ci.list_identity_pools(MaxResults=60)["IdentityPools"]]
    roles = ci.get_identity_pool_roles(IdentityPoolId=approach1["pool_id"])
    assert roles["Roles"] == {"authenticated": approach1["role"]["Arn"]}


def test_approach1_user_lists_bucket(server, ci, ci_public, provider, approach1, plain_user, seeded, other_bucket, acct):
    id_token = sign_in(server, plain_user)["IdToken"]
    identity_id, creds = identity_credentials(server, ci_public, provider, approach1["pool_id"], id_token)
    assert identity_id.startswith(f"{REGION}:")

    s3 = server.temporary_client("s3", creds)
    keys = listing(s3, server.bucket)
    assert set(seeded["keys"]) | {seeded["outside"]} <= set(keys)
    assert sorted(listing(s3, server.bucket, seeded["prefix"] + "/")) == sorted(seeded["keys"])
    for key, body in seeded["keys"].items():
        assert s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == body

    # Only what the role allows: no writes, no deletes, no other bucket.
    refused_put(server, creds, f"{seeded['prefix']}/upload.txt")
    denied(s3.delete_object, Bucket=server.bucket, Key=f"{seeded['prefix']}/report.txt")
    denied(s3.list_objects_v2, Bucket=other_bucket)
    denied(s3.get_object, Bucket=other_bucket, Key="elsewhere.txt")
    assert server.s3().get_object(Bucket=server.bucket, Key=f"{seeded['prefix']}/report.txt")["Body"].read()

    assert caller_arn(server, creds) == (
        f"arn:aws:sts::{acct}:assumed-role/{approach1['role']['RoleName']}/CognitoIdentityCredentials"
    )

    # The same user gets the same identity again; the admin sees it, linked to the user pool.
    again = ci_public.get_id(IdentityPoolId=approach1["pool_id"], Logins={provider: sign_in(server, plain_user)["IdToken"]})
    assert again["IdentityId"] == identity_id
    listed = ci.list_identities(IdentityPoolId=approach1["pool_id"], MaxResults=60)["Identities"]
    mine = [i for i in listed if i["IdentityId"] == identity_id]
    assert len(mine) == 1 and mine[0]["Logins"] == [provider]
    assert ci.describe_identity(IdentityId=identity_id)["Logins"] == [provider]


def test_approach1_refusals(server, ci, ci_public, provider, approach1, plain_user):
    pool_id = approach1["pool_id"]
    tokens = sign_in(server, plain_user)
    for why, kw in {
        "no Logins (unauthenticated not allowed)": {},
        "access token instead of ID token": {"Logins": {provider: tokens["AccessToken"]}},
        "garbage token": {"Logins": {provider: "garbage.token.here"}},
        "tampered ID token": {"Logins": {provider: tokens["IdToken"][:-4] + ("AAAA" if not tokens["IdToken"].endswith("AAAA") else "BBBB")}},
        "token under a provider the pool does not have": {
            "Logins": {f"cognito-idp.{REGION}.amazonaws.com/{REGION}_NotOurs123": tokens["IdToken"]}
        },
    }.items():
        e = fail(ci_public.get_id, IdentityPoolId=pool_id, **kw)
        assert error_code(e) == "NotAuthorizedException", (why, e.response["Error"])

    identity_id = ci_public.get_id(IdentityPoolId=pool_id, Logins={provider: tokens["IdToken"]})["IdentityId"]
    e = fail(ci_public.get_credentials_for_identity, IdentityId=identity_id)
    assert error_code(e) == "NotAuthorizedException", e.response["Error"]

    # An authenticated role that does not trust this identity pool: Cognito cannot assume it.
    for why, trust in {
        "trusts another identity pool": identity_trust(f"{REGION}:00000000-0000-0000-0000-000000000000"),
        "trusts only the root": {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{server.client('sts').get_caller_identity()['Account']}:root"},
            "Action": "sts:AssumeRole",
        },
    }.items():
        bad_pool = new_identity_pool(server, ci, provider)
        role = server.client("iam").create_role(RoleName=unique("pooluser-untrusted-"), AssumeRolePolicyDocument=doc(trust))
        ci.set_identity_pool_roles(IdentityPoolId=bad_pool, Roles={"authenticated": role["Role"]["Arn"]})
        logins = {provider: tokens["IdToken"]}
        bad_identity = ci_public.get_id(IdentityPoolId=bad_pool, Logins=logins)["IdentityId"]
        e = fail(ci_public.get_credentials_for_identity, IdentityId=bad_identity, Logins=logins)
        assert error_code(e) == "InvalidIdentityPoolConfigurationException", (why, e.response["Error"])


# ---- approach 2 ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def approach2(server, ci, iam, provider, acct, seeded):
    """Identity pools for the Token and Rules mappings; the OIDC provider STS needs for the user pool;
    three roles (authenticated fallback, readers, editors); two groups carrying the roles; and users:
    alice (readers), bob (readers + editors), carol (no group)."""
    tag = unique("")
    bucket = server.bucket
    prefix = seeded["prefix"]
    token_pool = new_identity_pool(server, ci, provider)
    rules_pool = new_identity_pool(server, ci, provider)

    oidc_arn = iam.create_open_id_connect_provider(
        Url=f"https://{provider}", ClientIDList=[server.client_id], ThumbprintList=["9" * 40]
    )["OpenIDConnectProviderArn"]
    assert oidc_arn == f"arn:aws:iam::{acct}:oidc-provider/{provider}"
    web_identity = {
        "Effect": "Allow",
        "Principal": {"Federated": oidc_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{provider}:aud": server.client_id}},
    }
    from_pools = identity_trust(token_pool, rules_pool)

    def role(name, trust, policy):
        r = iam.create_role(RoleName=f"pooluser-{name}-{tag}", AssumeRolePolicyDocument=doc(*trust))["Role"]
        iam.put_role_policy(RoleName=r["RoleName"], PolicyName="s3", PolicyDocument=policy)
        return r

    roles = {
        "auth": role("auth", [from_pools], doc(allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"))),
        "reader": role(
            "reader",
            [web_identity, from_pools],
            doc(
                allow("s3:ListBucket", f"arn:aws:s3:::{bucket}"),
                allow("s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}/*"),
            ),
        ),
        "editor": role(
            "editor",
            [web_identity, from_pools],
            doc(allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/{prefix}/edits/*")),
        ),
    }
    admin = server.admin()
    groups = {"readers": f"readers-{tag}", "editors": f"editors-{tag}"}
    admin.create_group(GroupName=groups["readers"], UserPoolId=server.pool_id, RoleArn=roles["reader"]["Arn"], Precedence=1)
    admin.create_group(GroupName=groups["editors"], UserPoolId=server.pool_id, RoleArn=roles["editor"]["Arn"], Precedence=5)
    got = admin.get_group(GroupName=groups["readers"], UserPoolId=server.pool_id)["Group"]
    assert (got["RoleArn"], got["Precedence"]) == (roles["reader"]["Arn"], 1)

    users = {
        "alice": f"alice-{tag}@staff.example.com",
        "bob": f"bob-{tag}@example.org",
        "carol": f"carol-{tag}@example.com",
    }
    names = {}
    for who, mail in users.items():
        names[who], _ = server.admin_user(password=PASSWORD, username=f"{who}-{tag}", email=mail)
    admin.admin_add_user_to_group(UserPoolId=server.pool_id, Username=names["alice"], GroupName=groups["readers"])
    for g in ("readers", "editors"):
        admin.admin_add_user_to_group(UserPoolId=server.pool_id, Username=names["bob"], GroupName=groups[g])
    return {
        "tag": tag,
        "token_pool": token_pool,
        "rules_pool": rules_pool,
        "roles": roles,
        "groups": groups,
        "emails": users,
        "users": names,
        "mapping_key": f"{provider}:{server.client_id}",
    }


def tokens_of(server, a2, who: str) -> dict:
    """Signs in again (after the group changes) and returns the tokens."""
    return sign_in(server, a2["users"][who])


def assumed(acct, role: dict, session: str = "CognitoIdentityCredentials") -> str:
    return f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/{session}"


def test_approach2_group_roles_in_id_token(server, approach2):
    a2 = approach2
    reader, editor = a2["roles"]["reader"]["Arn"], a2["roles"]["editor"]["Arn"]

    alice = tokens_of(server, a2, "alice")
    claims = jwt_claims(alice["IdToken"])
    assert claims["cognito:groups"] == [a2["groups"]["readers"]]
    assert claims["cognito:roles"] == [reader]
    assert claims["cognito:preferred_role"] == reader
    access = jwt_claims(alice["AccessToken"])
    assert access["cognito:groups"] == [a2["groups"]["readers"]]
    assert "cognito:roles" not in access and "cognito:preferred_role" not in access

    bob = jwt_claims(tokens_of(server, a2, "bob")["IdToken"])
    assert sorted(bob["cognito:groups"]) == sorted(a2["groups"].values())
    assert sorted(bob["cognito:roles"]) == sorted([reader, editor])
    assert bob["cognito:preferred_role"] == reader, "the group with the lowest Precedence wins"

    carol = jwt_claims(tokens_of(server, a2, "carol")["IdToken"])
    for claim in ("cognito:groups", "cognito:roles", "cognito:preferred_role"):
        assert claim not in carol, claim
    assert carol["email"] == a2["emails"]["carol"]


def test_approach2a_assume_role_with_web_identity(server, approach2, seeded, other_bucket, acct):
    """An app's backend (a Lambda): take cognito:roles from the ID token and assume it with STS."""
    a2 = approach2
    id_token = tokens_of(server, a2, "alice")["IdToken"]
    role_arn = jwt_claims(id_token)["cognito:preferred_role"]
    sts = server.client("sts", signed=False)
    out = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="pooluser-lambda", WebIdentityToken=id_token)
    assert out["SubjectFromWebIdentityToken"] == jwt_claims(id_token)["sub"]
    assert out["Audience"] == server.client_id
    assert out["AssumedRoleUser"]["Arn"] == assumed(acct, a2["roles"]["reader"], "pooluser-lambda")
    creds = out["Credentials"]
    assert caller_arn(server, creds) == out["AssumedRoleUser"]["Arn"]

    s3 = server.temporary_client("s3", creds)
    assert set(seeded["keys"]) <= set(listing(s3, server.bucket))
    for key, body in seeded["keys"].items():
        assert s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == body
    denied(s3.get_object, Bucket=server.bucket, Key=seeded["outside"])
    refused_put(server, creds, f"{seeded['prefix']}/edits/x.txt")
    denied(s3.list_objects_v2, Bucket=other_bucket)

    # Bob's other role (editors): writes under edits/, and nothing else.
    bob_token = tokens_of(server, a2, "bob")["IdToken"]
    editor_arn = a2["roles"]["editor"]["Arn"]
    assert editor_arn in jwt_claims(bob_token)["cognito:roles"]
    out = sts.assume_role_with_web_identity(RoleArn=editor_arn, RoleSessionName="bob", WebIdentityToken=bob_token)
    editor = server.temporary_client("s3", out["Credentials"])
    key = f"{seeded['prefix']}/edits/{a2['tag']}.txt"
    editor.put_object(Bucket=server.bucket, Key=key, Body=b"edited")
    assert server.s3().get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"edited"
    denied(editor.list_objects_v2, Bucket=server.bucket)
    denied(editor.get_object, Bucket=server.bucket, Key=f"{seeded['prefix']}/report.txt")


def test_approach2a_sts_gate_is_the_trust_policy(server, approach2, acct):
    """STS does not read cognito:roles: the role's trust policy alone decides. The auth role trusts only
    cognito-identity, so even a member's ID token cannot assume it directly; the reader role trusts the
    user pool's client, so any of its users (carol, in no group) can."""
    a2 = approach2
    sts = server.client("sts", signed=False)
    alice = tokens_of(server, a2, "alice")["IdToken"]
    e = fail(sts.assume_role_with_web_identity, RoleArn=a2["roles"]["auth"]["Arn"], RoleSessionName="s1", WebIdentityToken=alice)
    assert error_code(e) == "AccessDenied", e.response["Error"]
    carol = tokens_of(server, a2, "carol")["IdToken"]
    out = sts.assume_role_with_web_identity(RoleArn=a2["roles"]["reader"]["Arn"], RoleSessionName="s2", WebIdentityToken=carol)
    assert out["AssumedRoleUser"]["Arn"] == assumed(acct, a2["roles"]["reader"], "s2")


def test_approach2b_token_mapping(server, ci, ci_public, provider, approach2, seeded, acct):
    a2 = approach2
    pool = a2["token_pool"]
    roles = a2["roles"]
    mapping = {a2["mapping_key"]: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": roles["auth"]["Arn"]}, RoleMappings=mapping)
    got = ci.get_identity_pool_roles(IdentityPoolId=pool)
    assert got["Roles"] == {"authenticated": roles["auth"]["Arn"]}
    assert got["RoleMappings"] == mapping

    def creds_for(who, **kw):
        return identity_credentials(server, ci_public, provider, pool, tokens_of(server, a2, who)["IdToken"], **kw)[1]

    # alice: her group's role, with the reader's access. (AWS keys a user pool's mapping
    # "<provider>:<app client id>"; a server that looks the mapping up by provider alone ignores it
    # and hands out the authenticated role.)
    creds = creds_for("alice")
    assert caller_arn(server, creds) == assumed(acct, roles["reader"]), "Token mapping keyed provider:clientId"
    s3 = server.temporary_client("s3", creds)
    assert s3.get_object(Bucket=server.bucket, Key=f"{seeded['prefix']}/report.txt")["Body"].read() == b"quarterly numbers"
    refused_put(server, creds, f"{seeded['prefix']}/edits/a.txt")

    # bob: cognito:preferred_role (readers, Precedence 1), or any of his cognito:roles by CustomRoleArn.
    assert caller_arn(server, creds_for("bob")) == assumed(acct, roles["reader"])
    editor_creds = creds_for("bob", CustomRoleArn=roles["editor"]["Arn"])
    assert caller_arn(server, editor_creds) == assumed(acct, roles["editor"])
    server.temporary_client("s3", editor_creds).put_object(
        Bucket=server.bucket, Key=f"{seeded['prefix']}/edits/bob.txt", Body=b"by bob"
    )

    # carol is in no group: Deny refuses her.
    carol_token = tokens_of(server, a2, "carol")["IdToken"]
    logins = {provider: carol_token}
    carol_id = ci_public.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    e = fail(ci_public.get_credentials_for_identity, IdentityId=carol_id, Logins=logins)
    assert error_code(e) == "NotAuthorizedException", e.response["Error"]

    # AuthenticatedRole: she falls back to the pool's authenticated role (list only).
    mapping[a2["mapping_key"]]["AmbiguousRoleResolution"] = "AuthenticatedRole"
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": roles["auth"]["Arn"]}, RoleMappings=mapping)
    creds = ci_public.get_credentials_for_identity(IdentityId=carol_id, Logins=logins)["Credentials"]
    assert caller_arn(server, creds) == assumed(acct, roles["auth"])
    s3 = server.temporary_client("s3", creds)
    assert f"{seeded['prefix']}/report.txt" in listing(s3, server.bucket)
    denied(s3.get_object, Bucket=server.bucket, Key=f"{seeded['prefix']}/report.txt")
    # Group members still get their group's role.
    assert caller_arn(server, creds_for("alice")) == assumed(acct, roles["reader"])


def test_approach2b_custom_role_not_in_token_refused(server, ci, ci_public, provider, approach2):
    """CustomRoleArn must be one of the token's cognito:roles."""
    a2 = approach2
    pool = a2["token_pool"]
    ci.set_identity_pool_roles(
        IdentityPoolId=pool,
        Roles={"authenticated": a2["roles"]["auth"]["Arn"]},
        RoleMappings={a2["mapping_key"]: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )
    logins = {provider: tokens_of(server, a2, "alice")["IdToken"]}
    identity_id = ci_public.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    try:
        out = ci_public.get_credentials_for_identity(
            IdentityId=identity_id, Logins=logins, CustomRoleArn=a2["roles"]["editor"]["Arn"]
        )
    except ClientError as e:
        assert error_code(e) in ("NotAuthorizedException", "InvalidParameterException"), e.response["Error"]
    else:
        pytest.fail(f"credentials of a role not in alice's cognito:roles: {caller_arn(server, out['Credentials'])}")


def test_approach2_rules_mapping(server, ci, ci_public, provider, approach2, acct):
    a2 = approach2
    pool = a2["rules_pool"]
    roles = a2["roles"]
    rules = [
        {"Claim": "email", "MatchType": "StartsWith", "Value": f"alice-{a2['tag']}", "RoleARN": roles["reader"]["Arn"]},
        {"Claim": "email", "MatchType": "Equals", "Value": a2["emails"]["carol"], "RoleARN": roles["editor"]["Arn"]},
    ]
    mapping = {
        a2["mapping_key"]: {
            "Type": "Rules",
            "AmbiguousRoleResolution": "Deny",
            "RulesConfiguration": {"Rules": rules},
        }
    }
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": roles["auth"]["Arn"]}, RoleMappings=mapping)
    assert ci.get_identity_pool_roles(IdentityPoolId=pool)["RoleMappings"] == mapping

    def creds_for(who):
        return identity_credentials(server, ci_public, provider, pool, tokens_of(server, a2, who)["IdToken"])[1]

    assert caller_arn(server, creds_for("alice")) == assumed(acct, roles["reader"]), "StartsWith (mapping keyed provider:clientId)"
    # Rules ignore groups: carol, in none, matches Equals on her email.
    assert caller_arn(server, creds_for("carol")) == assumed(acct, roles["editor"]), "Equals"

    # bob matches no rule: Deny refuses him…
    logins = {provider: tokens_of(server, a2, "bob")["IdToken"]}
    bob_id = ci_public.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    e = fail(ci_public.get_credentials_for_identity, IdentityId=bob_id, Logins=logins)
    assert error_code(e) == "NotAuthorizedException", e.response["Error"]

    # …and AuthenticatedRole gives him the authenticated role.
    mapping[a2["mapping_key"]]["AmbiguousRoleResolution"] = "AuthenticatedRole"
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": roles["auth"]["Arn"]}, RoleMappings=mapping)
    creds = ci_public.get_credentials_for_identity(IdentityId=bob_id, Logins=logins)["Credentials"]
    assert caller_arn(server, creds) == assumed(acct, roles["auth"])
