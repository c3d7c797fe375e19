"""Bucket settings and the bucket life cycle around them, as S3 answers them to boto3 and the AWS CLI.

A bucket whose only content is an unfinished multipart upload can be deleted (the upload goes with it),
while one holding an object is not empty. Completing a multipart upload again with the same upload id
answers the same object as long as the key still holds it. Buckets live in the server's region: a
us-east-1 server takes no LocationConstraint (and answers 200 when its owner creates an existing bucket
again), a server of another region wants its own region named and says BucketAlreadyOwnedByYou instead.

Listings carry the owner's 64-hex canonical id (ListObjects always, ListObjectsV2 on FetchOwner),
MaxKeys=0 lists nothing without being truncated, and ListBuckets pages by name with continuation tokens
and filters by prefix. Buckets and objects carry tag sets with S3's limits (50 on a bucket; 10 on an
object, keys up to 128 and values up to 256 characters, no `aws:` keys, no key twice), set with the
Tagging header on PutObject, CreateMultipartUpload and CopyObject (COPY or REPLACE). ACLs are disabled as
on every new bucket (BucketOwnerEnforced): reads answer the owner's single FULL_CONTROL grant and only
private ACLs are accepted; Block Public Access is on by default. Bucket policies are checked when put
(valid JSON, this bucket's resources, a Principal on every statement, no public grant while public
policies are blocked) and evaluated on every request together with the caller's IAM policies: an
explicit deny wins, even over the account root, except that the root keeps managing the policy itself;
an allow naming an IAM user or a role lets it in. A new bucket has no versioning status.
Lifecycle rules are kept as given (a Filter of one condition, or an And of several), checked as S3 checks
them, and refused for transitions (there is one storage class). An object a rule will expire says when
and by which rule in `x-amz-expiration` on PUT, HEAD and GET, its tags counted as they are now.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from botocore.config import Config

from conftest import REGION, doc, error_code, error_message, fail, status, unique

OTHER_REGION = "eu-central-1"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# ---- helpers -------------------------------------------------------------------------------------


def new_bucket(s3, **kw) -> str:
    name = unique("set-")
    s3.create_bucket(Bucket=name, **kw)
    return name


def code_status(exc) -> tuple[str, int]:
    return error_code(exc), status(exc)


def refused(exc) -> str:
    """What a refusal said, for assertion messages."""
    return f"{status(exc)} {error_code(exc)}: {error_message(exc)}"


def tags(**pairs) -> list[dict]:
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def tag_list(n: int, prefix: str = "k") -> list[dict]:
    return [{"Key": f"{prefix}{i:02d}", "Value": f"v{i}"} for i in range(n)]


def object_tags(s3, bucket: str, key: str) -> list[dict]:
    return s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]


def owner_id(s3) -> str:
    return s3.list_buckets()["Owner"]["ID"]


def regional_s3(srv, region: str, validate: bool = True):
    """S3 client of `srv` signing for `region` (path-style, root credentials)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=srv.endpoint,
        region_name=region,
        aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key,
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=10,
            read_timeout=60,
            s3={"addressing_style": "path"},
            parameter_validation=validate,
        ),
    )


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def public_read(bucket: str) -> str:
    return policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    )


@pytest.fixture(scope="module")
def acct(server):
    return server.client("sts").get_caller_identity()["Account"]


def iam_user_s3(server, iam) -> tuple[str, str, object]:
    """An IAM user with no policies, its ARN and an S3 client signed with its access key."""
    name = unique("bsuser")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, arn, server.s3(access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])


@pytest.fixture(scope="module")
def regional(server_factory):
    """A second server whose region is OTHER_REGION, and an S3 client for that region."""
    srv = server_factory(S3COGNITO_REGION=OTHER_REGION)
    return srv, regional_s3(srv, OTHER_REGION)


# ---- deleting buckets ----------------------------------------------------------------------------


def test_a_bucket_holding_only_an_unfinished_multipart_upload_can_be_deleted(s3):
    name = new_bucket(s3)
    upload = s3.create_multipart_upload(Bucket=name, Key="big.bin")
    s3.upload_part(Bucket=name, Key="big.bin", UploadId=upload["UploadId"], PartNumber=1, Body=b"p" * 1024)
    deleted = s3.delete_bucket(Bucket=name)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert status(fail(s3.head_bucket, Bucket=name)) == 404


def test_a_bucket_holding_an_object_is_not_empty(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="kept.txt", Body=b"kept")
    assert code_status(fail(s3.delete_bucket, Bucket=name)) == ("BucketNotEmpty", 409)
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200


