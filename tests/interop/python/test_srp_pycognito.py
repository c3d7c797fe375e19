"""pycognito signs in with SRP (USER_SRP_AUTH answered by PASSWORD_VERIFIER), unchanged.

pycognito's `Cognito.authenticate` and its `AWSSRP` class are what Python services and scripts use
against Cognito; both compute the client side of Cognito's SRP themselves, so these tests pass only
when the server computes it exactly as Cognito does.
"""

import base64

import pytest
from botocore.exceptions import ClientError
from pycognito.exceptions import ForceChangePasswordException

from conftest import error_code, error_message, jwt_claims, unique

PASSWORD = "Srp!Passw0rd"
AWS_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/{}"


def attrs(resp, key="UserAttributes"):
    return {a["Name"]: a["Value"] for a in resp[key]}


def test_authenticate_with_srp(server):
    """`Cognito.authenticate(password)` is pycognito's SRP sign-in; it verifies both tokens itself
    (RS256 against our JWKS, audience, token_use)."""
    username = unique("srp")
    mail = f"{username}@example.com"
    server.admin_user(PASSWORD, username=username, email=mail)
    sub = attrs(server.admin().admin_get_user(UserPoolId=server.pool_id, Username=username))["sub"]

    u = server.pycognito(username)
    u.authenticate(password=PASSWORD)

    assert u.token_type == "Bearer"
    assert u.refresh_token
    idc = u.id_claims
    assert idc["token_use"] == "id"
    assert idc["cognito:username"] == username
    assert idc["sub"] == sub
    assert idc["aud"] == server.client_id
    assert idc["email"] == mail
    assert idc["email_verified"] is True
    assert idc["iss"] == AWS_ISSUER.format(server.pool_id)
    assert isinstance(idc["auth_time"], int) and isinstance(idc["iat"], int) and idc["exp"] > idc["iat"]
    for claim in ("jti", "origin_jti", "event_id"):
        assert idc.get(claim), f"id token has no {claim}"

    acc = u.access_claims
    assert acc["token_use"] == "access"
    assert acc["username"] == username
    assert acc["sub"] == sub
    assert acc["client_id"] == server.client_id
    assert acc["iss"] == AWS_ISSUER.format(server.pool_id)
    assert "aws.cognito.signin.user.admin" in acc["scope"].split()
    assert acc["origin_jti"] == idc["origin_jti"]

    # The tokens work like any others: GetUser, then a refresh.
    me = u.get_user()
    assert me.username == username
    assert me.email == mail
    old_access = u.access_token
    u.renew_access_token()
    assert u.access_token != old_access
    assert u.access_claims["username"] == username


def test_wrong_password_is_not_authorized(server):
    username, _ = server.admin_user(PASSWORD)
    u = server.pycognito(username)
    with pytest.raises(ClientError) as e:
        u.authenticate(password="Wr0ng!Password")
    assert error_code(e.value) == "NotAuthorizedException"
    assert error_message(e.value) == "Incorrect username or password."
    assert u.access_token is None

    # A near miss (one character's case) is just as wrong; the right password still works after.
    with pytest.raises(ClientError) as e:
        u.authenticate(password=PASSWORD.swapcase())
    assert error_code(e.value) == "NotAuthorizedException"
    u.authenticate(password=PASSWORD)
    assert u.id_claims["cognito:username"] == username


