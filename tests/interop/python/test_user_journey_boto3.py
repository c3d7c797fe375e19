"""A user's journey (sign up, mailed code, confirm, sign in, ...) with boto3."""

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, jwt_claims, unique


def attrs(resp, key="UserAttributes"):
    return {a["Name"]: a["Value"] for a in resp[key]}


def test_sign_up_confirm_sign_in(server):
    pub = server.public()
    username = unique("journey")
    mail = f"{username}@example.com"
    password = "Sup3r!Secret"

    signed = pub.sign_up(
        ClientId=server.client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": mail}],
    )
    assert signed["UserConfirmed"] is False
    uuid.UUID(signed["UserSub"])
    details = signed["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    assert details["AttributeName"] == "email"
    # Masked like Cognito does it (s***@e***): never the address itself.
    assert details["Destination"] != mail
    assert mail not in details["Destination"]
    assert "***" in details["Destination"]
    assert details["Destination"][0] == mail[0]

    # Not confirmed yet: no sign-in.
    with pytest.raises(ClientError) as e:
        server.password_auth(username, password)
    assert error_code(e.value) == "UserNotConfirmedException"

    code = server.outbox_code(mail)
    pub.confirm_sign_up(ClientId=server.client_id, Username=username, ConfirmationCode=code)

    admin_view = server.admin().admin_get_user(UserPoolId=server.pool_id, Username=username)
    assert admin_view["UserStatus"] == "CONFIRMED"
    assert attrs(admin_view)["sub"] == signed["UserSub"]

    auth = server.password_auth(username, password)
    result = auth["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert result["RefreshToken"]
    access = jwt_claims(result["AccessToken"])
    idt = jwt_claims(result["IdToken"])
    assert access["token_use"] == "access" and access["username"] == username
    assert access["client_id"] == server.client_id
    assert idt["token_use"] == "id" and idt["cognito:username"] == username
    assert idt["email"] == mail and idt["email_verified"] is True
    assert idt["aud"] == server.client_id
    assert idt["sub"] == access["sub"] == signed["UserSub"]

    me = pub.get_user(AccessToken=result["AccessToken"])
    assert me["Username"] == username
    mine = attrs(me)
    assert mine["email"] == mail
    assert mine["email_verified"] == "true"
    assert mine["sub"] == signed["UserSub"]


@pytest.fixture
def user(server):
    """A confirmed, signed-in user: (username, email, password, AuthenticationResult)."""
    username, mail, password = server.signed_up_user(password="Sup3r!Secret")
    result = server.password_auth(username, password)["AuthenticationResult"]
    return username, mail, password, result


def test_update_user_attributes(server, user):
    username, _, _, tokens = user
    pub = server.public()
    pub.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "name", "Value": "Ada Lovelace"}, {"Name": "locale", "Value": "en-GB"}],
    )
    me = attrs(pub.get_user(AccessToken=tokens["AccessToken"]))
    assert me["name"] == "Ada Lovelace"
    assert me["locale"] == "en-GB"
    admin_view = attrs(server.admin().admin_get_user(UserPoolId=server.pool_id, Username=username))
    assert admin_view["name"] == "Ada Lovelace"


def test_change_password(server, user):
    username, _, password, tokens = user
    new = "Chang3d!Password"
    server.public().change_password(
        PreviousPassword=password, ProposedPassword=new, AccessToken=tokens["AccessToken"]
    )
    with pytest.raises(ClientError) as e:
        server.password_auth(username, password)
    assert error_code(e.value) == "NotAuthorizedException"
    assert server.password_auth(username, new)["AuthenticationResult"]["AccessToken"]

    # A wrong previous password is refused.
    fresh = server.password_auth(username, new)["AuthenticationResult"]
    with pytest.raises(ClientError) as e:
        server.public().change_password(
            PreviousPassword="Wr0ng!Previous", ProposedPassword="An0ther!Password",
            AccessToken=fresh["AccessToken"],
        )
    assert error_code(e.value) == "NotAuthorizedException"


