"""Buckets and objects survive a restart on the same data directory, byte for byte."""

import hashlib
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from conftest import md5_etag, multipart_etag, unique

MiB = 1024 * 1024


def test_objects_survive_restart(fresh_server, tmp_path):
    srv = fresh_server
    s3 = srv.s3()
    bucket = unique("keep-")
    s3.create_bucket(Bucket=bucket)

    small = os.urandom(4096)
    s3.put_object(Bucket=bucket, Key="small.bin", Body=small, ContentType="application/x-small", Metadata={"kept": "yes"})
    s3.put_object(Bucket=srv.bucket, Key="in/bootstrap ü+.txt", Body=b"bootstrap bucket object")
    s3.put_object(Bucket=bucket, Key="deleted", Body=b"gone before the restart")
    s3.delete_object(Bucket=bucket, Key="deleted")
    s3.put_object(Bucket=bucket, Key="replaced", Body=b"old")
    s3.put_object(Bucket=bucket, Key="replaced", Body=b"new")

    parts = [os.urandom(5 * MiB), os.urandom(MiB // 3)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi.bin")["UploadId"]
    done = []
    for n, part in enumerate(parts, start=1):
        etag = s3.upload_part(Bucket=bucket, Key="multi.bin", UploadId=upload, PartNumber=n, Body=part)["ETag"]
        done.append({"PartNumber": n, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key="multi.bin", UploadId=upload, MultipartUpload={"Parts": done})

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * MiB))
    s3.upload_file(str(big), bucket, "transferred.bin", Config=TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB))

    # An upload in progress keeps its parts across the restart.
    pending = s3.create_multipart_upload(Bucket=bucket, Key="pending.bin")["UploadId"]
    pending_etag = s3.upload_part(Bucket=bucket, Key="pending.bin", UploadId=pending, PartNumber=1, Body=parts[0])["ETag"]

    before = s3.list_objects_v2(Bucket=bucket)["Contents"]
    heads = {o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"]) for o in before}

    srv.restart()
    s3 = srv.s3()

    assert {srv.bucket, bucket} <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    after = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"], o["LastModified"]) for o in after] == [
        (o["Key"], o["Size"], o["ETag"], o["LastModified"]) for o in before
    ]
    assert [o["Key"] for o in after] == ["multi.bin", "replaced", "small.bin", "transferred.bin"]

    got = s3.get_object(Bucket=bucket, Key="small.bin")
    assert got["Body"].read() == small
    assert got["ETag"] == md5_etag(small)
    assert got["ContentType"] == "application/x-small"
    assert got["Metadata"] == {"kept": "yes"}
    assert s3.get_object(Bucket=bucket, Key="replaced")["Body"].read() == b"new"
    assert s3.get_object(Bucket=srv.bucket, Key="in/bootstrap ü+.txt")["Body"].read() == b"bootstrap bucket object"

    multi = s3.get_object(Bucket=bucket, Key="multi.bin")
    assert multi["ETag"] == multipart_etag(parts)
    assert hashlib.sha256(multi["Body"].read()).digest() == hashlib.sha256(b"".join(parts)).digest()
    transferred = s3.get_object(Bucket=bucket, Key="transferred.bin")["Body"].read()
    assert hashlib.sha256(transferred).digest() == hashlib.sha256(big.read_bytes()).digest()

    for key, head in heads.items():
        again = s3.head_object(Bucket=bucket, Key=key)
        for field in ("ETag", "ContentLength", "ContentType", "LastModified", "Metadata"):
            assert again.get(field) == head.get(field), (key, field)

    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="deleted")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"

    # The pending upload resumes where it was.
    listed = s3.list_parts(Bucket=bucket, Key="pending.bin", UploadId=pending)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, pending_etag, len(parts[0]))]
    etag2 = s3.upload_part(Bucket=bucket, Key="pending.bin", UploadId=pending, PartNumber=2, Body=b"tail")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="pending.bin",
        UploadId=pending,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": pending_etag}, {"PartNumber": 2, "ETag": etag2}]},
    )
    assert s3.get_object(Bucket=bucket, Key="pending.bin")["Body"].read() == parts[0] + b"tail"
