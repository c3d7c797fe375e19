"""S3 buckets, objects and listings through boto3 (path-style, root credentials), as AWS S3 documents them."""

import hashlib
import os
from urllib.parse import unquote_plus
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from conftest import error_code, http_raw, md5_etag, unique

EMPTY_MD5 = '"d41d8cd98f00b204e9800998ecf8427e"'

# Keys a URL or an XML listing can get wrong: spaces, plus signs, percent signs, unicode, XML specials.
AWKWARD_KEYS = [
    "with space.txt",
    "plus+sign.txt",
    "both + and space/inner file.txt",
    "percent%20literal.txt",
    "ünïcödé/日本語 ファイル.txt",
    "xml&<special>'\".txt",
    "tilde~equals=question?hash#.txt",
    "trailing-slash-dir/",
]


def fail(call, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return e.value


def status_of(e: ClientError) -> int:
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


def bucket_name() -> str:
    return unique("bkt-")


@pytest.fixture
def bucket(s3):
    """A fresh empty bucket of the test's own."""
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def keys_of(listing: dict) -> list[str]:
    return [o["Key"] for o in listing.get("Contents", [])]


def prefixes_of(listing: dict) -> list[str]:
    return [p["Prefix"] for p in listing.get("CommonPrefixes", [])]


def put_keys(s3, bucket: str, keys) -> None:
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())


# ---- buckets -------------------------------------------------------------------------------------


def test_bootstrap_bucket_is_listed(server, s3):
    buckets = s3.list_buckets()["Buckets"]
    names = [b["Name"] for b in buckets]
    assert server.bucket in names, names
    assert all(b.get("CreationDate") for b in buckets), buckets
    assert s3.head_bucket(Bucket=server.bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_create_head_list_delete_bucket(s3):
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0

    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    e = fail(s3.head_bucket, Bucket=name)
    assert status_of(e) == 404
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    e = fail(s3.delete_bucket, Bucket=name)
    assert error_code(e) == "NoSuchBucket" and status_of(e) == 404


def test_missing_bucket(s3):
    name = bucket_name()
    assert status_of(fail(s3.head_bucket, Bucket=name)) == 404
    for call, kwargs in [
        (s3.delete_bucket, {}),
        (s3.list_objects_v2, {}),
        (s3.list_objects, {}),
        (s3.get_object, {"Key": "k"}),
        (s3.put_object, {"Key": "k", "Body": b"x"}),
        (s3.delete_object, {"Key": "k"}),
        (s3.create_multipart_upload, {"Key": "k"}),
    ]:
        e = fail(call, Bucket=name, **kwargs)
        assert error_code(e) == "NoSuchBucket", (call, e.response)
        assert status_of(e) == 404
    # A put into a missing bucket does not create it.
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # too short
        "a" * 64,  # too long
        "Upper-Case-Name",
        "-leading-hyphen",
        "trailing-hyphen-",
        "double..dots",
        ".leading-dot",
        "trailing-dot.",
        "192.168.5.4",  # formatted as an IP address
        "under_score",
        "xn--reserved-prefix",
        "sthree-reserved-prefix",
        "reserved-suffix-s3alias",
        "reserved-suffix--ol-s3",
    ],
)
def test_invalid_bucket_names(s3, name):
    e = fail(s3.create_bucket, Bucket=name)
    assert error_code(e) == "InvalidBucketName", e.response
    assert status_of(e) == 400
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_bucket_with_objects(s3, bucket):
    s3.put_object(Bucket=bucket, Key="keep/me", Body=b"x")
    e = fail(s3.delete_bucket, Bucket=bucket)
    assert error_code(e) == "BucketNotEmpty" and status_of(e) == 409
    assert s3.get_object(Bucket=bucket, Key="keep/me")["Body"].read() == b"x"
    s3.delete_object(Bucket=bucket, Key="keep/me")
    s3.delete_bucket(Bucket=bucket)
    assert status_of(fail(s3.head_bucket, Bucket=bucket)) == 404


# ---- objects -------------------------------------------------------------------------------------


