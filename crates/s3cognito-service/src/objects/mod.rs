//! The private bucket: buckets, objects and multipart uploads over the metadata store and the blob store.
//!
//! An object's bytes are written to fresh blobs first and become visible only when the row naming them
//! commits; a replaced or deleted object's blobs are recorded as garbage in the same transaction and
//! reclaimed after a grace period, so a crash at any point leaves the old object or the new, never half.
//!
//! Every blob is encrypted at rest (`s3cognito_crypto::chunks`): its plaintext in sealed chunks under a
//! data key of its own, which is kept beside the blob's id in the row, sealed with the master key and bound
//! to the blob. A ranged read opens only the chunks it covers. Blobs written before encryption at rest
//! have no key in their row and are read as they are.

pub mod cors;
mod default_encryption;
pub mod lifecycle;
mod list;
mod multipart;
mod settings;
mod stored;
pub mod tags;
mod versions;

use s3cognito_types::{BucketName, ObjectKey};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use md5::{Digest, Md5};
use s3cognito_blob::BlobStore;
use s3cognito_crypto::aead::SealingKey;
use s3cognito_crypto::chunks::{DataKey, Opener, Sealer};
use s3cognito_meta::{BucketDeletion, BucketRecord, MetaError, ObjectRecord, Store};

pub use default_encryption::BucketEncryption;
pub use list::ListPage;
pub use multipart::{MAX_PART_NUMBER, PartInfo, UploadInfo};
pub use settings::{Ownership, POLICY_TTL, PublicAccessBlock, canonical_user_id};
pub use tags::{Tagged, Tags};
pub use versions::{NULL_VERSION, Removal, VersionInfo, Versioning, VersionsPage, new_version_id, parse_version_id, stated};

use crate::clock::Clock;
use crate::kms::{Kms, NamedKey};

/// The largest object a single PUT (or one part) may carry, as in S3.
pub const MAX_SINGLE_UPLOAD: u64 = 5 << 30;
/// The largest object, as in S3.
pub const MAX_OBJECT_SIZE: u64 = 5 << 40;
/// How long garbage blobs wait before their bytes go, so reads already under way can finish.
pub const GARBAGE_GRACE_SECONDS: i64 = 60;
/// How long a blob may be written without being committed before it counts as orphaned: far longer
/// than the slowest 5 GiB upload, so a live writer is never robbed.
pub const PENDING_GRACE_SECONDS: i64 = 24 * 3600;

/// Why a request body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The payload hash the client signed does not match the bytes.
    DigestMismatch,
    /// A chunk signature of a streaming upload does not match.
    SignatureMismatch,
    /// The connection ended early or the framing was broken.
    Incomplete(String),
    /// The `x-amz-checksum-*` the client sent (named here) does not match the bytes.
    ChecksumMismatch(String),
}

/// A bucket as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketView {
    pub name: String,
    pub owner: String,
    /// The region CreateBucket's LocationConstraint named, if it named one.
    pub location: Option<String>,
    pub created_at: i64,
    /// `None` until versioning is first set.
    pub versioning: Option<Versioning>,
}

impl From<BucketRecord> for BucketView {
    fn from(record: BucketRecord) -> BucketView {
        let versioning = Versioning::from_column(record.versioning.as_deref());
        BucketView { name: record.name, owner: record.owner, location: record.location, created_at: record.created_at, versioning }
    }
}

/// A whole-object checksum as S3 names it (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`), base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: s3cognito_types::ChecksumAlgorithm,
    pub value: String,
}

/// Where the protocol layer leaves the checksum it verified once the body has ended: it is known only
/// then, and the object must not commit before it is.
pub type ChecksumSlot = Arc<std::sync::OnceLock<Checksum>>;

/// A body to store and what the client said about it.
pub struct Upload<E> {
    pub body: ByteStream<E>,
    pub declared_length: Option<u64>,
    /// Base64, as in the Content-MD5 header.
    pub content_md5: Option<String>,
    pub checksum: ChecksumSlot,
    /// What the key must hold for the write to happen (a conditional write).
    pub condition: WriteCondition,
}

/// A conditional write's precondition (`If-Match`, `If-None-Match: *` on PutObject), checked when the object
/// commits, so two writers racing for a key cannot both win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteCondition {
    /// The key must hold an object of this ETag (unquoted), or any object for `*`.
    pub if_match: Option<String>,
    /// The key must hold no object.
    pub if_none_match: bool,
}

impl WriteCondition {
    pub(super) fn admits(&self, current: Option<&ObjectRecord>) -> bool {
        let matches = match (&self.if_match, current) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(wanted), Some(current)) => wanted == "*" || wanted.trim_matches('"') == current.etag.trim_matches('"'),
        };
        matches && !(self.if_none_match && current.is_some())
    }

    /// The refusal of a write whose precondition did not hold: S3 says NoSuchKey to an If-Match on a key
    /// holding nothing, and PreconditionFailed otherwise.
    pub(super) fn refusal(&self, existed: bool) -> ObjectError {
        if self.if_match.is_some() && !existed { ObjectError::NoSuchKey } else { ObjectError::PreconditionFailed }
    }
}

impl<E> std::fmt::Debug for Upload<E> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Upload").field("declared_length", &self.declared_length).finish_non_exhaustive()
    }
}

/// A request body or an object's bytes, as a stream of chunks.
pub type ByteStream<E> = BoxStream<'static, Result<Bytes, E>>;

