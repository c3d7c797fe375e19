"""Every refusal a client can run into, by its AWS error code (and message where clients show it)."""

import base64
import hashlib
import hmac
import json

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message, unique

INCORRECT = "Incorrect username or password."


def fail(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return e.value


def test_wrong_password_and_unknown_user_look_the_same(server):
    username, _, password = server.signed_up_user()
    wrong = fail(server.password_auth, username, "Wr0ng!Password")
    unknown = fail(server.password_auth, unique("ghost"), "Wr0ng!Password")
    for e in (wrong, unknown):
        assert error_code(e) == "NotAuthorizedException"
        assert error_message(e) == INCORRECT
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Same through the admin flow.
    admin = server.admin()
    for name in (username, unique("ghost")):
        e = fail(
            admin.admin_initiate_auth, UserPoolId=server.pool_id, ClientId=server.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={"USERNAME": name, "PASSWORD": "Wr0ng!Password"},
        )
        assert error_code(e) == "NotAuthorizedException"
        assert error_message(e) == INCORRECT


def test_sign_in_before_confirmation(server):
    username, _, password = server.signed_up_user(confirm=False)
    e = fail(server.password_auth, username, password)
    assert error_code(e) == "UserNotConfirmedException"


def test_duplicate_sign_up(server):
    username, mail, password = server.signed_up_user()
    e = fail(
        server.public().sign_up, ClientId=server.client_id, Username=username, Password=password,
        UserAttributes=[{"Name": "email", "Value": mail}],
    )
    assert error_code(e) == "UsernameExistsException"


@pytest.mark.parametrize("weak", ["password", "Sh0rt!", "alllowercase1!", "ALLUPPERCASE1!", "NoDigits!!", "NoSymbol123"])
def test_weak_password(server, weak):
    name = unique()
    e = fail(
        server.public().sign_up, ClientId=server.client_id, Username=name, Password=weak,
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
    )
    assert error_code(e) == "InvalidPasswordException"
    # Nothing was created.
    e = fail(server.admin().admin_get_user, UserPoolId=server.pool_id, Username=name)
    assert error_code(e) == "UserNotFoundException"


def test_weak_new_password_on_change(server):
    username, _, password = server.signed_up_user()
    tokens = server.password_auth(username, password)["AuthenticationResult"]
    e = fail(
        server.public().change_password, PreviousPassword=password, ProposedPassword="weak",
        AccessToken=tokens["AccessToken"],
    )
    assert error_code(e) in ("InvalidPasswordException", "InvalidParameterException")


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def test_wrong_confirmation_code(server):
    username, mail, password = server.signed_up_user(confirm=False)
    code = server.outbox_code(mail)
    e = fail(server.public().confirm_sign_up, ClientId=server.client_id, Username=username,
             ConfirmationCode=other_code(code))
    assert error_code(e) == "CodeMismatchException"
    # The right code still works afterwards.
    server.public().confirm_sign_up(ClientId=server.client_id, Username=username, ConfirmationCode=code)
    assert server.password_auth(username, password)["AuthenticationResult"]


def test_wrong_reset_code(server):
    username, mail, password = server.signed_up_user()
    before = server.outbox.snapshot()
    server.public().forgot_password(ClientId=server.client_id, Username=username)
    code = server.outbox_code(mail, exclude=before)
    e = fail(server.public().confirm_forgot_password, ClientId=server.client_id, Username=username,
             ConfirmationCode=other_code(code), Password="N3w!Password")
    assert error_code(e) == "CodeMismatchException"
    assert server.password_auth(username, password)["AuthenticationResult"]


def test_code_is_single_use(server):
    pub = server.public()
    # Confirmation code: a second confirm with the same code is refused.
    username, mail, password = server.signed_up_user(confirm=False)
    code = server.outbox_code(mail)
    pub.confirm_sign_up(ClientId=server.client_id, Username=username, ConfirmationCode=code)
    e = fail(pub.confirm_sign_up, ClientId=server.client_id, Username=username, ConfirmationCode=code)
    assert error_code(e) in ("NotAuthorizedException", "CodeMismatchException", "ExpiredCodeException")

    # Reset code: the second use does not reset the password again.
    before = server.outbox.snapshot()
    pub.forgot_password(ClientId=server.client_id, Username=username)
    code = server.outbox_code(mail, exclude=before)
    pub.confirm_forgot_password(ClientId=server.client_id, Username=username, ConfirmationCode=code,
                                Password="F1rst!Reset")
    e = fail(pub.confirm_forgot_password, ClientId=server.client_id, Username=username,
             ConfirmationCode=code, Password="Sec0nd!Reset")
    assert error_code(e) in ("CodeMismatchException", "ExpiredCodeException")
    assert server.password_auth(username, "F1rst!Reset")["AuthenticationResult"]
    assert error_code(fail(server.password_auth, username, "Sec0nd!Reset")) == "NotAuthorizedException"


def test_disabled_user(server):
    username, _, password = server.signed_up_user()
    admin = server.admin()
    admin.admin_disable_user(UserPoolId=server.pool_id, Username=username)
    assert admin.admin_get_user(UserPoolId=server.pool_id, Username=username)["Enabled"] is False
    e = fail(server.password_auth, username, password)
    assert error_code(e) == "NotAuthorizedException"
    assert error_message(e) == "User is disabled."
    admin.admin_enable_user(UserPoolId=server.pool_id, Username=username)
    assert server.password_auth(username, password)["AuthenticationResult"]


def test_lockout_after_repeated_failures(server):
    username, _, password = server.signed_up_user()
    for _ in range(5):
        e = fail(server.password_auth, username, "Wr0ng!Password")
        assert error_code(e) == "NotAuthorizedException"
    e = fail(server.password_auth, username, password)
    assert error_code(e) == "NotAuthorizedException"
    assert "Password attempts exceeded" in error_message(e)


# ---- signing of admin calls --------------------------------------------------

def test_unsigned_admin_call(server):
    e = fail(server.public().list_users, UserPoolId=server.pool_id)
    assert error_code(e) == "MissingAuthenticationTokenException"
    e = fail(server.public().admin_get_user, UserPoolId=server.pool_id, Username="demo")
    assert error_code(e) == "MissingAuthenticationTokenException"


def test_admin_call_with_wrong_secret(server):
    bad = server.client(secret_key=server.secret_key[:-4] + "AAAA" if not server.secret_key.endswith("AAAA")
                        else server.secret_key[:-4] + "BBBB")
    e = fail(bad.list_users, UserPoolId=server.pool_id)
    assert error_code(e) == "InvalidSignatureException"
    e = fail(bad.admin_create_user, UserPoolId=server.pool_id, Username=unique())
    assert error_code(e) == "InvalidSignatureException"


def test_admin_call_with_unknown_access_key(server):
    bad = server.client(access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    e = fail(bad.list_users, UserPoolId=server.pool_id)
    assert error_code(e) == "UnrecognizedClientException"


def test_signed_admin_call_works(server):
    pools = server.admin().list_user_pools(MaxResults=60)["UserPools"]
    assert server.pool_id in [p["Id"] for p in pools]
    pool = server.admin().describe_user_pool(UserPoolId=server.pool_id)["UserPool"]
    assert pool["Id"] == server.pool_id
    assert pool["Arn"].endswith(f":userpool/{server.pool_id}")


# ---- wire-level errors ------------------------------------------------------------

def raw_call(server, target: str, body: bytes):
    return server.http("POST", "/", body=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
    })


def aws_type(value: str) -> str:
    # Clients keep what follows '#' and drop anything after ':' (botocore, SDK v3).
    return value.split("#")[-1].split(":")[0]


def test_unknown_operation(server):
    status, headers, body = raw_call(server, "NoSuchOperation", b"{}")
    assert 400 <= status < 500, status
    doc = json.loads(body)
    assert aws_type(doc["__type"]) == "UnknownOperationException"
    assert aws_type(headers["x-amzn-ErrorType"]) == "UnknownOperationException"


def test_unknown_operation_signed(server):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="POST", url=server.endpoint + "/", data=b"{}", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.NoSuchOperation",
    })
    SigV4Auth(Credentials(server.access_key, server.secret_key), "cognito-idp", "us-east-1").add_auth(req)
    status, headers, body = server.http("POST", "/", body=b"{}", headers=dict(req.headers.items()))
    assert 400 <= status < 500, status
    assert aws_type(json.loads(body)["__type"]) == "UnknownOperationException"
    assert aws_type(headers["x-amzn-ErrorType"]) == "UnknownOperationException"


