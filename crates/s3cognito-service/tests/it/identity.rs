//! Identity pools, STS and the authorization of temporary credentials, with the clock under test control.

use std::collections::BTreeMap;

use s3cognito_service::ServiceError;
use s3cognito_service::access::SessionTokenError;
use s3cognito_service::identity::{
    AmbiguousRoleResolution, CognitoProvider, IdentityPoolConfig, MappingType, MatchType, RoleSettings,
};

use crate::Harness;

const ACCOUNT: &str = "123456789012";

/// A harness with an identity pool over its user pool, whose authenticated role reads and writes the
/// caller's own prefix of bucket `b`.
async fn identity_harness() -> (Harness, String, String) {
    let harness = Harness::new().await;
    let identity = &harness.app.identity;
    let provider = identity.provider_name(&harness.pool);
    let pool = identity
        .create_identity_pool(
            "test",
            IdentityPoolConfig {
                cognito_identity_providers: vec![CognitoProvider {
                    provider_name: provider.clone(),
                    client_id: Some(harness.client.as_str().to_owned()),
                    server_side_token_check: false,
                }],
                ..IdentityPoolConfig::default()
            },
        )
        .await
        .unwrap();
    let trust = s3cognito_service::bootstrap::identity_pool_trust_policy(&pool.id);
    identity.create_role("users", RoleSettings { trust_policy: trust, ..RoleSettings::default() }).await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
        "Resource":"arn:aws:s3:::b/private/${cognito-identity.amazonaws.com:sub}/*"}]}"#;
    identity.put_role_policy("users", "own", policy).await.unwrap();
    let roles = BTreeMap::from([("authenticated".to_owned(), format!("arn:aws:iam::{ACCOUNT}:role/users"))]);
    identity.set_identity_pool_roles(&pool.id, roles, BTreeMap::new()).await.unwrap();
    (harness, pool.id, provider)
}

#[tokio::test]
async fn credentials_reach_the_callers_own_prefix_only_and_expire() {
    let (harness, pool, provider) = identity_harness().await;
    harness.confirmed_user("alice").await;
    let tokens = harness.sign_in("alice").await;
    let logins = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let identity = &harness.app.identity;
    let identity_id = identity.get_id(&pool, &logins).await.unwrap();
    assert_eq!(identity.get_id(&pool, &logins).await.unwrap(), identity_id, "one identity per user");
    let credentials = identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
    assert!(credentials.access_key_id.starts_with("ASIA"));
    assert_eq!(credentials.expiration, crate::START + 3600);

    let access = &harness.app.access;
    let principal = access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap().unwrap();
    let own = format!("arn:aws:s3:::b/private/{identity_id}/file");
    identity.authorize(&principal, "s3:PutObject", &own, &[]).await.unwrap();
    let other = "arn:aws:s3:::b/private/us-east-1:00000000-0000-0000-0000-000000000000/file";
    assert!(matches!(identity.authorize(&principal, "s3:GetObject", other, &[]).await, Err(ServiceError::AccessDenied(_))));

    let tampered = format!("{}x", credentials.session_token);
    assert_eq!(access.principal(&credentials.access_key_id, Some(&tampered)).await.unwrap(), Err(SessionTokenError::Invalid));
    assert_eq!(access.principal(&credentials.access_key_id, None).await.unwrap(), Err(SessionTokenError::Missing));

    harness.clock.advance(3599);
    assert!(access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap().is_ok());
    harness.clock.advance(1);
    assert_eq!(
        access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap(),
        Err(SessionTokenError::Expired)
    );
    assert_eq!(identity.sweep_expired_credentials().await.unwrap(), 0, "expired only after the instant");
    harness.clock.advance(1);
    assert_eq!(identity.sweep_expired_credentials().await.unwrap(), 1);
    assert_eq!(
        access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap(),
        Err(SessionTokenError::Invalid)
    );
}

#[tokio::test]
async fn the_secret_is_sealed_and_the_token_kept_only_as_a_digest() {
    let (harness, pool, provider) = identity_harness().await;
    harness.confirmed_user("bob").await;
    let tokens = harness.sign_in("bob").await;
    let logins = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let identity_id = harness.app.identity.get_id(&pool, &logins).await.unwrap();
    let credentials = harness.app.identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
    let record = harness.app.store.session_credentials(&credentials.access_key_id).await.unwrap().unwrap();
    assert!(!record.sealed_secret.contains(&credentials.secret_access_key));
    assert!(!record.session_token_hash.contains(&credentials.session_token));
    assert_eq!(
        harness.app.access.secret_of(&credentials.access_key_id).await.unwrap().as_deref(),
        Some(credentials.secret_access_key.as_str())
    );
}