/// Every way an object use case can fail; the http crate gives each its S3 code.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    /// KMS refused to make or open a data key: the key is disabled, pending deletion or gone.
    #[error("{0}")]
    Kms(Box<crate::ServiceError>),
    #[error("The specified key does not exist.")]
    NoSuchKey,
    #[error("The specified version does not exist.")]
    NoSuchVersion,
    /// The version read is a delete marker: the key's current one (`named` false: S3 says NoSuchKey) or the
    /// one the request named (S3 says MethodNotAllowed); either way the answer says it is a marker.
    #[error("The specified method is not allowed against this resource.")]
    DeleteMarker { version_id: Option<String>, modified_at: i64, named: bool },
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")]
    NoSuchUpload,
    #[error("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")]
    InvalidPart,
    #[error("The list of parts was not in ascending order. The parts list must be specified in order by part number.")]
    InvalidPartOrder,
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    #[error("Your proposed upload exceeds the maximum allowed object size.")]
    EntityTooLarge,
    #[error("The Content-MD5 you specified did not match what we received.")]
    BadDigest,
    #[error("The Content-MD5 you specified is not valid.")]
    InvalidDigest,
    #[error("You did not provide the number of bytes specified by the Content-Length HTTP header.")]
    IncompleteBody,
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    #[error("Not Modified")]
    NotModified { etag: String, modified_at: i64 },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidTag(String),
    #[error("The TagSet does not exist")]
    NoSuchTagSet,
    #[error("The bucket policy does not exist")]
    NoSuchBucketPolicy,
    #[error("{0}")]
    MalformedPolicy(String),
    #[error("The lifecycle configuration does not exist")]
    NoSuchLifecycleConfiguration,
    #[error("{0}")]
    MalformedXml(String),
    /// A public policy put while the bucket blocks public policies.
    #[error("Access Denied: public policies are blocked by the BlockPublicPolicy block public access setting.")]
    PublicPolicyBlocked,
    #[error("the request body could not be read: {0:?}")]
    Body(BodyError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<MetaError> for ObjectError {
    fn from(error: MetaError) -> Self {
        ObjectError::Internal(error.to_string())
    }
}

impl From<s3cognito_blob::BlobError> for ObjectError {
    fn from(error: s3cognito_blob::BlobError) -> Self {
        ObjectError::Internal(error.to_string())
    }
}

impl From<serde_json::Error> for ObjectError {
    fn from(error: serde_json::Error) -> Self {
        ObjectError::Internal(format!("stored document is malformed: {error}"))
    }
}

pub type Result<T, E = ObjectError> = std::result::Result<T, E>;

/// One blob of an object's bytes; a simple object has one, a multipart object one per part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub blob: String,
    /// Plaintext bytes.
    pub size: u64,
    /// The blob's data key as stored (`m1:` and the key sealed with the master key, base64); `None` for a
    /// blob written in plaintext by an earlier release.
    pub key: Option<String>,
    /// The part's checksum, for a part of a multipart object uploaded with one.
    pub checksum: Option<Checksum>,
}

/// What a writer says about an object besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectAttributes {
    pub content_type: Option<String>,
    /// Content-Encoding, Content-Disposition, Content-Language, Cache-Control, Expires.
    pub headers: BTreeMap<String, String>,
    /// `x-amz-meta-*`, names lowercased.
    pub user_metadata: BTreeMap<String, String>,
    /// How the writer asks for the bytes to be encrypted; an object read back says how they are with
    /// [`ObjectInfo::at_rest`].
    pub encryption: Encryption,
    pub tags: Tags,
}

/// How a writer asks for an object's bytes to be encrypted at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Encryption {
    /// Data keys sealed with the server's master key (S3's SSE-S3, `AES256`): every object unless asked.
    #[default]
    ServerManaged,
    /// A data key per blob from a KMS key (SSE-KMS, `aws:kms`), bound to the encryption context, to which
    /// `aws:s3:arn` (the object's ARN) is added. The caller's use of the key is authorized before.
    Kms { key: Box<NamedKey>, context: BTreeMap<String, String> },
}

/// An encryption context as S3's `x-amz-server-side-encryption-context` carries it: base64 of a JSON
/// object of string pairs; `None` when it is not one.
pub fn encryption_context(header: &str) -> Option<BTreeMap<String, String>> {
    let json = base64::engine::general_purpose::STANDARD.decode(header).ok()?;
    serde_json::from_slice(&json).ok()
}

/// How an object's bytes are encrypted at rest, as its row says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtRest {
    /// Stored in plaintext by a release before encryption at rest.
    Plaintext,
    ServerManaged,
    /// Under the KMS key of this ARN.
    Kms { key_arn: String },
}

/// One use of a KMS key reading an object needs: the key and the encryption context its data keys are
/// bound to, for authorizing `kms:Decrypt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsUse {
    pub key: NamedKey,
    pub context: BTreeMap<String, String>,
}

/// An object as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    /// Quoted, as S3 shows it.
    pub etag: String,
    pub attributes: ObjectAttributes,
    pub modified_at: i64,
    pub owner: String,
    pub segments: Vec<Segment>,
    pub checksum: Option<Checksum>,
    /// The version's id; `None` for the null version (written while the bucket was not versioning).
    pub version_id: Option<String>,
}

impl ObjectInfo {
    /// How the object's bytes are encrypted at rest: under a KMS key if any part is, in plaintext if any
    /// part is, else with server-managed keys.
    pub fn at_rest(&self) -> AtRest {
        let keys: Vec<Option<&str>> = self.segments.iter().map(|segment| segment.key.as_deref()).collect();
        if let Some(key_arn) = keys.iter().flatten().find_map(|stored| kms_sealed(stored).map(|(blob, _)| blob))
            .and_then(|blob| s3cognito_crypto::kms::blob_header(&blob).ok())
            .map(|header| header.key_arn)
        {
            return AtRest::Kms { key_arn };
        }
        if keys.iter().any(Option::is_none) { AtRest::Plaintext } else { AtRest::ServerManaged }
    }

