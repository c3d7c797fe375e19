//! A bucket's settings beyond CORS and default encryption, each kept as one document: its tags, its policy,
//! its Object Ownership and its Block Public Access configuration. A bucket without a row for a kind has
//! S3's default for a new bucket: no tags, no policy, `BucketOwnerEnforced`, every public access blocked.
//!
//! Bucket policies are read on every request that names the bucket, so each replica keeps them for
//! `POLICY_TTL`: a change made on one replica reaches the others within that time (its own at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use s3cognito_types::BucketName;
use s3cognito_types::policy::PolicyDocument;
use serde::{Deserialize, Serialize};

use super::tags::{Tagged, Tags};
use super::{ObjectError, Objects, Result};

const TAGGING: &str = "tagging";
const POLICY: &str = "policy";
pub(super) const OWNERSHIP: &str = "ownership";
const PUBLIC_ACCESS_BLOCK: &str = "public-access-block";
/// What a row holds for a setting removed where S3 then reports none (as opposed to the default).
const REMOVED: &str = "null";

/// How long a replica trusts the bucket policy (and lifecycle rules) it read.
pub const POLICY_TTL: Duration = Duration::from_secs(1);

/// The account's S3 canonical user id, as listings and ACLs name their owner: 64 hex digits derived from
/// the account id, the same on every replica.
pub fn canonical_user_id(account_id: &str) -> String {
    s3cognito_crypto::digest::sha256_hex(format!("s3cognito-canonical-user/{account_id}").as_bytes())
}

/// Who owns the objects written to a bucket, and whether ACLs count (S3 Object Ownership).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ownership {
    /// ACLs are disabled; the bucket's owner owns every object (S3's default for new buckets).
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

impl Ownership {
    pub fn parse(text: &str) -> Option<Ownership> {
        match text {
            "BucketOwnerEnforced" => Some(Ownership::BucketOwnerEnforced),
            "BucketOwnerPreferred" => Some(Ownership::BucketOwnerPreferred),
            "ObjectWriter" => Some(Ownership::ObjectWriter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::BucketOwnerEnforced => "BucketOwnerEnforced",
            Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
            Ownership::ObjectWriter => "ObjectWriter",
        }
    }
}

/// S3 Block Public Access for one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl Default for PublicAccessBlock {
    /// Everything blocked, as S3 sets it on every new bucket.
    fn default() -> Self {
        PublicAccessBlock { block_public_acls: true, ignore_public_acls: true, block_public_policy: true, restrict_public_buckets: true }
    }
}

/// One kind of bucket setting as this replica last read it, per bucket (`None`: the bucket has none), kept
/// `POLICY_TTL`: a setting read on the request path costs no query on most requests.
#[derive(Debug)]
pub(super) struct SettingCache<T> {
    entries: Mutex<HashMap<String, (Instant, Option<Arc<T>>)>>,
}

impl<T> Default for SettingCache<T> {
    fn default() -> Self {
        SettingCache { entries: Mutex::default() }
    }
}

impl<T> SettingCache<T> {
    pub(super) fn fresh(&self, bucket: &str) -> Option<Option<Arc<T>>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(bucket).filter(|(read_at, _)| read_at.elapsed() < POLICY_TTL).map(|(_, setting)| setting.clone())
    }

    pub(super) fn keep(&self, bucket: &str, setting: Option<Arc<T>>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Buckets come and go; stale entries are dropped rather than kept for ever.
        if entries.len() > 10_000 {
            entries.retain(|_, (read_at, _)| read_at.elapsed() < POLICY_TTL);
        }
        entries.insert(bucket.to_owned(), (Instant::now(), setting));
    }

    pub(super) fn forget(&self, bucket: &str) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(bucket);
    }
}

impl Objects {
    async fn setting(&self, bucket: &BucketName, kind: &str) -> Result<Option<String>> {
        match self.store.bucket_setting(bucket, kind).await? {
            Some(document) => Ok(Some(document)),
            None => {
                self.bucket(bucket).await?;
                Ok(None)
            }
        }
    }

    async fn set_setting(&self, bucket: &BucketName, kind: &str, document: Option<&str>) -> Result<()> {
        if self.store.set_bucket_setting(bucket, kind, document).await? { Ok(()) } else { Err(ObjectError::NoSuchBucket) }
    }

    // ---- tags ----

    /// The bucket's tags; `NoSuchTagSet` when it has none, as in S3.
    pub async fn bucket_tags(&self, bucket: &BucketName) -> Result<Tags> {
        let tags = match self.setting(bucket, TAGGING).await? {
            Some(document) => Tags::from_column(Some(&document))?,
            None => Tags::default(),
        };
        if tags.is_empty() { Err(ObjectError::NoSuchTagSet) } else { Ok(tags) }
    }

    /// Replaces the bucket's tags with `pairs`; an empty set removes them.
    pub async fn put_bucket_tags(&self, bucket: &BucketName, pairs: Vec<(String, String)>) -> Result<()> {
        let tags = Tags::new(pairs, Tagged::Bucket)?;
        self.set_setting(bucket, TAGGING, tags.to_column()?.as_deref()).await
    }

    pub async fn delete_bucket_tags(&self, bucket: &BucketName) -> Result<()> {
        self.set_setting(bucket, TAGGING, None).await
    }

    /// A setting S3 gives every new bucket and lets be removed: `default` without a row, `None` once removed.
    async fn removable<T: serde::de::DeserializeOwned>(&self, bucket: &BucketName, kind: &str, default: T) -> Result<Option<T>> {
        match self.setting(bucket, kind).await?.as_deref() {
            None => Ok(Some(default)),
            Some(REMOVED) => Ok(None),
            Some(stored) => Ok(Some(serde_json::from_str(stored)?)),
        }
    }

