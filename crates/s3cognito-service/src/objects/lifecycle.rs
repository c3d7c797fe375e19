//! Lifecycle rules: a bucket's objects expire by age or on a date, chosen by prefix, tags and size, and
//! multipart uploads left unfinished are aborted after some days. One replica applies every bucket's rules
//! at a time (a lease in the database), as housekeeping, and S3's timing is kept: an object expires at the
//! first midnight UTC after its age passes the rule's days.

use std::sync::Arc;

use s3cognito_types::BucketName;
use serde::{Deserialize, Serialize};

use super::{ObjectError, ObjectInfo, Objects, Result, Tags};

const LIFECYCLE: &str = "lifecycle";
const LEASE: &str = "lifecycle";
/// How long a replica holds the right to apply the rules: they run about once an hour.
pub const LIFECYCLE_LEASE_SECONDS: i64 = 3600;
/// S3's most rules in one configuration.
pub const MAX_RULES: usize = 1000;
const DAY: i64 = 86_400;

/// When a rule's matching objects expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiration {
    /// This many days after each object was written (at the next midnight UTC).
    Days(i32),
    /// On this date (a midnight UTC, in epoch seconds), every matching object.
    Date(i64),
}

/// Which objects a rule applies to: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFilter {
    pub prefix: String,
    pub tags: Vec<(String, String)>,
    pub size_greater_than: Option<i64>,
    pub size_less_than: Option<i64>,
}

/// One lifecycle rule, as PutBucketLifecycleConfiguration states it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    pub id: Option<String>,
    pub enabled: bool,
    pub filter: RuleFilter,
    /// The rule named its prefix alone, without a Filter (the older form), and is answered that way.
    #[serde(default)]
    pub prefix_only: bool,
    pub expiration: Option<Expiration>,
    /// Delete markers that are all their key has left (every version of it gone) are removed.
    #[serde(default)]
    pub expired_object_delete_marker: bool,
    /// Noncurrent versions expire this many days after they stop being current.
    pub noncurrent_days: Option<i32>,
    /// Multipart uploads started this many days ago are aborted.
    pub abort_incomplete_after_days: Option<i32>,
}

/// What one application of the rules did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifecycleRun {
    pub expired: usize,
    pub aborted: usize,
}

fn invalid(message: impl Into<String>) -> ObjectError {
    ObjectError::InvalidArgument(message.into())
}

impl RuleFilter {
    fn admits(&self, key: &str, size: i64, tags: &Tags) -> bool {
        key.starts_with(&self.prefix)
            && self.size_greater_than.is_none_or(|least| size > least)
            && self.size_less_than.is_none_or(|most| size < most)
            && self.tags.iter().all(|(name, value)| tags.get(name) == Some(value.as_str()))
    }
}

/// The first midnight UTC at or after `at`.
fn next_midnight(at: i64) -> i64 {
    at.div_euclid(DAY) * DAY + if at.rem_euclid(DAY) == 0 { 0 } else { DAY }
}

/// Checks a configuration as S3 does: 1 to 1,000 rules, ids unique and at most 255 characters, each rule
/// with an action, days positive, dates at midnight UTC, size bounds that leave room.
pub fn check_rules(rules: &[LifecycleRule]) -> Result<()> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(ObjectError::MalformedXml("A lifecycle configuration holds 1 to 1000 rules".to_owned()));
    }
    for (index, rule) in rules.iter().enumerate() {
        if let Some(id) = &rule.id {
            if id.chars().count() > 255 {
                return Err(invalid("ID length should not exceed allowed limit of 255"));
            }
            if rules[..index].iter().any(|earlier| earlier.id.as_deref() == Some(id.as_str())) {
                return Err(invalid("Rule ID must be unique. Found same ID for more than one rule"));
            }
        }
        if rule.expiration.is_none() && !rule.expired_object_delete_marker && rule.noncurrent_days.is_none() && rule.abort_incomplete_after_days.is_none() {
            return Err(invalid("At least one action needs to be specified in a rule"));
        }
        match rule.expiration {
            Some(Expiration::Days(days)) if days <= 0 => return Err(invalid("'Days' for Expiration action must be a positive integer")),
            Some(Expiration::Date(date)) if date.rem_euclid(DAY) != 0 => {
                return Err(invalid("'Date' must be at midnight GMT"));
            }
            _ => {}
        }
        if rule.noncurrent_days.is_some_and(|days| days <= 0) {
            return Err(invalid("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"));
        }
        if rule.abort_incomplete_after_days.is_some_and(|days| days <= 0) {
            return Err(invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"));
        }
        if !rule.filter.tags.is_empty() && rule.abort_incomplete_after_days.is_some() {
            return Err(invalid("AbortIncompleteMultipartUpload cannot be specified with Tags."));
        }
        if let (Some(least), Some(most)) = (rule.filter.size_greater_than, rule.filter.size_less_than)
            && least >= most
        {
            return Err(invalid("ObjectSizeGreaterThan must be less than ObjectSizeLessThan"));
        }
    }
    Ok(())
}

