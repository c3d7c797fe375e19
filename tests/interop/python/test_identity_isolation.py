"""Identity pools end to end: a user pool sign-in traded for temporary AWS credentials
(cognito-identity GetId + GetCredentialsForIdentity, as Amplify does) and what those credentials may
do in S3.

The bootstrap identity pool's authenticated role (`s3cognito-authenticated`) grants Amplify Storage's
access levels on the bootstrap bucket, keyed by the caller's identity id:

* read/write/delete (+ multipart, GetObjectAttributes) on `public/*`, `protected/<own id>/*`,
  `private/<own id>/*`;
* read on `protected/*`;
* ListBucket only with a prefix under `public/`, `protected/`, `private/<own id>/`.

Everything else is `AccessDenied`. Credentials end with the user (disable / delete)."""

from __future__ import annotations

import datetime
import http.client
import os
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, error_code, s3_error, unique

UNKNOWN_POOL = "us-east-1:00000000-0000-4000-8000-000000000000"


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


@dataclass
class User:
    username: str
    password: str
    identity_id: str
    id_token: str
    credentials: dict  # AccessKeyId, SecretKey, SessionToken, Expiration
    s3: object  # boto3 S3 client with the temporary credentials (SigV4, path-style)


def provider_name(server) -> str:
    return f"cognito-idp.{REGION}.amazonaws.com/{server.pool_id}"


def identity_pool_id(server) -> str:
    return server.exports["aws_cognito_identity_pool_id"]


def identity_client(server):
    """cognito-identity client that does not sign (GetId / GetCredentialsForIdentity are public)."""
    return server.client("cognito-identity", signed=False)