# ---- completing a multipart upload again ---------------------------------------------------------


def completed_upload(s3, bucket: str, key: str) -> tuple[str, dict, str]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"only part")
    parts = {"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]}
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload=parts)
    return upload_id, parts, done["ETag"]


def test_completing_a_multipart_upload_again_answers_the_same_etag(s3):
    name = new_bucket(s3)
    upload_id, parts, etag = completed_upload(s3, name, "doc.bin")
    again = s3.complete_multipart_upload(Bucket=name, Key="doc.bin", UploadId=upload_id, MultipartUpload=parts)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert again["ETag"] == etag
    assert s3.get_object(Bucket=name, Key="doc.bin")["Body"].read() == b"only part"


def test_completing_again_under_another_key_is_no_such_upload(s3):
    name = new_bucket(s3)
    upload_id, parts, _ = completed_upload(s3, name, "doc.bin")
    exc = fail(s3.complete_multipart_upload, Bucket=name, Key="other.bin", UploadId=upload_id, MultipartUpload=parts)
    assert code_status(exc) == ("NoSuchUpload", 404), refused(exc)


def test_completing_again_after_the_key_was_overwritten_is_no_such_upload(s3):
    name = new_bucket(s3)
    upload_id, parts, _ = completed_upload(s3, name, "doc.bin")
    s3.put_object(Bucket=name, Key="doc.bin", Body=b"newer")
    exc = fail(s3.complete_multipart_upload, Bucket=name, Key="doc.bin", UploadId=upload_id, MultipartUpload=parts)
    assert code_status(exc) == ("NoSuchUpload", 404), refused(exc)
    assert s3.get_object(Bucket=name, Key="doc.bin")["Body"].read() == b"newer"


# ---- regions and LocationConstraint --------------------------------------------------------------


