//! The metadata database: one `Store` over SQLite (the default, a file in the data dir) or PostgreSQL.
//!
//! Queries are written once in SQL both engines understand and run through sqlx's `Any` driver;
//! ids are text, times are epoch seconds, and JSON documents are opaque text owned by the service layer.

mod audit;
mod iam;
mod identity;
mod kms;
mod mfa;
mod migrate;
mod objects;
mod records;
mod store;
mod timed;
mod upload_jobs;

pub use audit::{AuditCursor, AuditEventRecord, AuditFilter, EventCount, PrefixUsage, StoredTotals, UploadCount};
pub use iam::{AttachedTo, Capped, IamDeletion, IamUserRecord, ManagedPolicyRecord, PolicyVersionRecord};
pub use mfa::UserMfaRecord;
pub use kms::{KmsAliasRecord, KmsKeyRecord, KmsKeyVersionRecord};
pub use objects::{BucketDeletion, CURRENT_POSITION, Deletion, prefix_successor};
pub use upload_jobs::JobCursor;
pub use records::{
    AccessKeyRecord, AuthSessionRecord, BucketRecord, ClientRecord, CodeRecord, CompletedUploadRecord, GroupRecord, IdentityPoolRecord,
    IdentityRecord, ObjectRecord, OidcProviderRecord, VersionRecord, PartRecord, RefreshTokenRecord, RoleRecord,
    SessionCredentialRecord, SigningKeyRecord, UploadJobRecord, UploadRecord, UserPoolRecord, UserRecord,
};
pub use store::Store;

/// What can go wrong talking to the metadata database.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// A row with the same key already exists.
    #[error("already exists")]
    Conflict,
    /// The URL names no engine we support.
    #[error("unsupported database url (expected sqlite: or postgres:): {0}")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A blob the row would name is no longer pending: its writer took so long that it was reclaimed as
    /// abandoned. Nothing was written.
    #[error("blob {0} was reclaimed as abandoned before it was committed")]
    Reclaimed(String),
    /// A conditional write found the key not as the writer required (`existed`: whether it held an object).
    /// Nothing was written.
    #[error("the write's precondition did not hold")]
    Precondition { existed: bool },
}

impl From<sqlx::Error> for MetaError {
    /// Every database error is counted on its way out, for monitoring.
    fn from(error: sqlx::Error) -> MetaError {
        metrics::counter!("s3cognito_metadata_errors_total").increment(1);
        MetaError::Database(error)
    }
}

pub type Result<T, E = MetaError> = std::result::Result<T, E>;