def temp_s3(server, access_key: str, secret_key: str, session_token: str | None):
    """A boto3 S3 client the way an app builds one from Cognito credentials: SigV4, path-style."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"total_max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
        ),
    )
    return client


def credentials_for(server, identity_id: str, id_token: str) -> dict:
    resp = identity_client(server).get_credentials_for_identity(
        IdentityId=identity_id, Logins={provider_name(server): id_token}
    )
    assert resp["IdentityId"] == identity_id
    return resp["Credentials"]


def new_user(server) -> User:
    """Sign up, sign in (USER_PASSWORD_AUTH), GetId, GetCredentialsForIdentity, and an S3 client."""
    username, _, password = server.signed_up_user()
    id_token = server.password_auth(username, password)["AuthenticationResult"]["IdToken"]
    identity_id = identity_client(server).get_id(
        IdentityPoolId=identity_pool_id(server), Logins={provider_name(server): id_token}
    )["IdentityId"]
    creds = credentials_for(server, identity_id, id_token)
    client = temp_s3(server, creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    return User(username, password, identity_id, id_token, creds, client)


def make_user(server) -> tuple[str, object, str]:
    """(identity id, S3 client with the user's temporary credentials, ID token)."""
    user = new_user(server)
    return user.identity_id, user.s3, user.id_token


def denied(call, *args, **kwargs) -> str:
    """Run an S3 call expected to fail; returns its error code (a success is an assertion error)."""
    try:
        call(*args, **kwargs)
    except ClientError as exc:
        return error_code(exc)
    raise AssertionError(f"{getattr(call, '__name__', call)}({kwargs}) succeeded; expected a refusal")


def replace_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def tweak(token: str, index: int | None = None) -> str:
    """The token with one character changed."""
    i = len(token) // 2 if index is None else index
    c = token[i]
    return token[:i] + ("A" if c != "A" else "B") + token[i + 1 :]


@pytest.fixture(scope="module")
def alice(server) -> User:
    return new_user(server)


@pytest.fixture(scope="module")
def bob(server) -> User:
    return new_user(server)


# ---------------------------------------------------------------------------------------------------
# GetId / GetCredentialsForIdentity
# ---------------------------------------------------------------------------------------------------


def test_bootstrap_identity_pool_is_exported(server):
    pool = identity_pool_id(server)
    assert pool.startswith(f"{REGION}:"), pool


def test_credentials_have_the_aws_shape(server):
    user = new_user(server)
    assert user.identity_id.startswith(f"{REGION}:"), user.identity_id
    creds = user.credentials
    assert creds["AccessKeyId"].startswith("ASIA"), creds["AccessKeyId"]
    assert creds["SecretKey"] and creds["SessionToken"]
    expiration = creds["Expiration"]
    assert isinstance(expiration, datetime.datetime), expiration
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now < expiration <= now + datetime.timedelta(hours=12, minutes=5), expiration


def test_get_id_is_stable_per_user_and_distinct_between_users(server):
    user = new_user(server)
    client = identity_client(server)
    pool, provider = identity_pool_id(server), provider_name(server)
    again = client.get_id(IdentityPoolId=pool, Logins={provider: user.id_token})["IdentityId"]
    assert again == user.identity_id
    # A new sign-in (a new ID token) of the same user maps to the same identity.
    fresh_token = server.password_auth(user.username, user.password)["AuthenticationResult"]["IdToken"]
    assert client.get_id(IdentityPoolId=pool, Logins={provider: fresh_token})["IdentityId"] == user.identity_id
    # ... and it gets credentials for it.
    creds = credentials_for(server, user.identity_id, fresh_token)
    assert creds["AccessKeyId"].startswith("ASIA")
    other = new_user(server)
    assert other.identity_id != user.identity_id


def test_get_id_refuses_bad_logins(server):
    client = identity_client(server)
    pool, provider = identity_pool_id(server), provider_name(server)
    failures = []
    cases = {
        "garbage token": dict(IdentityPoolId=pool, Logins={provider: "not-a-jwt"}),
        "garbage JWT": dict(IdentityPoolId=pool, Logins={provider: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}),
        "no Logins (no unauthenticated access)": dict(IdentityPoolId=pool),
        "empty Logins": dict(IdentityPoolId=pool, Logins={}),
    }
    for name, kw in cases.items():
        try:
            resp = client.get_id(**kw)
            failures.append(f"GetId {name}: succeeded with {resp.get('IdentityId')!r}, expected NotAuthorizedException")
        except ClientError as exc:
            if error_code(exc) != "NotAuthorizedException":
                failures.append(f"GetId {name}: {error_code(exc)} ({exc}), expected NotAuthorizedException")
    assert not failures, "\n".join(failures)


def test_get_id_with_another_pools_token_is_refused(server, alice):
    """An ID token of the right user pool under a provider name the identity pool does not have."""
    client = identity_client(server)
    other_provider = f"cognito-idp.{REGION}.amazonaws.com/{REGION}_NotAPool1"
    with pytest.raises(ClientError) as exc:
        client.get_id(IdentityPoolId=identity_pool_id(server), Logins={other_provider: alice.id_token})
    assert error_code(exc.value) == "NotAuthorizedException", exc.value


def test_get_id_unknown_identity_pool(server, alice):
    with pytest.raises(ClientError) as exc:
        identity_client(server).get_id(IdentityPoolId=UNKNOWN_POOL, Logins={provider_name(server): alice.id_token})
    assert error_code(exc.value) == "ResourceNotFoundException", exc.value


def test_get_credentials_refuses_bad_logins(server, alice, bob):
    client = identity_client(server)
    provider = provider_name(server)
    failures = []
    cases = {
        "garbage token": (dict(IdentityId=alice.identity_id, Logins={provider: "not-a-jwt"}), "NotAuthorizedException"),
        "no Logins for an authenticated identity": (dict(IdentityId=alice.identity_id), "NotAuthorizedException"),
        "empty Logins": (dict(IdentityId=alice.identity_id, Logins={}), "NotAuthorizedException"),
        "another user's ID token": (dict(IdentityId=alice.identity_id, Logins={provider: bob.id_token}), "NotAuthorizedException"),
        "unknown identity id": (
            dict(IdentityId=f"{REGION}:11111111-2222-4333-8444-555555555555", Logins={provider: alice.id_token}),
            "ResourceNotFoundException",
        ),
    }
    for name, (kw, expected) in cases.items():
        try:
            client.get_credentials_for_identity(**kw)
            failures.append(f"GetCredentialsForIdentity {name}: succeeded, expected {expected}")
        except ClientError as exc:
            if error_code(exc) != expected:
                failures.append(f"GetCredentialsForIdentity {name}: {error_code(exc)} ({exc}), expected {expected}")
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------------------
# Amplify's access levels, with boto3
# ---------------------------------------------------------------------------------------------------


def test_amplify_access_levels(server, s3):
    bucket = server.bucket
    me_id, me, _ = make_user(server)
    other_id, other, _ = make_user(server)
    assert me_id != other_id
    tag = unique("f")

    # Own private: put, get, list.
    own_key = f"private/{me_id}/{tag}/own.txt"
    me.put_object(Bucket=bucket, Key=own_key, Body=b"mine")
    assert me.get_object(Bucket=bucket, Key=own_key)["Body"].read() == b"mine"
    listed = me.list_objects_v2(Bucket=bucket, Prefix=f"private/{me_id}/")
    assert own_key in [o["Key"] for o in listed.get("Contents", [])]

    # Public: put, get, list.
    public_key = f"public/{tag}/hello.txt"
    me.put_object(Bucket=bucket, Key=public_key, Body=b"hello all")
    assert other.get_object(Bucket=bucket, Key=public_key)["Body"].read() == b"hello all"
    listed = me.list_objects_v2(Bucket=bucket, Prefix=f"public/{tag}/")
    assert [o["Key"] for o in listed.get("Contents", [])] == [public_key]

    # The other user's protected file: readable, not writable, not deletable.
    theirs_protected = f"protected/{other_id}/{tag}/shared.txt"
    other.put_object(Bucket=bucket, Key=theirs_protected, Body=b"look but do not touch")
    assert me.get_object(Bucket=bucket, Key=theirs_protected)["Body"].read() == b"look but do not touch"
    listed = me.list_objects_v2(Bucket=bucket, Prefix=f"protected/{other_id}/")
    assert theirs_protected in [o["Key"] for o in listed.get("Contents", [])]
    assert denied(me.put_object, Bucket=bucket, Key=theirs_protected, Body=b"overwritten") == "AccessDenied"
    assert denied(me.delete_object, Bucket=bucket, Key=theirs_protected) == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key=theirs_protected)["Body"].read() == b"look but do not touch"

    # The other user's private prefix: nothing.
    theirs_private = f"private/{other_id}/{tag}/secret.txt"
    other.put_object(Bucket=bucket, Key=theirs_private, Body=b"secret")
    assert denied(me.get_object, Bucket=bucket, Key=theirs_private) == "AccessDenied"
    assert denied(me.put_object, Bucket=bucket, Key=theirs_private, Body=b"x") == "AccessDenied"
    assert denied(me.put_object, Bucket=bucket, Key=f"private/{other_id}/{tag}/new.txt", Body=b"x") == "AccessDenied"
    assert denied(me.delete_object, Bucket=bucket, Key=theirs_private) == "AccessDenied"
    assert denied(me.list_objects_v2, Bucket=bucket, Prefix=f"private/{other_id}/") == "AccessDenied"
    assert denied(me.list_objects_v2, Bucket=bucket, Prefix="private/") == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key=theirs_private)["Body"].read() == b"secret"

    # The bucket root: no listing without a prefix, nothing outside the access levels.
    assert denied(me.list_objects_v2, Bucket=bucket) == "AccessDenied"
    assert denied(me.list_objects, Bucket=bucket) == "AccessDenied"
    assert denied(me.put_object, Bucket=bucket, Key=f"{tag}.txt", Body=b"x") == "AccessDenied"

    # Other buckets: nothing at all, not even their public/ prefix.
    second = unique("second-")
    s3.create_bucket(Bucket=second)
    s3.put_object(Bucket=second, Key="public/file.txt", Body=b"elsewhere")
    failures = []
    for name, call in {
        "ListObjectsV2 (no prefix)": lambda: me.list_objects_v2(Bucket=second),
        "ListObjectsV2 public/": lambda: me.list_objects_v2(Bucket=second, Prefix="public/"),
        f"ListObjectsV2 private/{me_id}/": lambda: me.list_objects_v2(Bucket=second, Prefix=f"private/{me_id}/"),
        "GetObject public/file.txt": lambda: me.get_object(Bucket=second, Key="public/file.txt"),
        "HeadObject public/file.txt": lambda: me.head_object(Bucket=second, Key="public/file.txt"),
        "PutObject public/new.txt": lambda: me.put_object(Bucket=second, Key="public/new.txt", Body=b"x"),
        f"PutObject private/{me_id}/x": lambda: me.put_object(Bucket=second, Key=f"private/{me_id}/x", Body=b"x"),
        "DeleteObject public/file.txt": lambda: me.delete_object(Bucket=second, Key="public/file.txt"),
        "ListBuckets": lambda: me.list_buckets(),
        "CreateBucket": lambda: me.create_bucket(Bucket=unique("mine-")),
    }.items():
        try:
            call()
            failures.append(f"{name} on {second}: allowed, expected AccessDenied")
        except ClientError as exc:
            # A refused HEAD has no body: boto3 can only report its status.
            expected = "403" if name.startswith("HeadObject") else "AccessDenied"
            if error_code(exc) != expected:
                failures.append(f"{name} on {second}: {error_code(exc)}, expected {expected}")
    assert not failures, "\n".join(failures)
    assert s3.get_object(Bucket=second, Key="public/file.txt")["Body"].read() == b"elsewhere"
    assert s3.list_objects_v2(Bucket=second)["KeyCount"] == 1

    # Presigned URLs made with the temporary credentials (SigV4, token in the query).
    presigner = me  # already SigV4 + path-style
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": own_key}, ExpiresIn=300)
    assert "X-Amz-Security-Token=" in url, url
    status, _, body = server.http("GET", url)
    assert status == 200, body[:500]
    assert body == b"mine"

    url = presigner.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": theirs_private}, ExpiresIn=300)
    status, headers, body = server.http("GET", url)
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"

    put_key = f"private/{me_id}/{tag}/presigned-put.bin"
    data = os.urandom(4096)
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": put_key}, ExpiresIn=300)
    status, _, body = server.http("PUT", url, body=data)
    assert status == 200, body[:500]
    assert s3.get_object(Bucket=bucket, Key=put_key)["Body"].read() == data

    url = presigner.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": f"private/{other_id}/{tag}/presigned-put.bin"}, ExpiresIn=300
    )
    status, headers, body = server.http("PUT", url, body=data)
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key=f"private/{other_id}/{tag}/presigned-put.bin")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_refusal_is_an_s3_access_denied_document(server, alice, bob):
    """A refusal is HTTP 403 with an S3 `<Error><Code>AccessDenied</Code>` body."""
    with pytest.raises(ClientError) as exc:
        alice.s3.get_object(Bucket=server.bucket, Key=f"private/{bob.identity_id}/nothing.txt")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_code(exc.value) == "AccessDenied"


