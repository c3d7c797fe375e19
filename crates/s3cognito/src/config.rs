//! Server settings: each one a flag, an environment variable and a key of the TOML config file,
//! in that order of precedence, over a documented default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use s3cognito_http::ConnectionLimits;
use s3cognito_service::limits::RateLimits;
use s3cognito_service::work::WorkLimits;
use serde::Deserialize;

/// The port `serve` listens on when not told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4580";

#[derive(Debug, Default, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeArgs {
    /// A TOML file whose keys are these options' long names with `_` for `-`.
    #[arg(long, env = "S3COGNITO_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Where state lives: the SQLite database, credentials, aws-exports.json, the outbox.
    #[arg(long, env = "S3COGNITO_DATA")]
    pub data: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, env = "S3COGNITO_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Metadata database: `sqlite:PATH` or `postgres://…` (default: SQLite in the data dir).
    #[arg(long, env = "S3COGNITO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The AWS region in ids, ARNs and issuers.
    #[arg(long, env = "S3COGNITO_REGION")]
    pub region: Option<String>,
    /// Base URL of token issuers: `iss` is `<this>/<poolId>` (default: Cognito's own shape).
    #[arg(long, env = "S3COGNITO_ISSUER_BASE_URL")]
    pub issuer_base_url: Option<String>,
    /// The URL clients reach this server at, when a proxy stands in front.
    #[arg(long, env = "S3COGNITO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Where object bytes go: `s3://bucket[/prefix]` on any S3-compatible store (endpoint and keys from
    /// the `AWS_*` variables), or a directory (default: DATA/blobs).
    #[arg(long, env = "S3COGNITO_BLOB_STORE")]
    pub blob_store: Option<String>,
    /// Send mail through this SMTP server instead of writing it to DATA/outbox.
    #[arg(long, env = "S3COGNITO_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The From: address of mail.
    #[arg(long, env = "S3COGNITO_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Failed sign-ins in a row before a user is locked out.
    #[arg(long, env = "S3COGNITO_LOCKOUT_THRESHOLD")]
    pub lockout_threshold: Option<i64>,
    /// The first lockout's length in seconds; it doubles with each further failure.
    #[arg(long, env = "S3COGNITO_LOCKOUT_BASE_SECONDS")]
    pub lockout_base_seconds: Option<i64>,
    /// The longest lockout, in seconds.
    #[arg(long, env = "S3COGNITO_LOCKOUT_MAX_SECONDS")]
    pub lockout_max_seconds: Option<i64>,
    /// How long temporary credentials from GetCredentialsForIdentity last, in seconds (900–43200).
    #[arg(long, env = "S3COGNITO_CREDENTIAL_SECONDS")]
    pub credential_seconds: Option<i64>,
    /// How long a presigned URL from the presign API lasts when the caller does not say, in seconds.
    #[arg(long, env = "S3COGNITO_PRESIGN_SECONDS")]
    pub presign_seconds: Option<i64>,
    /// The longest a caller of the presign API may ask a URL to last, in seconds (at most a week).
    #[arg(long, env = "S3COGNITO_MAX_PRESIGN_SECONDS")]
    pub max_presign_seconds: Option<i64>,
    /// Another user pool whose access tokens the upload routes also take (a real Cognito pool, say): its
    /// issuer, exactly as its tokens' `iss` says it. Needs --trusted-issuer-jwks-url.
    #[arg(long, env = "S3COGNITO_TRUSTED_ISSUER")]
    pub trusted_issuer: Option<String>,
    /// Where the trusted issuer publishes its keys (for Cognito, `<issuer>/.well-known/jwks.json`).
    #[arg(long, env = "S3COGNITO_TRUSTED_ISSUER_JWKS_URL")]
    pub trusted_issuer_jwks_url: Option<String>,
    /// The trusted issuer's app clients whose tokens are taken, comma-separated (default: any).
    #[arg(long, env = "S3COGNITO_TRUSTED_ISSUER_CLIENT_IDS")]
    pub trusted_issuer_client_ids: Option<String>,
    /// The group of the deployment's user pool whose members see every user's upload jobs.
    #[arg(long, env = "S3COGNITO_ADMIN_GROUP")]
    pub admin_group: Option<String>,
    /// The file holding the key that seals secrets at rest (SRP verifiers); created if missing.
    /// Replicas sharing a database must share this key.
    #[arg(long, env = "S3COGNITO_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `s3cognito=debug`.
    #[arg(long, env = "S3COGNITO_LOG")]
    pub log: Option<String>,
    /// `text` (the default) or `json`: one JSON object a line, for log collectors.
    #[arg(long, env = "S3COGNITO_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// Whether metrics are recorded and served (default: true).
    #[arg(long, env = "S3COGNITO_METRICS")]
    pub metrics: Option<bool>,
    /// Serve the metrics on this address of their own instead of the main one.
    #[arg(long, env = "S3COGNITO_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// A bearer token the metrics route asks for (`Authorization: Bearer <token>`); open when unset.
    /// Give it by the variable or the config file, which other users cannot read off the process list.
    #[arg(long, env = "S3COGNITO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Whether security-relevant events are kept in the audit log (default: true).
    #[arg(long, env = "S3COGNITO_AUDIT")]
    pub audit: Option<bool>,
    /// Days the audit log keeps an event (default: 90).
    #[arg(long, env = "S3COGNITO_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<i64>,
    /// Password hashes computed at once (default: one per core); each holds 19 MiB while it works.
    #[arg(long, env = "S3COGNITO_HASH_WORKERS")]
    pub hash_workers: Option<usize>,
    /// Requests that may wait for a password hash; past that they get TooManyRequestsException.
    #[arg(long, env = "S3COGNITO_HASH_QUEUE")]
    pub hash_queue: Option<usize>,
    /// Sign-in calls one source address may make a minute.
    #[arg(long, env = "S3COGNITO_ADDRESS_SIGN_INS_PER_MINUTE")]
    pub address_sign_ins_per_minute: Option<i64>,
    /// Sign-up, confirmation and password-reset calls one source address may make a minute.
    #[arg(long, env = "S3COGNITO_ADDRESS_ACCOUNT_CALLS_PER_MINUTE")]
    pub address_account_calls_per_minute: Option<i64>,
    /// Codes one user may have mailed on request (resend, forgot password) an hour.
    #[arg(long, env = "S3COGNITO_USER_CODES_PER_HOUR")]
    pub user_codes_per_hour: Option<i64>,
    /// Wrong guesses at one user's codes an hour, across every code they were sent.
    #[arg(long, env = "S3COGNITO_USER_CODE_GUESSES_PER_HOUR")]
    pub user_code_guesses_per_hour: Option<i64>,
    /// Messages to one email address an hour.
    #[arg(long, env = "S3COGNITO_MAILS_PER_ADDRESS_PER_HOUR")]
    pub mails_per_address_per_hour: Option<i64>,
    /// Upload jobs one user may record on request (presigned PUTs, createUploadJob) an hour.
    #[arg(long, env = "S3COGNITO_USER_JOB_RECORDS_PER_HOUR")]
    pub user_job_records_per_hour: Option<i64>,
    /// Seconds a request's head may take to arrive, and a kept-alive connection may sit idle.
    #[arg(long, env = "S3COGNITO_HEADER_READ_TIMEOUT_SECONDS")]
    pub header_read_timeout_seconds: Option<u64>,
    /// Connections open at once (default: what the open-file limit allows, less a reserve).
    #[arg(long, env = "S3COGNITO_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Connections open at once from one source address (default: half of --max-connections).
    #[arg(long, env = "S3COGNITO_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key. Reloaded when it changes.
    #[arg(long, env = "S3COGNITO_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "S3COGNITO_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
}

