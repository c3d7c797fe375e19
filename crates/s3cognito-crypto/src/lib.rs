//! The cryptography of s3cognito: random identifiers, password hashing, digests, Cognito-shaped
//! JWTs and JWKS, AWS Signature Version 4 verification for the JSON and query protocols, Cognito's
//! SRP (USER_SRP_AUTH, both sides), AES-256-GCM sealing of secrets at rest, the ciphertext
//! blobs of KMS keys, and the AWS Encryption SDK's message format for files encrypted on the client.
//!
//! Nothing here does IO or reads the clock: callers pass the current time as epoch seconds, so
//! every check is reproducible in tests.

pub mod aead;
pub mod calendar;
pub mod chunks;
pub mod compare;
pub mod digest;
pub mod jwt;
pub mod kms;
pub mod message;
pub mod password;
pub mod random;
pub mod sigv4;
pub mod srp;
pub mod totp;

pub use jwt::JwtError;
pub use sigv4::SigV4Error;

/// A failure on our side (key handling, hashing), as opposed to a client's token or signature
/// being rejected, which `JwtError` and `SigV4Error` report.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("RSA key generation failed")]
    KeyGeneration,
    #[error("signing key rejected: {0}")]
    InvalidSigningKey(String),
    #[error("RSA signing failed")]
    Signing,
    #[error("token claims must be a JSON object")]
    ClaimsNotAnObject,
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}
