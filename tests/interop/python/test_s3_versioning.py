"""Versioning as S3 defines it, through boto3 and the AWS CLI.

A bucket starts with no versioning status; once Enabled it can be Suspended but never unversioned again.
While Enabled every write makes a new version with its own id, a DELETE without a version id makes a delete
marker the current version (the key then reads as missing, the answer saying it is a delete marker), and a
DELETE naming a version removes that version for good, the next newest becoming current. Objects written
before versioning, or while it is suspended, are the `null` version; a suspended bucket's write or delete
replaces the null version. ListObjectVersions lists every version and marker, newest first within a key,
pages with key and version-id markers and rolls keys up at a delimiter. Reads, copies, tags and attributes
take a version id; a delete marker's version cannot be read (405) or copied. A bucket holding any version
or marker is not empty. IAM decides reads of a named version by `s3:GetObjectVersion`, not `s3:GetObject`.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

from conftest import doc, error_code, fail, status, unique


def new_bucket(s3, versioning: str | None = "Enabled") -> str:
    name = unique("ver-")
    s3.create_bucket(Bucket=name)
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    return name


def body(s3, bucket: str, key: str, **kw) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def listed(s3, bucket: str, **kw) -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is latest, is a delete marker) of every entry as the answer's XML lists them: delete
    markers, then versions, each by key and newest first (boto3 would split them into two lists)."""
    captured = {}

    def keep(http_response, **_):
        captured["body"] = http_response.content

    s3.meta.events.register("after-call.s3.ListObjectVersions", keep)
    try:
        s3.list_object_versions(Bucket=bucket, **kw)
    finally:
        s3.meta.events.unregister("after-call.s3.ListObjectVersions", keep)
    entries = []
    for child in ElementTree.fromstring(captured["body"]):
        tag = child.tag.split("}")[-1]
        if tag in ("Version", "DeleteMarker"):
            text = lambda name: child.find(f"{{*}}{name}").text  # noqa: E731
            entries.append((text("Key"), text("VersionId"), text("IsLatest") == "true", tag == "DeleteMarker"))
    return entries


# ---- the bucket's state --------------------------------------------------------------------------


def test_versioning_starts_unset_and_moves_between_enabled_and_suspended(s3):
    name = new_bucket(s3, versioning=None)
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    for state in ("Enabled", "Suspended", "Enabled"):
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": state})
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == state


def test_versioning_refuses_other_states_and_missing_buckets(s3):
    name = new_bucket(s3, versioning=None)
    e = fail(s3.put_bucket_versioning, Bucket=name, VersioningConfiguration={"Status": "Disabled"})
    assert (error_code(e), status(e)) == ("MalformedXML", 400)
    assert "Status" not in s3.get_bucket_versioning(Bucket=name), "nothing changed"
    e = fail(s3.put_bucket_versioning, Bucket=unique("nobucket-"), VersioningConfiguration={"Status": "Enabled"})
    assert error_code(e) == "NoSuchBucket"
    e = fail(s3.get_bucket_versioning, Bucket=unique("nobucket-"))
    assert error_code(e) == "NoSuchBucket"


def test_an_unversioned_bucket_answers_no_version_ids(s3):
    name = new_bucket(s3, versioning=None)
    put = s3.put_object(Bucket=name, Key="k", Body=b"one")
    assert "VersionId" not in put
    assert "VersionId" not in s3.get_object(Bucket=name, Key="k")
    deleted = s3.delete_object(Bucket=name, Key="k")
    assert "DeleteMarker" not in deleted and "VersionId" not in deleted
    assert "Versions" not in s3.list_object_versions(Bucket=name)
    s3.delete_bucket(Bucket=name)


# ---- versions of one key -------------------------------------------------------------------------


