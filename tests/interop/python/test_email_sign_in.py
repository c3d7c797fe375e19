"""Sign-in by email: pools with `UsernameAttributes=[email]` and pools with `AliasAttributes=[email]`.

Everything is driven the way a Cognito user does it: boto3 admin calls (SigV4 with the root
credentials) make the pools and clients, the public API signs users up, the codes come from the
outbox, and pycognito signs in with SRP.
"""

import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, jwt_claims, unique

PASSWORD = "Passw0rd!Interop"
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def attrs(resp, key="UserAttributes"):
    return {a["Name"]: a["Value"] for a in resp[key]}


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def make_pool(server, **kw):
    admin = server.admin()
    pool = admin.create_user_pool(PoolName=unique("pool"), **kw)["UserPool"]
    client = admin.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=unique("client"),
        ExplicitAuthFlows=FLOWS,
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    return pool, client["ClientId"]


def srp_challenge(server, who, pool_id, client_id, password=PASSWORD):
    """A raw USER_SRP_AUTH with pycognito's SRP_A; returns (AWSSRP, auth params, response)."""
    aws = server.srp(who, password, pool_id=pool_id, client_id=client_id)
    params = aws.get_auth_params()
    resp = server.public().initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    return aws, params, resp


def srp_sign_in(server, who, pool_id, client_id, password=PASSWORD):
    """Complete a raw SRP sign-in; returns (challenge parameters, AuthenticationResult)."""
    aws, params, resp = srp_challenge(server, who, pool_id, client_id, password)
    assert resp["ChallengeName"] == "PASSWORD_VERIFIER"
    cp = resp["ChallengeParameters"]
    answer = aws.process_challenge(cp, params)
    done = server.public().respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    return cp, done["AuthenticationResult"]


# ---------------------------------------------------------------------------------------------
# UsernameAttributes=[email]: the email is what users type, the username is a generated id.


@pytest.fixture(scope="module")
def email_pool(server):
    pool, client_id = make_pool(server, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    assert pool.get("UsernameAttributes") == ["email"]
    described = server.admin().describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described.get("UsernameAttributes") == ["email"]
    assert "AliasAttributes" not in described or not described["AliasAttributes"]
    return pool["Id"], client_id


@pytest.fixture(scope="module")
def email_user(server, email_pool):
    """A user signed up with a mixed-case email as Username, confirmed with the mailed code."""
    pool_id, client_id = email_pool
    local = unique("Mixed.Case")
    mail = f"{local}@Example.COM"
    resp = server.public().sign_up(ClientId=client_id, Username=mail, Password=PASSWORD)
    sub = resp["UserSub"]
    assert is_uuid(sub), sub
    assert resp["UserConfirmed"] is False
    details = resp["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == "EMAIL"
    assert details["AttributeName"] == "email"

    code = server.outbox_code(mail)
    server.public().confirm_sign_up(ClientId=client_id, Username=mail, ConfirmationCode=code)
    return mail, sub


def test_sign_up_with_email_then_pycognito_srp(server, email_pool, email_user):
    pool_id, client_id = email_pool
    mail, sub = email_user

    # The user's name is the sub; the email is an attribute, verified by the confirmation.
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=sub)
    assert got["Username"] == sub
    assert got["UserStatus"] == "CONFIRMED"
    a = attrs(got)
    assert a["sub"] == sub
    assert a["email"].lower() == mail.lower()
    assert a["email_verified"] == "true"

    # pycognito's SRP sign-in with the email, as typed at sign-up.
    u = server.pycognito(mail, pool_id=pool_id, client_id=client_id)
    u.authenticate(password=PASSWORD)
    idc = u.id_claims
    assert idc["cognito:username"] == sub
    assert is_uuid(idc["cognito:username"])
    assert idc["sub"] == sub
    assert idc["email"].lower() == mail.lower()
    assert idc["email_verified"] is True
    assert idc["aud"] == client_id
    assert u.access_claims["username"] == sub
    assert u.access_claims["sub"] == sub

    # The email in another case is the same user.
    u2 = server.pycognito(mail.lower(), pool_id=pool_id, client_id=client_id)
    u2.authenticate(password=PASSWORD)
    assert u2.id_claims["cognito:username"] == sub

    # The refresh token works too.
    old = u.access_token
    u.renew_access_token()
    assert u.access_token != old
    assert u.access_claims["username"] == sub


def test_srp_challenge_runs_over_the_sub(server, email_pool, email_user):
    pool_id, client_id = email_pool
    mail, sub = email_user

    cp, result = srp_sign_in(server, mail, pool_id, client_id)
    assert cp["USER_ID_FOR_SRP"] == sub
    assert cp["USERNAME"] == sub
    idc = jwt_claims(result["IdToken"])
    assert idc["cognito:username"] == sub
    assert idc["email"].lower() == mail.lower()

    # pycognito's AWSSRP in one call, with the upper-cased email.
    tokens = server.srp(mail.upper(), PASSWORD, pool_id=pool_id, client_id=client_id).authenticate_user()
    assert jwt_claims(tokens["AuthenticationResult"]["IdToken"])["cognito:username"] == sub


def test_password_auth_and_admin_lookup_by_email(server, email_pool, email_user):
    pool_id, client_id = email_pool
    mail, sub = email_user

    resp = server.password_auth(mail, PASSWORD, client_id=client_id)
    idc = jwt_claims(resp["AuthenticationResult"]["IdToken"])
    assert idc["cognito:username"] == sub

    # AdminGetUser accepts the email as Username and answers with the real username.
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=mail)
    assert got["Username"] == sub


