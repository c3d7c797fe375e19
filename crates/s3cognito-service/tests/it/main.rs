//! The user pool's use cases end to end over a real SQLite store, with a clock the tests move
//! and a mailer that keeps what it was asked to send.

mod abuse;
mod audit;
mod identity;
mod objects;
mod sign_in;
mod srp;
mod stored;
mod tokens;
mod users;

use std::sync::{Arc, Mutex};

use s3cognito_meta::Store;
use s3cognito_service::App;
use s3cognito_service::clock::ManualClock;
use s3cognito_service::mail::{Mail, Mailer};
use s3cognito_service::user_pool::config::{ClientConfig, PoolConfig};
use s3cognito_service::user_pool::{AuthOutcome, AuthRequest, ClientSettings, PoolSettings, Tokens, UserPoolSettings};
use s3cognito_types::{ClientId, UserPoolId, Username};

pub const PASSWORD: &str = "Correct-Horse-9";
pub const START: i64 = 1_800_000_000;

#[derive(Debug, Default)]
pub struct Outbox(Mutex<Vec<Mail>>);

#[async_trait::async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: Mail) -> s3cognito_service::Result<()> {
        self.0.lock().unwrap().push(mail);
        Ok(())
    }
}

impl Outbox {
    /// The 6-digit code in the newest message to `to`.
    pub fn code_for(&self, to: &str) -> String {
        let mails = self.0.lock().unwrap();
        let mail = mails.iter().rev().find(|mail| mail.to == to).expect("a message to that address");
        mail.body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a 6-digit code").to_owned()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

pub struct Harness {
    pub app: App,
    pub clock: ManualClock,
    pub outbox: Arc<Outbox>,
    pub pool: UserPoolId,
    pub client: ClientId,
    pub url: String,
    _directory: tempfile::TempDir,
}

/// One key for every app of a test run, as replicas share theirs.
static SEALING_KEY: std::sync::LazyLock<Arc<s3cognito_crypto::aead::SealingKey>> =
    std::sync::LazyLock::new(|| Arc::new(s3cognito_crypto::aead::SealingKey::generate()));

pub fn settings() -> UserPoolSettings {
    UserPoolSettings {
        issuer_base: UserPoolSettings::aws_issuer_base("us-east-1"),
        account_id: "123456789012".to_owned(),
        lockout_threshold: 5,
        lockout_base_seconds: 5,
        lockout_max_seconds: 900,
        confirmation_code_seconds: 24 * 3600,
        reset_code_seconds: 3600,
        sealing_key: SEALING_KEY.clone(),
        work: s3cognito_service::work::WorkLimits::default(),
    }
}

/// Cognito's budgets, as `serve` has them by default.
pub fn rate_limits() -> s3cognito_service::limits::RateLimits {
    s3cognito_service::limits::RateLimits::default()
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_config(PoolConfig { auto_verified_attributes: vec!["email".to_owned()], ..PoolConfig::default() }).await
    }

    pub async fn with_config(config: PoolConfig) -> Harness {
        Harness::with_limits(config, rate_limits()).await
    }

    pub async fn with_limits(config: PoolConfig, limits: s3cognito_service::limits::RateLimits) -> Harness {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", directory.path().join("meta.db").display());
        let clock = ManualClock::starting_at(START);
        let outbox = Arc::new(Outbox::default());
        let app = Harness::app_with(&url, &clock, outbox.clone(), limits).await;
        let pool = app
            .user_pools
            .create_user_pool("us-east-1", PoolSettings { name: "test".to_owned(), config })
            .await
            .unwrap();
        let pool = UserPoolId::parse(pool.id).unwrap();
        let client = Harness::client_of(&app, &pool, false).await;
        Harness { app, clock, outbox, pool, client, url, _directory: directory }
    }

    pub async fn app(url: &str, clock: &ManualClock, outbox: &Arc<Outbox>) -> App {
        Harness::app_with(url, clock, outbox.clone(), rate_limits()).await
    }

    /// An app on the database at `url` with its own mailer and budgets.
    pub async fn app_with(
        url: &str,
        clock: &ManualClock,
        mailer: Arc<dyn Mailer>,
        limits: s3cognito_service::limits::RateLimits,
    ) -> App {
        let blobs = s3cognito_blob::BlobStore::local(&std::env::temp_dir().join(format!("s3cognito-blobs-{}", uuid_like()))).unwrap();
        Harness::app_on(url, clock, mailer, limits, blobs).await
    }

    /// An app on the database at `url` whose object bytes go to `blobs`.
    pub async fn app_on(
        url: &str,
        clock: &ManualClock,
        mailer: Arc<dyn Mailer>,
        limits: s3cognito_service::limits::RateLimits,
        blobs: s3cognito_blob::BlobStore,
    ) -> App {
        let store = Store::connect(url).await.unwrap();
        App::new(store, Arc::new(clock.clone()), mailer, blobs, "us-east-1".to_owned(), settings(), limits)
    }

    pub async fn client_of(app: &App, pool: &UserPoolId, generate_secret: bool) -> ClientId {
        let config = ClientConfig {
            explicit_auth_flows: [
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
            ]
                .map(str::to_owned)
                .to_vec(),
            ..ClientConfig::default()
        };
        let client = app
            .user_pools
            .create_user_pool_client(pool, ClientSettings { name: "app".to_owned(), generate_secret, config })
            .await
            .unwrap();
        ClientId::parse(client.client_id).unwrap()
    }

    /// Signs up and confirms `username` with the code from the outbox.
    pub async fn confirmed_user(&self, username: &str) -> Username {
        let name = Username::parse(username).unwrap();
        let email = format!("{username}@example.com");
        self.app
            .user_pools
            .sign_up(&self.client, None, name.clone(), PASSWORD, vec![("email".to_owned(), email.clone())])
            .await
            .unwrap();
        let code = self.outbox.code_for(&email);
        self.app.user_pools.confirm_sign_up(&self.client, None, &name, &code).await.unwrap();
        name
    }

    pub async fn password_auth(&self, username: &str, password: &str) -> s3cognito_service::Result<AuthOutcome> {
        self.app
            .user_pools
            .initiate_auth(AuthRequest {
                client_id: self.client.clone(),
                flow: "USER_PASSWORD_AUTH".to_owned(),
                parameters: [("USERNAME", username), ("PASSWORD", password)]
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .into(),
                admin_pool: None,
            })
            .await
    }

    pub async fn sign_in(&self, username: &str) -> Tokens {
        match self.password_auth(username, PASSWORD).await.unwrap() {
            AuthOutcome::Tokens(tokens) => tokens,
            other => panic!("expected tokens, got {other:?}"),
        }
    }
}

fn uuid_like() -> String {
    s3cognito_crypto::random::random_alphanumeric(16)
}

/// The error's message, for asserting the wording clients see.
pub fn message<T: std::fmt::Debug>(result: s3cognito_service::Result<T>) -> String {
    result.expect_err("expected an error").to_string()
}