    fn from_record(record: &ObjectRecord) -> Result<ObjectInfo> {
        Ok(ObjectInfo {
            bucket: record.bucket.clone(),
            key: record.key.clone(),
            size: record.size as u64,
            etag: record.etag.clone(),
            attributes: ObjectAttributes {
                content_type: record.content_type.clone(),
                headers: serde_json::from_str(&record.headers)?,
                user_metadata: serde_json::from_str(&record.user_metadata)?,
                encryption: Encryption::ServerManaged,
                tags: Tags::from_column(record.tags.as_deref())?,
            },
            modified_at: record.modified_at,
            owner: record.owner.clone(),
            segments: stored::read_segments(&record.segments)?,
            checksum: record.checksum.as_deref().map(stored::read_checksum).transpose()?,
            version_id: record.version_id.clone(),
        })
    }

    fn to_record(&self) -> Result<ObjectRecord> {
        Ok(ObjectRecord {
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            size: self.size as i64,
            etag: self.etag.clone(),
            content_type: self.attributes.content_type.clone(),
            headers: serde_json::to_string(&self.attributes.headers)?,
            user_metadata: serde_json::to_string(&self.attributes.user_metadata)?,
            checksum: self.checksum.as_ref().map(stored::write_checksum).transpose()?,
            segments: stored::write_segments(&self.segments)?,
            owner: self.owner.clone(),
            modified_at: self.modified_at,
            tags: self.attributes.tags.to_column()?,
            version_id: self.version_id.clone(),
        })
    }
}

/// The plaintext of an encrypted blob's stored bytes, opened chunk by chunk as they arrive, each chunk
/// handed on as it opens (no copy into larger pieces).
fn opened(stored: BoxStream<'static, s3cognito_blob::Result<Bytes>>, opener: Opener, blob: String) -> ByteStream<ObjectError> {
    struct State {
        stored: BoxStream<'static, s3cognito_blob::Result<Bytes>>,
        opener: Option<Opener>,
        ready: std::collections::VecDeque<Vec<u8>>,
        blob: String,
    }
    let tampered = |blob: &str| ObjectError::Internal(format!("blob {blob} failed its integrity check: its stored bytes were changed or cut"));
    let state = State { stored, opener: Some(opener), ready: std::collections::VecDeque::new(), blob };
    futures::stream::unfold(state, move |mut state| async move {
        loop {
            if let Some(chunk) = state.ready.pop_front() {
                return Some((Ok(Bytes::from(chunk)), state));
            }
            let opener = state.opener.as_mut()?;
            match state.stored.next().await {
                Some(Ok(bytes)) => match opener.push(&bytes) {
                    Ok(chunks) => state.ready.extend(chunks),
                    Err(_) => {
                        state.opener = None;
                        return Some((Err(tampered(&state.blob)), state));
                    }
                },
                Some(Err(error)) => {
                    state.opener = None;
                    return Some((Err(error.into()), state));
                }
                None => {
                    let last = state.opener.take().expect("the opener just used").finish();
                    match last {
                        Ok(rest) => state.ready.push_back(rest),
                        Err(_) => return Some((Err(tampered(&state.blob)), state)),
                    }
                }
            }
        }
    })
    .try_filter(|bytes| futures::future::ready(!bytes.is_empty()))
    .boxed()
}

/// The blobs an object's row names, for garbage collection.
fn blobs_of(record: &ObjectRecord) -> Vec<String> {
    stored::read_segments(&record.segments)
        .map(|segments| segments.into_iter().map(|segment| segment.blob).collect())
        .unwrap_or_default()
}

/// GetObject's and HeadObject's preconditions, ETags unquoted.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_match: Option<Vec<String>>,
    pub if_none_match: Option<Vec<String>>,
    pub if_modified_since: Option<i64>,
    pub if_unmodified_since: Option<i64>,
}

impl Conditions {
    /// S3's precedence: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since.
    pub fn check(&self, info: &ObjectInfo) -> Result<()> {
        let etag = info.etag.trim_matches('"');
        let matches = |list: &Vec<String>| list.iter().any(|candidate| candidate == "*" || candidate == etag);
        match &self.if_match {
            Some(list) if !matches(list) => return Err(ObjectError::PreconditionFailed),
            Some(_) => {}
            None => {
                if self.if_unmodified_since.is_some_and(|since| info.modified_at > since) {
                    return Err(ObjectError::PreconditionFailed);
                }
            }
        }
        let not_modified = || ObjectError::NotModified { etag: info.etag.clone(), modified_at: info.modified_at };
        match &self.if_none_match {
            Some(list) if matches(list) => return Err(not_modified()),
            Some(_) => {}
            None => {
                if self.if_modified_since.is_some_and(|since| info.modified_at <= since) {
                    return Err(not_modified());
                }
            }
        }
        Ok(())
    }
}

/// A new blob's id: 32 hex digits, never derived from anything a client sent.
fn new_blob_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The bucket use cases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Objects {
    store: Store,
    blobs: BlobStore,
    clock: Arc<dyn Clock>,
    reserved: Arc<Reserved>,
    /// Seals each blob's data key.
    sealing_key: Arc<SealingKey>,
    /// Makes and opens the data keys of objects encrypted with a KMS key.
    kms: Kms,
    /// Bucket policies as this replica last read them.
    policies: Arc<settings::SettingCache<s3cognito_types::policy::PolicyDocument>>,
    /// Lifecycle rules as this replica last read them, for the expiry date answered with an object.
    lifecycles: Arc<settings::SettingCache<Vec<lifecycle::LifecycleRule>>>,
}

