"""Presigned URLs made by boto3 (SigV2, its default for S3 in us-east-1, and SigV4) used with plain HTTP."""

import os
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from conftest import http_raw, s3_error, unique

MAX_EXPIRY = 7 * 24 * 3600  # 604800 s, AWS's limit for SigV4 presigned URLs


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique("presign-")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module", params=["s3", "s3v4"], ids=["sigv2", "sigv4"])
def signer(request, server):
    """(signature version, boto3 client presigning with it)."""
    if request.param == "s3":
        # boto3's default for S3 presigning in us-east-1 is SigV2: do not ask for anything.
        return "s3", server.s3()
    return "s3v4", server.s3(signature_version="s3v4")


def assert_signature_version(url: str, version: str) -> None:
    query = dict(parse_qsl(urlsplit(url).query))
    if version == "s3":
        assert {"AWSAccessKeyId", "Signature", "Expires"} <= query.keys(), url
    else:
        assert query.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256", url
        assert "X-Amz-Signature" in query, url


def replace_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, value if k == name else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_presigned_get(s3, signer, bucket):
    version, client = signer
    data = os.urandom(200_000)
    key = f"get/{version}/a file+ü.bin"
    s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/octet-stream")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert_signature_version(url, version)
    status, headers, body = http_raw("GET", url)
    assert status == 200, body[:500]
    assert body == data
    assert headers["etag"] == s3.head_object(Bucket=bucket, Key=key)["ETag"]
    # The same URL works more than once while it is valid.
    assert http_raw("GET", url)[2] == data


def test_presigned_get_with_plain_urllib(server, s3, bucket):
    import urllib.request

    data = b"fetched by urllib" * 1000
    s3.put_object(Bucket=bucket, Key="urllib.txt", Body=data)
    for client in (server.s3(), server.s3(signature_version="s3v4")):
        url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "urllib.txt"}, ExpiresIn=60)
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.status == 200
            assert r.read() == data


def test_presigned_put(s3, signer, bucket):
    version, client = signer
    data = os.urandom(300_000)
    key = f"put/{version}/upload.bin"
    url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert_signature_version(url, version)
    status, headers, body = http_raw("PUT", url, body=data)
    assert status == 200, body[:500]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == data
    assert headers["etag"] == got["ETag"]


def test_presigned_put_with_content_type(s3, signer, bucket):
    """A Content-Type named when presigning is signed; the upload carrying it is stored with it."""
    version, client = signer
    key = f"put/{version}/typed.txt"
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": "text/plain"}, ExpiresIn=300
    )
    status, _, body = http_raw("PUT", url, body=b"typed", headers={"Content-Type": "text/plain"})
    assert status == 200, body[:500]
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == b"typed"
    assert got["ContentType"] == "text/plain"


def test_expired_presigned_url(s3, signer, bucket):
    version, client = signer
    key = f"expired/{version}"
    s3.put_object(Bucket=bucket, Key=key, Body=b"too late")
    get = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=1)
    put = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key + "-put"}, ExpiresIn=1)
    time.sleep(2.5)
    status, headers, body = http_raw("GET", get)
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert b"too late" not in body
    status, headers, body = http_raw("PUT", put, body=b"late upload")
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert key + "-put" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_tampered_signature(s3, signer, bucket):
    version, client = signer
    key = f"tampered/{version}"
    s3.put_object(Bucket=bucket, Key=key, Body=b"guarded")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    name = "Signature" if version == "s3" else "X-Amz-Signature"
    signature = dict(parse_qsl(urlsplit(url).query))[name]
    # Change one character, keeping the alphabet (base64 for SigV2, hex for SigV4).
    flipped = ("B" if signature[0] == "A" else "A") if version == "s3" else ("0" if signature[0] != "0" else "1")
    tampered = replace_query(url, name, flipped + signature[1:])
    status, headers, body = http_raw("GET", tampered)
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "SignatureDoesNotMatch"
    assert b"guarded" not in body

    # A valid signature for another key does not open this one.
    other = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key + "-other"}, ExpiresIn=300)
    moved = other.replace(f"/{key}-other?", f"/{key}?")
    assert moved != other
    status, headers, body = http_raw("GET", moved)
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "SignatureDoesNotMatch"

    # The untouched URL works (so the refusals above are about the tampering).
    assert http_raw("GET", url)[2] == b"guarded"


def test_presigned_put_for_another_method_is_refused(s3, signer, bucket):
    version, client = signer
    key = f"method/{version}"
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    status, headers, body = http_raw("PUT", url, body=b"not allowed")
    assert status == 403, body[:500]
    assert s3_error(status, headers, body)["Code"] == "SignatureDoesNotMatch"
    assert key not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_sigv4_expiry_above_seven_days_is_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="week", Body=b"one week at most")
    v4 = server.s3(signature_version="s3v4")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "week"}, ExpiresIn=MAX_EXPIRY + 1)
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Expires"] == str(MAX_EXPIRY + 1)
    status, headers, body = http_raw("GET", url)
    # AWS: 400 AuthorizationQueryParametersError "X-Amz-Expires must be less than a week (in seconds) that is 604800".
    assert status == 400, body[:500]
    assert s3_error(status, headers, body)["Code"] == "AuthorizationQueryParametersError"
    assert b"one week at most" not in body

    # Exactly seven days is allowed.
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "week"}, ExpiresIn=MAX_EXPIRY)
    status, _, body = http_raw("GET", url)
    assert status == 200 and body == b"one week at most"


def test_a_sigv4_url_with_a_negative_expiry_is_malformed(server, s3, bucket):
    v4 = server.s3(signature_version="s3v4")
    url = v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "negative"}, ExpiresIn=-1000)
    assert dict(parse_qsl(urlsplit(url).query))["X-Amz-Expires"] == "-1000"
    status, headers, body = http_raw("PUT", url, body=b"never stored")
    assert status == 400, body[:500]
    error = s3_error(status, headers, body)
    assert error["Code"] == "AuthorizationQueryParametersError"
    assert error["Message"] == "X-Amz-Expires must be non-negative"
    assert "negative" not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_sigv2_expiry_above_seven_days_is_refused(server, s3, bucket):
    """Our 7-day cap on presigned URLs applies to SigV2's absolute `Expires` too."""
    s3.put_object(Bucket=bucket, Key="week-v2", Body=b"one week at most")
    v2 = server.s3()
    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "week-v2"}, ExpiresIn=MAX_EXPIRY + 3600)
    assert "Signature=" in url
    status, headers, body = http_raw("GET", url)
    assert 400 <= status < 500 and status != 404, (status, body[:500])
    assert s3_error(status, headers, body)["Code"] in ("AccessDenied", "AuthorizationQueryParametersError")
    assert b"one week at most" not in body

    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "week-v2"}, ExpiresIn=3600)
    status, _, body = http_raw("GET", url)
    assert status == 200 and body == b"one week at most"
