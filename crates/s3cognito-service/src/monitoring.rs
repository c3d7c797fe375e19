//! What operators look at: whether this server can serve (readiness: the database, the blob store and the
//! key material), what is stored (the gauges behind the metrics), and the figures the dashboard charts.

use std::sync::Arc;
use std::time::Duration;

use s3cognito_crypto::aead::SealingKey;
pub use s3cognito_meta::{EventCount, UploadCount};
use s3cognito_meta::{AuditFilter, Store};
use tokio::sync::Mutex;

use crate::Result;
use crate::clock::Clock;
use crate::uploads::Uploads;

/// How long each readiness check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// The stored totals are counted at most this often, however many scrapers ask.
const GAUGE_INTERVAL: Duration = Duration::from_secs(1);
/// The settings row holding a value sealed with the master key at bootstrap.
const MASTER_KEY_CHECK: &str = "master_key_check";
const MASTER_KEY_CHECK_TEXT: &[u8] = b"s3cognito master key";

/// One readiness check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Ok,
    /// Failed; the reason is for the log, not for the answer.
    Failed(String),
}

impl Check {
    pub fn is_ok(&self) -> bool {
        matches!(self, Check::Ok)
    }
}

/// Whether each part this server needs is usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Check,
    pub blob_store: Check,
    /// The master key opens what it sealed (a replica given another deployment's key cannot).
    pub keys: Check,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.is_ok() && self.blob_store.is_ok() && self.keys.is_ok()
    }
}

/// The bootstrap user pool at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolHealth {
    pub id: String,
    pub exists: bool,
    pub users: i64,
}

/// The bootstrap bucket and what every bucket holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketHealth {
    pub name: String,
    pub exists: bool,
    pub objects: i64,
    pub bytes: i64,
    pub multipart_uploads: i64,
}

/// What one user stores under `private/<identityId>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserUsage {
    pub identity_id: String,
    pub username: Option<String>,
    pub objects: i64,
    pub bytes: i64,
}

/// Everything the dashboard shows, over a window ending now.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub now: i64,
    pub since: i64,
    /// The length of each interval of the series, in seconds.
    pub interval: i64,
    pub readiness: Readiness,
    pub pool: PoolHealth,
    pub bucket: BucketHealth,
    /// KMS keys per state.
    pub key_states: Vec<(String, i64)>,
    /// The default key's state, if it exists.
    pub default_key_state: Option<crate::kms::KeyState>,
    pub uploads: Vec<UploadCount>,
    pub events: Vec<EventCount>,
    pub storage: Vec<UserUsage>,
    pub recent: Vec<crate::audit::RecordedEvent>,
}

/// Readiness and the figures of monitoring. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Monitoring {
    store: Store,
    blobs: s3cognito_blob::BlobStore,
    clock: Arc<dyn Clock>,
    sealing_key: Arc<SealingKey>,
    uploads: Uploads,
    kms: crate::kms::Kms,
    region: String,
    /// The sealed check value, once read: it never changes, and the keys check then needs no database.
    master_key_check: Arc<std::sync::OnceLock<Vec<u8>>>,
    gauges_counted: Arc<Mutex<Option<std::time::Instant>>>,
}