def test_put_get_head_object(s3, bucket):
    data = os.urandom(1000) + b"\x00\xff" * 12
    put = s3.put_object(
        Bucket=bucket,
        Key="dir/object.bin",
        Body=data,
        ContentType="application/x-s3cognito-test",
        Metadata={"color": "blue", "note": "hello world"},
    )
    assert put["ETag"] == md5_etag(data)

    head = s3.head_object(Bucket=bucket, Key="dir/object.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == md5_etag(data)
    assert head["ContentType"] == "application/x-s3cognito-test"
    assert head["Metadata"] == {"color": "blue", "note": "hello world"}
    assert head["LastModified"]
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-meta-color"] == "blue"

    got = s3.get_object(Bucket=bucket, Key="dir/object.bin")
    assert got["Body"].read() == data
    assert got["ETag"] == md5_etag(data)
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "application/x-s3cognito-test"
    assert got["Metadata"] == {"color": "blue", "note": "hello world"}
    assert got["LastModified"] == head["LastModified"]


def test_empty_object(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == EMPTY_MD5
    head = s3.head_object(Bucket=bucket, Key="empty")
    assert head["ContentLength"] == 0 and head["ETag"] == EMPTY_MD5
    assert s3.get_object(Bucket=bucket, Key="empty")["Body"].read() == b""


def test_overwrite_replaces_the_whole_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first version, longer than the second", Metadata={"v": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second", Metadata={"v": "2"})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second"
    assert got["ETag"] == md5_etag(b"second")
    assert got["Metadata"] == {"v": "2"}
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["k"]


def test_missing_key(s3, bucket):
    e = fail(s3.get_object, Bucket=bucket, Key="nope")
    assert error_code(e) == "NoSuchKey" and status_of(e) == 404
    e = fail(s3.head_object, Bucket=bucket, Key="nope")
    assert status_of(e) == 404


def test_ranged_get(s3, bucket):
    data = os.urandom(1000)
    s3.put_object(Bucket=bucket, Key="ranged", Body=data)
    for header, start, end in [
        ("bytes=10-19", 10, 19),
        ("bytes=0-0", 0, 0),
        ("bytes=990-", 990, 999),
        ("bytes=-7", 993, 999),
        ("bytes=995-2000", 995, 999),  # an end past the object is clipped
    ]:
        got = s3.get_object(Bucket=bucket, Key="ranged", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, header
        assert got["ContentRange"] == f"bytes {start}-{end}/1000", header
        assert got["ContentLength"] == end - start + 1, header
        assert got["Body"].read() == data[start : end + 1], header
        assert got["ETag"] == md5_etag(data)
    e = fail(s3.get_object, Bucket=bucket, Key="ranged", Range="bytes=1000-")
    assert error_code(e) == "InvalidRange" and status_of(e) == 416


def test_conditional_get_and_head(s3, bucket):
    data = b"conditional body"
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=data)["ETag"]
    other = '"00000000000000000000000000000000"'

    e = fail(s3.get_object, Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert status_of(e) == 304
    e = fail(s3.head_object, Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert status_of(e) == 304

    e = fail(s3.get_object, Bucket=bucket, Key="cond", IfMatch=other)
    assert error_code(e) == "PreconditionFailed" and status_of(e) == 412
    e = fail(s3.head_object, Bucket=bucket, Key="cond", IfMatch=other)
    assert status_of(e) == 412

    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag)["Body"].read() == data
    assert s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=other)["Body"].read() == data
    assert s3.head_object(Bucket=bucket, Key="cond", IfMatch=etag)["ETag"] == etag


def test_delete_object_is_idempotent(s3, bucket):
    assert s3.delete_object(Bucket=bucket, Key="never-existed")["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.put_object(Bucket=bucket, Key="doomed", Body=b"bye")
    assert s3.delete_object(Bucket=bucket, Key="doomed")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert error_code(fail(s3.get_object, Bucket=bucket, Key="doomed")) == "NoSuchKey"
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == []
    assert s3.delete_object(Bucket=bucket, Key="doomed")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_objects(s3, bucket):
    put_keys(s3, bucket, ["a", "b", "c d", "ü+", "stay"])
    resp = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": k} for k in ["a", "b", "c d", "ü+", "missing"]]},
    )
    assert sorted(d["Key"] for d in resp["Deleted"]) == sorted(["a", "b", "c d", "ü+", "missing"])
    assert not resp.get("Errors"), resp.get("Errors")
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["stay"]

    put_keys(s3, bucket, ["q1", "q2"])
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q1"}, {"Key": "q2"}], "Quiet": True})
    assert not quiet.get("Deleted"), quiet
    assert not quiet.get("Errors"), quiet
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["stay"]


def test_copy_object_in_the_same_bucket(s3, bucket):
    data = os.urandom(3000)
    source = "source dir/ünï file+1.bin"
    etag = s3.put_object(
        Bucket=bucket, Key=source, Body=data, ContentType="image/png", Metadata={"owner": "alice", "n": "1"}
    )["ETag"]
    copied = s3.copy_object(Bucket=bucket, Key="copy.bin", CopySource={"Bucket": bucket, "Key": source})
    assert copied["CopyObjectResult"]["ETag"] == etag
    got = s3.get_object(Bucket=bucket, Key="copy.bin")
    assert got["Body"].read() == data
    assert got["ETag"] == etag
    assert got["ContentType"] == "image/png"
    assert got["Metadata"] == {"owner": "alice", "n": "1"}
    # The source is untouched.
    assert s3.get_object(Bucket=bucket, Key=source)["Body"].read() == data
    # The copy is independent of the source.
    s3.delete_object(Bucket=bucket, Key=source)
    assert s3.get_object(Bucket=bucket, Key="copy.bin")["Body"].read() == data


def test_copy_object_across_buckets(s3, bucket):
    other = bucket_name()
    s3.create_bucket(Bucket=other)
    data = os.urandom(777)
    s3.put_object(Bucket=bucket, Key="from", Body=data, ContentType="text/x-copy", Metadata={"k": "v"})
    s3.copy_object(Bucket=other, Key="to/here", CopySource={"Bucket": bucket, "Key": "from"})
    got = s3.get_object(Bucket=other, Key="to/here")
    assert got["Body"].read() == data
    assert got["ContentType"] == "text/x-copy"
    assert got["Metadata"] == {"k": "v"}
    assert got["ETag"] == md5_etag(data)


def test_copy_object_from_missing_source(s3, bucket):
    e = fail(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "no-such-source"})
    assert error_code(e) == "NoSuchKey" and status_of(e) == 404
    e = fail(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket_name(), "Key": "k"})
    assert error_code(e) == "NoSuchBucket" and status_of(e) == 404
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == []


# ---- listings ------------------------------------------------------------------------------------


def test_list_v2_prefix_and_delimiter(s3, bucket):
    put_keys(s3, bucket, ["a/1", "a/2", "b/1", "c", "d/e/f", "d/e/g", "d/h", "da"])
    everything = s3.list_objects_v2(Bucket=bucket)
    assert keys_of(everything) == ["a/1", "a/2", "b/1", "c", "d/e/f", "d/e/g", "d/h", "da"]
    assert everything["KeyCount"] == 8 and everything["IsTruncated"] is False
    for o in everything["Contents"]:
        assert o["Size"] == len(o["Key"])
        assert o["ETag"] == md5_etag(o["Key"].encode())
        assert o["LastModified"]

    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert prefixes_of(top) == ["a/", "b/", "d/"]
    assert keys_of(top) == ["c", "da"]

    d = s3.list_objects_v2(Bucket=bucket, Prefix="d/", Delimiter="/")
    assert prefixes_of(d) == ["d/e/"]
    assert keys_of(d) == ["d/h"]

    assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="d")) == ["d/e/f", "d/e/g", "d/h", "da"]
    assert keys_of(s3.list_objects_v2(Bucket=bucket, Prefix="zzz")) == []
    assert s3.list_objects_v2(Bucket=bucket, Prefix="zzz")["KeyCount"] == 0


def test_list_v2_pagination(s3, bucket):
    keys = [f"page/key-{i:02d}" for i in range(25)]
    put_keys(s3, bucket, reversed(keys))

    seen, token, pages = [], None, []
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=10, **kw)
        pages.append(page)
        seen += keys_of(page)
        if not page["IsTruncated"]:
            assert not page.get("NextContinuationToken")
            break
        token = page["NextContinuationToken"]
        assert token
        assert len(pages) < 10, "pagination does not end"
    assert seen == keys
    assert [p["KeyCount"] for p in pages] == [10, 10, 5]
    assert [p["MaxKeys"] for p in pages] == [10, 10, 10]

    # boto3's paginator agrees.
    paginated = [k for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 7}) for k in keys_of(p)]
    assert paginated == keys

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="page/key-19")
    assert keys_of(after) == keys[20:]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="page/key-19x", MaxKeys=3)
    assert keys_of(after) == keys[20:23] and after["IsTruncated"] is True
    assert after["StartAfter"] == "page/key-19x"

    # Pagination with a delimiter counts common prefixes among the keys of a page.
    put_keys(s3, bucket, ["dirs/x/1", "dirs/y/1", "dirs/z/1", "dirs/z/2"])
    first = s3.list_objects_v2(Bucket=bucket, Prefix="dirs/", Delimiter="/", MaxKeys=2)
    assert prefixes_of(first) == ["dirs/x/", "dirs/y/"] and first["IsTruncated"] is True
    rest = s3.list_objects_v2(
        Bucket=bucket, Prefix="dirs/", Delimiter="/", MaxKeys=2, ContinuationToken=first["NextContinuationToken"]
    )
    assert prefixes_of(rest) == ["dirs/z/"] and rest["IsTruncated"] is False