def test_every_write_makes_a_version_readable_by_its_id(s3):
    name = new_bucket(s3)
    ids = [s3.put_object(Bucket=name, Key="doc", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    assert len(set(ids)) == 3 and all(ids)
    assert body(s3, name, "doc") == b"v2"
    for i, vid in enumerate(ids):
        got = s3.get_object(Bucket=name, Key="doc", VersionId=vid)
        assert got["Body"].read() == f"v{i}".encode() and got["VersionId"] == vid
        assert s3.head_object(Bucket=name, Key="doc", VersionId=vid)["ContentLength"] == 2
    assert s3.get_object(Bucket=name, Key="doc")["VersionId"] == ids[2]
    assert listed(s3, name) == [("doc", ids[2], True, False), ("doc", ids[1], False, False), ("doc", ids[0], False, False)]


def test_a_delete_makes_a_marker_current_and_the_key_reads_as_missing(s3):
    name = new_bucket(s3)
    vid = s3.put_object(Bucket=name, Key="doc", Body=b"kept")["VersionId"]
    deleted = s3.delete_object(Bucket=name, Key="doc")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert marker and marker != vid

    e = fail(s3.get_object, Bucket=name, Key="doc")
    assert (error_code(e), status(e)) == ("NoSuchKey", 404)
    headers = e.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true" and headers["x-amz-version-id"] == marker
    e = fail(s3.head_object, Bucket=name, Key="doc")
    assert status(e) == 404 and e.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"

    # The marker's own version cannot be read; the object's still can.
    e = fail(s3.get_object, Bucket=name, Key="doc", VersionId=marker)
    assert (error_code(e), status(e)) == ("MethodNotAllowed", 405)
    assert e.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert body(s3, name, "doc", VersionId=vid) == b"kept"
    assert listed(s3, name) == [("doc", marker, True, True), ("doc", vid, False, False)]
    assert "Contents" not in s3.list_objects_v2(Bucket=name), "a listing of current objects skips the key"

    # Deleting the marker brings the object back.
    undone = s3.delete_object(Bucket=name, Key="doc", VersionId=marker)
    assert undone["DeleteMarker"] is True and undone["VersionId"] == marker
    assert body(s3, name, "doc") == b"kept"
    assert listed(s3, name) == [("doc", vid, True, False)]


def test_deleting_markers_stacks_them(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="a", Body=b"x")
    markers = [s3.delete_object(Bucket=name, Key="a")["VersionId"] for _ in range(3)]
    entries = listed(s3, name)
    assert [e[1] for e in entries[:3]] == markers[::-1]
    assert [e[2] for e in entries] == [True, False, False, False]
    assert [e[3] for e in entries] == [True, True, True, False]


def test_deleting_the_current_version_makes_the_previous_one_current(s3):
    name = new_bucket(s3)
    ids = [s3.put_object(Bucket=name, Key="doc", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    gone = s3.delete_object(Bucket=name, Key="doc", VersionId=ids[2])
    assert gone["VersionId"] == ids[2] and "DeleteMarker" not in gone
    assert body(s3, name, "doc") == b"v1"
    # A version in the middle goes without changing the current one.
    s3.delete_object(Bucket=name, Key="doc", VersionId=ids[0])
    assert body(s3, name, "doc") == b"v1"
    assert listed(s3, name) == [("doc", ids[1], True, False)]
    e = fail(s3.get_object, Bucket=name, Key="doc", VersionId=ids[0])
    assert (error_code(e), status(e)) == ("NoSuchVersion", 404)
    # Deleting a version that is not there succeeds, as S3's DELETE is idempotent.
    s3.delete_object(Bucket=name, Key="doc", VersionId=ids[0])
    s3.delete_object(Bucket=name, Key="doc", VersionId=ids[1])
    e = fail(s3.get_object, Bucket=name, Key="doc")
    assert status(e) == 404 and "x-amz-delete-marker" not in e.response["ResponseMetadata"]["HTTPHeaders"]
    assert "Versions" not in s3.list_object_versions(Bucket=name)


def test_version_ids_that_cannot_be_ours_are_invalid(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="doc", Body=b"x")
    for call in (s3.get_object, s3.head_object, s3.delete_object):
        e = fail(call, Bucket=name, Key="doc", VersionId="not-a-version")
        assert status(e) == 400, call
    e = fail(s3.get_object, Bucket=name, Key="doc", VersionId="0" * 32)
    assert (error_code(e), status(e)) == ("NoSuchVersion", 404)


# ---- the null version ----------------------------------------------------------------------------


def test_an_object_written_before_versioning_is_the_null_version(s3):
    name = new_bucket(s3, versioning=None)
    s3.put_object(Bucket=name, Key="doc", Body=b"before")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    after = s3.put_object(Bucket=name, Key="doc", Body=b"after")["VersionId"]
    assert listed(s3, name) == [("doc", after, True, False), ("doc", "null", False, False)]
    got = s3.get_object(Bucket=name, Key="doc", VersionId="null")
    assert got["Body"].read() == b"before" and got["VersionId"] == "null"
    s3.delete_object(Bucket=name, Key="doc", VersionId=after)
    assert body(s3, name, "doc") == b"before"
    s3.delete_object(Bucket=name, Key="doc", VersionId="null")
    assert status(fail(s3.get_object, Bucket=name, Key="doc")) == 404
    assert "Versions" not in s3.list_object_versions(Bucket=name)


def test_a_suspended_bucket_writes_and_deletes_the_null_version(s3):
    name = new_bucket(s3)
    kept = s3.put_object(Bucket=name, Key="doc", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=name, Key="doc", Body=b"null 1")
    assert "VersionId" not in put, "a suspended bucket's writes answer no version id"
    s3.put_object(Bucket=name, Key="doc", Body=b"null 2")
    assert listed(s3, name) == [("doc", "null", True, False), ("doc", kept, False, False)], "the second null replaced the first"
    assert body(s3, name, "doc") == b"null 2"

    deleted = s3.delete_object(Bucket=name, Key="doc")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    assert listed(s3, name) == [("doc", "null", True, True), ("doc", kept, False, False)], "the null marker replaced the null version"
    s3.delete_object(Bucket=name, Key="doc", VersionId="null")
    assert body(s3, name, "doc") == b"versioned"


# ---- listing -------------------------------------------------------------------------------------


def test_listing_pages_with_key_and_version_markers(s3):
    name = new_bucket(s3)
    expected = []
    for key in ("a", "b", "c"):
        ids = [s3.put_object(Bucket=name, Key=key, Body=b"x")["VersionId"] for _ in range(3)]
        expected += [(key, vid) for vid in reversed(ids)]
    seen = []
    kw: dict = {}
    pages = 0
    while True:
        answer = s3.list_object_versions(Bucket=name, MaxKeys=2, **kw)
        pages += 1
        seen += [(v["Key"], v["VersionId"]) for v in answer.get("Versions", [])]
        if not answer["IsTruncated"]:
            break
        kw = {"KeyMarker": answer["NextKeyMarker"], "VersionIdMarker": answer["NextVersionIdMarker"]}
    assert pages == 5
    # boto3 keeps each page's order; within a key the newest comes first.
    assert seen == expected
    # A key marker alone starts after every version of that key.
    after_b = s3.list_object_versions(Bucket=name, KeyMarker="b")
    assert [(v["Key"], v["VersionId"]) for v in after_b["Versions"]] == expected[6:]
    e = fail(s3.list_object_versions, Bucket=name, VersionIdMarker=expected[0][1])
    assert status(e) == 400, "a version-id marker needs a key marker"


def test_a_client_deleting_each_page_before_the_next_empties_the_bucket(s3):
    name = new_bucket(s3)
    for key in ("a", "b", "c"):
        for _ in range(3):
            s3.put_object(Bucket=name, Key=key, Body=b"x")
        s3.delete_object(Bucket=name, Key=key)
    kw: dict = {}
    while True:
        answer = s3.list_object_versions(Bucket=name, MaxKeys=2, **kw)
        entries = answer.get("Versions", []) + answer.get("DeleteMarkers", [])
        if entries:
            s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]})
        if not answer["IsTruncated"]:
            break
        # The markers name versions just deleted: the listing goes on with what is left.
        kw = {"KeyMarker": answer["NextKeyMarker"], "VersionIdMarker": answer["NextVersionIdMarker"]}
    s3.delete_bucket(Bucket=name)


def test_listing_rolls_keys_up_at_a_delimiter_and_filters_by_prefix(s3):
    name = new_bucket(s3)
    for key in ("photos/1.jpg", "photos/2.jpg", "docs/a.txt", "top.txt"):
        s3.put_object(Bucket=name, Key=key, Body=b"1")
        s3.put_object(Bucket=name, Key=key, Body=b"2")
    s3.delete_object(Bucket=name, Key="docs/a.txt")
    answer = s3.list_object_versions(Bucket=name, Delimiter="/")
    assert [p["Prefix"] for p in answer["CommonPrefixes"]] == ["docs/", "photos/"]
    assert {v["Key"] for v in answer["Versions"]} == {"top.txt"} and len(answer["Versions"]) == 2
    under = s3.list_object_versions(Bucket=name, Prefix="docs/")
    assert len(under["Versions"]) == 2 and len(under["DeleteMarkers"]) == 1
    assert under["DeleteMarkers"][0]["IsLatest"] is True
    paged = s3.list_object_versions(Bucket=name, Delimiter="/", MaxKeys=1)
    assert paged["IsTruncated"] and paged["NextKeyMarker"] == "docs/"
    rest = s3.list_object_versions(Bucket=name, Delimiter="/", KeyMarker="docs/")
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["photos/"]


def test_listing_carries_what_head_answers(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"hello")
    head = s3.head_object(Bucket=name, Key="k")
    (version,) = s3.list_object_versions(Bucket=name)["Versions"]
    assert version["VersionId"] == head["VersionId"] and version["ETag"] == head["ETag"] and version["Size"] == 5
    assert version["Owner"]["ID"] and version["StorageClass"] == "STANDARD"


# ---- many keys, copies, multipart, tags ----------------------------------------------------------


def test_multi_object_delete_names_versions_and_makes_markers(s3):
    name = new_bucket(s3)
    ids = [s3.put_object(Bucket=name, Key="k", Body=f"{i}".encode())["VersionId"] for i in range(2)]
    made = s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": "other"}]})["Deleted"]
    assert made[0]["DeleteMarker"] is True and made[0]["DeleteMarkerVersionId"]
    objects = [{"Key": "k", "VersionId": v} for v in ids] + [{"Key": "other", "VersionId": made[0]["DeleteMarkerVersionId"]}]
    answer = s3.delete_objects(Bucket=name, Delete={"Objects": objects})
    assert sorted(d["VersionId"] for d in answer["Deleted"]) == sorted(o["VersionId"] for o in objects)
    marker_entry = next(d for d in answer["Deleted"] if d["Key"] == "other")
    assert marker_entry["DeleteMarker"] is True
    answer = s3.list_object_versions(Bucket=name)
    assert "Versions" not in answer and "DeleteMarkers" not in answer
    again = s3.delete_objects(Bucket=name, Delete={"Objects": objects})
    assert len(again["Deleted"]) == 3 and "Errors" not in again


def test_a_copy_reads_the_version_it_names(s3):
    name = new_bucket(s3)
    ids = [s3.put_object(Bucket=name, Key="src", Body=f"v{i}".encode())["VersionId"] for i in range(2)]
    copied = s3.copy_object(Bucket=name, Key="dst", CopySource={"Bucket": name, "Key": "src", "VersionId": ids[0]})
    assert copied["CopySourceVersionId"] == ids[0] and copied["VersionId"] not in ids
    assert body(s3, name, "dst") == b"v0"
    plain = new_bucket(s3, versioning=None)
    copied = s3.copy_object(Bucket=plain, Key="dst", CopySource={"Bucket": name, "Key": "src", "VersionId": ids[1]})
    assert "VersionId" not in copied
    assert body(s3, plain, "dst") == b"v1"
    marker = s3.delete_object(Bucket=name, Key="src")["VersionId"]
    e = fail(s3.copy_object, Bucket=name, Key="dst2", CopySource={"Bucket": name, "Key": "src", "VersionId": marker})
    assert status(e) == 400
    e = fail(s3.copy_object, Bucket=name, Key="dst2", CopySource={"Bucket": name, "Key": "src"})
    assert status(e) == 404


def test_a_completed_multipart_upload_is_a_new_version(s3):
    name = new_bucket(s3)
    first = s3.put_object(Bucket=name, Key="big", Body=b"small")["VersionId"]
    upload = s3.create_multipart_upload(Bucket=name, Key="big")["UploadId"]
    part = s3.upload_part(Bucket=name, Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 1024)
    done = s3.complete_multipart_upload(
        Bucket=name, Key="big", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    assert done["VersionId"] and done["VersionId"] != first
    assert listed(s3, name) == [("big", done["VersionId"], True, False), ("big", first, False, False)]
    assert body(s3, name, "big", VersionId=first) == b"small"


def test_tags_and_attributes_of_a_named_version(s3):
    name = new_bucket(s3)
    old = s3.put_object(Bucket=name, Key="k", Body=b"old", Tagging="gen=1")["VersionId"]
    s3.put_object(Bucket=name, Key="k", Body=b"newer", Tagging="gen=2")
    assert s3.get_object_tagging(Bucket=name, Key="k", VersionId=old)["TagSet"] == [{"Key": "gen", "Value": "1"}]
    answer = s3.put_object_tagging(Bucket=name, Key="k", VersionId=old, Tagging={"TagSet": [{"Key": "gen", "Value": "old"}]})
    assert answer["VersionId"] == old
    assert s3.get_object_tagging(Bucket=name, Key="k", VersionId=old)["TagSet"] == [{"Key": "gen", "Value": "old"}]
    assert s3.get_object_tagging(Bucket=name, Key="k")["TagSet"] == [{"Key": "gen", "Value": "2"}], "the current one kept its tags"
    attributes = s3.get_object_attributes(Bucket=name, Key="k", VersionId=old, ObjectAttributes=["ObjectSize"])
    assert attributes["ObjectSize"] == 3 and attributes["VersionId"] == old


# ---- the bucket as a whole -----------------------------------------------------------------------


def test_a_bucket_holding_versions_or_markers_is_not_empty(s3):
    name = new_bucket(s3)
    vid = s3.put_object(Bucket=name, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=name, Key="k")["VersionId"]
    e = fail(s3.delete_bucket, Bucket=name)
    assert (error_code(e), status(e)) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="k", VersionId=vid)
    e = fail(s3.delete_bucket, Bucket=name)
    assert error_code(e) == "BucketNotEmpty", "a lone delete marker still counts"
    s3.delete_object(Bucket=name, Key="k", VersionId=marker)
    s3.delete_bucket(Bucket=name)


def test_reading_a_named_version_needs_get_object_version(server, s3):
    iam = server.client("iam")
    name = new_bucket(s3)
    vid = s3.put_object(Bucket=name, Key="k", Body=b"x")["VersionId"]
    user = unique("veruser")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    reader = server.s3(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    iam.put_user_policy(
        UserName=user,
        PolicyName="current-only",
        PolicyDocument=doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{name}/*"}),
    )
    assert body(reader, name, "k") == b"x"
    assert status(fail(reader.get_object, Bucket=name, Key="k", VersionId=vid)) == 403
    assert status(fail(reader.delete_object, Bucket=name, Key="k", VersionId=vid)) == 403
    iam.put_user_policy(
        UserName=user,
        PolicyName="versions",
        PolicyDocument=doc({"Effect": "Allow", "Action": "s3:GetObjectVersion", "Resource": f"arn:aws:s3:::{name}/*"}),
    )
    assert body(reader, name, "k", VersionId=vid) == b"x"


def test_the_aws_cli_lists_and_reads_versions(server, s3, tmp_path):
    name = new_bucket(s3)
    ids = [s3.put_object(Bucket=name, Key="f.txt", Body=f"v{i}".encode())["VersionId"] for i in range(2)]
    state = server.aws_json("s3api", "get-bucket-versioning", "--bucket", name)
    assert state["Status"] == "Enabled"
    versions = server.aws_json("s3api", "list-object-versions", "--bucket", name)["Versions"]
    assert [v["VersionId"] for v in versions] == ids[::-1]
    out = tmp_path / "old.txt"
    server.aws("s3api", "get-object", "--bucket", name, "--key", "f.txt", "--version-id", ids[0], str(out))
    assert out.read_bytes() == b"v0"
    server.aws("s3api", "put-bucket-versioning", "--bucket", name, "--versioning-configuration", json.dumps({"Status": "Suspended"}))
    assert server.aws_json("s3api", "get-bucket-versioning", "--bucket", name)["Status"] == "Suspended"
