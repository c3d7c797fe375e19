//! The query protocol's error table through the wire: IAM's and STS's codes, each in its service's
//! namespace with its status, and the XML answers of a few calls that succeed.

use serde_json::json;

use crate::{Call, Harness, check};

/// A form's members, URL-encoded as the SDKs send them.
fn form(members: &[(&str, &str)]) -> Call {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(members).finish();
    Call::form(&body)
}

/// An IAM form: `Version=2010-05-08` and `members`.
fn iam_form(members: &[(&str, &str)]) -> Call {
    let mut all = vec![("Version", "2010-05-08")];
    all.extend_from_slice(members);
    form(&all)
}

const ROLE: &str = "s3cognito-authenticated";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/s3cognito-authenticated";

fn trust_policy() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}).to_string()
}

fn permission_policy(size: usize) -> String {
    let padding = "x".repeat(size);
    json!({"Version": "2012-10-17", "Statement": [{"Sid": padding, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}).to_string()
}

#[tokio::test]
async fn iam_errors_carry_their_codes() {
    let h = Harness::new().await;
    let signed = |members: &[(&str, &str)]| h.signed(iam_form(members), "iam");
    let trust = trust_policy();
    let with_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}).to_string();
    let large = permission_policy(10_300);
    let cases = [
        ("iam_get_role", signed(&[("Action", "GetRole"), ("RoleName", ROLE)])),
        ("iam_list_role_policies", signed(&[("Action", "ListRolePolicies"), ("RoleName", ROLE)])),
        ("iam_get_role_policy", signed(&[("Action", "GetRolePolicy"), ("RoleName", ROLE), ("PolicyName", "s3cognito-user-files")])),
        ("iam_list_oidc_providers", signed(&[("Action", "ListOpenIDConnectProviders")])),
        ("iam_no_such_role", signed(&[("Action", "GetRole"), ("RoleName", "nobody")])),
        ("iam_no_such_role_policy", signed(&[("Action", "GetRolePolicy"), ("RoleName", ROLE), ("PolicyName", "nothing")])),
        ("iam_delete_missing_role_policy", signed(&[("Action", "DeleteRolePolicy"), ("RoleName", ROLE), ("PolicyName", "nothing")])),
        ("iam_no_such_oidc_provider", signed(&[("Action", "GetOpenIDConnectProvider"), ("OpenIDConnectProviderArn", "arn:aws:iam::123456789012:oidc-provider/nowhere.example.com")])),
        ("iam_role_already_exists", signed(&[("Action", "CreateRole"), ("RoleName", ROLE), ("AssumeRolePolicyDocument", &trust)])),
        ("iam_malformed_trust_policy", signed(&[("Action", "CreateRole"), ("RoleName", "other"), ("AssumeRolePolicyDocument", "not json")])),
        ("iam_trust_policy_without_principal", signed(&[("Action", "UpdateAssumeRolePolicy"), ("RoleName", ROLE), ("PolicyDocument", &permission_policy(1))])),
        ("iam_permission_policy_with_principal", signed(&[("Action", "PutRolePolicy"), ("RoleName", ROLE), ("PolicyName", "p"), ("PolicyDocument", &with_principal)])),
        ("iam_permission_policy_too_large", signed(&[("Action", "PutRolePolicy"), ("RoleName", ROLE), ("PolicyName", "p"), ("PolicyDocument", &large)])),
        ("iam_delete_role_with_policies", signed(&[("Action", "DeleteRole"), ("RoleName", ROLE)])),
        ("iam_missing_role_name_member", signed(&[("Action", "GetRole")])),
        ("iam_missing_trust_policy_member", signed(&[("Action", "CreateRole"), ("RoleName", "other")])),
        ("iam_invalid_role_name", signed(&[("Action", "CreateRole"), ("RoleName", "no spaces"), ("AssumeRolePolicyDocument", &trust)])),
        ("iam_invalid_max_session_duration", signed(&[("Action", "CreateRole"), ("RoleName", "other"), ("AssumeRolePolicyDocument", &trust), ("MaxSessionDuration", "60")])),
        ("iam_max_items_not_a_number", signed(&[("Action", "ListRoles"), ("MaxItems", "many")])),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // A role is created once, and goes when its last policy has.
    let create = || signed(&[("Action", "CreateRole"), ("RoleName", "other"), ("Path", "/team/"), ("Description", "for <tests> & more"), ("AssumeRolePolicyDocument", &trust)]);
    check("iam_create_role", &h.send(create()).await);
    check("iam_create_role_again", &h.send(create()).await);
    check("iam_delete_role", &h.send(signed(&[("Action", "DeleteRole"), ("RoleName", "other")])).await);
    check("iam_delete_role_again", &h.send(signed(&[("Action", "DeleteRole"), ("RoleName", "other")])).await);
}

#[tokio::test]
async fn sts_errors_carry_their_codes() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    let web_identity = |token: &str| {
        form(&[
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", ROLE_ARN),
            ("RoleSessionName", "web"),
            ("WebIdentityToken", token),
        ])
    };
    let assume = |members: &[(&str, &str)]| {
        let mut all = vec![("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleSessionName", "admin")];
        all.extend_from_slice(members);
        h.signed(form(&all), "sts")
    };
    let large_session_policy = permission_policy(2100);
    let open_id_token = h.open_id_token("alice").await;
    let id_token = h.id_token("alice").await;
    let cases = [
        ("sts_get_caller_identity_of_root", h.signed(form(&[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")]), "sts")),
        ("sts_web_identity_with_open_id_token", web_identity(&open_id_token)),
        ("sts_web_identity_with_user_pool_id_token", web_identity(&id_token)),
        ("sts_web_identity_with_malformed_token", web_identity("not-a-token")),
        ("sts_web_identity_missing_role_arn", form(&[("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleSessionName", "web"), ("WebIdentityToken", "t")])),
        ("sts_web_identity_duration_not_a_number", form(&[("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", ROLE_ARN), ("RoleSessionName", "web"), ("WebIdentityToken", "t"), ("DurationSeconds", "long")])),
        ("sts_web_identity_of_missing_role", form(&[("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", "arn:aws:iam::123456789012:role/nobody"), ("RoleSessionName", "web"), ("WebIdentityToken", &open_id_token)])),
        ("sts_assume_role_not_trusted", assume(&[("RoleArn", ROLE_ARN)])),
        ("sts_assume_missing_role", assume(&[("RoleArn", "arn:aws:iam::123456789012:role/nobody")])),
        ("sts_assume_role_session_policy_too_large", assume(&[("RoleArn", ROLE_ARN), ("Policy", &large_session_policy)])),
        ("sts_assume_role_invalid_session_name", assume(&[("RoleArn", ROLE_ARN), ("RoleSessionName", "no spaces")])),
        ("sts_assume_role_missing_role_arn", assume(&[])),
        ("sts_form_too_large", Call::form(&format!("Action=GetCallerIdentity&Version=2011-06-15&Padding={}", "x".repeat(2 << 20)))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // A role that trusts the account can be assumed with the account's key.
    let create = iam_form(&[("Action", "CreateRole"), ("RoleName", "admin"), ("AssumeRolePolicyDocument", &trust_policy())]);
    assert_eq!(h.send(h.signed(create, "iam")).await.status, 200);
    check("sts_assume_role", &h.send(assume(&[("RoleArn", "arn:aws:iam::123456789012:role/admin")])).await);

    // The identity pool's OpenID token lasts ten minutes; two hours later it is refused as expired.
    h.clock.advance(2 * 3600);
    check("sts_web_identity_with_expired_token", &h.send(web_identity(&open_id_token)).await);
}

/// A form too large to read is answered in the namespace of the service its signature names.
#[tokio::test]
async fn an_oversized_iam_form_is_refused_in_iam_shape() {
    let h = Harness::new().await;
    let padding = "x".repeat(2 << 20);
    let call = h.signed(Call::form(&format!("Action=ListRoles&Version=2010-05-08&Padding={padding}")), "iam");
    let exchange = h.send(call).await;
    assert_eq!(exchange.status, 413);
    let body = exchange.body.as_str().unwrap_or_default().to_owned();
    assert!(body.contains("https://iam.amazonaws.com/doc/2010-05-08/"), "{body}");
    assert!(body.contains("<Code>RequestEntityTooLarge</Code>"), "{body}");
}
