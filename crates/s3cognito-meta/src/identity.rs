//! The identity half of the store: identity pools and identities, IAM roles and their inline
//! policies, OpenID Connect providers, and temporary credentials.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::records::{IdentityPoolRecord, IdentityRecord, OidcProviderRecord, RoleRecord, SessionCredentialRecord};
use crate::store::{Store, conflict_or};
use crate::{MetaError, Result};

fn identity_pool_from_row(row: &AnyRow) -> Result<IdentityPoolRecord> {
    Ok(IdentityPoolRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        config: row.try_get("config")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn identity_from_row(row: &AnyRow) -> Result<IdentityRecord> {
    Ok(IdentityRecord {
        identity_id: row.try_get("identity_id")?,
        pool_id: row.try_get("pool_id")?,
        login_key: row.try_get("login_key")?,
        logins: row.try_get("logins")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn role_from_row(row: &AnyRow) -> Result<RoleRecord> {
    Ok(RoleRecord {
        name: row.try_get("name")?,
        role_id: row.try_get("role_id")?,
        path: row.try_get("path")?,
        arn: row.try_get("arn")?,
        trust_policy: row.try_get("trust_policy")?,
        description: row.try_get("description")?,
        max_session_duration: row.try_get("max_session_duration")?,
        created_at: row.try_get("created_at")?,
    })
}

fn oidc_provider_from_row(row: &AnyRow) -> Result<OidcProviderRecord> {
    Ok(OidcProviderRecord {
        arn: row.try_get("arn")?,
        url: row.try_get("url")?,
        client_ids: row.try_get("client_ids")?,
        thumbprints: row.try_get("thumbprints")?,
        jwks_url: row.try_get("jwks_url")?,
        created_at: row.try_get("created_at")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<SessionCredentialRecord> {
    Ok(SessionCredentialRecord {
        access_key_id: row.try_get("access_key_id")?,
        sealed_secret: row.try_get("sealed_secret")?,
        session_token_hash: row.try_get("session_token_hash")?,
        role_arn: row.try_get("role_arn")?,
        session_name: row.try_get("session_name")?,
        context: row.try_get("context")?,
        source: row.try_get("source")?,
        revoked: row.try_get::<i64, _>("revoked")? != 0,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    // ---- identity pools ----

    pub async fn insert_identity_pool(&self, pool: &IdentityPoolRecord) -> Result<()> {
        sqlx::query("INSERT INTO identity_pools (id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)")
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

    pub async fn identity_pool(&self, id: &str) -> Result<Option<IdentityPoolRecord>> {
        let row = sqlx::query("SELECT * FROM identity_pools WHERE id = $1").bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(identity_pool_from_row).transpose()
    }

    /// Pools in id order, starting after `after`.
    pub async fn identity_pools(&self, after: Option<&str>, limit: i64) -> Result<Vec<IdentityPoolRecord>> {
        let rows = sqlx::query("SELECT * FROM identity_pools WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(identity_pool_from_row).collect()
    }

    /// Replaces a pool's name and settings; false when there is no such pool.
    pub async fn update_identity_pool(&self, pool: &IdentityPoolRecord) -> Result<bool> {
        let done = sqlx::query("UPDATE identity_pools SET name = $2, config = $3, updated_at = $4 WHERE id = $1")
            .bind(&pool.id)
            .bind(&pool.name)
            .bind(&pool.config)
            .bind(pool.updated_at)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_identity_pool(&self, id: &str) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        sqlx::query("DELETE FROM identities WHERE pool_id = $1").bind(id).execute(&mut *transaction).await?;
        let done = sqlx::query("DELETE FROM identity_pools WHERE id = $1").bind(id).execute(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- identities ----

    /// Inserts an identity; `Conflict` when the login already has one in the pool (another request won).
    pub async fn insert_identity(&self, identity: &IdentityRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO identities (identity_id, pool_id, login_key, logins, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&identity.identity_id)
        .bind(&identity.pool_id)
        .bind(&identity.login_key)
        .bind(&identity.logins)
        .bind(identity.created_at)
        .bind(identity.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn identity(&self, identity_id: &str) -> Result<Option<IdentityRecord>> {
        let row = sqlx::query("SELECT * FROM identities WHERE identity_id = $1")
            .bind(identity_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    pub async fn identity_by_login(&self, pool_id: &str, login_key: &str) -> Result<Option<IdentityRecord>> {
        let row = sqlx::query("SELECT * FROM identities WHERE pool_id = $1 AND login_key = $2")
            .bind(pool_id)
            .bind(login_key)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(identity_from_row).transpose()
    }

    pub async fn identities(&self, pool_id: &str, after: Option<&str>, limit: i64) -> Result<Vec<IdentityRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM identities WHERE pool_id = $1 AND identity_id > $2 ORDER BY identity_id LIMIT $3",
        )
        .bind(pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(identity_from_row).collect()
    }

    pub async fn touch_identity(&self, identity_id: &str, logins: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE identities SET logins = $2, updated_at = $3 WHERE identity_id = $1")
            .bind(identity_id)
            .bind(logins)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    // ---- IAM roles ----

    pub async fn insert_role(&self, role: &RoleRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO iam_roles (name_key, name, role_id, path, arn, trust_policy, description, max_session_duration, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(role.name.to_lowercase())
        .bind(&role.name)
        .bind(&role.role_id)
        .bind(&role.path)
        .bind(&role.arn)
        .bind(&role.trust_policy)
        .bind(&role.description)
        .bind(role.max_session_duration)
        .bind(role.created_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    /// A role by name, which IAM compares without regard to case.
    pub async fn role(&self, name: &str) -> Result<Option<RoleRecord>> {
        let row = sqlx::query("SELECT * FROM iam_roles WHERE name_key = $1")
            .bind(name.to_lowercase())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(role_from_row).transpose()
    }

    pub async fn roles(&self, after: Option<&str>, limit: i64) -> Result<Vec<RoleRecord>> {
        let rows = sqlx::query("SELECT * FROM iam_roles WHERE name_key > $1 ORDER BY name_key LIMIT $2")
            .bind(after.unwrap_or("").to_lowercase())
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(role_from_row).collect()
    }

    pub async fn update_role(&self, role: &RoleRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE iam_roles SET trust_policy = $2, description = $3, max_session_duration = $4 WHERE name_key = $1",
        )
        .bind(role.name.to_lowercase())
        .bind(&role.trust_policy)
        .bind(&role.description)
        .bind(role.max_session_duration)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes a role that has no inline policies left, as IAM requires; `Conflict` when it has some.
    pub async fn delete_role(&self, name: &str) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let key = name.to_lowercase();
        let done = sqlx::query(
            "DELETE FROM iam_roles WHERE name_key = $1 \
             AND NOT EXISTS (SELECT 1 FROM iam_role_policies WHERE role_name_key = $1) \
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE entity = 'role' AND entity_key = $1)",
        )
        .bind(&key)
        .execute(&mut *transaction)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 FROM iam_roles WHERE name_key = $1")
                .bind(&key)
                .fetch_optional(&mut *transaction)
                .await?
                .is_some();
            transaction.rollback().await?;
            return if exists { Err(MetaError::Conflict) } else { Ok(false) };
        }
        transaction.commit().await?;
        Ok(true)
    }

    /// Creates or replaces an inline policy of a role.
    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO iam_role_policies (role_name_key, policy_name, document) VALUES ($1, $2, $3) \
             ON CONFLICT (role_name_key, policy_name) DO UPDATE SET document = excluded.document",
        )
        .bind(role_name.to_lowercase())
        .bind(policy_name)
        .bind(document)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A role's inline policies as (name, document), by name.
    pub async fn role_policies(&self, role_name: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT policy_name, document FROM iam_role_policies WHERE role_name_key = $1 ORDER BY policy_name",
        )
        .bind(role_name.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("policy_name")?, row.try_get("document")?))).collect()
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM iam_role_policies WHERE role_name_key = $1 AND policy_name = $2")
            .bind(role_name.to_lowercase())
            .bind(policy_name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- OpenID Connect providers ----

    pub async fn insert_oidc_provider(&self, provider: &OidcProviderRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO oidc_providers (arn, url, client_ids, thumbprints, jwks_url, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&provider.arn)
        .bind(&provider.url)
        .bind(&provider.client_ids)
        .bind(&provider.thumbprints)
        .bind(&provider.jwks_url)
        .bind(provider.created_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn oidc_provider(&self, arn: &str) -> Result<Option<OidcProviderRecord>> {
        let row = sqlx::query("SELECT * FROM oidc_providers WHERE arn = $1").bind(arn).fetch_optional(self.pool()).await?;
        row.as_ref().map(oidc_provider_from_row).transpose()
    }

    pub async fn oidc_provider_by_url(&self, url: &str) -> Result<Option<OidcProviderRecord>> {
        let row = sqlx::query("SELECT * FROM oidc_providers WHERE url = $1").bind(url).fetch_optional(self.pool()).await?;
        row.as_ref().map(oidc_provider_from_row).transpose()
    }

    pub async fn oidc_providers(&self) -> Result<Vec<OidcProviderRecord>> {
        let rows = sqlx::query("SELECT * FROM oidc_providers ORDER BY arn").fetch_all(self.pool()).await?;
        rows.iter().map(oidc_provider_from_row).collect()
    }

    pub async fn delete_oidc_provider(&self, arn: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM oidc_providers WHERE arn = $1").bind(arn).execute(self.pool()).await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- temporary credentials ----

    pub async fn insert_session_credentials(&self, credentials: &SessionCredentialRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO session_credentials (access_key_id, sealed_secret, session_token_hash, role_arn, session_name, \
             context, source, revoked, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&credentials.access_key_id)
        .bind(&credentials.sealed_secret)
        .bind(&credentials.session_token_hash)
        .bind(&credentials.role_arn)
        .bind(&credentials.session_name)
        .bind(&credentials.context)
        .bind(&credentials.source)
        .bind(i64::from(credentials.revoked))
        .bind(credentials.expires_at)
        .bind(credentials.created_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn session_credentials(&self, access_key_id: &str) -> Result<Option<SessionCredentialRecord>> {
        let row = sqlx::query("SELECT * FROM session_credentials WHERE access_key_id = $1")
            .bind(access_key_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// Ends every credential issued for `source`; returns how many were still live.
    pub async fn revoke_session_credentials_of(&self, source: &str) -> Result<u64> {
        let done = sqlx::query("UPDATE session_credentials SET revoked = 1 WHERE source = $1 AND revoked = 0")
            .bind(source)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Forgets credentials that expired before `now`.
    pub async fn delete_expired_session_credentials(&self, now: i64) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM session_credentials WHERE expires_at < $1").bind(now).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
