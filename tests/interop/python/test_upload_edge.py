"""The JWT upload edge (`s3cognito_upload_endpoint`, `/_s3cognito/upload/<name>`) driven by the commands
of the "upload through CloudFront with a Cognito JWT" walkthrough, verbatim but for the URL: the AWS CLI
makes the user and signs in (ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED), curl PUTs `image.jpg` first
with an invalid token and then with the access token, and `aws s3 ls` shows what the bucket holds.

Where the walkthrough has `https://${CFURL}` (a CloudFront host), we have `${CFURL}` = the full
`s3cognito_upload_endpoint`; `aws` gets `--endpoint-url`; placeholders (`<session-token-…>`,
`<your-access-token>`) are replaced by the values, as the reader pastes them. Each command is split as a
shell splits it (shlex, after `$VAR` expansion) and run without a shell; curl gets reporting options
appended (`--silent --show-error --output --dump-header --write-out`), nothing that changes the request.

The file lands at `private/<identityId>/image.jpg` (the bootstrap identity pool's identity of the user),
not at the bucket root as on AWS, so the listing is `aws s3 ls s3://$S3BUCKET --recursive`.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import jwt_claims, md5_etag, unique

CURL = shutil.which("curl") or "/usr/bin/curl"

# The walkthrough's commands, as written there.
CREATE = """aws cognito-idp admin-create-user \\
    --user-pool-id $USERPOOL \\
    --username demo \\
    --user-attributes Name=email,Value=demo@example.com Name=email_verified,Value=True \\
    --temporary-password 'MySecretPassword123!' \\
    --region us-east-1
"""

INITIATE = """aws cognito-idp admin-initiate-auth \\
--user-pool-id $USERPOOL \\
--client-id $APPCLIENT \\
--auth-flow ADMIN_NO_SRP_AUTH \\
--auth-parameters USERNAME=demo,'PASSWORD=MySecretPassword123!' \\
--region us-east-1
"""

RESPOND = """aws cognito-idp admin-respond-to-auth-challenge \\
--user-pool-id $USERPOOL \\
--client-id $APPCLIENT \\
--challenge-name NEW_PASSWORD_REQUIRED \\
--challenge-responses NEW_PASSWORD='MySecretPassword123!',USERNAME=demo \\
--region us-east-1 \\
--session '<session-token-from-previous-command-output>'
"""

PUT_INVALID = """curl --location --request PUT "${CFURL}/image.jpg" \\
--header 'authorization: my-invalid-token' \\
--header 'Content-Type: image/jpeg' \\
--data-binary '@./image.jpg'
"""

PUT_VALID = """curl --location --request PUT "${CFURL}/image.jpg" \\
--header 'authorization: <your-access-token>' \\
--header 'Content-Type: image/jpeg' \\
--data-binary '@./image.jpg'
"""

LS = "aws s3 ls $S3BUCKET"
LS_RECURSIVE = "aws s3 ls s3://$S3BUCKET --recursive"

GET_ID = """aws cognito-identity get-id \\
--identity-pool-id $IDPOOL \\
--logins cognito-idp.us-east-1.amazonaws.com/$USERPOOL=$IDTOKEN
"""


def jpeg_bytes(tag: str, size: int = 3000) -> bytes:
    """Bytes that start and end like a JPEG (SOI/APP0 … EOI), unique to `tag`."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    filler = (tag.encode() + b"|") * (size // (len(tag) + 1) + 1)
    return head + filler[: size - len(head) - 2] + b"\xff\xd9"


class Walkthrough:
    """Runs the walkthrough's commands against a server, in a working directory with `image.jpg`."""

    def __init__(self, server, workdir: Path):
        self.server = server
        self.workdir = workdir
        self.vars = {
            "USERPOOL": server.pool_id,
            "APPCLIENT": server.client_id,
            "S3BUCKET": server.bucket,
            "CFURL": server.exports["s3cognito_upload_endpoint"],
            "IDPOOL": server.exports["aws_cognito_identity_pool_id"],
        }

    def argv(self, command: str, pasted: dict | None = None, **extra) -> list[str]:
        """The command as the shell would split it: `$VAR`/`${VAR}` expanded, then `<placeholder>`s
        replaced by what the reader pastes there, then quotes and backslash-newlines resolved."""
        text = string.Template(command).substitute({**self.vars, **extra})
        for placeholder, value in (pasted or {}).items():
            assert placeholder in text, f"{placeholder} not in {command!r}"
            text = text.replace(placeholder, value)
        return shlex.split(text.replace("\\\n", " "))

    def aws(self, command: str, pasted: dict | None = None, check: bool = True, **extra) -> subprocess.CompletedProcess:
        argv = self.argv(command, pasted, **extra)
        assert argv[0] == "aws", argv
        exe = shutil.which("aws", path=self.server.cli_env["PATH"])
        assert exe, "aws CLI not installed in the test venv"
        cmd = [sys.executable, exe, "--endpoint-url", self.server.endpoint, *argv[1:]]
        cp = subprocess.run(cmd, env=self.server.cli_env, cwd=self.workdir, capture_output=True, text=True, timeout=120)
        if check:
            assert cp.returncode == 0, f"{' '.join(argv[:3])} failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}"
        return cp

    def aws_json(self, command: str, pasted: dict | None = None, **extra) -> dict:
        out = self.aws(command, pasted, **extra).stdout
        return json.loads(out) if out.strip() else {}

    def curl(self, command: str, pasted: dict | None = None, **extra) -> "Answer":
        argv = self.argv(command, pasted, **extra)
        assert argv[0] == "curl", argv
        return run_curl(self.workdir, argv[1:])

    def listing(self) -> dict[str, int]:
        """`aws s3 ls s3://$S3BUCKET --recursive` as {key: size}."""
        out = self.aws(LS_RECURSIVE).stdout
        found = {}
        for line in out.splitlines():
            parts = line.split(None, 3)  # date, time, size, key
            if len(parts) == 4:
                found[parts[3]] = int(parts[2])
        return found