#[tokio::test]
async fn disabling_or_deleting_the_user_ends_their_credentials() {
    let (harness, pool, provider) = identity_harness().await;
    for (name, delete) in [("carol", false), ("dave", true)] {
        let username = harness.confirmed_user(name).await;
        let tokens = harness.sign_in(name).await;
        let logins = BTreeMap::from([(provider.clone(), tokens.id_token.clone())]);
        let identity_id = harness.app.identity.get_id(&pool, &logins).await.unwrap();
        let credentials = harness.app.identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
        if delete {
            harness.app.user_pools.admin_delete_user(&harness.pool, &username).await.unwrap();
        } else {
            harness.app.user_pools.admin_set_enabled(&harness.pool, &username, false).await.unwrap();
        }
        assert_eq!(
            harness.app.access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap(),
            Err(SessionTokenError::Invalid),
            "{name}"
        );
        let again = harness.app.identity.get_credentials_for_identity(&identity_id, &logins, None).await;
        assert!(matches!(again, Err(ServiceError::NotAuthorized(_))), "{name}: {again:?}");
    }
}

#[tokio::test]
async fn expired_id_tokens_and_foreign_pools_are_refused() {
    let (harness, pool, provider) = identity_harness().await;
    harness.confirmed_user("erin").await;
    let tokens = harness.sign_in("erin").await;
    let identity = &harness.app.identity;
    let wrong_provider = BTreeMap::from([("cognito-idp.us-east-1.amazonaws.com/us-east-1_Nope12345".to_owned(), tokens.id_token.clone())]);
    assert!(matches!(identity.get_id(&pool, &wrong_provider).await, Err(ServiceError::NotAuthorized(_))));
    let access_token_login = BTreeMap::from([(provider.clone(), tokens.access_token.clone())]);
    assert!(matches!(identity.get_id(&pool, &access_token_login).await, Err(ServiceError::NotAuthorized(_))));
    assert!(matches!(identity.get_id(&pool, &BTreeMap::new()).await, Err(ServiceError::NotAuthorized(_))), "no unauthenticated access");
    harness.clock.advance(3600);
    let expired = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let refused = identity.get_id(&pool, &expired).await;
    assert!(matches!(&refused, Err(ServiceError::NotAuthorized(message)) if message.contains("expired")), "{refused:?}");
}

#[tokio::test]
async fn a_trust_policy_that_does_not_name_the_pool_refuses_credentials() {
    let (harness, pool, provider) = identity_harness().await;
    let identity = &harness.app.identity;
    let other_trust = s3cognito_service::bootstrap::identity_pool_trust_policy("us-east-1:11111111-1111-1111-1111-111111111111");
    identity.update_assume_role_policy("users", &other_trust).await.unwrap();
    harness.confirmed_user("frank").await;
    let tokens = harness.sign_in("frank").await;
    let logins = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let identity_id = identity.get_id(&pool, &logins).await.unwrap();
    let refused = identity.get_credentials_for_identity(&identity_id, &logins, None).await;
    assert!(matches!(refused, Err(ServiceError::NoUsableRole(_))), "{refused:?}");
}

