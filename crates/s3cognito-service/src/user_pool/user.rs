//! A user as the use cases hold it: the stored row decoded once, its attributes as a map and its status
//! as a type, and encoded once when it is written back (with the email lookup column kept in step).

use s3cognito_meta::UserRecord;

use super::Attributes;
use crate::error::{Result, ServiceError};

/// Cognito's user statuses that this server produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
}

impl UserStatus {
    /// The status as Cognito writes it (`UserStatus`, the `cognito:user_status` condition key).
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
        }
    }

    fn parse(text: &str) -> Option<UserStatus> {
        [UserStatus::Unconfirmed, UserStatus::Confirmed, UserStatus::ForceChangePassword, UserStatus::ResetRequired]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for UserStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// One user of one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub pool_id: String,
    pub username: String,
    pub sub: String,
    pub status: UserStatus,
    pub enabled: bool,
    pub attributes: Attributes,
    /// An Argon2id PHC string; absent only for users that never had a password.
    pub password_hash: Option<String>,
    /// The SRP salt (hex) and the verifier sealed with the server's key (base64), set with the password.
    pub srp_salt: Option<String>,
    pub srp_verifier: Option<String>,
    pub password_set_at: i64,
    pub failed_sign_ins: i64,
    pub locked_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    /// The user a stored row holds; a row that does not decode is an internal error, never a user.
    pub(crate) fn decode(record: UserRecord) -> Result<User> {
        let status = UserStatus::parse(&record.status)
            .ok_or_else(|| ServiceError::Internal(format!("stored user status {:?} is unknown", record.status)))?;
        Ok(User {
            attributes: serde_json::from_str(&record.attributes)?,
            status,
            pool_id: record.pool_id,
            username: record.username,
            sub: record.sub,
            enabled: record.enabled,
            password_hash: record.password_hash,
            srp_salt: record.srp_salt,
            srp_verifier: record.srp_verifier,
            password_set_at: record.password_set_at,
            failed_sign_ins: record.failed_sign_ins,
            locked_until: record.locked_until,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    /// The row that stores this user, its email lookup column taken from the `email` attribute.
    pub(crate) fn encode(&self) -> Result<UserRecord> {
        Ok(UserRecord {
            pool_id: self.pool_id.clone(),
            username: self.username.clone(),
            sub: self.sub.clone(),
            status: self.status.as_str().to_owned(),
            enabled: self.enabled,
            attributes: serde_json::to_string(&self.attributes)?,
            email: self.email_index(),
            password_hash: self.password_hash.clone(),
            srp_salt: self.srp_salt.clone(),
            srp_verifier: self.srp_verifier.clone(),
            password_set_at: self.password_set_at,
            failed_sign_ins: self.failed_sign_ins,
            locked_until: self.locked_until,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    /// The `email` attribute as lookups by email match it: lowercased.
    pub(crate) fn email_index(&self) -> Option<String> {
        self.attributes.get("email").map(|email| email.to_lowercase())
    }

    pub(crate) fn email_verified(&self) -> bool {
        self.attributes.get("email_verified").is_some_and(|value| value == "true")
    }
}
