//! Operations that do not exist, or that we do not implement, refused in each protocol's own shape.

use serde_json::json;

use crate::{Call, Harness, check};

#[tokio::test]
async fn unknown_json_operations_are_refused_in_json_shape() {
    let h = Harness::new().await;
    let cases = [
        ("unknown_cognito_idp_operation", Call::idp("NoSuchOperation", json!({}))),
        // AWS names a missing operation before it looks at the signature, signed or not.
        ("unknown_cognito_idp_operation_signed", h.signed(Call::idp("NoSuchOperation", json!({})), "cognito-idp")),
        ("unimplemented_cognito_idp_operation", Call::idp("AdminLinkProviderForUser", json!({}))),
        ("unknown_cognito_identity_operation", Call::identity("NoSuchOperation", json!({}))),
        ("unimplemented_cognito_identity_operation", h.signed(Call::identity("MergeDeveloperIdentities", json!({})), "cognito-identity")),
        ("unknown_target_prefix", Call::json("DynamoDB_20120810.ListTables", json!({}))),
        ("target_without_operation", Call::json("AWSCognitoIdentityProviderService", json!({}))),
        ("target_with_empty_operation", Call::json("AWSCognitoIdentityProviderService.", json!({}))),
        ("missing_target_on_json_post", Call::json("", json!({})).without_header("x-amz-target")),
        ("missing_target_and_content_type", Call::new(axum::http::Method::POST, "/").body("{}")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

#[tokio::test]
async fn unknown_query_actions_are_refused_in_their_service_namespace() {
    let h = Harness::new().await;
    let cases = [
        ("unknown_sts_action_unsigned", Call::form("Action=GetSessionToken&Version=2011-06-15")),
        ("unknown_sts_action_signed_for_sts", h.signed(Call::form("Action=GetSessionToken&Version=2011-06-15"), "sts")),
        ("missing_action_unsigned", Call::form("Version=2011-06-15")),
        ("empty_form_unsigned", Call::form("")),
        ("unknown_iam_action_signed_for_iam", h.signed(Call::form("Action=ListGroups&Version=2010-05-08"), "iam")),
        // An IAM action signed for STS is looked up among STS's actions, and the other way round.
        ("iam_action_signed_for_sts", h.signed(Call::form("Action=ListRoles&Version=2010-05-08"), "sts")),
        ("sts_action_signed_for_iam", h.signed(Call::form("Action=GetCallerIdentity&Version=2011-06-15"), "iam")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}

/// Replication, website hosting, object lock and event notifications do not exist here; S3 clients get S3's own
/// NotImplemented for them, and a case leaves this table for a test of its own when it lands.
#[tokio::test]
async fn s3_operations_we_do_not_implement_are_refused_in_s3_shape() {
    let h = Harness::new().await;
    let cases = [
        ("unimplemented_s3_get_bucket_replication", h.signed(Call::get("/s3cognito-testbucket?replication"), "s3")),
        ("unimplemented_s3_get_bucket_website", h.signed(Call::get("/s3cognito-testbucket?website"), "s3")),
        ("unimplemented_s3_get_object_lock_configuration", h.signed(Call::get("/s3cognito-testbucket?object-lock"), "s3")),
        ("unimplemented_s3_get_bucket_notification", h.signed(Call::get("/s3cognito-testbucket?notification"), "s3")),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }
}