# ---------------------------------------------------------------------------------------------------
# The isolation matrix: two users x operations x prefixes
# ---------------------------------------------------------------------------------------------------

# Prefix kinds, seen from the acting user ("me"); "other" is the second user.
PREFIXES = {
    "own_private": lambda me, other: f"private/{me}/",
    "other_private": lambda me, other: f"private/{other}/",
    "own_protected": lambda me, other: f"protected/{me}/",
    "other_protected": lambda me, other: f"protected/{other}/",
    "public": lambda me, other: "public/",
    "uploads": lambda me, other: "uploads/",
    "bucket_root": lambda me, other: "",
    "private_top": lambda me, other: "private/",  # a key directly under private/, no identity
    "protected_top": lambda me, other: "protected/",  # readable by protected/*, not writable
    "own_private_lookalike": lambda me, other: f"private/{me}x/",  # the own id plus a suffix
}

WRITE = {"own_private", "own_protected", "public"}
READ = WRITE | {"other_protected", "protected_top"}
LIST = READ  # ListBucket with s3:prefix under public/, protected/, private/<own id>/

# Operation -> the prefix kinds where it is allowed. Anything else must be AccessDenied.
EXPECTED = {
    "PutObject": WRITE,
    "GetObject": READ,
    "HeadObject": READ,
    "DeleteObject": WRITE,
    "ListObjectsV2": LIST,
    "CopyObject(dest)": WRITE,
    "CopyObject(source)": READ,
    "MultipartUpload(create+part+complete)": WRITE,
    "UploadPart(existing upload)": WRITE,
    "CompleteMultipartUpload(existing upload)": WRITE,
    "AbortMultipartUpload": WRITE,
    "ListParts": WRITE,
    "DeleteObjects": WRITE,
    "GetObjectAttributes": READ,
}


