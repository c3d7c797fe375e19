//! `ServiceError`: every way a use case can fail, named by what happened, not by a wire code.
//!
//! Each wire crate maps every variant to its protocol's error shape in one exhaustive match.

/// A use case's failure. Messages are safe to show a client; internal causes are logged, not sent.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Wrong credentials, a revoked or expired token, a disabled user, a refused operation.
    #[error("{0}")]
    NotAuthorized(String),
    /// A request that cannot be carried out as asked (a flow the client may not use, a value out of range).
    #[error("{0}")]
    Invalid(String),
    /// One member of a request breaks its constraint; each protocol words it its own way.
    #[error("{0}")]
    InvalidMember(InvalidMember),
    /// A new password that breaks the pool's password policy.
    #[error("{0}")]
    InvalidPassword(String),
    /// What the request names does not exist (a pool, a client, a role, a group).
    #[error("{0}")]
    NotFound(String),
    #[error("User does not exist.")]
    UserNotFound,
    #[error("User account already exists")]
    UsernameExists,
    #[error("{0}")]
    GroupExists(String),
    #[error("An account with the email already exists.")]
    AliasExists,
    /// The mail with a code could not be sent; the cause is logged.
    #[error("Unable to deliver the verification code; please try again later.")]
    DeliveryFailed,
    #[error("User is not confirmed.")]
    UserNotConfirmed,
    #[error("Password reset required for the user")]
    PasswordResetRequired,
    #[error("Invalid verification code provided, please try again.")]
    CodeMismatch,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    /// A budget is spent: codes mailed or guessed per user, mails per address, policy sizes, attempts.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Too many calls at once or from one address; the client should retry later.
    #[error("{0}")]
    Overloaded(String),
    /// A token of another kind than the operation takes (an access token where a refresh token belongs).
    #[error("{0}")]
    WrongTokenType(String),
    /// A name already taken (an IAM role, an identity pool, an OpenID Connect provider).
    #[error("{0}")]
    AlreadyExists(String),
    /// A policy document that does not parse, or does not fit where it is put.
    #[error("{0}")]
    MalformedPolicy(String),
    /// Deleting something that others still depend on (a role with policies).
    #[error("{0}")]
    DeleteConflict(String),
    /// The caller's policies do not allow the request.
    #[error("{0}")]
    AccessDenied(String),
    /// A web identity token that is forged, malformed, or from an issuer nobody trusts.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// A web identity token past its expiry.
    #[error("{0}")]
    ExpiredToken(String),
    /// The identity pool has no role it can give the caller.
    #[error("{0}")]
    NoUsableRole(String),
    /// A refusal only KMS has (a disabled key, a damaged ciphertext), each with its own code there.
    #[error(transparent)]
    Kms(#[from] crate::kms::KmsRefusal),
    /// A refusal of software-token MFA (a wrong or reused code, no token), each with its own code.
    #[error(transparent)]
    Mfa(#[from] crate::user_pool::mfa::MfaRefusal),
    /// The request's signature or credentials are not acceptable.
    #[error(transparent)]
    Authentication(#[from] AuthenticationError),
    /// Something broke on our side; the cause is logged and the client sees only that it happened.
    #[error("internal error: {0}")]
    Internal(String),
}

/// A request member that breaks its constraint: which member (as AWS names it, `roleSessionName`), the
/// value when it may be shown back, and the constraint in AWS's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidMember {
    pub member: &'static str,
    pub value: Option<String>,
    pub constraint: String,
}

impl InvalidMember {
    /// The error for `member` breaking `constraint`.
    pub fn error(member: &'static str, value: Option<String>, constraint: impl Into<String>) -> ServiceError {
        ServiceError::InvalidMember(InvalidMember { member, value, constraint: constraint.into() })
    }
}

impl std::fmt::Display for InvalidMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.member, self.constraint)
    }
}

/// Why a signed request was refused, in the terms AWS uses for SigV4.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticationError {
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    #[error("{0}")]
    IncompleteSignature(String),
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureDoesNotMatch,
    #[error("Signature expired: the request time is more than 15 minutes away from the server time.")]
    RequestExpired,
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// A credential scope naming another region than the one this service answers for.
    #[error("Credential should be scoped to a valid region.")]
    WrongRegion { given: String, expected: String },
}

impl From<s3cognito_meta::MetaError> for ServiceError {
    fn from(error: s3cognito_meta::MetaError) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

impl From<s3cognito_crypto::CryptoError> for ServiceError {
    fn from(error: s3cognito_crypto::CryptoError) -> Self {
        ServiceError::Internal(error.to_string())
    }
}

impl From<s3cognito_types::InvalidName> for ServiceError {
    fn from(error: s3cognito_types::InvalidName) -> Self {
        ServiceError::Invalid(error.to_string())
    }
}

impl From<serde_json::Error> for ServiceError {
    fn from(error: serde_json::Error) -> Self {
        ServiceError::Internal(format!("stored document is malformed: {error}"))
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
