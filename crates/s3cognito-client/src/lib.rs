//! The client side of s3cognito, used by the CLI and the tests: Amplify's configuration file, the user
//! pool flows (sign-up, confirmation, SRP sign-in) and the user's own files (identity-pool credentials,
//! S3, the upload's record on GraphQL, files encrypted on this machine with KMS data keys), on the official
//! AWS SDKs for Rust.

mod audit;
mod encryption;
mod exports;
mod http;
mod storage;
mod user_pool;

pub use audit::{AuditSource, audit_page};
pub use encryption::DEFAULT_KEY;
pub use exports::AwsExports;
pub use storage::{Decrypt, DownloadPlan, Downloaded, MIN_PART_SIZE, Progress, UploadPlan, Uploaded, UserStorage};
pub use user_pool::{SignedIn, UserPoolClient};

/// What can go wrong on the client side.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service refused the call; `code` is its AWS error code (`NotAuthorizedException`…).
    #[error("{code}: {message}")]
    Service { code: String, message: String },
    /// The call did not reach the service or its answer could not be read.
    #[error("request failed: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    #[error("configuration: {0}")]
    Config(String),
    /// A multipart upload stopped with `stored` of its `parts` on the server, kept there for the same
    /// upload run again to continue.
    #[error("interrupted with {stored} of {parts} parts stored ({reason}); run the same upload again to continue it")]
    Interrupted { stored: u64, parts: u64, reason: Box<ClientError> },
    /// A download stopped with `written` of its `size` bytes in the file beside its destination, kept for
    /// the same download run again to continue.
    #[error("interrupted with {written} of {size} bytes written ({reason}); run the same download again to continue it")]
    DownloadInterrupted { written: u64, size: u64, reason: Box<ClientError> },
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;
