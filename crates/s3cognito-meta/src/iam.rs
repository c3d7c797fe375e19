//! IAM users (their access keys and inline policies) and customer managed policies (their versions and
//! attachments to roles and users). Names are matched case-insensitively, as IAM matches them.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::records::AccessKeyRecord;
use crate::store::{Store, conflict_or};
use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUserRecord {
    pub name: String,
    pub user_id: String,
    pub path: String,
    pub arn: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyRecord {
    pub arn: String,
    pub name: String,
    pub policy_id: String,
    pub path: String,
    pub description: Option<String>,
    /// `v1`, `v2`, …: the version that is in force.
    pub default_version: String,
    /// The number the next version gets.
    pub next_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRecord {
    pub policy_arn: String,
    pub version_id: String,
    pub document: String,
    pub created_at: i64,
}

/// What a managed policy is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachedTo {
    Role,
    User,
}

impl AttachedTo {
    fn column(self) -> &'static str {
        match self {
            AttachedTo::Role => "role",
            AttachedTo::User => "user",
        }
    }

    /// Locks the role's or user's row for the rest of `transaction`, so that what is counted against its
    /// limits cannot change under the caller (PostgreSQL locks the row; SQLite the database). False when
    /// there is no such role or user.
    async fn lock(self, transaction: &mut sqlx::Transaction<'_, sqlx::Any>, name_key: &str) -> Result<bool> {
        let statement = match self {
            AttachedTo::Role => "UPDATE iam_roles SET name_key = name_key WHERE name_key = $1",
            AttachedTo::User => "UPDATE iam_users SET name_key = name_key WHERE name_key = $1",
        };
        Ok(sqlx::query(statement).bind(name_key).execute(&mut **transaction).await?.rows_affected() == 1)
    }
}

/// What became of an addition that a limit caps (access keys a user, versions a policy, policies an entity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped<T> {
    Added(T),
    /// The limit is reached: nothing was added.
    Full,
    /// What it would be added to does not exist (any more).
    Missing,
}

/// Why a delete was refused, or that it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamDeletion {
    Deleted,
    NotFound,
    /// Something still depends on it (access keys, policies, attachments, versions).
    InUse,
}

fn user_from_row(row: &AnyRow) -> Result<IamUserRecord> {
    Ok(IamUserRecord {
        name: row.try_get("name")?,
        user_id: row.try_get("user_id")?,
        path: row.try_get("path")?,
        arn: row.try_get("arn")?,
        created_at: row.try_get("created_at")?,
    })
}