impl Objects {
    /// The bucket's lifecycle rules; `NoSuchLifecycleConfiguration` when it has none.
    pub async fn lifecycle(&self, bucket: &BucketName) -> Result<Vec<LifecycleRule>> {
        let document = match self.store.bucket_setting(bucket, LIFECYCLE).await? {
            Some(document) => document,
            None => {
                self.bucket(bucket).await?;
                return Err(ObjectError::NoSuchLifecycleConfiguration);
            }
        };
        Ok(serde_json::from_str(&document)?)
    }

    /// Replaces the bucket's lifecycle rules, checked first; a rule without an id gets one, as in S3.
    pub async fn put_lifecycle(&self, bucket: &BucketName, rules: &[LifecycleRule]) -> Result<()> {
        check_rules(rules)?;
        let named: Vec<LifecycleRule> = rules
            .iter()
            .map(|rule| LifecycleRule { id: Some(rule.id.clone().unwrap_or_else(|| s3cognito_crypto::random::random_alphanumeric(48))), ..rule.clone() })
            .collect();
        let document = serde_json::to_string(&named)?;
        self.lifecycles.forget(bucket.as_str());
        if self.store.set_bucket_setting(bucket, LIFECYCLE, Some(&document)).await? { Ok(()) } else { Err(ObjectError::NoSuchBucket) }
    }

    pub async fn delete_lifecycle(&self, bucket: &BucketName) -> Result<()> {
        self.lifecycles.forget(bucket.as_str());
        if self.store.set_bucket_setting(bucket, LIFECYCLE, None).await? { Ok(()) } else { Err(ObjectError::NoSuchBucket) }
    }

    /// When the bucket's rules will expire this (current) object, and by which rule: the earliest date of the
    /// enabled expiration rules that match its key, size and tags, as S3 answers it in `x-amz-expiration`.
    /// The rules are read through this replica's cache (`POLICY_TTL`), so reads stay one query.
    pub async fn expiry(&self, object: &ObjectInfo) -> Result<Option<(i64, String)>> {
        let rules = match self.lifecycles.fresh(&object.bucket) {
            Some(rules) => rules,
            None => {
                let rules = match self.store.bucket_setting(&object.bucket, LIFECYCLE).await? {
                    Some(document) => Some(Arc::new(serde_json::from_str::<Vec<LifecycleRule>>(&document)?)),
                    None => None,
                };
                self.lifecycles.keep(&object.bucket, rules.clone());
                rules
            }
        };
        let Some(rules) = rules else { return Ok(None) };
        let size = i64::try_from(object.size).unwrap_or(i64::MAX);
        Ok(rules
            .iter()
            .filter(|rule| rule.enabled && rule.filter.admits(&object.key, size, &object.attributes.tags))
            .filter_map(|rule| {
                let at = match rule.expiration? {
                    Expiration::Days(days) => next_midnight(object.modified_at + i64::from(days) * DAY),
                    Expiration::Date(date) => date,
                };
                Some((at, rule.id.clone().unwrap_or_default()))
            })
            .min_by_key(|(at, _)| *at))
    }

    /// Applies every bucket's lifecycle rules if this replica (`holder`) takes the lease, which then keeps the
    /// others from doing the same for `LIFECYCLE_LEASE_SECONDS`; `None` when another holds it.
    pub async fn run_lifecycle(&self, holder: &str) -> Result<Option<LifecycleRun>> {
        let now = self.now();
        if !self.store.take_lease(LEASE, holder, now, now + LIFECYCLE_LEASE_SECONDS).await? {
            return Ok(None);
        }
        Ok(Some(self.apply_lifecycle().await?))
    }

    /// Applies every bucket's enabled rules now: expires the objects they name and aborts the uploads.
    pub async fn apply_lifecycle(&self) -> Result<LifecycleRun> {
        let now = self.now();
        let mut run = LifecycleRun::default();
        for (bucket, document) in self.store.settings_of_kind(LIFECYCLE).await? {
            let rules: Vec<LifecycleRule> = match serde_json::from_str(&document) {
                Ok(rules) => rules,
                Err(error) => {
                    tracing::error!(bucket, %error, "stored lifecycle rules do not parse");
                    continue;
                }
            };
            for rule in rules.iter().filter(|rule| rule.enabled) {
                if let Some(expiration) = rule.expiration {
                    run.expired += self.expire(&bucket, &rule.filter, expiration, now).await?;
                }
                if rule.noncurrent_days.is_some() || rule.expired_object_delete_marker {
                    run.expired += self.expire_noncurrent(&bucket, rule, now).await?;
                }
                if let Some(days) = rule.abort_incomplete_after_days {
                    run.aborted += self.abort_older_uploads(&bucket, &rule.filter.prefix, now - i64::from(days) * DAY).await?;
                }
            }
        }
        Ok(run)
    }

