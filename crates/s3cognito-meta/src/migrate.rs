//! Schema migrations, embedded in the binary and applied in order at start.
//!
//! Each migration has a text per engine; most are the same SQL, and a per-engine text is written only
//! where the dialects differ. Applied versions are recorded in `schema_migrations`.

use sqlx::{AnyConnection, Connection, Executor, Row};

use crate::Result;
use crate::store::Engine;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "user pools",
        sqlite: include_str!("migrations/0001_user_pools.sql"),
        postgres: include_str!("migrations/0001_user_pools.sql"),
    },
    Migration {
        version: 2,
        name: "srp verifiers",
        sqlite: include_str!("migrations/0002_srp_verifiers.sql"),
        postgres: include_str!("migrations/0002_srp_verifiers.sql"),
    },
    Migration {
        version: 3,
        name: "objects",
        // SQLite compares text bytewise already; PostgreSQL needs the "C" collation for that.
        sqlite: include_str!("migrations/0003_objects_sqlite.sql"),
        postgres: include_str!("migrations/0003_objects_postgres.sql"),
    },
    Migration {
        version: 4,
        name: "user email",
        sqlite: include_str!("migrations/0004_user_email.sql"),
        postgres: include_str!("migrations/0004_user_email.sql"),
    },
    Migration {
        version: 5,
        name: "identity",
        sqlite: include_str!("migrations/0005_identity.sql"),
        postgres: include_str!("migrations/0005_identity.sql"),
    },
    Migration {
        version: 6,
        name: "pending blobs",
        sqlite: include_str!("migrations/0006_pending_blobs.sql"),
        postgres: include_str!("migrations/0006_pending_blobs.sql"),
    },
    Migration {
        version: 7,
        name: "rate limits",
        sqlite: include_str!("migrations/0007_rate_limits.sql"),
        postgres: include_str!("migrations/0007_rate_limits.sql"),
    },
    Migration {
        version: 8,
        name: "upload jobs",
        sqlite: include_str!("migrations/0008_upload_jobs.sql"),
        postgres: include_str!("migrations/0008_upload_jobs.sql"),
    },
    Migration {
        version: 9,
        name: "kms",
        sqlite: include_str!("migrations/0009_kms.sql"),
        postgres: include_str!("migrations/0009_kms.sql"),
    },
    Migration {
        version: 10,
        name: "encrypted parts",
        sqlite: include_str!("migrations/0010_part_keys.sql"),
        postgres: include_str!("migrations/0010_part_keys.sql"),
    },
    Migration {
        version: 11,
        name: "upload encryption",
        sqlite: include_str!("migrations/0011_upload_encryption.sql"),
        postgres: include_str!("migrations/0011_upload_encryption.sql"),
    },
    Migration {
        version: 12,
        name: "bucket encryption",
        sqlite: include_str!("migrations/0012_bucket_encryption.sql"),
        postgres: include_str!("migrations/0012_bucket_encryption.sql"),
    },
    Migration {
        version: 13,
        name: "audit log",
        sqlite: include_str!("migrations/0013_audit.sql"),
        postgres: include_str!("migrations/0013_audit.sql"),
    },
    Migration {
        version: 14,
        name: "user mfa",
        sqlite: include_str!("migrations/0014_user_mfa.sql"),
        postgres: include_str!("migrations/0014_user_mfa.sql"),
    },
    Migration {
        version: 15,
        name: "iam users and managed policies",
        sqlite: include_str!("migrations/0015_iam_users_policies.sql"),
        postgres: include_str!("migrations/0015_iam_users_policies.sql"),
    },
    Migration {
        version: 16,
        name: "bucket settings, object tags, completed uploads",
        sqlite: include_str!("migrations/0016_bucket_settings.sql"),
        postgres: include_str!("migrations/0016_bucket_settings.sql"),
    },
    Migration {
        version: 17,
        name: "versioning",
        // PostgreSQL numbers versions with an identity column and sorts keys with the "C" collation.
        sqlite: include_str!("migrations/0017_versioning_sqlite.sql"),
        postgres: include_str!("migrations/0017_versioning_postgres.sql"),
    },
];

/// A number every replica agrees on, so that two replicas starting together migrate one at a time.
const POSTGRES_MIGRATION_LOCK: i64 = 0x5333_c061;

pub(crate) async fn run(connection: &mut AnyConnection, engine: Engine) -> Result<()> {
    if engine == Engine::Postgres {
        connection
            .execute(sqlx::query("SELECT pg_advisory_lock($1)").bind(POSTGRES_MIGRATION_LOCK))
            .await?;
    }
    let result = apply_pending(connection, engine).await;
    if engine == Engine::Postgres {
        connection
            .execute(sqlx::query("SELECT pg_advisory_unlock($1)").bind(POSTGRES_MIGRATION_LOCK))
            .await?;
    }
    result
}

async fn apply_pending(connection: &mut AnyConnection, engine: Engine) -> Result<()> {
    connection
        .execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        )
        .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *connection)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let sql = match engine {
            Engine::Sqlite => migration.sqlite,
            Engine::Postgres => migration.postgres,
        };
        let mut transaction = connection.begin().await?;
        transaction.execute(sql).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        tracing::info!(version = migration.version, name = migration.name, "applied migration");
    }
    Ok(())
}
