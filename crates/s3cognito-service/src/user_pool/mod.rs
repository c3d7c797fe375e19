//! The user pool: pools and app clients, users and their attributes, sign-up and sign-in, tokens, groups.
//!
//! This mirrors Cognito's cognito-idp service. Methods take parsed values and return plain structs;
//! the http crate turns them into Cognito's JSON.

mod admin;
mod auth;
pub mod config;
mod groups;
pub mod mfa;
mod stored;
mod tokens;
mod user;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use s3cognito_meta::{ClientRecord, Store, UserPoolRecord};
use s3cognito_types::{ClientId, UserPoolId};

pub use admin::{ClientSettings, ClientView, PoolSettings, PoolView};
pub use auth::{AuthFlow, AuthOutcome, AuthRequest, ChallengeAnswer, ChallengeName};
pub use groups::GroupView;
pub use tokens::{AccessTokenUser, Tokens};
use tokens::KeyCache;
pub use user::{User, UserStatus};
pub use users::{CodeDelivery, ListUsersPage, SignUpOutcome, UserView};

use crate::clock::Clock;
use crate::error::{Result, ServiceError};
use crate::limits::Limiter;
use crate::mail::Mailer;
use crate::work::SlowWork;
use config::{ClientConfig, PoolConfig};

/// Settings that shape every pool's behaviour.
#[derive(Debug, Clone)]
pub struct UserPoolSettings {
    /// `iss` of every token is `<issuer_base>/<poolId>`; AWS's own shape by default.
    pub issuer_base: String,
    /// The 12-digit account id in every ARN.
    pub account_id: String,
    /// Failed sign-ins in a row before the user is locked out for a while.
    pub lockout_threshold: i64,
    /// The first lockout lasts this long; each further failure doubles it, up to `lockout_max_seconds`.
    pub lockout_base_seconds: i64,
    pub lockout_max_seconds: i64,
    /// How long a sign-up confirmation code stays valid.
    pub confirmation_code_seconds: i64,
    /// Seals SRP verifiers and challenge state at rest; it lives outside the database.
    pub sealing_key: Arc<s3cognito_crypto::aead::SealingKey>,
    /// How long a password-reset code stays valid.
    pub reset_code_seconds: i64,
    /// How many password hashes run at once, and how many wait.
    pub work: crate::work::WorkLimits,
}

impl UserPoolSettings {
    pub fn aws_issuer_base(region: &str) -> String {
        format!("https://cognito-idp.{region}.amazonaws.com")
    }
}

/// The user pool use cases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UserPools {
    store: Store,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    settings: Arc<UserPoolSettings>,
    keys: KeyCache,
    work: SlowWork,
    limiter: Limiter,
    delivery_cost: Arc<DeliveryCost>,
}

/// How long mailing a code has lately taken (a moving average), so that the answer for a name that
/// matches no user, which mails nothing, can take as long: with SMTP a delivery takes a while, and
/// answering at once would say that nobody of that name exists.
#[derive(Debug, Default)]
struct DeliveryCost {
    micros: std::sync::atomic::AtomicU64,
}

impl DeliveryCost {
    fn record(&self, took: std::time::Duration) {
        use std::sync::atomic::Ordering;
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).min(30_000_000);
        let _ = self.micros.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |average| {
            Some(if average == 0 { took } else { (average * 7 + took) / 8 })
        });
    }

    async fn mirror(&self) {
        let micros = self.micros.load(std::sync::atomic::Ordering::Relaxed);
        if micros > 0 {
            tokio::time::sleep(std::time::Duration::from_micros(micros)).await;
        }
    }
}

/// Cognito's pool id suffixes mix cases and digits.
pub(crate) const POOL_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A user's attributes, by name.
pub type Attributes = BTreeMap<String, String>;