/// How many blob ids one transaction records as pending ahead of their use. Every blob must be pending
/// before its first byte; recording them one by one cost each upload a commit (an fsync, and SQLite
/// commits one at a time): small PUTs ran 30% slower.
pub const RESERVE_BATCH: usize = 32;
/// A reserved id older than this is not used: `reclaim_garbage` could take it for a dead writer's once it
/// is `PENDING_GRACE_SECONDS` old, so it must leave the pool long before.
pub const RESERVED_MAX_AGE_SECONDS: i64 = 3600;

/// Blob ids already recorded in `pending_blobs` (with the time they were), waiting to be written. Those a
/// stopped server never used are reclaimed like any writer's that died: there is no blob to delete.
#[derive(Debug, Default)]
struct Reserved {
    ids: tokio::sync::Mutex<Vec<(String, i64)>>,
}

/// What writing a body produced.
struct WrittenBlob {
    segment: Segment,
    md5: [u8; 16],
}

/// What writing a body in parts produced: each part's segment and MD5, in order, and the whole's MD5 when
/// it was asked for or the body is one part.
struct WrittenParts {
    parts: Vec<(Segment, [u8; 16])>,
    md5: Option<[u8; 16]>,
}

/// A blob being written, with what has gone into it so far.
struct OpenBlob {
    id: String,
    writer: s3cognito_blob::BlobWriter,
    md5: Md5,
    size: u64,
    sealer: Sealer,
    /// The data key, as the row keeps it.
    key: String,
}

impl OpenBlob {
    /// Takes plaintext: its MD5, and its sealed chunks to the writer.
    async fn write(&mut self, piece: Bytes) -> Result<()> {
        self.size += piece.len() as u64;
        self.md5.update(&piece);
        for sealed in self.sealer.push(&piece) {
            self.writer.write(Bytes::from(sealed));
        }
        self.writer.wait_for_capacity().await?;
        Ok(())
    }

    /// Seals the last chunk and makes the blob durable; its segment and MD5.
    async fn close(self) -> Result<(Segment, [u8; 16])> {
        let OpenBlob { id, mut writer, md5, size, sealer, key } = self;
        writer.write(Bytes::from(sealer.finish()));
        writer.finish().await?;
        Ok((Segment { blob: id, size, key: Some(key), checksum: None }, md5.finalize().into()))
    }
}

/// How a blob's data key is bound when it is sealed with the master key: to that blob alone.
fn data_key_binding(blob: &str) -> Vec<u8> {
    format!("blob-data-key/{blob}").into_bytes()
}

/// The stored form of a data key sealed with the master key.
const MASTER_SEALED: &str = "m1:";
/// The stored form of a data key encrypted under a KMS key: `k1:` + the KMS ciphertext, base64, `:` + the
/// encryption context as JSON, base64.
const KMS_SEALED: &str = "k1:";

/// The KMS ciphertext and encryption context of a data key stored as [`KMS_SEALED`].
fn kms_sealed(stored: &str) -> Option<(Vec<u8>, BTreeMap<String, String>)> {
    let (blob, context) = stored.strip_prefix(KMS_SEALED)?.split_once(':')?;
    let engine = base64::engine::general_purpose::STANDARD;
    let context = serde_json::from_slice(&engine.decode(context).ok()?).ok()?;
    Some((engine.decode(blob).ok()?, context))
}

/// How the blobs of one object are sealed: their data keys from the master key or from a KMS key.
#[derive(Debug, Clone)]
enum Sealing {
    Master,
    /// `context` is the whole encryption context, `aws:s3:arn` included.
    Kms { key: Box<NamedKey>, context: BTreeMap<String, String> },
}

impl Sealing {
    fn of(encryption: &Encryption, bucket: &str, key: &str) -> Sealing {
        match encryption {
            Encryption::ServerManaged => Sealing::Master,
            Encryption::Kms { key: kms_key, context } => {
                let mut context = context.clone();
                context.insert("aws:s3:arn".to_owned(), s3cognito_types::arn::object(bucket, key));
                Sealing::Kms { key: kms_key.clone(), context }
            }
        }
    }
}

impl Objects {
    pub fn new(store: Store, blobs: BlobStore, clock: Arc<dyn Clock>, sealing_key: Arc<SealingKey>, kms: Kms) -> Objects {
        Objects { store, blobs, clock, reserved: Arc::default(), sealing_key, kms, policies: Arc::default(), lifecycles: Arc::default() }
    }

