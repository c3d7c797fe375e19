"""The admin flow with the AWS CLI v1 (admin-create-user, ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED),
written as an operator writes it for AWS, with only `--endpoint-url` added."""

import json

from conftest import jwt_claims, unique

# The commands exactly as they are written for AWS, with `aws` pointed at our endpoint.
CREATE = """aws --endpoint-url "$ENDPOINT" cognito-idp admin-create-user \\
    --user-pool-id $USERPOOL \\
    --username demo \\
    --user-attributes Name=email,Value=demo@example.com Name=email_verified,Value=True \\
    --temporary-password 'MySecretPassword123!' \\
    --region us-east-1
"""

INITIATE = """aws --endpoint-url "$ENDPOINT" cognito-idp admin-initiate-auth \\
--user-pool-id $USERPOOL \\
--client-id $APPCLIENT \\
--auth-flow ADMIN_NO_SRP_AUTH \\
--auth-parameters USERNAME=demo,'PASSWORD=MySecretPassword123!' \\
--region us-east-1
"""

RESPOND = """aws --endpoint-url "$ENDPOINT" cognito-idp admin-respond-to-auth-challenge \\
--user-pool-id $USERPOOL \\
--client-id $APPCLIENT \\
--challenge-name NEW_PASSWORD_REQUIRED \\
--challenge-responses NEW_PASSWORD='MySecretPassword123!',USERNAME=demo \\
--region us-east-1 \\
--session "$SESSION"
"""


def pool_env(server, **extra):
    return {"USERPOOL": server.pool_id, "APPCLIENT": server.client_id, **extra}


def attrs_of(user: dict, key: str = "UserAttributes") -> dict:
    return {a["Name"]: a["Value"] for a in user[key]}


def get_user(server, username):
    return server.aws_json(
        "cognito-idp", "admin-get-user", "--user-pool-id", server.pool_id, "--username", username,
        "--region", "us-east-1",
    )


