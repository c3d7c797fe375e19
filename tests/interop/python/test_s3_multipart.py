"""Multipart uploads through boto3: the low-level calls with S3's part rules, and boto3's managed transfers."""

import hashlib
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from conftest import error_code, md5_etag, multipart_etag, unique

MiB = 1024 * 1024


def fail(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value


def status_of(e: ClientError) -> int:
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def bucket(s3):
    name = unique("mpu-")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="module")
def parts():
    """Two 5 MiB parts (the minimum for a non-last part) and a short last one."""
    return [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(123_457)]


def upload_parts(s3, bucket: str, key: str, upload_id: str, parts: list[bytes]) -> list[dict]:
    done = []
    for number, data in enumerate(parts, start=1):
        resp = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        assert resp["ETag"] == md5_etag(data), number
        done.append({"PartNumber": number, "ETag": resp["ETag"]})
    return done


def visible(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        assert status_of(e) == 404, e.response
        return False


def test_multipart_upload(s3, bucket, parts):
    key = "multi/three parts.bin"
    created = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="application/x-multipart-test", Metadata={"origin": "mpu"}
    )
    upload_id = created["UploadId"]
    assert upload_id and created["Key"] == key and created["Bucket"] == bucket
    done = upload_parts(s3, bucket, key, upload_id, parts)

    # Not visible before Complete.
    assert not visible(s3, bucket, key)

    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert listed["UploadId"] == upload_id
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in listed["Parts"]] == [len(p) for p in parts]
    assert [p["ETag"] for p in listed["Parts"]] == [md5_etag(p) for p in parts]
    assert all(p["LastModified"] for p in listed["Parts"])
    assert listed["IsTruncated"] is False

    completed = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
    )
    expected_etag = multipart_etag(parts)
    assert completed["ETag"] == expected_etag
    assert completed["Key"] == key and completed["Bucket"] == bucket

    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ETag"] == expected_etag
    assert head["ContentLength"] == sum(len(p) for p in parts)
    assert head["ContentType"] == "application/x-multipart-test"
    assert head["Metadata"] == {"origin": "mpu"}
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(b"".join(parts)).digest()

    # A range across the boundary of parts 1 and 2.
    start = 5 * MiB - 10
    got = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + 19}")
    assert got["Body"].read() == b"".join(parts)[start : start + 20]

    # The finished upload is gone.
    e = fail(s3.list_parts, Bucket=bucket, Key=key, UploadId=upload_id)
    assert error_code(e) == "NoSuchUpload" and status_of(e) == 404
    listing = s3.list_objects_v2(Bucket=bucket, Prefix="multi/")
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listing["Contents"]] == [
        (key, sum(len(p) for p in parts), expected_etag)
    ]


def test_parts_can_be_replaced_and_sent_out_of_order(s3, bucket, parts):
    key = "multi/replaced"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=parts[1])
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"will be replaced")
    s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=parts[0])
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, len(parts[0])), (2, len(parts[1]))]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": md5_etag(parts[0])}, {"PartNumber": 2, "ETag": md5_etag(parts[1])}]},
    )
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ETag"] == multipart_etag(parts[:2])
    assert got["Body"].read() == parts[0] + parts[1]


def test_abort(s3, bucket, parts):
    key = "multi/aborted"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    upload_parts(s3, bucket, key, upload_id, parts[:1])
    assert s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call, kwargs in [
        (s3.list_parts, {}),
        (s3.upload_part, {"PartNumber": 2, "Body": b"late"}),
        (
            s3.complete_multipart_upload,
            {"MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": md5_etag(parts[0])}]}},
        ),
        (s3.abort_multipart_upload, {}),
    ]:
        e = fail(call, Bucket=bucket, Key=key, UploadId=upload_id, **kwargs)
        assert error_code(e) == "NoSuchUpload", (call, e.response)
        assert status_of(e) == 404
    assert not visible(s3, bucket, key)


def test_unknown_upload_id(s3, bucket):
    e = fail(s3.upload_part, Bucket=bucket, Key="multi/unknown", UploadId="no-such-upload-id", PartNumber=1, Body=b"x")
    assert error_code(e) == "NoSuchUpload" and status_of(e) == 404


def test_complete_with_a_wrong_part_etag(s3, bucket, parts):
    key = "multi/wrong-etag"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, parts)
    wrong = [dict(p) for p in done]
    wrong[1]["ETag"] = md5_etag(b"something else")
    e = fail(s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": wrong})
    assert error_code(e) == "InvalidPart" and status_of(e) == 400
    assert not visible(s3, bucket, key)

    # A part number never uploaded is InvalidPart too (listed last, so no part before it is small).
    missing = done[:2] + [{"PartNumber": 4, "ETag": md5_etag(b"never")}]
    e = fail(s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": missing})
    assert error_code(e) == "InvalidPart" and status_of(e) == 400
    assert not visible(s3, bucket, key)

    # The upload is still there and can be completed properly.
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert s3.head_object(Bucket=bucket, Key=key)["ETag"] == multipart_etag(parts)


def test_complete_with_parts_out_of_order(s3, bucket, parts):
    key = "multi/out-of-order"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, parts)
    e = fail(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [done[1], done[0], done[2]]},
    )
    assert error_code(e) == "InvalidPartOrder" and status_of(e) == 400
    assert not visible(s3, bucket, key)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_complete_with_a_small_non_last_part(s3, bucket, parts):
    key = "multi/too-small"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    # Part 1 is 1 MiB (under the 5 MiB minimum), part 2 is the last one.
    done = upload_parts(s3, bucket, key, upload_id, [os.urandom(MiB), parts[2]])
    e = fail(s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert error_code(e) == "EntityTooSmall" and status_of(e) == 400
    assert not visible(s3, bucket, key)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_single_small_part_is_allowed(s3, bucket):
    """The last part may be small, and a one-part upload's only part is its last."""
    key = "multi/one-part"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = upload_parts(s3, bucket, key, upload_id, [b"tiny"])
    completed = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done})
    assert completed["ETag"] == multipart_etag([b"tiny"])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"tiny"


def test_boto3_upload_file_and_download_file(s3, bucket, tmp_path):
    """boto3's managed transfer: multipart above the threshold (8 MiB parts), parallel ranged download."""
    source = tmp_path / "twenty.bin"
    data = os.urandom(20 * MiB)
    source.write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    s3.upload_file(str(source), bucket, "transfer/twenty.bin", ExtraArgs={"ContentType": "application/x-twenty"}, Config=config)

    head = s3.head_object(Bucket=bucket, Key="transfer/twenty.bin")
    chunks = [data[i : i + 8 * MiB] for i in range(0, len(data), 8 * MiB)]
    assert head["ETag"] == multipart_etag(chunks)
    assert head["ETag"].endswith('-3"')
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/x-twenty"

    target = tmp_path / "twenty.down"
    s3.download_file(bucket, "transfer/twenty.bin", str(target), Config=config)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()

    # A small file goes up in one PutObject.
    small = tmp_path / "small.txt"
    small.write_bytes(b"small file\n")
    s3.upload_file(str(small), bucket, "transfer/small.txt", Config=config)
    assert s3.head_object(Bucket=bucket, Key="transfer/small.txt")["ETag"] == md5_etag(b"small file\n")
    s3.download_file(bucket, "transfer/small.txt", str(tmp_path / "small.down"))
    assert (tmp_path / "small.down").read_bytes() == b"small file\n"