class Answer:
    def __init__(self, status: int, headers: dict, body: bytes, stderr: str, rc: int):
        self.status = status
        self.headers = headers
        self.body = body
        self.stderr = stderr
        self.rc = rc

    def __repr__(self) -> str:
        return f"HTTP {self.status} (curl rc {self.rc}) {self.headers} {self.body[:300]!r} {self.stderr[-300:]}"


def run_curl(workdir: Path, args: list[str]) -> Answer:
    """curl with `args`, plus options that only report: the status, the last response's headers
    (lower-case names) and body."""
    assert os.path.exists(CURL), f"curl not found (looked for {CURL})"
    tag = uuid.uuid4().hex[:8]
    body_path = workdir / f".curl-{tag}.body"
    head_path = workdir / f".curl-{tag}.head"
    cmd = [
        CURL, *args,
        "--silent", "--show-error", "--max-time", "60",
        "--output", str(body_path), "--dump-header", str(head_path), "--write-out", "%{http_code}",
    ]
    cp = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=120)
    code = cp.stdout.strip()[-3:]
    assert code.isdigit() and code != "000", f"curl got no answer (rc {cp.returncode}): {cp.stderr}"
    headers: dict[str, str] = {}
    if head_path.exists():
        # With --location there may be several header blocks; keep the last.
        blocks = [b for b in head_path.read_text(errors="replace").replace("\r\n", "\n").split("\n\n") if b.strip()]
        for line in (blocks[-1].splitlines()[1:] if blocks else []):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        head_path.unlink()
    body = body_path.read_bytes() if body_path.exists() else b""
    if body_path.exists():
        body_path.unlink()
    return Answer(int(code), headers, body, cp.stderr, cp.returncode)


def put(walk: Walkthrough, name: str, token: str | None, data: bytes, content_type: str = "image/jpeg") -> Answer:
    """A PUT of `data` as `name` on the edge, the walkthrough's way (curl --data-binary @file)."""
    local = walk.workdir / f"upload-{uuid.uuid4().hex[:8]}.bin"
    local.write_bytes(data)
    args = ["--location", "--request", "PUT", f"{walk.vars['CFURL']}/{name}",
            "--header", f"Content-Type: {content_type}", "--data-binary", f"@./{local.name}"]
    if token is not None:
        args[4:4] = ["--header", f"authorization: {token}"]
    try:
        return run_curl(walk.workdir, args)
    finally:
        local.unlink()


def get(walk: Walkthrough, name: str, token: str | None, *extra: str) -> Answer:
    args = [*extra, f"{walk.vars['CFURL']}/{name}"]
    if token is not None:
        args += ["--header", f"authorization: {token}"]
    return run_curl(walk.workdir, args)


def refused(answer: Answer, what: str, statuses=(401, 403)) -> None:
    assert answer.status in statuses, f"{what}: {answer!r}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip_signature(token: str) -> str:
    """`token` with one character in the middle of its signature changed (not the last one, whose low
    bits are padding a lax decoder may ignore)."""
    header, payload, signature = token.split(".")
    i = len(signature) // 2
    flipped = "A" if signature[i] != "A" else "B"
    return f"{header}.{payload}.{signature[:i]}{flipped}{signature[i + 1:]}"


def expired_looking(token: str) -> str:
    """`token` with `exp` (and `iat`) moved an hour into the past, keeping the original signature."""
    header, _, signature = token.split(".")
    claims = jwt_claims(token)
    claims["iat"] = int(time.time()) - 7200
    claims["exp"] = int(time.time()) - 3600
    return f"{header}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"


