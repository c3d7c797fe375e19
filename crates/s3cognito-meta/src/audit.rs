//! The audit log (written in batches, listed newest first through filters, removed past its retention) and
//! the figures monitoring reads: what is stored, uploads and events over time, storage per user.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::Result;
use crate::store::{Engine, Store};

/// One audit event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEventRecord {
    /// A time-ordered UUID.
    pub id: String,
    pub at: i64,
    pub event: String,
    pub service: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub error_code: Option<String>,
    pub principal: String,
    pub identity: Option<String>,
    pub source: Option<String>,
    pub resource: Option<String>,
    pub via: String,
    pub request_id: String,
}

/// Which events a listing wants, newest first. Every field narrows it; `before` resumes a listing after
/// the last event of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// A principal as stored, or the last segment of one (`carol` for `us-east-1_Ab/carol`), or an identity id.
    pub principal: Option<String>,
    pub event: Option<String>,
    pub outcome: Option<String>,
    pub before: Option<AuditCursor>,
    pub limit: i64,
}

/// Where a newest-first listing goes on: before the event at `at` with id `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: i64,
    pub id: String,
}

/// How many events of one kind and outcome fell in one interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCount {
    /// The interval's start, a multiple of its length in epoch seconds.
    pub start: i64,
    pub event: String,
    pub outcome: String,
    pub via: String,
    pub count: i64,
}

/// Uploads completed in one interval, and their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadCount {
    pub start: i64,
    pub uploads: i64,
    pub bytes: i64,
}

/// What one prefix of a bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixUsage {
    pub prefix: String,
    pub objects: i64,
    pub bytes: i64,
}

/// Totals of what the bucket half holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoredTotals {
    pub objects: i64,
    pub bytes: i64,
    pub multipart_uploads: i64,
}

fn event_from_row(row: &AnyRow) -> Result<AuditEventRecord> {
    Ok(AuditEventRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        event: row.try_get("event")?,
        service: row.try_get("service")?,
        outcome: row.try_get("outcome")?,
        error_code: row.try_get("error_code")?,
        principal: row.try_get("principal")?,
        identity: row.try_get("identity")?,
        source: row.try_get("source")?,
        resource: row.try_get("resource")?,
        via: row.try_get("via")?,
        request_id: row.try_get("request_id")?,
    })
}

/// `text` made literal inside a LIKE pattern escaped with `\`.
fn like_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// A parameter of a query built from the filters given.
enum Parameter {
    Integer(i64),
    Text(String),
}

/// The parameters of a query being built, numbered as they are added.
#[derive(Default)]
struct Parameters(Vec<Parameter>);

impl Parameters {
    /// Adds `parameter`; returns its placeholder.
    fn add(&mut self, parameter: Parameter) -> String {
        self.0.push(parameter);
        format!("${}", self.0.len())
    }
}