def test_list_v1_marker(s3, bucket):
    keys = [f"v1/key-{i:02d}" for i in range(25)]
    put_keys(s3, bucket, keys)
    first = s3.list_objects(Bucket=bucket, MaxKeys=10)
    assert keys_of(first) == keys[:10] and first["IsTruncated"] is True
    second = s3.list_objects(Bucket=bucket, MaxKeys=10, Marker=keys[9])
    assert keys_of(second) == keys[10:20] and second["IsTruncated"] is True
    assert second["Marker"] == keys[9]
    third = s3.list_objects(Bucket=bucket, MaxKeys=10, Marker=keys[19])
    assert keys_of(third) == keys[20:] and third["IsTruncated"] is False
    assert keys_of(s3.list_objects(Bucket=bucket, Marker="v1/key-07x")) == keys[8:]

    paginated = [k for p in s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 6}) for k in keys_of(p)]
    assert paginated == keys

    # With a delimiter, a truncated v1 listing names its NextMarker.
    put_keys(s3, bucket, ["v1dirs/a/1", "v1dirs/b/1", "v1dirs/c"])
    page = s3.list_objects(Bucket=bucket, Prefix="v1dirs/", Delimiter="/", MaxKeys=1)
    assert prefixes_of(page) == ["v1dirs/a/"] and page["IsTruncated"] is True
    assert page["NextMarker"]
    page = s3.list_objects(Bucket=bucket, Prefix="v1dirs/", Delimiter="/", Marker=page["NextMarker"])
    assert prefixes_of(page) == ["v1dirs/b/"] and keys_of(page) == ["v1dirs/c"]


def test_awkward_keys_round_trip(s3, bucket):
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    expected = sorted(AWKWARD_KEYS, key=lambda k: k.encode())
    # boto3 asks for encoding-type=url and decodes.
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == expected
    assert keys_of(s3.list_objects(Bucket=bucket)) == expected
    for key in AWKWARD_KEYS:
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == key.encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode())
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert prefixes_of(top) == sorted(["both + and space/", "ünïcödé/", "trailing-slash-dir/"], key=lambda k: k.encode())
    inner = s3.list_objects_v2(Bucket=bucket, Prefix="ünïcödé/")
    assert keys_of(inner) == ["ünïcödé/日本語 ファイル.txt"]
    plus = s3.list_objects_v2(Bucket=bucket, Prefix="both + and", Delimiter="/")
    assert prefixes_of(plus) == ["both + and space/"]


def test_encoding_type_url_on_the_wire(server, bucket):
    """The raw XML of ListObjectsV2 with encoding-type=url: keys percent-encoded (a literal `+` as %2B),
    `<EncodingType>url</EncodingType>` present."""
    s3 = server.s3(signature_version="s3v4")
    for key in AWKWARD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    url = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": bucket, "EncodingType": "url"}, ExpiresIn=300)
    status, headers, body = http_raw("GET", url)
    assert status == 200, body[:500]
    root = ElementTree.fromstring(body)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    assert root.findtext(f"{ns}EncodingType") == "url"
    raw = [c.findtext(f"{ns}Key") for c in root.findall(f"{ns}Contents")]
    assert sorted(unquote_plus(k) for k in raw) == sorted(AWKWARD_KEYS)
    for encoded in raw:
        assert " " not in encoded and "<" not in encoded and "&" not in encoded, encoded
        assert all(ord(ch) < 128 for ch in encoded), encoded
    assert [unquote_plus(k) for k in raw if "plus" in unquote_plus(k)] == ["plus+sign.txt"]


def test_large_single_put(s3, bucket):
    data = os.urandom(6 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="big", Body=data)
    got = s3.get_object(Bucket=bucket, Key="big")
    body = got["Body"].read()
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest()
    assert got["ETag"] == md5_etag(data)


def test_a_version_1_listing_answers_its_prefix_as_given(s3, bucket):
    s3.put_object(Bucket=bucket, Key="line\nbreak/a", Body=b"x")
    listed = s3.list_objects(Bucket=bucket, Prefix="line\n")
    assert listed["Prefix"] == "line\n"
    assert keys_of(listed) == ["line\nbreak/a"]