def test_non_email_username_is_refused(server, email_pool):
    pool_id, client_id = email_pool
    with pytest.raises(ClientError) as e:
        server.public().sign_up(ClientId=client_id, Username=unique("plain"), Password=PASSWORD)
    assert error_code(e.value) == "InvalidParameterException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_same_email_in_another_case_already_exists(server, email_pool, email_user):
    pool_id, client_id = email_pool
    mail, sub = email_user
    for other in (mail.lower(), mail.upper(), mail.swapcase()):
        with pytest.raises(ClientError) as e:
            server.public().sign_up(ClientId=client_id, Username=other, Password=PASSWORD)
        assert error_code(e.value) == "UsernameExistsException", other
    # The original user is untouched.
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=sub)
    assert got["UserStatus"] == "CONFIRMED"


# ---------------------------------------------------------------------------------------------
# AliasAttributes=[email]: a verified email signs in beside the username.


@pytest.fixture(scope="module")
def alias_pool(server):
    pool, client_id = make_pool(server, AliasAttributes=["email"], AutoVerifiedAttributes=["email"])
    described = server.admin().describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described.get("AliasAttributes") == ["email"]
    assert not described.get("UsernameAttributes")
    return pool["Id"], client_id


def test_alias_email_signs_in_only_once_confirmed(server, alias_pool):
    pool_id, client_id = alias_pool
    mail = f"{unique('erin')}@example.com"
    resp = server.public().sign_up(
        ClientId=client_id,
        Username="erin",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": mail}],
    )
    sub = resp["UserSub"]

    # Before confirmation the email is no alias yet: it is an unknown user.
    with pytest.raises(ClientError) as e:
        server.password_auth(mail, PASSWORD, client_id=client_id)
    assert error_code(e.value) == "NotAuthorizedException"
    # By username the user exists, but is not confirmed.
    with pytest.raises(ClientError) as e:
        server.password_auth("erin", PASSWORD, client_id=client_id)
    assert error_code(e.value) == "UserNotConfirmedException"

    code = server.outbox_code(mail)
    server.public().confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=code)

    # By username, with SRP (pycognito) and with a password.
    u = server.pycognito("erin", pool_id=pool_id, client_id=client_id)
    u.authenticate(password=PASSWORD)
    assert u.id_claims["cognito:username"] == "erin"
    assert u.id_claims["sub"] == sub
    assert jwt_claims(server.password_auth("erin", PASSWORD, client_id=client_id)["AuthenticationResult"]["IdToken"])[
        "cognito:username"
    ] == "erin"

    # By email, now that it is verified: the tokens name the username.
    resp = server.password_auth(mail, PASSWORD, client_id=client_id)
    idc = jwt_claims(resp["AuthenticationResult"]["IdToken"])
    assert idc["cognito:username"] == "erin"
    assert idc["email"] == mail

    cp, result = srp_sign_in(server, mail, pool_id, client_id)
    assert cp["USER_ID_FOR_SRP"] == "erin"
    assert jwt_claims(result["IdToken"])["cognito:username"] == "erin"

    u = server.pycognito(mail, pool_id=pool_id, client_id=client_id)
    u.authenticate(password=PASSWORD)
    assert u.id_claims["cognito:username"] == "erin"
    assert u.access_claims["username"] == "erin"

    # AdminGetUser by the email answers with the username.
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=mail)
    assert got["Username"] == "erin"
    assert attrs(got)["email_verified"] == "true"

    # Another account confirming the same email is refused; erin keeps the alias.
    before = server.outbox.snapshot()
    server.public().sign_up(
        ClientId=client_id,
        Username="frank",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": mail}],
    )
    code = server.outbox_code(mail, exclude=before)
    with pytest.raises(ClientError) as e:
        server.public().confirm_sign_up(ClientId=client_id, Username="frank", ConfirmationCode=code)
    assert error_code(e.value) == "AliasExistsException"
    got = server.admin().admin_get_user(UserPoolId=pool_id, Username=mail)
    assert got["Username"] == "erin"
    resp = server.password_auth(mail, PASSWORD, client_id=client_id)
    assert jwt_claims(resp["AuthenticationResult"]["IdToken"])["cognito:username"] == "erin"


# ---------------------------------------------------------------------------------------------
# What is refused at pool creation.


@pytest.mark.parametrize(
    "kw",
    [
        dict(UsernameAttributes=["email"], AliasAttributes=["email"]),
        dict(UsernameAttributes=["phone_number"]),
    ],
    ids=["username-and-alias", "phone-username"],
)
def test_pool_settings_refused(server, kw):
    admin = server.admin()
    name = unique("bad")
    with pytest.raises(ClientError) as e:
        admin.create_user_pool(PoolName=name, **kw)
    assert error_code(e.value) == "InvalidParameterException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Nothing was made.
    pools = admin.list_user_pools(MaxResults=60)["UserPools"]
    assert name not in [p["Name"] for p in pools]
