//! First start in an empty data dir: the default user pool, app client, identity pool id, bucket name,
//! account id and root access key. Idempotent: every id is recorded in `settings` and read back later,
//! so restarts and replicas sharing a database agree on one set.

use s3cognito_types::{BucketName, arn};
use s3cognito_crypto::random;
use s3cognito_meta::AccessKeyRecord;
use s3cognito_types::{ClientId, GroupName, UserPoolId};

use crate::App;
use crate::error::Result;
use crate::user_pool::config::{ClientConfig, PoolConfig};
use crate::user_pool::{ClientSettings, PoolSettings};

/// The ids and keys every client of this deployment is configured with.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub account_id: String,
    pub user_pool_id: UserPoolId,
    pub client_id: ClientId,
    pub identity_pool_id: String,
    pub bucket: String,
    pub root_access_key_id: String,
    pub root_secret_access_key: String,
}

/// Reads the bootstrap account id without creating anything; the binary needs it before `App` exists.
pub async fn account_id(store: &s3cognito_meta::Store) -> Result<String> {
    Ok(store.setting_or_insert("account_id", &random::random_from_alphabet(12, "0123456789".as_bytes())).await?)
}

pub async fn ensure(app: &App) -> Result<Bootstrap> {
    let store = &app.store;
    let region = &app.region;
    let account_id = account_id(store).await?;

    let candidate_pool = format!("{region}_{}", random::random_from_alphabet(9, crate::user_pool::POOL_ID_ALPHABET));
    let user_pool_id = UserPoolId::parse(store.setting_or_insert("default_user_pool_id", &candidate_pool).await?)?;
    if store.user_pool(user_pool_id.as_str()).await?.is_none() {
        let config = PoolConfig { auto_verified_attributes: vec!["email".to_owned()], ..PoolConfig::default() };
        let settings = PoolSettings { name: "s3cognito".to_owned(), config };
        // Another replica may win this race; its pool is just as good.
        if let Err(error) = app.user_pools.create_user_pool_with_id(&user_pool_id, settings).await
            && store.user_pool(user_pool_id.as_str()).await?.is_none()
        {
            return Err(error);
        }
    }

    let candidate_client = random::random_alphanumeric(26);
    let client_id = ClientId::parse(store.setting_or_insert("default_client_id", &candidate_client).await?)?;
    if store.client(client_id.as_str()).await?.is_none() {
        let config = ClientConfig {
            explicit_auth_flows: [
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ]
            .map(str::to_owned)
            .to_vec(),
            ..ClientConfig::default()
        };
        let settings = ClientSettings { name: "s3cognito-web".to_owned(), generate_secret: false, config };
        if let Err(error) = app.user_pools.create_user_pool_client_with_id(&user_pool_id, &client_id, settings).await
            && store.client(client_id.as_str()).await?.is_none()
        {
            return Err(error);
        }
    }

    ensure_admin_group(app, &user_pool_id).await?;
    app.monitoring.seal_master_key_check().await?;

    let identity_pool_id = store
        .setting_or_insert("default_identity_pool_id", &format!("{region}:{}", uuid::Uuid::new_v4()))
        .await?;
    let bucket = store
        .setting_or_insert("default_bucket", &format!("s3cognito-{}", random::random_from_alphabet(12, "abcdefghijklmnopqrstuvwxyz0123456789".as_bytes())))
        .await?;
    let bucket_name = BucketName::parse(bucket.clone())?;

    app.objects
        .ensure_bucket(&bucket_name, "root")
        .await
        .map_err(|error| crate::ServiceError::Internal(format!("creating the bootstrap bucket: {error}")))?;
    // The upload page talks to the bucket from the browser; its rules are set once and then the
    // admin's to change.
    if app.objects.bucket_cors(&bucket_name).await.map_err(|error| crate::ServiceError::Internal(error.to_string()))?.is_none()
        && store.setting("default_bucket_cors_set").await?.is_none()
    {
        app.objects
            .put_bucket_cors(&bucket_name, crate::objects::cors::upload_page_rules())
            .await
            .map_err(|error| crate::ServiceError::Internal(error.to_string()))?;
        store.setting_or_insert("default_bucket_cors_set", "true").await?;
    }

    ensure_identity_pool(app, &account_id, &identity_pool_id, &user_pool_id, &client_id, &bucket).await?;
    ensure_default_key(app).await?;

    let candidate_key = crate::access::new_access_key_id("AKIA");
    let root_access_key_id = store.setting_or_insert("root_access_key_id", &candidate_key).await?;
    let root = match store.access_key(&root_access_key_id).await? {
        Some(key) => key,
        None => {
            let key = AccessKeyRecord {
                access_key_id: root_access_key_id.clone(),
                secret_access_key: crate::access::new_secret_access_key(),
                principal: "root".to_owned(),
                created_at: app.clock.now(),
                user_name_key: None,
                sealed_secret: None,
                status: "Active".to_owned(),
            };
            match store.insert_access_key(&key).await {
                Ok(()) => key,
                Err(s3cognito_meta::MetaError::Conflict) => store
                    .access_key(&root_access_key_id)
                    .await?
                    .ok_or_else(|| crate::ServiceError::Internal("root key vanished".to_owned()))?,
                Err(other) => return Err(other.into()),
            }
        }
    };

    Ok(Bootstrap {
        account_id,
        user_pool_id,
        client_id,
        identity_pool_id,
        bucket,
        root_access_key_id,
        root_secret_access_key: root.secret_access_key,
    })
}

