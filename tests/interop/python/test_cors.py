"""CORS on the Cognito endpoint: browser libraries (Amplify, amazon-cognito-identity-js) call it from
another origin, with the AWS SDKs' own request headers, and read `x-amzn-ErrorType` from errors."""

import json

ORIGIN = "http://example.test"
REQUEST_HEADERS = [
    "content-type",
    "x-amz-target",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "pragma",
    "cache-control",
]


def header_list(headers, name):
    return [h.strip().lower() for h in (headers.get(name) or "").split(",") if h.strip()]


def test_preflight_allows_the_sdk_headers(server):
    status, headers, _ = server.http(
        "OPTIONS",
        "/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ",".join(REQUEST_HEADERS),
        },
    )
    assert 200 <= status < 300, f"preflight answered HTTP {status}"
    assert headers.get("Access-Control-Allow-Origin") in (ORIGIN, "*"), dict(headers)
    methods = header_list(headers, "Access-Control-Allow-Methods")
    assert "post" in methods or "*" in methods, dict(headers)
    allowed = header_list(headers, "Access-Control-Allow-Headers")
    if "*" not in allowed:
        missing = [h for h in REQUEST_HEADERS if h not in allowed]
        assert not missing, f"not allowed: {missing} (Access-Control-Allow-Headers: {allowed})"


def test_preflight_with_capitalised_header_names(server):
    """Browsers send lower case, but a hand-written preflight may not."""
    status, headers, _ = server.http(
        "OPTIONS",
        "/",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-Amz-Target, X-Amz-User-Agent",
        },
    )
    assert 200 <= status < 300
    assert headers.get("Access-Control-Allow-Origin") in (ORIGIN, "*")
    allowed = header_list(headers, "Access-Control-Allow-Headers")
    if "*" not in allowed:
        assert {"content-type", "x-amz-target", "x-amz-user-agent"} <= set(allowed), allowed


def cognito_post(server, operation, payload):
    return server.http(
        "POST",
        "/",
        body=json.dumps(payload).encode(),
        headers={
            "Origin": ORIGIN,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "X-Amz-User-Agent": "aws-amplify/6.0.0 auth/1 framework/0",
            "Cache-Control": "no-store",
        },
    )


def test_error_response_exposes_the_error_type(server):
    username, _ = server.admin_user("Passw0rd!Cors")
    status, headers, body = cognito_post(
        server,
        "InitiateAuth",
        {
            "ClientId": server.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": "Wr0ng!Password"},
        },
    )
    assert status == 400
    assert json.loads(body)["__type"].split("#")[-1] == "NotAuthorizedException"
    assert headers.get("Access-Control-Allow-Origin") in (ORIGIN, "*"), dict(headers)
    exposed = header_list(headers, "Access-Control-Expose-Headers")
    assert "x-amzn-errortype" in exposed, f"Access-Control-Expose-Headers: {exposed}"
    assert (headers.get("x-amzn-ErrorType") or "").split(":")[0] == "NotAuthorizedException"


def test_successful_response_is_readable_cross_origin(server):
    username, _ = server.admin_user("Passw0rd!Cors")
    status, headers, body = cognito_post(
        server,
        "InitiateAuth",
        {
            "ClientId": server.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": "Passw0rd!Cors"},
        },
    )
    assert status == 200, body
    assert json.loads(body)["AuthenticationResult"]["AccessToken"]
    assert headers.get("Access-Control-Allow-Origin") in (ORIGIN, "*"), dict(headers)
    assert "x-amzn-errortype" in header_list(headers, "Access-Control-Expose-Headers")