class Denied(Exception):
    pass


class Cell:
    """One (actor, operation, prefix kind) cell: its own seeded key, so cells do not interfere."""

    def __init__(self, server, root, actor: User, other: User, op: str, kind: str):
        self.bucket = server.bucket
        self.root = root
        self.client = actor.s3
        self.me = actor.identity_id
        self.op = op
        self.kind = kind
        self.prefix = PREFIXES[kind](actor.identity_id, other.identity_id)
        tag = unique("m")
        self.key = f"{self.prefix}{tag}.txt"
        self.seed = f"seed {tag}".encode()
        self.own_key = f"private/{self.me}/matrix/{tag}-own.txt"

    def call(self, fn, **kw):
        try:
            return fn(Bucket=self.bucket, **kw)
        except ClientError as exc:
            code = error_code(exc)
            # A refused HEAD has no body to name its code: boto3 reports the status ("403").
            if code == "AccessDenied" or (fn.__name__ == "head_object" and code == "403"):
                raise Denied from exc
            raise

    def seeded(self) -> bytes | None:
        try:
            return self.root.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise

    def upload_by_root(self, with_part: bool) -> tuple[str, str | None]:
        upload_id = self.root.create_multipart_upload(Bucket=self.bucket, Key=self.key)["UploadId"]
        etag = None
        if with_part:
            etag = self.root.upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=upload_id, PartNumber=1, Body=b"root part"
            )["ETag"]
        return upload_id, etag

    def root_uploads(self) -> set[str]:
        resp = self.root.list_multipart_uploads(Bucket=self.bucket, Prefix=self.key)
        return {u["UploadId"] for u in resp.get("Uploads", []) if u["Key"] == self.key}

    def run(self, problems: list[str]) -> None:
        """Performs the operation: returns when allowed, raises Denied on AccessDenied."""
        getattr(self, "op_" + "".join(ch if ch.isalnum() else "_" for ch in self.op))(problems)

    # Each op_* raises Denied when refused with AccessDenied, and records in `problems` any state
    # that does not match the outcome (a refused write that changed something, an allowed one that
    # did not).
    def check_unchanged(self, problems, what="object"):
        if self.seeded() != self.seed:
            problems.append(f"refused, yet the seeded {what} changed")

    def op_PutObject(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        try:
            self.call(self.client.put_object, Key=self.key, Body=b"overwritten")
        except Denied:
            self.check_unchanged(problems)
            raise
        if self.seeded() != b"overwritten":
            problems.append("allowed, yet the object was not overwritten")

    def op_GetObject(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        body = self.call(self.client.get_object, Key=self.key)["Body"].read()
        if body != self.seed:
            problems.append(f"allowed, body {body!r} != {self.seed!r}")

    def op_HeadObject(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        head = self.call(self.client.head_object, Key=self.key)
        if head["ContentLength"] != len(self.seed):
            problems.append(f"allowed, ContentLength {head['ContentLength']}")

    def op_DeleteObject(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        try:
            self.call(self.client.delete_object, Key=self.key)
        except Denied:
            self.check_unchanged(problems)
            raise
        if self.seeded() is not None:
            problems.append("allowed, yet the object still exists")

    def op_ListObjectsV2(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        kw = {"Prefix": self.prefix} if self.prefix else {}
        keys = []
        token = None
        while True:
            resp = self.call(self.client.list_objects_v2, **kw, **({"ContinuationToken": token} if token else {}))
            keys += [o["Key"] for o in resp.get("Contents", [])]
            if not resp.get("IsTruncated"):
                break
            token = resp["NextContinuationToken"]
        if self.key not in keys:
            problems.append(f"allowed, yet {self.key} is not listed")

    def op_CopyObject_dest_(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        self.root.put_object(Bucket=self.bucket, Key=self.own_key, Body=b"copied")
        try:
            self.call(self.client.copy_object, Key=self.key, CopySource={"Bucket": self.bucket, "Key": self.own_key})
        except Denied:
            self.check_unchanged(problems)
            raise
        if self.seeded() != b"copied":
            problems.append("allowed, yet the destination does not hold the copy")

    def op_CopyObject_source_(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        try:
            self.call(self.client.copy_object, Key=self.own_key, CopySource={"Bucket": self.bucket, "Key": self.key})
        except Denied:
            try:
                self.root.head_object(Bucket=self.bucket, Key=self.own_key)
                problems.append("refused, yet the copy was written")
            except ClientError:
                pass
            raise
        got = self.root.get_object(Bucket=self.bucket, Key=self.own_key)["Body"].read()
        if got != self.seed:
            problems.append(f"allowed, copy holds {got!r}")

    def op_MultipartUpload_create_part_complete_(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        try:
            upload_id = self.call(self.client.create_multipart_upload, Key=self.key)["UploadId"]
        except Denied:
            self.check_unchanged(problems)
            if self.root_uploads():
                problems.append("refused, yet an upload was started")
            raise
        etag = self.call(
            self.client.upload_part, Key=self.key, UploadId=upload_id, PartNumber=1, Body=b"multipart body"
        )["ETag"]
        self.call(
            self.client.complete_multipart_upload,
            Key=self.key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
        if self.seeded() != b"multipart body":
            problems.append("allowed, yet the object does not hold the uploaded part")

    def op_UploadPart_existing_upload_(self, problems):
        upload_id, _ = self.upload_by_root(with_part=False)
        try:
            self.call(self.client.upload_part, Key=self.key, UploadId=upload_id, PartNumber=1, Body=b"part")
        except Denied:
            parts = self.root.list_parts(Bucket=self.bucket, Key=self.key, UploadId=upload_id).get("Parts", [])
            if parts:
                problems.append(f"refused, yet parts were stored: {parts}")
            raise
        finally:
            self.root.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)

    def op_CompleteMultipartUpload_existing_upload_(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        upload_id, etag = self.upload_by_root(with_part=True)
        try:
            self.call(
                self.client.complete_multipart_upload,
                Key=self.key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
            )
        except Denied:
            self.check_unchanged(problems)
            if upload_id not in self.root_uploads():
                problems.append("refused, yet the upload is gone")
            self.root.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
            raise
        if self.seeded() != b"root part":
            problems.append("allowed, yet the object does not hold the uploaded part")

    def op_AbortMultipartUpload(self, problems):
        upload_id, _ = self.upload_by_root(with_part=True)
        try:
            self.call(self.client.abort_multipart_upload, Key=self.key, UploadId=upload_id)
        except Denied:
            if upload_id not in self.root_uploads():
                problems.append("refused, yet the upload was aborted")
            self.root.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
            raise
        if upload_id in self.root_uploads():
            problems.append("allowed, yet the upload is still listed")

    def op_ListParts(self, problems):
        upload_id, etag = self.upload_by_root(with_part=True)
        try:
            parts = self.call(self.client.list_parts, Key=self.key, UploadId=upload_id).get("Parts", [])
            if [p["ETag"] for p in parts] != [etag]:
                problems.append(f"allowed, parts {parts}")
        finally:
            self.root.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)

    def op_DeleteObjects(self, problems):
        """DeleteObjects answers 200; a refused key is in Errors with Code AccessDenied."""
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        resp = self.call(self.client.delete_objects, Delete={"Objects": [{"Key": self.key}]})
        deleted = [d["Key"] for d in resp.get("Deleted", [])]
        errors = {e["Key"]: e.get("Code") for e in resp.get("Errors", [])}
        if self.key in errors:
            if errors[self.key] != "AccessDenied":
                raise AssertionError(f"DeleteObjects error {errors[self.key]!r} for {self.key}")
            if deleted:
                problems.append(f"key both Deleted and in Errors: {resp}")
            self.check_unchanged(problems)
            raise Denied
        if deleted != [self.key]:
            problems.append(f"neither Deleted nor Errors name the key: {resp}")
        if self.seeded() is not None:
            problems.append("reported Deleted, yet the object still exists")

    def op_GetObjectAttributes(self, problems):
        self.root.put_object(Bucket=self.bucket, Key=self.key, Body=self.seed)
        resp = self.call(self.client.get_object_attributes, Key=self.key, ObjectAttributes=["ETag", "ObjectSize"])
        if resp.get("ObjectSize") != len(self.seed):
            problems.append(f"allowed, ObjectSize {resp.get('ObjectSize')}")


def test_isolation_matrix(server, s3):
    """Every (actor, operation, prefix kind) cell against the expected allow/deny; all mismatches
    are reported at once."""
    a, b = new_user(server), new_user(server)
    mismatches: list[str] = []
    cells = 0
    for actor_name, actor, other in (("A", a, b), ("B", b, a)):
        for op, allowed_kinds in EXPECTED.items():
            for kind in PREFIXES:
                cells += 1
                cell = Cell(server, s3, actor, other, op, kind)
                expected = "allow" if kind in allowed_kinds else "deny"
                problems: list[str] = []
                try:
                    cell.run(problems)
                    actual = "allow"
                except Denied:
                    actual = "deny"
                except ClientError as exc:
                    actual = f"error {error_code(exc)} (HTTP {exc.response['ResponseMetadata'].get('HTTPStatusCode')})"
                except AssertionError as exc:
                    actual = f"assertion {exc}"
                where = f"{actor_name} {op:42} {kind:22} key={cell.key!r}"
                if actual != expected:
                    mismatches.append(f"{where}: expected {expected}, got {actual}")
                for problem in problems:
                    mismatches.append(f"{where}: {problem}")
    assert cells == 2 * len(EXPECTED) * len(PREFIXES)
    assert not mismatches, f"{len(mismatches)} of {cells} cells wrong:\n" + "\n".join(mismatches)


def test_delete_objects_mixed_batch(server, s3, alice, bob):
    """One DeleteObjects over allowed and refused keys: allowed ones deleted, each refused one in
    Errors with Code AccessDenied, the call itself 200."""
    bucket, tag = server.bucket, unique("batch")
    allowed = [f"private/{alice.identity_id}/{tag}/a", f"public/{tag}/b", f"protected/{alice.identity_id}/{tag}/c"]
    refused = [f"private/{bob.identity_id}/{tag}/d", f"protected/{bob.identity_id}/{tag}/e", f"{tag}/f"]
    for key in allowed + refused:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    resp = alice.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in allowed + refused]})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sorted(d["Key"] for d in resp.get("Deleted", [])) == sorted(allowed), resp
    assert {e["Key"]: e["Code"] for e in resp.get("Errors", [])} == {k: "AccessDenied" for k in refused}, resp
    for key in refused:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x"
    for key in allowed:
        with pytest.raises(ClientError):
            s3.head_object(Bucket=bucket, Key=key)


# ---------------------------------------------------------------------------------------------------
# A refused upload and the kept-alive connection
# ---------------------------------------------------------------------------------------------------


def _signed(server, creds: dict, method: str, key: str, body: bytes, headers: dict) -> tuple[str, dict]:
    """(path, headers) of a SigV4-signed S3 request with temporary credentials."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{server.endpoint}/{server.bucket}/{quote(key, safe='/')}"
    request = AWSRequest(method, url, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]), "s3", REGION).add_auth(
        request
    )
    return urlsplit(url).path, dict(request.headers.items())


@pytest.mark.parametrize("body_sent", [False, True], ids=["expect-100-body-not-sent", "body-sent"])
def test_refused_upload_leaves_the_connection_usable(server, alice, bob, body_sent):
    """boto3 sends PutObject with `Expect: 100-continue`; on a final (403) answer it skips the body and
    puts the connection back in its pool. The server must then either say `Connection: close` on the
    403 (urllib3 then opens a new connection) or keep serving that connection; closing it silently
    makes the next boto3 call fail at random (ConnectionClosedError, or SignatureDoesNotMatch when
    the next request's first bytes are taken as the unsent body)."""
    own_key = f"private/{alice.identity_id}/conn-{unique('k')}.txt"
    alice.s3.put_object(Bucket=server.bucket, Key=own_key, Body=b"still served")
    body = b"refused body"
    headers = {"Content-Length": str(len(body))}
    if not body_sent:
        headers["Expect"] = "100-continue"
    path, signed = _signed(server, alice.credentials, "PUT", f"private/{bob.identity_id}/conn.txt", body, headers)
    parts = urlsplit(server.endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.putrequest("PUT", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", parts.netloc)
        for name, value in signed.items():
            if name.lower() != "host":
                conn.putheader(name, value)
        conn.endheaders(body if body_sent else None)
        first = conn.getresponse()
        first_body = first.read()
        assert first.status == 403, first_body
        if (first.getheader("Connection") or "").lower() == "close":
            return  # announced: a client opens a new connection
        # Not announced: the connection must still serve the next request, as boto3 sends it.
        path, signed = _signed(server, alice.credentials, "GET", own_key, b"", {})
        try:
            conn.request("GET", path, headers={k: v for k, v in signed.items() if k.lower() != "host"})
            second = conn.getresponse()
            second_body = second.read()
        except (http.client.HTTPException, OSError) as exc:
            raise AssertionError(
                f"403 to a PUT whose body was {'sent' if body_sent else 'not sent (Expect: 100-continue)'} had no "
                f"`Connection: close` (headers {dict(first.getheaders())}), yet the next request on the connection "
                f"failed: {exc!r}"
            ) from exc
        assert (second.status, second_body) == (200, b"still served"), (
            f"next request on the kept-alive connection: HTTP {second.status} {second_body[:300]!r}"
        )
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------
# Session tokens
# ---------------------------------------------------------------------------------------------------


def test_session_token_checks(server, alice, bob):
    bucket = server.bucket
    creds, key = alice.credentials, f"private/{alice.identity_id}/token-check.txt"
    alice.s3.put_object(Bucket=bucket, Key=key, Body=b"t")
    failures = []

    def expect(name, client, code):
        try:
            client.get_object(Bucket=bucket, Key=key)
            failures.append(f"{name}: GetObject {key} succeeded, expected {code}")
        except ClientError as exc:
            if error_code(exc) != code:
                failures.append(f"{name}: {error_code(exc)} ({exc}), expected {code}")
            elif exc.response["ResponseMetadata"]["HTTPStatusCode"] not in (400, 403):
                failures.append(f"{name}: HTTP {exc.response['ResponseMetadata']['HTTPStatusCode']}")

    ak, sk, token = creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]
    expect("temporary key without its token", temp_s3(server, ak, sk, None), "AccessDenied")
    expect("one character of the token changed (middle)", temp_s3(server, ak, sk, tweak(token)), "InvalidToken")
    expect("one character of the token changed (first)", temp_s3(server, ak, sk, tweak(token, 0)), "InvalidToken")
    expect("one character of the token changed (last)", temp_s3(server, ak, sk, tweak(token, len(token) - 1)), "InvalidToken")
    expect("token truncated", temp_s3(server, ak, sk, token[:-1]), "InvalidToken")
    expect("another user's token", temp_s3(server, ak, sk, bob.credentials["SessionToken"]), "InvalidToken")
    expect("root key with a session token", temp_s3(server, server.access_key, server.secret_key, token), "InvalidToken")
    # The genuine one still works.
    assert alice.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"t"
    assert not failures, "\n".join(failures)


def test_presigned_url_with_altered_token(server, alice):
    bucket, key = server.bucket, f"private/{alice.identity_id}/presigned-token.txt"
    alice.s3.put_object(Bucket=bucket, Key=key, Body=b"p")
    url = alice.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    token = dict(parse_qsl(urlsplit(url).query))["X-Amz-Security-Token"]
    assert server.http("GET", url)[0] == 200
    for name, bad in {
        "changed": replace_query(url, "X-Amz-Security-Token", tweak(token)),
        "foreign-ish": replace_query(url, "X-Amz-Security-Token", token[::-1]),
    }.items():
        status, headers, body = server.http("GET", bad)
        assert status == 403, f"{name}: HTTP {status} {body[:300]!r}"
        assert s3_error(status, headers, body)["Code"] in ("SignatureDoesNotMatch", "InvalidToken", "AccessDenied"), body
    # Without the token at all: the signature no longer matches (or the key needs its token).
    parts = urlsplit(url)
    stripped = urlunsplit(
        parts._replace(query=urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "X-Amz-Security-Token"]))
    )
    status, headers, body = server.http("GET", stripped)
    assert status == 403, body[:300]
    assert s3_error(status, headers, body)["Code"] in ("SignatureDoesNotMatch", "AccessDenied"), body


# ---------------------------------------------------------------------------------------------------
# Credentials end with the user
# ---------------------------------------------------------------------------------------------------


def _assert_user_gone(server, user: User, key: str, how: str) -> None:
    failures = []
    try:
        user.s3.get_object(Bucket=server.bucket, Key=key)
        failures.append(f"after {how}: GetObject with the earlier credentials succeeded, expected InvalidToken")
    except ClientError as exc:
        if error_code(exc) != "InvalidToken":
            failures.append(f"after {how}: GetObject -> {error_code(exc)}, expected InvalidToken")
    try:
        user.s3.put_object(Bucket=server.bucket, Key=key, Body=b"after")
        failures.append(f"after {how}: PutObject with the earlier credentials succeeded, expected InvalidToken")
    except ClientError as exc:
        if error_code(exc) != "InvalidToken":
            failures.append(f"after {how}: PutObject -> {error_code(exc)}, expected InvalidToken")
    try:
        credentials_for(server, user.identity_id, user.id_token)
        failures.append(f"after {how}: GetCredentialsForIdentity with the old ID token succeeded")
    except ClientError as exc:
        if error_code(exc) != "NotAuthorizedException":
            failures.append(f"after {how}: GetCredentialsForIdentity -> {error_code(exc)}, expected NotAuthorizedException")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("how", ["AdminDisableUser", "AdminDeleteUser"])
def test_credentials_end_with_the_user(server, s3, how):
    user = new_user(server)
    key = f"private/{user.identity_id}/before.txt"
    user.s3.put_object(Bucket=server.bucket, Key=key, Body=b"before")
    # A second set of credentials, fetched again with the same token, ends too.
    second = credentials_for(server, user.identity_id, user.id_token)
    second_s3 = temp_s3(server, second["AccessKeyId"], second["SecretKey"], second["SessionToken"])
    assert second_s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"before"

    admin = server.admin()
    if how == "AdminDisableUser":
        admin.admin_disable_user(UserPoolId=server.pool_id, Username=user.username)
    else:
        admin.admin_delete_user(UserPoolId=server.pool_id, Username=user.username)

    _assert_user_gone(server, user, key, how)
    with pytest.raises(ClientError) as exc:
        second_s3.get_object(Bucket=server.bucket, Key=key)
    assert error_code(exc.value) == "InvalidToken", f"second credentials after {how}: {exc.value}"
    # The user's files are untouched (root still reads them).
    assert s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"before"


def test_disabling_one_user_leaves_others_working(server, alice):
    victim = new_user(server)
    server.admin().admin_disable_user(UserPoolId=server.pool_id, Username=victim.username)
    key = f"private/{alice.identity_id}/still-here.txt"
    alice.s3.put_object(Bucket=server.bucket, Key=key, Body=b"ok")
    assert alice.s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"ok"