def test_forgot_password(server, user):
    username, mail, password, _ = user
    pub = server.public()
    before = server.outbox.snapshot()
    sent = pub.forgot_password(ClientId=server.client_id, Username=username)
    details = sent["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    assert mail not in details["Destination"]

    code = server.outbox_code(mail, exclude=before)
    new = "Forg0tten!Reset"
    pub.confirm_forgot_password(
        ClientId=server.client_id, Username=username, ConfirmationCode=code, Password=new
    )
    with pytest.raises(ClientError) as e:
        server.password_auth(username, password)
    assert error_code(e.value) == "NotAuthorizedException"
    assert server.password_auth(username, new)["AuthenticationResult"]["IdToken"]


def test_refresh_token_auth(server, user):
    username, _, _, tokens = user
    pub = server.public()
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        refreshed = pub.initiate_auth(
            ClientId=server.client_id, AuthFlow=flow,
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )["AuthenticationResult"]
        access = jwt_claims(refreshed["AccessToken"])
        assert access["username"] == username
        assert access["token_use"] == "access"
        assert jwt_claims(refreshed["IdToken"])["cognito:username"] == username
        assert refreshed["ExpiresIn"] == 3600
        # Same sign-in session: origin_jti is kept across refreshes.
        assert access["origin_jti"] == jwt_claims(tokens["AccessToken"])["origin_jti"]
        assert pub.get_user(AccessToken=refreshed["AccessToken"])["Username"] == username


def test_get_tokens_from_refresh_token(server, user):
    """Amplify v6 refreshes with GetTokensFromRefreshToken."""
    username, _, _, tokens = user
    got = server.public().get_tokens_from_refresh_token(
        ClientId=server.client_id, RefreshToken=tokens["RefreshToken"]
    )["AuthenticationResult"]
    assert jwt_claims(got["AccessToken"])["username"] == username
    assert jwt_claims(got["IdToken"])["token_use"] == "id"


def test_global_sign_out(server, user):
    username, _, password, tokens = user
    pub = server.public()
    pub.global_sign_out(AccessToken=tokens["AccessToken"])

    with pytest.raises(ClientError) as e:
        pub.initiate_auth(
            ClientId=server.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error_code(e.value) == "NotAuthorizedException"

    # The access token of the signed-out session is revoked too.
    with pytest.raises(ClientError) as e:
        pub.get_user(AccessToken=tokens["AccessToken"])
    assert error_code(e.value) == "NotAuthorizedException"

    # Signing in again works.
    again = server.password_auth(username, password)["AuthenticationResult"]
    assert pub.get_user(AccessToken=again["AccessToken"])["Username"] == username


def test_revoke_token(server, user):
    username, _, password, tokens = user
    pub = server.public()
    other = server.password_auth(username, password)["AuthenticationResult"]

    pub.revoke_token(Token=tokens["RefreshToken"], ClientId=server.client_id)
    with pytest.raises(ClientError) as e:
        pub.initiate_auth(
            ClientId=server.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error_code(e.value) == "NotAuthorizedException"

    # Only that session: another sign-in's refresh token still works.
    refreshed = pub.initiate_auth(
        ClientId=server.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": other["RefreshToken"]},
    )["AuthenticationResult"]
    assert jwt_claims(refreshed["AccessToken"])["username"] == username


def test_admin_user_global_sign_out(server, user):
    username, _, _, tokens = user
    server.admin().admin_user_global_sign_out(UserPoolId=server.pool_id, Username=username)
    with pytest.raises(ClientError) as e:
        server.public().initiate_auth(
            ClientId=server.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        )
    assert error_code(e.value) == "NotAuthorizedException"


def test_resend_confirmation_code(server):
    pub = server.public()
    username, mail, password = server.signed_up_user(confirm=False)
    first = server.outbox_code(mail)
    before = server.outbox.snapshot()
    resent = pub.resend_confirmation_code(ClientId=server.client_id, Username=username)
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    second = server.outbox_code(mail, exclude=before)
    assert re.fullmatch(r"\d{6}", second)
    pub.confirm_sign_up(ClientId=server.client_id, Username=username, ConfirmationCode=second)
    assert server.password_auth(username, password)["AuthenticationResult"]["AccessToken"]


def test_pycognito(server):
    """pycognito (boto3 underneath) against our endpoint, verifying tokens with our JWKS."""
    from pycognito import Cognito

    username, mail, password = server.signed_up_user(password="Pyc0gnito!Pass")
    u = Cognito(
        server.pool_id, server.client_id, username=username,
        boto3_client_kwargs={"endpoint_url": server.endpoint,
                             "aws_access_key_id": server.access_key,
                             "aws_secret_access_key": server.secret_key},
    )
    # Our tokens carry the AWS-shaped issuer; pycognito derives it from the pool id
    # unless told about an endpoint, so give it the AWS-shaped URL and our keys.
    u.pool_domain_url = None
    u.pool_jwk = server.jwks()

    u.admin_authenticate(password)
    assert u.token_type == "Bearer"
    u.verify_tokens()
    assert u.id_claims["cognito:username"] == username
    assert u.access_claims["token_use"] == "access"

    me = u.get_user()
    assert me.username == username
    assert me.email == mail

    old_access = u.access_token
    u.renew_access_token()
    assert u.access_token and u.access_token != old_access
    u.verify_tokens()

    u.logout()
    with pytest.raises(ClientError) as e:
        server.public().get_user(AccessToken=old_access)
    assert error_code(e.value) == "NotAuthorizedException"
