//! `Store`: every query the service layer needs, one method each, in SQL both engines accept.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::records::*;
use crate::{MetaError, Result, migrate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// The metadata database. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
}

/// Turns a unique-key violation into `Conflict`, so callers can answer "already exists".
pub(crate) fn conflict_or(error: sqlx::Error) -> MetaError {
    match &error {
        sqlx::Error::Database(database_error) if database_error.is_unique_violation() => MetaError::Conflict,
        _ => MetaError::from(error),
    }
}

/// Whether `error` is a foreign-key violation (a row naming one that is gone).
pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database_error) if database_error.is_foreign_key_violation())
}

impl Store {
    /// Connects to `sqlite:PATH` or `postgres://…`, creating a SQLite file if needed, and migrates.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(MetaError::UnsupportedUrl(url.split(':').next().unwrap_or_default().to_owned()));
        };
        if engine == Engine::Sqlite {
            create_private_sqlite_file(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let mut pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if engine == Engine::Sqlite {
            // WAL lets readers run beside the one writer; synchronous=FULL makes a commit durable
            // before we acknowledge it; the busy timeout queues writers instead of failing them.
            pool_options = pool_options.max_connections(8).after_connect(|connection, _| {
                Box::pin(async move {
                    connection
                        .execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool_options.connect_with(options).await?;
        let mut connection = pool.acquire().await?;
        migrate::run(&mut connection, engine).await?;
        drop(connection);
        Ok(Store { pool, engine })
    }

    /// The pool queries run on, each statement timed.
    pub(crate) fn engine(&self) -> Engine {
        self.engine
    }

    pub(crate) fn pool(&self) -> crate::timed::TimedPool<'_> {
        crate::timed::TimedPool(&self.pool)
    }


    /// Closes every connection; used at shutdown so SQLite checkpoints its WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- settings ----

    pub async fn setting(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("value")).transpose()?)
    }

    /// Stores `value` under `name` unless something is there already; returns what is stored.
    /// Two replicas bootstrapping at once therefore agree on one value.
    pub async fn setting_or_insert(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(value)
            .execute(self.pool())
            .await?;
        Ok(self.setting(name).await?.unwrap_or_else(|| value.to_owned()))
    }

    // ---- access keys ----

    pub async fn insert_access_key(&self, key: &AccessKeyRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret_access_key, principal, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&key.access_key_id)
        .bind(&key.secret_access_key)
        .bind(&key.principal)
        .bind(key.created_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>> {
        let row = sqlx::query("SELECT * FROM access_keys WHERE access_key_id = $1")
            .bind(access_key_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(crate::iam::access_key_from_row).transpose()
    }

    // ---- user pools ----

    pub async fn insert_user_pool(&self, pool: &UserPoolRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_pools (id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&pool.id)
        .bind(&pool.name)
        .bind(&pool.config)
        .bind(pool.created_at)
        .bind(pool.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    /// Replaces a pool's settings document; false when there is no such pool.
    pub async fn update_user_pool_config(&self, id: &str, config: &str, updated_at: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE user_pools SET config = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(config)
            .bind(updated_at)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn user_pool(&self, id: &str) -> Result<Option<UserPoolRecord>> {
        let row = sqlx::query("SELECT * FROM user_pools WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_pool_from_row).transpose()
    }

    /// Pools ordered by id, starting after `after`.
    pub async fn list_user_pools(&self, after: Option<&str>, limit: i64) -> Result<Vec<UserPoolRecord>> {
        let rows = sqlx::query("SELECT * FROM user_pools WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_pool_from_row).collect()
    }


    /// Deletes the pool and, by cascade, everything in it.
    pub async fn delete_user_pool(&self, id: &str) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        // Tables keyed by pool but not chained to it by a foreign key are cleared by hand.
        for statement in [
            "DELETE FROM auth_sessions WHERE pool_id = $1",
            "DELETE FROM refresh_tokens WHERE pool_id = $1",
            "DELETE FROM user_codes WHERE pool_id = $1",
            "DELETE FROM group_members WHERE pool_id = $1",
        ] {
            sqlx::query(statement)
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        let done = sqlx::query("DELETE FROM user_pools WHERE id = $1").bind(id).execute(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- app clients ----

    pub async fn insert_client(&self, client: &ClientRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_pool_clients (client_id, pool_id, name, secret, config, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&client.client_id)
        .bind(&client.pool_id)
        .bind(&client.name)
        .bind(&client.secret)
        .bind(&client.config)
        .bind(client.created_at)
        .bind(client.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        let row = sqlx::query("SELECT * FROM user_pool_clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(client_from_row).transpose()
    }

    pub async fn list_clients(&self, pool_id: &str, after: Option<&str>, limit: i64) -> Result<Vec<ClientRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM user_pool_clients WHERE pool_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3",
        )
        .bind(pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(client_from_row).collect()
    }

    pub async fn update_client(&self, client: &ClientRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE user_pool_clients SET name = $2, config = $3, updated_at = $4 WHERE client_id = $1",
        )
        .bind(&client.client_id)
        .bind(&client.name)
        .bind(&client.config)
        .bind(client.updated_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_client(&self, client_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM user_pool_clients WHERE client_id = $1")
            .bind(client_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- signing keys ----

    pub async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<()> {
        sqlx::query("INSERT INTO signing_keys (kid, pool_id, private_key, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&key.kid)
            .bind(&key.pool_id)
            .bind(&key.private_key)
            .bind(key.created_at)
            .execute(self.pool())
            .await
            .map_err(conflict_or)?;
        Ok(())
    }

    /// A pool's keys, newest first: the first one signs, all of them verify.
    pub async fn signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKeyRecord>> {
        let rows = sqlx::query("SELECT * FROM signing_keys WHERE pool_id = $1 ORDER BY created_at DESC, kid")
            .bind(pool_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SigningKeyRecord {
                    kid: row.try_get("kid")?,
                    pool_id: row.try_get("pool_id")?,
                    private_key: row.try_get("private_key")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }


    // ---- users ----

    pub async fn insert_user(&self, user: &UserRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO users (pool_id, username, sub, status, enabled, attributes, password_hash, \
             password_set_at, failed_sign_ins, locked_until, created_at, updated_at, srp_salt, srp_verifier, email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&user.pool_id)
        .bind(&user.username)
        .bind(&user.sub)
        .bind(&user.status)
        .bind(i64::from(user.enabled))
        .bind(&user.attributes)
        .bind(&user.password_hash)
        .bind(user.password_set_at)
        .bind(user.failed_sign_ins)
        .bind(user.locked_until)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(&user.srp_salt)
        .bind(&user.srp_verifier)
        .bind(&user.email)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn user(&self, pool_id: &str, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE pool_id = $1 AND username = $2")
            .bind(pool_id)
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The user with this `sub` (unique: subs are fresh uuids).
    pub async fn user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query("SELECT * FROM users WHERE pool_id = $1 AND sub = $2")
            .bind(pool_id)
            .bind(sub)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The users of a pool with this (lowercased) email, oldest first.
    pub async fn users_by_email(&self, pool_id: &str, email: &str) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query("SELECT * FROM users WHERE pool_id = $1 AND email = $2 ORDER BY created_at, username")
            .bind(pool_id)
            .bind(email)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Users of a pool ordered by username, starting after `after`.
    pub async fn list_users(&self, pool_id: &str, after: Option<&str>, limit: i64) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query("SELECT * FROM users WHERE pool_id = $1 AND username > $2 ORDER BY username LIMIT $3")
            .bind(pool_id)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Writes every mutable field of the user; the sign-in counters have their own methods.
    pub async fn update_user(&self, user: &UserRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET status = $3, enabled = $4, attributes = $5, password_hash = $6, \
             password_set_at = $7, updated_at = $8, srp_salt = $9, srp_verifier = $10, email = $11 \
             WHERE pool_id = $1 AND username = $2",
        )
        .bind(&user.pool_id)
        .bind(&user.username)
        .bind(&user.status)
        .bind(i64::from(user.enabled))
        .bind(&user.attributes)
        .bind(&user.password_hash)
        .bind(user.password_set_at)
        .bind(user.updated_at)
        .bind(&user.srp_salt)
        .bind(&user.srp_verifier)
        .bind(&user.email)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts one more failed sign-in and returns the new count, atomically across replicas.
    pub async fn record_failed_sign_in(&self, pool_id: &str, username: &str) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 \
             WHERE pool_id = $1 AND username = $2 RETURNING failed_sign_ins",
        )
        .bind(pool_id)
        .bind(username)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.unwrap_or(0))
    }

    pub async fn lock_user_until(&self, pool_id: &str, username: &str, until: i64) -> Result<()> {
        sqlx::query("UPDATE users SET locked_until = $3 WHERE pool_id = $1 AND username = $2")
            .bind(pool_id)
            .bind(username)
            .bind(until)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn reset_failed_sign_ins(&self, pool_id: &str, username: &str) -> Result<()> {
        sqlx::query(
            "UPDATE users SET failed_sign_ins = 0, locked_until = 0 \
             WHERE pool_id = $1 AND username = $2 AND (failed_sign_ins <> 0 OR locked_until <> 0)",
        )
        .bind(pool_id)
        .bind(username)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_user(&self, pool_id: &str, username: &str) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        for statement in [
            "DELETE FROM auth_sessions WHERE pool_id = $1 AND username = $2",
            "DELETE FROM refresh_tokens WHERE pool_id = $1 AND username = $2",
            "DELETE FROM user_codes WHERE pool_id = $1 AND username = $2",
            "DELETE FROM group_members WHERE pool_id = $1 AND username = $2",
        ] {
            sqlx::query(statement)
                .bind(pool_id)
                .bind(username)
                .execute(&mut *transaction)
                .await?;
        }
        let done = sqlx::query("DELETE FROM users WHERE pool_id = $1 AND username = $2")
            .bind(pool_id)
            .bind(username)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- rate limits ----

    /// Counts one hit on `key` in the window starting at `window_start` and returns the hits so far in
    /// that window; a key last counted in an earlier window starts again at one. One statement, so hits
    /// from every replica at once are all counted.
    pub async fn rate_limit_hit(&self, key: &str, window_start: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO rate_limits (limit_key, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (limit_key) DO UPDATE SET \
             hits = CASE WHEN rate_limits.window_start = $2 THEN rate_limits.hits + 1 ELSE 1 END, \
             window_start = $2 \
             RETURNING hits",
        )
        .bind(key)
        .bind(window_start)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// The hits on `key` in the window starting at `window_start`, without counting one.
    pub async fn rate_limit_hits(&self, key: &str, window_start: i64) -> Result<i64> {
        let row = sqlx::query("SELECT hits FROM rate_limits WHERE limit_key = $1 AND window_start = $2")
            .bind(key)
            .bind(window_start)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.unwrap_or(0))
    }

    /// Forgets counters whose window started before `before`.
    pub async fn delete_rate_limits_before(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    // ---- one-time codes ----

    /// Stores a fresh code for `purpose`, replacing any earlier one.
    pub async fn put_code(&self, code: &CodeRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_codes (pool_id, username, purpose, code_hash, failed_attempts, expires_at) \
             VALUES ($1, $2, $3, $4, 0, $5) \
             ON CONFLICT (pool_id, username, purpose) \
             DO UPDATE SET code_hash = $4, failed_attempts = 0, expires_at = $5",
        )
        .bind(&code.pool_id)
        .bind(&code.username)
        .bind(&code.purpose)
        .bind(&code.code_hash)
        .bind(code.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn code(&self, pool_id: &str, username: &str, purpose: &str) -> Result<Option<CodeRecord>> {
        let row = sqlx::query("SELECT * FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3")
            .bind(pool_id)
            .bind(username)
            .bind(purpose)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            Ok(CodeRecord {
                pool_id: row.try_get("pool_id")?,
                username: row.try_get("username")?,
                purpose: row.try_get("purpose")?,
                code_hash: row.try_get("code_hash")?,
                failed_attempts: row.try_get("failed_attempts")?,
                expires_at: row.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Deletes the code if it is still the one the caller checked; true for exactly one caller,
    /// which makes a code single-use even when two requests race.
    pub async fn consume_code(&self, pool_id: &str, username: &str, purpose: &str, code_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3 AND code_hash = $4",
        )
        .bind(pool_id)
        .bind(username)
        .bind(purpose)
        .bind(code_hash)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts a wrong guess and returns the new count.
    pub async fn record_code_failure(&self, pool_id: &str, username: &str, purpose: &str) -> Result<i64> {
        let row = sqlx::query(
            "UPDATE user_codes SET failed_attempts = failed_attempts + 1 \
             WHERE pool_id = $1 AND username = $2 AND purpose = $3 RETURNING failed_attempts",
        )
        .bind(pool_id)
        .bind(username)
        .bind(purpose)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| row.try_get::<i64, _>(0)).transpose()?.unwrap_or(0))
    }

    pub async fn delete_code(&self, pool_id: &str, username: &str, purpose: &str) -> Result<()> {
        sqlx::query("DELETE FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3")
            .bind(pool_id)
            .bind(username)
            .bind(purpose)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    // ---- auth challenge sessions ----

    pub async fn insert_auth_session(&self, session: &AuthSessionRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO auth_sessions (session_hash, pool_id, client_id, username, challenge, data, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&session.session_hash)
        .bind(&session.pool_id)
        .bind(&session.client_id)
        .bind(&session.username)
        .bind(&session.challenge)
        .bind(&session.data)
        .bind(session.expires_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    /// Removes and returns the session: a challenge answer is accepted at most once.
    pub async fn take_auth_session(&self, session_hash: &str) -> Result<Option<AuthSessionRecord>> {
        let row = sqlx::query("DELETE FROM auth_sessions WHERE session_hash = $1 RETURNING *")
            .bind(session_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(crate::mfa::session_from_row).transpose()
    }

    /// Drops sessions that expired before `now`; returns how many.
    pub async fn delete_expired_auth_sessions(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1").bind(now).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    // ---- refresh tokens ----

    pub async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, pool_id, client_id, username, origin_jti, auth_time, \
             created_at, expires_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&token.token_hash)
        .bind(&token.pool_id)
        .bind(&token.client_id)
        .bind(&token.username)
        .bind(&token.origin_jti)
        .bind(token.auth_time)
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind(i64::from(token.revoked))
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRecord>> {
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(refresh_token_from_row).transpose()
    }

    pub async fn refresh_token_by_origin(&self, origin_jti: &str) -> Result<Option<RefreshTokenRecord>> {
        let row = sqlx::query("SELECT * FROM refresh_tokens WHERE origin_jti = $1")
            .bind(origin_jti)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(refresh_token_from_row).transpose()
    }

    pub async fn revoke_refresh_token(&self, token_hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Revokes every refresh token of a user (global sign-out).
    pub async fn revoke_user_refresh_tokens(&self, pool_id: &str, username: &str) -> Result<u64> {
        let done = sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = $1 AND username = $2")
            .bind(pool_id)
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    // ---- groups ----

    pub async fn insert_group(&self, group: &GroupRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_groups (pool_id, name, description, role_arn, precedence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&group.pool_id)
        .bind(&group.name)
        .bind(&group.description)
        .bind(&group.role_arn)
        .bind(group.precedence)
        .bind(group.created_at)
        .bind(group.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn group(&self, pool_id: &str, name: &str) -> Result<Option<GroupRecord>> {
        let row = sqlx::query("SELECT * FROM user_groups WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(group_from_row).transpose()
    }

    pub async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: i64) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query("SELECT * FROM user_groups WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3")
            .bind(pool_id)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(group_from_row).collect()
    }

    pub async fn update_group(&self, group: &GroupRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE user_groups SET description = $3, role_arn = $4, precedence = $5, updated_at = $6 \
             WHERE pool_id = $1 AND name = $2",
        )
        .bind(&group.pool_id)
        .bind(&group.name)
        .bind(&group.description)
        .bind(&group.role_arn)
        .bind(group.precedence)
        .bind(group.updated_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_group(&self, pool_id: &str, name: &str) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2")
            .bind(pool_id)
            .bind(name)
            .execute(&mut *transaction)
            .await?;
        let done = sqlx::query("DELETE FROM user_groups WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds the membership; adding it twice is not an error, as in Cognito.
    pub async fn add_group_member(&self, pool_id: &str, group_name: &str, username: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO group_members (pool_id, group_name, username) VALUES ($1, $2, $3) \
             ON CONFLICT (pool_id, group_name, username) DO NOTHING",
        )
        .bind(pool_id)
        .bind(group_name)
        .bind(username)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn remove_group_member(&self, pool_id: &str, group_name: &str, username: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND username = $3")
            .bind(pool_id)
            .bind(group_name)
            .bind(username)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user's groups, by precedence (lowest first, groups without one last), then name.
    pub async fn groups_of_user(&self, pool_id: &str, username: &str) -> Result<Vec<GroupRecord>> {
        let rows = sqlx::query(
            "SELECT g.* FROM user_groups g JOIN group_members m ON m.pool_id = g.pool_id AND m.group_name = g.name \
             WHERE m.pool_id = $1 AND m.username = $2 \
             ORDER BY CASE WHEN g.precedence IS NULL THEN 1 ELSE 0 END, g.precedence, g.name",
        )
        .bind(pool_id)
        .bind(username)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(group_from_row).collect()
    }

    pub async fn users_in_group(
        &self,
        pool_id: &str,
        group_name: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(
            "SELECT u.* FROM users u JOIN group_members m ON m.pool_id = u.pool_id AND m.username = u.username \
             WHERE m.pool_id = $1 AND m.group_name = $2 AND u.username > $3 ORDER BY u.username LIMIT $4",
        )
        .bind(pool_id)
        .bind(group_name)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(user_from_row).collect()
    }
}

/// Creates the SQLite file with mode 0600 before SQLite does: it holds keys and secrets, and SQLite
/// gives its WAL and shared-memory files the mode of the database file.
fn create_private_sqlite_file(url: &str) -> Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || std::path::Path::new(path).exists() {
        return Ok(());
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| MetaError::Database(sqlx::Error::Io(error)))?;
    Ok(())
}

fn user_pool_from_row(row: &AnyRow) -> Result<UserPoolRecord> {
    Ok(UserPoolRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        config: row.try_get("config")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn client_from_row(row: &AnyRow) -> Result<ClientRecord> {
    Ok(ClientRecord {
        client_id: row.try_get("client_id")?,
        pool_id: row.try_get("pool_id")?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        config: row.try_get("config")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn user_from_row(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        pool_id: row.try_get("pool_id")?,
        username: row.try_get("username")?,
        sub: row.try_get("sub")?,
        status: row.try_get("status")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        attributes: row.try_get("attributes")?,
        password_hash: row.try_get("password_hash")?,
        srp_salt: row.try_get("srp_salt")?,
        srp_verifier: row.try_get("srp_verifier")?,
        email: row.try_get("email")?,
        password_set_at: row.try_get("password_set_at")?,
        failed_sign_ins: row.try_get("failed_sign_ins")?,
        locked_until: row.try_get("locked_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn refresh_token_from_row(row: &AnyRow) -> Result<RefreshTokenRecord> {
    Ok(RefreshTokenRecord {
        token_hash: row.try_get("token_hash")?,
        pool_id: row.try_get("pool_id")?,
        client_id: row.try_get("client_id")?,
        username: row.try_get("username")?,
        origin_jti: row.try_get("origin_jti")?,
        auth_time: row.try_get("auth_time")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked: row.try_get::<i64, _>("revoked")? != 0,
    })
}

fn group_from_row(row: &AnyRow) -> Result<GroupRecord> {
    Ok(GroupRecord {
        pool_id: row.try_get("pool_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        role_arn: row.try_get("role_arn")?,
        precedence: row.try_get("precedence")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