    async fn put_document<T: Serialize>(&self, bucket: &BucketName, kind: &str, value: &T) -> Result<()> {
        self.set_setting(bucket, kind, Some(&serde_json::to_string(value)?)).await
    }

    // ---- ownership ----

    /// The bucket's Object Ownership: `None` once its ownership controls were deleted.
    pub async fn ownership(&self, bucket: &BucketName) -> Result<Option<Ownership>> {
        self.removable(bucket, OWNERSHIP, Ownership::BucketOwnerEnforced).await
    }

    pub async fn put_ownership(&self, bucket: &BucketName, ownership: Ownership) -> Result<()> {
        self.put_document(bucket, OWNERSHIP, &ownership).await
    }

    pub async fn delete_ownership(&self, bucket: &BucketName) -> Result<()> {
        self.set_setting(bucket, OWNERSHIP, Some(REMOVED)).await
    }

    // ---- public access block ----

    /// The bucket's Block Public Access configuration: `None` once it was deleted.
    pub async fn public_access_block(&self, bucket: &BucketName) -> Result<Option<PublicAccessBlock>> {
        self.removable(bucket, PUBLIC_ACCESS_BLOCK, PublicAccessBlock::default()).await
    }

    pub async fn put_public_access_block(&self, bucket: &BucketName, block: PublicAccessBlock) -> Result<()> {
        self.put_document(bucket, PUBLIC_ACCESS_BLOCK, &block).await
    }

    pub async fn delete_public_access_block(&self, bucket: &BucketName) -> Result<()> {
        self.set_setting(bucket, PUBLIC_ACCESS_BLOCK, Some(REMOVED)).await
    }

    // ---- policy ----

    /// The bucket's policy as it was put; `NoSuchBucketPolicy` when it has none.
    pub async fn bucket_policy_text(&self, bucket: &BucketName) -> Result<String> {
        self.setting(bucket, POLICY).await?.ok_or(ObjectError::NoSuchBucketPolicy)
    }

    /// Sets the bucket's policy after checking it as S3 does: a policy document whose every statement names
    /// its principals and only resources of this bucket, and, while the bucket blocks public policies, one
    /// that grants to no one outside the account.
    pub async fn put_bucket_policy(&self, bucket: &BucketName, text: &str) -> Result<()> {
        let malformed = |message: String| ObjectError::MalformedPolicy(message);
        let document = PolicyDocument::parse(text).map_err(|error| malformed(error.to_string()))?;
        if document.statements().iter().any(|statement| !statement.has_principal()) {
            return Err(malformed("Missing required field Principal".to_owned()));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|error| malformed(error.to_string()))?;
        let bucket_arn = s3cognito_types::arn::bucket(bucket.as_str());
        for resource in policy_resources(&value) {
            let within = resource == bucket_arn || resource.strip_prefix(&bucket_arn).is_some_and(|rest| rest.starts_with('/'));
            if !within {
                return Err(malformed("Policy has invalid resource".to_owned()));
            }
        }
        if document.is_public() && self.public_access_block(bucket).await?.is_some_and(|block| block.block_public_policy) {
            return Err(ObjectError::PublicPolicyBlocked);
        }
        self.set_setting(bucket, POLICY, Some(text)).await?;
        self.policies.forget(bucket.as_str());
        Ok(())
    }

    pub async fn delete_bucket_policy(&self, bucket: &BucketName) -> Result<()> {
        self.set_setting(bucket, POLICY, None).await?;
        self.policies.forget(bucket.as_str());
        Ok(())
    }

    /// Whether the bucket's policy grants to anyone at all; `NoSuchBucketPolicy` when it has none.
    pub async fn bucket_policy_is_public(&self, bucket: &BucketName) -> Result<bool> {
        let text = self.bucket_policy_text(bucket).await?;
        Ok(PolicyDocument::parse(&text).is_ok_and(|document| document.is_public()))
    }

    /// The bucket's policy for authorizing a request, as this replica last read it (at most `POLICY_TTL`
    /// ago); `None` when the bucket has none or does not exist.
    pub async fn bucket_policy(&self, bucket: &str) -> Result<Option<Arc<PolicyDocument>>> {
        if let Some(policy) = self.policies.fresh(bucket) {
            return Ok(policy);
        }
        let policy = match self.store.bucket_setting(bucket, POLICY).await? {
            None => None,
            Some(text) => match PolicyDocument::parse(&text) {
                Ok(document) => Some(Arc::new(document)),
                Err(error) => {
                    // Checked when put; a policy that no longer parses denies rather than vanishes.
                    tracing::error!(bucket, %error, "stored bucket policy does not parse");
                    return Err(ObjectError::Internal("the bucket's policy does not parse".to_owned()));
                }
            },
        };
        self.policies.keep(bucket, policy.clone());
        Ok(policy)
    }
}

/// Every Resource value of a policy's statements (NotResource too), as written.
fn policy_resources(value: &serde_json::Value) -> Vec<String> {
    let statements = match value.get("Statement") {
        Some(serde_json::Value::Array(statements)) => statements.clone(),
        Some(statement) => vec![statement.clone()],
        None => Vec::new(),
    };
    let mut resources = Vec::new();
    for statement in &statements {
        for element in ["Resource", "NotResource"] {
            match statement.get(element) {
                Some(serde_json::Value::String(one)) => resources.push(one.clone()),
                Some(serde_json::Value::Array(many)) => resources.extend(many.iter().filter_map(|item| item.as_str().map(str::to_owned))),
                _ => {}
            }
        }
    }
    resources
}
