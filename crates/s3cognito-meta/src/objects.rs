//! The bucket half of the store: buckets, objects, multipart uploads, and blobs awaiting deletion.
//!
//! Every write that makes bytes visible or invisible is one transaction, and starts with a write
//! so that SQLite takes its write lock at once instead of failing to upgrade a read.

use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::records::{BucketRecord, CompletedUploadRecord, ObjectRecord, PartRecord, UploadRecord, VersionRecord};
use crate::store::{Store, conflict_or};
use crate::{MetaError, Result};

/// What DeleteBucket found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketDeletion {
    Deleted,
    NotFound,
    NotEmpty,
}

/// The smallest string greater than every string starting with `prefix`, bytewise; `None` when
/// there is none (an empty prefix, or one made of the highest characters only).
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

fn object_from_row(row: &AnyRow) -> Result<ObjectRecord> {
    Ok(ObjectRecord {
        bucket: row.try_get("bucket")?,
        key: row.try_get("object_key")?,
        size: row.try_get("size")?,
        etag: row.try_get("etag")?,
        content_type: row.try_get("content_type")?,
        headers: row.try_get("headers")?,
        user_metadata: row.try_get("user_metadata")?,
        checksum: row.try_get("checksum")?,
        segments: row.try_get("segments")?,
        owner: row.try_get("owner")?,
        modified_at: row.try_get("modified_at")?,
        tags: row.try_get("tags")?,
        version_id: row.try_get("version_id")?,
    })
}

/// A row of `object_versions`, or of a listing of versions (which also says `is_latest`).
fn version_from_row(row: &AnyRow) -> Result<VersionRecord> {
    let is_latest = match row.try_get::<i64, _>("is_latest") {
        Ok(value) => value == 1,
        Err(_) => false,
    };
    Ok(VersionRecord {
        object: object_from_row(row)?,
        delete_marker: row.try_get::<i64, _>("delete_marker")? == 1,
        is_latest,
        position: row.try_get::<i64, _>("seq").or_else(|_| row.try_get::<i64, _>("place"))?,
        noncurrent_since: row.try_get("noncurrent_since")?,
    })
}

/// The position of a key's current version among its versions: before every noncurrent one.
/// `list_versions` states it as a literal.
pub const CURRENT_POSITION: i64 = i64::MAX;

/// What deleting a key (no version named) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// The object that stopped being current, if the key had one.
    pub removed: Option<ObjectRecord>,
    /// In a bucket whose versioning was ever set, the delete marker made: its version id (`None`: the null
    /// marker of a suspended bucket).
    pub marker: Option<Option<String>>,
}

fn upload_from_row(row: &AnyRow) -> Result<UploadRecord> {
    Ok(UploadRecord {
        upload_id: row.try_get("upload_id")?,
        bucket: row.try_get("bucket")?,
        key: row.try_get("object_key")?,
        content_type: row.try_get("content_type")?,
        headers: row.try_get("headers")?,
        user_metadata: row.try_get("user_metadata")?,
        checksum_algorithm: row.try_get("checksum_algorithm")?,
        owner: row.try_get("owner")?,
        initiated_at: row.try_get("initiated_at")?,
        encryption: row.try_get("encryption")?,
        tags: row.try_get("tags")?,
    })
}