@pytest.mark.parametrize("payload", [b"{not json", b"[1,2,3]", b'{"ClientId": 42, "Username": {}}'])
def test_malformed_json(server, payload):
    status, headers, body = raw_call(server, "SignUp", payload)
    assert status == 400, (status, body)
    doc = json.loads(body)
    assert aws_type(doc["__type"]) in ("SerializationException", "InvalidParameterException"), doc
    assert "message" in doc or "Message" in doc
    assert aws_type(headers["x-amzn-ErrorType"]) == aws_type(doc["__type"])


def test_error_shape(server):
    """`{"__type": ..., "message": ...}` with the x-amzn-ErrorType header, as JS SDK v3 reads it."""
    body = json.dumps({"ClientId": server.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                       "AuthParameters": {"USERNAME": unique("ghost"), "PASSWORD": "Wr0ng!Password"}}).encode()
    status, headers, raw = raw_call(server, "InitiateAuth", body)
    assert status == 400
    doc = json.loads(raw)
    assert aws_type(doc["__type"]) == "NotAuthorizedException"
    assert doc["message"] == INCORRECT
    assert aws_type(headers["x-amzn-ErrorType"]) == "NotAuthorizedException"
    assert headers.get("x-amzn-RequestId")


def test_unknown_pool_and_client(server):
    admin = server.admin()
    e = fail(admin.admin_get_user, UserPoolId="us-east-1_NoSuchPool1", Username="demo")
    assert error_code(e) == "ResourceNotFoundException"
    e = fail(admin.describe_user_pool, UserPoolId="us-east-1_NoSuchPool1")
    assert error_code(e) == "ResourceNotFoundException"
    e = fail(admin.list_users, UserPoolId="us-east-1_NoSuchPool1")
    assert error_code(e) == "ResourceNotFoundException"
    e = fail(server.password_auth, "demo", "Whatever!123", client_id="1234567890abcdefghijklmnop")
    assert error_code(e) == "ResourceNotFoundException"
    e = fail(server.public().sign_up, ClientId="1234567890abcdefghijklmnop", Username=unique(),
             Password="Val1d!Password")
    assert error_code(e) == "ResourceNotFoundException"


