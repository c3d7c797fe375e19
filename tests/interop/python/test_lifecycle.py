"""What an operator notices: private secret files, clean logs, clean shutdown."""

import signal
import stat

from conftest import jwt_claims


def test_secret_files_are_private(fresh_server):
    mode = stat.S_IMODE((fresh_server.data / "credentials").stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_no_password_code_or_token_in_logs(fresh_server):
    srv = fresh_server
    password = "L0gSecret!Zebra"
    username, mail, _ = srv.signed_up_user(password=password, confirm=False)
    code = srv.outbox_code(mail)
    srv.public().confirm_sign_up(ClientId=srv.client_id, Username=username, ConfirmationCode=code)
    tokens = srv.password_auth(username, password)["AuthenticationResult"]
    srv.public().get_user(AccessToken=tokens["AccessToken"])
    srv.public().initiate_auth(ClientId=srv.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                               AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    before = srv.outbox.snapshot()
    srv.public().forgot_password(ClientId=srv.client_id, Username=username)
    reset = srv.outbox_code(mail, exclude=before)
    srv.public().confirm_forgot_password(ClientId=srv.client_id, Username=username,
                                         ConfirmationCode=reset, Password="L0gSecret!Yak")
    srv.restart()  # flush whatever is buffered

    logs = srv.stderr_path.read_text(errors="replace") + "\n".join(srv.stdout_lines)
    secrets = {
        "password": password,
        "new password": "L0gSecret!Yak",
        "confirmation code": code,
        "reset code": reset,
        "access token signature": tokens["AccessToken"].split(".")[2],
        "id token signature": tokens["IdToken"].split(".")[2],
        "refresh token": tokens["RefreshToken"],
        "root secret key": srv.secret_key,
    }
    leaked = [name for name, value in secrets.items() if value in logs]
    assert not leaked, f"found in server logs: {leaked}"
    # It did log something at info level (so the check above is not vacuous).
    assert logs.strip()
    assert jwt_claims(tokens["AccessToken"])["username"] == username


def test_sigint_shuts_down_cleanly(fresh_server):
    srv = fresh_server
    proc = srv.proc
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    srv.proc = None
    assert rc == 0, f"exit {rc} on SIGINT\n{srv.stderr_tail()}"
    srv.start()
    assert srv.admin().describe_user_pool(UserPoolId=srv.pool_id)["UserPool"]["Id"] == srv.pool_id
