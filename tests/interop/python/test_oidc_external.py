"""AssumeRoleWithWebIdentity with ID tokens of an *external* OpenID Connect provider, the way an admin
federates any IdP with AWS: register the issuer with IAM (CreateOpenIDConnectProvider), make a role
that trusts the provider's ARN, and let the IdP's users trade their ID tokens for the role's credentials.

The external IdP here is a second s3cognito server (B). Its ID tokens say
`iss = https://cognito-idp.us-east-1.amazonaws.com/<pool B>`, an address the server under test (A)
cannot reach, so the admin names where B's keys are with the `s3cognito:jwks-url` tag when registering
the provider; everything else is plain IAM / STS as on AWS.

A does not know pool B: every token of B is checked against the keys fetched from B."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import REGION, doc, error_code, error_message, fail, jwt_claims, jwt_header, status, unique

JWKS_TAG = "s3cognito:jwks-url"


# ---- helpers ----------------------------------------------------------------------------------------


def issuer_name(pool_id: str) -> str:
    """The provider name of a user pool: its issuer without the scheme (IAM's condition-key prefix)."""
    return f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def issuer_url(pool_id: str) -> str:
    return f"https://{issuer_name(pool_id)}"


def jwks_url(server, pool_id: str) -> str:
    return f"{server.endpoint}/{pool_id}/.well-known/jwks.json"






def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_claims(token: str, **changes) -> str:
    """The token with its payload re-encoded with `changes` (the signature is left as it was)."""
    header, _, signature = token.split(".")
    claims = dict(jwt_claims(token), **changes)
    return f"{header}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"


def tampered_signature(token: str) -> str:
    """The token with its signature's bytes changed (still valid base64url, same length)."""
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x5A
    raw[-1] ^= 0x01
    return f"{header}.{payload}.{b64url(bytes(raw))}"




def s3_denied(call, **kw) -> str:
    try:
        call(**kw)
    except ClientError as exc:
        return error_code(exc)
    raise AssertionError(f"{call.__name__}({kw}) succeeded; expected AccessDenied")


def new_pool(server, name: str) -> tuple[str, str]:
    """A user pool with an app client that allows USER_PASSWORD_AUTH, made by B's admin."""
    idp = server.admin()
    pool = idp.create_user_pool(PoolName=unique(name))["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName=unique("app"),
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool, client


def pool_id_token(server, pool: str, client: str) -> tuple[str, str]:
    """(username, ID token) of a fresh user of `pool`, signed in with `client`."""
    username, password = server.admin_user(pool_id=pool)
    token = server.password_auth(username, password, client_id=client)["AuthenticationResult"]["IdToken"]
    return username, token


def register(iam, pool: str, client_ids: list[str], jwks: str | None) -> str:
    kw = {}
    if jwks is not None:
        kw["Tags"] = [{"Key": JWKS_TAG, "Value": jwks}]
    return iam.create_open_id_connect_provider(
        Url=issuer_url(pool), ClientIDList=client_ids, ThumbprintList=["a" * 40], **kw
    )["OpenIDConnectProviderArn"]


def web_trust(provider_arn: str, name: str, audience: str) -> str:
    return doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{name}:aud": audience}},
        }
    )


def make_role(iam, trust: str, policy: str | None = None) -> dict:
    name = unique("ext-")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="objects", PolicyDocument=policy)
    return role


# ---- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def idp(server_factory):
    """Server B: the external identity provider."""
    return server_factory()


@pytest.fixture(scope="module")
def acct(server):
    return server.client("sts").get_caller_identity()["Account"]


@pytest.fixture(scope="module")
def sts(server):
    """A's STS as an app calls AssumeRoleWithWebIdentity: unsigned."""
    return server.client("sts", signed=False)


@pytest.fixture(scope="module")
def provider(server, idp, iam, acct) -> str:
    arn = register(iam, idp.pool_id, [idp.client_id], jwks_url(idp, idp.pool_id))
    assert arn == f"arn:aws:iam::{acct}:oidc-provider/{issuer_name(idp.pool_id)}", arn
    return arn


