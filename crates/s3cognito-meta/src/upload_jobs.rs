//! Upload jobs: one row per upload, listed per owner or for everyone, oldest first.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::records::UploadJobRecord;
use crate::store::{Store, conflict_or};

fn job_from_row(row: &AnyRow) -> Result<UploadJobRecord> {
    Ok(UploadJobRecord {
        id: row.try_get("id")?,
        owner: row.try_get("owner")?,
        username: row.try_get("username")?,
        bucket: row.try_get("bucket")?,
        obj_key: row.try_get("obj_key")?,
        file_key: row.try_get("file_key")?,
        file_name: row.try_get("file_name")?,
        status: row.try_get("status")?,
        route: row.try_get("route")?,
        size: row.try_get("size")?,
        etag: row.try_get("etag")?,
        content_type: row.try_get("content_type")?,
        expires_at: row.try_get("expires_at")?,
        uploaded_on: row.try_get("uploaded_on")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Where a listing resumes: after the job created at `created_at` with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCursor {
    pub created_at: i64,
    pub id: String,
}

impl Store {
    pub async fn insert_upload_job(&self, job: &UploadJobRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO upload_jobs (id, owner, username, bucket, obj_key, file_key, file_name, status, route, size, \
             etag, content_type, expires_at, uploaded_on, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&job.id)
        .bind(&job.owner)
        .bind(&job.username)
        .bind(&job.bucket)
        .bind(&job.obj_key)
        .bind(&job.file_key)
        .bind(&job.file_name)
        .bind(&job.status)
        .bind(&job.route)
        .bind(job.size)
        .bind(&job.etag)
        .bind(&job.content_type)
        .bind(job.expires_at)
        .bind(&job.uploaded_on)
        .bind(job.created_at)
        .bind(job.updated_at)
        .execute(self.pool())
        .await
        .map_err(conflict_or)?;
        Ok(())
    }

    /// Replaces everything but the id, owner and creation time; false when there is no such job.
    pub async fn update_upload_job(&self, job: &UploadJobRecord) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE upload_jobs SET username = $2, file_key = $3, file_name = $4, status = $5, route = $6, size = $7, \
             etag = $8, content_type = $9, expires_at = $10, uploaded_on = $11, updated_at = $12 WHERE id = $1",
        )
        .bind(&job.id)
        .bind(&job.username)
        .bind(&job.file_key)
        .bind(&job.file_name)
        .bind(&job.status)
        .bind(&job.route)
        .bind(job.size)
        .bind(&job.etag)
        .bind(&job.content_type)
        .bind(job.expires_at)
        .bind(&job.uploaded_on)
        .bind(job.updated_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn upload_job(&self, id: &str) -> Result<Option<UploadJobRecord>> {
        let row = sqlx::query("SELECT * FROM upload_jobs WHERE id = $1").bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// The newest job for an object, if any.
    pub async fn latest_upload_job(&self, bucket: &str, obj_key: &str) -> Result<Option<UploadJobRecord>> {
        let row = sqlx::query(
            "SELECT * FROM upload_jobs WHERE bucket = $1 AND obj_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(bucket)
        .bind(obj_key)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Jobs oldest first, of one owner or (`None`) of everyone, after `after`.
    pub async fn upload_jobs(
        &self,
        owner: Option<&str>,
        after: Option<&JobCursor>,
        limit: i64,
    ) -> Result<Vec<UploadJobRecord>> {
        let (created_at, id) = after.map_or((i64::MIN, ""), |cursor| (cursor.created_at, cursor.id.as_str()));
        let rows = match owner {
            Some(owner) => {
                sqlx::query(
                    "SELECT * FROM upload_jobs WHERE owner = $1 AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
                     ORDER BY created_at, id LIMIT $4",
                )
                .bind(owner)
                .bind(created_at)
                .bind(id)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
            None => {
                sqlx::query(
                    "SELECT * FROM upload_jobs WHERE created_at > $1 OR (created_at = $1 AND id > $2) \
                     ORDER BY created_at, id LIMIT $3",
                )
                .bind(created_at)
                .bind(id)
                .bind(limit)
                .fetch_all(self.pool())
                .await?
            }
        };
        rows.iter().map(job_from_row).collect()
    }
}