@pytest.mark.parametrize(
    "constraint, code",
    [
        ("us-east-1", "InvalidLocationConstraint"),
        ("eu-west-1", "IllegalLocationConstraintException"),
        ("bogus", "InvalidLocationConstraint"),
    ],
)
def test_a_us_east_1_server_refuses_a_location_constraint(s3, constraint, code):
    name = unique("set-")
    exc = fail(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": constraint})
    assert code_status(exc) == (code, 400), refused(exc)
    assert status(fail(s3.head_bucket, Bucket=name)) == 404


def test_a_us_east_1_bucket_has_an_empty_location_and_its_owner_may_create_it_again(s3):
    name = new_bucket(s3)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    again = s3.create_bucket(Bucket=name)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_server_of_another_region_wants_its_region_named(regional):
    _, s3 = regional
    name = unique("set-")
    exc = fail(s3.create_bucket, Bucket=name)
    assert code_status(exc) == ("IllegalLocationConstraintException", 400), refused(exc)


def test_a_bucket_in_another_region_reports_it_and_is_already_owned_when_created_again(regional):
    _, s3 = regional
    name = unique("set-")
    made = s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == OTHER_REGION
    exc = fail(s3.create_bucket, Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    assert code_status(exc) == ("BucketAlreadyOwnedByYou", 409), refused(exc)
    listed = s3.list_buckets(Prefix=name)["Buckets"]
    assert [(b["Name"], b.get("BucketRegion")) for b in listed] == [(name, OTHER_REGION)]


# ---- listings ------------------------------------------------------------------------------------


def test_max_keys_zero_lists_nothing_and_is_not_truncated(s3):
    name = new_bucket(s3)
    for key in ("a.txt", "b.txt"):
        s3.put_object(Bucket=name, Key=key, Body=b"x")
    v1 = s3.list_objects(Bucket=name, MaxKeys=0)
    assert "Contents" not in v1 and v1["IsTruncated"] is False, v1
    v2 = s3.list_objects_v2(Bucket=name, MaxKeys=0)
    assert "Contents" not in v2 and v2["IsTruncated"] is False, v2


def test_listings_carry_the_owner_v1_always_v2_on_fetch_owner(s3):
    name = new_bucket(s3)
    for key in ("a.txt", "b/c.txt"):
        s3.put_object(Bucket=name, Key=key, Body=b"x")
    me = owner_id(s3)
    assert HEX64.match(me), me
    v1 = s3.list_objects(Bucket=name)["Contents"]
    assert len(v1) == 2 and all(o.get("Owner", {}).get("ID") == me for o in v1), v1
    plain = s3.list_objects_v2(Bucket=name)["Contents"]
    assert len(plain) == 2 and all("Owner" not in o for o in plain), plain
    fetched = s3.list_objects_v2(Bucket=name, FetchOwner=True)["Contents"]
    assert len(fetched) == 2 and all(o.get("Owner", {}).get("ID") == me for o in fetched), fetched


def test_list_buckets_pages_by_name_with_continuation_tokens(s3):
    prefix = unique("pg-")
    mine = [f"{prefix}-{suffix}" for suffix in ("a", "b", "c")]
    for name in reversed(mine):
        s3.create_bucket(Bucket=name)
    everything = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert everything == sorted(everything)

    first = s3.list_buckets(MaxBuckets=1)
    assert len(first["Buckets"]) == 1 and first.get("ContinuationToken"), first
    walked, token, pages = [b["Name"] for b in first["Buckets"]], first["ContinuationToken"], 1
    while token:
        page = s3.list_buckets(MaxBuckets=1, ContinuationToken=token)
        assert len(page["Buckets"]) <= 1, page
        walked += [b["Name"] for b in page["Buckets"]]
        token = page.get("ContinuationToken")
        pages += 1
        assert pages <= len(everything) + 1, "the continuation tokens never end"
    assert walked == everything

    filtered = s3.list_buckets(Prefix=prefix)
    assert [b["Name"] for b in filtered["Buckets"]] == mine
    assert filtered.get("Prefix") == prefix
    assert "ContinuationToken" not in filtered

    paged = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in paged["Buckets"]] == mine[:2]
    rest = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=paged["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == mine[2:]


@pytest.mark.parametrize("max_buckets", [0, 10001])
def test_list_buckets_refuses_max_buckets_out_of_range(server, max_buckets):
    s3 = regional_s3(server, REGION, validate=False)
    exc = fail(s3.list_buckets, MaxBuckets=max_buckets)
    assert code_status(exc) == ("InvalidArgument", 400), refused(exc)


# ---- bucket tagging ------------------------------------------------------------------------------


def test_bucket_tagging_round_trip_answers_tags_by_key_and_delete_removes_it(s3):
    name = new_bucket(s3)
    exc = fail(s3.get_bucket_tagging, Bucket=name)
    assert code_status(exc) == ("NoSuchTagSet", 404), refused(exc)
    tagset = [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}, {"Key": "cost", "Value": "42"}]
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tagset})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == sorted(tagset, key=lambda tag: tag["Key"])
    s3.delete_bucket_tagging(Bucket=name)
    exc = fail(s3.get_bucket_tagging, Bucket=name)
    assert code_status(exc) == ("NoSuchTagSet", 404), refused(exc)


def test_a_bucket_takes_fifty_tags_and_not_fifty_one(s3):
    name = new_bucket(s3)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(50)})
    assert len(s3.get_bucket_tagging(Bucket=name)["TagSet"]) == 50
    exc = fail(s3.put_bucket_tagging, Bucket=name, Tagging={"TagSet": tag_list(51)})
    assert code_status(exc) == ("InvalidTag", 400), refused(exc)


# ---- object tagging ------------------------------------------------------------------------------


def test_object_tags_from_the_tagging_header_replace_and_delete(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="t.txt", Body=b"tagged", Tagging="a=1&b=two%20words")
    assert object_tags(s3, name, "t.txt") == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "two words"}]
    assert s3.get_object(Bucket=name, Key="t.txt")["TagCount"] == 2

    s3.put_object(Bucket=name, Key="plain.txt", Body=b"plain")
    assert "TagCount" not in s3.get_object(Bucket=name, Key="plain.txt")

    s3.put_object_tagging(Bucket=name, Key="t.txt", Tagging={"TagSet": tags(x="9", y="8")})
    assert object_tags(s3, name, "t.txt") == tags(x="9", y="8")

    s3.delete_object_tagging(Bucket=name, Key="t.txt")
    assert object_tags(s3, name, "t.txt") == []


