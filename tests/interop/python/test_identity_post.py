"""Browser form uploads (POST Object) made with identity-pool temporary credentials, the way a web app
does it: GetCredentialsForIdentity, then boto3's `generate_presigned_post` on an S3 client built with
those credentials (boto3 puts the session token in an `x-amz-security-token` field and a policy
condition of its own), and the form posted by the browser.

The bootstrap identity pool's authenticated role grants `private/<own identity id>/*`,
`protected/<own identity id>/*` and `public/*`; a form is authorized for the key it uploads to, like a
PutObject, and its session token is checked like a header's."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import urllib3

from conftest import s3_error, unique
from test_identity_isolation import new_user, temp_s3, tweak

FORM_TIMEOUT = urllib3.Timeout(connect=10, read=60)
_http = urllib3.PoolManager(retries=False, timeout=FORM_TIMEOUT)


# ---- helpers ----------------------------------------------------------------------------------------
def presigned_form(server, access_key: str, secret_key: str, token: str | None, key: str, conditions=None, fields=None):
    """boto3's form for `key`, signed (SigV4) with the given credentials."""
    s3 = temp_s3(server, access_key, secret_key, token)
    return s3.generate_presigned_post(
        Bucket=server.bucket, Key=key, Fields=fields or {}, Conditions=conditions or [], ExpiresIn=300
    )


def user_form(server, user, key: str, **kw):
    c = user.credentials
    return presigned_form(server, c["AccessKeyId"], c["SecretKey"], c["SessionToken"], key, **kw)


def policy_of(form) -> dict:
    return json.loads(base64.b64decode(form["fields"]["policy"]))


def post_form(form, data: bytes, fields: dict | None = None, filename: str = "post.txt"):
    """POST the form as a browser does (multipart/form-data, the file last). Returns (status, headers, body)."""
    parts = list((fields if fields is not None else form["fields"]).items())
    parts.append(("file", (filename, data, "text/plain")))
    body, content_type = urllib3.encode_multipart_formdata(parts)
    resp = _http.request(
        "POST", form["url"], body=body, headers={"Content-Type": content_type, "Connection": "close"}, redirect=False
    )
    return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.data


def stored(server, key: str) -> bytes | None:
    """The object's bytes, read with the root credentials; None if there is none."""
    from botocore.exceptions import ClientError

    try:
        return server.s3().get_object(Bucket=server.bucket, Key=key)["Body"].read()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


def refusal(status: int, headers: dict, body: bytes) -> dict:
    """The S3 error document of a refused form (403 or 400), with its HTTP status."""
    assert status in (400, 403), f"expected a refusal, got HTTP {status}: {body[:500]!r}"
    fields = s3_error(status, headers, body)
    fields["status"] = status
    return fields


@pytest.fixture(scope="module")
def alice(server):
    return new_user(server)


@pytest.fixture(scope="module")
def bob(server):
    return new_user(server)


# ---- uploads the role allows -----------------------------------------------------------------------
def test_boto3_form_carries_the_session_token(server, alice):
    form = user_form(server, alice, f"private/{alice.identity_id}/post.txt")
    token = alice.credentials["SessionToken"]
    assert form["fields"]["x-amz-security-token"] == token
    assert {"x-amz-security-token": token} in policy_of(form)["conditions"]
    assert form["fields"]["x-amz-credential"].startswith(alice.credentials["AccessKeyId"] + "/")