@pytest.fixture(scope="module")
def role(server, idp, iam, provider) -> dict:
    name = issuer_name(idp.pool_id)
    policy = doc(
        {
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{server.bucket}/external/${{{name}:sub}}/*",
        }
    )
    return make_role(iam, web_trust(provider, name, idp.client_id), policy)


def b_user(idp) -> tuple[str, dict]:
    """(username, AuthenticationResult) of a fresh user of B, signed in on B with USER_PASSWORD_AUTH."""
    username, _, password = idp.signed_up_user()
    return username, idp.password_auth(username, password)["AuthenticationResult"]


@pytest.fixture(scope="module")
def carol(idp):
    return b_user(idp)


# ---- the external provider's tokens ---------------------------------------------------------------
def test_the_idp_is_a_separate_issuer(server, idp, carol):
    """Preconditions: B's ID tokens name B's pool as issuer, A has no such pool, and B serves the
    token's key at the URL the admin registers."""
    assert idp.pool_id != server.pool_id
    pools_on_a = [p["Id"] for p in server.admin().list_user_pools(MaxResults=60)["UserPools"]]
    assert idp.pool_id not in pools_on_a
    token = carol[1]["IdToken"]
    claims = jwt_claims(token)
    assert claims["iss"] == issuer_url(idp.pool_id)
    assert claims["aud"] == idp.client_id
    assert claims["token_use"] == "id"
    status_code, _, body = idp.http("GET", jwks_url(idp, idp.pool_id))
    assert status_code == 200, body
    assert jwt_header(token)["kid"] in [k["kid"] for k in json.loads(body)["keys"]]


def test_provider_is_registered_with_its_client_ids(iam, idp, provider):
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert got["Url"] == issuer_name(idp.pool_id)
    assert got["ClientIDList"] == [idp.client_id]
    assert got["ThumbprintList"] == ["a" * 40]
    assert provider in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]


# ---- the external provider's tokens through STS -----------------------------------------------------
def test_assume_role_with_an_external_id_token(server, idp, sts, acct, provider, role, carol):
    token = carol[1]["IdToken"]
    sub = jwt_claims(token)["sub"]
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="carol", WebIdentityToken=token)
    assert out["Provider"] == provider
    assert out["SubjectFromWebIdentityToken"] == sub
    assert out["Audience"] == idp.client_id
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{acct}:assumed-role/{role['RoleName']}/carol"
    assert out["AssumedRoleUser"]["AssumedRoleId"].startswith(role["RoleId"] + ":")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert creds["SecretAccessKey"] and creds["SessionToken"]
    assert server.temporary_client("sts", creds).get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]

    s3 = server.temporary_client("s3", creds)
    bucket = server.bucket
    own = f"external/{sub}/hello.txt"
    s3.put_object(Bucket=bucket, Key=own, Body=b"from an external idp")
    assert s3.get_object(Bucket=bucket, Key=own)["Body"].read() == b"from an external idp"
    assert server.s3().get_object(Bucket=bucket, Key=own)["Body"].read() == b"from an external idp"

    # Elsewhere: nothing.
    server.s3().put_object(Bucket=bucket, Key="external/someone-else/x.txt", Body=b"theirs")
    server.s3().put_object(Bucket=bucket, Key="elsewhere.txt", Body=b"root's")
    refusals = {
        "put another sub's prefix": (s3.put_object, dict(Bucket=bucket, Key="external/someone-else/y.txt", Body=b"x")),
        "get another sub's prefix": (s3.get_object, dict(Bucket=bucket, Key="external/someone-else/x.txt")),
        "put outside external/": (s3.put_object, dict(Bucket=bucket, Key=f"{sub}/hello.txt", Body=b"x")),
        "get outside external/": (s3.get_object, dict(Bucket=bucket, Key="elsewhere.txt")),
        "put on the prefix itself": (s3.put_object, dict(Bucket=bucket, Key=f"external/{sub}", Body=b"x")),
        "delete own object (not granted)": (s3.delete_object, dict(Bucket=bucket, Key=own)),
        "list": (s3.list_objects_v2, dict(Bucket=bucket, Prefix=f"external/{sub}/")),
    }
    problems = []
    for why, (call, kw) in refusals.items():
        code = s3_denied(call, **kw)
        if code != "AccessDenied":
            problems.append(f"{why}: {code}, expected AccessDenied")
    assert not problems, "\n".join(problems)
    assert server.s3().get_object(Bucket=bucket, Key=own)["Body"].read() == b"from an external idp"
    assert server.s3().get_object(Bucket=bucket, Key="external/someone-else/x.txt")["Body"].read() == b"theirs"


def test_policy_variable_is_each_users_own_sub(server, idp, sts, role, carol):
    """Two users of B, one role: each gets only `external/<own sub>/`."""
    dave = b_user(idp)
    creds = {}
    for who, (_, result) in {"carol": carol, "dave": dave}.items():
        out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName=who, WebIdentityToken=result["IdToken"])
        creds[who] = (jwt_claims(result["IdToken"])["sub"], server.temporary_client("s3", out["Credentials"]))
    (carol_sub, carol_s3), (dave_sub, dave_s3) = creds["carol"], creds["dave"]
    assert carol_sub != dave_sub
    bucket = server.bucket
    dave_s3.put_object(Bucket=bucket, Key=f"external/{dave_sub}/d.txt", Body=b"dave's")
    assert s3_denied(carol_s3.get_object, Bucket=bucket, Key=f"external/{dave_sub}/d.txt") == "AccessDenied"
    assert s3_denied(carol_s3.put_object, Bucket=bucket, Key=f"external/{dave_sub}/d.txt", Body=b"x") == "AccessDenied"
    assert server.s3().get_object(Bucket=bucket, Key=f"external/{dave_sub}/d.txt")["Body"].read() == b"dave's"


def test_a_fresh_sign_in_works_too(idp, sts, role, carol):
    """A second ID token of the same user (a new sign-in, same kid) is accepted the same way."""
    username, _ = carol
    # carol's password is the signed_up_user default.
    token = idp.password_auth(username, "Passw0rd!Interop")["AuthenticationResult"]["IdToken"]
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="again", WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == jwt_claims(token)["sub"]


# ---- refusals ---------------------------------------------------------------------------------------
def test_token_for_a_client_id_not_registered(server, idp, sts, role):
    """B's token for another app client of the same pool: its `aud` is not in the ClientIDList."""
    other_client = idp.admin().create_user_pool_client(
        UserPoolId=idp.pool_id, ClientName=unique("other"), ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    username, _, password = idp.signed_up_user()
    token = idp.password_auth(username, password, client_id=other_client)["AuthenticationResult"]["IdToken"]
    assert jwt_claims(token)["aud"] == other_client
    e = fail(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="other", WebIdentityToken=token)
    assert error_code(e) == "InvalidIdentityToken", e.response
    assert status(e) == 400


def test_bad_tokens_of_the_provider(server, idp, sts, role, carol):
    result = carol[1]
    token = result["IdToken"]
    cases = {
        "signature tampered": tampered_signature(token),
        "signature of another token": token.rsplit(".", 1)[0] + "." + idp.password_auth(carol[0], "Passw0rd!Interop")["AuthenticationResult"]["AccessToken"].rsplit(".", 1)[1],
        "payload changed (other sub)": with_claims(token, sub="00000000-0000-4000-8000-000000000000"),
        "payload changed (longer expiry)": with_claims(token, exp=jwt_claims(token)["exp"] + 86400),
        "signature stripped": token.rsplit(".", 1)[0] + ".",
        "alg none": b64url(json.dumps({"alg": "none", "kid": jwt_header(token)["kid"]}).encode()) + "." + token.split(".")[1] + ".",
        # A Cognito access token has no `aud` (its client is in `client_id`): not a web identity token.
        "access token": result["AccessToken"],
    }
    problems = []
    for why, bad in cases.items():
        try:
            out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="bad", WebIdentityToken=bad)
            problems.append(f"{why}: accepted ({out['AssumedRoleUser']['Arn']}), expected InvalidIdentityToken")
        except ClientError as e:
            if error_code(e) != "InvalidIdentityToken" or status(e) != 400:
                problems.append(f"{why}: {status(e)} {error_code(e)} ({error_message(e)}), expected 400 InvalidIdentityToken")
    assert not problems, "\n".join(problems)


def test_a_token_signed_by_another_issuer_claiming_to_be_b(server, idp, sts, role):
    """An ID token of A's own pool with its `iss` rewritten to B's: B's keys do not verify it."""
    username, _, password = server.signed_up_user()
    own = server.password_auth(username, password)["AuthenticationResult"]["IdToken"]
    forged = with_claims(own, iss=issuer_url(idp.pool_id), aud=idp.client_id)
    e = fail(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="forged", WebIdentityToken=forged)
    assert error_code(e) == "InvalidIdentityToken", e.response


def test_roles_that_do_not_trust_this_provider(server, idp, iam, acct, sts, provider, carol):
    token = carol[1]["IdToken"]
    name = issuer_name(idp.pool_id)
    other_arn = f"arn:aws:iam::{acct}:oidc-provider/{issuer_name(f'{REGION}_Other0000')}"
    mismatched = {
        "another provider's ARN": web_trust(other_arn, name, idp.client_id),
        "another audience": web_trust(provider, name, "not-bs-client-id"),
        "a sub condition for someone else": doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{name}:sub": "someone-else"}},
            }
        ),
        "only cognito-identity": doc(
            {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}
        ),
        "only AssumeRole for the account": doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"}
        ),
        "the provider, but sts:AssumeRole only": doc(
            {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRole"}
        ),
        "an explicit Deny besides the Allow": doc(
            json.loads(web_trust(provider, name, idp.client_id))["Statement"][0],
            {"Effect": "Deny", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity"},
        ),
    }
    problems = []
    for why, trust in mismatched.items():
        r = make_role(iam, trust)
        try:
            sts.assume_role_with_web_identity(RoleArn=r["Arn"], RoleSessionName="nope", WebIdentityToken=token)
            problems.append(f"{why}: accepted, expected AccessDenied")
        except ClientError as e:
            if error_code(e) != "AccessDenied" or status(e) != 403:
                problems.append(f"{why}: {status(e)} {error_code(e)} ({error_message(e)}), expected 403 AccessDenied")
    assert not problems, "\n".join(problems)


def test_deleted_provider_is_no_longer_trusted(server, idp, iam, sts):
    """A provider of its own (another pool of B), so that the others' tests keep theirs."""
    pool, client = new_pool(idp, "deleted")
    _, token = pool_id_token(idp, pool, client)
    arn = register(iam, pool, [client], jwks_url(idp, pool))
    r = make_role(iam, web_trust(arn, issuer_name(pool), client))
    out = sts.assume_role_with_web_identity(RoleArn=r["Arn"], RoleSessionName="before", WebIdentityToken=token)
    assert out["Provider"] == arn
    assert out["Audience"] == client

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    e = fail(sts.assume_role_with_web_identity, RoleArn=r["Arn"], RoleSessionName="after", WebIdentityToken=token)
    assert error_code(e) == "InvalidIdentityToken", e.response
    assert status(e) == 400
    assert "No OpenIDConnect provider found" in error_message(e), error_message(e)


def test_provider_unknown_to_a(server, idp, sts, role):
    """A token of a pool of B nobody registered on A."""
    pool, client = new_pool(idp, "unregistered")
    _, token = pool_id_token(idp, pool, client)
    e = fail(sts.assume_role_with_web_identity, RoleArn=role["Arn"], RoleSessionName="unregistered", WebIdentityToken=token)
    assert error_code(e) == "InvalidIdentityToken", e.response
    assert "No OpenIDConnect provider found" in error_message(e), error_message(e)


# ---- keys that cannot be fetched --------------------------------------------------------------------
class Blackhole:
    """A TCP listener that accepts connections and never answers (an issuer that hangs)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.stopped = True
        for conn in self.held:
            conn.close()
        self.sock.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def timed_refusal(sts, role_arn: str, token: str) -> tuple[ClientError, float]:
    started = time.monotonic()
    e = fail(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="keys", WebIdentityToken=token)
    return e, time.monotonic() - started


def test_untagged_provider_whose_issuer_is_unreachable(server, idp, iam, sts):
    """A pool of B registered without the tag: A looks for B's keys at the issuer itself
    (`https://cognito-idp.us-east-1.amazonaws.com/<pool>/.well-known/openid-configuration`), which it
    cannot reach (or which does not know the pool); the token is refused, and promptly."""
    pool, client = new_pool(idp, "untagged")
    _, token = pool_id_token(idp, pool, client)
    arn = register(iam, pool, [client], None)
    r = make_role(iam, web_trust(arn, issuer_name(pool), client))
    e, elapsed = timed_refusal(sts, r["Arn"], token)
    assert error_code(e) == "InvalidIdentityToken", e.response
    assert status(e) == 400
    assert elapsed < 15, f"refused after {elapsed:.1f}s"


@pytest.mark.parametrize("where", ["hangs", "refuses connections", "does not resolve"])
def test_untagged_provider_at_a_local_issuer_that_fails(server, idp, iam, sts, carol, where):
    """Issuers that hang, refuse connections, or do not exist: A gives up on their keys within ~15 s and
    answers InvalidIdentityToken (AWS: "Couldn't retrieve verification key from your identity provider").
    The token is one of B's with its `iss` rewritten: its signature would not matter, the keys are never
    found."""
    hole = None
    if where == "hangs":
        hole = Blackhole()
        issuer = f"https://127.0.0.1:{hole.port}/{unique('hang')}"
    elif where == "refuses connections":
        issuer = f"https://127.0.0.1:{closed_port()}/{unique('closed')}"
    else:
        issuer = f"https://{unique('nowhere')}.invalid/issuer"
    try:
        arn = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=[idp.client_id], ThumbprintList=["a" * 40])[
            "OpenIDConnectProviderArn"
        ]
        name = issuer.split("://", 1)[1]
        r = make_role(iam, web_trust(arn, name, idp.client_id))
        token = with_claims(carol[1]["IdToken"], iss=issuer)
        e, elapsed = timed_refusal(sts, r["Arn"], token)
        assert error_code(e) == "InvalidIdentityToken", e.response
        assert status(e) == 400
        assert "verification key" in error_message(e), error_message(e)
        assert elapsed < 15, f"refused after {elapsed:.1f}s"
        if where != "hangs":  # (a hanging issuer costs its full fetch timeout on every try)
            # A second try is answered the same way, as promptly.
            e, elapsed = timed_refusal(sts, r["Arn"], token)
            assert error_code(e) == "InvalidIdentityToken", e.response
            assert elapsed < 15, f"second refusal after {elapsed:.1f}s"
        # Meanwhile the server answers other requests.
        assert server.client("sts").get_caller_identity()["Account"]
    finally:
        if hole:
            hole.close()


def test_provider_tagged_with_a_jwks_url_that_does_not_serve_keys(server, idp, iam, sts):
    """The tag pointing at an address of B that is not a key set (404): refused, not accepted."""
    pool, client = new_pool(idp, "badjwks")
    _, token = pool_id_token(idp, pool, client)
    arn = register(iam, pool, [client], f"{idp.endpoint}/{pool}/.well-known/no-such-document.json")
    r = make_role(iam, web_trust(arn, issuer_name(pool), client))
    e, elapsed = timed_refusal(sts, r["Arn"], token)
    assert error_code(e) == "InvalidIdentityToken", e.response
    assert elapsed < 15


def test_provider_tagged_with_another_pools_keys(server, idp, iam, sts):
    """The tag pointing at a key set that does not hold the token's key (A's own pool's JWKS, from
    another server): the signature cannot be verified, so the token is refused."""
    pool, client = new_pool(idp, "wrongjwks")
    _, token = pool_id_token(idp, pool, client)
    arn = register(iam, pool, [client], jwks_url(server, server.pool_id))
    r = make_role(iam, web_trust(arn, issuer_name(pool), client))
    e, _ = timed_refusal(sts, r["Arn"], token)
    assert error_code(e) == "InvalidIdentityToken", e.response