impl Store {
    /// Writes a batch of events in one transaction: all of them or none. Rows go in statements of many
    /// rows each, which costs the database far less than a statement a row.
    pub async fn insert_audit_events(&self, events: &[AuditEventRecord]) -> Result<()> {
        const COLUMNS: usize = 12;
        const ROWS_PER_STATEMENT: usize = 64;
        let mut transaction = self.pool().begin().await?;
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            // SQLite looks each numbered parameter up by scanning the names before it (quadratic in a statement
            // of hundreds); plain `?` are bound by position.
            let rows: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let placeholders: Vec<String> = (1..=COLUMNS)
                        .map(|column| match self.engine() {
                            Engine::Sqlite => "?".to_owned(),
                            Engine::Postgres => format!("${}", row * COLUMNS + column),
                        })
                        .collect();
                    format!("({})", placeholders.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO audit_events (id, at, event, service, outcome, error_code, principal, identity, source, \
                 resource, via, request_id) VALUES {} ON CONFLICT (id) DO NOTHING",
                rows.join(", ")
            );
            // Only placeholders are spliced in; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for event in chunk {
                query = query
                    .bind(event.id.clone())
                    .bind(event.at)
                    .bind(event.event.clone())
                    .bind(event.service.clone())
                    .bind(event.outcome.clone())
                    .bind(event.error_code.clone())
                    .bind(event.principal.clone())
                    .bind(event.identity.clone())
                    .bind(event.source.clone())
                    .bind(event.resource.clone())
                    .bind(event.via.clone())
                    .bind(event.request_id.clone());
            }
            query.execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Events that pass `filter`, newest first, at most `filter.limit`.
    pub async fn audit_events(&self, filter: &AuditFilter) -> Result<Vec<AuditEventRecord>> {
        let mut parameters = Parameters::default();
        let mut conditions = Vec::new();
        if let Some(since) = filter.since {
            conditions.push(format!("at >= {}", parameters.add(Parameter::Integer(since))));
        }
        if let Some(until) = filter.until {
            conditions.push(format!("at < {}", parameters.add(Parameter::Integer(until))));
        }
        if let Some(principal) = &filter.principal {
            let exact = parameters.add(Parameter::Text(principal.clone()));
            let suffix = parameters.add(Parameter::Text(format!("%/{}", like_literal(principal))));
            conditions.push(format!("(principal = {exact} OR identity = {exact} OR principal LIKE {suffix} ESCAPE '\\')"));
        }
        if let Some(event) = &filter.event {
            conditions.push(format!("event = {}", parameters.add(Parameter::Text(event.clone()))));
        }
        if let Some(outcome) = &filter.outcome {
            conditions.push(format!("outcome = {}", parameters.add(Parameter::Text(outcome.clone()))));
        }
        if let Some(cursor) = &filter.before {
            let at = parameters.add(Parameter::Integer(cursor.at));
            let id = parameters.add(Parameter::Text(cursor.id.clone()));
            conditions.push(format!("(at < {at} OR (at = {at} AND id < {id}))"));
        }
        let limit = parameters.add(Parameter::Integer(filter.limit.max(0)));
        let conditions = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!("SELECT * FROM audit_events {conditions} ORDER BY at DESC, id DESC LIMIT {limit}");
        // Only placeholders and fixed text are spliced in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for parameter in parameters.0 {
            query = match parameter {
                Parameter::Integer(value) => query.bind(value),
                Parameter::Text(value) => query.bind(value),
            };
        }
        query.fetch_all(self.pool()).await?.iter().map(event_from_row).collect()
    }

    /// Removes events older than `at`; returns how many went.
    pub async fn delete_audit_events_before(&self, at: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_events WHERE at < $1").bind(at).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// Events since `since`, counted per `interval` seconds, event, outcome and means of proof.
    pub async fn audit_event_counts(&self, since: i64, interval: i64) -> Result<Vec<EventCount>> {
        let rows = sqlx::query(
            "SELECT (at / $1) * $1 AS start, event, outcome, via, COUNT(*) AS count FROM audit_events \
             WHERE at >= $2 GROUP BY 1, 2, 3, 4 ORDER BY 1",
        )
        .bind(interval.max(1))
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(EventCount {
                    start: row.try_get("start")?,
                    event: row.try_get("event")?,
                    outcome: row.try_get("outcome")?,
                    via: row.try_get("via")?,
                    count: row.try_get("count")?,
                })
            })
            .collect()
    }

    /// Uploads finished since `since` (jobs whose bytes landed, by any route), per `interval` seconds.
    pub async fn upload_counts(&self, since: i64, interval: i64) -> Result<Vec<UploadCount>> {
        let rows = sqlx::query(
            "SELECT (updated_at / $1) * $1 AS start, COUNT(*) AS uploads, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes \
             FROM upload_jobs WHERE updated_at >= $2 AND status = 'Done' GROUP BY 1 ORDER BY 1",
        )
        .bind(interval.max(1))
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok(UploadCount { start: row.try_get("start")?, uploads: row.try_get("uploads")?, bytes: row.try_get("bytes")? }))
            .collect()
    }

    /// The `limit` largest prefixes of `prefix_length` characters among keys of `bucket` starting with
    /// `under`, by bytes stored. (Identity ids have one length per deployment, so `private/<identityId>/`
    /// is one prefix length: no per-engine string splitting is needed.)
    pub async fn largest_prefixes(&self, bucket: &str, under: &str, prefix_length: i64, limit: i64) -> Result<Vec<PrefixUsage>> {
        let rows = sqlx::query(
            "SELECT substr(object_key, 1, CAST($1 AS INTEGER)) AS prefix, COUNT(*) AS objects, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes \
             FROM objects WHERE bucket = $2 AND object_key >= $3 AND object_key < $4 \
             GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT $5",
        )
        .bind(prefix_length)
        .bind(bucket)
        .bind(under)
        .bind(crate::prefix_successor(under))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok(PrefixUsage { prefix: row.try_get("prefix")?, objects: row.try_get("objects")?, bytes: row.try_get("bytes")? }))
            .collect()
    }

    /// Objects, their bytes and multipart uploads in progress, over every bucket.
    pub async fn stored_totals(&self) -> Result<StoredTotals> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM objects) AS objects, (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM objects) AS bytes, \
             (SELECT COUNT(*) FROM multipart_uploads) AS uploads",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(StoredTotals { objects: row.try_get("objects")?, bytes: row.try_get("bytes")?, multipart_uploads: row.try_get("uploads")? })
    }

    /// How many KMS keys are in each state.
    pub async fn kms_key_states(&self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS count FROM kms_keys GROUP BY state ORDER BY state")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|row| Ok((row.try_get("state")?, row.try_get("count")?))).collect()
    }

    /// How many users a pool has.
    pub async fn pool_user_count(&self, pool_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS count FROM users WHERE pool_id = $1").bind(pool_id).fetch_one(self.pool()).await?;
        Ok(row.try_get("count")?)
    }

    /// The user pool user behind an identity id, as its latest upload job names them.
    pub async fn owner_username(&self, owner: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT username FROM upload_jobs WHERE owner = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(owner)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("username")).transpose()?)
    }

    /// A round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(self.pool()).await?;
        Ok(())
    }
}
