"""What a caller cannot make the server do: write unbounded logs, rewrite the URLs in discovery
documents, hide a bucket's keys behind the OpenID routes, or find its data dirs readable."""

import json
import os
import socket
import stat
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import unique


def _signed_s3(server, method: str, path: str, body: bytes, headers: dict) -> dict:
    request = AWSRequest(method, server.endpoint + path, data=body, headers=dict(headers))
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_a_malformed_body_is_logged_as_its_size_not_its_bytes(server):
    """A 4 MiB body that is not XML, signed, sent to DeleteObjects: the answer is MalformedXML and
    the server's log grows by a line, not by the body (the logs are at `info`, as operators run them)."""
    marker = b"<Delete><Object><Key>" + b"x" * (4 * 1024 * 1024) + b"</Broken>"
    before = server.stderr_path.stat().st_size
    headers = _signed_s3(server, "POST", f"/{server.bucket}?delete", marker, {"Content-Type": "application/xml"})
    status, _, body = server.http("POST", f"/{server.bucket}?delete", body=marker, headers=headers)
    assert status == 400, body[:300]
    assert b"<Code>MalformedXML</Code>" in body, body[:300]
    assert server.http("GET", "/_s3cognito/health")[0] == 200
    grown = server.stderr_path.stat().st_size - before
    assert grown < 16 * 1024, f"the log grew by {grown} bytes for one malformed request"
    log = server.stderr_path.read_text(errors="replace")
    assert "xxxxxxxxxxxxxxxx" not in log


def test_discovery_names_our_url_whatever_the_host_header_says(server):
    """The Host header is the caller's to choose; the jwks_uri a verifier will fetch keys from is not."""
    status, _, body = server.http(
        "GET", f"/{server.pool_id}/.well-known/openid-configuration", headers={"Host": "evil.example"}
    )
    assert status == 200, body
    document = json.loads(body)
    assert document["jwks_uri"] == f"{server.endpoint}/{server.pool_id}/.well-known/jwks.json"
    assert "evil.example" not in body.decode()


def test_bucket_keys_shaped_like_openid_documents_are_the_bucket_s(server):
    """`.well-known/jwks.json` at the root of a bucket is an object like any other: bucket names have
    no `_`, pool ids always do, so only `/<poolId>/.well-known/…` reaches the OpenID routes."""
    s3 = server.s3()
    bucket = unique("wk").lower().replace("_", "-")
    s3.create_bucket(Bucket=bucket)
    for key in (".well-known/jwks.json", ".well-known/openid-configuration"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"bucket bytes")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"bucket bytes"
        s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    assert "keys" in server.jwks()


def test_data_subdirectories_are_private(server):
    """The outbox holds codes and temporary passwords, the blobs every object's bytes."""
    server.signed_up_user(confirm=False)
    for name in ("outbox", "blobs"):
        mode = stat.S_IMODE(os.stat(server.data / name).st_mode)
        assert mode == 0o700, f"{name}/ is {oct(mode)}"


def _signed(server, service: str, region: str, method: str, url: str, body: bytes, headers: dict) -> dict:
    from botocore.auth import SigV4Auth

    request = AWSRequest(method, url, data=body, headers=dict(headers))
    auth = S3SigV4Auth if service == "s3" else SigV4Auth
    auth(Credentials(server.access_key, server.secret_key), service, region).add_auth(request)
    return dict(request.headers.items())


def test_s3_signatures_must_name_this_region(server):
    path = f"/{server.bucket}?list-type=2"
    headers = _signed(server, "s3", "us-west-2", "GET", server.endpoint + path, b"", {})
    status, _, body = server.http("GET", path, headers=headers)
    assert status == 400, body
    assert b"<Code>AuthorizationHeaderMalformed</Code>" in body
    import xml.etree.ElementTree as ET

    assert "the region 'us-west-2' is wrong; expecting 'us-east-1'" in ET.fromstring(body).findtext("Message")
    assert server.http("GET", path, headers=_signed(server, "s3", "us-east-1", "GET", server.endpoint + path, b"", {}))[0] == 200

    import boto3
    from botocore.config import Config

    elsewhere = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-west-2",
                             aws_access_key_id=server.access_key, aws_secret_access_key=server.secret_key,
                             config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = elsewhere.generate_presigned_url("list_objects_v2", Params={"Bucket": server.bucket}, ExpiresIn=60)
    status, _, body = server.http("GET", url)
    assert status == 400, body
    assert b"<Code>AuthorizationQueryParametersError</Code>" in body


