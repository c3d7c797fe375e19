"""The upload edge trusting another user pool, as a Lambda@Edge in front of a bucket trusts a real Cognito
pool: the server is started with `S3COGNITO_TRUSTED_ISSUER` (the pool's issuer, as its tokens' `iss` says)
and `S3COGNITO_TRUSTED_ISSUER_JWKS_URL` (where it publishes its keys). The trusted pool here is a second
s3cognito server (B), whose tokens name the AWS-shaped issuer `https://cognito-idp.us-east-1.amazonaws.com/<pool B>`;
the server under test (A) fetches B's keys and checks B's access tokens as aws-jwt-verify does."""

from __future__ import annotations

import json

import pytest

from conftest import jwt_claims, md5_etag

REGION = "us-east-1"


def issuer_of(pool_id: str) -> str:
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


@pytest.fixture(scope="module")
def pools(server_factory):
    trusted = server_factory()
    edge = server_factory(
        S3COGNITO_TRUSTED_ISSUER=issuer_of(trusted.pool_id),
        S3COGNITO_TRUSTED_ISSUER_JWKS_URL=f"{trusted.endpoint}/{trusted.pool_id}/.well-known/jwks.json",
        S3COGNITO_TRUSTED_ISSUER_CLIENT_IDS=trusted.client_id,
    )
    return trusted, edge


def tokens_of(server, username: str, password: str) -> dict:
    return server.password_auth(username, password)["AuthenticationResult"]


def edge_url(server, name: str) -> str:
    return f"{server.exports['s3cognito_upload_endpoint']}/{name}"


def test_access_tokens_of_the_trusted_pool_store_files_in_their_own_namespace(pools):
    trusted, edge = pools
    username, _, password = trusted.signed_up_user()
    tokens = tokens_of(trusted, username, password)
    assert jwt_claims(tokens["AccessToken"])["iss"] == issuer_of(trusted.pool_id)

    body = b"\xff\xd8 a photo from a user of the trusted pool"
    status, headers, answer = edge.http(
        "PUT", edge_url(edge, "photo.jpg"), body, {"authorization": tokens["AccessToken"], "content-type": "image/jpeg"}
    )
    assert status == 200, answer
    assert headers["ETag"] == md5_etag(body)
    key = json.loads(answer)["key"]
    assert key.startswith("private/") and key.endswith("/photo.jpg"), key
    stored = edge.s3().get_object(Bucket=edge.bucket, Key=key)
    assert stored["Body"].read() == body
    status, _, read = edge.http("GET", edge_url(edge, "photo.jpg"), None, {"authorization": f"Bearer {tokens['AccessToken']}"})
    assert (status, read) == (200, body)

    # The same user signing in again lands in the same namespace.
    again = tokens_of(trusted, username, password)
    status, _, answer = edge.http("PUT", edge_url(edge, "second.jpg"), b"2", {"authorization": again["AccessToken"]})
    assert status == 200 and json.loads(answer)["key"].rsplit("/", 1)[0] == key.rsplit("/", 1)[0]


def test_the_trusted_pools_id_tokens_and_forged_tokens_are_refused_before_a_byte_is_stored(pools):
    trusted, edge = pools
    username, _, password = trusted.signed_up_user()
    tokens = tokens_of(trusted, username, password)
    before = edge.s3().list_objects_v2(Bucket=edge.bucket).get("KeyCount", 0)
    header, payload, signature = tokens["AccessToken"].split(".")
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]
    # A token the edge's own pool never issued and the trusted pool did not sign: another server's pool.
    for token in [tokens["IdToken"], f"{header}.{payload}.{flipped}", "my-invalid-token"]:
        status, _, answer = edge.http("PUT", edge_url(edge, "refused.jpg"), b"x", {"authorization": token})
        assert status == 401, answer
        assert json.loads(answer) == {"message": "Unauthorized"}
    assert edge.s3().list_objects_v2(Bucket=edge.bucket).get("KeyCount", 0) == before


def test_an_untrusted_pools_tokens_are_refused(pools, server_factory):
    _, edge = pools
    stranger = server_factory()
    username, _, password = stranger.signed_up_user()
    token = tokens_of(stranger, username, password)["AccessToken"]
    status, _, answer = edge.http("PUT", edge_url(edge, "x.jpg"), b"x", {"authorization": token})
    assert status == 401, answer


def test_a_trusted_users_presigned_put_turns_its_job_done(pools):
    trusted, edge = pools
    username, _, password = trusted.signed_up_user()
    tokens = tokens_of(trusted, username, password)
    presign = next(entry["endpoint"] for entry in edge.exports["aws_cloud_logic_custom"] if entry["name"] == "presign")
    status, _, answer = edge.http("GET", f"{presign}?name=t.txt&method=PUT", None, {"authorization": tokens["IdToken"]})
    assert status == 401, "another pool's ID tokens are not taken"
    status, _, answer = edge.http("GET", f"{presign}?name=t.txt&method=PUT", None, {"authorization": tokens["AccessToken"]})
    assert status == 200, answer
    url = json.loads(answer)["url"]
    status, _, answer = edge.http("PUT", url, b"from the trusted pool")
    assert status == 200, answer
    query = "query { listUploadJobs { items { user objKey status } } }"
    status, _, answer = edge.http(
        "POST",
        edge.exports["aws_appsync_graphqlEndpoint"],
        json.dumps({"query": query}).encode(),
        {"authorization": tokens["AccessToken"], "content-type": "application/json"},
    )
    assert status == 200, answer
    items = json.loads(answer)["data"]["listUploadJobs"]["items"]
    assert [(item["user"], item["status"]) for item in items] == [(username, "Done")], items
