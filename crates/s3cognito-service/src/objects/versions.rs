//! Versioning: a bucket's state, reading and deleting versions by id, and listing every version.
//!
//! `objects` holds each key's current version, so reads and writes of buckets that never versioned work as
//! before; noncurrent versions and delete markers live beside it and are written in the same transactions
//! (`s3cognito_meta::Store::put_object_when`, `delete_object`, `delete_version`).

use s3cognito_meta::{VersionRecord, prefix_successor};
use s3cognito_types::{BucketName, ObjectKey};

use super::list::{BATCH, common_prefix, past_common_prefix};
use super::{Conditions, ObjectError, ObjectInfo, Objects, Result, Tagged, Tags, blobs_of};

/// The version id S3 gives objects written while a bucket is not versioning.
pub const NULL_VERSION: &str = "null";

/// A new version's id: 32 hex digits, never derived from anything a client sent.
pub fn new_version_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The version a request names: `None` for `null`, the id otherwise; `InvalidArgument` for an id this server
/// never gives.
pub fn parse_version_id(text: &str) -> Result<Option<String>> {
    if text == NULL_VERSION {
        return Ok(None);
    }
    if text.len() == 32 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Ok(Some(text.to_owned()));
    }
    Err(ObjectError::InvalidArgument("Invalid version id specified".to_owned()))
}

/// A version id as S3 states it: the null version is `null`.
pub fn stated(version_id: Option<&str>) -> String {
    version_id.unwrap_or(NULL_VERSION).to_owned()
}

/// A bucket's versioning, as GetBucketVersioning answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Enabled,
    Suspended,
}

impl Versioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
    }

    pub(super) fn from_column(column: Option<&str>) -> Option<Versioning> {
        match column {
            Some("Enabled") => Some(Versioning::Enabled),
            Some("Suspended") => Some(Versioning::Suspended),
            _ => None,
        }
    }
}

/// One version of a key, as a listing or a read by version shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// For a delete marker, only its key, version, owner and time are meaningful.
    pub object: ObjectInfo,
    pub delete_marker: bool,
    pub is_latest: bool,
}

impl VersionInfo {
    fn from_record(record: &VersionRecord) -> Result<VersionInfo> {
        Ok(VersionInfo { object: ObjectInfo::from_record(&record.object)?, delete_marker: record.delete_marker, is_latest: record.is_latest })
    }
}

/// What a DELETE did, as its answer states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    /// A delete marker was made (a DELETE of a key in a versioning bucket) or deleted (a DELETE of a marker's
    /// version).
    pub delete_marker: bool,
    /// The version made or deleted; `None` when the answer names none (a bucket that never versioned).
    pub version_id: Option<String>,
}

/// One page of ListObjectVersions.
#[derive(Debug, Clone, Default)]
pub struct VersionsPage {
    pub versions: Vec<VersionInfo>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

impl Objects {
    /// The bucket's versioning; `None` when it was never set.
    pub async fn bucket_versioning(&self, bucket: &BucketName) -> Result<Option<Versioning>> {
        Ok(self.bucket(bucket).await?.versioning)
    }

    /// Enables or suspends versioning. A bucket that has versioned never returns to unversioned.
    pub async fn put_bucket_versioning(&self, bucket: &BucketName, state: Versioning) -> Result<()> {
        if self.store.set_bucket_versioning(bucket, state.as_str()).await? { Ok(()) } else { Err(ObjectError::NoSuchBucket) }
    }

    /// The version `version_id` (`None`: the null version) of the key, if the preconditions hold; a delete
    /// marker is `DeleteMarker`, which S3 answers with 405.
    pub async fn object_version(&self, bucket: &BucketName, key: &ObjectKey, version_id: Option<&str>, conditions: &Conditions) -> Result<ObjectInfo> {
        let Some(record) = self.store.version(bucket, key, version_id).await? else {
            self.bucket(bucket).await?;
            return Err(ObjectError::NoSuchVersion);
        };
        if record.delete_marker {
            return Err(ObjectError::DeleteMarker { version_id: record.object.version_id, modified_at: record.object.modified_at, named: true });
        }
        let info = ObjectInfo::from_record(&record.object)?;
        conditions.check(&info)?;
        Ok(info)
    }

