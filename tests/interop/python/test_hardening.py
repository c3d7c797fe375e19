"""What a caller cannot make the server do: write unbounded logs, rewrite the URLs in discovery
documents, hide a bucket's keys behind the OpenID routes, or find its data dirs readable."""

import json
import os
import stat

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import unique


def _signed_s3(server, method: str, path: str, body: bytes, headers: dict) -> dict:
    request = AWSRequest(method, server.endpoint + path, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_a_malformed_body_is_logged_as_its_size_not_its_bytes(server):
    """A 4 MiB body that is not XML, signed, sent to DeleteObjects: the answer is MalformedXML and
    the server's log grows by a line, not by the body (the logs are at `info`, as operators run them)."""
    marker = b"<Delete><Object><Key>" + b"x" * (4 * 1024 * 1024) + b"</Broken>"
    before = server.stderr_path.stat().st_size
    headers = _signed_s3(server, "POST", f"/{server.bucket}?delete", marker, {"Content-Type": "application/xml"})
    status, _, body = server.http("POST", f"/{server.bucket}?delete", body=marker, headers=headers)
    assert status == 400, body[:300]
    assert b"<Code>MalformedXML</Code>" in body, body[:300]
    assert server.http("GET", "/_s3cognito/health")[0] == 200
    grown = server.stderr_path.stat().st_size - before
    assert grown < 16 * 1024, f"the log grew by {grown} bytes for one malformed request"
    log = server.stderr_path.read_text(errors="replace")
    assert "xxxxxxxxxxxxxxxx" not in log


def test_discovery_names_our_url_whatever_the_host_header_says(server):
    """The Host header is the caller's to choose; the jwks_uri a verifier will fetch keys from is not."""
    status, _, body = server.http(
        "GET", f"/{server.pool_id}/.well-known/openid-configuration", headers={"Host": "evil.example"}
    )
    assert status == 200, body
    document = json.loads(body)
    assert document["jwks_uri"] == f"{server.endpoint}/{server.pool_id}/.well-known/jwks.json"
    assert "evil.example" not in body.decode()


def test_bucket_keys_shaped_like_openid_documents_are_the_bucket_s(server):
    """`.well-known/jwks.json` at the root of a bucket is an object like any other: bucket names have
    no `_`, pool ids always do, so only `/<poolId>/.well-known/…` reaches the OpenID routes."""
    s3 = server.s3()
    bucket = unique("wk").lower().replace("_", "-")
    s3.create_bucket(Bucket=bucket)
    for key in (".well-known/jwks.json", ".well-known/openid-configuration"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"bucket bytes")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"bucket bytes"
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    assert "keys" in server.jwks()


def test_data_subdirectories_are_private(server):
    """The outbox holds codes and temporary passwords, the blobs every object's bytes."""
    server.signed_up_user(confirm=False)
    for name in ("outbox", "blobs"):
        mode = stat.S_IMODE(os.stat(server.data / name).st_mode)
        assert mode == 0o700, f"{name}/ is {oct(mode)}"