def test_object_tag_limits(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="o.txt", Body=b"o")

    def put(tagset):
        return s3.put_object_tagging(Bucket=name, Key="o.txt", Tagging={"TagSet": tagset})

    def invalid(tagset, why):
        exc = fail(put, tagset)
        assert code_status(exc) == ("InvalidTag", 400), f"{why}: {refused(exc)}"

    put(tag_list(10))
    assert len(object_tags(s3, name, "o.txt")) == 10
    invalid(tag_list(11), "11 tags")
    put([{"Key": "k" * 128, "Value": "v"}])
    invalid([{"Key": "k" * 129, "Value": "v"}], "a 129-character key")
    put([{"Key": "k", "Value": "v" * 256}])
    invalid([{"Key": "k", "Value": "v" * 257}], "a 257-character value")
    invalid([{"Key": "aws:owner", "Value": "v"}], "an aws: key")
    invalid([{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}], "the same key twice")
    assert object_tags(s3, name, "o.txt") == [{"Key": "k", "Value": "v" * 256}]


def test_tagging_a_missing_key_is_no_such_key(s3):
    name = new_bucket(s3)
    exc = fail(s3.put_object_tagging, Bucket=name, Key="missing.txt", Tagging={"TagSet": tags(a="1")})
    assert code_status(exc) == ("NoSuchKey", 404), refused(exc)
    exc = fail(s3.get_object_tagging, Bucket=name, Key="missing.txt")
    assert code_status(exc) == ("NoSuchKey", 404), refused(exc)


def test_copy_object_copies_tags_or_replaces_them(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="src.txt", Body=b"source", Tagging="a=1&b=2")
    source = {"Bucket": name, "Key": "src.txt"}
    s3.copy_object(Bucket=name, Key="copied.txt", CopySource=source)
    assert object_tags(s3, name, "copied.txt") == tags(a="1", b="2")
    s3.copy_object(Bucket=name, Key="replaced.txt", CopySource=source, TaggingDirective="REPLACE", Tagging="c=3")
    assert object_tags(s3, name, "replaced.txt") == tags(c="3")
    s3.copy_object(Bucket=name, Key="bare.txt", CopySource=source, TaggingDirective="REPLACE")
    assert object_tags(s3, name, "bare.txt") == []


def test_a_multipart_upload_keeps_the_tags_it_was_created_with(s3):
    name = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=name, Key="mp.bin", Tagging="m=1")["UploadId"]
    part = s3.upload_part(Bucket=name, Key="mp.bin", UploadId=upload_id, PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(
        Bucket=name, Key="mp.bin", UploadId=upload_id, MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]}
    )
    assert object_tags(s3, name, "mp.bin") == tags(m="1")


def test_put_object_with_invalid_tags_stores_nothing(s3):
    name = new_bucket(s3)
    header = "&".join(f"k{i}=v{i}" for i in range(11))
    exc = fail(s3.put_object, Bucket=name, Key="eleven.txt", Body=b"no", Tagging=header)
    assert code_status(exc) == ("InvalidTag", 400), refused(exc)
    assert status(fail(s3.head_object, Bucket=name, Key="eleven.txt")) == 404


# ---- ACLs and object ownership -------------------------------------------------------------------


def test_acls_answer_the_owners_full_control_grant(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="o.txt", Body=b"o")
    me = owner_id(s3)
    for acl in (s3.get_bucket_acl(Bucket=name), s3.get_object_acl(Bucket=name, Key="o.txt")):
        assert acl["Owner"]["ID"] == me, acl
        assert len(acl["Grants"]) == 1, acl
        grant = acl["Grants"][0]
        assert grant["Grantee"]["Type"] == "CanonicalUser" and grant["Grantee"]["ID"] == me, grant
        assert grant["Permission"] == "FULL_CONTROL", grant


def test_only_private_acls_are_accepted_while_acls_are_disabled(s3):
    name = new_bucket(s3)
    s3.put_bucket_acl(Bucket=name, ACL="private")
    exc = fail(s3.put_bucket_acl, Bucket=name, ACL="public-read")
    assert code_status(exc) == ("AccessControlListNotSupported", 400), refused(exc)

    s3.put_object(Bucket=name, Key="owned.txt", Body=b"o", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=name, Key="private.txt", Body=b"p", ACL="private")
    exc = fail(s3.put_object, Bucket=name, Key="public.txt", Body=b"x", ACL="public-read")
    assert code_status(exc) == ("AccessControlListNotSupported", 400), refused(exc)
    assert status(fail(s3.head_object, Bucket=name, Key="public.txt")) == 404

    exc = fail(s3.put_object_acl, Bucket=name, Key="private.txt", ACL="public-read")
    assert code_status(exc) == ("AccessControlListNotSupported", 400), refused(exc)


def test_creating_a_bucket_with_a_public_acl_is_refused(s3):
    exc = fail(s3.create_bucket, Bucket=unique("set-"), ACL="public-read")
    assert code_status(exc) == ("InvalidBucketAclWithObjectOwnership", 400), refused(exc)