#[tokio::test]
async fn deleting_a_role_ends_what_its_credentials_may_do() {
    let (harness, pool, provider) = identity_harness().await;
    harness.confirmed_user("grace").await;
    let tokens = harness.sign_in("grace").await;
    let logins = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let identity = &harness.app.identity;
    let identity_id = identity.get_id(&pool, &logins).await.unwrap();
    let credentials = identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
    let principal =
        harness.app.access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap().unwrap();
    let own = format!("arn:aws:s3:::b/private/{identity_id}/file");
    identity.authorize(&principal, "s3:GetObject", &own, &[]).await.unwrap();
    assert!(matches!(identity.delete_role("users").await, Err(ServiceError::DeleteConflict(_))));
    identity.delete_role_policy("users", "own").await.unwrap();
    identity.delete_role("users").await.unwrap();
    assert!(matches!(identity.authorize(&principal, "s3:GetObject", &own, &[]).await, Err(ServiceError::AccessDenied(_))));

    // A role created again under the same name (same ARN, new role id) is another role: the old
    // session gets nothing from it, while new credentials do.
    let trust = s3cognito_service::bootstrap::identity_pool_trust_policy(&pool);
    identity.create_role("users", RoleSettings { trust_policy: trust, ..RoleSettings::default() }).await.unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
        "Resource":"arn:aws:s3:::b/private/${cognito-identity.amazonaws.com:sub}/*"}]}"#;
    identity.put_role_policy("users", "own", policy).await.unwrap();
    assert!(matches!(identity.authorize(&principal, "s3:GetObject", &own, &[]).await, Err(ServiceError::AccessDenied(_))));
    let fresh = identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
    let fresh = harness.app.access.principal(&fresh.access_key_id, Some(&fresh.session_token)).await.unwrap().unwrap();
    identity.authorize(&fresh, "s3:GetObject", &own, &[]).await.unwrap();
}

#[tokio::test]
async fn the_basic_flow_trades_an_open_id_token_for_the_same_access() {
    let (harness, pool, provider) = identity_harness().await;
    harness.confirmed_user("heidi").await;
    let tokens = harness.sign_in("heidi").await;
    let logins = BTreeMap::from([(provider, tokens.id_token.clone())]);
    let identity = &harness.app.identity;
    let identity_id = identity.get_id(&pool, &logins).await.unwrap();
    let token = identity.get_open_id_token(&identity_id, &logins).await.unwrap();
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/users");
    let assumed = identity.assume_role_with_web_identity(&role_arn, "basic", &token, None, None).await.unwrap();
    assert_eq!(assumed.subject, identity_id);
    assert_eq!(assumed.audience, pool);
    let credentials = &assumed.assumed.credentials;
    let principal =
        harness.app.access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap().unwrap();
    identity.authorize(&principal, "s3:PutObject", &format!("arn:aws:s3:::b/private/{identity_id}/x"), &[]).await.unwrap();
    assert!(identity.authorize(&principal, "s3:PutObject", "arn:aws:s3:::b/private/someone/x", &[]).await.is_err());

    // A forged token (another key's signature) and an expired one are refused.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert!(matches!(
        identity.assume_role_with_web_identity(&role_arn, "basic", &forged, None, None).await,
        Err(ServiceError::InvalidIdentityToken(_))
    ));
    harness.clock.advance(600);
    assert!(matches!(
        identity.assume_role_with_web_identity(&role_arn, "basic", &token, None, None).await,
        Err(ServiceError::ExpiredToken(_))
    ));
}

