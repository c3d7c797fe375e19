"""Spawn the real `s3cognito` binary and hand tests what a user of it would have.

The server is started exactly as DESIGN.md documents it:
`s3cognito serve --listen 127.0.0.1:0 --data <tmpdir>`, and is ready once it prints
`s3cognito listening on http://HOST:PORT` on stdout.
"""

from __future__ import annotations

import base64
import configparser
import email
import email.policy
import hashlib
import http.client
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from xml.etree import ElementTree

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("S3COGNITO_BIN", REPO / "target" / "debug" / "s3cognito"))
REGION = "us-east-1"
LISTENING = re.compile(r"s3cognito listening on (https?://\S+)")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
CODE = re.compile(r"\b\d{6}\b")

# Every server started in this process, so a failing test can show their logs.
_SERVERS: list["Server"] = []


def b64url_json(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def jwt_claims(token: str) -> dict:
    """The payload of a JWT, not verified."""
    return b64url_json(token.split(".")[1])


def fail(call, *args, **kwargs):
    """Runs a boto3 call that must fail; returns its ClientError."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        call(*args, **kwargs)
    return refused.value


def status(exc) -> int:
    """The HTTP status of a boto3 ClientError."""
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]


def doc(*statements) -> str:
    """An IAM policy document of `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def jwt_header(token: str) -> dict:
    return b64url_json(token.split(".")[0])


def unique(prefix: str = "user") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def error_code(exc) -> str:
    return exc.response["Error"]["Code"]


def error_message(exc) -> str:
    return exc.response["Error"].get("Message", "")


def _message_text(msg) -> str:
    """All text of a parsed message (every text/* part, decoded)."""
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(part.get_content())
            except Exception:  # pragma: no cover - undecodable part
                parts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
    return "\n".join(parts)


def http_raw(method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 120):
    """One plain HTTP/1.1 request (http.client: it adds only Host, Accept-Encoding and Content-Length,
    never a Content-Type), as curl or a browser would send a presigned URL. Returns (status, headers
    with lower-case names, body bytes) for any status."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def s3_error(status: int, headers: dict, body: bytes) -> dict:
    """The fields of an S3 XML error body (`<Error><Code>…`); asserts `<RequestId>` equals the
    `x-amz-request-id` header, as AWS S3 does."""
    assert body, f"HTTP {status} with an empty body (headers {headers})"
    root = ElementTree.fromstring(body)
    assert root.tag == "Error", f"HTTP {status}: not an S3 error document: {body[:500]!r}"
    fields = {child.tag: (child.text or "") for child in root}
    assert fields.get("Code"), f"no <Code> in {body[:500]!r}"
    request_id = {k.lower(): v for k, v in dict(headers).items()}.get("x-amz-request-id")
    assert request_id, f"no x-amz-request-id header on HTTP {status} ({dict(headers)})"
    assert fields.get("RequestId") == request_id, f"<RequestId> {fields.get('RequestId')!r} != header {request_id!r}"
    return fields


def md5_etag(data: bytes) -> str:
    """S3's ETag of a single-part object: the quoted hex MD5 of its bytes."""
    return '"' + hashlib.md5(data).hexdigest() + '"'


def multipart_etag(parts: list[bytes]) -> str:
    """S3's ETag of a multipart object: `"<md5 of the concatenated binary part MD5s>-<N>"`."""
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(parts)}"'


class Outbox:
    """The `.eml` files the server writes under DATA/outbox/."""

    def __init__(self, server: "Server"):
        self.server = server

    @property
    def dir(self) -> Path:
        return self.server.data / "outbox"

    def files(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        found = [p for p in self.dir.rglob("*.eml") if p.is_file()]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def snapshot(self) -> set[Path]:
        return set(self.files())

    def _address(self, who: str) -> str:
        if "@" in who:
            return who.lower()
        # A username: find its email the way an operator would.
        user = self.server.admin().admin_get_user(UserPoolId=self.server.pool_id, Username=who)
        attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
        return attrs["email"].lower()

    def messages(self, who: str, exclude: set[Path] | None = None) -> list:
        """Parsed messages addressed to `who` (an email or a username), oldest first."""
        addr = self._address(who)
        out = []
        for path in self.files():
            if exclude and path in exclude:
                continue
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            recipients = " ".join(str(msg.get_all(h, [])) for h in ("To", "Cc", "Bcc")).lower()
            if addr in recipients:
                msg["X-Test-Path"] = str(path)
                out.append(msg)
        return out

    def latest(self, who: str, exclude: set[Path] | None = None, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages(who, exclude)
            if msgs:
                return msgs[-1]
            if time.monotonic() > deadline:
                listing = [str(p.relative_to(self.server.data)) for p in self.files()]
                raise AssertionError(f"no mail for {who!r} in {self.dir} (files: {listing})")
            time.sleep(0.1)

    def text(self, who: str, exclude: set[Path] | None = None) -> str:
        return _message_text(self.latest(who, exclude))

    def code(self, who: str, exclude: set[Path] | None = None) -> str:
        body = self.text(who, exclude)
        m = CODE.search(body)
        assert m, f"no 6-digit code in the newest mail to {who!r}:\n{body}"
        return m.group(0)


class Server:
    def __init__(self, data: Path, logdir: Path, extra_env: dict | None = None):
        self.data = data
        self.logdir = logdir
        # Extra environment for `serve` (e.g. S3COGNITO_LOCKOUT_THRESHOLD), on every start.
        self.extra_env = dict(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.endpoint: str = ""
        self.starts = 0
        self.stderr_path = logdir / "server-stderr.log"
        self.stdout_lines: list[str] = []
        self.exit_codes: list[int] = []
        self.outbox = Outbox(self)
        # Where `serve` listens: a free port unless a test needs the same address across restarts.
        self.listen = "127.0.0.1:0"

    # ---- lifecycle -------------------------------------------------------
    def start(self) -> None:
        if not BIN.exists():
            pytest.fail(f"server binary not found at {BIN} (build it or set S3COGNITO_BIN)")
        env = dict(os.environ)
        env["S3COGNITO_LOG"] = "info"
        env.update(self.extra_env)
        self.starts += 1
        err = open(self.stderr_path, "ab")
        err.write(f"\n===== start #{self.starts} =====\n".encode())
        err.flush()
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--listen", self.listen, "--data", str(self.data)],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        err.close()
        lines: queue.Queue = queue.Queue()
        proc = self.proc

        def pump():
            # Keep draining stdout for the life of the process so it never blocks on a full pipe.
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stdout_lines.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._kill()
                pytest.fail(f"no listening line within {START_TIMEOUT}s\n{self.stderr_tail()}")
            if line is None:
                rc = proc.wait()
                pytest.fail(f"server exited with {rc} before listening\n{self.stderr_tail()}")
            m = LISTENING.search(line)
            if m:
                self.endpoint = m.group(1).rstrip("/")
                break
        self.load_bootstrap()

    def load_bootstrap(self) -> None:
        with open(self.data / "aws-exports.json") as f:
            self.exports = json.load(f)
        creds = configparser.ConfigParser()
        creds.read(self.data / "credentials")
        assert "s3cognito" in creds, "credentials file has no [s3cognito] profile"
        self.access_key = creds["s3cognito"]["aws_access_key_id"]
        self.secret_key = creds["s3cognito"]["aws_secret_access_key"]

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        proc = self.proc
        if proc is None:
            return 0
        self.proc = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self.exit_codes.append(-9)
                raise AssertionError(
                    f"server did not exit within {STOP_TIMEOUT}s of SIGTERM\n{self.stderr_tail()}"
                )
        rc = proc.returncode
        self.exit_codes.append(rc)
        return rc

    def restart(self) -> None:
        rc = self.stop()
        assert rc == 0, f"server exited with {rc} on SIGTERM\n{self.stderr_tail()}"
        self.start()

    def sigkill(self) -> int:
        """Crash the server: SIGKILL (no shutdown code runs) and reap it. Returns the killed pid.
        The kill is deliberate, so it is not recorded in `exit_codes`; `start()` brings it back."""
        proc = self.proc
        assert proc is not None and proc.poll() is None, "server is not running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.proc = None
        return proc.pid

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stderr_tail(self, limit: int = 20000) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no stderr)"
        return "----- server stderr -----\n" + text[-limit:]

    # ---- what a user has -------------------------------------------------
    @property
    def pool_id(self) -> str:
        return self.exports["aws_user_pools_id"]

    @property
    def client_id(self) -> str:
        return self.exports["aws_user_pools_web_client_id"]

    @property
    def cli_env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_SHARED_CREDENTIALS_FILE=str(self.data / "credentials"),
            AWS_PROFILE="s3cognito",
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE="/dev/null",
        )
        # The `aws` console script lives next to the interpreter running the tests (the venv).
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        return env

    def _config(self, signed: bool) -> Config:
        kw = dict(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60)
        if not signed:
            kw["signature_version"] = UNSIGNED
        return Config(**kw)

    def client(self, service: str = "cognito-idp", signed: bool = True, access_key=None, secret_key=None):
        kw = dict(endpoint_url=self.endpoint, region_name=REGION, config=self._config(signed))
        if signed:
            kw["aws_access_key_id"] = access_key or self.access_key
            kw["aws_secret_access_key"] = secret_key or self.secret_key
        else:
            # Unsigned still needs *some* credentials resolved; keep them out of the environment.
            kw["aws_access_key_id"] = "unused"
            kw["aws_secret_access_key"] = "unused"
        return boto3.session.Session().client(service, **kw)

    def temporary_client(self, service: str, creds: dict):
        """boto3 client signed with temporary credentials, as GetCredentialsForIdentity (`SecretKey`)
        or STS (`SecretAccessKey`) hands them out; S3 path-style."""
        extra = {"s3": {"addressing_style": "path"}} if service == "s3" else {}
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds.get("SecretKey") or creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=60, **extra),
        )

    # ---- S3 ----------------------------------------------------------------
    @property
    def bucket(self) -> str:
        """The bootstrap bucket (aws-exports.json `aws_user_files_s3_bucket`)."""
        return self.exports["aws_user_files_s3_bucket"]

    def s3(self, signed: bool = True, signature_version: str | None = None, access_key=None, secret_key=None):
        """boto3 S3 client, path-style at the endpoint, signed with the root credentials unless told
        otherwise. `signature_version="s3v4"` makes it presign with SigV4 (boto3 presigns with SigV2 in
        us-east-1 by default)."""
        kw = dict(
            retries={"total_max_attempts": 1},
            connect_timeout=10,
            read_timeout=120,
            s3={"addressing_style": "path"},
        )
        if not signed:
            kw["signature_version"] = UNSIGNED
        elif signature_version:
            kw["signature_version"] = signature_version
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(**kw),
        )

    def admin(self):
        """cognito-idp client signed with the root credentials from DATA/credentials."""
        return self.client(signed=True)

    def public(self):
        """cognito-idp client that does not sign (the public user-pool calls)."""
        return self.client(signed=False)

    def aws(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run the AWS CLI (v1, from the venv) against this server."""
        aws = shutil.which("aws", path=self.cli_env["PATH"])
        assert aws, "aws CLI not installed in the test venv"
        cmd = [sys.executable, aws, "--endpoint-url", self.endpoint, *args]
        cp = subprocess.run(cmd, env=self.cli_env, capture_output=True, text=True, timeout=120)
        if check and cp.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({cp.returncode}):\n{cp.stderr}")
        return cp

    def aws_json(self, *args: str) -> dict:
        out = self.aws(*args).stdout
        return json.loads(out) if out.strip() else {}

    def sh(self, script: str, extra_env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run a shell snippet (commands as an operator writes them) with the CLI environment."""
        env = self.cli_env
        env["ENDPOINT"] = self.endpoint
        env.update(extra_env or {})
        cp = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
        if check and cp.returncode != 0:
            raise AssertionError(f"shell failed ({cp.returncode}):\n{script}\n{cp.stderr}")
        return cp

    def http(self, method: str, path_or_url: str, body: bytes | None = None, headers: dict | None = None):
        """Plain HTTP; returns (status, headers, body bytes) for any status."""
        url = path_or_url if path_or_url.startswith("http") else self.endpoint + path_or_url
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def jwks(self) -> dict:
        status, _, body = self.http("GET", f"/{self.pool_id}/.well-known/jwks.json")
        assert status == 200, f"JWKS: HTTP {status} {body[:300]!r}"
        return json.loads(body)

    def outbox_code(self, who: str, exclude: set[Path] | None = None) -> str:
        return self.outbox.code(who, exclude)

    # ---- common flows ----------------------------------------------------
    def signed_up_user(self, password: str = "Passw0rd!Interop", confirm: bool = True) -> tuple[str, str, str]:
        """Sign a user up through the public API (and confirm with the mailed code)."""
        username = unique()
        mail = f"{username}@example.com"
        self.public().sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": mail}],
        )
        if confirm:
            code = self.outbox_code(mail)
            self.public().confirm_sign_up(ClientId=self.client_id, Username=username, ConfirmationCode=code)
        return username, mail, password

    def password_auth(self, username: str, password: str, client_id: str | None = None, **extra) -> dict:
        params = {"USERNAME": username, "PASSWORD": password, **extra}
        resp = self.public().initiate_auth(
            ClientId=client_id or self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
        return resp

    # ---- SRP (pycognito) -------------------------------------------------
    def admin_user(
        self,
        password: str | None = "Passw0rd!Interop",
        username: str | None = None,
        email: str | None = None,
        temporary: str | None = None,
        pool_id: str | None = None,
    ) -> tuple[str, str | None]:
        """A user made the way an operator does: AdminCreateUser (mail suppressed), then, when
        `password` is given, AdminSetUserPassword Permanent=True (CONFIRMED). With `password=None`
        the user stays FORCE_CHANGE_PASSWORD with the `temporary` password."""
        username = username or unique()
        attrs = []
        if email:
            attrs = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        kw = dict(UserPoolId=pool_id or self.pool_id, Username=username, UserAttributes=attrs, MessageAction="SUPPRESS")
        if temporary:
            kw["TemporaryPassword"] = temporary
        self.admin().admin_create_user(**kw)
        if password is not None:
            self.admin().admin_set_user_password(
                UserPoolId=pool_id or self.pool_id, Username=username, Password=password, Permanent=True
            )
        return username, password

    def pycognito(self, username: str, pool_id: str | None = None, client_id: str | None = None, **kw):
        """pycognito's `Cognito` pointed at this server the way its README says (boto3 client kwargs).

        Our tokens carry the AWS-shaped issuer, while pycognito expects `<endpoint_url>/<pool>`
        once it is given an endpoint: forget the endpoint for verification and hand it our JWKS."""
        from pycognito import Cognito

        u = Cognito(
            pool_id or self.pool_id,
            client_id or self.client_id,
            username=username,
            boto3_client_kwargs={
                "endpoint_url": self.endpoint,
                "aws_access_key_id": "unused",
                "aws_secret_access_key": "unused",
            },
            botocore_config=self._config(signed=True),
            **kw,
        )
        u.pool_domain_url = None
        u.pool_jwk = self.jwks() if pool_id is None else self.jwks_of(pool_id)
        return u

    def jwks_of(self, pool_id: str) -> dict:
        status, _, body = self.http("GET", f"/{pool_id}/.well-known/jwks.json")
        assert status == 200, f"JWKS: HTTP {status} {body[:300]!r}"
        return json.loads(body)

    def srp(
        self, username: str, password: str, pool_id: str | None = None, client_id: str | None = None, client=None, **kw
    ):
        """pycognito's AWSSRP on an unsigned client of this server (`client`: reuse one, it is slow to make)."""
        from pycognito.aws_srp import AWSSRP

        return AWSSRP(
            username=username,
            password=password,
            pool_id=pool_id or self.pool_id,
            client_id=client_id or self.client_id,
            client=client or self.public(),
            **kw,
        )


def _finish(server: Server) -> None:
    rc = server.stop()
    _SERVERS.remove(server)
    bad = [c for c in server.exit_codes if c != 0]
    if rc != 0 or bad:
        pytest.fail(f"server exit codes {server.exit_codes} (expected 0 on SIGTERM)\n{server.stderr_tail()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    logs = tmp_path_factory.mktemp("logs")
    srv = Server(data, logs)
    _SERVERS.append(srv)
    srv.start()
    try:
        yield srv
    finally:
        _finish(srv)


@pytest.fixture(scope="module")
def s3(server):
    """boto3 S3 client (path-style, root credentials) on the module's server."""
    return server.s3()


@pytest.fixture(scope="module")
def iam(server):
    """IAM, root-signed."""
    return server.client("iam")


@pytest.fixture
def fresh_server(tmp_path):
    """A server of the test's own (for tests that restart it)."""
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(data, tmp_path)
    _SERVERS.append(srv)
    srv.start()
    try:
        yield srv
    finally:
        _finish(srv)


@pytest.fixture(scope="module")
def server_factory(tmp_path_factory):
    """Start servers of the module's own with extra `serve` environment: `server_factory(VAR=value)`."""
    started: list[Server] = []

    def make(**extra_env) -> Server:
        data = tmp_path_factory.mktemp("data")
        logs = tmp_path_factory.mktemp("logs")
        srv = Server(data, logs, extra_env={k: str(v) for k, v in extra_env.items()})
        _SERVERS.append(srv)
        started.append(srv)
        srv.start()
        return srv

    try:
        yield make
    finally:
        for srv in started:
            _finish(srv)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in list(_SERVERS):
            report.sections.append((f"s3cognito stderr ({srv.data})", srv.stderr_tail()))