def test_ownership_controls_round_trip(s3):
    name = new_bucket(s3)
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    # ACLs are enabled now, but Block Public Access still refuses a public one.
    exc = fail(s3.put_object, Bucket=name, Key="public.txt", Body=b"x", ACL="public-read")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    s3.delete_bucket_ownership_controls(Bucket=name)
    exc = fail(s3.get_bucket_ownership_controls, Bucket=name)
    assert code_status(exc) == ("OwnershipControlsNotFoundError", 404), refused(exc)


def test_a_bucket_created_with_object_writer_ownership_keeps_it(s3):
    name = new_bucket(s3, ObjectOwnership="ObjectWriter")
    rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]


# ---- Block Public Access -------------------------------------------------------------------------


def test_public_access_block_defaults_round_trip_and_delete(s3):
    name = new_bucket(s3)
    config = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    assert config == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    wanted = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=wanted)
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == wanted
    s3.delete_public_access_block(Bucket=name)
    exc = fail(s3.get_public_access_block, Bucket=name)
    assert code_status(exc) == ("NoSuchPublicAccessBlockConfiguration", 404), refused(exc)


# ---- bucket policies: what is accepted -----------------------------------------------------------


def test_no_bucket_policy_is_no_such_bucket_policy(s3):
    name = new_bucket(s3)
    exc = fail(s3.get_bucket_policy, Bucket=name)
    assert code_status(exc) == ("NoSuchBucketPolicy", 404), refused(exc)