#[tokio::test]
async fn unauthenticated_identities_get_the_unauthenticated_role_only_when_allowed() {
    let (harness, pool, _) = identity_harness().await;
    let identity = &harness.app.identity;
    let guest_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",
        "Condition":{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}}]}"#;
    identity.create_role("guests", RoleSettings { trust_policy: guest_trust.to_owned(), ..RoleSettings::default() }).await.unwrap();
    let read_public = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::b/public/*"}]}"#;
    identity.put_role_policy("guests", "read-public", read_public).await.unwrap();
    let roles = BTreeMap::from([
        ("authenticated".to_owned(), format!("arn:aws:iam::{ACCOUNT}:role/users")),
        ("unauthenticated".to_owned(), format!("arn:aws:iam::{ACCOUNT}:role/guests")),
    ]);
    identity.set_identity_pool_roles(&pool, roles, BTreeMap::new()).await.unwrap();
    let none = BTreeMap::new();
    assert!(matches!(identity.get_id(&pool, &none).await, Err(ServiceError::NotAuthorized(_))), "not allowed yet");

    let view = identity.describe_identity_pool(&pool).await.unwrap();
    let config = IdentityPoolConfig { allow_unauthenticated_identities: true, ..view.config };
    identity.update_identity_pool(&pool, &view.name, config).await.unwrap();
    let guest = identity.get_id(&pool, &none).await.unwrap();
    assert_ne!(identity.get_id(&pool, &none).await.unwrap(), guest, "each guest is a new identity");
    let credentials = identity.get_credentials_for_identity(&guest, &none, None).await.unwrap();
    let principal =
        harness.app.access.principal(&credentials.access_key_id, Some(&credentials.session_token)).await.unwrap().unwrap();
    identity.authorize(&principal, "s3:GetObject", "arn:aws:s3:::b/public/a", &[]).await.unwrap();
    assert!(identity.authorize(&principal, "s3:PutObject", "arn:aws:s3:::b/public/a", &[]).await.is_err());
    assert!(identity.authorize(&principal, "s3:GetObject", &format!("arn:aws:s3:::b/private/{guest}/a"), &[]).await.is_err());
    // The authenticated role's trust policy requires amr "authenticated": a guest cannot get it.
    let view = identity.describe_identity_pool(&pool).await.unwrap();
    let mut roles = view.config.roles.clone();
    roles.insert("unauthenticated".to_owned(), format!("arn:aws:iam::{ACCOUNT}:role/users"));
    identity.set_identity_pool_roles(&pool, roles, BTreeMap::new()).await.unwrap();
    let refused = identity.get_credentials_for_identity(&guest, &none, None).await;
    assert!(matches!(refused, Err(ServiceError::NoUsableRole(_))), "{refused:?}");
}

#[tokio::test]
async fn logins_of_two_different_users_are_refused() {
    let (harness, pool, provider) = identity_harness().await;
    let identity = &harness.app.identity;
    // A second user pool, also a provider of the identity pool.
    let other_pool = harness
        .app
        .user_pools
        .create_user_pool("us-east-1", s3cognito_service::user_pool::PoolSettings { name: "other".to_owned(), config: Default::default() })
        .await
        .unwrap();
    let other_pool = s3cognito_types::UserPoolId::parse(other_pool.id).unwrap();
    let other_client = crate::Harness::client_of(&harness.app, &other_pool, false).await;
    let other_provider = identity.provider_name(&other_pool);
    let view = identity.describe_identity_pool(&pool).await.unwrap();
    let mut config = view.config.clone();
    config.cognito_identity_providers.push(CognitoProvider {
        provider_name: other_provider.clone(),
        client_id: Some(other_client.as_str().to_owned()),
        server_side_token_check: false,
    });
    identity.update_identity_pool(&pool, &view.name, config).await.unwrap();
    let ivan = s3cognito_types::Username::parse("ivan").unwrap();
    let users = &harness.app.user_pools;
    users
        .sign_up(&other_client, None, ivan.clone(), crate::PASSWORD, vec![("email".to_owned(), "ivan@example.com".to_owned())])
        .await
        .unwrap();
    users.admin_confirm_sign_up(&other_pool, &ivan).await.unwrap();
    let outcome = users
        .initiate_auth(s3cognito_service::user_pool::AuthRequest {
            client_id: other_client.clone(),
            flow: "USER_PASSWORD_AUTH".to_owned(),
            parameters: [("USERNAME", "ivan"), ("PASSWORD", crate::PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
            admin_pool: None,
        })
        .await
        .unwrap();
    let s3cognito_service::user_pool::AuthOutcome::Tokens(ivan_tokens) = outcome else { panic!("expected tokens") };

    harness.confirmed_user("judy").await;
    let judy = harness.sign_in("judy").await;
    let each = [
        BTreeMap::from([(provider.clone(), judy.id_token.clone())]),
        BTreeMap::from([(other_provider.clone(), ivan_tokens.id_token.clone())]),
    ];
    for logins in &each {
        identity.get_id(&pool, logins).await.unwrap();
    }
    let both = BTreeMap::from([(provider, judy.id_token.clone()), (other_provider, ivan_tokens.id_token.clone())]);
    let refused = identity.get_id(&pool, &both).await;
    assert!(matches!(&refused, Err(ServiceError::NotAuthorized(message)) if message.contains("don't match")), "{refused:?}");
}

/// A pool's settings exactly as the `identity_pools.config` column holds them: every member, in the
/// order they are written, with the nulls written for absent options.
const STORED_CONFIG: &str = concat!(
    r#"{"AllowUnauthenticatedIdentities":true,"AllowClassicFlow":true,"#,
    r#""CognitoIdentityProviders":[{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123","ClientId":"stored-client","ServerSideTokenCheck":true},"#,
    r#"{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234","ClientId":null,"ServerSideTokenCheck":false}],"#,
    r#""SupportedLoginProviders":{"accounts.google.com":"google-client"},"DeveloperProviderName":"login.example","#,
    r#""OpenIdConnectProviderARNs":["arn:aws:iam::123456789012:oidc-provider/issuer.example"],"#,
    r#""SamlProviderARNs":["arn:aws:iam::123456789012:saml-provider/corp"],"IdentityPoolTags":{"team":"storage"},"#,
    r#""Roles":{"authenticated":"arn:aws:iam::123456789012:role/users","unauthenticated":"arn:aws:iam::123456789012:role/guests"},"#,
    r#""RoleMappings":{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234":{"Type":"Token","AmbiguousRoleResolution":null,"RulesConfiguration":null},"#,
    r#""cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123:stored-client":{"Type":"Rules","AmbiguousRoleResolution":"AuthenticatedRole","RulesConfiguration":{"Rules":["#,
    r#"{"Claim":"email","MatchType":"StartsWith","Value":"alice","RoleARN":"arn:aws:iam::123456789012:role/readers"},"#,
    r#"{"Claim":"cognito:groups","MatchType":"NotEqual","Value":"guests","RoleARN":"arn:aws:iam::123456789012:role/editors"}]}}}}"#,
);

/// Puts a pool row with `config` straight into the store, as an earlier release would have left it.
async fn stored_pool(harness: &Harness, id: &str, config: &str) {
    let record = s3cognito_meta::IdentityPoolRecord {
        id: id.to_owned(),
        name: "stored".to_owned(),
        config: config.to_owned(),
        created_at: crate::START,
        updated_at: crate::START,
    };
    harness.app.store.insert_identity_pool(&record).await.unwrap();
}

async fn stored_config(harness: &Harness, id: &str) -> String {
    harness.app.store.identity_pool(id).await.unwrap().unwrap().config
}

#[tokio::test]
async fn pools_stored_by_earlier_releases_load_and_are_written_back_unchanged() {
    let harness = Harness::new().await;
    let identity = &harness.app.identity;
    let id = "us-east-1:00000000-0000-0000-0000-000000000001";
    stored_pool(&harness, id, STORED_CONFIG).await;

    let view = identity.describe_identity_pool(id).await.unwrap();
    assert!(view.config.allow_unauthenticated_identities && view.config.allow_classic_flow);
    assert_eq!(view.config.cognito_identity_providers.len(), 2);
    assert_eq!(view.config.cognito_identity_providers[1].client_id, None);
    assert_eq!(view.config.developer_provider_name.as_deref(), Some("login.example"));
    assert_eq!(view.config.roles.len(), 2);
    let token = &view.config.role_mappings["cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234"];
    assert_eq!((token.mapping_type, token.ambiguous_role_resolution, &token.rules_configuration), (MappingType::Token, None, &None));
    let rules = &view.config.role_mappings["cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123:stored-client"];
    assert_eq!(rules.mapping_type, MappingType::Rules);
    assert_eq!(rules.ambiguous_role_resolution, Some(AmbiguousRoleResolution::AuthenticatedRole));
    let match_types: Vec<MatchType> =
        rules.rules_configuration.as_ref().unwrap().rules.iter().map(|rule| rule.match_type).collect();
    assert_eq!(match_types, [MatchType::StartsWith, MatchType::NotEqual]);

    // Both writers of the row rewrite the whole document.
    identity.set_identity_pool_roles(id, view.config.roles.clone(), view.config.role_mappings.clone()).await.unwrap();
    assert_eq!(stored_config(&harness, id).await, STORED_CONFIG);
    identity.update_identity_pool(id, &view.name, view.config.clone()).await.unwrap();
    assert_eq!(stored_config(&harness, id).await, STORED_CONFIG);
    assert_eq!(identity.describe_identity_pool(id).await.unwrap(), view);
}

#[tokio::test]
async fn stored_pools_missing_members_load_with_their_defaults() {
    let harness = Harness::new().await;
    let identity = &harness.app.identity;
    let id = "us-east-1:00000000-0000-0000-0000-000000000002";
    let sparse = concat!(
        r#"{"AllowUnauthenticatedIdentities":true,"#,
        r#""CognitoIdentityProviders":[{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123"}],"#,
        r#""RoleMappings":{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123":{"Type":"Token"}}}"#,
    );
    stored_pool(&harness, id, sparse).await;
    let view = identity.describe_identity_pool(id).await.unwrap();
    assert!(view.config.allow_unauthenticated_identities && !view.config.allow_classic_flow);
    assert!(!view.config.cognito_identity_providers[0].server_side_token_check);
    assert!(view.config.roles.is_empty() && view.config.identity_pool_tags.is_empty());

    identity.update_identity_pool(id, &view.name, view.config.clone()).await.unwrap();
    let written = concat!(
        r#"{"AllowUnauthenticatedIdentities":true,"AllowClassicFlow":false,"#,
        r#""CognitoIdentityProviders":[{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123","ClientId":null,"ServerSideTokenCheck":false}],"#,
        r#""SupportedLoginProviders":{},"DeveloperProviderName":null,"OpenIdConnectProviderARNs":[],"SamlProviderARNs":[],"#,
        r#""IdentityPoolTags":{},"Roles":{},"#,
        r#""RoleMappings":{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123":{"Type":"Token","AmbiguousRoleResolution":null,"RulesConfiguration":null}}}"#,
    );
    assert_eq!(stored_config(&harness, id).await, written);
}

#[tokio::test]
async fn a_stored_token_mapping_with_rules_no_longer_accepted_still_loads() {
    // Earlier releases checked match types only in Rules mappings, so a Token mapping may have been
    // stored with rules whose match type is now refused. A Token mapping never reads its rules.
    let harness = Harness::new().await;
    let id = "us-east-1:00000000-0000-0000-0000-000000000003";
    let config = concat!(
        r#"{"AllowUnauthenticatedIdentities":false,"#,
        r#""RoleMappings":{"cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123":{"Type":"Token","AmbiguousRoleResolution":"Deny","RulesConfiguration":{"Rules":["#,
        r#"{"Claim":"email","MatchType":"Bogus","Value":"a","RoleARN":"arn:aws:iam::123456789012:role/readers"}]}}}}"#,
    );
    stored_pool(&harness, id, config).await;
    let view = harness.app.identity.describe_identity_pool(id).await.unwrap();
    let mapping = &view.config.role_mappings["cognito-idp.us-east-1.amazonaws.com/us-east-1_Stored123"];
    assert_eq!(mapping.mapping_type, MappingType::Token);
    assert_eq!(mapping.ambiguous_role_resolution, Some(AmbiguousRoleResolution::Deny));
    assert_eq!(mapping.rules_configuration, None);
}

/// A data dir an earlier release bootstrapped has the role policy naming the default key by
/// `kms:RequestAlias`, which Decrypt never carries: the next start writes today's, unless an admin
/// changed the policy since.
#[tokio::test]
async fn the_bootstrap_role_policy_of_an_earlier_release_is_brought_up_to_date_and_an_admins_is_kept() {
    use s3cognito_service::bootstrap::{AUTHENTICATED_POLICY_NAME as POLICY, AUTHENTICATED_ROLE_NAME as ROLE};
    let harness = crate::Harness::new().await;
    let app = &harness.app;
    s3cognito_service::bootstrap::ensure(app).await.unwrap();
    let (_, current) = app.identity.get_role_policy(ROLE, POLICY).await.unwrap();
    let mut earlier: serde_json::Value = serde_json::from_str(&current).unwrap();
    let statement = earlier["Statement"].as_array_mut().unwrap().iter_mut().find(|statement| statement["Sid"] == "DefaultKey").unwrap();
    statement["Condition"] = serde_json::json!({"StringEquals": {"kms:RequestAlias": "alias/s3cognito-default"}});
    let earlier = earlier.to_string();
    assert_ne!(earlier, current);

    app.identity.put_role_policy(ROLE, POLICY, &earlier).await.unwrap();
    s3cognito_service::bootstrap::ensure(app).await.unwrap();
    assert_eq!(app.identity.get_role_policy(ROLE, POLICY).await.unwrap().1, current, "brought up to date");

    let admins = earlier.replace("s3:GetObjectAttributes", "s3:GetObjectTagging");
    app.identity.put_role_policy(ROLE, POLICY, &admins).await.unwrap();
    s3cognito_service::bootstrap::ensure(app).await.unwrap();
    assert_eq!(app.identity.get_role_policy(ROLE, POLICY).await.unwrap().1, admins, "an admin's change stays");
}
