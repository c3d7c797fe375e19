//! Which service a request reaches: `X-Amz-Target` for the JSON protocols, `Action=` forms for STS and
//! IAM (told apart by the credential scope), our own routes, and S3 for everything else.

use serde_json::json;

use crate::{Call, Harness, POOL_ID, check};

#[tokio::test]
async fn json_targets_reach_their_service() {
    let h = Harness::new().await;
    let cases = [
        ("route_cognito_idp_target", Call::idp("InitiateAuth", json!({}))),
        ("route_cognito_identity_target", Call::identity("GetId", json!({}))),
        // A form content type does not turn a call with a target into a query-protocol call.
        ("route_target_wins_over_form_content_type", Call::idp("InitiateAuth", json!({})).header("content-type", "application/x-www-form-urlencoded")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn query_forms_reach_sts_unsigned_and_iam_when_signed_for_iam() {
    let h = Harness::new().await;
    let cases = [
        ("route_form_unsigned_reaches_sts", Call::form("Action=AssumeRoleWithWebIdentity&Version=2011-06-15")),
        ("route_form_signed_for_sts_reaches_sts", h.signed(Call::form("Action=GetCallerIdentity&Version=2011-06-15"), "sts")),
        ("route_form_signed_for_iam_reaches_iam", h.signed(Call::form("Action=GetRole&RoleName=s3cognito-authenticated&Version=2010-05-08"), "iam")),
        ("route_form_signed_for_iam_lists_roles", h.signed(Call::form("Action=ListRoles&Version=2010-05-08"), "iam")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn everything_else_reaches_s3() {
    let h = Harness::new().await;
    let cases = [
        ("route_get_root_unsigned_is_s3", Call::get("/")),
        ("route_get_bucket_unsigned_is_s3", Call::get("/s3cognito-testbucket")),
        ("route_get_root_signed_lists_buckets", h.signed(Call::get("/"), "s3")),
        ("route_put_root_unsigned_is_s3", Call::put("/", "")),
        // Only `POST /` is the JSON protocols' entry point; a target on any other path is not looked at.
        ("route_post_to_bucket_with_target_is_s3", Call::idp("ListUserPools", json!({"MaxResults": 1})).path_of("/s3cognito-testbucket")),
        ("route_unknown_own_path_is_s3", Call::get("/_s3cognito/other")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn own_routes_answer_health_and_openid_documents() {
    let h = Harness::new().await;
    let cases = [
        ("route_health", Call::get("/_s3cognito/health")),
        ("route_health_post_is_refused", Call::new(axum::http::Method::POST, "/_s3cognito/health")),
        ("route_identity_jwks", Call::get("/_s3cognito/identity/.well-known/jwks.json")),
        ("route_pool_jwks", Call::get(&format!("/{POOL_ID}/.well-known/jwks.json"))),
        ("route_pool_discovery", Call::get(&format!("/{POOL_ID}/.well-known/openid-configuration"))),
        ("route_missing_pool_jwks_is_not_found", Call::get("/us-east-1_Missing1/.well-known/jwks.json")),
        ("route_missing_pool_discovery_is_not_found", Call::get("/us-east-1_Missing1/.well-known/openid-configuration")),
        // A first segment that is no pool id is a bucket name: the same paths are S3 keys then.
        ("route_bucket_well_known_unsigned_is_s3", Call::get("/s3cognito-testbucket/.well-known/jwks.json")),
        ("route_bucket_well_known_signed_is_s3", h.signed(Call::get("/s3cognito-testbucket/.well-known/openid-configuration"), "s3")),
        ("route_uppercase_region_is_no_pool_id", Call::get("/US-EAST-1_TestPool1/.well-known/jwks.json")),
        ("route_pool_other_document_is_s3", Call::get(&format!("/{POOL_ID}/.well-known/other.json"))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn preflights_are_answered_per_protocol() {
    let h = Harness::new().await;
    let preflight = |path: &str, method: &str| {
        Call::new(axum::http::Method::OPTIONS, path)
            .header("origin", "https://app.example.com")
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "x-amz-target,content-type")
    };
    let cases = [
        ("route_preflight_json_protocols_allow_any_origin", preflight("/", "POST")),
        ("route_preflight_bucket_follows_its_rules", preflight("/s3cognito-testbucket/key", "PUT")),
        ("route_preflight_bucket_without_rules_is_refused", preflight("/no-such-bucket/key", "PUT")),
        ("route_cross_origin_json_call_is_allowed", Call::idp("InitiateAuth", json!({})).header("origin", "https://app.example.com")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

/// ListBuckets and S3's errors on `/` are S3's answers: none of the JSON protocols' route headers
/// (`allow`, their any-origin CORS) ride along, even for a browser's request.
#[tokio::test]
async fn s3_answers_on_root_carry_no_json_protocol_headers() {
    let h = Harness::new().await;
    for call in [
        Call::get("/").header("origin", "https://app.example"),
        h.signed(Call::get("/"), "s3").header("origin", "https://app.example"),
        Call::put("/", ""),
    ] {
        let exchange = h.send(call).await;
        for header in ["allow", "vary", "access-control-expose-headers", "access-control-allow-origin"] {
            assert!(!exchange.headers.contains_key(header), "{header} on {:?}: {:?}", exchange.status, exchange.headers);
        }
        assert!(exchange.headers.contains_key("x-amz-request-id"), "{:?}", exchange.headers);
    }
}

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

#[tokio::test]
async fn a_browser_at_the_root_gets_the_upload_page_and_signed_calls_still_reach_s3() {
    let h = Harness::new().await;
    let page = h.send(Call::get("/").header("accept", BROWSER_ACCEPT)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(page.headers["content-security-policy"].contains("script-src 'self'"));
    let app = h.send(Call::get("/_s3cognito/app/").header("accept", BROWSER_ACCEPT)).await;
    assert_eq!((app.status, &app.body), (200, &page.body), "/ and /_s3cognito/app/ are the same page");

    let listed = h.send(h.signed(Call::get("/").header("accept", BROWSER_ACCEPT), "s3")).await;
    assert_eq!(listed.status, 200);
    assert!(listed.headers["content-type"].contains("xml"), "a signed GET / is ListBuckets: {:?}", listed.headers);
    let anonymous = h.send(Call::get("/")).await;
    assert_eq!(anonymous.status, 403, "an unsigned GET / that does not ask for HTML is S3's");

    let config = h.send(Call::get("/_s3cognito/app/config.json")).await;
    assert_eq!(config.status, 200);
    assert_eq!(config.body["aws_user_pools_id"], h.pool().as_str());
    assert_eq!(h.send(Call::get("/_s3cognito/app/nothing-here")).await.status, 404);
}
