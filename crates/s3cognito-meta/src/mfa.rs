//! Users' software-token MFA: one row per user who has begun setting it up.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::records::AuthSessionRecord;
use crate::store::Store;

/// A user's software token, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserMfaRecord {
    pub pool_id: String,
    pub username: String,
    /// The verified secret, sealed with the master key.
    pub totp_secret: Option<String>,
    /// A secret associated but not verified yet, sealed.
    pub totp_pending: Option<String>,
    pub totp_enabled: bool,
    pub totp_preferred: bool,
    pub device_name: Option<String>,
    /// The last time step a code was accepted for.
    pub last_step: i64,
    pub updated_at: i64,
}

fn mfa_from_row(row: &AnyRow) -> Result<UserMfaRecord> {
    Ok(UserMfaRecord {
        pool_id: row.try_get("pool_id")?,
        username: row.try_get("username")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_pending: row.try_get("totp_pending")?,
        totp_enabled: row.try_get::<i64, _>("totp_enabled")? != 0,
        totp_preferred: row.try_get::<i64, _>("totp_preferred")? != 0,
        device_name: row.try_get("device_name")?,
        last_step: row.try_get("last_step")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn session_from_row(row: &AnyRow) -> Result<AuthSessionRecord> {
    Ok(AuthSessionRecord {
        session_hash: row.try_get("session_hash")?,
        pool_id: row.try_get("pool_id")?,
        client_id: row.try_get("client_id")?,
        username: row.try_get("username")?,
        challenge: row.try_get("challenge")?,
        data: row.try_get("data")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    pub async fn user_mfa(&self, pool_id: &str, username: &str) -> Result<Option<UserMfaRecord>> {
        let row = sqlx::query("SELECT * FROM user_mfa WHERE pool_id = $1 AND username = $2")
            .bind(pool_id)
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(mfa_from_row).transpose()
    }

    /// Stores everything but the last accepted step, which only [`Store::accept_totp_step`] moves.
    pub async fn put_user_mfa(&self, record: &UserMfaRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_mfa (pool_id, username, totp_secret, totp_pending, totp_enabled, totp_preferred, device_name, \
             last_step, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) \
             ON CONFLICT (pool_id, username) DO UPDATE SET totp_secret = $3, totp_pending = $4, totp_enabled = $5, \
             totp_preferred = $6, device_name = $7, updated_at = $8",
        )
        .bind(&record.pool_id)
        .bind(&record.username)
        .bind(&record.totp_secret)
        .bind(&record.totp_pending)
        .bind(i64::from(record.totp_enabled))
        .bind(i64::from(record.totp_preferred))
        .bind(&record.device_name)
        .bind(record.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records that a code of time step `step` was accepted, unless one of that step or a later one already
    /// was: true for exactly one of any callers racing with the same code.
    pub async fn accept_totp_step(&self, pool_id: &str, username: &str, step: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE user_mfa SET last_step = $3 WHERE pool_id = $1 AND username = $2 AND last_step < $3")
            .bind(pool_id)
            .bind(username)
            .bind(step)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The session, left in place: a challenge that may be answered again after a wrong code.
    pub async fn auth_session(&self, session_hash: &str) -> Result<Option<AuthSessionRecord>> {
        let row = sqlx::query("SELECT * FROM auth_sessions WHERE session_hash = $1")
            .bind(session_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }
}