fn policy_from_row(row: &AnyRow) -> Result<ManagedPolicyRecord> {
    Ok(ManagedPolicyRecord {
        arn: row.try_get("arn")?,
        name: row.try_get("name")?,
        policy_id: row.try_get("policy_id")?,
        path: row.try_get("path")?,
        description: row.try_get("description")?,
        default_version: row.try_get("default_version")?,
        next_version: row.try_get("next_version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<PolicyVersionRecord> {
    Ok(PolicyVersionRecord {
        policy_arn: row.try_get("policy_arn")?,
        version_id: row.try_get("version_id")?,
        document: row.try_get("document")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) fn access_key_from_row(row: &AnyRow) -> Result<AccessKeyRecord> {
    Ok(AccessKeyRecord {
        access_key_id: row.try_get("access_key_id")?,
        secret_access_key: row.try_get("secret_access_key")?,
        principal: row.try_get("principal")?,
        created_at: row.try_get("created_at")?,
        user_name_key: row.try_get("user_name_key")?,
        sealed_secret: row.try_get("sealed_secret")?,
        status: row.try_get("status")?,
    })
}

impl Store {
    // ---- users ----

    pub async fn insert_iam_user(&self, user: &IamUserRecord) -> Result<()> {
        sqlx::query("INSERT INTO iam_users (name_key, name, user_id, path, arn, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(user.name.to_lowercase())
            .bind(&user.name)
            .bind(&user.user_id)
            .bind(&user.path)
            .bind(&user.arn)
            .bind(user.created_at)
            .execute(self.pool())
            .await
            .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn iam_user(&self, name: &str) -> Result<Option<IamUserRecord>> {
        let row = sqlx::query("SELECT * FROM iam_users WHERE name_key = $1").bind(name.to_lowercase()).fetch_optional(self.pool()).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Users after `after` (by name, case-insensitively), at most `limit`.
    pub async fn iam_users(&self, after: Option<&str>, limit: i64) -> Result<Vec<IamUserRecord>> {
        let rows = sqlx::query("SELECT * FROM iam_users WHERE name_key > $1 ORDER BY name_key LIMIT $2")
            .bind(after.unwrap_or("").to_lowercase())
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Deletes a user that has no access keys, inline policies or attached policies left, as IAM insists.
    pub async fn delete_iam_user(&self, name: &str) -> Result<IamDeletion> {
        let key = name.to_lowercase();
        let done = sqlx::query(
            "DELETE FROM iam_users WHERE name_key = $1 \
             AND NOT EXISTS (SELECT 1 FROM access_keys WHERE user_name_key = $1) \
             AND NOT EXISTS (SELECT 1 FROM iam_user_policies WHERE user_name_key = $1) \
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE entity = 'user' AND entity_key = $1)",
        )
        .bind(&key)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(IamDeletion::Deleted);
        }
        Ok(if self.iam_user(name).await?.is_some() { IamDeletion::InUse } else { IamDeletion::NotFound })
    }

    pub async fn put_user_policy(&self, user_name: &str, policy_name: &str, document: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO iam_user_policies (user_name_key, policy_name, document) VALUES ($1, $2, $3) \
             ON CONFLICT (user_name_key, policy_name) DO UPDATE SET document = $3",
        )
        .bind(user_name.to_lowercase())
        .bind(policy_name)
        .bind(document)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A user's inline policies: (name, document), by name.
    pub async fn user_policies(&self, user_name: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT policy_name, document FROM iam_user_policies WHERE user_name_key = $1 ORDER BY policy_name")
            .bind(user_name.to_lowercase())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok((row.try_get("policy_name")?, row.try_get("document")?))).collect()
    }

    pub async fn delete_user_policy(&self, user_name: &str, policy_name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM iam_user_policies WHERE user_name_key = $1 AND policy_name = $2")
            .bind(user_name.to_lowercase())
            .bind(policy_name)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- a user's access keys ----

    /// A user's access keys, oldest first.
    pub async fn user_access_keys(&self, user_name: &str) -> Result<Vec<AccessKeyRecord>> {
        let rows = sqlx::query("SELECT * FROM access_keys WHERE user_name_key = $1 ORDER BY created_at, access_key_id")
            .bind(user_name.to_lowercase())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(access_key_from_row).collect()
    }

    /// Adds a key to a user, unless the user has `limit` already. The user's row is locked while the keys
    /// are counted, so that two callers at once cannot both add the last one.
    pub async fn insert_user_access_key(&self, key: &AccessKeyRecord, limit: i64) -> Result<Capped<()>> {
        let name_key = key.user_name_key.as_deref().unwrap_or_default();
        let mut transaction = self.pool().begin().await?;
        if !AttachedTo::User.lock(&mut transaction, name_key).await? {
            return Ok(Capped::Missing);
        }
        if count(&mut transaction, "SELECT COUNT(*) AS count FROM access_keys WHERE user_name_key = $1", name_key).await? >= limit {
            return Ok(Capped::Full);
        }
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret_access_key, principal, created_at, user_name_key, sealed_secret, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.access_key_id)
        .bind(&key.secret_access_key)
        .bind(&key.principal)
        .bind(key.created_at)
        .bind(name_key)
        .bind(&key.sealed_secret)
        .bind(&key.status)
        .execute(&mut *transaction)
        .await
        .map_err(conflict_or)?;
        transaction.commit().await?;
        Ok(Capped::Added(()))
    }

    pub async fn set_access_key_status(&self, user_name: &str, access_key_id: &str, status: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE access_keys SET status = $3 WHERE user_name_key = $1 AND access_key_id = $2")
            .bind(user_name.to_lowercase())
            .bind(access_key_id)
            .bind(status)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_user_access_key(&self, user_name: &str, access_key_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM access_keys WHERE user_name_key = $1 AND access_key_id = $2")
            .bind(user_name.to_lowercase())
            .bind(access_key_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- managed policies ----

    /// A new policy and its first version (`v1`, the default), in one transaction.
    pub async fn insert_managed_policy(&self, policy: &ManagedPolicyRecord, document: &str) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO iam_policies (arn, name_key, name, policy_id, path, description, default_version, next_version, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&policy.arn)
        .bind(policy.name.to_lowercase())
        .bind(&policy.name)
        .bind(&policy.policy_id)
        .bind(&policy.path)
        .bind(&policy.description)
        .bind(&policy.default_version)
        .bind(policy.next_version)
        .bind(policy.created_at)
        .bind(policy.updated_at)
        .execute(&mut *transaction)
        .await
        .map_err(conflict_or)?;
        sqlx::query("INSERT INTO iam_policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&policy.arn)
            .bind(&policy.default_version)
            .bind(document)
            .bind(policy.created_at)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub async fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicyRecord>> {
        let row = sqlx::query("SELECT * FROM iam_policies WHERE arn = $1").bind(arn).fetch_optional(self.pool()).await?;
        row.as_ref().map(policy_from_row).transpose()
    }

    /// Policies after `after` (an ARN), at most `limit`; only attached ones when `attached_only`.
    pub async fn managed_policies(&self, after: Option<&str>, limit: i64, attached_only: bool) -> Result<Vec<ManagedPolicyRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM iam_policies p WHERE arn > $1 \
             AND ($2 = 0 OR EXISTS (SELECT 1 FROM iam_attachments a WHERE a.policy_arn = p.arn)) ORDER BY arn LIMIT $3",
        )
        .bind(after.unwrap_or(""))
        .bind(i64::from(attached_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(policy_from_row).collect()
    }

    /// How many roles and users a policy is attached to.
    pub async fn attachment_count(&self, arn: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS count FROM iam_attachments WHERE policy_arn = $1").bind(arn).fetch_one(self.pool()).await?;
        Ok(row.try_get("count")?)
    }

    /// Deletes a policy attached to nothing and left with its default version alone, as IAM insists.
    pub async fn delete_managed_policy(&self, arn: &str) -> Result<IamDeletion> {
        let done = sqlx::query(
            "DELETE FROM iam_policies WHERE arn = $1 \
             AND NOT EXISTS (SELECT 1 FROM iam_attachments WHERE policy_arn = $1) \
             AND (SELECT COUNT(*) FROM iam_policy_versions WHERE policy_arn = $1) <= 1",
        )
        .bind(arn)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(IamDeletion::Deleted);
        }
        Ok(if self.managed_policy(arn).await?.is_some() { IamDeletion::InUse } else { IamDeletion::NotFound })
    }

    /// Adds a version, the default when `make_default`, unless the policy has `limit` versions already. The
    /// policy's row is updated first (its next version number taken), which locks it while the versions
    /// are counted: two callers get two numbers, and cannot both add the last version.
    pub async fn insert_policy_version(&self, arn: &str, document: &str, make_default: bool, limit: i64, now: i64) -> Result<Capped<String>> {
        let mut transaction = self.pool().begin().await?;
        let row = sqlx::query("UPDATE iam_policies SET next_version = next_version + 1, updated_at = $2 WHERE arn = $1 RETURNING next_version")
            .bind(arn)
            .bind(now)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(row) = row else { return Ok(Capped::Missing) };
        if count(&mut transaction, "SELECT COUNT(*) AS count FROM iam_policy_versions WHERE policy_arn = $1", arn).await? >= limit {
            return Ok(Capped::Full);
        }
        let number: i64 = row.try_get("next_version")?;
        let version_id = format!("v{}", number - 1);
        sqlx::query("INSERT INTO iam_policy_versions (policy_arn, version_id, document, created_at) VALUES ($1, $2, $3, $4)")
            .bind(arn)
            .bind(&version_id)
            .bind(document)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        if make_default {
            sqlx::query("UPDATE iam_policies SET default_version = $2 WHERE arn = $1")
                .bind(arn)
                .bind(&version_id)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(Capped::Added(version_id))
    }

    pub async fn policy_version(&self, arn: &str, version_id: &str) -> Result<Option<PolicyVersionRecord>> {
        let row = sqlx::query("SELECT * FROM iam_policy_versions WHERE policy_arn = $1 AND version_id = $2")
            .bind(arn)
            .bind(version_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// A policy's versions, oldest first.
    pub async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionRecord>> {
        let rows = sqlx::query("SELECT * FROM iam_policy_versions WHERE policy_arn = $1 ORDER BY created_at, version_id")
            .bind(arn)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Makes an existing version the default; false when there is no such version.
    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE iam_policies SET default_version = $2, updated_at = $3 WHERE arn = $1 \
             AND EXISTS (SELECT 1 FROM iam_policy_versions WHERE policy_arn = $1 AND version_id = $2)",
        )
        .bind(arn)
        .bind(version_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes a version that is not the default (InUse for the default).
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<IamDeletion> {
        let done = sqlx::query(
            "DELETE FROM iam_policy_versions WHERE policy_arn = $1 AND version_id = $2 \
             AND version_id <> (SELECT default_version FROM iam_policies WHERE arn = $1)",
        )
        .bind(arn)
        .bind(version_id)
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 1 {
            return Ok(IamDeletion::Deleted);
        }
        Ok(if self.policy_version(arn, version_id).await?.is_some() { IamDeletion::InUse } else { IamDeletion::NotFound })
    }

    // ---- attachments ----

    /// Attaches a policy to a role or user, unless it has `limit` attached already; attaching twice is one
    /// attachment. The role's or user's row is locked while its attachments are counted.
    pub async fn attach_policy(&self, arn: &str, to: AttachedTo, name: &str, limit: i64) -> Result<Capped<()>> {
        let key = name.to_lowercase();
        let mut transaction = self.pool().begin().await?;
        if !to.lock(&mut transaction, &key).await? {
            return Ok(Capped::Missing);
        }
        let existing = sqlx::query("SELECT 1 FROM iam_attachments WHERE policy_arn = $1 AND entity = $2 AND entity_key = $3")
            .bind(arn)
            .bind(to.column())
            .bind(&key)
            .fetch_optional(&mut *transaction)
            .await?;
        if existing.is_some() {
            return Ok(Capped::Added(()));
        }
        let attached = sqlx::query("SELECT COUNT(*) AS count FROM iam_attachments WHERE entity = $1 AND entity_key = $2")
            .bind(to.column())
            .bind(&key)
            .fetch_one(&mut *transaction)
            .await?
            .try_get::<i64, _>("count")?;
        if attached >= limit {
            return Ok(Capped::Full);
        }
        sqlx::query("INSERT INTO iam_attachments (policy_arn, entity, entity_key) VALUES ($1, $2, $3)")
            .bind(arn)
            .bind(to.column())
            .bind(&key)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Capped::Added(()))
    }

    pub async fn detach_policy(&self, arn: &str, to: AttachedTo, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM iam_attachments WHERE policy_arn = $1 AND entity = $2 AND entity_key = $3")
            .bind(arn)
            .bind(to.column())
            .bind(name.to_lowercase())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The policies attached to a role or user, by ARN.
    pub async fn attached_policies(&self, to: AttachedTo, name: &str) -> Result<Vec<ManagedPolicyRecord>> {
        let rows = sqlx::query(
            "SELECT p.* FROM iam_policies p JOIN iam_attachments a ON a.policy_arn = p.arn \
             WHERE a.entity = $1 AND a.entity_key = $2 ORDER BY p.arn",
        )
        .bind(to.column())
        .bind(name.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(policy_from_row).collect()
    }

    /// The documents in force for a role or user through its attached policies: each one's default version.
    pub async fn attached_policy_documents(&self, to: AttachedTo, name: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT p.arn, v.document FROM iam_attachments a JOIN iam_policies p ON p.arn = a.policy_arn \
             JOIN iam_policy_versions v ON v.policy_arn = p.arn AND v.version_id = p.default_version \
             WHERE a.entity = $1 AND a.entity_key = $2 ORDER BY p.arn",
        )
        .bind(to.column())
        .bind(name.to_lowercase())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|row| Ok((row.try_get("arn")?, row.try_get("document")?))).collect()
    }

    /// Whether a role has attached policies (which keep it from being deleted).
    pub async fn has_attachments(&self, to: AttachedTo, name: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM iam_attachments WHERE entity = $1 AND entity_key = $2")
            .bind(to.column())
            .bind(name.to_lowercase())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }
}

/// The `count` column of a one-parameter query, inside `transaction`.
async fn count(transaction: &mut sqlx::Transaction<'_, sqlx::Any>, statement: &'static str, parameter: &str) -> Result<i64> {
    Ok(sqlx::query(statement).bind(parameter).fetch_one(&mut **transaction).await?.try_get("count")?)
}
