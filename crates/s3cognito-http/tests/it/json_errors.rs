//! The JSON protocols' error table through the wire: every code a cognito-idp or cognito-identity
//! client can be answered with that a test can reach without waiting, each with its status, its
//! `x-amzn-errortype` and its message.

use s3cognito_service::limits::RateLimits;
use s3cognito_service::user_pool::config::{ClientConfig, PoolConfig};
use s3cognito_service::user_pool::{ClientSettings, PoolSettings};
use s3cognito_types::{ClientId, UserPoolId, Username};
use serde_json::json;

use crate::{CLIENT_ID, Call, Harness, PASSWORD, POOL_ID, check, check_redacted, pool_and};

fn password_auth(username: &str, password: &str) -> Call {
    Call::idp(
        "InitiateAuth",
        json!({"ClientId": CLIENT_ID, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
    )
}

fn sign_up(username: &str, password: &str) -> Call {
    Call::idp(
        "SignUp",
        json!({"ClientId": CLIENT_ID, "Username": username, "Password": password,
               "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}]}),
    )
}

fn resend(username: &str) -> Call {
    Call::idp("ResendConfirmationCode", json!({"ClientId": CLIENT_ID, "Username": username}))
}

#[tokio::test]
async fn cognito_idp_errors_carry_their_codes() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    h.unconfirmed_user("bob").await;
    let idp = "cognito-idp";
    let cases = [
        ("idp_missing_pool", h.signed(Call::idp("DescribeUserPool", json!({"UserPoolId": "us-east-1_Missing1"})), idp)),
        ("idp_delete_missing_pool", h.signed(Call::idp("DeleteUserPool", json!({"UserPoolId": "us-east-1_Missing1"})), idp)),
        ("idp_missing_client", Call::idp("InitiateAuth", json!({"ClientId": "nosuchclient", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}))),
        ("idp_missing_group", h.signed(Call::idp("AdminAddUserToGroup", json!({"UserPoolId": POOL_ID, "Username": "alice", "GroupName": "nobody"})), idp)),
        ("idp_user_not_found", h.signed(Call::idp("AdminGetUser", pool_and("nobody")), idp)),
        ("idp_username_exists_on_sign_up", sign_up("alice", PASSWORD)),
        ("idp_username_exists_on_admin_create", h.signed(Call::idp("AdminCreateUser", json!({"UserPoolId": POOL_ID, "Username": "alice", "MessageAction": "SUPPRESS"})), idp)),
        ("idp_missing_username_member", h.signed(Call::idp("AdminGetUser", json!({"UserPoolId": POOL_ID})), idp)),
        ("idp_missing_client_id_member", Call::idp("SignUp", json!({"Username": "carol", "Password": PASSWORD}))),
        ("idp_missing_max_results_member", h.signed(Call::idp("ListUserPools", json!({})), idp)),
        ("idp_malformed_pool_id", h.signed(Call::idp("DescribeUserPool", json!({"UserPoolId": "not-a-pool"})), idp)),
        ("idp_pool_id_too_long", h.signed(Call::idp("DescribeUserPool", json!({"UserPoolId": format!("us-east-1_{}", "a".repeat(60))})), idp)),
        ("idp_empty_username", h.signed(Call::idp("AdminGetUser", json!({"UserPoolId": POOL_ID, "Username": ""})), idp)),
        ("idp_malformed_username", h.signed(Call::idp("AdminGetUser", pool_and("has space")), idp)),
        ("idp_malformed_client_id", Call::idp("InitiateAuth", json!({"ClientId": "no/slashes", "AuthFlow": "USER_PASSWORD_AUTH"}))),
        ("idp_unsupported_auth_flow", Call::idp("InitiateAuth", json!({"ClientId": CLIENT_ID, "AuthFlow": "CUSTOM_AUTH", "AuthParameters": {"USERNAME": "alice"}}))),
        ("idp_unsupported_username_attribute", h.signed(Call::idp("CreateUserPool", json!({"PoolName": "p", "UsernameAttributes": ["phone_number"]})), idp)),
        ("idp_unsupported_mfa", h.signed(Call::idp("CreateUserPool", json!({"PoolName": "p", "MfaConfiguration": "ON"})), idp)),
        ("idp_invalid_time_unit", h.signed(Call::idp("CreateUserPoolClient", json!({"UserPoolId": POOL_ID, "ClientName": "c", "TokenValidityUnits": {"AccessToken": "weeks"}})), idp)),
        ("idp_invalid_message_action", h.signed(Call::idp("AdminCreateUser", json!({"UserPoolId": POOL_ID, "Username": "dora", "MessageAction": "SHOUT"})), idp)),
        ("idp_wrong_password", password_auth("alice", "Wrong-Horse-9")),
        ("idp_sign_in_of_nobody", password_auth("nobody", "Wrong-Horse-9")),
        ("idp_user_not_confirmed", password_auth("bob", PASSWORD)),
        ("idp_bad_access_token", Call::idp("GetUser", json!({"AccessToken": "not-a-token"}))),
        ("idp_bad_access_token_on_change_password", Call::idp("ChangePassword", json!({"AccessToken": "not-a-token", "PreviousPassword": PASSWORD, "ProposedPassword": PASSWORD}))),
        ("idp_code_mismatch", Call::idp("ConfirmSignUp", json!({"ClientId": CLIENT_ID, "Username": "bob", "ConfirmationCode": "not-the-code"}))),
        ("idp_confirm_confirmed_user", Call::idp("ConfirmSignUp", json!({"ClientId": CLIENT_ID, "Username": "alice", "ConfirmationCode": "not-the-code"}))),
        ("idp_invalid_password", sign_up("carol", "short")),
        ("idp_forgot_password_of_nobody", Call::idp("ForgotPassword", json!({"ClientId": CLIENT_ID, "Username": "nobody"}))),
        ("idp_revoke_access_token", Call::idp("RevokeToken", json!({"ClientId": CLIENT_ID, "Token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}))),
        ("idp_revoke_unknown_refresh_token", Call::idp("RevokeToken", json!({"ClientId": CLIENT_ID, "Token": "not-a-refresh-token"}))),
        ("idp_body_not_json", Call::idp("InitiateAuth", json!({})).body("not json")),
        ("idp_body_json_array", Call::idp("InitiateAuth", json!({})).body("[1, 2]")),
        ("idp_member_of_wrong_type", h.signed(Call::idp("ListUserPools", json!({"MaxResults": "ten"})), idp)),
        ("idp_map_member_of_wrong_type", Call::idp("InitiateAuth", json!({"ClientId": CLIENT_ID, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": "alice"}))),
        ("idp_body_too_large", Call::idp("SignUp", json!({})).body(vec![b' '; (2 << 20) + 1])),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // A group is created once; the second time its name is taken.
    let create_group = || h.signed(Call::idp("CreateGroup", json!({"UserPoolId": POOL_ID, "GroupName": "admins"})), idp);
    check("idp_create_group", &h.send(create_group()).await);
    check("idp_group_exists", &h.send(create_group()).await);
}

#[tokio::test]
async fn codes_expire_run_out_and_may_fail_to_be_delivered() {
    let h = Harness::new().await;
    h.confirmed_user("alice").await;
    h.unconfirmed_user("bob").await;
    h.unconfirmed_user("carol").await;
    h.unconfirmed_user("dave").await;

    // A user may ask for a fresh code five times an hour.
    for _ in 0..5 {
        let exchange = h.send(resend("bob")).await;
        assert_eq!(exchange.status, 200, "{exchange:?}");
    }
    check("idp_codes_limit_exceeded", &h.send(resend("bob")).await);

    // An administrator's reset leaves the user unable to sign in until they choose a new password.
    let reset = h.signed(Call::idp("AdminResetUserPassword", crate::pool_and("alice")), "cognito-idp");
    check("idp_admin_reset_user_password", &h.send(reset).await);
    check("idp_password_reset_required", &h.send(password_auth("alice", PASSWORD)).await);

    // A sign-up code lasts a day.
    let code = h.outbox.code_for("carol@example.com");
    h.clock.advance(24 * 3600 + 1);
    let confirm = Call::idp("ConfirmSignUp", json!({"ClientId": CLIENT_ID, "Username": "carol", "ConfirmationCode": code}));
    check_redacted("idp_expired_code", &h.send(confirm).await, &[(".request.body.ConfirmationCode", "[code]")]);

    h.outbox.fail();
    check("idp_code_delivery_failure", &h.send(resend("dave")).await);
}

#[tokio::test]
async fn an_email_verified_for_one_user_cannot_confirm_another() {
    let h = Harness::new().await;
    let pools = &h.app.user_pools;
    let pool = UserPoolId::parse("us-east-1_AliasPool1").unwrap();
    let config = PoolConfig {
        alias_attributes: vec!["email".to_owned()],
        auto_verified_attributes: vec!["email".to_owned()],
        ..PoolConfig::default()
    };
    pools.create_user_pool_with_id(&pool, PoolSettings { name: "aliases".to_owned(), config }).await.unwrap();
    let client = ClientId::parse("aliasclient000000000000001").unwrap();
    let settings = ClientSettings { name: "app".to_owned(), generate_secret: false, config: ClientConfig::default() };
    pools.create_user_pool_client_with_id(&pool, &client, settings).await.unwrap();
    let email = || vec![("email".to_owned(), "shared@example.com".to_owned())];
    for name in ["first", "second"] {
        pools.sign_up(&client, None, Username::parse(name).unwrap(), PASSWORD, email()).await.unwrap();
    }
    // Both codes went to the same address; the newest is the second user's until the first asks again.
    let second_code = h.outbox.code_for("shared@example.com");
    pools.resend_confirmation_code(&client, None, &Username::parse("first").unwrap()).await.unwrap();
    let first_code = h.outbox.code_for("shared@example.com");
    pools.confirm_sign_up(&client, None, &Username::parse("first").unwrap(), &first_code).await.unwrap();
    let confirm = Call::idp(
        "ConfirmSignUp",
        json!({"ClientId": client.as_str(), "Username": "second", "ConfirmationCode": second_code}),
    );
    check_redacted("idp_alias_exists", &h.send(confirm).await, &[(".request.body.ConfirmationCode", "[code]")]);
}

#[tokio::test]
async fn a_source_address_over_its_budget_is_told_to_slow_down() {
    let limits = RateLimits { address_account_calls_per_minute: 1, address_sign_ins_per_minute: 1, ..RateLimits::default() };
    let h = Harness::with_limits(limits).await;
    let from = "203.0.113.7:40000";
    let forgot = || Call::idp("ForgotPassword", json!({"ClientId": CLIENT_ID, "Username": "nobody"})).from_address(from);
    let missing = || Call::idp("InitiateAuth", json!({})).from_address(from);
    assert_eq!(h.send(forgot()).await.status, 200);
    check("idp_too_many_account_calls", &h.send(forgot()).await);
    assert_eq!(h.send(missing()).await.status, 400);
    check("idp_too_many_sign_ins", &h.send(missing()).await);
    // Another address has its own budget.
    check("idp_other_address_has_its_own_budget", &h.send(missing().from_address("203.0.113.8:40000")).await);
}

#[tokio::test]
async fn cognito_identity_errors_carry_their_codes() {
    let h = Harness::new().await;
    let identity = "cognito-identity";
    let missing_pool = "us-east-1:missing-identity-pool";
    let cases = [
        ("identity_missing_pool", h.signed(Call::identity("DescribeIdentityPool", json!({"IdentityPoolId": missing_pool})), identity)),
        ("identity_get_id_of_missing_pool", Call::identity("GetId", json!({"IdentityPoolId": missing_pool}))),
        ("identity_missing_identity", h.signed(Call::identity("DescribeIdentity", json!({"IdentityId": "us-east-1:missing-identity"})), identity)),
        ("identity_credentials_of_missing_identity", Call::identity("GetCredentialsForIdentity", json!({"IdentityId": "us-east-1:missing-identity"}))),
        ("identity_missing_allow_unauthenticated_member", h.signed(Call::identity("CreateIdentityPool", json!({"IdentityPoolName": "open"})), identity)),
        ("identity_missing_max_results_member", h.signed(Call::identity("ListIdentityPools", json!({})), identity)),
        ("identity_missing_pool_id_member", Call::identity("GetId", json!({}))),
        ("identity_invalid_pool_name", h.signed(Call::identity("CreateIdentityPool", json!({"IdentityPoolName": "no/slashes", "AllowUnauthenticatedIdentities": true})), identity)),
        ("identity_member_of_wrong_type", h.signed(Call::identity("CreateIdentityPool", json!({"IdentityPoolName": "open", "AllowUnauthenticatedIdentities": "yes"})), identity)),
        ("identity_body_not_json", Call::identity("GetId", json!({})).body("not json")),
        ("identity_unauthenticated_not_allowed", Call::identity("GetId", json!({"IdentityPoolId": crate::IDENTITY_POOL_ID}))),
        ("identity_bad_login_token", Call::identity("GetId", json!({"IdentityPoolId": crate::IDENTITY_POOL_ID, "Logins": {format!("cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"): "not-a-token"}}))),
        ("identity_login_of_unknown_provider", Call::identity("GetId", json!({"IdentityPoolId": crate::IDENTITY_POOL_ID, "Logins": {"accounts.google.com": "not-a-token"}}))),
    ];
    for (name, call) in cases {
        check(name, &h.send(call).await);
    }

    // A pool without roles hands out identities but no credentials.
    let create = Call::identity("CreateIdentityPool", json!({"IdentityPoolName": "open", "AllowUnauthenticatedIdentities": true}));
    let created = h.send(h.signed(create, identity)).await;
    check("identity_create_pool", &created);
    let pool_id = created.member("IdentityPoolId").as_str().unwrap().to_owned();
    let got = h.send(Call::identity("GetId", json!({"IdentityPoolId": pool_id}))).await;
    check("identity_get_id_unauthenticated", &got);
    let identity_id = got.member("IdentityId").as_str().unwrap().to_owned();
    check("identity_no_role_for_credentials", &h.send(Call::identity("GetCredentialsForIdentity", json!({"IdentityId": identity_id}))).await);
    check("identity_open_id_token_unauthenticated", &h.send(Call::identity("GetOpenIdToken", json!({"IdentityId": identity_id}))).await);
}
