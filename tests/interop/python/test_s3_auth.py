"""S3 authentication and the shape of S3 errors: unsigned and mis-signed requests are refused (and store
nothing); every error is XML with a `<Code>` and a `<RequestId>` equal to the `x-amz-request-id` header."""

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, http_raw, s3_error, unique


def fail(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique("auth-")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="secret.txt", Body=b"not for strangers")
    return name


def test_unsigned_get_is_refused(server, bucket):
    status, headers, body = http_raw("GET", f"{server.endpoint}/{bucket}/secret.txt")
    assert status == 403
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert b"not for strangers" not in body


def test_unsigned_list_is_refused(server, bucket):
    for path in (f"/{bucket}", f"/{bucket}?list-type=2", f"/{bucket}/"):
        status, headers, body = http_raw("GET", server.endpoint + path)
        assert status == 403, path
        assert s3_error(status, headers, body)["Code"] == "AccessDenied", path
        assert b"secret.txt" not in body


def test_unsigned_head_is_refused(server, bucket):
    status, _, _ = http_raw("HEAD", f"{server.endpoint}/{bucket}/secret.txt")
    assert status == 403


def test_unsigned_writes_store_nothing(server, s3, bucket):
    status, headers, body = http_raw("PUT", f"{server.endpoint}/{bucket}/unsigned.txt", body=b"sneaky")
    assert status == 403
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert error_code(fail(s3.head_object, Bucket=bucket, Key="unsigned.txt")) == "404"

    status, headers, body = http_raw("DELETE", f"{server.endpoint}/{bucket}/secret.txt")
    assert status == 403
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"not for strangers"

    name = unique("unsigned-")
    status, headers, body = http_raw("PUT", f"{server.endpoint}/{name}")
    assert status == 403
    assert s3_error(status, headers, body)["Code"] == "AccessDenied"
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_wrong_secret_is_signature_does_not_match(server, s3, bucket):
    wrong = server.s3(secret_key="wrong" + server.secret_key[5:])
    for call, kwargs in [
        (wrong.list_objects_v2, {"Bucket": bucket}),
        (wrong.get_object, {"Bucket": bucket, "Key": "secret.txt"}),
        (wrong.put_object, {"Bucket": bucket, "Key": "forged.txt", "Body": b"forged"}),
        (wrong.delete_object, {"Bucket": bucket, "Key": "secret.txt"}),
        (wrong.list_buckets, {}),
    ]:
        e = fail(call, **kwargs)
        assert error_code(e) == "SignatureDoesNotMatch", (call, e.response)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error_code(fail(s3.head_object, Bucket=bucket, Key="forged.txt")) == "404"
    assert s3.get_object(Bucket=bucket, Key="secret.txt")["Body"].read() == b"not for strangers"


def test_unknown_access_key(server, bucket):
    stranger = server.s3(access_key="AKIA" + "Z" * 16, secret_key="x" * 40)
    e = fail(stranger.get_object, Bucket=bucket, Key="secret.txt")
    assert error_code(e) == "InvalidAccessKeyId", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_errors_carry_the_request_id(server, s3, bucket):
    """Handler errors (reached through valid presigned URLs) and auth errors alike."""
    ids = []
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "missing"}, ExpiresIn=300)
    status, headers, body = http_raw("GET", url)
    assert status == 404
    fields = s3_error(status, headers, body)
    assert fields["Code"] == "NoSuchKey"
    ids.append(fields["RequestId"])

    url = s3.generate_presigned_url("get_object", Params={"Bucket": unique("nobucket-"), "Key": "k"}, ExpiresIn=300)
    status, headers, body = http_raw("GET", url)
    assert status == 404
    fields = s3_error(status, headers, body)
    assert fields["Code"] == "NoSuchBucket"
    ids.append(fields["RequestId"])

    status, headers, body = http_raw("GET", f"{server.endpoint}/{bucket}/secret.txt")
    ids.append(s3_error(status, headers, body)["RequestId"])
    status, headers, body = http_raw("GET", f"{server.endpoint}/{bucket}/secret.txt")
    ids.append(s3_error(status, headers, body)["RequestId"])
    assert len(set(ids)) == len(ids), f"request ids are not unique: {ids}"

    # boto3 sees the same id in the header and the parsed error.
    e = fail(s3.get_object, Bucket=bucket, Key="missing")
    header_id = e.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    assert header_id and e.response["ResponseMetadata"]["RequestId"] == header_id


def test_successful_responses_carry_a_request_id(s3, bucket):
    for resp in (
        s3.head_object(Bucket=bucket, Key="secret.txt"),
        s3.list_objects_v2(Bucket=bucket),
        s3.list_buckets(),
    ):
        assert resp["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
