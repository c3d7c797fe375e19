"""Browser form uploads (POST Object) with a presigned policy, as boto3's generate_presigned_post makes them."""

import hashlib
import os

import requests


def _post(server, s3, key, data, conditions=None, fields=None):
    form = s3.generate_presigned_post(
        Bucket=server.bucket, Key=key, Fields=fields or {}, Conditions=conditions or [], ExpiresIn=300
    )
    return requests.post(form["url"], data=form["fields"], files={"file": ("upload.bin", data)}, timeout=60)


def test_a_form_upload_stores_the_file(server, s3):
    data = os.urandom(300_000)
    response = _post(server, s3, "forms/photo.bin", data)
    assert response.status_code == 204, response.text
    stored = s3.get_object(Bucket=server.bucket, Key="forms/photo.bin")
    assert hashlib.sha256(stored["Body"].read()).digest() == hashlib.sha256(data).digest()
    assert stored["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()


def test_the_policy_conditions_are_enforced(server, s3):
    response = _post(server, s3, "forms/too-big.bin", b"x" * 2048, conditions=[["content-length-range", 1, 1024]])
    assert response.status_code == 400, response.text
    assert "<Code>EntityTooLarge</Code>" in response.text
    # A key other than the one the policy names is refused.
    form = s3.generate_presigned_post(Bucket=server.bucket, Key="forms/allowed.bin", ExpiresIn=300)
    fields = dict(form["fields"], key="forms/elsewhere.bin")
    refused = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert refused.status_code == 403, refused.text
    assert "elsewhere" not in [o["Key"] for o in s3.list_objects_v2(Bucket=server.bucket, Prefix="forms/").get("Contents", [])]


def test_a_tampered_form_signature_is_refused(server, s3):
    form = s3.generate_presigned_post(Bucket=server.bucket, Key="forms/tampered.bin", ExpiresIn=300)
    fields = dict(form["fields"])
    signature_field = "x-amz-signature" if "x-amz-signature" in fields else "signature"
    fields[signature_field] = ("0" * 64) if signature_field == "x-amz-signature" else "AAAA"
    response = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert response.status_code == 403, response.text
    assert s3.list_objects_v2(Bucket=server.bucket, Prefix="forms/tampered").get("KeyCount") == 0


def test_forms_larger_than_the_server_limit_are_refused(server, s3):
    # The server holds form uploads in memory, so it caps them (64 MiB) below S3's 5 GiB.
    data = b"\0" * (64 * 1024 * 1024 + 1)
    response = _post(server, s3, "forms/huge.bin", data)
    assert response.status_code == 400, response.status_code
    assert "EntityTooLarge" in response.text