impl UserPools {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        settings: UserPoolSettings,
        limiter: Limiter,
    ) -> Self {
        let work = SlowWork::new(settings.work);
        UserPools {
            store,
            clock,
            mailer,
            settings: Arc::new(settings),
            keys: KeyCache::default(),
            work,
            limiter,
            delivery_cost: Arc::default(),
        }
    }

    pub fn settings(&self) -> &UserPoolSettings {
        &self.settings
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The issuer of every token of `pool_id`.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{}", self.settings.issuer_base.trim_end_matches('/'), pool_id)
    }

    async fn pool(&self, pool_id: &UserPoolId) -> Result<(UserPoolRecord, PoolConfig)> {
        let record = self
            .store
            .user_pool(pool_id.as_str())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("User pool {pool_id} does not exist.")))?;
        let config = stored::read_pool(&record.config)?;
        Ok((record, config))
    }

    async fn client(&self, client_id: &ClientId) -> Result<(ClientRecord, ClientConfig)> {
        let record = self
            .store
            .client(client_id.as_str())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("User pool client {client_id} does not exist.")))?;
        let config = stored::read_client(&record.config)?;
        Ok((record, config))
    }

    /// The client and its pool, for the public (unsigned) calls that name only a client.
    async fn client_and_pool(&self, client_id: &ClientId) -> Result<ClientContext> {
        let (client, client_config) = self.client(client_id).await?;
        let pool_id = UserPoolId::parse(client.pool_id.clone())?;
        let (_, pool_config) = self.pool(&pool_id).await?;
        Ok(ClientContext { pool_id, pool_config, client, client_config })
    }

    /// The user a name means in this pool: the username, or the email where the pool signs in by
    /// email (as the username attribute, or as an alias once verified).
    async fn find_user(&self, pool_id: &UserPoolId, config: &PoolConfig, name: &str) -> Result<Option<User>> {
        if let Some(user) = self.store.user(pool_id.as_str(), name).await? {
            return Ok(Some(User::decode(user)?));
        }
        if !(config.email_is_username() || config.email_is_alias()) || !name.contains('@') {
            return Ok(None);
        }
        let candidates = self.store.users_by_email(pool_id.as_str(), &name.to_lowercase()).await?;
        for candidate in candidates {
            let user = User::decode(candidate)?;
            if config.email_is_username() || user.email_verified() {
                return Ok(Some(user));
            }
        }
        Ok(None)
    }

    /// For admin calls, which may also name a user by alias.
    async fn user(&self, pool_id: &UserPoolId, name: &str) -> Result<User> {
        let (_, config) = self.pool(pool_id).await?;
        self.find_user(pool_id, &config, name).await?.ok_or(ServiceError::UserNotFound)
    }

    /// Writes a new user, keeping the email lookup column in step with the attributes.
    async fn insert_user(&self, user: &User) -> Result<()> {
        self.store.insert_user(&user.encode()?).await.map_err(|error| match error {
            s3cognito_meta::MetaError::Conflict => ServiceError::UsernameExists,
            other => other.into(),
        })
    }

    /// Writes a changed user, keeping the email lookup column in step with the attributes.
    async fn save_user(&self, user: &User) -> Result<()> {
        self.store.update_user(&user.encode()?).await?;
        Ok(())
    }
}

/// Everything a public call needs to know about the client it came through.
#[derive(Debug)]
struct ClientContext {
    pool_id: UserPoolId,
    pool_config: PoolConfig,
    client: ClientRecord,
    client_config: ClientConfig,
}

impl ClientContext {
    /// Checks `SECRET_HASH` = Base64(HMAC-SHA256(client secret, username ‖ client id)) when the client has a secret.
    fn check_secret_hash(&self, username: &str, secret_hash: Option<&str>) -> Result<()> {
        let Some(secret) = &self.client.secret else {
            return Ok(());
        };
        let client_id = &self.client.client_id;
        let Some(given) = secret_hash else {
            return Err(ServiceError::NotAuthorized(format!(
                "Client {client_id} is configured with secret but SECRET_HASH was not received"
            )));
        };
        let expected = compute_secret_hash(secret, username, client_id);
        if s3cognito_crypto::compare::constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            Ok(())
        } else {
            Err(ServiceError::NotAuthorized(format!("Unable to verify secret hash for client {client_id}")))
        }
    }

    /// Whether errors may reveal that a user does not exist (the client's PreventUserExistenceErrors).
    fn reveals_missing_users(&self) -> bool {
        self.client_config.prevent_user_existence_errors == "LEGACY"
    }
}

/// Base64(HMAC-SHA256(key = client secret, message = username ‖ client id)), as Cognito defines SECRET_HASH.
fn compute_secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use base64::Engine as _;
    let mac = s3cognito_crypto::digest::hmac_sha256(secret.as_bytes(), format!("{username}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Cognito's masking of a delivery address: `d***@e***`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!(
            "{}***@{}***",
            local.chars().next().unwrap_or('*'),
            domain.chars().next().unwrap_or('*')
        ),
        None => "***".to_owned(),
    }
}

/// A pagination token: the last key of the page, opaque to clients.
fn encode_page_token(after: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(after)
}

fn decode_page_token(token: &str) -> Result<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ServiceError::Invalid("Invalid pagination token".to_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_emails_like_cognito() {
        assert_eq!(super::mask_email("demo@example.com"), "d***@e***");
    }
}