    /// Deletes the version `version_id` (`None`: the null version) of the key for good; deleting one that
    /// does not exist succeeds, as in S3.
    pub async fn delete_version(&self, bucket: &BucketName, key: &ObjectKey, version_id: Option<&str>) -> Result<Removal> {
        let deleted = self.store.delete_version(bucket, key, version_id, blobs_of, self.now()).await?;
        if deleted.is_none() {
            self.bucket(bucket).await?;
        }
        Ok(Removal { delete_marker: deleted.is_some_and(|version| version.delete_marker), version_id: Some(stated(version_id)) })
    }

    /// The tags of the version `version_id` of the key.
    pub async fn version_tags(&self, bucket: &BucketName, key: &ObjectKey, version_id: Option<&str>) -> Result<Tags> {
        Ok(self.object_version(bucket, key, version_id, &Conditions::default()).await?.attributes.tags)
    }

    /// Replaces the tags of the version `version_id` of the key with `pairs` (none removes them).
    pub async fn put_version_tags(&self, bucket: &BucketName, key: &ObjectKey, version_id: Option<&str>, pairs: Vec<(String, String)>) -> Result<()> {
        let tags = Tags::new(pairs, Tagged::Object)?;
        if self.store.set_version_tags(bucket, key, version_id, tags.to_column()?.as_deref()).await? {
            return Ok(());
        }
        // A delete marker has no tags to set; S3 answers as for a version that is not there.
        self.object_version(bucket, key, version_id, &Conditions::default()).await?;
        Err(ObjectError::NoSuchVersion)
    }

    /// Every version of the keys starting with `prefix`, by key and newest first within a key, after the
    /// markers, at most `max_keys` entries (versions, delete markers and common prefixes together), keys that
    /// contain `delimiter` past the prefix rolled up.
    pub async fn list_versions(
        &self,
        bucket: &BucketName,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        version_id_marker: Option<&str>,
        max_keys: usize,
    ) -> Result<VersionsPage> {
        self.bucket(bucket).await?;
        let mut page = VersionsPage::default();
        let key_marker = key_marker.unwrap_or_default();
        let version_id_marker = version_id_marker.filter(|marker| !marker.is_empty());
        // Where the listing resumes: after the marker's version of the marker's key, or after the whole key.
        let mut after_key = key_marker.to_owned();
        let mut after_position = i64::MIN;
        let mut from = past_common_prefix(key_marker, prefix, delimiter).unwrap_or_default();
        if let Some(marker) = version_id_marker {
            if key_marker.is_empty() {
                return Err(ObjectError::InvalidArgument("A version-id marker cannot be specified without a key marker.".to_owned()));
            }
            let version_id = parse_version_id(marker)?;
            match self.store.version(bucket, key_marker, version_id.as_deref()).await? {
                Some(found) => after_position = found.position,
                // The marker's version is gone (a client deleting each page before asking for the next):
                // the key's remaining versions all come next.
                None => {
                    after_key = String::new();
                    from = key_marker.to_owned();
                }
            }
        }
        if max_keys == 0 {
            return Ok(page);
        }
        loop {
            let batch = self.store.list_versions(bucket, prefix, &after_key, after_position, &from, BATCH).await?;
            let exhausted = (batch.len() as i64) < BATCH;
            let mut skipped_to = None;
            for record in &batch {
                let rolled_up = common_prefix(&record.object.key, prefix, delimiter);
                if page.versions.len() + page.common_prefixes.len() == max_keys {
                    page.truncated = true;
                    return Ok(page);
                }
                match rolled_up {
                    Some(common) => {
                        page.next_key_marker = Some(common.clone());
                        page.next_version_id_marker = None;
                        page.common_prefixes.push(common.clone());
                        match prefix_successor(&common) {
                            Some(next) => {
                                skipped_to = Some(next);
                                break;
                            }
                            None => return Ok(page),
                        }
                    }
                    None => {
                        page.next_key_marker = Some(record.object.key.clone());
                        page.next_version_id_marker = Some(stated(record.object.version_id.as_deref()));
                        page.versions.push(VersionInfo::from_record(record)?);
                    }
                }
            }
            match skipped_to {
                Some(next) => {
                    from = next;
                    after_position = i64::MIN;
                }
                None if exhausted => return Ok(page),
                None => {
                    let last = batch.last().expect("a full batch");
                    after_key = last.object.key.clone();
                    after_position = last.position;
                }
            }
        }
    }
}
