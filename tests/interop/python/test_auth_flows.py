"""App clients' ExplicitAuthFlows as Cognito reads them, signed in through with boto3 and pycognito: a list of
ALLOW_ values allows exactly what it names; legacy values (ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH,
CUSTOM_AUTH_FLOW_ONLY) leave SRP and refresh allowed and add their own flow; the two kinds never mix; a
client created without the list gets Cognito's defaults."""

from __future__ import annotations

import pytest

from conftest import error_code, error_message, fail

PASSWORD = "Passw0rd!Flows"

# flows → which of (SRP, USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH) the client allows
CASES = [
    (None, (True, False, False)),
    (["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], (True, False, False)),
    (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], (False, True, False)),
    (["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], (False, False, True)),
    (["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], (True, True, True)),
    (["ADMIN_NO_SRP_AUTH"], (True, False, True)),
    (["USER_PASSWORD_AUTH"], (True, True, False)),
    (["CUSTOM_AUTH_FLOW_ONLY"], (True, False, False)),
    (["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"], (True, True, True)),
]


@pytest.fixture(scope="module")
def user(server):
    username, _ = server.admin_user(password=PASSWORD)
    return username


def make_client(server, flows):
    kwargs = {"UserPoolId": server.pool_id, "ClientName": "flows"}
    if flows is not None:
        kwargs["ExplicitAuthFlows"] = flows
    return server.admin().create_user_pool_client(**kwargs)["UserPoolClient"]


def srp(server, client_id, username):
    """pycognito's SRP sign-in, as an app does it: the tokens, or the refusal's code and message."""
    try:
        return server.srp(username, PASSWORD, client_id=client_id).authenticate_user()["AuthenticationResult"]
    except Exception as refused:  # noqa: BLE001 - botocore's ClientError
        return refused


def refused_with(outcome, code: str, message: str) -> None:
    assert not isinstance(outcome, dict), f"expected {code}, got tokens"
    assert error_code(outcome) == code and error_message(outcome) == message, (error_code(outcome), error_message(outcome))


@pytest.mark.parametrize("flows,allowed", CASES, ids=[str(flows) for flows, _ in CASES])
def test_each_flow_is_allowed_or_refused_as_the_client_says(server, user, flows, allowed):
    client = make_client(server, flows)
    client_id = client["ClientId"]
    allows_srp, allows_password, allows_admin = allowed
    public, admin = server.public(), server.admin()

    outcome = srp(server, client_id, user)
    if allows_srp:
        assert isinstance(outcome, dict), outcome
    else:
        refused_with(outcome, "InvalidParameterException", "USER_SRP_AUTH is not enabled for the client.")

    def password():
        return public.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD})

    if allows_password:
        tokens = password()["AuthenticationResult"]
    else:
        refused = fail(password)
        refused_with(refused, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
        tokens = None

    for admin_flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        def admin_sign_in():
            return admin.admin_initiate_auth(
                UserPoolId=server.pool_id, ClientId=client_id, AuthFlow=admin_flow,
                AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD},
            )

        if allows_admin:
            tokens = admin_sign_in()["AuthenticationResult"]
        else:
            refused_with(fail(admin_sign_in), "InvalidParameterException", "Auth flow not enabled for this client")

    # Whichever way the client signed in, its refresh token renews its tokens.
    signed_in = tokens or (outcome if isinstance(outcome, dict) else None)
    assert signed_in, "every case allows at least one sign-in"
    renewed = public.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                   AuthParameters={"REFRESH_TOKEN": signed_in["RefreshToken"]})
    assert renewed["AuthenticationResult"]["AccessToken"]
    # A password flow sent to the other entry point is unsupported there, whatever the client allows.
    wrong_side = fail(public.initiate_auth, ClientId=client_id, AuthFlow="ADMIN_NO_SRP_AUTH",
                      AuthParameters={"USERNAME": user, "PASSWORD": PASSWORD})
    assert error_code(wrong_side) == "InvalidParameterException"


def test_a_client_created_without_flows_gets_cognitos_defaults(server):
    client = make_client(server, None)
    described = server.admin().describe_user_pool_client(UserPoolId=server.pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert sorted(described["ExplicitAuthFlows"]) == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]


@pytest.mark.parametrize("flows", [["ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH"], ["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]])
def test_legacy_and_allow_values_cannot_be_mixed(server, flows):
    refused = fail(make_client, server, flows)
    assert error_code(refused) == "InvalidParameterException"
    assert "ALLOW_" in error_message(refused)
    client = make_client(server, ["ALLOW_USER_SRP_AUTH"])
    refused = fail(server.admin().update_user_pool_client, UserPoolId=server.pool_id, ClientId=client["ClientId"], ExplicitAuthFlows=flows)
    assert error_code(refused) == "InvalidParameterException"