/// The administrators group of the bootstrap pool (`--admin-group`): its members see every user's upload
/// jobs and the monitoring dashboard. Created once; after that it is the admin's to manage like any group
/// (deleted, it stays deleted).
async fn ensure_admin_group(app: &App, pool_id: &UserPoolId) -> Result<()> {
    let store = &app.store;
    if store.setting("default_admin_group_created").await?.is_some() {
        return Ok(());
    }
    let name = GroupName::parse(app.uploads.settings().admin_group.clone())?;
    let description = Some("Administrators of the deployment: every user's upload jobs and the monitoring dashboard".to_owned());
    match app.user_pools.create_group(pool_id, name, description, None, None).await {
        Ok(_) | Err(crate::ServiceError::GroupExists(_)) => {}
        Err(other) => return Err(other),
    }
    store.setting_or_insert("default_admin_group_created", "true").await?;
    Ok(())
}

/// The default KMS key, `alias/s3cognito-default`, with the default key policy: created once, then the
/// admin's. Two replicas starting together may both make a key; the one whose alias lands keeps it and
/// the other's key is removed.
async fn ensure_default_key(app: &App) -> Result<()> {
    let store = &app.store;
    if store.setting("default_kms_key_created").await?.is_some() || store.kms_alias(crate::kms::DEFAULT_ALIAS).await?.is_some() {
        store.setting_or_insert("default_kms_key_created", "true").await?;
        return Ok(());
    }
    let new = crate::kms::NewKey {
        description: Some("The default key of the deployment's users".to_owned()),
        ..Default::default()
    };
    let key = app.kms.create_key(new, &[arn::account_root(&app.identity.settings().account_id)], false).await?;
    let named = app.kms.resolve(&key.key_id).await?;
    match app.kms.create_alias(crate::kms::DEFAULT_ALIAS, &named).await {
        Ok(()) => {}
        Err(crate::ServiceError::AlreadyExists(_)) => {
            store.delete_kms_key(&key.key_id).await?;
        }
        Err(other) => return Err(other),
    }
    store.setting_or_insert("default_kms_key_created", "true").await?;
    Ok(())
}

/// The bootstrap identity pool's authenticated role: Amplify Storage's access levels on the bootstrap
/// bucket, keyed by the caller's identity id.
pub const AUTHENTICATED_ROLE_NAME: &str = "s3cognito-authenticated";
pub const AUTHENTICATED_POLICY_NAME: &str = "s3cognito-user-files";

/// Read/write `public/*`, read `protected/*`, write `protected/<identityId>/*`, read/write
/// `private/<identityId>/*`, and ListBucket only under those prefixes.
pub fn user_files_policy(bucket: &str) -> String {
    files_policy(bucket, serde_json::json!({"ForAnyValue:StringEquals": {"kms:ResourceAliases": crate::kms::DEFAULT_ALIAS}}))
}

