//! KMS keys: the key rows, their versions of sealed key material, aliases and tags.
//!
//! Each change of a key is its own targeted statement (its state, its policy, its rotation), so two
//! administrators changing different things of one key at once cannot undo each other.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::store::{Store, conflict_or};

/// One KMS key, without its material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeyRecord {
    /// The key's UUID.
    pub key_id: String,
    pub arn: String,
    pub description: String,
    /// `ENCRYPT_DECRYPT`.
    pub key_usage: String,
    /// `SYMMETRIC_DEFAULT`.
    pub key_spec: String,
    /// `AWS_KMS`.
    pub origin: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub state: String,
    /// The key policy, as JSON text.
    pub policy: String,
    /// The version of key material new ciphertext is made with.
    pub current_version: i64,
    /// `None` while automatic rotation is off.
    pub rotation_period_days: Option<i64>,
    pub next_rotation_at: Option<i64>,
    /// When a key pending deletion goes.
    pub deletion_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One version of a key's material, sealed with the server's master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKeyVersionRecord {
    pub key_id: String,
    pub version: i64,
    pub sealed_material: String,
    /// `None` for the material the key was created with; `AUTOMATIC` or `ON_DEMAND` for a rotation.
    pub rotation_type: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsAliasRecord {
    /// `alias/<name>`.
    pub name: String,
    pub key_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

fn key_from_row(row: &AnyRow) -> Result<KmsKeyRecord> {
    Ok(KmsKeyRecord {
        key_id: row.try_get("key_id")?,
        arn: row.try_get("arn")?,
        description: row.try_get("description")?,
        key_usage: row.try_get("key_usage")?,
        key_spec: row.try_get("key_spec")?,
        origin: row.try_get("origin")?,
        state: row.try_get("state")?,
        policy: row.try_get("policy")?,
        current_version: row.try_get("current_version")?,
        rotation_period_days: row.try_get("rotation_period_days")?,
        next_rotation_at: row.try_get("next_rotation_at")?,
        deletion_at: row.try_get("deletion_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<KmsKeyVersionRecord> {
    Ok(KmsKeyVersionRecord {
        key_id: row.try_get("key_id")?,
        version: row.try_get("version")?,
        sealed_material: row.try_get("sealed_material")?,
        rotation_type: row.try_get("rotation_type")?,
        created_at: row.try_get("created_at")?,
    })
}

fn alias_from_row(row: &AnyRow) -> Result<KmsAliasRecord> {
    Ok(KmsAliasRecord {
        name: row.try_get("name")?,
        key_id: row.try_get("key_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Stores a new key with its first version of material and its tags, all or nothing.
    pub async fn insert_kms_key(&self, key: &KmsKeyRecord, material: &KmsKeyVersionRecord, tags: &[(String, String)]) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO kms_keys (key_id, arn, description, key_usage, key_spec, origin, state, policy, current_version, \
             rotation_period_days, next_rotation_at, deletion_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&key.key_id)
        .bind(&key.arn)
        .bind(&key.description)
        .bind(&key.key_usage)
        .bind(&key.key_spec)
        .bind(&key.origin)
        .bind(&key.state)
        .bind(&key.policy)
        .bind(key.current_version)
        .bind(key.rotation_period_days)
        .bind(key.next_rotation_at)
        .bind(key.deletion_at)
        .bind(key.created_at)
        .bind(key.updated_at)
        .execute(&mut *transaction)
        .await
        .map_err(conflict_or)?;
        insert_version(&mut transaction, material).await?;
        for (tag_key, value) in tags {
            put_tag(&mut transaction, &key.key_id, tag_key, value).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn kms_key(&self, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        let row = sqlx::query("SELECT * FROM kms_keys WHERE key_id = $1").bind(key_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(key_from_row).transpose()
    }

    /// Keys in id order, after `after`.
    pub async fn list_kms_keys(&self, after: Option<&str>, limit: i64) -> Result<Vec<KmsKeyRecord>> {
        let rows = sqlx::query("SELECT * FROM kms_keys WHERE key_id > $1 ORDER BY key_id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Sets a key's state and when it is to be deleted; false when there is no such key.
    pub async fn set_kms_key_state(&self, key_id: &str, state: &str, deletion_at: Option<i64>, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE kms_keys SET state = $2, deletion_at = $3, updated_at = $4 WHERE key_id = $1")
            .bind(key_id)
            .bind(state)
            .bind(deletion_at)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_kms_key_policy(&self, key_id: &str, policy: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE kms_keys SET policy = $2, updated_at = $3 WHERE key_id = $1")
            .bind(key_id)
            .bind(policy)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_kms_key_description(&self, key_id: &str, description: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE kms_keys SET description = $2, updated_at = $3 WHERE key_id = $1")
            .bind(key_id)
            .bind(description)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Turns automatic rotation on (a period and the next rotation's time) or off (`None`, `None`).
    pub async fn set_kms_key_rotation(&self, key_id: &str, period_days: Option<i64>, next_rotation_at: Option<i64>, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE kms_keys SET rotation_period_days = $2, next_rotation_at = $3, updated_at = $4 WHERE key_id = $1",
        )
        .bind(key_id)
        .bind(period_days)
        .bind(next_rotation_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Makes `material` the key's current version, if the current one is still `replaces` (so two
    /// rotations at once make one new version, not two); with automatic rotation on, `next_rotation_at`
    /// moves on. False when another rotation came first.
    pub async fn rotate_kms_key(&self, material: &KmsKeyVersionRecord, replaces: i64, next_rotation_at: Option<i64>) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE kms_keys SET current_version = $2, updated_at = $3, \
             next_rotation_at = CASE WHEN rotation_period_days IS NULL THEN next_rotation_at ELSE $4 END \
             WHERE key_id = $1 AND current_version = $5",
        )
        .bind(&material.key_id)
        .bind(material.version)
        .bind(material.created_at)
        .bind(next_rotation_at)
        .bind(replaces)
        .execute(&mut *transaction)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_version(&mut transaction, material).await?;
        transaction.commit().await?;
        Ok(true)
    }

    pub async fn kms_key_version(&self, key_id: &str, version: i64) -> Result<Option<KmsKeyVersionRecord>> {
        let row = sqlx::query("SELECT * FROM kms_key_versions WHERE key_id = $1 AND version = $2")
            .bind(key_id)
            .bind(version)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// Every version of a key's material, oldest first.
    pub async fn kms_key_versions(&self, key_id: &str) -> Result<Vec<KmsKeyVersionRecord>> {
        let rows = sqlx::query("SELECT * FROM kms_key_versions WHERE key_id = $1 ORDER BY version")
            .bind(key_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Deletes a key with its material, aliases and tags; false when there was no such key.
    pub async fn delete_kms_key(&self, key_id: &str) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        for statement in [
            "DELETE FROM kms_key_versions WHERE key_id = $1",
            "DELETE FROM kms_aliases WHERE key_id = $1",
            "DELETE FROM kms_key_tags WHERE key_id = $1",
        ] {
            sqlx::query(statement).bind(key_id).execute(&mut *transaction).await?;
        }
        let done = sqlx::query("DELETE FROM kms_keys WHERE key_id = $1").bind(key_id).execute(&mut *transaction).await?;
        transaction.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// The keys pending deletion whose time has come.
    pub async fn kms_keys_due_for_deletion(&self, now: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT key_id FROM kms_keys WHERE deletion_at IS NOT NULL AND deletion_at <= $1 ORDER BY key_id")
            .bind(now)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("key_id")?)).collect()
    }

    // ---- aliases ----

    /// Conflict when the name is taken.
    pub async fn insert_kms_alias(&self, alias: &KmsAliasRecord) -> Result<()> {
        sqlx::query("INSERT INTO kms_aliases (name, key_id, created_at, updated_at) VALUES ($1, $2, $3, $4)")
            .bind(&alias.name)
            .bind(&alias.key_id)
            .bind(alias.created_at)
            .bind(alias.updated_at)
            .execute(self.pool())
            .await
            .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn kms_alias(&self, name: &str) -> Result<Option<KmsAliasRecord>> {
        let row = sqlx::query("SELECT * FROM kms_aliases WHERE name = $1").bind(name).fetch_optional(self.pool()).await?;
        row.as_ref().map(alias_from_row).transpose()
    }

    /// Points an alias at another key; false when there is no such alias.
    pub async fn update_kms_alias(&self, name: &str, key_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE kms_aliases SET key_id = $2, updated_at = $3 WHERE name = $1")
            .bind(name)
            .bind(key_id)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_kms_alias(&self, name: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM kms_aliases WHERE name = $1").bind(name).execute(self.pool()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// Aliases in name order after `after`, of one key or of every key.
    pub async fn list_kms_aliases(&self, key_id: Option<&str>, after: Option<&str>, limit: i64) -> Result<Vec<KmsAliasRecord>> {
        let rows = match key_id {
            Some(key_id) => {
                sqlx::query("SELECT * FROM kms_aliases WHERE key_id = $1 AND name > $2 ORDER BY name LIMIT $3")
                    .bind(key_id)
                    .bind(after.unwrap_or(""))
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query("SELECT * FROM kms_aliases WHERE name > $1 ORDER BY name LIMIT $2")
                    .bind(after.unwrap_or(""))
                    .bind(limit)
                    .fetch_all(self.pool())
                    .await?
            }
        };
        rows.iter().map(alias_from_row).collect()
    }

    // ---- tags ----

    /// Adds tags or replaces their values.
    pub async fn put_kms_tags(&self, key_id: &str, tags: &[(String, String)]) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        for (tag_key, value) in tags {
            put_tag(&mut transaction, key_id, tag_key, value).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn delete_kms_tags(&self, key_id: &str, tag_keys: &[String]) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        for tag_key in tag_keys {
            sqlx::query("DELETE FROM kms_key_tags WHERE key_id = $1 AND tag_key = $2")
                .bind(key_id)
                .bind(tag_key)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// A key's tags in tag-key order.
    pub async fn kms_tags(&self, key_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT tag_key, tag_value FROM kms_key_tags WHERE key_id = $1 ORDER BY tag_key")
            .bind(key_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok((row.try_get("tag_key")?, row.try_get("tag_value")?))).collect()
    }
}

async fn insert_version(transaction: &mut sqlx::Transaction<'_, sqlx::Any>, material: &KmsKeyVersionRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO kms_key_versions (key_id, version, sealed_material, rotation_type, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&material.key_id)
    .bind(material.version)
    .bind(&material.sealed_material)
    .bind(&material.rotation_type)
    .bind(material.created_at)
    .execute(&mut **transaction)
    .await
    .map_err(conflict_or)?;
    Ok(())
}

async fn put_tag(transaction: &mut sqlx::Transaction<'_, sqlx::Any>, key_id: &str, tag_key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO kms_key_tags (key_id, tag_key, tag_value) VALUES ($1, $2, $3) \
         ON CONFLICT (key_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
    )
    .bind(key_id)
    .bind(tag_key)
    .bind(value)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}