def test_upload_to_own_private_prefix(server, alice):
    key = f"private/{alice.identity_id}/post.txt"
    data = b"posted with identity credentials\n" + unique("n").encode()
    status, headers, body = post_form(user_form(server, alice, key), data)
    assert status == 204, f"HTTP {status}: {body[:500]!r}"
    assert stored(server, key) == data
    head = server.s3().head_object(Bucket=server.bucket, Key=key)
    assert head["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    # The uploader reads it back with the same credentials.
    assert alice.s3.get_object(Bucket=server.bucket, Key=key)["Body"].read() == data
    # The upload is recorded as the user's job, by the route it came.
    query = "query { listUploadJobs(limit: 1000) { items { user objKey status route size } } }"
    status, _, answer = server.http(
        "POST",
        server.exports["aws_appsync_graphqlEndpoint"],
        json.dumps({"query": query}).encode(),
        {"authorization": alice.id_token, "content-type": "application/json"},
    )
    assert status == 200, answer
    jobs = [job for job in json.loads(answer)["data"]["listUploadJobs"]["items"] if job["objKey"] == key]
    assert jobs == [{"user": alice.username, "objKey": key, "status": "Done", "route": "form", "size": float(len(data))}]


@pytest.mark.parametrize("level", ["protected", "public"])
def test_upload_to_other_allowed_levels(server, alice, level):
    key = f"{level}/{alice.identity_id}/{unique('p')}.txt" if level == "protected" else f"public/{unique('p')}.txt"
    data = f"{level} upload".encode()
    status, _, body = post_form(user_form(server, alice, key), data)
    assert status == 204, f"HTTP {status}: {body[:500]!r}"
    assert stored(server, key) == data


def test_success_action_status_201(server, alice):
    key = f"private/{alice.identity_id}/{unique('s')}.txt"
    form = user_form(server, alice, key, fields={"success_action_status": "201"}, conditions=[{"success_action_status": "201"}])
    status, _, body = post_form(form, b"created")
    assert status == 201, f"HTTP {status}: {body[:500]!r}"
    assert b"<Key>" + key.encode() + b"</Key>" in body, body
    assert stored(server, key) == b"created"


def test_filename_key_under_own_prefix(server, alice):
    """`${filename}` in the key: the upload lands at the file's name, which is what gets authorized."""
    prefix = f"private/{alice.identity_id}/{unique('f')}/"
    form = user_form(server, alice, prefix + "${filename}")
    name = "photo.txt"
    status, _, body = post_form(form, b"by filename", filename=name)
    assert status == 204, f"HTTP {status}: {body[:500]!r}"
    assert stored(server, prefix + name) == b"by filename"
    assert stored(server, prefix + "${filename}") is None


# ---- uploads the role does not allow ------------------------------------------------------------------
def test_upload_to_another_identitys_private_prefix(server, alice, bob):
    key = f"private/{bob.identity_id}/post.txt"
    status, headers, body = post_form(user_form(server, alice, key), b"intruder")
    err = refusal(status, headers, body)
    assert (err["status"], err["Code"]) == (403, "AccessDenied"), err
    assert stored(server, key) is None


def test_overwrite_of_another_identitys_object(server, alice, bob):
    key = f"private/{bob.identity_id}/{unique('o')}.txt"
    bob.s3.put_object(Bucket=server.bucket, Key=key, Body=b"bob's")
    status, headers, body = post_form(user_form(server, alice, key), b"overwritten")
    err = refusal(status, headers, body)
    assert (err["status"], err["Code"]) == (403, "AccessDenied"), err
    assert stored(server, key) == b"bob's"


def test_filename_key_under_another_identitys_prefix(server, alice, bob):
    prefix = f"private/{bob.identity_id}/{unique('f')}/"
    status, headers, body = post_form(user_form(server, alice, prefix + "${filename}"), b"intruder", filename="x.txt")
    err = refusal(status, headers, body)
    assert (err["status"], err["Code"]) == (403, "AccessDenied"), err
    assert stored(server, prefix + "x.txt") is None


@pytest.mark.parametrize(
    "where",
    ["protected-of-other", "outside-levels", "private-root", "other-bucket-prefix"],
)
def test_upload_outside_the_access_levels(server, alice, bob, where):
    key = {
        "protected-of-other": f"protected/{bob.identity_id}/{unique('x')}.txt",
        "outside-levels": f"{unique('top')}.txt",
        "private-root": f"private/{unique('x')}.txt",
        "other-bucket-prefix": f"private/{alice.identity_id}x/{unique('x')}.txt",  # own id as a mere prefix
    }[where]
    status, headers, body = post_form(user_form(server, alice, key), b"nope")
    err = refusal(status, headers, body)
    assert (err["status"], err["Code"]) == (403, "AccessDenied"), err
    assert stored(server, key) is None


def test_form_key_field_changed_to_another_identity(server, alice, bob):
    """The form signed for an own key, its `key` field then edited to another identity's: the policy
    (`{"key": ...}`) refuses it; either way nothing is written there."""
    form = user_form(server, alice, f"private/{alice.identity_id}/{unique('k')}.txt")
    target = f"private/{bob.identity_id}/{unique('k')}.txt"
    status, headers, body = post_form(form, b"intruder", fields=dict(form["fields"], key=target))
    err = refusal(status, headers, body)
    assert (err["status"], err["Code"]) == (403, "AccessDenied"), err
    assert stored(server, target) is None


# ---- the session token --------------------------------------------------------------------------------
def _assert_refused_and_nothing_written(server, key, status, headers, body, allowed_codes):
    err = refusal(status, headers, body)
    assert err["Code"] in allowed_codes, f"HTTP {status} {err['Code']}: {err.get('Message')}"
    assert stored(server, key) is None, f"{key} was written although the form was refused ({err['Code']})"
    return err


def test_security_token_field_altered(server, alice):
    """The field edited after signing: the policy's own `x-amz-security-token` condition no longer
    holds, and the token is not the credentials' either."""
    key = f"private/{alice.identity_id}/{unique('t')}.txt"
    form = user_form(server, alice, key)
    fields = dict(form["fields"], **{"x-amz-security-token": tweak(form["fields"]["x-amz-security-token"])})
    status, headers, body = post_form(form, b"x", fields=fields)
    err = _assert_refused_and_nothing_written(server, key, status, headers, body, {"AccessDenied", "InvalidToken"})
    print(f"altered x-amz-security-token field: HTTP {err['status']} {err['Code']} ({err.get('Message')})")


def test_form_signed_with_an_altered_token(server, alice):
    """A form consistently signed (policy condition and field agree) with a token that is not the
    credentials' own: only the token check can refuse it."""
    key = f"private/{alice.identity_id}/{unique('t')}.txt"
    c = alice.credentials
    form = presigned_form(server, c["AccessKeyId"], c["SecretKey"], tweak(c["SessionToken"]), key)
    status, headers, body = post_form(form, b"x")
    err = _assert_refused_and_nothing_written(server, key, status, headers, body, {"AccessDenied", "InvalidToken"})
    print(f"form signed with an altered token: HTTP {err['status']} {err['Code']} ({err.get('Message')})")


def test_form_signed_with_another_users_token(server, alice, bob):
    """Alice's key and secret with Bob's (valid) session token."""
    key = f"private/{alice.identity_id}/{unique('t')}.txt"
    c = alice.credentials
    form = presigned_form(server, c["AccessKeyId"], c["SecretKey"], bob.credentials["SessionToken"], key)
    status, headers, body = post_form(form, b"x")
    err = _assert_refused_and_nothing_written(server, key, status, headers, body, {"AccessDenied", "InvalidToken"})
    print(f"form with another user's token: HTTP {err['status']} {err['Code']} ({err.get('Message')})")


def test_security_token_field_removed(server, alice):
    """The field dropped from the form (the policy still names it)."""
    key = f"private/{alice.identity_id}/{unique('t')}.txt"
    form = user_form(server, alice, key)
    fields = {k: v for k, v in form["fields"].items() if k != "x-amz-security-token"}
    status, headers, body = post_form(form, b"x", fields=fields)
    err = _assert_refused_and_nothing_written(
        server, key, status, headers, body, {"AccessDenied", "InvalidToken", "InvalidAccessKeyId"}
    )
    print(f"x-amz-security-token field removed: HTTP {err['status']} {err['Code']} ({err.get('Message')})")


def test_form_signed_without_any_token(server, alice):
    """Temporary key and secret without their session token: no field, no condition, nothing to check
    the key against."""
    key = f"private/{alice.identity_id}/{unique('t')}.txt"
    c = alice.credentials
    form = presigned_form(server, c["AccessKeyId"], c["SecretKey"], None, key)
    assert "x-amz-security-token" not in form["fields"]
    status, headers, body = post_form(form, b"x")
    err = _assert_refused_and_nothing_written(
        server, key, status, headers, body, {"AccessDenied", "InvalidToken", "InvalidAccessKeyId"}
    )
    print(f"form without a session token: HTTP {err['status']} {err['Code']} ({err.get('Message')})")


def test_security_token_field_duplicated_with_another_value(server, alice, bob):
    """Two `x-amz-security-token` fields, the signed one and Bob's: refused or at least not Bob's
    authority (nothing lands in Bob's prefix via Alice's form)."""
    key = f"private/{bob.identity_id}/{unique('t')}.txt"
    form = user_form(server, alice, key)
    parts = list(form["fields"].items())
    parts.insert(0, ("x-amz-security-token", bob.credentials["SessionToken"]))
    parts.append(("file", ("post.txt", b"x", "text/plain")))
    body, content_type = urllib3.encode_multipart_formdata(parts)
    resp = _http.request("POST", form["url"], body=body, headers={"Content-Type": content_type, "Connection": "close"})
    assert resp.status in (400, 403), f"HTTP {resp.status}: {resp.data[:500]!r}"
    assert stored(server, key) is None


def test_form_of_a_disabled_user_is_refused(server):
    """Credentials end with their user: a form signed before the user was disabled no longer uploads."""
    user = new_user(server)
    key = f"private/{user.identity_id}/{unique('d')}.txt"
    form = user_form(server, user, key)
    server.admin().admin_disable_user(UserPoolId=server.pool_id, Username=user.username)
    status, headers, body = post_form(form, b"after disable")
    err = _assert_refused_and_nothing_written(
        server, key, status, headers, body, {"AccessDenied", "InvalidToken", "ExpiredToken", "InvalidAccessKeyId"}
    )
    print(f"form of a disabled user: HTTP {err['status']} {err['Code']} ({err.get('Message')})")
