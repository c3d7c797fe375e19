"""x-amz-checksum-* on uploads: verified against the bytes, stored, and returned for clients to check."""

import base64
import hashlib
import zlib

import botocore.exceptions
import pytest


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# CRC32C and CRC64NVME need awscrt in botocore; the AWS SDK for Rust test covers them.
@pytest.mark.parametrize("algorithm", ["CRC32", "SHA1", "SHA256"])
def test_a_checksum_sent_by_boto3_is_stored_and_returned(server, s3, algorithm):
    data = b"checksummed bytes " * 1000
    key = f"checksums/{algorithm}.bin"
    put = s3.put_object(Bucket=server.bucket, Key=key, Body=data, ChecksumAlgorithm=algorithm)
    assert put.get(f"Checksum{algorithm}")
    got = s3.get_object(Bucket=server.bucket, Key=key, ChecksumMode="ENABLED")
    # boto3 validates the returned checksum against the bytes as it reads them.
    assert got["Body"].read() == data
    assert got[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
    head = s3.head_object(Bucket=server.bucket, Key=key, ChecksumMode="ENABLED")
    assert head[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]


def test_known_values_match(server, s3):
    data = b"The quick brown fox jumps over the lazy dog"
    s3.put_object(Bucket=server.bucket, Key="checksums/known", Body=data, ChecksumAlgorithm="CRC32")
    got = s3.head_object(Bucket=server.bucket, Key="checksums/known", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc32_b64(data)
    s3.put_object(Bucket=server.bucket, Key="checksums/known256", Body=data, ChecksumSHA256=sha256_b64(data))
    got = s3.head_object(Bucket=server.bucket, Key="checksums/known256", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == sha256_b64(data)


def test_a_wrong_checksum_is_refused_and_nothing_is_stored(server, s3):
    key = "checksums/wrong"
    s3.put_object(Bucket=server.bucket, Key=key, Body=b"old")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_object(Bucket=server.bucket, Key=key, Body=b"new bytes", ChecksumSHA256=sha256_b64(b"other bytes"))
    assert error.value.response["Error"]["Code"] == "BadDigest"
    assert s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"old"
    with pytest.raises(botocore.exceptions.ClientError) as error:
        s3.put_object(Bucket=server.bucket, Key=key, Body=b"new bytes", ChecksumCRC32=crc32_b64(b"other"))
    assert error.value.response["Error"]["Code"] == "BadDigest"
    assert s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == b"old"


def test_a_ranged_read_carries_no_whole_object_checksum(server, s3):
    data = bytes(range(256)) * 64
    s3.put_object(Bucket=server.bucket, Key="checksums/ranged", Body=data, ChecksumAlgorithm="CRC32")
    got = s3.get_object(Bucket=server.bucket, Key="checksums/ranged", Range="bytes=10-19", ChecksumMode="ENABLED")
    assert got["Body"].read() == data[10:20]
    assert "ChecksumCRC32" not in got