/// The role policy releases before KMS wrote: the default key named by `kms:RequestAlias`, which Decrypt
/// (naming no key) never carries. A role whose policy is still exactly this gets today's.
fn earlier_user_files_policy(bucket: &str) -> String {
    files_policy(bucket, serde_json::json!({"StringEquals": {"kms:RequestAlias": crate::kms::DEFAULT_ALIAS}}))
}

fn files_policy(bucket: &str, default_key_condition: serde_json::Value) -> String {
    let sub = "${cognito-identity.amazonaws.com:sub}";
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnAndPublicFiles",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                           "s3:ListMultipartUploadParts", "s3:GetObjectAttributes"],
                "Resource": [
                    arn::object(bucket, "public/*"),
                    arn::object(bucket, &format!("protected/{sub}/*")),
                    arn::object(bucket, &format!("private/{sub}/*")),
                ],
            },
            {
                "Sid": "ReadOthersProtectedFiles",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectAttributes"],
                "Resource": [arn::object(bucket, "protected/*")],
            },
            {
                "Sid": "ListOwnAndSharedPrefixes",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [arn::bucket(bucket)],
                "Condition": {"StringLike": {"s3:prefix": [
                    "public/", "public/*", "protected/", "protected/*",
                    format!("private/{sub}/"), format!("private/{sub}/*"),
                ]}},
            },
            {
                "Sid": "DefaultKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": default_key_condition,
            },
        ],
    })
    .to_string()
}

/// Who may assume a role of an identity pool: authenticated identities of that pool only.
pub fn identity_pool_trust_policy(identity_pool_id: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }],
    })
    .to_string()
}

/// The identity pool of aws-exports.json, linked to the bootstrap user pool and app client, with the
/// authenticated role above. Each piece is created once; an admin's later changes are kept.
async fn ensure_identity_pool(
    app: &App,
    account_id: &str,
    identity_pool_id: &str,
    user_pool_id: &UserPoolId,
    client_id: &ClientId,
    bucket: &str,
) -> Result<()> {
    let store = &app.store;
    let role_arn = arn::role(account_id, "/", AUTHENTICATED_ROLE_NAME);
    if store.setting("default_identity_role_created").await?.is_none() {
        if store.role(AUTHENTICATED_ROLE_NAME).await?.is_none() {
            let settings = crate::identity::RoleSettings {
                trust_policy: identity_pool_trust_policy(identity_pool_id),
                description: Some("Users of the bootstrap identity pool: their own files in the bootstrap bucket".to_owned()),
                ..Default::default()
            };
            match app.identity.create_role(AUTHENTICATED_ROLE_NAME, settings).await {
                Ok(_) | Err(crate::ServiceError::GroupExists(_)) => {}
                Err(other) => return Err(other),
            }
        }
        app.identity.put_role_policy(AUTHENTICATED_ROLE_NAME, AUTHENTICATED_POLICY_NAME, &user_files_policy(bucket)).await?;
        store.setting_or_insert("default_identity_role_created", "true").await?;
    } else if let Ok((_, stored)) = app.identity.get_role_policy(AUTHENTICATED_ROLE_NAME, AUTHENTICATED_POLICY_NAME).await
        && stored == earlier_user_files_policy(bucket)
    {
        // Written by an earlier release and never changed since: today's lets users decrypt with the
        // default key. A policy an admin changed is theirs and stays.
        app.identity.put_role_policy(AUTHENTICATED_ROLE_NAME, AUTHENTICATED_POLICY_NAME, &user_files_policy(bucket)).await?;
        tracing::info!("the bootstrap role's policy now names the default KMS key by its aliases");
    }
    if store.identity_pool(identity_pool_id).await?.is_none() {
        let config = crate::identity::IdentityPoolConfig {
            cognito_identity_providers: vec![crate::identity::CognitoProvider {
                provider_name: app.identity.provider_name(user_pool_id),
                client_id: Some(client_id.as_str().to_owned()),
                server_side_token_check: false,
            }],
            roles: [("authenticated".to_owned(), role_arn)].into_iter().collect(),
            ..Default::default()
        };
        match app.identity.create_identity_pool_with_id(identity_pool_id, "s3cognito", config).await {
            Ok(_) | Err(crate::ServiceError::GroupExists(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
