"""Multipart objects whose parts carry checksums get S3's COMPOSITE checksum: the checksum of the parts'
checksums, then `-<parts>`; boto3 uploads and downloads them with checksum mode on."""

import base64
import hashlib
import os
import zlib

from conftest import error_code


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_sha256_parts_give_a_composite_checksum(server):
    s3 = server.s3(signature_version="s3v4")
    bucket = server.bucket
    upload = s3.create_multipart_upload(Bucket=bucket, Key="composite/sha", ChecksumAlgorithm="SHA256")
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    completed = []
    for number, data in enumerate(parts, 1):
        answer = s3.upload_part(
            Bucket=bucket, Key="composite/sha", UploadId=upload["UploadId"], PartNumber=number, Body=data,
            ChecksumAlgorithm="SHA256",
        )
        assert answer["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())
        completed.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="composite/sha", UploadId=upload["UploadId"], MultipartUpload={"Parts": completed}
    )
    expected = b64(hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()) + "-2"
    assert done["ChecksumSHA256"] == expected
    got = s3.get_object(Bucket=bucket, Key="composite/sha", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"".join(parts)
    assert got["ChecksumSHA256"] == expected
    head = s3.head_object(Bucket=bucket, Key="composite/sha", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected
    assert head.get("ChecksumType") == "COMPOSITE"

    # Each part keeps its own checksum: GetObjectAttributes lists them, a read of one part answers its own.
    attributes = s3.get_object_attributes(Bucket=bucket, Key="composite/sha", ObjectAttributes=["ObjectParts", "Checksum"])
    assert [part["ChecksumSHA256"] for part in attributes["ObjectParts"]["Parts"]] == [c["ChecksumSHA256"] for c in completed]
    assert attributes["Checksum"]["ChecksumSHA256"] == expected
    for number, data in enumerate(parts, 1):
        part = s3.get_object(Bucket=bucket, Key="composite/sha", PartNumber=number, ChecksumMode="ENABLED")
        assert part["Body"].read() == data
        assert part["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())
        assert part["ChecksumType"] == "COMPOSITE"
        head = s3.head_object(Bucket=bucket, Key="composite/sha", PartNumber=number, ChecksumMode="ENABLED")
        assert head["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())
    # A range matches no stored checksum, so none is answered.
    ranged = s3.get_object(Bucket=bucket, Key="composite/sha", Range="bytes=0-9", ChecksumMode="ENABLED")
    assert "ChecksumSHA256" not in ranged


def test_crc32_multipart_through_the_transfer_manager(server, tmp_path):
    s3 = server.s3(signature_version="s3v4")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(20 * 1024 * 1024))
    s3.upload_file(str(source), server.bucket, "composite/big", ExtraArgs={"ChecksumAlgorithm": "CRC32"})
    target = tmp_path / "big.out"
    s3.download_file(server.bucket, "composite/big", str(target), ExtraArgs={"ChecksumMode": "ENABLED"})
    assert target.read_bytes() == source.read_bytes()
    head = s3.head_object(Bucket=server.bucket, Key="composite/big", ChecksumMode="ENABLED")
    value = head["ChecksumCRC32"]
    assert value.endswith(f"-{head.get('PartsCount') or value.rsplit('-', 1)[1]}")
    parts = int(value.rsplit("-", 1)[1])
    assert parts >= 2


def test_a_part_checksum_that_does_not_match_is_refused(server):
    s3 = server.s3(signature_version="s3v4")
    upload = s3.create_multipart_upload(Bucket=server.bucket, Key="composite/bad", ChecksumAlgorithm="CRC32")
    answer = s3.upload_part(
        Bucket=server.bucket, Key="composite/bad", UploadId=upload["UploadId"], PartNumber=1, Body=b"x",
        ChecksumAlgorithm="CRC32",
    )
    assert answer["ChecksumCRC32"] == b64(zlib.crc32(b"x").to_bytes(4, "big"))
    wrong = b64(zlib.crc32(b"y").to_bytes(4, "big"))
    try:
        s3.complete_multipart_upload(
            Bucket=server.bucket, Key="composite/bad", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": answer["ETag"], "ChecksumCRC32": wrong}]},
        )
        raise AssertionError("a wrong part checksum was accepted")
    except Exception as exc:  # noqa: BLE001 - botocore's ClientError
        assert error_code(exc) == "InvalidPart", exc
    try:
        s3.head_object(Bucket=server.bucket, Key="composite/bad")
        raise AssertionError("the object appeared")
    except Exception as exc:  # noqa: BLE001
        assert "404" in str(exc), exc


def test_full_object_crc_is_the_crc_of_the_whole_object(server):
    """FULL_OBJECT (CRC algorithms): the object's CRC is combined from the parts' CRCs and sizes; a
    checksum-mode download verifies it against the bytes, and a wrong whole-object value is refused."""
    s3 = server.s3(signature_version="s3v4")
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024 + 7), os.urandom(333)]
    whole = b"".join(parts)
    expected = b64(zlib.crc32(whole).to_bytes(4, "big"))
    for key, claimed in (("composite/full", expected), ("composite/full-wrong", b64(zlib.crc32(b"no").to_bytes(4, "big")))):
        upload = s3.create_multipart_upload(Bucket=server.bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
        completed = []
        for number, data in enumerate(parts, 1):
            answer = s3.upload_part(
                Bucket=server.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=data,
                ChecksumAlgorithm="CRC32",
            )
            completed.append({"PartNumber": number, "ETag": answer["ETag"]})
        complete = dict(
            Bucket=server.bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": completed},
            ChecksumCRC32=claimed, ChecksumType="FULL_OBJECT",
        )
        if claimed != expected:
            try:
                s3.complete_multipart_upload(**complete)
                raise AssertionError("a wrong whole-object CRC was accepted")
            except Exception as exc:  # noqa: BLE001 - botocore's ClientError
                assert error_code(exc) == "BadDigest", exc
            continue
        done = s3.complete_multipart_upload(**complete)
        assert done["ChecksumCRC32"] == expected
        got = s3.get_object(Bucket=server.bucket, Key=key, ChecksumMode="ENABLED")
        assert got["Body"].read() == whole
        assert got["ChecksumCRC32"] == expected
        assert got.get("ChecksumType") == "FULL_OBJECT"
