"""Bucket CORS: rules set with PutBucketCors decide what a browser may do; the bootstrap bucket allows an upload page."""

import botocore.exceptions
import pytest
import requests


def preflight(server, bucket, origin, method, headers=""):
    return requests.options(
        f"{server.endpoint}/{bucket}/some/key",
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
        timeout=30,
    )


def test_the_bootstrap_bucket_allows_a_browser_upload_page(server, s3):
    response = preflight(server, server.bucket, "http://upload.example", "PUT", "content-type,x-amz-date,authorization,x-amz-content-sha256")
    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    s3.put_object(Bucket=server.bucket, Key="cors/file.txt", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": server.bucket, "Key": "cors/file.txt"})
    got = requests.get(url, headers={"Origin": "http://upload.example"}, timeout=30)
    assert got.status_code == 200
    assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert "etag" in got.headers["Access-Control-Expose-Headers"].lower()
    rules = s3.get_bucket_cors(Bucket=server.bucket)["CORSRules"]
    assert "ETag" in rules[0]["ExposeHeaders"]


def test_bucket_rules_are_set_read_enforced_and_deleted(server, s3):
    bucket = "cors-rules-bucket"
    s3.create_bucket(Bucket=bucket)
    # No rules: a preflight is refused.
    assert preflight(server, bucket, "https://app.example.com", "GET").status_code == 403
    with pytest.raises(botocore.exceptions.ClientError) as missing:
        s3.get_bucket_cors(Bucket=bucket)
    assert missing.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["PUT", "GET"],
            "AllowedHeaders": ["content-type", "x-amz-*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 600,
        }]},
    )
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"] == ["https://*.example.com"]
    allowed = preflight(server, bucket, "https://app.example.com", "PUT", "content-type,x-amz-date")
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert allowed.headers["Access-Control-Max-Age"] == "600"
    assert preflight(server, bucket, "https://evil.example.org", "PUT").status_code == 403
    assert preflight(server, bucket, "https://app.example.com", "DELETE").status_code == 403
    assert preflight(server, bucket, "https://app.example.com", "PUT", "authorization").status_code == 403
    with pytest.raises(botocore.exceptions.ClientError) as bad:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert bad.value.response["Error"]["Code"] == "InvalidRequest"
    s3.delete_bucket_cors(Bucket=bucket)
    assert preflight(server, bucket, "https://app.example.com", "PUT").status_code == 403
    s3.delete_bucket(Bucket=bucket)