def test_malformed_bucket_policies_are_refused(s3, acct):
    name = new_bucket(s3)
    root = f"arn:aws:iam::{acct}:root"
    cases = {
        "invalid JSON": '{"Version": "2012-10-17", "Statement": [',
        "another bucket's resource": policy(
            {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::some-other-bucket/*"}
        ),
        "no Principal": policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}),
    }
    for why, document in cases.items():
        exc = fail(s3.put_bucket_policy, Bucket=name, Policy=document)
        assert code_status(exc) == ("MalformedPolicy", 400), f"{why}: {refused(exc)}"
    assert error_code(fail(s3.get_bucket_policy, Bucket=name)) == "NoSuchBucketPolicy"


def test_a_public_policy_needs_block_public_policy_off_and_makes_the_bucket_public(s3):
    name = new_bucket(s3)
    exc = fail(s3.put_bucket_policy, Bucket=name, Policy=public_read(name))
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_policy(Bucket=name, Policy=public_read(name))
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(public_read(name))
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"] is True


def test_a_policy_naming_a_principal_is_not_public(s3, acct):
    name = new_bucket(s3)
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
    )
    s3.put_bucket_policy(Bucket=name, Policy=document)
    assert s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"]["IsPublic"] is False


# ---- bucket policies: how they decide ------------------------------------------------------------


def test_an_explicit_deny_stops_even_the_root_but_not_its_policy_management(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="secret/x", Body=b"secret")
    s3.put_object(Bucket=name, Key="open/y", Body=b"open")
    deny = policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/secret/*"}
    )
    s3.put_bucket_policy(Bucket=name, Policy=deny)
    exc = fail(s3.get_object, Bucket=name, Key="secret/x")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    assert s3.get_object(Bucket=name, Key="open/y")["Body"].read() == b"open"
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == json.loads(deny)
    s3.delete_bucket_policy(Bucket=name)
    assert s3.get_object(Bucket=name, Key="secret/x")["Body"].read() == b"secret"


def test_a_bucket_policy_lets_an_iam_user_in_until_its_own_policy_denies(server, s3, iam):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"for the user")
    user, arn, as_user = iam_user_s3(server, iam)
    exc = fail(as_user.get_object, Bucket=name, Key="doc.txt")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)

    grant = policy(
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
    )
    s3.put_bucket_policy(Bucket=name, Policy=grant)
    assert as_user.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"for the user"

    iam.put_user_policy(
        UserName=user,
        PolicyName="no-reads",
        PolicyDocument=doc({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}),
    )
    exc = fail(as_user.get_object, Bucket=name, Key="doc.txt")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)


def test_policies_test_an_objects_tags_and_the_tags_a_write_asks_for(server, s3, iam):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="open.txt", Body=b"open", Tagging="classification=public")
    s3.put_object(Bucket=name, Key="closed.txt", Body=b"closed", Tagging="classification=secret")
    s3.put_object(Bucket=name, Key="plain.txt", Body=b"plain")
    user, _arn, as_user = iam_user_s3(server, iam)
    iam.put_user_policy(
        UserName=user,
        PolicyName="tagged",
        PolicyDocument=doc(
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectTagging"],
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
            },
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{name}/*",
                "Condition": {"StringEquals": {"s3:RequestObjectTag/project": "alpha"}},
            },
        ),
    )
    assert as_user.get_object(Bucket=name, Key="open.txt")["Body"].read() == b"open"
    assert as_user.head_object(Bucket=name, Key="open.txt")["ContentLength"] == 4
    assert as_user.get_object_tagging(Bucket=name, Key="open.txt")["TagSet"] == tags(classification="public")
    for key in ["closed.txt", "plain.txt"]:
        exc = fail(as_user.get_object, Bucket=name, Key=key)
        assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    exc = fail(as_user.get_object, Bucket=name, Key="missing.txt")
    assert status(exc) == 403, "a caller that may not list learns nothing of a missing key"
    as_user.put_object(Bucket=name, Key="new.txt", Body=b"new", Tagging="project=alpha")
    exc = fail(as_user.put_object, Bucket=name, Key="other.txt", Body=b"x", Tagging="project=beta")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    exc = fail(as_user.put_object, Bucket=name, Key="untagged.txt", Body=b"x")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    # Tags changed on the object change what the policy allows at once.
    s3.put_object_tagging(Bucket=name, Key="closed.txt", Tagging={"TagSet": tags(classification="public")})
    assert as_user.get_object(Bucket=name, Key="closed.txt")["Body"].read() == b"closed"


def test_a_policy_requiring_encryption_headers_sees_what_the_write_asks_for(s3):
    name = new_bucket(s3)
    require = policy(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{name}/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
        }
    )
    s3.put_bucket_policy(Bucket=name, Policy=require)
    s3.put_object(Bucket=name, Key="sealed", Body=b"x", ServerSideEncryption="AES256")
    for extra in [{}, {"ServerSideEncryption": "aws:kms"}]:
        exc = fail(s3.put_object, Bucket=name, Key="open", Body=b"x", **extra)
        assert code_status(exc) == ("AccessDenied", 403), refused(exc)


def test_customer_provided_keys_are_refused_and_nothing_is_stored(s3):
    name = new_bucket(s3)
    key = b"k" * 32
    exc = fail(s3.put_object, Bucket=name, Key="ssec", Body=b"secret", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert code_status(exc) == ("NotImplemented", 501), refused(exc)
    exc = fail(s3.head_object, Bucket=name, Key="ssec")
    assert status(exc) == 404
    s3.put_object(Bucket=name, Key="plain", Body=b"plain")
    exc = fail(s3.get_object, Bucket=name, Key="plain", SSECustomerAlgorithm="AES256", SSECustomerKey=key)
    assert code_status(exc) == ("NotImplemented", 501), refused(exc)


def test_encryption_headers_on_a_read_are_refused(s3):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="doc", Body=b"doc")
    # boto3 has no SSE parameter on GetObject; the header goes on through its event hooks.
    def add_header(params, **_):
        params["headers"]["x-amz-server-side-encryption"] = "AES256"
    s3.meta.events.register("before-call.s3.GetObject", add_header)
    try:
        exc = fail(s3.get_object, Bucket=name, Key="doc")
        assert code_status(exc) == ("InvalidArgument", 400), refused(exc)
    finally:
        s3.meta.events.unregister("before-call.s3.GetObject", add_header)
    assert s3.get_object(Bucket=name, Key="doc")["Body"].read() == b"doc"


def test_deny_everyone_but_one_principal(server, s3, iam):
    name = new_bucket(s3)
    _, arn, as_user = iam_user_s3(server, iam)
    resource = f"arn:aws:s3:::{name}/*"
    document = policy(
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "s3:PutObject", "Resource": resource},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": resource,
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": [arn]}},
        },
    )
    s3.put_bucket_policy(Bucket=name, Policy=document)
    exc = fail(s3.put_object, Bucket=name, Key="by-root.txt", Body=b"root")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    as_user.put_object(Bucket=name, Key="by-user.txt", Body=b"user")
    assert s3.get_object(Bucket=name, Key="by-user.txt")["Body"].read() == b"user"


def test_a_bucket_policy_naming_a_role_lets_its_sessions_read(server, s3, iam, acct):
    name = new_bucket(s3)
    s3.put_object(Bucket=name, Key="doc.txt", Body=b"for the role")
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName=unique("bsrole-"), AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="elsewhere",
        PolicyDocument=doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::not-this-bucket/*"}),
    )
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="reader")["Credentials"]
    session = server.temporary_client("s3", creds)
    exc = fail(session.get_object, Bucket=name, Key="doc.txt")
    assert code_status(exc) == ("AccessDenied", 403), refused(exc)
    grant = policy(
        {"Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}
    )
    s3.put_bucket_policy(Bucket=name, Policy=grant)
    assert session.get_object(Bucket=name, Key="doc.txt")["Body"].read() == b"for the role"


# ---- versioning ----------------------------------------------------------------------------------


def test_versioning_of_a_bucket_has_no_status(server, s3):
    for name in (new_bucket(s3), server.bucket):
        answer = s3.get_bucket_versioning(Bucket=name)
        assert "Status" not in answer, answer


# ---- the AWS CLI ---------------------------------------------------------------------------------


# ---- conditional writes --------------------------------------------------------------------------


def test_if_none_match_star_writes_only_a_new_key(s3):
    bucket = new_bucket(s3)
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    e = fail(s3.put_object, Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert code_status(e) == ("PreconditionFailed", 412), refused(e)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_if_match_replaces_only_the_object_it_names(s3):
    bucket = new_bucket(s3)
    etag = s3.put_object(Bucket=bucket, Key="doc", Body=b"v1")["ETag"]
    e = fail(s3.put_object, Bucket=bucket, Key="doc", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert code_status(e) == ("PreconditionFailed", 412), refused(e)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"v1"
    s3.put_object(Bucket=bucket, Key="doc", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"v2"
    e = fail(s3.put_object, Bucket=bucket, Key="missing", Body=b"x", IfMatch=etag)
    assert code_status(e) == ("NoSuchKey", 404), refused(e)


def test_a_conditional_completion_leaves_the_upload_open_when_refused(s3):
    bucket = new_bucket(s3)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=1, Body=b"part")["ETag"]
    s3.put_object(Bucket=bucket, Key="big", Body=b"someone else's")
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    e = fail(s3.complete_multipart_upload, Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload=parts, IfNoneMatch="*")
    assert code_status(e) == ("PreconditionFailed", 412), refused(e)
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"someone else's"
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)["Parts"]] == [1]
    s3.delete_object(Bucket=bucket, Key="big")
    s3.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload=parts, IfNoneMatch="*")
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"part"


# ---- lifecycle -----------------------------------------------------------------------------------


def test_lifecycle_rules_round_trip_and_delete(s3):
    bucket = new_bucket(s3)
    e = fail(s3.get_bucket_lifecycle_configuration, Bucket=bucket)
    assert code_status(e) == ("NoSuchLifecycleConfiguration", 404), refused(e)
    rules = [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 30}},
        {
            "ID": "scratch",
            "Status": "Disabled",
            "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "temporary", "Value": "yes"}], "ObjectSizeGreaterThan": 10}},
            "Expiration": {"Days": 1},
        },
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [rule["ID"] for rule in got] == ["logs", "scratch", "uploads"]
    assert got[0]["Filter"] == {"Prefix": "logs/"} and got[0]["Expiration"] == {"Days": 30} and got[0]["Status"] == "Enabled"
    assert got[1]["Status"] == "Disabled"
    assert got[1]["Filter"]["And"]["Prefix"] == "tmp/"
    assert got[1]["Filter"]["And"]["Tags"] == [{"Key": "temporary", "Value": "yes"}]
    assert got[1]["Filter"]["And"]["ObjectSizeGreaterThan"] == 10
    assert got[2]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    s3.delete_bucket_lifecycle(Bucket=bucket)
    e = fail(s3.get_bucket_lifecycle_configuration, Bucket=bucket)
    assert code_status(e) == ("NoSuchLifecycleConfiguration", 404), refused(e)


def test_lifecycle_rules_in_the_older_prefix_form_come_back_so_and_get_ids(s3):
    bucket = new_bucket(s3)
    rules = [
        {"Status": "Enabled", "Prefix": "test1/", "Expiration": {"Days": 31}},
        {"ID": "markers", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert got[0]["Prefix"] == "test1/" and "Filter" not in got[0] and got[0]["Expiration"] == {"Days": 31}
    assert got[0]["ID"], "a rule given without an id gets one"
    assert got[1]["ID"] == "markers" and got[1]["Expiration"] == {"ExpiredObjectDeleteMarker": True}


def test_an_object_a_rule_will_expire_says_when_and_by_which_rule(s3):
    import datetime

    bucket = new_bucket(s3)
    rules = [
        {"ID": "temporary", "Status": "Enabled", "Filter": {"Tag": {"Key": "temp", "Value": "yes"}}, "Expiration": {"Days": 3}},
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}},
        {"ID": "paused", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})

    def expiry(response):
        header = response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-expiration")
        if header is None:
            return None
        found = re.fullmatch(r'expiry-date="([^"]+)", rule-id="([^"]+)"', header)
        assert found, header
        date = datetime.datetime.strptime(found.group(1), "%a, %d %b %Y %H:%M:%S GMT")
        assert (date.hour, date.minute, date.second) == (0, 0, 0), "expiry is at a midnight UTC"
        return (date.date() - datetime.datetime.now(datetime.timezone.utc).date()).days, found.group(2)

    # one day after writing, at the next midnight: tomorrow's end, two dates from today
    put = s3.put_object(Bucket=bucket, Key="logs/a", Body=b"x")
    assert expiry(put) == (2, "logs")
    assert expiry(s3.head_object(Bucket=bucket, Key="logs/a")) == (2, "logs")
    assert expiry(s3.get_object(Bucket=bucket, Key="logs/a")) == (2, "logs")

    s3.put_object(Bucket=bucket, Key="data/b", Body=b"x")
    assert expiry(s3.head_object(Bucket=bucket, Key="data/b")) is None
    s3.put_object_tagging(Bucket=bucket, Key="data/b", Tagging={"TagSet": [{"Key": "temp", "Value": "yes"}]})
    assert expiry(s3.head_object(Bucket=bucket, Key="data/b")) == (4, "temporary"), "tags count as they are now"
    # with both rules matching, the earlier date wins
    s3.put_object(Bucket=bucket, Key="logs/c", Body=b"x", Tagging="temp=yes")
    assert expiry(s3.head_object(Bucket=bucket, Key="logs/c")) == (2, "logs")

    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert expiry(s3.head_object(Bucket=bucket, Key="logs/a")) is None


@pytest.mark.parametrize(
    "rules",
    [
        [{"ID": "zero", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}}],
        [{"ID": "same", "Status": "Enabled", "Filter": {"Prefix": "a"}, "Expiration": {"Days": 1}},
         {"ID": "same", "Status": "Enabled", "Filter": {"Prefix": "b"}, "Expiration": {"Days": 1}}],
        [{"ID": "nothing", "Status": "Enabled", "Filter": {"Prefix": ""}}],
        [{"ID": "to-glacier", "Status": "Enabled", "Filter": {"Prefix": ""}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}],
        [{"ID": "x" * 256, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}],
    ],
    ids=["zero-days", "same-id-twice", "no-action", "transition", "id-too-long"],
)
def test_lifecycle_rules_are_checked_as_s3_checks_them(s3, rules):
    bucket = new_bucket(s3)
    e = fail(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert code_status(e) == ("InvalidArgument", 400), refused(e)
    e = fail(s3.get_bucket_lifecycle_configuration, Bucket=bucket)
    assert error_code(e) == "NoSuchLifecycleConfiguration", "a refused configuration is not kept"


def test_cli_bucket_tagging_round_trip(server, s3):
    name = new_bucket(s3)
    tagging = json.dumps({"TagSet": [{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "prod"}]})
    server.aws("s3api", "put-bucket-tagging", "--bucket", name, "--tagging", tagging)
    got = server.aws_json("s3api", "get-bucket-tagging", "--bucket", name)
    assert got["TagSet"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}]


def test_cli_bucket_policy_from_a_file(server, s3, acct, tmp_path):
    name = new_bucket(s3)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    server.aws("s3api", "put-bucket-policy", "--bucket", name, "--policy", f"file://{path}")
    got = server.aws_json("s3api", "get-bucket-policy", "--bucket", name)
    assert json.loads(got["Policy"]) == document


def test_cli_bucket_location_and_a_foreign_location_constraint(server, s3):
    name = new_bucket(s3)
    assert server.aws_json("s3api", "get-bucket-location", "--bucket", name).get("LocationConstraint") is None
    other = unique("set-")
    cp = server.aws(
        "s3api", "create-bucket", "--bucket", other, "--create-bucket-configuration", "LocationConstraint=eu-west-1",
        check=False,
    )
    assert cp.returncode != 0 and "IllegalLocationConstraintException" in cp.stderr, cp.stderr