def alg_none(token: str) -> str:
    """`token`'s claims under `{"alg":"none"}` and no signature."""
    _, payload, _ = token.split(".")
    return f"{b64url(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}."


def cli_user(walk: Walkthrough, server) -> dict:
    """Another user, made and signed in with the CLI the way the walkthrough does it (own username)."""
    name = unique("edge")
    temp, final = "Temp0rary!Pass", "Fin4l!Password"
    walk.aws_json(
        CREATE.replace("--username demo", f"--username {name}")
        .replace("Value=demo@example.com", f"Value={name}@example.com")
        .replace("'MySecretPassword123!'", f"'{temp}'")
    )
    challenge = walk.aws_json(
        INITIATE.replace("USERNAME=demo", f"USERNAME={name}").replace("'PASSWORD=MySecretPassword123!'", f"'PASSWORD={temp}'")
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    done = walk.aws_json(
        RESPOND.replace("NEW_PASSWORD='MySecretPassword123!',USERNAME=demo", f"NEW_PASSWORD='{final}',USERNAME={name}"),
        {"<session-token-from-previous-command-output>": challenge["Session"]},
    )
    tokens = done["AuthenticationResult"]
    return {"username": name, "access": tokens["AccessToken"], "id": tokens["IdToken"]}


def identity_of(walk: Walkthrough, id_token: str) -> str:
    """`aws cognito-identity get-id` with the user's ID token: the identity the edge files under."""
    got = walk.aws_json(GET_ID, IDTOKEN=id_token)
    identity = got["IdentityId"]
    assert identity.startswith("us-east-1:"), got
    return identity


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk(server, tmp_path_factory) -> Walkthrough:
    workdir = tmp_path_factory.mktemp("walkthrough")
    (workdir / "image.jpg").write_bytes(jpeg_bytes("the walkthrough's image.jpg"))
    assert server.exports["s3cognito_upload_endpoint"] == f"{server.endpoint}/_s3cognito/upload", server.exports
    return Walkthrough(server, workdir)


@pytest.fixture(scope="module")
def demo(walk) -> dict:
    """The walkthrough's user `demo`: admin-create-user, ADMIN_NO_SRP_AUTH, NEW_PASSWORD_REQUIRED."""
    created = walk.aws_json(CREATE)
    assert created["User"]["Username"] == "demo"
    assert created["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    challenge = walk.aws_json(INITIATE)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED", challenge
    answer = walk.aws_json(RESPOND, {"<session-token-from-previous-command-output>": challenge["Session"]})
    tokens = answer["AuthenticationResult"]
    access = tokens["AccessToken"]
    assert jwt_claims(access)["token_use"] == "access"
    assert jwt_claims(access)["username"] == "demo"
    assert jwt_claims(tokens["IdToken"])["token_use"] == "id"
    return {"username": "demo", "access": access, "id": tokens["IdToken"]}


# ---- the walkthrough -----------------------------------------------------------------------------


def test_walkthrough_invalid_token_refused_then_access_token_stores_the_image(walk, demo):
    image = (walk.workdir / "image.jpg").read_bytes()

    # An invalid JWT: refused, and the bucket has no image.jpg.
    bad = walk.curl(PUT_INVALID)
    refused(bad, "PUT with 'authorization: my-invalid-token'")
    assert not [k for k in walk.listing() if k.endswith("image.jpg")], walk.listing()

    # The access token: stored.
    good = walk.curl(PUT_VALID, {"<your-access-token>": demo["access"]})
    assert good.status == 200, f"PUT with the access token: {good!r}"
    assert good.headers.get("etag") == md5_etag(image), good.headers

    # Where it is: private/<the user's identity>/image.jpg, the identity GetId gives for the ID token.
    identity = identity_of(walk, demo["id"])
    key = f"private/{identity}/image.jpg"
    listing = walk.listing()
    assert listing.get(key) == len(image), listing
    assert [k for k in listing if k.endswith("image.jpg")] == [key], listing
    # The walkthrough's own listing (bucket name without s3://, not recursive) shows the prefix.
    top = walk.aws(LS).stdout
    assert "PRE private/" in top, top

    # The object is the file, as uploaded.
    obj = walk.server.s3().get_object(Bucket=walk.server.bucket, Key=key)
    assert obj["Body"].read() == image
    assert obj["ContentType"] == "image/jpeg"
    assert obj["ETag"] == md5_etag(image)


# ---- more cases ------------------------------------------------------------------------------------


def own_keys(walk: Walkthrough, identity: str) -> dict[str, int]:
    return {k: v for k, v in walk.listing().items() if k.startswith(f"private/{identity}/")}


def test_bearer_prefix_is_accepted(walk, demo):
    data = jpeg_bytes("bearer")
    answer = put(walk, "bearer.jpg", f"Bearer {demo['access']}", data)
    assert answer.status == 200, answer
    identity = identity_of(walk, demo["id"])
    assert own_keys(walk, identity).get(f"private/{identity}/bearer.jpg") == len(data)


def test_id_token_is_refused_and_nothing_stored(walk, demo):
    answer = put(walk, "with-id-token.jpg", demo["id"], jpeg_bytes("id token"))
    assert answer.status == 401, answer
    refused(put(walk, "with-id-token.jpg", f"Bearer {demo['id']}", jpeg_bytes("id token")), "Bearer <ID token>", (401,))
    assert not [k for k in walk.listing() if k.endswith("with-id-token.jpg")], walk.listing()
    # Nor does it read.
    assert put(walk, "readable.jpg", demo["access"], jpeg_bytes("readable")).status == 200
    assert get(walk, "readable.jpg", demo["id"]).status == 401


def test_tampered_and_forged_tokens_are_refused_and_nothing_stored(walk, demo):
    access = demo["access"]
    header, payload, _ = access.split(".")
    id_payload = demo["id"].split(".")[1]
    cases = {
        "a flipped signature character": flip_signature(access),
        "an expired-looking exp with the original signature": expired_looking(access),
        "alg none, no signature": alg_none(access),
        "no signature": f"{header}.{payload}.",
        "the ID token's claims under the access token's signature": f"{header}.{id_payload}.{access.split('.')[2]}",
        "an empty header value": "",
        "Bearer and nothing": "Bearer ",
    }
    for i, (what, token) in enumerate(cases.items()):
        name = f"forged-{i}.jpg"
        refused(put(walk, name, token, jpeg_bytes(what)), what)
    refused(put(walk, "forged-none.jpg", None, jpeg_bytes("no header")), "no authorization header")
    stored = [k for k in walk.listing() if "/forged-" in k]
    assert stored == [], stored
    # The real token still works (the refusals were about the tokens).
    assert put(walk, "after-forgeries.jpg", access, jpeg_bytes("real")).status == 200


def test_get_with_the_access_token_returns_the_bytes(walk, demo):
    data = jpeg_bytes("photo to read back", 5000)
    stored = put(walk, "photo.jpg", demo["access"], data)
    assert stored.status == 200, stored
    answer = get(walk, "photo.jpg", demo["access"])
    assert answer.status == 200, answer
    assert answer.body == data
    assert answer.headers.get("etag") == md5_etag(data) == stored.headers.get("etag"), answer.headers
    assert answer.headers.get("content-type") == "image/jpeg", answer.headers
    # Overwritten: the new bytes.
    newer = jpeg_bytes("photo, second version", 4000)
    assert put(walk, "photo.jpg", demo["access"], newer).status == 200
    assert get(walk, "photo.jpg", demo["access"]).body == newer
    # Without a token, or with a bad one: refused, and no bytes.
    for token, what in ((None, "no token"), ("my-invalid-token", "an invalid token"), (flip_signature(demo["access"]), "a tampered token")):
        answer = get(walk, "photo.jpg", token)
        refused(answer, f"GET with {what}")
        assert newer not in answer.body
    # A name the user has no file under: 404.
    assert get(walk, f"missing-{uuid.uuid4().hex[:6]}.jpg", demo["access"]).status == 404


def test_a_second_user_cannot_get_the_first_users_file_by_name(walk, server, demo):
    first = jpeg_bytes("first user's secret", 4000)
    assert put(walk, "secret.jpg", demo["access"], first).status == 200
    other = cli_user(walk, server)

    # The same name is the other user's own (missing) file.
    answer = get(walk, "secret.jpg", other["access"])
    assert answer.status == 404, answer
    assert first not in answer.body

    # Their PUT of that name goes to their own namespace and leaves the first user's file alone.
    theirs = jpeg_bytes("second user's own", 3500)
    assert put(walk, "secret.jpg", other["access"], theirs).status == 200
    assert get(walk, "secret.jpg", other["access"]).body == theirs
    assert get(walk, "secret.jpg", demo["access"]).body == first

    mine, yours = identity_of(walk, demo["id"]), identity_of(walk, other["id"])
    assert mine != yours
    listing = walk.listing()
    assert listing.get(f"private/{mine}/secret.jpg") == len(first), listing
    assert listing.get(f"private/{yours}/secret.jpg") == len(theirs), listing
    # A name that tries to climb out of the namespace is not the first user's file (sent as written).
    for name in (f"../{mine}/secret.jpg", f"..%2F{mine}%2Fsecret.jpg", f"%2E%2E/{mine}/secret.jpg"):
        answer = get(walk, name, other["access"], "--path-as-is")
        assert answer.status in (400, 403, 404), f"GET {name}: {answer!r}"
        assert first not in answer.body
