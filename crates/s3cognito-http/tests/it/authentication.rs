//! Calls that need a signature and lack a good one: unsigned administration, signatures scoped to
//! another service or region, wrong or stale signatures, unknown keys, and temporary credentials that
//! are incomplete, expired or not allowed by their role.

use std::time::Duration;

use serde_json::json;

use crate::{Call, Harness, Key, POOL_ID, Signing, check, pool_and};

fn list_user_pools() -> Call {
    Call::idp("ListUserPools", json!({"MaxResults": 10}))
}

fn list_identity_pools() -> Call {
    Call::identity("ListIdentityPools", json!({"MaxResults": 10}))
}

fn list_roles() -> Call {
    Call::form("Action=ListRoles&Version=2010-05-08")
}

fn get_caller_identity() -> Call {
    Call::form("Action=GetCallerIdentity&Version=2011-06-15")
}

#[tokio::test]
async fn unsigned_administration_is_refused_as_missing_authentication() {
    let h = Harness::new().await;
    let cases = [
        ("unsigned_list_user_pools", list_user_pools()),
        ("unsigned_admin_get_user", Call::idp("AdminGetUser", pool_and("alice"))),
        ("unsigned_create_user_pool", Call::idp("CreateUserPool", json!({"PoolName": "other"}))),
        ("unsigned_list_identity_pools", list_identity_pools()),
        ("unsigned_describe_identity_pool", Call::identity("DescribeIdentityPool", json!({"IdentityPoolId": crate::IDENTITY_POOL_ID}))),
        ("unsigned_iam_list_roles", list_roles()),
        ("unsigned_iam_create_role", Call::form("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D&Version=2010-05-08")),
        ("unsigned_sts_get_caller_identity", get_caller_identity()),
        ("unsigned_sts_assume_role", Call::form("Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&Version=2011-06-15")),
        ("unsigned_s3_list_buckets", Call::get("/")),
        ("unsigned_s3_get_object", Call::get("/s3cognito-testbucket/public/file.txt")),
        ("unsigned_s3_put_object", Call::put("/s3cognito-testbucket/public/file.txt", "hello")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn signatures_for_another_service_or_region_are_refused() {
    let h = Harness::new().await;
    let in_region = |service: &str, region: &str| Signing { region: region.to_owned(), ..h.signing(service) };
    let cases = [
        ("scope_s3_on_cognito_idp", h.signed(list_user_pools(), "s3")),
        ("scope_cognito_identity_on_cognito_idp", h.signed(list_user_pools(), "cognito-identity")),
        ("scope_cognito_idp_on_cognito_identity", h.signed(list_identity_pools(), "cognito-idp")),
        // A form signed for neither IAM nor STS is taken for STS, which has no ListRoles.
        ("scope_s3_on_iam_form", h.signed(list_roles(), "s3")),
        ("scope_s3_on_sts_form", h.signed(get_caller_identity(), "s3")),
        ("region_eu_west_1_on_cognito_idp", list_user_pools().sign(&in_region("cognito-idp", "eu-west-1"))),
        ("region_eu_west_1_on_cognito_identity", list_identity_pools().sign(&in_region("cognito-identity", "eu-west-1"))),
        ("region_eu_west_1_on_iam", list_roles().sign(&in_region("iam", "eu-west-1"))),
        ("region_eu_west_1_on_sts", get_caller_identity().sign(&in_region("sts", "eu-west-1"))),
        ("region_eu_west_1_on_s3", Call::get("/").sign(&in_region("s3", "eu-west-1"))),
        ("region_eu_west_1_on_s3_presigned", Call::get("/s3cognito-testbucket/key").presigned(&in_region("s3", "eu-west-1"), Duration::from_secs(60))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn wrong_stale_or_malformed_signatures_are_refused() {
    let h = Harness::new().await;
    let stranger = Key { id: "AKIAUNKNOWNKEY234567".to_owned(), secret: "not-the-secret".to_owned(), token: None };
    let by_stranger = |service: &str| Signing { key: stranger.clone(), ..h.signing(service) };
    // Twenty minutes before the deployment's clock: past the 15 minutes of skew SigV4 allows.
    let stale = |service: &str| Signing { time: h.now() - Duration::from_secs(20 * 60), ..h.signing(service) };
    let garbled = |call: Call| call.header("authorization", "AWS4-HMAC-SHA256 garbage");
    let cases = [
        ("bad_signature_cognito_idp", h.signed(list_user_pools(), "cognito-idp").tampered()),
        ("bad_signature_cognito_identity", h.signed(list_identity_pools(), "cognito-identity").tampered()),
        ("bad_signature_iam", h.signed(list_roles(), "iam").tampered()),
        ("bad_signature_sts", h.signed(get_caller_identity(), "sts").tampered()),
        ("bad_signature_s3", h.signed(Call::get("/"), "s3").tampered()),
        ("body_changed_after_signing_cognito_idp", h.signed(list_user_pools(), "cognito-idp").body(json!({"MaxResults": 11}).to_string())),
        ("unknown_key_cognito_idp", list_user_pools().sign(&by_stranger("cognito-idp"))),
        ("unknown_key_iam", list_roles().sign(&by_stranger("iam"))),
        ("unknown_key_sts", get_caller_identity().sign(&by_stranger("sts"))),
        ("unknown_key_s3", Call::get("/").sign(&by_stranger("s3"))),
        ("stale_signature_cognito_idp", list_user_pools().sign(&stale("cognito-idp"))),
        ("stale_signature_iam", list_roles().sign(&stale("iam"))),
        ("stale_signature_sts", get_caller_identity().sign(&stale("sts"))),
        ("malformed_authorization_cognito_idp", garbled(list_user_pools())),
        ("malformed_authorization_cognito_identity", garbled(list_identity_pools())),
        ("malformed_authorization_iam", garbled(list_roles())),
        ("malformed_authorization_s3", garbled(Call::get("/"))),
        ("presigned_and_header_signed_s3", h.signed(Call::get("/s3cognito-testbucket/key").presigned(&h.signing("s3"), Duration::from_secs(60)), "s3")),
        ("presigned_for_more_than_a_week_s3", Call::get("/s3cognito-testbucket/key").presigned(&h.signing("s3"), Duration::from_secs(8 * 24 * 3600))),
        ("presigned_good_for_a_minute_s3_missing_key", Call::get("/s3cognito-testbucket/key").presigned(&h.signing("s3"), Duration::from_secs(60))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn temporary_credentials_reach_only_what_their_role_allows() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let key = h.temporary_key("alice").await;
    let with = |service: &str, key: &Key| Signing { key: key.clone(), ..h.signing(service) };
    let without_token = Key { token: None, ..key.clone() };
    let cases = [
        ("temporary_list_user_pools_is_denied", list_user_pools().sign(&with("cognito-idp", &key))),
        ("temporary_describe_user_pool_is_denied", Call::idp("DescribeUserPool", json!({"UserPoolId": POOL_ID})).sign(&with("cognito-idp", &key))),
        ("temporary_list_identity_pools_is_denied", list_identity_pools().sign(&with("cognito-identity", &key))),
        ("temporary_list_roles_is_denied", list_roles().sign(&with("iam", &key))),
        ("temporary_get_caller_identity", get_caller_identity().sign(&with("sts", &key))),
        ("temporary_s3_list_buckets_is_denied", Call::get("/").sign(&with("s3", &key))),
        ("temporary_s3_other_users_private_file_is_denied", Call::get("/s3cognito-testbucket/private/someone-else/file.txt").sign(&with("s3", &key))),
        ("temporary_s3_public_missing_file", Call::get("/s3cognito-testbucket/public/missing.txt").sign(&with("s3", &key))),
        ("temporary_without_token_cognito_idp", list_user_pools().sign(&with("cognito-idp", &without_token))),
        ("temporary_without_token_sts", get_caller_identity().sign(&with("sts", &without_token))),
        ("temporary_without_token_s3", Call::get("/s3cognito-testbucket/public/missing.txt").sign(&with("s3", &without_token))),
        ("temporary_wrong_token_sts", get_caller_identity().sign(&with("sts", &Key { token: Some("not-the-token".to_owned()), ..key.clone() }))),
        ("temporary_wrong_token_s3", Call::get("/s3cognito-testbucket/public/missing.txt").sign(&with("s3", &Key { token: Some("not-the-token".to_owned()), ..key.clone() }))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // An hour and a second later the credentials have expired.
    h.clock.advance(3601);
    let cases = [
        ("expired_temporary_cognito_idp", list_user_pools().sign(&with("cognito-idp", &key))),
        ("expired_temporary_iam", list_roles().sign(&with("iam", &key))),
        ("expired_temporary_sts", get_caller_identity().sign(&with("sts", &key))),
        ("expired_temporary_s3", Call::get("/s3cognito-testbucket/public/missing.txt").sign(&with("s3", &key))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

/// An administration call without a signature is refused as such before its body is read, in both
/// JSON services: a malformed body does not turn the refusal into a serialization error.
#[tokio::test]
async fn unsigned_administration_is_refused_before_its_body_is_read() {
    let h = Harness::new().await;
    for call in [list_identity_pools().body("not json"), list_user_pools().body("not json")] {
        let exchange = h.send(call).await;
        assert_eq!(exchange.status, 403, "{:?}", exchange.body);
        assert_eq!(exchange.headers.get("x-amzn-errortype").map(String::as_str), Some("MissingAuthenticationTokenException"));
    }
}