def cli_confirmed_user(server, username, mail, temp="Temp0rary!Pass", final="Fin4l!Password"):
    """admin-create-user + ADMIN_NO_SRP_AUTH + NEW_PASSWORD_REQUIRED, as an operator does it with the CLI."""
    server.aws_json(
        "cognito-idp", "admin-create-user", "--user-pool-id", server.pool_id, "--username", username,
        "--user-attributes", f"Name=email,Value={mail}", "Name=email_verified,Value=True",
        "--temporary-password", temp, "--region", "us-east-1",
    )
    challenge = server.aws_json(
        "cognito-idp", "admin-initiate-auth", "--user-pool-id", server.pool_id,
        "--client-id", server.client_id, "--auth-flow", "ADMIN_NO_SRP_AUTH",
        "--auth-parameters", f"USERNAME={username},PASSWORD={temp}", "--region", "us-east-1",
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    done = server.aws_json(
        "cognito-idp", "admin-respond-to-auth-challenge", "--user-pool-id", server.pool_id,
        "--client-id", server.client_id, "--challenge-name", "NEW_PASSWORD_REQUIRED",
        "--challenge-responses", f"NEW_PASSWORD={final},USERNAME={username}",
        "--session", challenge["Session"], "--region", "us-east-1",
    )
    return final, done["AuthenticationResult"]


def admin_sign_in(server, username, password) -> dict:
    out = server.aws_json(
        "cognito-idp", "admin-initiate-auth", "--user-pool-id", server.pool_id,
        "--client-id", server.client_id, "--auth-flow", "ADMIN_NO_SRP_AUTH",
        "--auth-parameters", f"USERNAME={username},PASSWORD={password}", "--region", "us-east-1",
    )
    assert "ChallengeName" not in out, out
    return out["AuthenticationResult"]


def test_admin_flow_with_the_aws_cli(server):
    env = pool_env(server)

    created = json.loads(server.sh(CREATE, env).stdout)
    user = created["User"]
    assert user["Username"] == "demo"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    assert attrs_of(user, "Attributes")["email"] == "demo@example.com"

    before = get_user(server, "demo")
    assert before["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    # The invitation went to the outbox and carries the temporary password.
    invitation = server.outbox.text("demo@example.com")
    assert "MySecretPassword123!" in invitation, invitation

    challenge = json.loads(server.sh(INITIATE, env).stdout)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    assert challenge["Session"]
    assert "AuthenticationResult" not in challenge
    params = challenge["ChallengeParameters"]
    # Amplify and amazon-cognito-identity-js JSON.parse these two.
    assert isinstance(json.loads(params["userAttributes"]), dict)
    assert isinstance(json.loads(params["requiredAttributes"]), list)
    assert params.get("USER_ID_FOR_SRP") == "demo"

    answer = json.loads(server.sh(RESPOND, pool_env(server, SESSION=challenge["Session"])).stdout)
    result = answer["AuthenticationResult"]
    assert result["ExpiresIn"] == 3600
    assert result["TokenType"] == "Bearer"
    for key in ("AccessToken", "IdToken", "RefreshToken"):
        assert result[key], key

    after = get_user(server, "demo")
    assert after["UserStatus"] == "CONFIRMED"
    sub = attrs_of(after)["sub"]

    access = jwt_claims(result["AccessToken"])
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{server.pool_id}"
    assert access["token_use"] == "access"
    assert access["username"] == "demo"
    assert access["client_id"] == server.client_id
    assert access["iss"] == issuer
    assert access["sub"] == sub
    assert access["exp"] - access["iat"] == 3600
    for claim in ("scope", "auth_time", "jti", "origin_jti", "event_id"):
        assert claim in access, claim

    idt = jwt_claims(result["IdToken"])
    assert idt["token_use"] == "id"
    assert idt["iss"] == issuer
    assert idt["aud"] == server.client_id
    assert idt["cognito:username"] == "demo"
    assert idt["email"] == "demo@example.com"
    assert idt["email_verified"] is True
    assert idt["sub"] == sub

    # The new password is the one that signs in now.
    tokens = admin_sign_in(server, "demo", "MySecretPassword123!")
    assert jwt_claims(tokens["AccessToken"])["username"] == "demo"


def test_wrong_password_shows_aws_error_in_cli(server):
    name = unique("cli")
    password, _ = cli_confirmed_user(server, name, f"{name}@example.com")
    cp = server.aws(
        "cognito-idp", "admin-initiate-auth", "--user-pool-id", server.pool_id,
        "--client-id", server.client_id, "--auth-flow", "ADMIN_NO_SRP_AUTH",
        "--auth-parameters", f"USERNAME={name},PASSWORD=Not{password}", "--region", "us-east-1",
        check=False,
    )
    assert cp.returncode != 0
    assert "(NotAuthorizedException)" in cp.stderr, cp.stderr
    assert "Incorrect username or password." in cp.stderr, cp.stderr


def test_list_users_with_email_filter(server):
    name = unique("flt")
    mail = f"{name}@example.com"
    cli_confirmed_user(server, name, mail)
    found = server.aws_json(
        "cognito-idp", "list-users", "--user-pool-id", server.pool_id,
        "--filter", f'email = "{mail}"', "--region", "us-east-1",
    )
    assert [u["Username"] for u in found["Users"]] == [name]
    assert attrs_of(found["Users"][0], "Attributes")["email"] == mail

    if get_user_exists(server, "demo"):
        demo = server.aws_json(
            "cognito-idp", "list-users", "--user-pool-id", server.pool_id,
            "--filter", 'email = "demo@example.com"', "--region", "us-east-1",
        )
        assert [u["Username"] for u in demo["Users"]] == ["demo"]

    none = server.aws_json(
        "cognito-idp", "list-users", "--user-pool-id", server.pool_id,
        "--filter", 'email = "nobody-here@example.com"', "--region", "us-east-1",
    )
    assert none["Users"] == []

    everyone = server.aws_json("cognito-idp", "list-users", "--user-pool-id", server.pool_id, "--region", "us-east-1")
    assert name in [u["Username"] for u in everyone["Users"]]


def get_user_exists(server, username) -> bool:
    cp = server.aws(
        "cognito-idp", "admin-get-user", "--user-pool-id", server.pool_id, "--username", username,
        "--region", "us-east-1", check=False,
    )
    return cp.returncode == 0


def test_groups_reach_the_tokens(server):
    name = unique("grp")
    group = unique("admins")
    password, _ = cli_confirmed_user(server, name, f"{name}@example.com")

    created = server.aws_json(
        "cognito-idp", "create-group", "--group-name", group, "--user-pool-id", server.pool_id,
        "--description", "interop admins", "--region", "us-east-1",
    )
    assert created["Group"]["GroupName"] == group
    assert created["Group"]["UserPoolId"] == server.pool_id

    server.aws(
        "cognito-idp", "admin-add-user-to-group", "--user-pool-id", server.pool_id,
        "--username", name, "--group-name", group, "--region", "us-east-1",
    )
    groups = server.aws_json(
        "cognito-idp", "admin-list-groups-for-user", "--user-pool-id", server.pool_id,
        "--username", name, "--region", "us-east-1",
    )
    assert [g["GroupName"] for g in groups["Groups"]] == [group]

    members = server.aws_json(
        "cognito-idp", "list-users-in-group", "--user-pool-id", server.pool_id,
        "--group-name", group, "--region", "us-east-1",
    )
    assert [u["Username"] for u in members["Users"]] == [name]

    listed = server.aws_json("cognito-idp", "list-groups", "--user-pool-id", server.pool_id, "--region", "us-east-1")
    assert group in [g["GroupName"] for g in listed["Groups"]]

    tokens = admin_sign_in(server, name, password)
    assert jwt_claims(tokens["IdToken"])["cognito:groups"] == [group]
    assert jwt_claims(tokens["AccessToken"])["cognito:groups"] == [group]

    # Removing the user from the group takes it out of the next tokens.
    server.aws(
        "cognito-idp", "admin-remove-user-from-group", "--user-pool-id", server.pool_id,
        "--username", name, "--group-name", group, "--region", "us-east-1",
    )
    tokens = admin_sign_in(server, name, password)
    assert group not in jwt_claims(tokens["IdToken"]).get("cognito:groups", [])
