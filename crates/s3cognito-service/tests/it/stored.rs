//! Pool and app-client rows as earlier releases wrote them: they load, and are written back as the same
//! text, so a release changes the settings' domain types without migrating a row.

use std::collections::BTreeMap;

use s3cognito_service::ServiceError;
use s3cognito_service::user_pool::config::{
    ClientConfig, MfaConfiguration, PasswordPolicy, PoolConfig, TimeUnit, Validity,
};
use s3cognito_service::user_pool::{ClientSettings, PoolSettings};
use s3cognito_types::{ClientId, UserPoolId};

use crate::{Harness, START};

// These documents are what the release before the split wrote, byte for byte, for these settings.
const STORED_POOL: &str = concat!(
    r#"{"password_policy":{"minimum_length":12,"require_uppercase":false,"require_lowercase":true,"#,
    r#""require_numbers":false,"require_symbols":true,"temporary_password_validity_days":3},"#,
    r#""auto_verified_attributes":["email"],"username_attributes":[],"alias_attributes":["email"],"#,
    r#""mfa_configuration":"OFF","allow_admin_create_user_only":true,"deletion_protection":"ACTIVE","#,
    r#""email_subject":null,"email_message":null,"invite_subject":"Welcome","#,
    r#""invite_message":"Your username is {username} and temporary password is {####}.","#,
    r#""tags":{"cost-center":"42","team":"storage"}}"#,
);

const STORED_CLIENT: &str = concat!(
    r#"{"explicit_auth_flows":["ALLOW_USER_SRP_AUTH","USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"],"#,
    r#""access_token_validity":{"amount":2,"unit":"hours"},"id_token_validity":{"amount":300,"unit":"seconds"},"#,
    r#""refresh_token_validity":{"amount":90,"unit":"days"},"prevent_user_existence_errors":"LEGACY","#,
    r#""enable_token_revocation":false,"auth_session_validity_minutes":10,"#,
    r#""read_attributes":["email","name"],"write_attributes":["name"]}"#,
);

const DEFAULT_POOL: &str = concat!(
    r#"{"password_policy":{"minimum_length":8,"require_uppercase":true,"require_lowercase":true,"#,
    r#""require_numbers":true,"require_symbols":true,"temporary_password_validity_days":7},"#,
    r#""auto_verified_attributes":[],"username_attributes":[],"alias_attributes":[],"#,
    r#""mfa_configuration":"OFF","allow_admin_create_user_only":false,"deletion_protection":"INACTIVE","#,
    r#""email_subject":null,"email_message":null,"invite_subject":null,"invite_message":null,"tags":{}}"#,
);

const DEFAULT_CLIENT: &str = concat!(
    r#"{"explicit_auth_flows":["ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_SRP_AUTH","ALLOW_CUSTOM_AUTH"],"#,
    r#""access_token_validity":{"amount":60,"unit":"minutes"},"id_token_validity":{"amount":60,"unit":"minutes"},"#,
    r#""refresh_token_validity":{"amount":30,"unit":"days"},"prevent_user_existence_errors":"ENABLED","#,
    r#""enable_token_revocation":true,"auth_session_validity_minutes":3,"read_attributes":[],"write_attributes":[]}"#,
);

/// Puts a pool row with `config` straight into the store, as an earlier release would have left it.
async fn stored_pool(harness: &Harness, id: &str, config: &str) -> UserPoolId {
    let record = s3cognito_meta::UserPoolRecord {
        id: id.to_owned(),
        name: "stored".to_owned(),
        config: config.to_owned(),
        created_at: START,
        updated_at: START,
    };
    harness.app.store.insert_user_pool(&record).await.unwrap();
    UserPoolId::parse(id).unwrap()
}

/// Puts a client row with `config` straight into the store, as an earlier release would have left it.
async fn stored_client(harness: &Harness, pool: &UserPoolId, id: &str, config: &str) -> ClientId {
    let record = s3cognito_meta::ClientRecord {
        client_id: id.to_owned(),
        pool_id: pool.to_string(),
        name: "stored".to_owned(),
        secret: None,
        config: config.to_owned(),
        created_at: START,
        updated_at: START,
    };
    harness.app.store.insert_client(&record).await.unwrap();
    ClientId::parse(id).unwrap()
}

async fn pool_document(harness: &Harness, id: &UserPoolId) -> String {
    harness.app.store.user_pool(id.as_str()).await.unwrap().unwrap().config
}

async fn client_document(harness: &Harness, id: &ClientId) -> String {
    harness.app.store.client(id.as_str()).await.unwrap().unwrap().config
}

/// Stores `config` as a new pool's settings, the one path that writes a pool's document, and returns it.
async fn written_pool_document(harness: &Harness, id: &str, config: PoolConfig) -> String {
    let id = UserPoolId::parse(id).unwrap();
    let settings = PoolSettings { name: "written".to_owned(), config };
    harness.app.user_pools.create_user_pool_with_id(&id, settings).await.unwrap();
    pool_document(harness, &id).await
}