    async fn expire(&self, bucket: &str, filter: &RuleFilter, expiration: Expiration, now: i64) -> Result<usize> {
        if let Expiration::Date(date) = expiration
            && now < date
        {
            return Ok(0);
        }
        let mut expired = 0;
        let mut after = String::new();
        loop {
            let batch = self.store.list_objects(bucket, &filter.prefix, &after, "", 1000).await?;
            let Some(last) = batch.last() else { return Ok(expired) };
            after = last.key.clone();
            for record in &batch {
                let due = match expiration {
                    Expiration::Days(days) => next_midnight(record.modified_at + i64::from(days) * DAY) <= now,
                    Expiration::Date(_) => true,
                };
                let tags = Tags::from_column(record.tags.as_deref())?;
                if due && filter.admits(&record.key, record.size, &tags) {
                    // Deleted only if it is still the object that was judged: a newer one is left alone.
                    // In a versioning bucket it becomes noncurrent behind a delete marker, as S3 expires it.
                    let marker = super::new_version_id();
                    if self.store.delete_object_if(bucket, &record.key, &record.etag, record.modified_at, &marker, super::blobs_of, now).await? {
                        expired += 1;
                    }
                }
            }
            if batch.len() < 1000 {
                return Ok(expired);
            }
        }
    }

    /// Deletes the noncurrent versions the rule's NoncurrentVersionExpiration makes due, and (with
    /// ExpiredObjectDeleteMarker) the delete markers that are all their key has left.
    async fn expire_noncurrent(&self, bucket: &str, rule: &LifecycleRule, now: i64) -> Result<usize> {
        let mut expired = 0;
        let mut after = i64::MIN;
        loop {
            let batch = self.store.noncurrent_versions(bucket, now + 1, after, 1000).await?;
            let Some(last) = batch.last() else { return Ok(expired) };
            after = last.position;
            for version in &batch {
                let object = &version.object;
                let tags = Tags::from_column(object.tags.as_deref())?;
                if !rule.filter.admits(&object.key, object.size, &tags) && !(version.delete_marker && object.key.starts_with(&rule.filter.prefix)) {
                    continue;
                }
                let (due, lone_marker) = match (version.delete_marker, rule.noncurrent_days) {
                    (true, _) => (rule.expired_object_delete_marker, true),
                    (false, Some(days)) => (next_midnight(version.noncurrent_since.unwrap_or(now) + i64::from(days) * DAY) <= now, false),
                    (false, None) => (false, false),
                };
                if due && self.store.expire_version(version, lone_marker, super::blobs_of, now).await? {
                    expired += 1;
                }
            }
            if batch.len() < 1000 {
                return Ok(expired);
            }
        }
    }

    async fn abort_older_uploads(&self, bucket: &str, prefix: &str, started_before: i64) -> Result<usize> {
        let mut aborted = 0;
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let uploads = self.store.list_uploads(bucket, prefix, &key_marker, &id_marker, 1000).await?;
            let Some(last) = uploads.last() else { return Ok(aborted) };
            (key_marker, id_marker) = (last.key.clone(), last.upload_id.clone());
            for upload in uploads.iter().filter(|upload| upload.initiated_at < started_before) {
                if self.store.abort_upload(&upload.upload_id, self.now()).await? {
                    aborted += 1;
                }
            }
            if uploads.len() < 1000 {
                return Ok(aborted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(expiration: Option<Expiration>) -> LifecycleRule {
        LifecycleRule { id: Some("r".to_owned()), enabled: true, expiration, ..LifecycleRule::default() }
    }

    #[test]
    fn objects_expire_at_the_midnight_after_their_age() {
        assert_eq!(next_midnight(0), 0);
        assert_eq!(next_midnight(1), DAY);
        assert_eq!(next_midnight(DAY - 1), DAY);
        assert_eq!(next_midnight(5 * DAY), 5 * DAY);
    }

    #[test]
    fn rules_are_checked_as_s3_checks_them() {
        assert!(check_rules(&[rule(Some(Expiration::Days(1)))]).is_ok());
        assert!(check_rules(&[]).is_err());
        assert!(check_rules(&[rule(None)]).is_err());
        assert!(check_rules(&[rule(Some(Expiration::Days(0)))]).is_err());
        assert!(check_rules(&[rule(Some(Expiration::Date(DAY + 1)))]).is_err());
        assert!(check_rules(&[rule(Some(Expiration::Days(1))), rule(Some(Expiration::Days(2)))]).is_err(), "same id twice");
        let mut tagged_abort = rule(None);
        tagged_abort.abort_incomplete_after_days = Some(1);
        tagged_abort.filter.tags = vec![("k".to_owned(), "v".to_owned())];
        assert!(check_rules(&[tagged_abort]).is_err());
    }

    #[test]
    fn a_filter_wants_its_prefix_size_and_every_tag() {
        let filter = RuleFilter { prefix: "logs/".to_owned(), tags: vec![("temp".to_owned(), "yes".to_owned())], size_greater_than: Some(10), size_less_than: Some(100) };
        let tagged = Tags::new(vec![("temp".to_owned(), "yes".to_owned()), ("other".to_owned(), "x".to_owned())], super::super::Tagged::Object).unwrap();
        assert!(filter.admits("logs/a", 50, &tagged));
        assert!(!filter.admits("data/a", 50, &tagged));
        assert!(!filter.admits("logs/a", 10, &tagged));
        assert!(!filter.admits("logs/a", 100, &tagged));
        assert!(!filter.admits("logs/a", 50, &Tags::default()));
    }
}
