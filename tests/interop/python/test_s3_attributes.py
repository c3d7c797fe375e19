"""GetObjectAttributes, ListObjectVersions on an unversioned bucket, and GetObject/HeadObject by part number."""

import hashlib
import io
import os

import botocore.exceptions
import pytest
from boto3.s3.transfer import TransferConfig

MiB = 1024 * 1024


def test_object_attributes(server, s3):
    data = b"attributes" * 100
    s3.put_object(Bucket=server.bucket, Key="attrs/one", Body=data, ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(
        Bucket=server.bucket, Key="attrs/one", ObjectAttributes=["ETag", "ObjectSize", "StorageClass", "Checksum"]
    )
    # Unlike every other answer, GetObjectAttributes names the ETag without quotes.
    assert got["ETag"] == hashlib.md5(data).hexdigest()
    assert got["ObjectSize"] == len(data)
    assert got["StorageClass"] == "STANDARD"
    assert got["Checksum"]["ChecksumSHA256"]
    only_size = s3.get_object_attributes(Bucket=server.bucket, Key="attrs/one", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only_size and only_size["ObjectSize"] == len(data)
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        s3.get_object_attributes(Bucket=server.bucket, Key="attrs/none", ObjectAttributes=["ETag"])
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"


def test_versions_of_an_unversioned_bucket(server, s3):
    for key in ["versions/a", "versions/b", "versions/c/d"]:
        s3.put_object(Bucket=server.bucket, Key=key, Body=key.encode())
    listed = s3.list_object_versions(Bucket=server.bucket, Prefix="versions/", Delimiter="/")
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        ("versions/a", "null", True),
        ("versions/b", "null", True),
    ]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["versions/c/"]
    paged = s3.list_object_versions(Bucket=server.bucket, Prefix="versions/", MaxKeys=1)
    assert paged["IsTruncated"] and paged["NextKeyMarker"] == "versions/a"
    rest = s3.list_object_versions(Bucket=server.bucket, Prefix="versions/", KeyMarker=paged["NextKeyMarker"])
    assert [v["Key"] for v in rest["Versions"]] == ["versions/b", "versions/c/d"]


def test_parts_of_a_multipart_object_read_by_number(server, s3):
    data = os.urandom(11 * MiB)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_fileobj(io.BytesIO(data), server.bucket, "parts/big.bin", Config=config)
    head = s3.head_object(Bucket=server.bucket, Key="parts/big.bin", PartNumber=2)
    assert head["PartsCount"] == 3
    assert head["ContentLength"] == 5 * MiB
    second = s3.get_object(Bucket=server.bucket, Key="parts/big.bin", PartNumber=2)
    assert second["PartsCount"] == 3
    assert second["Body"].read() == data[5 * MiB : 10 * MiB]
    last = s3.get_object(Bucket=server.bucket, Key="parts/big.bin", PartNumber=3)["Body"].read()
    assert last == data[10 * MiB :]
    attributes = s3.get_object_attributes(Bucket=server.bucket, Key="parts/big.bin", ObjectAttributes=["ObjectParts"])
    assert attributes["ObjectParts"]["TotalPartsCount"] == 3
    assert [(p["PartNumber"], p["Size"]) for p in attributes["ObjectParts"]["Parts"]] == [(1, 5 * MiB), (2, 5 * MiB), (3, MiB)]
    assert attributes["ObjectParts"]["IsTruncated"] is False
    # The parts page by number: two, then the rest after the marker.
    first = s3.get_object_attributes(Bucket=server.bucket, Key="parts/big.bin", ObjectAttributes=["ObjectParts"], MaxParts=2)
    assert [p["PartNumber"] for p in first["ObjectParts"]["Parts"]] == [1, 2]
    assert first["ObjectParts"]["IsTruncated"] is True and first["ObjectParts"]["NextPartNumberMarker"] == 2
    rest = s3.get_object_attributes(
        Bucket=server.bucket, Key="parts/big.bin", ObjectAttributes=["ObjectParts"], PartNumberMarker=2
    )
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3]
    with pytest.raises(botocore.exceptions.ClientError) as beyond:
        s3.get_object(Bucket=server.bucket, Key="parts/big.bin", PartNumber=4)
    assert beyond.value.response["Error"]["Code"] == "InvalidPartNumber"
    # A simple object is its one part.
    s3.put_object(Bucket=server.bucket, Key="parts/small", Body=b"small")
    assert s3.get_object(Bucket=server.bucket, Key="parts/small", PartNumber=1)["Body"].read() == b"small"


def test_a_checksum_attribute_says_its_type(server, s3):
    s3.put_object(Bucket=server.bucket, Key="attributes/crc", Body=b"checked", ChecksumAlgorithm="CRC32")
    attributes = s3.get_object_attributes(Bucket=server.bucket, Key="attributes/crc", ObjectAttributes=["Checksum"])
    assert attributes["Checksum"]["ChecksumType"] == "FULL_OBJECT"
    assert attributes["Checksum"]["ChecksumCRC32"]