/// Settings with every default applied.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub database_url: String,
    pub region: String,
    pub issuer_base_url: Option<String>,
    pub public_url: Option<String>,
    pub smtp_url: Option<String>,
    pub blob_store: Option<String>,
    pub mail_from: String,
    pub lockout_threshold: i64,
    pub lockout_base_seconds: i64,
    pub lockout_max_seconds: i64,
    pub credential_seconds: i64,
    pub uploads: s3cognito_service::uploads::UploadSettings,
    pub master_key_file: PathBuf,
    pub log: String,
    pub work: WorkLimits,
    pub rate_limits: RateLimits,
    pub connections: ConnectionLimits,
    pub tls: Option<s3cognito_http::tls::TlsFiles>,
    pub log_format: LogFormat,
    pub metrics: bool,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    pub audit: s3cognito_service::audit::AuditSettings,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl ServeArgs {
    /// Fills what flags and environment left open from the config file, then from defaults.
    pub fn resolve(self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => read_config_file(path)?,
            None => ServeArgs::default(),
        };
        let data = self.data.or(file.data).unwrap_or_else(|| PathBuf::from("./s3cognito-data"));
        let database_url = self
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite:{}?mode=rwc", data.join("meta.db").display()));
        let settings = Settings {
            listen: match self.listen.or(file.listen) {
                Some(listen) => listen,
                None => DEFAULT_LISTEN.parse()?,
            },
            database_url,
            region: self.region.or(file.region).unwrap_or_else(|| s3cognito_types::DEFAULT_REGION.to_owned()),
            issuer_base_url: self.issuer_base_url.or(file.issuer_base_url),
            public_url: self.public_url.or(file.public_url),
            smtp_url: self.smtp_url.or(file.smtp_url),
            blob_store: self.blob_store.or(file.blob_store),
            mail_from: self.mail_from.or(file.mail_from).unwrap_or_else(|| "s3cognito <no-reply@localhost>".to_owned()),
            lockout_threshold: self.lockout_threshold.or(file.lockout_threshold).unwrap_or(5),
            lockout_base_seconds: self.lockout_base_seconds.or(file.lockout_base_seconds).unwrap_or(5),
            lockout_max_seconds: self.lockout_max_seconds.or(file.lockout_max_seconds).unwrap_or(900),
            credential_seconds: self
                .credential_seconds
                .or(file.credential_seconds)
                .unwrap_or(s3cognito_service::DEFAULT_CREDENTIAL_SECONDS),
            uploads: {
                let default = s3cognito_service::uploads::UploadSettings::default();
                s3cognito_service::uploads::UploadSettings {
                    presign_seconds: self.presign_seconds.or(file.presign_seconds).unwrap_or(default.presign_seconds),
                    max_presign_seconds: self.max_presign_seconds.or(file.max_presign_seconds).unwrap_or(default.max_presign_seconds),
                    admin_group: self.admin_group.or(file.admin_group).unwrap_or(default.admin_group),
                    trusted_issuer: match (
                        self.trusted_issuer.or(file.trusted_issuer),
                        self.trusted_issuer_jwks_url.or(file.trusted_issuer_jwks_url),
                    ) {
                        (Some(issuer), Some(jwks_url)) => Some(s3cognito_service::uploads::TrustedIssuer {
                            issuer,
                            jwks_url,
                            client_ids: self.trusted_issuer_client_ids.or(file.trusted_issuer_client_ids).map(|ids| {
                                ids.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect()
                            }),
                        }),
                        (None, None) => None,
                        _ => anyhow::bail!("--trusted-issuer and --trusted-issuer-jwks-url go together"),
                    },
                }
            },
            log: log_filter(self.log.or(file.log).as_deref().unwrap_or("info")),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            metrics: self.metrics.or(file.metrics).unwrap_or(true),
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
            metrics_token: self.metrics_token.or(file.metrics_token).filter(|token| !token.is_empty()),
            audit: s3cognito_service::audit::AuditSettings {
                enabled: self.audit.or(file.audit).unwrap_or(true),
                retention_seconds: self.audit_retention_days.or(file.audit_retention_days).unwrap_or(90).saturating_mul(86_400),
            },
            master_key_file: self.master_key_file.or(file.master_key_file).unwrap_or_else(|| data.join("master.key")),
            data,
            work: {
                let default = WorkLimits::default();
                let workers = self.hash_workers.or(file.hash_workers).unwrap_or(default.workers);
                WorkLimits { workers, queue: self.hash_queue.or(file.hash_queue).unwrap_or(workers * 32) }
            },
            tls: match (self.tls_cert.or(file.tls_cert), self.tls_key.or(file.tls_key)) {
                (Some(cert), Some(key)) => Some(s3cognito_http::tls::TlsFiles { cert, key }),
                (None, None) => None,
                _ => anyhow::bail!("--tls-cert and --tls-key go together"),
            },
            connections: {
                let timeout = std::time::Duration::from_secs(
                    self.header_read_timeout_seconds.or(file.header_read_timeout_seconds).unwrap_or(30),
                );
                let default = ConnectionLimits::for_descriptors(open_file_limit(), timeout);
                let max_connections = self.max_connections.or(file.max_connections).unwrap_or(default.max_connections);
                ConnectionLimits {
                    header_read_timeout: timeout,
                    max_connections,
                    max_connections_per_address: self
                        .max_connections_per_address
                        .or(file.max_connections_per_address)
                        .unwrap_or((max_connections / 2).max(1)),
                }
            },
            rate_limits: {
                let default = RateLimits::default();
                let pick = |flag: Option<i64>, file: Option<i64>, default: i64| flag.or(file).unwrap_or(default);
                RateLimits {
                    address_sign_ins_per_minute: pick(
                        self.address_sign_ins_per_minute,
                        file.address_sign_ins_per_minute,
                        default.address_sign_ins_per_minute,
                    ),
                    address_account_calls_per_minute: pick(
                        self.address_account_calls_per_minute,
                        file.address_account_calls_per_minute,
                        default.address_account_calls_per_minute,
                    ),
                    user_codes_per_hour: pick(self.user_codes_per_hour, file.user_codes_per_hour, default.user_codes_per_hour),
                    user_code_guesses_per_hour: pick(
                        self.user_code_guesses_per_hour,
                        file.user_code_guesses_per_hour,
                        default.user_code_guesses_per_hour,
                    ),
                    mails_per_address_per_hour: pick(
                        self.mails_per_address_per_hour,
                        file.mails_per_address_per_hour,
                        default.mails_per_address_per_hour,
                    ),
                    user_job_records_per_hour: pick(
                        self.user_job_records_per_hour,
                        file.user_job_records_per_hour,
                        default.user_job_records_per_hour,
                    ),
                }
            },
        };
        anyhow::ensure!(settings.connections.header_read_timeout.as_secs() >= 1, "the header read timeout must be at least 1 second");
        anyhow::ensure!(settings.connections.max_connections >= 1, "max connections must be at least 1");
        anyhow::ensure!(settings.connections.max_connections_per_address >= 1, "max connections per address must be at least 1");
        anyhow::ensure!(settings.work.workers >= 1, "hash workers must be at least 1");
        anyhow::ensure!(settings.work.queue >= 1, "the hash queue must hold at least 1 request");
        anyhow::ensure!(settings.lockout_threshold >= 1, "lockout threshold must be at least 1");
        anyhow::ensure!(settings.lockout_base_seconds >= 1, "lockout base must be at least 1 second");
        anyhow::ensure!(
            (1..=604_800).contains(&settings.uploads.max_presign_seconds),
            "max presign seconds must be between 1 and 604800 (a week)"
        );
        anyhow::ensure!(
            (1..=settings.uploads.max_presign_seconds).contains(&settings.uploads.presign_seconds),
            "presign seconds must be between 1 and the max presign seconds"
        );
        anyhow::ensure!(settings.audit.retention_seconds >= 86_400, "the audit log keeps events at least 1 day");
        anyhow::ensure!(
            settings.metrics || (settings.metrics_listen.is_none() && settings.metrics_token.is_none()),
            "--metrics-listen and --metrics-token need the metrics on"
        );
        anyhow::ensure!(
            (900..=43_200).contains(&settings.credential_seconds),
            "credential seconds must be between 900 and 43200"
        );
        Ok(settings)
    }
}

/// The soft limit on open files of this process.
fn open_file_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(65_536)
}

/// The S3 wire layer (s3s) logs every refused request at ERROR, some with the whole request body: any
/// caller could write megabytes of log a request. It stays silent unless a filter names it; our own
/// line for each refused request says what matters, in a few bytes.
fn log_filter(filter: &str) -> String {
    if filter.contains("s3s") { filter.to_owned() } else { format!("{filter},s3s=off") }
}

fn read_config_file(path: &Path) -> anyhow::Result<ServeArgs> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}
