"""USER_SRP_AUTH on the wire: what Cognito answers for users that do not exist and for a bad SRP_A.

The client side is pycognito's `AWSSRP` (the same arithmetic as Amplify and amazon-cognito-identity-js);
the calls are plain boto3, as a script probing the server would make them.
"""

import base64

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, error_message, unique

PASSWORD = "Srp!Passw0rd"
CHALLENGE_KEYS = {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"}


def challenge_for(server, username, password=PASSWORD):
    aws = server.srp(username, password)
    params = aws.get_auth_params()
    resp = server.public().initiate_auth(ClientId=server.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    return aws, params, resp


def check_challenge(aws, cp):
    """The values of a PASSWORD_VERIFIER challenge are well-formed; returns (salt hex, secret block)."""
    assert CHALLENGE_KEYS <= set(cp), sorted(cp)
    assert int(cp["SALT"], 16) > 0
    b = int(cp["SRP_B"], 16)
    assert 1 < b < aws.big_n, "SRP_B must be in (1, N)"
    # Minimal hex of a 3072-bit value, 00-prefixed when the top bit is set.
    assert 760 <= len(cp["SRP_B"]) <= 770
    block = base64.b64decode(cp["SECRET_BLOCK"], validate=True)
    assert block
    return cp["SALT"], block


def test_unknown_user_gets_a_real_looking_challenge_then_not_authorized(server):
    real_user, _ = server.admin_user(PASSWORD)
    aws_real, _, real = challenge_for(server, real_user)
    assert real["ChallengeName"] == "PASSWORD_VERIFIER"

    real_salt, real_block = check_challenge(aws_real, real["ChallengeParameters"])

    ghost = unique("ghst")  # as long as the real user's name
    assert len(ghost) == len(real_user)
    aws, params, resp = challenge_for(server, ghost)
    # PreventUserExistenceErrors (the bootstrap client's setting, and Cognito's default): no
    # UserNotFoundException, but a challenge like any other.
    assert resp["ChallengeName"] == "PASSWORD_VERIFIER"
    cp = resp["ChallengeParameters"]
    assert sorted(cp) == sorted(real["ChallengeParameters"])
    assert cp["USERNAME"] == ghost
    assert cp["USER_ID_FOR_SRP"] == ghost
    salt, block = check_challenge(aws, cp)
    # Nothing in the sizes tells the two apart (salts are random: minimal hex varies by a byte).
    assert abs(len(salt) - len(real_salt)) <= 4, (salt, real_salt)
    assert abs(len(block) - len(real_block)) <= 32, (len(block), len(real_block))
    # Asked again, it behaves like a real user's: the same salt, a fresh B.
    _, _, again = challenge_for(server, ghost)
    _, _, real_again = challenge_for(server, real_user)
    assert real_again["ChallengeParameters"]["SALT"] == real_salt
    assert again["ChallengeParameters"]["SALT"] == salt
    assert again["ChallengeParameters"]["SRP_B"] != cp["SRP_B"]

    answer = aws.process_challenge(cp, params)
    with pytest.raises(ClientError) as e:
        server.public().respond_to_auth_challenge(
            ClientId=server.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert error_code(e.value) == "NotAuthorizedException"
    assert error_message(e.value) == "Incorrect username or password."

    # The same as a wrong password for a real user, word for word.
    with pytest.raises(ClientError) as e:
        server.srp(real_user, "Wr0ng!Password").authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"
    assert error_message(e.value) == "Incorrect username or password."

    # pycognito's one-call sign-in ends the same way.
    with pytest.raises(ClientError) as e:
        server.srp(unique("ghost"), PASSWORD).authenticate_user()
    assert error_code(e.value) == "NotAuthorizedException"
    assert error_message(e.value) == "Incorrect username or password."


@pytest.mark.parametrize("srp_a", ["00", "0", "0" * 768, "N", "2N"])
def test_srp_a_zero_mod_n_is_refused(server, srp_a):
    """SRP_A with A mod N = 0 would let anyone in without the password; Cognito refuses it."""
    username, _ = server.admin_user(PASSWORD)
    n = server.srp(username, PASSWORD).big_n
    value = {"N": format(n, "x"), "2N": format(2 * n, "x")}.get(srp_a, srp_a)
    with pytest.raises(ClientError) as e:
        server.public().initiate_auth(
            ClientId=server.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": username, "SRP_A": value},
        )
    assert error_code(e.value) == "InvalidParameterException"


def test_srp_a_zero_is_refused_for_unknown_users_too(server):
    with pytest.raises(ClientError) as e:
        server.public().initiate_auth(
            ClientId=server.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": unique("ghost"), "SRP_A": "00"},
        )
    assert error_code(e.value) == "InvalidParameterException"


def test_srp_a_missing_is_refused(server):
    username, _ = server.admin_user(PASSWORD)
    with pytest.raises(ClientError) as e:
        server.public().initiate_auth(
            ClientId=server.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters={"USERNAME": username}
        )
    assert error_code(e.value) == "InvalidParameterException"


def test_a_password_verifier_answer_is_single_use(server):
    username, _ = server.admin_user(PASSWORD)
    aws, params, resp = challenge_for(server, username)
    answer = aws.process_challenge(resp["ChallengeParameters"], params)
    ok = server.public().respond_to_auth_challenge(
        ClientId=server.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    assert ok["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as e:
        server.public().respond_to_auth_challenge(
            ClientId=server.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert error_code(e.value) == "NotAuthorizedException"
