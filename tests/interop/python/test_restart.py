"""Everything a user has survives a restart on the same data directory."""

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import jwt_claims, jwt_header


def b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def verify_rs256(token: str, jwks: dict) -> dict:
    """Verify a JWT's RS256 signature against a JWKS; returns the claims."""
    header = jwt_header(token)
    assert header["alg"] == "RS256", header
    keys = [k for k in jwks["keys"] if k.get("kid") == header["kid"]]
    assert keys, f"kid {header['kid']} not in JWKS {[k.get('kid') for k in jwks['keys']]}"
    jwk = keys[0]
    assert jwk["kty"] == "RSA"
    assert jwk.get("use", "sig") == "sig"
    assert jwk.get("alg", "RS256") == "RS256"
    public = rsa.RSAPublicNumbers(
        int.from_bytes(b64url(jwk["e"]), "big"), int.from_bytes(b64url(jwk["n"]), "big")
    ).public_key()
    signing_input, sig = token.rsplit(".", 1)
    public.verify(b64url(sig), signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return jwt_claims(token)


def test_state_survives_restart(fresh_server):
    srv = fresh_server
    exports_before = dict(srv.exports)
    creds_before = (srv.data / "credentials").read_text()
    admin_keys_before = (srv.access_key, srv.secret_key)

    username, mail, password = srv.signed_up_user(password="Rest4rt!Password")
    tokens = srv.password_auth(username, password)["AuthenticationResult"]
    jwks_before = srv.jwks()
    claims = verify_rs256(tokens["IdToken"], jwks_before)
    assert claims["cognito:username"] == username
    verify_rs256(tokens["AccessToken"], jwks_before)

    # Tampering is detected by the same check (so the check above means something).
    h, p, s = tokens["IdToken"].split(".")
    tampered = ".".join([h, p[:-2] + ("A" if p[-2] != "A" else "B") + p[-1], s])
    try:
        verify_rs256(tampered, jwks_before)
    except InvalidSignature:
        pass
    else:
        raise AssertionError("tampered token verified")

    # A sign-up whose confirmation code is mailed before the restart and used after it.
    pending, pending_mail, pending_pw = srv.signed_up_user(confirm=False)
    pending_code = srv.outbox_code(pending_mail)

    # A group and a second app client, created through the admin API.
    admin = srv.admin()
    admin.create_group(UserPoolId=srv.pool_id, GroupName="keepers")
    admin.admin_add_user_to_group(UserPoolId=srv.pool_id, Username=username, GroupName="keepers")
    extra_client = admin.create_user_pool_client(
        UserPoolId=srv.pool_id, ClientName="kept", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]

    srv.restart()

    # Same ids, same keys, same root credentials.
    assert srv.exports["aws_user_pools_id"] == exports_before["aws_user_pools_id"]
    assert srv.exports["aws_user_pools_web_client_id"] == exports_before["aws_user_pools_web_client_id"]
    for key in ("aws_cognito_identity_pool_id", "aws_user_files_s3_bucket", "aws_cognito_region"):
        assert srv.exports.get(key) == exports_before.get(key), key
    assert (srv.data / "credentials").read_text() == creds_before
    assert (srv.access_key, srv.secret_key) == admin_keys_before

    # The user still signs in, and the old tokens still work.
    again = srv.password_auth(username, password)["AuthenticationResult"]
    assert jwt_claims(again["AccessToken"])["username"] == username
    assert jwt_claims(again["IdToken"])["cognito:groups"] == ["keepers"]

    me = srv.public().get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == username

    refreshed = srv.public().initiate_auth(
        ClientId=srv.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert jwt_claims(refreshed["AccessToken"])["username"] == username

    # Tokens issued before the restart verify against the JWKS served after it,
    # and new tokens are signed with a key that JWKS publishes.
    jwks_after = srv.jwks()
    kids_before = {k["kid"] for k in jwks_before["keys"]}
    assert kids_before <= {k["kid"] for k in jwks_after["keys"]}
    assert verify_rs256(tokens["IdToken"], jwks_after)["sub"] == claims["sub"]
    verify_rs256(tokens["AccessToken"], jwks_after)
    verify_rs256(refreshed["IdToken"], jwks_after)
    verify_rs256(again["AccessToken"], jwks_after)

    # The code mailed before the restart confirms after it.
    srv.public().confirm_sign_up(ClientId=srv.client_id, Username=pending, ConfirmationCode=pending_code)
    assert srv.password_auth(pending, pending_pw)["AuthenticationResult"]

    # The group and the extra client are still there.
    groups = srv.admin().admin_list_groups_for_user(UserPoolId=srv.pool_id, Username=username)["Groups"]
    assert [g["GroupName"] for g in groups] == ["keepers"]
    assert srv.password_auth(username, password, client_id=extra_client)["AuthenticationResult"]

    # Only one bootstrap pool, even after a second start.
    pools = srv.admin().list_user_pools(MaxResults=60)["UserPools"]
    assert [p["Id"] for p in pools].count(srv.pool_id) == 1
    assert len(pools) == 1


def test_revocation_survives_restart(fresh_server):
    srv = fresh_server
    username, _, password = srv.signed_up_user(password="Rev0ked!Password")
    tokens = srv.password_auth(username, password)["AuthenticationResult"]
    srv.public().revoke_token(Token=tokens["RefreshToken"], ClientId=srv.client_id)
    srv.restart()
    try:
        srv.public().initiate_auth(
            ClientId=srv.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    except Exception as e:  # botocore ClientError
        assert e.response["Error"]["Code"] == "NotAuthorizedException"
    else:
        raise AssertionError("a revoked refresh token worked after a restart")


def test_openid_configuration(fresh_server):
    srv = fresh_server
    status, _, body = srv.http("GET", f"/{srv.pool_id}/.well-known/openid-configuration")
    assert status == 200
    doc = json.loads(body)
    assert doc["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{srv.pool_id}"
    assert doc["jwks_uri"]
    assert "RS256" in doc.get("id_token_signing_alg_values_supported", ["RS256"])
