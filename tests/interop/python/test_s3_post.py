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


def test_a_key_naming_the_file_is_checked_with_the_file_name_filled_in(server, s3):
    # The policy allows keys under forms/named/; the form's key is forms/named/${filename}.
    form = s3.generate_presigned_post(
        Bucket=server.bucket, Key="forms/named/${filename}", Conditions=[["starts-with", "$key", "forms/named/"]], ExpiresIn=300
    )
    response = requests.post(form["url"], data=form["fields"], files={"file": ("report.txt", b"named")}, timeout=60)
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=server.bucket, Key="forms/named/report.txt")["Body"].read() == b"named"

    # A file name that takes the key outside what the policy allows is refused.
    form = s3.generate_presigned_post(
        Bucket=server.bucket, Key="${filename}", Conditions=[["starts-with", "$key", "forms/named/"]], ExpiresIn=300
    )
    response = requests.post(form["url"], data=form["fields"], files={"file": ("elsewhere.txt", b"x")}, timeout=60)
    assert response.status_code == 403, response.text
    listed = s3.list_objects_v2(Bucket=server.bucket, Prefix="elsewhere").get("Contents", [])
    assert listed == []


def test_a_form_without_a_signature_or_with_a_malformed_expiration_is_a_bad_request(server, s3):
    import base64
    import json

    form = s3.generate_presigned_post(Bucket=server.bucket, Key="forms/unsigned.bin", ExpiresIn=300)
    fields = {name: value for name, value in form["fields"].items() if name.lower() not in ("signature", "x-amz-signature")}
    response = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert response.status_code == 400, response.text
    assert "<Code>InvalidArgument</Code>" in response.text

    fields = dict(form["fields"])
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["expiration"] = "2030-01-01 00:00:00+00:00"
    fields["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    response = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert response.status_code == 400, response.text
    assert "<Code>InvalidPolicyDocument</Code>" in response.text
    assert s3.list_objects_v2(Bucket=server.bucket, Prefix="forms/unsigned").get("KeyCount") == 0


def test_a_form_naming_another_bucket_is_refused(server, s3):
    other = f"forms-other-{os.urandom(4).hex()}"
    s3.create_bucket(Bucket=other)
    form = s3.generate_presigned_post(Bucket=server.bucket, Key="forms/where.bin", ExpiresIn=300)
    fields = dict(form["fields"], bucket=other)
    response = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert response.status_code == 403, response.text
    assert "<Code>AccessDenied</Code>" in response.text
    assert s3.list_objects_v2(Bucket=other).get("KeyCount") == 0
    assert s3.list_objects_v2(Bucket=server.bucket, Prefix="forms/where").get("KeyCount") == 0
    # Naming the bucket the form goes to is fine.
    fields = dict(form["fields"], bucket=server.bucket)
    response = requests.post(form["url"], data=fields, files={"file": ("a", b"data")}, timeout=60)
    assert response.status_code == 204, response.text