    /// The data key of an encrypted blob, from its row: opened with the master key, or decrypted by its
    /// KMS key (which must be usable: a disabled key's objects cannot be read).
    async fn data_key(sealing_key: &SealingKey, kms: &Kms, segment: &Segment, stored: &str) -> Result<DataKey> {
        let unreadable = || ObjectError::Internal(format!("the data key of blob {} does not open", segment.blob));
        let opened = if let Some((blob, context)) = kms_sealed(stored) {
            let key = kms.key_of_ciphertext(&blob).await.map_err(|error| ObjectError::Kms(Box::new(error)))?;
            kms.decrypt(&key, &blob, &context).await.map_err(|error| ObjectError::Kms(Box::new(error)))?
        } else {
            let sealed = stored.strip_prefix(MASTER_SEALED).and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok()).ok_or_else(unreadable)?;
            sealing_key.open(&sealed, &data_key_binding(&segment.blob)).map_err(|_| unreadable())?
        };
        DataKey::from_slice(&opened).ok_or_else(unreadable)
    }

    /// The KMS keys reading `info` decrypts data keys with, and the contexts they are bound to, each once.
    pub async fn kms_uses(&self, info: &ObjectInfo) -> Result<Vec<KmsUse>> {
        let mut uses: Vec<KmsUse> = Vec::new();
        // Every part of a multipart object names the same key and context: each pair is looked up once.
        let mut seen: Vec<(String, BTreeMap<String, String>)> = Vec::new();
        for stored in info.segments.iter().filter_map(|segment| segment.key.as_deref()) {
            let Some((blob, context)) = kms_sealed(stored) else { continue };
            let refused = |error: crate::ServiceError| ObjectError::Kms(Box::new(error));
            let header = s3cognito_crypto::kms::blob_header(&blob).map_err(|_| refused(crate::kms::KmsRefusal::InvalidCiphertext.into()))?;
            let named = (header.key_arn, context);
            if seen.contains(&named) {
                continue;
            }
            let key = self.kms.key_of_ciphertext(&blob).await.map_err(refused)?;
            uses.push(KmsUse { key, context: named.1.clone() });
            seen.push(named);
        }
        Ok(uses)
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A new blob id, already recorded as pending. Writers that find the pool empty wait for one batch
    /// to be recorded instead of recording their own, so under load one commit serves many uploads.
    async fn reserve_blob_id(&self) -> Result<String> {
        let mut reserved = self.reserved.ids.lock().await;
        let now = self.now();
        reserved.retain(|(_, since)| *since > now - RESERVED_MAX_AGE_SECONDS);
        if let Some((id, _)) = reserved.pop() {
            return Ok(id);
        }
        let mut batch: Vec<String> = (0..RESERVE_BATCH).map(|_| new_blob_id()).collect();
        self.store.insert_pending_blobs(&batch, now).await?;
        let id = batch.pop().expect("RESERVE_BATCH is not 0");
        reserved.extend(batch.into_iter().map(|id| (id, now)));
        Ok(id)
    }

    // ---- buckets ----

    /// Creates the bucket; `location` is the region its LocationConstraint named, if it named one, and
    /// `ownership` its Object Ownership when not S3's default, set in the same commit.
    pub async fn create_bucket(&self, name: &BucketName, owner: &str, location: Option<&str>, ownership: Option<Ownership>) -> Result<()> {
        let record = BucketRecord {
            name: name.to_string(),
            owner: owner.to_owned(),
            cors: None,
            encryption: None,
            location: location.map(str::to_owned),
            created_at: self.now(),
            versioning: None,
        };
        let ownership = ownership.filter(|chosen| *chosen != Ownership::BucketOwnerEnforced).map(|chosen| serde_json::to_string(&chosen)).transpose()?;
        let settings: Vec<(&str, &str)> = ownership.iter().map(|document| (settings::OWNERSHIP, document.as_str())).collect();
        match self.store.insert_bucket_with(&record, &settings).await {
            Ok(()) => Ok(()),
            Err(MetaError::Conflict) => Err(ObjectError::BucketAlreadyOwnedByYou),
            Err(other) => Err(other.into()),
        }
    }

    /// Creates the bucket unless it exists (the bootstrap bucket, on every start).
    pub async fn ensure_bucket(&self, name: &BucketName, owner: &str) -> Result<()> {
        match self.create_bucket(name, owner, None, None).await {
            Ok(()) | Err(ObjectError::BucketAlreadyOwnedByYou) => Ok(()),
            Err(other) => Err(other),
        }
    }

    pub async fn bucket(&self, name: &BucketName) -> Result<BucketView> {
        self.store.bucket(name).await?.map(BucketView::from).ok_or(ObjectError::NoSuchBucket)
    }

    pub async fn list_buckets(&self) -> Result<Vec<BucketView>> {
        Ok(self.store.list_buckets().await?.into_iter().map(BucketView::from).collect())
    }

    /// Deletes the bucket if it holds no object; multipart uploads left unfinished in it are aborted with it.
    pub async fn delete_bucket(&self, name: &BucketName) -> Result<()> {
        match self.store.delete_bucket_if_empty(name, self.now()).await? {
            BucketDeletion::Deleted => Ok(()),
            BucketDeletion::NotFound => Err(ObjectError::NoSuchBucket),
            BucketDeletion::NotEmpty => Err(ObjectError::BucketNotEmpty),
        }
    }

    // ---- objects ----

    /// Streams `body` into a new blob, refusing more than `limit` bytes or a length other than
    /// the declared one. On any failure the partial blob is thrown away.
    async fn write_blob<E>(&self, body: ByteStream<E>, declared_length: Option<u64>, limit: u64, sealing: &Sealing) -> Result<WrittenBlob>
    where
        E: Into<BodyError>,
    {
        let mut written = self.write_parts(body, declared_length, limit, limit, sealing, false).await?;
        let (segment, md5) = written.parts.pop().expect("a body of at most its part size is one part");
        Ok(WrittenBlob { segment, md5 })
    }

    /// A new blob to write, recorded as pending before its first byte, so a crash anywhere before the
    /// commit leaves a trace to reclaim; with a fresh data key.
    async fn open_blob(&self, sealing: &Sealing) -> Result<OpenBlob> {
        let engine = base64::engine::general_purpose::STANDARD;
        let id = self.reserve_blob_id().await?;
        let (data_key, key) = match sealing {
            Sealing::Master => {
                let data_key = DataKey::generate();
                let sealed = self.sealing_key.seal(data_key.as_bytes(), &data_key_binding(&id));
                let key = format!("{MASTER_SEALED}{}", engine.encode(sealed));
                (data_key, key)
            }
            Sealing::Kms { key, context } => {
                let generated = match self.kms.generate_data_key(key, s3cognito_crypto::chunks::DATA_KEY_LEN, context).await {
                    Ok(generated) => generated,
                    Err(error) => {
                        self.store.forget_pending_blob(&id).await?;
                        return Err(ObjectError::Kms(Box::new(error)));
                    }
                };
                let data_key = DataKey::from_slice(&generated.plaintext).ok_or_else(|| ObjectError::Internal("a data key of the wrong length".to_owned()))?;
                let key = format!("{KMS_SEALED}{}:{}", engine.encode(&generated.ciphertext), engine.encode(serde_json::to_vec(context)?));
                (data_key, key)
            }
        };
        match self.blobs.writer(&id).await {
            Ok(writer) => Ok(OpenBlob { id, writer, md5: Md5::new(), size: 0, sealer: Sealer::new(data_key), key }),
            Err(error) => {
                self.store.forget_pending_blob(&id).await?;
                Err(error.into())
            }
        }
    }

    /// Streams `body` into consecutive blobs of `part_size` bytes (the last one shorter; an empty body is
    /// one empty blob), refusing more than `limit` bytes or a length other than the declared one. On any
    /// failure every blob written for it is thrown away. The whole body's MD5 is kept for a body of one
    /// part, and for a longer one only when `whole_md5` asks (hashing it costs as much as the parts').
    async fn write_parts<E>(
        &self,
        body: ByteStream<E>,
        declared_length: Option<u64>,
        limit: u64,
        part_size: u64,
        sealing: &Sealing,
        whole_md5: bool,
    ) -> Result<WrittenParts>
    where
        E: Into<BodyError>,
    {
        debug_assert!(part_size > 0);
        // A length declared past the limit is refused before a byte is stored.
        if declared_length.is_some_and(|declared| declared > limit) {
            return Err(ObjectError::EntityTooLarge);
        }
        let mut parts: Vec<(Segment, [u8; 16])> = Vec::new();
        let mut open: Option<OpenBlob> = None;
        // The body's MD5 is its first blob's until a second one starts; from then on it is carried on from
        // the first blob's (when asked for), so a body of one blob (nearly every body) is hashed once.
        let mut whole: Option<Md5> = None;
        let mut size: u64 = 0;
        let mut body = body;
        let outcome: Result<()> = async {
            while let Some(chunk) = body.next().await {
                let mut chunk = chunk.map_err(|error| ObjectError::Body(error.into()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(ObjectError::EntityTooLarge);
                }
                while !chunk.is_empty() {
                    let blob = match &mut open {
                        Some(blob) => blob,
                        None => open.insert(self.open_blob(sealing).await?),
                    };
                    let room = usize::try_from(part_size - blob.size).unwrap_or(usize::MAX);
                    let piece = chunk.split_to(room.min(chunk.len()));
                    if let Some(whole) = whole.as_mut() {
                        whole.update(&piece);
                    }
                    blob.write(piece).await?;
                    if blob.size == part_size {
                        let full = open.take().expect("the blob just written");
                        if parts.is_empty() && whole_md5 {
                            whole = Some(full.md5.clone());
                        }
                        parts.push(full.close().await?);
                    }
                }
            }
            if declared_length.is_some_and(|declared| declared != size) {
                return Err(ObjectError::IncompleteBody);
            }
            if open.is_none() && parts.is_empty() {
                open = Some(self.open_blob(sealing).await?);
            }
            if let Some(last) = open.take() {
                parts.push(last.close().await?);
            }
            Ok(())
        }
        .await;
        if let Err(error) = outcome {
            if let Some(blob) = open {
                if let Err(abort_error) = blob.writer.abort().await {
                    tracing::warn!(%abort_error, "could not abort a partial blob");
                } else if let Err(forget_error) = self.store.forget_pending_blob(&blob.id).await {
                    tracing::warn!(%forget_error, "could not forget an aborted blob");
                }
            }
            for (segment, _) in &parts {
                self.discard(&segment.blob).await;
            }
            return Err(error);
        }
        let md5 = match (whole, parts.as_slice()) {
            (Some(whole), _) => Some(whole.finalize().into()),
            (None, [(_, md5)]) => Some(*md5),
            (None, _) => None,
        };
        Ok(WrittenParts { parts, md5 })
    }

    /// Checks the client's Content-MD5 (base64) against the MD5 of what was received, throwing the
    /// written blobs away when it does not match.
    async fn check_content_md5(&self, md5: &[u8; 16], blobs: &[&Segment], content_md5: Option<&str>) -> Result<()> {
        let Some(expected) = content_md5 else {
            return Ok(());
        };
        let failure = match base64::engine::general_purpose::STANDARD.decode(expected.trim()) {
            Ok(bytes) if bytes.len() == 16 => (bytes != md5).then_some(ObjectError::BadDigest),
            _ => Some(ObjectError::InvalidDigest),
        };
        match failure {
            None => Ok(()),
            Some(error) => {
                for segment in blobs {
                    self.discard(&segment.blob).await;
                }
                Err(error)
            }
        }
    }

    /// Deletes a blob nothing refers to yet; failures only leave an orphan for the sweeper.
    async fn discard(&self, blob: &str) {
        if let Err(error) = self.blobs.delete(blob).await {
            tracing::warn!(%error, blob, "could not delete an unused blob");
            return;
        }
        if let Err(error) = self.store.forget_pending_blob(blob).await {
            tracing::warn!(%error, blob, "could not forget a discarded blob");
        }
    }

    /// Commits a new object over whatever had its key (if `condition` admits it), reclaiming the blob if
    /// the commit fails.
    async fn commit(&self, info: &ObjectInfo, condition: &WriteCondition, versioned: bool) -> Result<()> {
        let new_blobs: Vec<String> = info.segments.iter().map(|segment| segment.blob.clone()).collect();
        let committed = self.store.put_object_when(&info.to_record()?, versioned, &new_blobs, blobs_of, |current| condition.admits(current)).await;
        if let Err(error) = committed {
            for segment in &info.segments {
                self.discard(&segment.blob).await;
            }
            return Err(match error {
                MetaError::Precondition { existed } => condition.refusal(existed),
                other => other.into(),
            });
        }
        Ok(())
    }

    pub async fn put_object<E: Into<BodyError>>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &str,
        attributes: ObjectAttributes,
        upload: Upload<E>,
    ) -> Result<ObjectInfo> {
        self.store_object(bucket, key, owner, attributes, upload, MAX_SINGLE_UPLOAD, MAX_SINGLE_UPLOAD).await
    }

    /// Stores a body of any size up to `MAX_OBJECT_SIZE` from one stream, as parts of `part_size` bytes:
    /// what a multipart upload would have made, without the client splitting it. A body of one part is
    /// a plain object (its ETag the MD5); more get a multipart ETag (the MD5 of the parts' MD5s and their
    /// count), each part readable alone with `partNumber`. Content-MD5 is checked against the whole.
    pub async fn put_object_in_parts<E: Into<BodyError>>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &str,
        attributes: ObjectAttributes,
        upload: Upload<E>,
        part_size: u64,
    ) -> Result<ObjectInfo> {
        let limit = MAX_OBJECT_SIZE.min(part_size.saturating_mul(MAX_PART_NUMBER as u64));
        self.store_object(bucket, key, owner, attributes, upload, limit, part_size).await
    }

    /// Writes the body as parts of `part_size`, at most `limit` bytes in all, and commits the object.
    #[allow(clippy::too_many_arguments)]
    async fn store_object<E: Into<BodyError>>(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &str,
        attributes: ObjectAttributes,
        upload: Upload<E>,
        limit: u64,
        part_size: u64,
    ) -> Result<ObjectInfo> {
        let (version_id, versioned) = self.next_version_id(bucket).await?;
        let sealing = Sealing::of(&attributes.encryption, bucket.as_str(), key.as_str());
        let written = self.write_parts(upload.body, upload.declared_length, limit, part_size, &sealing, upload.content_md5.is_some()).await?;
        let segments: Vec<&Segment> = written.parts.iter().map(|(segment, _)| segment).collect();
        if upload.content_md5.is_some() {
            let md5 = written.md5.ok_or_else(|| ObjectError::Internal("the body's MD5 was not kept for its Content-MD5".to_owned()))?;
            self.check_content_md5(&md5, &segments, upload.content_md5.as_deref()).await?;
        }
        let etag = match written.parts.as_slice() {
            [(_, md5)] => hex::encode(md5),
            parts => multipart_etag(parts.iter().map(|(_, md5)| md5.as_slice())),
        };
        let info = ObjectInfo {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: written.parts.iter().map(|(segment, _)| segment.size).sum(),
            etag: format!("\"{etag}\""),
            attributes,
            modified_at: self.now(),
            owner: owner.to_owned(),
            segments: written.parts.into_iter().map(|(segment, _)| segment).collect(),
            checksum: upload.checksum.get().cloned(),
            version_id,
        };
        self.commit(&info, &upload.condition, versioned).await?;
        Ok(info)
    }

    /// The object, if the preconditions hold.
    pub async fn object(&self, bucket: &BucketName, key: &ObjectKey, conditions: &Conditions) -> Result<ObjectInfo> {
        let record = match self.store.object(bucket, key).await? {
            Some(record) => record,
            None => return Err(self.missing(bucket, key).await),
        };
        let info = ObjectInfo::from_record(&record)?;
        conditions.check(&info)?;
        Ok(info)
    }

    /// The bytes of `range` of the object, read lazily segment by segment; an encrypted segment's chunks
    /// are opened as they arrive, and a chunk that fails its check ends the stream with an error.
    pub fn read(&self, info: &ObjectInfo, range: Range<u64>) -> ByteStream<ObjectError> {
        let mut pieces = Vec::new();
        let mut offset = 0u64;
        for segment in &info.segments {
            let segment_range = offset..offset + segment.size;
            let start = range.start.max(segment_range.start);
            let end = range.end.min(segment_range.end);
            if start < end {
                pieces.push((segment.clone(), start - offset..end - offset));
            }
            offset += segment.size;
        }
        let (blobs, sealing_key, kms) = (self.blobs.clone(), self.sealing_key.clone(), self.kms.clone());
        futures::stream::iter(pieces)
            .then(move |(segment, range)| {
                let (blobs, sealing_key, kms) = (blobs.clone(), sealing_key.clone(), kms.clone());
                async move {
                    let key = match &segment.key {
                        Some(stored) => Some(Objects::data_key(&sealing_key, &kms, &segment, stored).await?),
                        None => None,
                    };
                    let Some(key) = key else {
                        return Ok::<_, ObjectError>(blobs.read(&segment.blob, range).await?.map_err(ObjectError::from).boxed());
                    };
                    let span = s3cognito_crypto::chunks::span(&range, segment.size);
                    let stored = blobs.read(&segment.blob, span.stored).await?;
                    Ok(opened(stored, Opener::new(key, &range, segment.size), segment.blob))
                }
            })
            .try_flatten()
            .boxed()
    }

    /// The object's tags.
    pub async fn object_tags(&self, bucket: &BucketName, key: &ObjectKey) -> Result<Tags> {
        Ok(self.object(bucket, key, &Conditions::default()).await?.attributes.tags)
    }

    /// Replaces the object's tags with `pairs` (none removes them).
    pub async fn put_object_tags(&self, bucket: &BucketName, key: &ObjectKey, pairs: Vec<(String, String)>) -> Result<()> {
        let tags = Tags::new(pairs, Tagged::Object)?;
        if self.store.set_object_tags(bucket, key, tags.to_column()?.as_deref()).await? {
            return Ok(());
        }
        self.bucket(bucket).await?;
        Err(ObjectError::NoSuchKey)
    }

    /// Why the key reads as missing: its current version is a delete marker, or it has none; or the bucket
    /// is not there.
    async fn missing(&self, bucket: &BucketName, key: &ObjectKey) -> ObjectError {
        match self.store.current_delete_marker(bucket, key).await {
            Ok(Some(marker)) => {
                ObjectError::DeleteMarker { version_id: marker.object.version_id, modified_at: marker.object.modified_at, named: false }
            }
            Ok(None) => match self.bucket(bucket).await {
                Ok(_) => ObjectError::NoSuchKey,
                Err(error) => error,
            },
            Err(error) => error.into(),
        }
    }

    /// The id a new object in `bucket` gets (a fresh one while the bucket is versioning, else none: the null
    /// version), and whether the bucket's versioning was ever set. `NoSuchBucket` when there is no such bucket.
    async fn next_version_id(&self, bucket: &BucketName) -> Result<(Option<String>, bool)> {
        let versioning = self.bucket(bucket).await?.versioning;
        Ok(((versioning == Some(Versioning::Enabled)).then(new_version_id), versioning.is_some()))
    }

    /// Deletes the key's current version, made by `owner`; deleting a missing key succeeds, as in S3. In a
    /// bucket that has versioned a delete marker takes its place, which the answer names.
    pub async fn delete_object(&self, bucket: &BucketName, key: &ObjectKey, owner: &str) -> Result<Removal> {
        let deletion = self.store.delete_object(bucket, key, &new_version_id(), owner, blobs_of, self.now()).await?;
        let Some(marker) = deletion.marker else {
            if deletion.removed.is_none() {
                self.bucket(bucket).await?;
            }
            return Ok(Removal::default());
        };
        Ok(Removal { delete_marker: true, version_id: Some(stated(marker.as_deref())) })
    }

    /// Copies an object, bytes included: objects never share blobs, so each can go on its own.
    pub async fn copy_object(
        &self,
        source: &ObjectInfo,
        bucket: &BucketName,
        key: &ObjectKey,
        owner: &str,
        replace_attributes: Option<ObjectAttributes>,
        encryption: &Encryption,
    ) -> Result<ObjectInfo> {
        let (version_id, versioned) = self.next_version_id(bucket).await?;
        let body = self.read(source, 0..source.size);
        let sealing = Sealing::of(encryption, bucket.as_str(), key.as_str());
        let written = self.write_blob(body, Some(source.size), MAX_SINGLE_UPLOAD, &sealing).await?;
        let info = ObjectInfo {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: written.segment.size,
            // A copy of a multipart object is one part: its ETag is the plain MD5, as in S3.
            etag: format!("\"{}\"", hex::encode(written.md5)),
            attributes: replace_attributes.unwrap_or_else(|| source.attributes.clone()),
            modified_at: self.now(),
            owner: owner.to_owned(),
            segments: vec![written.segment],
            checksum: source.checksum.clone(),
            version_id,
        };
        self.commit(&info, &WriteCondition::default(), versioned).await?;
        Ok(info)
    }

    /// Removes the bytes of blobs that have been garbage for longer than the grace period.
    /// Also reclaims blobs whose writer never committed them (a crash between bytes and row) once
    /// they have been pending for `PENDING_GRACE_SECONDS`.
    pub async fn reclaim_garbage(&self) -> Result<usize> {
        let cutoff = self.now() - GARBAGE_GRACE_SECONDS;
        let mut reclaimed = 0;
        loop {
            let stale = self.store.stale_pending_blobs(self.now() - PENDING_GRACE_SECONDS, 100).await?;
            if stale.is_empty() {
                break;
            }
            // Abandoned blobs become garbage, unreferenced since they were reserved, so the loop below
            // deletes their bytes; a writer committing one later is refused rather than left naming nothing.
            for blob in stale {
                self.store.abandon_pending_blob(&blob).await?;
            }
        }
        loop {
            let batch = self.store.garbage(cutoff, 100).await?;
            if batch.is_empty() {
                return Ok(reclaimed);
            }
            for blob in batch {
                self.blobs.delete(&blob).await?;
                self.store.forget_garbage(&blob).await?;
                reclaimed += 1;
            }
        }
    }
}

/// A multipart object's ETag, unquoted: the MD5 of its parts' MD5s, then their count.
pub(crate) fn multipart_etag<'a>(part_md5s: impl Iterator<Item = &'a [u8]>) -> String {
    let mut md5_of_md5s = Md5::new();
    let mut count = 0;
    for md5 in part_md5s {
        md5_of_md5s.update(md5);
        count += 1;
    }
    format!("{}-{count}", hex::encode(md5_of_md5s.finalize()))
}

impl From<ObjectError> for BodyError {
    fn from(error: ObjectError) -> Self {
        BodyError::Incomplete(error.to_string())
    }
}
