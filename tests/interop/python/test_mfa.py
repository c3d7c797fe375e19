"""Software-token (TOTP) MFA as pycognito and boto3 drive it, with codes from pyotp: a pool that requires MFA
sends a user without a token through MFA_SETUP at sign-in (AssociateSoftwareToken and VerifySoftwareToken
with the sign-in's session), then every sign-in through SOFTWARE_TOKEN_MFA; a signed-in user of an optional
pool sets a token up with its access token and SetUserMFAPreference; a wrong code, a code used twice and a
pool setting Cognito refuses are refused as Cognito refuses them."""

from __future__ import annotations

import time

import pyotp
import pytest
from pycognito.exceptions import SoftwareTokenMFAChallengeException

from conftest import error_code, error_message, fail, unique

PASSWORD = "Passw0rd!Totp"


def next_step_code(secret: str) -> str:
    """The code of the next 30-second step, which the server takes as one step of clock skew: a code of a
    step not used yet, without waiting for it."""
    return pyotp.TOTP(secret).at(time.time() + 30)


@pytest.fixture(scope="module")
def mfa_pool(server):
    """A pool of its own, so that requiring MFA touches no other test."""
    admin = server.admin()
    pool_id = admin.create_user_pool(PoolName=unique("mfa"))["UserPool"]["Id"]
    client_id = admin.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="mfa",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def test_pool_settings_take_software_tokens_and_refuse_what_cognito_refuses(server, mfa_pool):
    admin = server.admin()
    pool_id, _ = mfa_pool
    refused = fail(admin.set_user_pool_mfa_config, UserPoolId=pool_id, MfaConfiguration="OPTIONAL")
    assert error_code(refused) == "InvalidParameterException"
    assert error_message(refused) == "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
    refused = fail(admin.set_user_pool_mfa_config, UserPoolId=pool_id, MfaConfiguration="OFF",
                   SoftwareTokenMfaConfiguration={"Enabled": True})
    assert error_message(refused) == "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
    refused = fail(admin.set_user_pool_mfa_config, UserPoolId=pool_id, MfaConfiguration="ON",
                   SmsMfaConfiguration={"SmsAuthenticationMessage": "Your code is {####}"})
    assert error_code(refused) == "InvalidParameterException" and "SMS" in error_message(refused)

    answer = admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True})
    assert answer["MfaConfiguration"] == "ON" and answer["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    read = admin.get_user_pool_mfa_config(UserPoolId=pool_id)
    assert read["MfaConfiguration"] == "ON" and read["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"] == "ON"


def test_a_required_token_is_set_up_at_first_sign_in_then_asked_for_every_time(server, mfa_pool):
    pool_id, client_id = mfa_pool
    public = server.public()
    username, _ = server.admin_user(password=PASSWORD, pool_id=pool_id)

    # pycognito's SRP (its AWSSRP, which returns what the password step answers): MFA_SETUP.
    setup = server.srp(username, PASSWORD, pool_id=pool_id, client_id=client_id).authenticate_user()
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = public.associate_software_token(Session=setup["Session"])
    secret = associated["SecretCode"]
    assert len(secret) == 32 and secret.isalnum(), "base32 an authenticator app takes"
    wrong = fail(public.verify_software_token, Session=associated["Session"], UserCode="000000")
    assert error_code(wrong) == "EnableSoftwareTokenMFAException"
    assert error_message(wrong) == "Code mismatch and fail enable Software Token MFA"
    # The same session is tried again, as Amplify does after a typo.
    verified = public.verify_software_token(Session=associated["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="phone")
    assert verified["Status"] == "SUCCESS"
    done = public.respond_to_auth_challenge(ClientId=client_id, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                            ChallengeResponses={"USERNAME": username})
    access_token = done["AuthenticationResult"]["AccessToken"]
    me = public.get_user(AccessToken=access_token)
    assert me["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and me["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert server.admin().admin_get_user(UserPoolId=pool_id, Username=username)["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]

    # From now on pycognito's own MFA flow: the challenge as an exception, answered with the next code.
    user = server.pycognito(username, pool_id=pool_id, client_id=client_id)
    with pytest.raises(SoftwareTokenMFAChallengeException) as challenge:
        user.authenticate(password=PASSWORD)
    assert challenge.value.get_tokens()["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "phone"
    code = next_step_code(secret)
    user.respond_to_software_token_mfa_challenge(code)
    assert user.access_token and user.id_token

    # The same code again, in another sign-in: refused, once used; so is a wrong one.
    with pytest.raises(SoftwareTokenMFAChallengeException) as challenge:
        user.authenticate(password=PASSWORD)
    session = challenge.value.get_tokens()["Session"]

    def answer(code):
        return public.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
                                                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})

    reused = fail(answer, code)
    assert (error_code(reused), error_message(reused)) == ("ExpiredCodeException", "Your software token has already been used once.")
    wrong = fail(answer, "123456" if code != "123456" else "654321")
    assert (error_code(wrong), error_message(wrong)) == ("CodeMismatchException", "Invalid code received for user")
    # A session that is not one this server gave is refused as expired.
    forged = fail(public.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session="x" * 40,
                  ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code})
    assert error_code(forged) == "NotAuthorizedException"


def test_wrong_codes_count_toward_the_lockout(server, mfa_pool):
    pool_id, client_id = mfa_pool
    username, _ = server.admin_user(password=PASSWORD, pool_id=pool_id)
    setup = server.srp(username, PASSWORD, pool_id=pool_id, client_id=client_id).authenticate_user()
    public = server.public()
    associated = public.associate_software_token(Session=setup["Session"])
    secret = associated["SecretCode"]
    verified = public.verify_software_token(Session=associated["Session"], UserCode=pyotp.TOTP(secret).now())
    public.respond_to_auth_challenge(ClientId=client_id, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                     ChallengeResponses={"USERNAME": username})
    challenge = public.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"]["USER_ID_FOR_SRP"] == username
    codes = []
    for _ in range(5):
        refused = fail(public.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
                       Session=challenge["Session"], ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": "000001"})
        codes.append(error_code(refused))
    assert codes[:4] == ["CodeMismatchException"] * 4
    assert codes[4] == "NotAuthorizedException" and "attempts exceeded" in error_message(refused).lower()
    # Locked: even the right code is refused until the lockout ends.
    locked = fail(public.respond_to_auth_challenge, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                  ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": next_step_code(secret)})
    assert error_code(locked) == "NotAuthorizedException"


def test_a_signed_in_user_of_an_optional_pool_sets_up_a_token_with_its_access_token(server):
    admin = server.admin()
    pool_id = admin.create_user_pool(PoolName=unique("optional"))["UserPool"]["Id"]
    client_id = admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="optional",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    username, _ = server.admin_user(password=PASSWORD, pool_id=pool_id)
    public = server.public()

    def password_sign_in():
        return admin.admin_initiate_auth(UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})

    tokens = password_sign_in()["AuthenticationResult"]
    refused = fail(public.associate_software_token, AccessToken=tokens["AccessToken"])
    assert error_code(refused) == "SoftwareTokenMFANotFoundException", "the pool offers no software tokens yet"
    admin.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True})
    assert "AuthenticationResult" in password_sign_in(), "optional: no token, no challenge"

    refused = fail(public.set_user_mfa_preference, AccessToken=tokens["AccessToken"],
                   SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert (error_code(refused), error_message(refused)) == ("InvalidParameterException", "User has not verified software token mfa")
    secret = public.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
    assert public.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=pyotp.TOTP(secret).now(),
                                        FriendlyDeviceName="")["Status"] == "SUCCESS"
    assert "UserMFASettingList" not in public.get_user(AccessToken=tokens["AccessToken"]), "verified, not enabled yet"
    assert "AuthenticationResult" in password_sign_in()
    # pycognito's preference call sends SMS settings too, turned off, which is fine without a phone.
    public.set_user_mfa_preference(AccessToken=tokens["AccessToken"], SMSMfaSettings={"Enabled": False, "PreferredMfa": False},
                                   SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    refused = fail(public.set_user_mfa_preference, AccessToken=tokens["AccessToken"], SMSMfaSettings={"Enabled": True})
    assert error_code(refused) == "InvalidParameterException" and "SMS" in error_message(refused)

    challenge = password_sign_in()
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = admin.admin_respond_to_auth_challenge(
        UserPoolId=pool_id, ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": next_step_code(secret)},
    )
    assert done["AuthenticationResult"]["AccessToken"]

    # An administrator turns the token off: sign-in no longer asks for it.
    admin.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=username, SoftwareTokenMfaSettings={"Enabled": False})
    assert "AuthenticationResult" in password_sign_in()
    assert "UserMFASettingList" not in admin.admin_get_user(UserPoolId=pool_id, Username=username)