fn part_from_row(row: &AnyRow) -> Result<PartRecord> {
    Ok(PartRecord {
        upload_id: row.try_get("upload_id")?,
        part_number: row.try_get("part_number")?,
        blob_id: row.try_get("blob_id")?,
        blob_key: row.try_get("blob_key")?,
        size: row.try_get("size")?,
        etag: row.try_get("etag")?,
        checksum: row.try_get("checksum")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

/// Forgets blobs as pending inside `transaction`: the rows written with it name them now. A blob no longer
/// pending was reclaimed (its bytes are gone or going), so the transaction must not name it.
async fn forget_pending(transaction: &mut Transaction<'_, Any>, blob_ids: &[String]) -> Result<()> {
    for blob in blob_ids {
        let done = sqlx::query("DELETE FROM pending_blobs WHERE blob_id = $1").bind(blob).execute(&mut **transaction).await?;
        if done.rows_affected() != 1 {
            return Err(MetaError::Reclaimed(blob.clone()));
        }
    }
    Ok(())
}

/// Records blobs as garbage inside `transaction`, so they are reclaimed exactly when the rows that
/// referenced them are gone.
async fn collect_garbage(transaction: &mut Transaction<'_, Any>, blob_ids: &[String], reason: &str, now: i64) -> Result<()> {
    for blob_id in blob_ids {
        sqlx::query("INSERT INTO garbage_blobs (blob_id, reason, since) VALUES ($1, $2, $3) ON CONFLICT (blob_id) DO NOTHING")
            .bind(blob_id)
            .bind(reason)
            .bind(now)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

impl Store {
    // ---- buckets ----

    pub async fn insert_bucket(&self, bucket: &BucketRecord) -> Result<()> {
        self.insert_bucket_with(bucket, &[]).await
    }

    /// Creates the bucket with `settings` (kind, document) in one transaction: all of it or none.
    pub async fn insert_bucket_with(&self, bucket: &BucketRecord, settings: &[(&str, &str)]) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        sqlx::query("INSERT INTO buckets (name, owner, cors, created_at, encryption, location) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&bucket.name)
            .bind(&bucket.owner)
            .bind(&bucket.cors)
            .bind(bucket.created_at)
            .bind(&bucket.encryption)
            .bind(&bucket.location)
            .execute(&mut *transaction)
            .await
            .map_err(conflict_or)?;
        for (kind, document) in settings {
            sqlx::query("INSERT INTO bucket_settings (bucket, kind, document) VALUES ($1, $2, $3)")
                .bind(&bucket.name)
                .bind(*kind)
                .bind(*document)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        let row = sqlx::query("SELECT * FROM buckets WHERE name = $1").bind(name).fetch_optional(self.pool()).await?;
        row.map(|row| bucket_from_row(&row)).transpose()
    }

    pub async fn list_buckets(&self) -> Result<Vec<BucketRecord>> {
        let rows = sqlx::query("SELECT * FROM buckets ORDER BY name").fetch_all(self.pool()).await?;
        rows.iter().map(bucket_from_row).collect()
    }

    pub async fn set_bucket_cors(&self, name: &str, cors: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE buckets SET cors = $2 WHERE name = $1")
            .bind(name)
            .bind(cors)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets or clears the bucket's default encryption; false when there is no such bucket.
    pub async fn set_bucket_encryption(&self, name: &str, encryption: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE buckets SET encryption = $2 WHERE name = $1")
            .bind(name)
            .bind(encryption)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the bucket if it holds no object, as S3 does: multipart uploads left unfinished in it (a
    /// writer that crashed) go with it, their parts becoming garbage, and so do its settings.
    pub async fn delete_bucket_if_empty(&self, name: &str, now: i64) -> Result<BucketDeletion> {
        let mut transaction = self.pool().begin().await?;
        // A write first, so SQLite takes its write lock now; it also tells whether the bucket is there.
        let found = sqlx::query("UPDATE buckets SET owner = owner WHERE name = $1").bind(name).execute(&mut *transaction).await?;
        if found.rows_affected() == 0 {
            transaction.rollback().await?;
            return Ok(BucketDeletion::NotFound);
        }
        let holds = "SELECT 1 FROM objects WHERE bucket = $1 UNION ALL SELECT 1 FROM object_versions WHERE bucket = $1 LIMIT 1";
        if sqlx::query(holds).bind(name).fetch_optional(&mut *transaction).await?.is_some() {
            transaction.rollback().await?;
            return Ok(BucketDeletion::NotEmpty);
        }
        let parts = sqlx::query(
            "DELETE FROM upload_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE bucket = $1) RETURNING blob_id",
        )
        .bind(name)
        .fetch_all(&mut *transaction)
        .await?;
        let blobs = parts.iter().map(|row| row.try_get::<String, _>("blob_id")).collect::<Result<Vec<_>, _>>()?;
        collect_garbage(&mut transaction, &blobs, "bucket deleted", now).await?;
        sqlx::query("DELETE FROM multipart_uploads WHERE bucket = $1").bind(name).execute(&mut *transaction).await?;
        sqlx::query("DELETE FROM bucket_settings WHERE bucket = $1").bind(name).execute(&mut *transaction).await?;
        // An object committed since the check (PostgreSQL lets a writer in) keeps the bucket.
        let done = sqlx::query(
            "DELETE FROM buckets WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM objects WHERE bucket = $1) \
             AND NOT EXISTS (SELECT 1 FROM object_versions WHERE bucket = $1)",
        )
            .bind(name)
            .execute(&mut *transaction)
            .await;
        match done {
            Ok(done) if done.rows_affected() == 1 => {
                transaction.commit().await?;
                Ok(BucketDeletion::Deleted)
            }
            Ok(_) => {
                transaction.rollback().await?;
                Ok(BucketDeletion::NotEmpty)
            }
            Err(error) if crate::store::is_foreign_key_violation(&error) => {
                transaction.rollback().await?;
                Ok(BucketDeletion::NotEmpty)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Sets the bucket's versioning state (`Enabled`, `Suspended`); false when there is no such bucket.
    pub async fn set_bucket_versioning(&self, name: &str, state: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE buckets SET versioning = $2 WHERE name = $1").bind(name).bind(state).execute(self.pool()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The bucket's setting of `kind`, as stored.
    pub async fn bucket_setting(&self, bucket: &str, kind: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT document FROM bucket_settings WHERE bucket = $1 AND kind = $2")
            .bind(bucket)
            .bind(kind)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("document")).transpose()?)
    }

    /// Every bucket's setting of `kind`, by bucket.
    pub async fn settings_of_kind(&self, kind: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT bucket, document FROM bucket_settings WHERE kind = $1 ORDER BY bucket").bind(kind).fetch_all(self.pool()).await?;
        rows.iter().map(|row| Ok((row.try_get("bucket")?, row.try_get("document")?))).collect()
    }

    /// Takes the lease `name` for `holder` until `until`, if no one holds it at `now`; whether it was taken.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE leases.until <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every setting of the bucket, by kind.
    pub async fn bucket_settings(&self, bucket: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT kind, document FROM bucket_settings WHERE bucket = $1").bind(bucket).fetch_all(self.pool()).await?;
        rows.iter().map(|row| Ok((row.try_get("kind")?, row.try_get("document")?))).collect()
    }

    /// Sets (`Some`) or removes (`None`) the bucket's setting of `kind`; false when there is no such bucket.
    pub async fn set_bucket_setting(&self, bucket: &str, kind: &str, document: Option<&str>) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let found = sqlx::query("UPDATE buckets SET owner = owner WHERE name = $1").bind(bucket).execute(&mut *transaction).await?;
        if found.rows_affected() == 0 {
            transaction.rollback().await?;
            return Ok(false);
        }
        match document {
            Some(document) => {
                sqlx::query(
                    "INSERT INTO bucket_settings (bucket, kind, document) VALUES ($1, $2, $3) \
                     ON CONFLICT (bucket, kind) DO UPDATE SET document = excluded.document",
                )
                .bind(bucket)
                .bind(kind)
                .bind(document)
                .execute(&mut *transaction)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM bucket_settings WHERE bucket = $1 AND kind = $2").bind(bucket).bind(kind).execute(&mut *transaction).await?;
            }
        }
        transaction.commit().await?;
        Ok(true)
    }

    // ---- objects ----

    pub async fn object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
        let row = sqlx::query("SELECT * FROM objects WHERE bucket = $1 AND object_key = $2")
            .bind(bucket)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(object_from_row).transpose()
    }

    /// Makes `object` visible, replacing any object under its key whole; the replaced object's
    /// blobs become garbage in the same transaction. Returns the replaced object.
    /// `new_blobs` leave `pending_blobs` in the same transaction: from then on a row names them.
    pub async fn put_object(
        &self,
        object: &ObjectRecord,
        new_blobs: &[String],
        replaced_blobs: impl Fn(&ObjectRecord) -> Vec<String>,
    ) -> Result<Option<ObjectRecord>> {
        self.put_object_when(object, true, new_blobs, replaced_blobs, |_| true).await
    }

    /// `put_object` if `admits` the object the key holds (or its absence) at the commit; otherwise nothing
    /// is written and the answer is `Precondition`. `versioned`: the bucket's versioning was ever set, so a
    /// new null version may have a noncurrent one to replace (a bucket that never versioned has none, and its
    /// writes skip looking).
    pub async fn put_object_when(
        &self,
        object: &ObjectRecord,
        versioned: bool,
        new_blobs: &[String],
        replaced_blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        admits: impl Fn(Option<&ObjectRecord>) -> bool,
    ) -> Result<Option<ObjectRecord>> {
        let mut transaction = self.pool().begin().await?;
        let old = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2 RETURNING *")
            .bind(&object.bucket)
            .bind(&object.key)
            .fetch_optional(&mut *transaction)
            .await?;
        let old = old.as_ref().map(object_from_row).transpose()?;
        if !admits(old.as_ref()) {
            transaction.rollback().await?;
            return Err(MetaError::Precondition { existed: old.is_some() });
        }
        insert_object(&mut transaction, object).await?;
        supersede(&mut transaction, object, old.as_ref(), versioned, &replaced_blobs).await?;
        forget_pending(&mut transaction, new_blobs).await?;
        transaction.commit().await?;
        Ok(old)
    }

    /// Deletes the key's current version. In a bucket that never versioned, the object and its blobs go. In
    /// a versioning bucket the object becomes noncurrent and a delete marker of version `marker_id` (owned by
    /// `owner`) becomes current; in a suspended one the marker is the null version, replacing any other.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        marker_id: &str,
        owner: &str,
        blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        now: i64,
    ) -> Result<Deletion> {
        let mut transaction = self.pool().begin().await?;
        let old = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2 RETURNING *")
            .bind(bucket)
            .bind(key)
            .fetch_optional(&mut *transaction)
            .await?;
        let old = old.as_ref().map(object_from_row).transpose()?;
        let marker = remove_current(&mut transaction, bucket, key, old.as_ref(), marker_id, owner, &blobs, now, "deleted").await?;
        transaction.commit().await?;
        Ok(Deletion { removed: old, marker })
    }

    /// Deletes the object at `key` only if it is still the one with `etag` written at `modified_at` (a rule
    /// judged it, and a newer one must not go instead); whether it was deleted. In a versioning bucket it
    /// becomes noncurrent behind a delete marker of version `marker_id`, as `delete_object` does.
    #[allow(clippy::too_many_arguments)]
    pub async fn delete_object_if(
        &self,
        bucket: &str,
        key: &str,
        etag: &str,
        modified_at: i64,
        marker_id: &str,
        blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        now: i64,
    ) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let old = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2 AND etag = $3 AND modified_at = $4 RETURNING *")
            .bind(bucket)
            .bind(key)
            .bind(etag)
            .bind(modified_at)
            .fetch_optional(&mut *transaction)
            .await?;
        let old = old.as_ref().map(object_from_row).transpose()?;
        if let Some(old) = &old {
            remove_current(&mut transaction, bucket, key, Some(old), marker_id, &old.owner, &blobs, now, "expired").await?;
        }
        transaction.commit().await?;
        Ok(old.is_some())
    }

    /// The version `version_id` (`None`: the null version) of the key, current, noncurrent or a delete marker.
    pub async fn version(&self, bucket: &str, key: &str, version_id: Option<&str>) -> Result<Option<VersionRecord>> {
        let current = sqlx::query("SELECT * FROM objects WHERE bucket = $1 AND object_key = $2 AND COALESCE(version_id, '') = $3")
            .bind(bucket)
            .bind(key)
            .bind(version_column(version_id))
            .fetch_optional(self.pool())
            .await?;
        if let Some(row) = current {
            return Ok(Some(VersionRecord { object: object_from_row(&row)?, delete_marker: false, is_latest: true, position: CURRENT_POSITION, noncurrent_since: None }));
        }
        let row = sqlx::query(
            "SELECT v.*, CAST(CASE WHEN NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = v.bucket AND o.object_key = v.object_key) \
             AND v.seq = (SELECT MAX(w.seq) FROM object_versions w WHERE w.bucket = v.bucket AND w.object_key = v.object_key) \
             THEN 1 ELSE 0 END AS BIGINT) AS is_latest \
             FROM object_versions v WHERE v.bucket = $1 AND v.object_key = $2 AND COALESCE(v.version_id, '') = $3",
        )
        .bind(bucket)
        .bind(key)
        .bind(version_column(version_id))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(version_from_row).transpose()
    }

    /// The delete marker that is the key's current version, if one is (the key has no object in `objects`).
    pub async fn current_delete_marker(&self, bucket: &str, key: &str) -> Result<Option<VersionRecord>> {
        let row = sqlx::query("SELECT * FROM object_versions WHERE bucket = $1 AND object_key = $2 ORDER BY seq DESC LIMIT 1")
            .bind(bucket)
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        let newest = row.as_ref().map(version_from_row).transpose()?;
        Ok(newest.filter(|version| version.delete_marker).map(|version| VersionRecord { is_latest: true, ..version }))
    }

    /// Deletes the version `version_id` (`None`: the null version) of the key for good; its blobs become
    /// garbage. When it was current, the newest remaining version becomes current (unless that is a delete
    /// marker, which then stays current). Returns what was deleted.
    pub async fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        now: i64,
    ) -> Result<Option<VersionRecord>> {
        let mut transaction = self.pool().begin().await?;
        let current = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2 AND COALESCE(version_id, '') = $3 RETURNING *")
            .bind(bucket)
            .bind(key)
            .bind(version_column(version_id))
            .fetch_optional(&mut *transaction)
            .await?;
        let deleted = match current {
            Some(row) => Some(VersionRecord { object: object_from_row(&row)?, delete_marker: false, is_latest: true, position: CURRENT_POSITION, noncurrent_since: None }),
            None => {
                let row = sqlx::query(
                    "DELETE FROM object_versions WHERE bucket = $1 AND object_key = $2 AND COALESCE(version_id, '') = $3 RETURNING *",
                )
                .bind(bucket)
                .bind(key)
                .bind(version_column(version_id))
                .fetch_optional(&mut *transaction)
                .await?;
                row.as_ref().map(version_from_row).transpose()?
            }
        };
        if let Some(deleted) = &deleted {
            collect_garbage(&mut transaction, &blobs(&deleted.object), "version deleted", now).await?;
            promote_newest(&mut transaction, bucket, key).await?;
        }
        transaction.commit().await?;
        Ok(deleted)
    }

    /// Every version of the bucket's keys starting with `prefix` (current ones, noncurrent ones and delete
    /// markers), by key and, within a key, newest first; after the version at `after_position` of
    /// `after_key` (a position of `i64::MIN` resumes after the whole key), from `from` (inclusive).
    pub async fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        after_key: &str,
        after_position: i64,
        from: &str,
        limit: i64,
    ) -> Result<Vec<VersionRecord>> {
        let lower = if from > prefix { from } else { prefix };
        let upper = prefix_successor(prefix);
        // The current versions, then the noncurrent ones and delete markers; a key's current version sorts
        // first (`CURRENT_POSITION`), the rest newest first.
        let rows = sqlx::query(
            "SELECT bucket, object_key, version_id, size, etag, content_type, headers, user_metadata, checksum, segments, owner, modified_at, tags, CAST(0 AS BIGINT) AS delete_marker, CAST(9223372036854775807 AS BIGINT) AS place, \
             CAST(1 AS BIGINT) AS is_latest, CAST(NULL AS BIGINT) AS noncurrent_since \
             FROM objects WHERE bucket = $1 AND object_key >= $2 AND ($5 = '' OR object_key < $5) AND object_key > $3 \
             UNION ALL \
             SELECT bucket, object_key, version_id, size, etag, content_type, headers, user_metadata, checksum, segments, owner, modified_at, tags, delete_marker, seq AS place, \
             CAST(CASE WHEN NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = v.bucket AND o.object_key = v.object_key) \
             AND v.seq = (SELECT MAX(w.seq) FROM object_versions w WHERE w.bucket = v.bucket AND w.object_key = v.object_key) \
             THEN 1 ELSE 0 END AS BIGINT) AS is_latest, noncurrent_since \
             FROM object_versions v WHERE bucket = $1 AND object_key >= $2 AND ($5 = '' OR object_key < $5) \
             AND (object_key > $3 OR (object_key = $3 AND seq < $4)) \
             ORDER BY object_key, place DESC LIMIT $6",
        )
        .bind(bucket)
        .bind(lower)
        .bind(after_key)
        .bind(after_position)
        .bind(upper.as_deref().unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Noncurrent versions and delete markers of the bucket that became noncurrent before `before`, oldest
    /// first, after position `after`; for lifecycle rules.
    pub async fn noncurrent_versions(&self, bucket: &str, before: i64, after: i64, limit: i64) -> Result<Vec<VersionRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM object_versions WHERE bucket = $1 AND noncurrent_since < $2 AND seq > $3 ORDER BY seq LIMIT $4",
        )
        .bind(bucket)
        .bind(before)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(version_from_row).collect()
    }

    /// Deletes the noncurrent version or delete marker at `position` for good (a lifecycle rule judged it), its
    /// blobs becoming garbage; with `lone_marker`, only a delete marker that is all the key has left. Whether
    /// it was deleted.
    pub async fn expire_version(
        &self,
        version: &VersionRecord,
        lone_marker: bool,
        blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        now: i64,
    ) -> Result<bool> {
        let (bucket, key) = (&version.object.bucket, &version.object.key);
        let mut transaction = self.pool().begin().await?;
        let deleted = if lone_marker {
            sqlx::query(
                "DELETE FROM object_versions WHERE seq = $1 AND delete_marker = 1 \
                 AND NOT EXISTS (SELECT 1 FROM object_versions w WHERE w.bucket = $2 AND w.object_key = $3 AND w.seq <> $1) \
                 AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket = $2 AND o.object_key = $3) RETURNING *",
            )
            .bind(version.position)
            .bind(bucket)
            .bind(key)
            .fetch_optional(&mut *transaction)
            .await?
        } else {
            sqlx::query("DELETE FROM object_versions WHERE seq = $1 RETURNING *").bind(version.position).fetch_optional(&mut *transaction).await?
        };
        let Some(row) = deleted else {
            transaction.rollback().await?;
            return Ok(false);
        };
        collect_garbage(&mut transaction, &blobs(&object_from_row(&row)?), "expired", now).await?;
        promote_newest(&mut transaction, bucket, key).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Sets the tags of the version `version_id` of the key; false when there is no such version (a delete
    /// marker has no tags).
    pub async fn set_version_tags(&self, bucket: &str, key: &str, version_id: Option<&str>, tags: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE objects SET tags = $4 WHERE bucket = $1 AND object_key = $2 AND COALESCE(version_id, '') = $3")
            .bind(bucket)
            .bind(key)
            .bind(version_column(version_id))
            .bind(tags)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        let done = sqlx::query(
            "UPDATE object_versions SET tags = $4 WHERE bucket = $1 AND object_key = $2 AND COALESCE(version_id, '') = $3 AND delete_marker = 0",
        )
        .bind(bucket)
        .bind(key)
        .bind(version_column(version_id))
        .bind(tags)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Objects whose keys start with `prefix`, sort after `after` (exclusive) and not below `from`
    /// (inclusive), in bytewise key order. Empty bounds are no bounds: S3 keys are never empty.
    pub async fn list_objects(&self, bucket: &str, prefix: &str, after: &str, from: &str, limit: i64) -> Result<Vec<ObjectRecord>> {
        let lower = if from > prefix { from } else { prefix };
        // The upper bound is the prefix's successor, or none at all.
        let upper = prefix_successor(prefix);
        let rows = sqlx::query(
            "SELECT * FROM objects WHERE bucket = $1 AND object_key >= $2 AND object_key > $3 \
             AND ($4 = '' OR object_key < $4) ORDER BY object_key LIMIT $5",
        )
        .bind(bucket)
        .bind(lower)
        .bind(after)
        .bind(upper.as_deref().unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(object_from_row).collect()
    }

    // ---- multipart uploads ----

    pub async fn insert_upload(&self, upload: &UploadRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO multipart_uploads (upload_id, bucket, object_key, content_type, headers, user_metadata, \
             checksum_algorithm, owner, initiated_at, encryption, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&upload.upload_id)
        .bind(&upload.bucket)
        .bind(&upload.key)
        .bind(&upload.content_type)
        .bind(&upload.headers)
        .bind(&upload.user_metadata)
        .bind(&upload.checksum_algorithm)
        .bind(&upload.owner)
        .bind(upload.initiated_at)
        .bind(&upload.encryption)
        .bind(&upload.tags)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>> {
        let row = sqlx::query("SELECT * FROM multipart_uploads WHERE upload_id = $1")
            .bind(upload_id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(upload_from_row).transpose()
    }

    /// Uploads of a bucket under `prefix`, ordered by key then upload id, after the markers.
    pub async fn list_uploads(&self, bucket: &str, prefix: &str, key_marker: &str, upload_id_marker: &str, limit: i64) -> Result<Vec<UploadRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM multipart_uploads WHERE bucket = $1 AND object_key >= $2 \
             AND (object_key > $3 OR (object_key = $3 AND upload_id > $4)) \
             ORDER BY object_key, upload_id LIMIT $5",
        )
        .bind(bucket)
        .bind(prefix)
        .bind(key_marker)
        .bind(upload_id_marker)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let uploads: Vec<UploadRecord> = rows.iter().map(upload_from_row).collect::<Result<_>>()?;
        Ok(uploads.into_iter().filter(|upload| upload.key.starts_with(prefix)).collect())
    }

    /// Records a part, replacing an earlier upload of the same number (whose blob becomes garbage).
    /// Fails with `Conflict` when the upload is gone (completed or aborted meanwhile).
    pub async fn put_part(&self, part: &PartRecord) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        let old = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 AND part_number = $2 RETURNING blob_id")
            .bind(&part.upload_id)
            .bind(part.part_number)
            .fetch_optional(&mut *transaction)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO upload_parts (upload_id, part_number, blob_id, size, etag, checksum, uploaded_at, blob_key) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM multipart_uploads WHERE upload_id = $1)",
        )
        .bind(&part.upload_id)
        .bind(part.part_number)
        .bind(&part.blob_id)
        .bind(part.size)
        .bind(&part.etag)
        .bind(&part.checksum)
        .bind(part.uploaded_at)
        .bind(&part.blob_key)
        .execute(&mut *transaction)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(MetaError::Conflict);
        }
        if let Some(old) = old {
            let blob: String = old.try_get("blob_id")?;
            collect_garbage(&mut transaction, &[blob], "part replaced", part.uploaded_at).await?;
        }
        forget_pending(&mut transaction, std::slice::from_ref(&part.blob_id)).await?;
        transaction.commit().await?;
        Ok(())
    }

    pub async fn parts(&self, upload_id: &str) -> Result<Vec<PartRecord>> {
        let rows = sqlx::query("SELECT * FROM upload_parts WHERE upload_id = $1 ORDER BY part_number")
            .bind(upload_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(part_from_row).collect()
    }

    /// Ends the upload and makes `object` visible in one transaction. Parts not in the object, and
    /// the object it replaces, become garbage. `Ok(false)` when the upload was already gone.
    pub async fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectRecord,
        used_blobs: &[String],
        replaced_blobs: impl Fn(&ObjectRecord) -> Vec<String>,
    ) -> Result<bool> {
        self.complete_upload_when(upload_id, object, true, used_blobs, replaced_blobs, |_| true).await
    }

    /// `complete_upload` if `admits` the object the key holds (or its absence) at the commit; otherwise
    /// nothing changes (the upload stays open) and the answer is `Precondition`. `versioned` as for
    /// `put_object_when`.
    #[allow(clippy::too_many_arguments)]
    pub async fn complete_upload_when(
        &self,
        upload_id: &str,
        object: &ObjectRecord,
        versioned: bool,
        used_blobs: &[String],
        replaced_blobs: impl Fn(&ObjectRecord) -> Vec<String>,
        admits: impl Fn(Option<&ObjectRecord>) -> bool,
    ) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let parts = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id")
            .bind(upload_id)
            .fetch_all(&mut *transaction)
            .await?;
        let ended = sqlx::query("DELETE FROM multipart_uploads WHERE upload_id = $1").bind(upload_id).execute(&mut *transaction).await?;
        if ended.rows_affected() == 0 {
            transaction.rollback().await?;
            return Ok(false);
        }
        let unused: Vec<String> = parts
            .iter()
            .map(|row| row.try_get::<String, _>("blob_id"))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .filter(|blob| !used_blobs.contains(blob))
            .collect();
        collect_garbage(&mut transaction, &unused, "part not used", object.modified_at).await?;
        let old = sqlx::query("DELETE FROM objects WHERE bucket = $1 AND object_key = $2 RETURNING *")
            .bind(&object.bucket)
            .bind(&object.key)
            .fetch_optional(&mut *transaction)
            .await?;
        let old = old.as_ref().map(object_from_row).transpose()?;
        if !admits(old.as_ref()) {
            transaction.rollback().await?;
            return Err(MetaError::Precondition { existed: old.is_some() });
        }
        supersede(&mut transaction, object, old.as_ref(), versioned, &replaced_blobs).await?;
        insert_object(&mut transaction, object).await?;
        sqlx::query(
            "INSERT INTO completed_uploads (upload_id, bucket, object_key, etag, completed_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (upload_id) DO NOTHING",
        )
        .bind(upload_id)
        .bind(&object.bucket)
        .bind(&object.key)
        .bind(&object.etag)
        .bind(object.modified_at)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// The completion of `upload_id`, if it completed lately.
    pub async fn completed_upload(&self, upload_id: &str) -> Result<Option<CompletedUploadRecord>> {
        let row = sqlx::query("SELECT * FROM completed_uploads WHERE upload_id = $1").bind(upload_id).fetch_optional(self.pool()).await?;
        row.map(|row| {
            Ok(CompletedUploadRecord {
                upload_id: row.try_get("upload_id")?,
                bucket: row.try_get("bucket")?,
                key: row.try_get("object_key")?,
                etag: row.try_get("etag")?,
                completed_at: row.try_get("completed_at")?,
            })
        })
        .transpose()
    }

    /// Forgets completions older than `before`; returns how many went.
    pub async fn forget_completed_uploads(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM completed_uploads WHERE completed_at < $1").bind(before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// Sets the tags of the object at `key`; false when there is no such object.
    pub async fn set_object_tags(&self, bucket: &str, key: &str, tags: Option<&str>) -> Result<bool> {
        let done = sqlx::query("UPDATE objects SET tags = $3 WHERE bucket = $1 AND object_key = $2")
            .bind(bucket)
            .bind(key)
            .bind(tags)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends the upload; its parts become garbage. `false` when there was no such upload.
    pub async fn abort_upload(&self, upload_id: &str, now: i64) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let parts = sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1 RETURNING blob_id")
            .bind(upload_id)
            .fetch_all(&mut *transaction)
            .await?;
        let ended = sqlx::query("DELETE FROM multipart_uploads WHERE upload_id = $1").bind(upload_id).execute(&mut *transaction).await?;
        let blobs = parts.iter().map(|row| row.try_get::<String, _>("blob_id")).collect::<Result<Vec<_>, _>>()?;
        collect_garbage(&mut transaction, &blobs, "upload aborted", now).await?;
        transaction.commit().await?;
        Ok(ended.rows_affected() == 1)
    }

    /// Uploads started before `before`, for the background clean-up.
    pub async fn stale_uploads(&self, before: i64, limit: i64) -> Result<Vec<UploadRecord>> {
        let rows = sqlx::query("SELECT * FROM multipart_uploads WHERE initiated_at < $1 ORDER BY initiated_at LIMIT $2")
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(upload_from_row).collect()
    }

    // ---- garbage ----

    /// Blobs that became garbage before `before`: the grace period lets reads that started on the
    /// old object finish.
    pub async fn garbage(&self, before: i64, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT blob_id FROM garbage_blobs WHERE since < $1 ORDER BY since LIMIT $2")
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>("blob_id")?)).collect()
    }

    /// Records that `blob_ids` are about to be written, in one transaction; done before their first byte.
    pub async fn insert_pending_blobs(&self, blob_ids: &[String], since: i64) -> Result<()> {
        let mut transaction = self.pool().begin().await?;
        for blob_id in blob_ids {
            sqlx::query("INSERT INTO pending_blobs (blob_id, since) VALUES ($1, $2)")
                .bind(blob_id)
                .bind(since)
                .execute(&mut *transaction)
                .await
                .map_err(crate::store::conflict_or)?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Blobs pending since before `before`: their writers are long gone without committing.
    pub async fn stale_pending_blobs(&self, before: i64, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT blob_id FROM pending_blobs WHERE since < $1 ORDER BY since LIMIT $2")
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok(row.try_get("blob_id")?)).collect()
    }

    /// Gives up on a pending blob whose writer is long gone: in one transaction it stops being pending and
    /// becomes garbage, unreferenced since it was reserved. A commit naming it afterwards fails
    /// (`MetaError::Reclaimed`), and one that won the race keeps it: then nothing happens here.
    pub async fn abandon_pending_blob(&self, blob_id: &str) -> Result<bool> {
        let mut transaction = self.pool().begin().await?;
        let since = sqlx::query("DELETE FROM pending_blobs WHERE blob_id = $1 RETURNING since")
            .bind(blob_id)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(since) = since else {
            return Ok(false);
        };
        let since: i64 = since.try_get("since")?;
        collect_garbage(&mut transaction, std::slice::from_ref(&blob_id.to_owned()), "abandoned", since).await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Forgets a pending blob whose bytes are gone (aborted, or discarded).
    pub async fn forget_pending_blob(&self, blob_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM pending_blobs WHERE blob_id = $1").bind(blob_id).execute(self.pool()).await?;
        Ok(())
    }

    pub async fn forget_garbage(&self, blob_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM garbage_blobs WHERE blob_id = $1").bind(blob_id).execute(self.pool()).await?;
        Ok(())
    }
}

async fn insert_object(transaction: &mut Transaction<'_, Any>, object: &ObjectRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO objects (bucket, object_key, size, etag, content_type, headers, user_metadata, checksum, \
         segments, owner, modified_at, tags, version_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&object.bucket)
    .bind(&object.key)
    .bind(object.size)
    .bind(&object.etag)
    .bind(&object.content_type)
    .bind(&object.headers)
    .bind(&object.user_metadata)
    .bind(&object.checksum)
    .bind(&object.segments)
    .bind(&object.owner)
    .bind(object.modified_at)
    .bind(&object.tags)
    .bind(&object.version_id)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Puts `object`'s predecessor `old` (just taken out of `objects`) where it belongs now that `object` is
/// current: among the noncurrent versions, unless both are the null version, which replaces the old one
/// (its blobs become garbage). A new null version also replaces a noncurrent null version, which only a
/// bucket whose versioning was ever set (`versioned`) can have. (A write that read the bucket just before its
/// versioning was first enabled skips that, and could leave a second null version behind a concurrent
/// writer's; every null version stays readable and deletable.)
async fn supersede(
    transaction: &mut Transaction<'_, Any>,
    object: &ObjectRecord,
    old: Option<&ObjectRecord>,
    versioned: bool,
    blobs: &impl Fn(&ObjectRecord) -> Vec<String>,
) -> Result<()> {
    let now = object.modified_at;
    if let Some(old) = old {
        if old.version_id.is_none() && object.version_id.is_none() {
            collect_garbage(transaction, &blobs(old), "replaced", now).await?;
        } else {
            insert_version(transaction, old, false, now).await?;
        }
    }
    if versioned && object.version_id.is_none() {
        drop_null_version(transaction, &object.bucket, &object.key, blobs, now).await?;
    }
    Ok(())
}

/// After the key's current version `old` was taken out of `objects`: its blobs become garbage in a bucket
/// that never versioned; otherwise it is kept as noncurrent (a null version in a suspended bucket is replaced)
/// and a delete marker becomes current. Returns the marker's version, if one was made.
#[allow(clippy::too_many_arguments)]
async fn remove_current(
    transaction: &mut Transaction<'_, Any>,
    bucket: &str,
    key: &str,
    old: Option<&ObjectRecord>,
    marker_id: &str,
    owner: &str,
    blobs: &impl Fn(&ObjectRecord) -> Vec<String>,
    now: i64,
    reason: &str,
) -> Result<Option<Option<String>>> {
    let versioning = sqlx::query("SELECT versioning FROM buckets WHERE name = $1").bind(bucket).fetch_optional(&mut **transaction).await?;
    let versioning: Option<String> = versioning.map(|row| row.try_get("versioning")).transpose()?.flatten();
    let Some(versioning) = versioning else {
        if let Some(old) = old {
            collect_garbage(transaction, &blobs(old), reason, now).await?;
        }
        return Ok(None);
    };
    let marker = ObjectRecord {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size: 0,
        etag: String::new(),
        content_type: None,
        headers: "{}".to_owned(),
        user_metadata: "{}".to_owned(),
        checksum: None,
        segments: "[]".to_owned(),
        owner: owner.to_owned(),
        modified_at: now,
        tags: None,
        version_id: (versioning == "Enabled").then(|| marker_id.to_owned()),
    };
    if let Some(old) = old {
        if old.version_id.is_none() && marker.version_id.is_none() {
            collect_garbage(transaction, &blobs(old), reason, now).await?;
        } else {
            insert_version(transaction, old, false, now).await?;
        }
    }
    if marker.version_id.is_none() {
        drop_null_version(transaction, bucket, key, blobs, now).await?;
    }
    insert_version(transaction, &marker, true, now).await?;
    Ok(Some(marker.version_id))
}

/// Records `object` as a noncurrent version (or a delete marker) of its key, the newest.
async fn insert_version(transaction: &mut Transaction<'_, Any>, object: &ObjectRecord, delete_marker: bool, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO object_versions (bucket, object_key, version_id, delete_marker, size, etag, content_type, headers, \
         user_metadata, checksum, segments, owner, modified_at, tags, noncurrent_since) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(&object.bucket)
    .bind(&object.key)
    .bind(&object.version_id)
    .bind(i64::from(delete_marker))
    .bind(object.size)
    .bind(&object.etag)
    .bind(&object.content_type)
    .bind(&object.headers)
    .bind(&object.user_metadata)
    .bind(&object.checksum)
    .bind(&object.segments)
    .bind(&object.owner)
    .bind(object.modified_at)
    .bind(&object.tags)
    .bind(now)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

/// Removes the key's noncurrent null version (or null delete marker), whose blobs become garbage: a new null
/// version replaces it.
async fn drop_null_version(
    transaction: &mut Transaction<'_, Any>,
    bucket: &str,
    key: &str,
    blobs: &impl Fn(&ObjectRecord) -> Vec<String>,
    now: i64,
) -> Result<()> {
    let rows = sqlx::query("DELETE FROM object_versions WHERE bucket = $1 AND object_key = $2 AND version_id IS NULL RETURNING *")
        .bind(bucket)
        .bind(key)
        .fetch_all(&mut **transaction)
        .await?;
    for row in &rows {
        collect_garbage(transaction, &blobs(&object_from_row(row)?), "replaced", now).await?;
    }
    Ok(())
}

/// Makes the key's newest noncurrent version current again when nothing is current and it is not a delete
/// marker (the version above it was deleted).
async fn promote_newest(transaction: &mut Transaction<'_, Any>, bucket: &str, key: &str) -> Result<()> {
    let current = sqlx::query("SELECT 1 FROM objects WHERE bucket = $1 AND object_key = $2").bind(bucket).bind(key).fetch_optional(&mut **transaction).await?;
    if current.is_some() {
        return Ok(());
    }
    let newest = sqlx::query("SELECT * FROM object_versions WHERE bucket = $1 AND object_key = $2 ORDER BY seq DESC LIMIT 1")
        .bind(bucket)
        .bind(key)
        .fetch_optional(&mut **transaction)
        .await?;
    let Some(newest) = newest.as_ref().map(version_from_row).transpose()? else { return Ok(()) };
    if newest.delete_marker {
        return Ok(());
    }
    sqlx::query("DELETE FROM object_versions WHERE seq = $1").bind(newest.position).execute(&mut **transaction).await?;
    insert_object(transaction, &newest.object).await
}

/// `version_id` as the version columns hold it, for comparing with `COALESCE(version_id, '')`: the null
/// version is ''.
fn version_column(version_id: Option<&str>) -> &str {
    version_id.unwrap_or("")
}

fn bucket_from_row(row: &AnyRow) -> Result<BucketRecord> {
    Ok(BucketRecord {
        name: row.try_get("name")?,
        owner: row.try_get("owner")?,
        cors: row.try_get("cors")?,
        encryption: row.try_get("encryption")?,
        location: row.try_get("location")?,
        created_at: row.try_get("created_at")?,
        versioning: row.try_get("versioning")?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_successors_bound_every_key_with_the_prefix() {
        assert_eq!(super::prefix_successor("a/"), Some("a0".to_owned()));
        assert_eq!(super::prefix_successor("photos"), Some("photot".to_owned()));
        assert_eq!(super::prefix_successor(""), None);
        let top = char::MAX.to_string();
        assert_eq!(super::prefix_successor(&format!("a{top}")), Some("b".to_owned()));
    }
}