def test_json_and_query_signatures_must_name_their_region(server):
    target = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools"}
    body = b'{"MaxResults": 5}'
    headers = _signed(server, "cognito-idp", "eu-west-1", "POST", server.endpoint + "/", body, target)
    status, _, answer = server.http("POST", "/", body=body, headers=headers)
    assert status == 400, answer
    document = json.loads(answer)
    assert document["__type"].endswith("InvalidSignatureException")
    assert document["message"] == "Credential should be scoped to a valid region."

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    iam_body = b"Action=ListRoles&Version=2010-05-08"
    status, _, answer = server.http("POST", "/", body=iam_body,
                                    headers=_signed(server, "iam", "us-west-2", "POST", server.endpoint + "/", iam_body, form))
    assert status == 403, answer
    assert b"<Code>SignatureDoesNotMatch</Code>" in answer
    status, _, answer = server.http("POST", "/", body=iam_body,
                                    headers=_signed(server, "iam", "us-east-1", "POST", server.endpoint + "/", iam_body, form))
    assert status == 200, answer
    sts_body = b"Action=GetCallerIdentity&Version=2011-06-15"
    status, _, answer = server.http("POST", "/", body=sts_body,
                                    headers=_signed(server, "sts", "us-east-1", "POST", server.endpoint + "/", sts_body, form))
    assert status == 200, answer


def test_one_authentication_mechanism_per_request(server):
    """A presigned URL that also carries an Authorization header is refused, as S3 refuses it."""
    s3 = server.s3(signature_version="s3v4")
    key = unique("one-auth")
    s3.put_object(Bucket=server.bucket, Key=key, Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": server.bucket, "Key": key}, ExpiresIn=60)
    assert server.http("GET", url)[0] == 200
    path = url[len(server.endpoint):]
    headers = _signed(server, "s3", "us-east-1", "GET", url, b"", {})
    status, _, body = server.http("GET", path, headers={"Authorization": headers["Authorization"],
                                                        "X-Amz-Date": headers["X-Amz-Date"],
                                                        "X-Amz-Content-SHA256": headers["X-Amz-Content-SHA256"]})
    assert status == 400, body
    assert b"<Code>InvalidArgument</Code>" in body
    assert b"Only one auth mechanism allowed" in body


def test_oversized_bodies_get_4xx_in_the_protocol_s_shape(server):
    """A JSON-protocol body past the limit is refused as JSON; an S3 XML body past S3's limit is refused
    as S3 refuses it (400 MaxMessageLengthExceeded), never with a 500."""
    big = b'{"ClientId": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    status, headers, body = server.http("POST", "/", body=big, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp"})
    assert status == 413, (status, body[:200])
    assert json.loads(body)["__type"] == "SerializationException"

    huge = b"<Delete>" + b"<Object><Key>k</Key></Object>" * (25 * 1024 * 1024 // 29) + b"</Delete>"
    path = f"/{server.bucket}?delete"
    headers = _signed_s3(server, "POST", path, huge, {"Content-Type": "application/xml", "Expect": "100-continue"})
    # As boto3 sends large bodies: the head first, the body only after `100 Continue`; a refusal comes
    # instead of it, before any of the 25 MiB is sent.
    parts = urlsplit(server.endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(huge)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name.lower() != "host")
        connection.sendall((head + "\r\n").encode())
        answer = b""
        while b"</Error>" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert 400 <= status < 500, (status, body[:300])
    assert b"<Code>MaxMessageLengthExceeded</Code>" in body, body[:300]
    assert server.http("GET", "/_s3cognito/health")[0] == 200


def test_keys_with_control_characters_list_as_xml_parsers_read_them(server):
    """Keys may hold CR, LF, TAB and other control characters; listings must stay XML that parsers
    accept, with the keys intact (as character references, or URL-encoded when asked)."""
    import xml.etree.ElementTree as ET

    s3 = server.s3()
    prefix = unique("ctl") + "/"
    keys = [prefix + "line\nfeed", prefix + "carriage\rreturn", prefix + "crlf\r\nboth", prefix + "tab\there"]
    for key in keys:
        s3.put_object(Bucket=server.bucket, Key=key, Body=b"x")
    # boto3 asks for encoding-type=url and decodes: every key comes back exactly.
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=server.bucket, Prefix=prefix)["Contents"]]
    assert sorted(listed) == sorted(keys)
    # Without it the document is still XML, and a parser reads the keys back exactly.
    from urllib.parse import quote

    path = f"/{server.bucket}?list-type=2&prefix={quote(prefix, safe='')}"
    headers = _signed(server, "s3", "us-east-1", "GET", server.endpoint + path, b"", {})
    status, _, body = server.http("GET", path, headers=headers)
    assert status == 200, body
    document = ET.fromstring(body)
    names = [element.text for element in document.iter() if element.tag.endswith("}Key") or element.tag == "Key"]
    assert sorted(names) == sorted(keys), names