def test_new_password_challenge_for_force_change_password(server):
    """An admin-created user (FORCE_CHANGE_PASSWORD) gets NEW_PASSWORD_REQUIRED after the SRP step;
    pycognito's `new_password_challenge` answers it and the user is CONFIRMED with the new password."""
    username = unique("srpnew")
    temporary = "Temp0rary!Pass"
    server.admin_user(None, username=username, email=f"{username}@example.com", temporary=temporary)
    got = server.admin().admin_get_user(UserPoolId=server.pool_id, Username=username)
    assert got["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    u = server.pycognito(username)
    with pytest.raises(ForceChangePasswordException):
        u.authenticate(password=temporary)

    new_password = "Brand!New0Password"
    u.new_password_challenge(password=temporary, new_password=new_password)
    assert u.id_claims["cognito:username"] == username
    assert u.access_claims["token_use"] == "access"

    got = server.admin().admin_get_user(UserPoolId=server.pool_id, Username=username)
    assert got["UserStatus"] == "CONFIRMED"

    again = server.pycognito(username)
    again.authenticate(password=new_password)
    assert again.id_claims["cognito:username"] == username
    with pytest.raises(ClientError) as e:
        server.pycognito(username).authenticate(password=temporary)
    assert error_code(e.value) == "NotAuthorizedException"


def test_awssrp_directly(server):
    """pycognito's `AWSSRP`, the piece other libraries (warrant, scripts) use on their own boto3 client."""
    username, _ = server.admin_user(PASSWORD)
    aws = server.srp(username, PASSWORD)

    # The challenge as Cognito sends it.
    params = aws.get_auth_params()
    assert set(params) == {"USERNAME", "SRP_A"}
    challenge = server.public().initiate_auth(
        ClientId=server.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    cp = challenge["ChallengeParameters"]
    assert {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"} <= set(cp)
    assert cp["USER_ID_FOR_SRP"] == username
    assert cp["USERNAME"] == username
    int(cp["SALT"], 16)
    b = int(cp["SRP_B"], 16)
    assert 0 < b < aws.big_n and b % aws.big_n != 0
    assert base64.standard_b64decode(cp["SECRET_BLOCK"])

    answer = aws.process_challenge(cp, params)
    tokens = server.public().respond_to_auth_challenge(
        ClientId=server.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    result = tokens["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["IdToken"] and result["AccessToken"] and result["RefreshToken"]
    assert jwt_claims(result["IdToken"])["cognito:username"] == username
    # Device tracking stays off.
    assert "NewDeviceMetadata" not in result

    # And the one-call form.
    tokens = server.srp(username, PASSWORD).authenticate_user()
    assert jwt_claims(tokens["AuthenticationResult"]["AccessToken"])["username"] == username

    with pytest.raises(ClientError) as e:
        server.srp(username, PASSWORD + "x").authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"


def test_admin_initiate_auth_with_srp(server):
    """USER_SRP_AUTH through the signed admin calls (AdminInitiateAuth / AdminRespondToAuthChallenge)."""
    username, _ = server.admin_user(PASSWORD)
    admin = server.admin()
    for password, ok in ((PASSWORD, True), ("Wr0ng!Password", False)):
        aws = server.srp(username, password)
        params = aws.get_auth_params()
        challenge = admin.admin_initiate_auth(
            UserPoolId=server.pool_id, ClientId=server.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
        )
        assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
        answer = aws.process_challenge(challenge["ChallengeParameters"], params)
        call = lambda: admin.admin_respond_to_auth_challenge(  # noqa: E731
            UserPoolId=server.pool_id,
            ClientId=server.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )
        if ok:
            result = call()["AuthenticationResult"]
            assert jwt_claims(result["IdToken"])["cognito:username"] == username
        else:
            with pytest.raises(ClientError) as e:
                call()
            assert error_code(e.value) == "NotAuthorizedException"


def test_client_with_secret_needs_secret_hash(server):
    """A client with a secret: pycognito sends SECRET_HASH in both SRP steps."""
    client = server.admin().create_user_pool_client(
        UserPoolId=server.pool_id,
        ClientName=unique("srpsecret"),
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    client_id, secret = client["ClientId"], client["ClientSecret"]
    username, _ = server.admin_user(PASSWORD)

    u = server.pycognito(username, client_id=client_id, client_secret=secret)
    u.authenticate(password=PASSWORD)
    assert u.id_claims["aud"] == client_id
    assert u.access_claims["client_id"] == client_id

    # Without the secret hash Cognito refuses the client.
    with pytest.raises(ClientError) as e:
        server.srp(username, PASSWORD, client_id=client_id).authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"
    # With a wrong secret too.
    with pytest.raises(ClientError) as e:
        server.srp(username, PASSWORD, client_id=client_id, client_secret=secret[::-1]).authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"
    # Wrong password with the right secret.
    with pytest.raises(ClientError) as e:
        server.srp(username, "Wr0ng!Password", client_id=client_id, client_secret=secret).authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"
