"""With SMTP configured the server sends its mail to the relay instead of writing DATA/outbox/.

The relay is aiosmtpd on 127.0.0.1 (plain SMTP, no TLS: `smtp://host:port` in lettre's URL form),
with a handler that keeps every message it is handed.
"""

import email
import email.policy
import email.utils
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from botocore.exceptions import ClientError

from conftest import CODE, _message_text, error_code, error_message, unique

PASSWORD = "Passw0rd!Interop"
SENDER = "no-reply@example.test"
MAIL_FROM = f"s3cognito <{SENDER}>"


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """aiosmtpd handler: stores (MAIL FROM, RCPT TOs, raw message bytes) for every DATA."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def to(self, addr: str) -> list[tuple[str, list[str], bytes]]:
        with self.lock:
            return [m for m in self.messages if addr.lower() in [r.lower() for r in m[1]]]

    def wait_for(self, addr: str, count: int = 1, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.to(addr)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)} message(s) for {addr} after {timeout}s; sink has {len(self.messages)}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), server_hostname="sink.test")
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def smtp_server(server_factory, sink):
    _, port = sink
    return server_factory(S3COGNITO_SMTP_URL=f"smtp://127.0.0.1:{port}", S3COGNITO_MAIL_FROM=MAIL_FROM)


def outbox_files(srv):
    d = srv.data / "outbox"
    return [p for p in d.rglob("*") if p.is_file()] if d.exists() else []


def test_sign_up_mail_goes_to_the_relay(smtp_server, sink):
    handler, _ = sink
    srv = smtp_server
    username = unique()
    mail = f"{username}@example.com"
    resp = srv.public().sign_up(
        ClientId=srv.client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": mail}],
    )
    assert resp["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    got = handler.wait_for(mail)
    time.sleep(0.5)  # nothing more arrives for this user
    got = handler.to(mail)
    assert len(got) == 1, got
    env_from, rcpts, raw = got[0]

    # The envelope: from the configured sender, to the user only.
    assert env_from == SENDER
    assert [r.lower() for r in rcpts] == [mail.lower()]

    # The message is RFC 5322: parses without defects, has the required Date and From.
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert not msg.defects, msg.defects
    for part in msg.walk():
        assert not part.defects, part.defects
    assert msg["Date"] and email.utils.parsedate_to_datetime(str(msg["Date"])) is not None
    assert len(msg.get_all("From")) == 1
    name, addr = email.utils.parseaddr(str(msg["From"]))
    assert (name, addr) == ("s3cognito", SENDER)
    assert [a.lower() for _, a in email.utils.getaddresses(msg.get_all("To", []))] == [mail.lower()]
    assert msg["Subject"]
    # Lines within RFC 5322's hard limit of 998 characters, CRLF line ends.
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")

    body = _message_text(msg)
    codes = CODE.findall(body)
    assert codes, body
    code = codes[0]

    srv.public().confirm_sign_up(ClientId=srv.client_id, Username=username, ConfirmationCode=code)
    user = srv.admin().admin_get_user(UserPoolId=srv.pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    tokens = srv.password_auth(username, PASSWORD)["AuthenticationResult"]
    assert tokens["IdToken"]

    # Nothing was written to the outbox.
    assert outbox_files(srv) == []


def test_resend_and_forgot_password_also_go_to_the_relay(smtp_server, sink):
    handler, _ = sink
    srv = smtp_server
    username = unique()
    mail = f"{username}@example.com"
    srv.public().sign_up(
        ClientId=srv.client_id, Username=username, Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": mail}]
    )
    handler.wait_for(mail, 1)
    srv.public().resend_confirmation_code(ClientId=srv.client_id, Username=username)
    second = handler.wait_for(mail, 2)[1]
    code = CODE.search(_message_text(email.message_from_bytes(second[2], policy=email.policy.default))).group(0)
    srv.public().confirm_sign_up(ClientId=srv.client_id, Username=username, ConfirmationCode=code)

    srv.public().forgot_password(ClientId=srv.client_id, Username=username)
    third = handler.wait_for(mail, 3)[2]
    assert third[0] == SENDER
    code = CODE.search(_message_text(email.message_from_bytes(third[2], policy=email.policy.default))).group(0)
    srv.public().confirm_forgot_password(
        ClientId=srv.client_id, Username=username, ConfirmationCode=code, Password="N3w!Passw0rd"
    )
    assert srv.password_auth(username, "N3w!Passw0rd")["AuthenticationResult"]["AccessToken"]
    assert outbox_files(srv) == []


def test_unreachable_relay_fails_sign_up_and_leaves_no_user(server_factory):
    """Nothing listens on the relay's port: SignUp answers CodeDeliveryFailureException, and the
    account is not left behind unconfirmable, so signing up again is possible."""
    srv = server_factory(S3COGNITO_SMTP_URL=f"smtp://127.0.0.1:{free_port()}", S3COGNITO_MAIL_FROM=MAIL_FROM)
    username = unique()
    mail = f"{username}@example.com"

    def sign_up():
        return srv.public().sign_up(
            ClientId=srv.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": mail}],
        )

    with pytest.raises(ClientError) as e:
        sign_up()
    assert error_code(e.value) == "CodeDeliveryFailureException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    headers = e.value.response["ResponseMetadata"].get("HTTPHeaders", {})
    assert headers.get("x-amzn-errortype", "").split(":")[0] == "CodeDeliveryFailureException"
    assert headers.get("x-amzn-requestid")
    with pytest.raises(ClientError) as missing:
        srv.admin().admin_get_user(UserPoolId=srv.pool_id, Username=username)
    assert error_code(missing.value) == "UserNotFoundException"
    # The same name is free: the second attempt fails the same way, not with UsernameExistsException.
    with pytest.raises(ClientError) as again:
        sign_up()
    assert error_code(again.value) == "CodeDeliveryFailureException"
    assert outbox_files(srv) == []