impl Monitoring {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        blobs: s3cognito_blob::BlobStore,
        clock: Arc<dyn Clock>,
        sealing_key: Arc<SealingKey>,
        uploads: Uploads,
        kms: crate::kms::Kms,
        region: String,
    ) -> Monitoring {
        Monitoring {
            store,
            blobs,
            clock,
            sealing_key,
            uploads,
            kms,
            region,
            master_key_check: Arc::default(),
            gauges_counted: Arc::default(),
        }
    }

    /// Seals the check value with the master key, once per deployment (bootstrap): replicas then prove
    /// they hold the same key by opening it.
    pub async fn seal_master_key_check(&self) -> Result<()> {
        let sealed = hex::encode(self.sealing_key.seal(MASTER_KEY_CHECK_TEXT, MASTER_KEY_CHECK.as_bytes()));
        self.store.setting_or_insert(MASTER_KEY_CHECK, &sealed).await?;
        Ok(())
    }

    /// Checks the database, the blob store and the key material at once, each within a bound.
    pub async fn readiness(&self) -> Readiness {
        let (database, blob_store, keys) = tokio::join!(
            bounded(async { self.store.ping().await.map_err(|error| error.to_string()) }),
            bounded(async { self.blobs.check().await.map_err(|error| error.to_string()) }),
            bounded(self.check_keys()),
        );
        let readiness = Readiness { database, blob_store, keys };
        for (component, check) in [("database", &readiness.database), ("blob_store", &readiness.blob_store), ("keys", &readiness.keys)] {
            metrics::gauge!("s3cognito_component_up", "component" => component).set(if check.is_ok() { 1.0 } else { 0.0 });
        }
        readiness
    }

    async fn check_keys(&self) -> std::result::Result<(), String> {
        let sealed = match self.master_key_check.get() {
            Some(sealed) => sealed.clone(),
            None => {
                let Some(text) = self.store.setting(MASTER_KEY_CHECK).await.map_err(|error| error.to_string())? else {
                    return Err("the deployment is not bootstrapped yet".to_owned());
                };
                let sealed = hex::decode(text).map_err(|_| "the sealed check value is not hex".to_owned())?;
                self.master_key_check.get_or_init(|| sealed).clone()
            }
        };
        self.sealing_key
            .open(&sealed, MASTER_KEY_CHECK.as_bytes())
            .map(|_| ())
            .map_err(|_| "the master key does not open what the deployment sealed: another deployment's key?".to_owned())
    }

    /// Sets the gauges of what is stored (objects, bytes, multipart uploads, KMS keys per state), counted
    /// at most every `GAUGE_INTERVAL` however often they are asked for.
    pub async fn count_stored(&self) -> Result<()> {
        let mut counted = self.gauges_counted.lock().await;
        if counted.is_some_and(|at| at.elapsed() < GAUGE_INTERVAL) {
            return Ok(());
        }
        let totals = self.store.stored_totals().await?;
        metrics::gauge!("s3cognito_objects").set(totals.objects as f64);
        metrics::gauge!("s3cognito_stored_bytes").set(totals.bytes as f64);
        metrics::gauge!("s3cognito_multipart_uploads_in_progress").set(totals.multipart_uploads as f64);
        let states = self.store.kms_key_states().await?;
        for state in crate::kms::KeyState::ALL {
            let count = states.iter().find(|(name, _)| name == state.as_str()).map_or(0, |(_, count)| *count);
            metrics::gauge!("s3cognito_kms_keys", "state" => state.as_str()).set(count as f64);
        }
        *counted = Some(std::time::Instant::now());
        Ok(())
    }

    /// The dashboard's figures over the last `window` seconds, in `intervals` intervals.
    pub async fn overview(&self, window: i64, intervals: i64, top: i64) -> Result<Overview> {
        let now = self.clock.now();
        let interval = (window / intervals.max(1)).max(60);
        let since = now - window;
        let namespace = self.uploads.namespace().await.map_err(|error| match error {
            crate::uploads::UploadError::Service(error) => error,
            other => crate::ServiceError::Internal(other.to_string()),
        })?;
        let pool_id = namespace.user_pool_id.as_str();
        let bucket = namespace.bucket.as_str();
        let readiness = self.readiness().await;
        let pool = PoolHealth {
            id: pool_id.to_owned(),
            exists: self.store.user_pool(pool_id).await?.is_some(),
            users: self.store.pool_user_count(pool_id).await?,
        };
        let totals = self.store.stored_totals().await?;
        let bucket_health = BucketHealth {
            name: bucket.to_owned(),
            exists: self.store.bucket(bucket).await?.is_some(),
            objects: totals.objects,
            bytes: totals.bytes,
            multipart_uploads: totals.multipart_uploads,
        };
        // `private/` + `<region>:<uuid>` + `/`: one length for every identity of this deployment.
        let prefix_length = i64::try_from("private/".len() + self.region.len() + 1 + 36 + 1).unwrap_or(i64::MAX);
        let mut storage = Vec::new();
        for usage in self.store.largest_prefixes(bucket, "private/", prefix_length, top).await? {
            let identity_id = usage.prefix.trim_start_matches("private/").trim_end_matches('/').to_owned();
            let username = self.store.owner_username(&identity_id).await?;
            storage.push(UserUsage { identity_id, username, objects: usage.objects, bytes: usage.bytes });
        }
        let default_key_state = self.kms.resolve(crate::kms::DEFAULT_ALIAS).await.ok().map(|key| key.state());
        Ok(Overview {
            now,
            since,
            interval,
            readiness,
            pool,
            bucket: bucket_health,
            key_states: self.store.kms_key_states().await?,
            default_key_state,
            uploads: self.store.upload_counts(since, interval).await?,
            events: self.store.audit_event_counts(since, interval).await?,
            storage,
            recent: self
                .store
                .audit_events(&AuditFilter { limit: 50, ..AuditFilter::default() })
                .await?
                .into_iter()
                .map(crate::audit::RecordedEvent::from)
                .collect(),
        })
    }
}

/// `check` within `CHECK_TIMEOUT`.
async fn bounded(check: impl std::future::Future<Output = std::result::Result<(), String>>) -> Check {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => Check::Ok,
        Ok(Err(reason)) => Check::Failed(reason),
        Err(_) => Check::Failed(format!("no answer within {} seconds", CHECK_TIMEOUT.as_secs())),
    }
}