#[tokio::test]
async fn pools_and_clients_stored_by_earlier_releases_load_and_are_written_back_unchanged() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let pool = stored_pool(&harness, "us-east-1_StoredPool1", STORED_POOL).await;

    let view = pools.describe_user_pool(&pool).await.unwrap();
    let expected = PoolConfig {
        password_policy: PasswordPolicy {
            minimum_length: 12,
            require_uppercase: false,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: true,
            temporary_password_validity_days: 3,
        },
        auto_verified_attributes: vec!["email".to_owned()],
        username_attributes: vec![],
        alias_attributes: vec!["email".to_owned()],
        mfa_configuration: MfaConfiguration::Off,
        software_token_mfa: false,
        allow_admin_create_user_only: true,
        deletion_protection: "ACTIVE".to_owned(),
        email_subject: None,
        email_message: None,
        invite_subject: Some("Welcome".to_owned()),
        invite_message: Some("Your username is {username} and temporary password is {####}.".to_owned()),
        tags: BTreeMap::from([("cost-center".to_owned(), "42".to_owned()), ("team".to_owned(), "storage".to_owned())]),
    };
    assert_eq!(view.config, expected);
    // The stored deletion protection still protects the pool.
    assert!(matches!(pools.delete_user_pool(&pool).await, Err(ServiceError::Invalid(_))));
    assert_eq!(written_pool_document(&harness, "us-east-1_WrittenPool1", view.config).await, STORED_POOL);

    let client = stored_client(&harness, &pool, "storedclient00000000000001", STORED_CLIENT).await;
    let view = pools.describe_user_pool_client(&pool, &client).await.unwrap();
    let expected = ClientConfig {
        explicit_auth_flows: ["ALLOW_USER_SRP_AUTH", "USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            .map(str::to_owned)
            .to_vec(),
        access_token_validity: Validity { amount: 2, unit: TimeUnit::Hours },
        id_token_validity: Validity { amount: 300, unit: TimeUnit::Seconds },
        refresh_token_validity: Validity { amount: 90, unit: TimeUnit::Days },
        prevent_user_existence_errors: "LEGACY".to_owned(),
        enable_token_revocation: false,
        auth_session_validity_minutes: 10,
        read_attributes: vec!["email".to_owned(), "name".to_owned()],
        write_attributes: vec!["name".to_owned()],
    };
    assert_eq!(view.config, expected);
    pools.update_user_pool_client(&pool, &client, None, view.config.clone()).await.unwrap();
    assert_eq!(client_document(&harness, &client).await, STORED_CLIENT);
    assert_eq!(pools.describe_user_pool_client(&pool, &client).await.unwrap().config, view.config);
}

#[tokio::test]
async fn default_settings_are_stored_as_earlier_releases_stored_them() {
    let harness = Harness::new().await;
    assert_eq!(written_pool_document(&harness, "us-east-1_DefaultPool1", PoolConfig::default()).await, DEFAULT_POOL);
    let pool = UserPoolId::parse("us-east-1_DefaultPool1").unwrap();
    let client = ClientId::parse("defaultclient0000000000001").unwrap();
    let settings = ClientSettings { name: "app".to_owned(), generate_secret: false, config: ClientConfig::default() };
    harness.app.user_pools.create_user_pool_client_with_id(&pool, &client, settings).await.unwrap();
    assert_eq!(client_document(&harness, &client).await, DEFAULT_CLIENT);
}

#[tokio::test]
async fn stored_pools_missing_members_load_with_their_defaults() {
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let sparse = r#"{"password_policy":{"minimum_length":10,"require_symbols":false},"alias_attributes":["email"],"tags":{"team":"storage"}}"#;
    let pool = stored_pool(&harness, "us-east-1_SparsePool1", sparse).await;
    let view = pools.describe_user_pool(&pool).await.unwrap();
    let expected = PoolConfig {
        password_policy: PasswordPolicy { minimum_length: 10, require_symbols: false, ..PasswordPolicy::default() },
        alias_attributes: vec!["email".to_owned()],
        tags: BTreeMap::from([("team".to_owned(), "storage".to_owned())]),
        ..PoolConfig::default()
    };
    assert_eq!(view.config, expected);
    let written = concat!(
        r#"{"password_policy":{"minimum_length":10,"require_uppercase":true,"require_lowercase":true,"#,
        r#""require_numbers":true,"require_symbols":false,"temporary_password_validity_days":7},"#,
        r#""auto_verified_attributes":[],"username_attributes":[],"alias_attributes":["email"],"#,
        r#""mfa_configuration":"OFF","allow_admin_create_user_only":false,"deletion_protection":"INACTIVE","#,
        r#""email_subject":null,"email_message":null,"invite_subject":null,"invite_message":null,"tags":{"team":"storage"}}"#,
    );
    assert_eq!(written_pool_document(&harness, "us-east-1_SparsePool2", view.config).await, written);

    let empty = stored_pool(&harness, "us-east-1_EmptyPool01", "{}").await;
    assert_eq!(pools.describe_user_pool(&empty).await.unwrap().config, PoolConfig::default());
    // A pool without deletion protection in its row is unprotected.
    pools.delete_user_pool(&empty).await.unwrap();
}

#[tokio::test]
async fn stored_documents_that_never_were_valid_are_refused_as_before() {
    // Clients have always been written whole, so a row missing a member was never written by a release.
    let harness = Harness::new().await;
    let pools = &harness.app.user_pools;
    let pool = stored_pool(&harness, "us-east-1_StoredPool2", STORED_POOL).await;
    let client = stored_client(&harness, &pool, "sparseclient00000000000001", r#"{"explicit_auth_flows":[]}"#).await;
    assert!(matches!(pools.describe_user_pool_client(&pool, &client).await, Err(ServiceError::Internal(_))));
    let unit = STORED_CLIENT.replace(r#""unit":"hours""#, r#""unit":"weeks""#);
    let client = stored_client(&harness, &pool, "weeksclient000000000000001", &unit).await;
    assert!(matches!(pools.describe_user_pool_client(&pool, &client).await, Err(ServiceError::Internal(_))));
    let null = stored_pool(&harness, "us-east-1_NullPool001", r#"{"deletion_protection":null}"#).await;
    assert!(matches!(pools.describe_user_pool(&null).await, Err(ServiceError::Internal(_))));
}