def test_unknown_user_for_admin_calls(server):
    e = fail(server.admin().admin_get_user, UserPoolId=server.pool_id, Username=unique("ghost"))
    assert error_code(e) == "UserNotFoundException"


def test_invalid_access_token(server):
    e = fail(server.public().get_user, AccessToken="not-a-token")
    assert error_code(e) == "NotAuthorizedException"
    username, _, password = server.signed_up_user()
    tokens = server.password_auth(username, password)["AuthenticationResult"]
    # An ID token is not an access token.
    e = fail(server.public().get_user, AccessToken=tokens["IdToken"])
    assert error_code(e) == "NotAuthorizedException"
    # Tampered payload.
    h, p, s = tokens["AccessToken"].split(".")
    flipped = p[:10] + ("A" if p[10] != "A" else "B") + p[11:]
    e = fail(server.public().get_user, AccessToken=".".join([h, flipped, s]))
    assert error_code(e) == "NotAuthorizedException"


# ---- app client with a secret ---------------------------------------------------

def secret_hash(username: str, client_id: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def test_client_secret_requires_secret_hash(server):
    admin = server.admin()
    client = admin.create_user_pool_client(
        UserPoolId=server.pool_id, ClientName=unique("secret"), GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]
    cid, secret = client["ClientId"], client["ClientSecret"]
    assert secret
    described = admin.describe_user_pool_client(UserPoolId=server.pool_id, ClientId=cid)["UserPoolClient"]
    assert described["ClientSecret"] == secret
    listed = admin.list_user_pool_clients(UserPoolId=server.pool_id, MaxResults=60)["UserPoolClients"]
    assert cid in [c["ClientId"] for c in listed]

    pub = server.public()
    name = unique()
    password = "S3cret!Client"
    mail = f"{name}@example.com"
    attrs = [{"Name": "email", "Value": mail}]

    e = fail(pub.sign_up, ClientId=cid, Username=name, Password=password, UserAttributes=attrs)
    assert error_code(e) == "NotAuthorizedException"
    e = fail(pub.sign_up, ClientId=cid, Username=name, Password=password, UserAttributes=attrs,
             SecretHash=secret_hash(name, cid, secret + "x"))
    assert error_code(e) == "NotAuthorizedException"
    pub.sign_up(ClientId=cid, Username=name, Password=password, UserAttributes=attrs,
                SecretHash=secret_hash(name, cid, secret))
    code = server.outbox_code(mail)
    e = fail(pub.confirm_sign_up, ClientId=cid, Username=name, ConfirmationCode=code)
    assert error_code(e) == "NotAuthorizedException"
    pub.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=code,
                        SecretHash=secret_hash(name, cid, secret))

    e = fail(server.password_auth, name, password, client_id=cid)
    assert error_code(e) == "NotAuthorizedException"
    e = fail(server.password_auth, name, password, client_id=cid, SECRET_HASH=secret_hash(name, cid, "nope"))
    assert error_code(e) == "NotAuthorizedException"
    tokens = server.password_auth(name, password, client_id=cid,
                                  SECRET_HASH=secret_hash(name, cid, secret))["AuthenticationResult"]
    assert tokens["AccessToken"]

    # The secret-less bootstrap client is unaffected.
    assert server.password_auth(name, password)["AuthenticationResult"]["AccessToken"]
