//! A signed-in user's own files: identity-pool credentials for the user's ID token, then S3 under
//! `private/<identityId>/`, as Amplify Storage's private level keeps them; and the upload's record on the
//! GraphQL API, as an app records it with `createUploadJob`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use futures::{StreamExt, TryStreamExt};
use s3cognito_crypto::message::{Frames, Header, MAX_HEADER, MessageError, Opener, Sealer, Suite};
use tokio::io::AsyncReadExt;

use crate::encryption::{FORMAT, Keys, MARK};
use crate::{AwsExports, ClientError, Result, SignedIn};

/// The smallest part S3 takes, but for the last.
pub const MIN_PART_SIZE: u64 = 5 << 20;
/// S3's most parts of one upload.
const MAX_PARTS: u64 = 10_000;

/// How an upload is cut: the part size (grown when the file would need more than 10,000 parts) and how
/// many parts are in flight; and whether the file is encrypted here before it is sent.
#[derive(Debug, Clone)]
pub struct UploadPlan {
    pub part_size: u64,
    pub parallel: usize,
    /// The most bytes a second to send, on average; `None` for as fast as the link goes.
    pub max_bytes_per_second: Option<u64>,
    /// The KMS key (id, ARN or alias) to encrypt the file under on this machine, so the server stores
    /// only ciphertext; `None` to send it as it is.
    pub encrypt_with: Option<String>,
}

impl Default for UploadPlan {
    fn default() -> Self {
        UploadPlan { part_size: 8 << 20, parallel: 4, max_bytes_per_second: None, encrypt_with: None }
    }
}

impl UploadPlan {
    /// The part size for a file of `size` bytes: the planned one, or the smallest multiple of 1 MiB that
    /// keeps the part count within S3's limit.
    pub fn part_size_for(&self, size: u64) -> u64 {
        let needed = size.div_ceil(MAX_PARTS).next_multiple_of(1 << 20);
        self.part_size.max(MIN_PART_SIZE).max(needed)
    }
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub size: u64,
    /// The parts it was sent in (1 for a single PUT).
    pub parts: u64,
    /// Parts an earlier, interrupted run had stored, not sent again.
    pub resumed_parts: u64,
}

/// Identity-pool credentials for one identity, fetched again as they near their expiry (the SDK's cache
/// asks before a request when they do). When the ID token they are traded for has expired too, it is
/// renewed with the refresh token first, so an upload of any length keeps its credentials.
#[derive(Debug, Clone)]
struct IdentityCredentials(Arc<IdentitySource>);

#[derive(Debug)]
struct IdentitySource {
    identity: aws_sdk_cognitoidentity::Client,
    pool: String,
    /// Learned with GetId the first time.
    identity_id: tokio::sync::OnceCell<String>,
    /// The login name of the user pool, `cognito-idp.<region>.amazonaws.com/<pool id>`.
    provider: String,
    user_pool: crate::UserPoolClient,
    refresh_token: Option<String>,
    id_token: tokio::sync::Mutex<String>,
}

impl IdentitySource {
    async fn credentials(&self) -> Result<aws_sdk_s3::config::Credentials> {
        let mut id_token = self.id_token.lock().await;
        match (self.trade(&id_token).await, &self.refresh_token) {
            (Err(ClientError::Service { code, .. }), Some(refresh_token)) if code == "NotAuthorizedException" => {
                *id_token = self.user_pool.refresh(refresh_token).await?.id_token;
                self.trade(&id_token).await
            }
            (outcome, _) => outcome,
        }
    }

    /// GetId (the first time), then GetCredentialsForIdentity for `id_token`, as Amplify does.
    async fn trade(&self, id_token: &str) -> Result<aws_sdk_s3::config::Credentials> {
        let identity_id = self
            .identity_id
            .get_or_try_init(|| async {
                self.identity
                    .get_id()
                    .identity_pool_id(&self.pool)
                    .logins(&self.provider, id_token)
                    .send()
                    .await
                    .map_err(sdk_error)?
                    .identity_id
                    .ok_or_else(|| ClientError::Protocol("GetId answered no IdentityId".to_owned()))
            })
            .await?;
        let answer = self
            .identity
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&self.provider, id_token)
            .send()
            .await
            .map_err(sdk_error)?;
        let credentials = answer.credentials.ok_or_else(|| ClientError::Protocol("no Credentials".to_owned()))?;
        let expiry = credentials.expiration.and_then(|time| std::time::SystemTime::try_from(time).ok());
        Ok(aws_sdk_s3::config::Credentials::new(
            credentials.access_key_id.unwrap_or_default(),
            credentials.secret_key.unwrap_or_default(),
            credentials.session_token,
            expiry,
            "cognito-identity",
        ))
    }
}

impl aws_sdk_s3::config::ProvideCredentials for IdentityCredentials {
    fn provide_credentials<'a>(&'a self) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            self.0.credentials().await.map_err(aws_credential_types::provider::error::CredentialsError::provider_error)
        })
    }
}

/// A multipart upload under way, remembered in a file of the user's until it completes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Unfinished {
    key: String,
    upload_id: String,
    size: u64,
    part_size: u64,
    /// For a file encrypted here, the message it is sent as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<SealedUpload>,
}

/// What continues an encrypted upload with the same bytes: the message's header (its wrapped data key
/// and message id; the data key itself is never written down, but unwrapped by KMS again), and the file
/// it was made for, as its size, time of change and inode say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SealedUpload {
    header: String,
    source: SourceStamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceStamp {
    size: u64,
    modified_ns: i64,
    inode: u64,
}

impl SourceStamp {
    fn of(metadata: &std::fs::Metadata) -> SourceStamp {
        use std::os::unix::fs::MetadataExt;
        let modified_ns = metadata.mtime().saturating_mul(1_000_000_000).saturating_add(metadata.mtime_nsec());
        SourceStamp { size: metadata.len(), modified_ns, inode: metadata.ino() }
    }
}

impl Unfinished {
    /// Where the upload of the file at `path` to `bucket`/`key` is remembered under `directory`.
    fn place(directory: &Path, bucket: &str, key: &str, path: &Path) -> Result<std::path::PathBuf> {
        use md5::{Digest, Md5};
        let failed = |error: std::io::Error| ClientError::Config(format!("{}: {error}", directory.display()));
        let file = std::fs::canonicalize(path).map_err(|error| ClientError::Config(format!("{}: {error}", path.display())))?;
        std::fs::create_dir_all(directory).map_err(failed)?;
        let mut digest = Md5::new();
        for piece in [bucket.as_bytes(), b"\n", key.as_bytes(), b"\n", file.as_os_str().as_encoded_bytes()] {
            digest.update(piece);
        }
        Ok(directory.join(format!("{}.json", hex_of(&digest.finalize()))))
    }

    fn read(record: &Path) -> Option<Unfinished> {
        serde_json::from_slice(&std::fs::read(record).ok()?).ok()
    }

    /// Writes the record whole (a fresh file renamed over the old), readable by its owner only.
    fn write(&self, record: &Path) -> Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let failed = |error: std::io::Error| ClientError::Config(format!("{}: {error}", record.display()));
        let fresh = record.with_extension(format!("{}.tmp", std::process::id()));
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&fresh).map_err(failed)?;
        let text = serde_json::to_vec(self).map_err(|error| ClientError::Config(error.to_string()))?;
        file.write_all(&text).and_then(|()| file.sync_all()).map_err(failed)?;
        std::fs::rename(&fresh, record).map_err(failed)
    }

    async fn forget(record: &Path) {
        let _ = tokio::fs::remove_file(record).await;
    }
}

/// How far a transfer is: bytes done, of the total (known once the transfer starts).
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

/// A downloaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Downloaded {
    /// The bytes written (the plaintext's, when decrypted).
    pub size: u64,
    /// Bytes an earlier, interrupted download had written, not fetched again.
    pub resumed_from: u64,
    /// It was decrypted here.
    pub decrypted: bool,
}

/// How a download goes: how many parts of a multipart object are fetched at once, the most bytes a
/// second to fetch, on average (`None` for as fast as the link goes), and whether it is decrypted.
#[derive(Debug, Clone, Copy)]
pub struct DownloadPlan {
    pub parallel: usize,
    pub max_bytes_per_second: Option<u64>,
    pub decrypt: Decrypt,
}

impl Default for DownloadPlan {
    fn default() -> Self {
        DownloadPlan { parallel: 4, max_bytes_per_second: None, decrypt: Decrypt::Marked }
    }
}

/// Which downloads are decrypted on this machine (AWS Encryption SDK messages, their data key unwrapped
/// by KMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decrypt {
    /// Those the client encrypted before it uploaded them, as their metadata says.
    #[default]
    Marked,
    /// Every one: a message encrypted elsewhere with the AWS Encryption SDK.
    Always,
    /// None: the stored ciphertext as it is.
    Never,
}

/// The plaintext of one ranged GET of a download decrypted as it arrives (whole frames, at least one).
const RANGE_PLAINTEXT: u64 = 8 << 20;

/// The bytes written to disk at a time, off the async threads.
const WRITE_BUFFER: usize = 1 << 20;

/// The file a download is written into beside its destination, named for the object's ETag, until it is
/// whole; and, for a download in parts, the list of parts finished in it (a part number a line, appended
/// once the part's bytes are in the file).
struct Partial {
    file: std::path::PathBuf,
    parts: std::path::PathBuf,
    /// Where a download that is decrypted is decrypted into, until it is whole and has passed its checks.
    plain: std::path::PathBuf,
    /// The fetched bytes are what the destination becomes, so they are synced before the rename; the
    /// ciphertext of a download that is decrypted is not (its plaintext is).
    durable: bool,
    /// For a download decrypted as it arrives, the list of ranges finished in `plain` (a line each: its
    /// number and the CRC32 of its plaintext).
    ranges: std::path::PathBuf,
}

/// The ranges the list at `list` names, of `count`, with the CRC32 (hex) of the plaintext each wrote; `None`
/// when there is no list.
async fn listed_ranges(list: &Path, count: u64) -> Option<BTreeMap<u64, String>> {
    let listed = finished_lines(list).await?;
    Some(
        listed
            .lines()
            .filter_map(|line| {
                let (range, digest) = line.trim().split_once(' ')?;
                Some((range.parse().ok()?, digest.to_owned()))
            })
            .filter(|(range, _)| *range < count)
            .collect(),
    )
}

/// The text of a list of finished pieces, when it is a plain file.
async fn finished_lines(list: &Path) -> Option<String> {
    match tokio::fs::symlink_metadata(list).await {
        Ok(metadata) if metadata.file_type().is_file() => tokio::fs::read_to_string(list).await.ok(),
        _ => None,
    }
}

/// The numbers the list at `list` names, of `count`; `None` when there is no list.
async fn finished_in(list: &Path, count: u64) -> Option<std::collections::BTreeSet<u64>> {
    let listed = finished_lines(list).await?;
    Some(listed.lines().filter_map(|line| line.trim().parse().ok()).filter(|number| *number < count).collect())
}

impl Partial {
    fn beside(dest: &Path, etag: &str) -> Partial {
        let name = dest.file_name().and_then(|name| name.to_str()).unwrap_or("download");
        let tag: String = etag.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        Partial {
            file: dest.with_file_name(format!(".{name}.{tag}.s3cognito-partial")),
            parts: dest.with_file_name(format!(".{name}.{tag}.s3cognito-parts")),
            plain: dest.with_file_name(format!(".{name}.{tag}.s3cognito-plain")),
            durable: true,
            ranges: dest.with_file_name(format!(".{name}.{tag}.s3cognito-ranges")),
        }
    }

    fn failed(&self) -> impl Fn(std::io::Error) -> ClientError + '_ {
        |error| ClientError::Config(format!("{}: {error}", self.file.display()))
    }

    /// The length of the file an interrupted download left, when it is a plain file (a link, or anything
    /// else, is removed, never written through).
    async fn kept_length(&self) -> Result<Option<u64>> {
        match tokio::fs::symlink_metadata(&self.file).await {
            Ok(metadata) if metadata.file_type().is_file() => Ok(Some(metadata.len())),
            Ok(_) => {
                tokio::fs::remove_file(&self.file).await.map_err(self.failed())?;
                Ok(None)
            }
            Err(_) => Ok(None),
        }
    }

    /// The parts the list says are finished, of `count`; `None` when there is no list.
    async fn finished_parts(&self, count: u64) -> Option<std::collections::BTreeSet<u64>> {
        finished_in(&self.parts, count).await
    }

    async fn remove(&self) {
        let _ = tokio::fs::remove_file(&self.file).await;
        let _ = tokio::fs::remove_file(&self.parts).await;
        let _ = tokio::fs::remove_file(&self.plain).await;
        let _ = tokio::fs::remove_file(&self.ranges).await;
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|joined| Err(std::io::Error::other(joined)))
}

/// Runs `work` on `buffer` with `state` off the async threads; both back, the buffer emptied for reuse.
async fn hand_off<S: Send + 'static>(
    mut state: S,
    mut buffer: Vec<u8>,
    work: impl FnOnce(&mut S, &[u8]) -> Result<()> + Send + 'static,
) -> Result<(S, Vec<u8>)> {
    tokio::task::spawn_blocking(move || {
        work(&mut state, &buffer)?;
        buffer.clear();
        Ok((state, buffer))
    })
    .await
    .map_err(|error| ClientError::Config(error.to_string()))?
}

/// The MD5 of `length` bytes of `file` from `offset`, read a buffer at a time.
async fn digest_of_range(file: Arc<std::fs::File>, offset: u64, length: u64) -> std::io::Result<[u8; 16]> {
    use md5::Digest;
    let hasher = fold_range(file, offset, length, md5::Md5::new(), |hasher, bytes| hasher.update(bytes)).await?;
    Ok(hasher.finalize().into())
}

/// The CRC32 of `length` bytes of `file` from `offset`: what a decrypted range is checked by when a
/// download continues (not MD5, which would cost a decrypting download as much as the rest of its work).
async fn crc_of_range(file: Arc<std::fs::File>, offset: u64, length: u64) -> std::io::Result<u32> {
    Ok(fold_range(file, offset, length, crc32fast::Hasher::new(), |hasher, bytes| hasher.update(bytes)).await?.finalize())
}

/// `length` bytes of `file` from `offset`, read a buffer at a time off the async threads, into `state`.
async fn fold_range<S: Send + 'static>(
    file: Arc<std::fs::File>,
    offset: u64,
    length: u64,
    mut state: S,
    update: impl Fn(&mut S, &[u8]) + Send + 'static,
) -> std::io::Result<S> {
    blocking(move || {
        use std::os::unix::fs::FileExt;
        let mut buffer = vec![0; WRITE_BUFFER];
        let mut at = offset;
        while at < offset + length {
            let take = usize::try_from(offset + length - at).unwrap_or(usize::MAX).min(buffer.len());
            file.read_exact_at(&mut buffer[..take], at)?;
            update(&mut state, &buffer[..take]);
            at += take as u64;
        }
        Ok(state)
    })
    .await
}

/// S3's refusal, with a key that is not there said plainly.
fn not_found<E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: aws_sdk_s3::error::SdkError<E, R>,
    key: &str,
) -> ClientError {
    match sdk_error(error) {
        ClientError::Service { code, .. } if code == "NoSuchKey" || code == "NotFound" => {
            ClientError::Service { code: "NoSuchKey".to_owned(), message: format!("there is no {key}") }
        }
        other => other,
    }
}

/// Spaces the parts' starts so that, on average, no more than the planned rate is sent.
struct Pacer {
    bytes_per_second: Option<u64>,
    started: tokio::time::Instant,
    scheduled: std::sync::Mutex<u64>,
}

impl Pacer {
    fn new(bytes_per_second: Option<u64>) -> Pacer {
        Pacer { bytes_per_second: bytes_per_second.filter(|rate| *rate > 0), started: tokio::time::Instant::now(), scheduled: Default::default() }
    }

    /// Waits until `length` more bytes may be sent.
    async fn wait_to_send(&self, length: u64) {
        let Some(rate) = self.bytes_per_second else { return };
        let before = {
            let mut scheduled = self.scheduled.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let before = *scheduled;
            *scheduled += length;
            before
        };
        tokio::time::sleep_until(self.started + std::time::Duration::from_secs_f64(before as f64 / rate as f64)).await;
    }
}

/// The user's storage: an S3 client with the identity's temporary credentials.
#[derive(Debug, Clone)]
pub struct UserStorage {
    s3: aws_sdk_s3::Client,
    keys: Keys,
    bucket: String,
    identity_id: String,
    exports: AwsExports,
}

pub(crate) fn sdk_error<E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    error: aws_sdk_s3::error::SdkError<E, R>,
) -> ClientError {
    match error.as_service_error() {
        Some(service) => ClientError::Service {
            code: service.code().unwrap_or("Unknown").to_owned(),
            message: service.message().unwrap_or_default().to_owned(),
        },
        None => ClientError::Transport(format!("{error:?}")),
    }
}

impl UserStorage {
    /// Trades the user's ID token for the identity pool's temporary credentials (GetId, then
    /// GetCredentialsForIdentity), as Amplify does.
    pub async fn open(exports: &AwsExports, signed_in: &SignedIn) -> Result<UserStorage> {
        use aws_sdk_cognitoidentity::config::{BehaviorVersion, Credentials, Region};
        let pool = exports
            .aws_cognito_identity_pool_id
            .clone()
            .ok_or_else(|| ClientError::Config("aws-exports.json names no identity pool (aws_cognito_identity_pool_id)".to_owned()))?;
        let bucket = exports
            .aws_user_files_s3_bucket
            .clone()
            .ok_or_else(|| ClientError::Config("aws-exports.json names no bucket (aws_user_files_s3_bucket)".to_owned()))?;
        let region = Region::new(exports.aws_cognito_region.clone());
        let mut config = aws_sdk_cognitoidentity::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region.clone())
            // GetId and GetCredentialsForIdentity are unsigned; the SDK still wants a provider.
            .credentials_provider(Credentials::new("public", "public", None, None, "s3cognito-client"));
        if let Some(endpoint) = &exports.s3cognito_endpoint {
            config = config.endpoint_url(endpoint);
        }
        let identity = aws_sdk_cognitoidentity::Client::from_conf(config.build());
        let provider = format!("cognito-idp.{}.amazonaws.com/{}", exports.aws_cognito_region, exports.aws_user_pools_id);
        let source = IdentitySource {
            identity,
            pool,
            identity_id: tokio::sync::OnceCell::new(),
            provider,
            user_pool: crate::UserPoolClient::new(exports.clone()),
            refresh_token: signed_in.refresh_token.clone(),
            id_token: tokio::sync::Mutex::new(signed_in.id_token.clone()),
        };
        // Fetched once now, so a refusal is said plainly here rather than by the first S3 call.
        source.credentials().await?;
        let identity_id = source.identity_id.get().cloned().unwrap_or_default();
        let credentials = IdentityCredentials(Arc::new(source));
        let bucket_region = exports
            .other
            .get("aws_user_files_s3_bucket_region")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&exports.aws_cognito_region)
            .to_owned();
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(bucket_region))
            .credentials_provider(credentials.clone());
        if let Some(endpoint) = &exports.s3cognito_endpoint {
            config = config.endpoint_url(endpoint).force_path_style(true);
        }
        let mut kms = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new(exports.aws_cognito_region.clone()))
            .credentials_provider(credentials);
        if let Some(endpoint) = &exports.s3cognito_endpoint {
            kms = kms.endpoint_url(endpoint);
        }
        let keys = Keys { kms: aws_sdk_kms::Client::from_conf(kms.build()) };
        Ok(UserStorage { s3: aws_sdk_s3::Client::from_conf(config.build()), keys, bucket, identity_id, exports: exports.clone() })
    }

    pub fn identity_id(&self) -> &str {
        &self.identity_id
    }

    /// `private/<identityId>/<name>`.
    pub fn key_of(&self, name: &str) -> String {
        format!("private/{}/{name}", self.identity_id)
    }

    /// Uploads the file at `path` to `key`: one PUT when it fits in a part, else a multipart upload with
    /// `plan.parallel` parts in flight, each read from the file when it is sent (memory stays at about
    /// `parallel × part size`). `progress` counts the bytes stored so far, of the object's size.
    ///
    /// With `plan.encrypt_with`, the file is encrypted here (an AWS Encryption SDK message under a new data
    /// key from that KMS key) and the server is sent only the ciphertext, each part sealed from the
    /// plaintext it covers as it is read; the object is marked so `download` decrypts it.
    ///
    /// With `resume` (a directory of the user's), a multipart upload is remembered there until it
    /// completes: if it is interrupted, the same upload run again continues it, sending only the parts
    /// the server does not hold with the file's current bytes (each stored part's MD5 is checked against
    /// the file, so a file changed since is sent again where it changed). An encrypted upload continues
    /// under the same header only while the file is unchanged; one changed since is encrypted afresh, never
    /// with the same data key over other bytes.
    pub async fn upload(
        &self,
        path: &Path,
        key: &str,
        content_type: &str,
        plan: UploadPlan,
        progress: Arc<Progress>,
        resume: Option<&Path>,
    ) -> Result<Uploaded> {
        let source = tokio::fs::metadata(path).await.map_err(|error| ClientError::Config(format!("{}: {error}", path.display())))?;
        let record = match resume {
            Some(directory) => Some(Unfinished::place(directory, &self.bucket, key, path)?),
            None => None,
        };
        let sealed = match &plan.encrypt_with {
            Some(key_id) => Some(self.sealer_for(record.as_deref(), key, key_id, &source).await?),
            None => None,
        };
        let content_type = if sealed.is_some() { "application/octet-stream" } else { content_type };
        let size = sealed.as_ref().map_or(source.len(), |(sealer, _)| sealer.message_len());
        let part_size = plan.part_size_for(size);
        progress.total.store(size, Ordering::Relaxed);
        let sent = &progress.done;
        let sealer = sealed.as_ref().map(|(sealer, _)| sealer.clone());
        let mark = encryption_mark(sealed.is_some());
        if size <= part_size {
            let body = match &sealer {
                Some(sealer) => ByteStream::from(read_source(path, Some(sealer), 0, size).await?),
                None => ByteStream::from_path(path).await.map_err(|error| ClientError::Config(format!("{}: {error}", path.display())))?,
            };
            let answer = self
                .s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .set_metadata(mark)
                .body(body)
                .send()
                .await
                .map_err(sdk_error)?;
            sent.fetch_add(size, Ordering::Relaxed);
            let etag = answer.e_tag.unwrap_or_default();
            return Ok(Uploaded { bucket: self.bucket.clone(), key: key.to_owned(), etag, size, parts: 1, resumed_parts: 0 });
        }
        let remembered = sealed.map(|(_, remembered)| remembered);
        let (upload_id, stored) = self.unfinished_or_new(record.as_deref(), key, content_type, size, part_size, remembered).await?;
        if let Some(sealer) = &sealer {
            // Parts stored before are sent again only if they are what the file now gives: a file changed
            // under the same header would put other bytes under the same data key.
            if !stored_parts_unchanged(path, sealer, &stored, part_size, size, plan.parallel).await? {
                let _ = self.s3.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
                if let Some(record) = &record {
                    Unfinished::forget(record).await;
                }
                return Err(ClientError::Config(format!(
                    "{} changed since its encrypted upload was interrupted; that upload is dropped: run the upload again to encrypt it afresh",
                    path.display()
                )));
            }
        }
        let parts = size.div_ceil(part_size);
        let pacer = Pacer::new(plan.max_bytes_per_second);
        let stored_count = AtomicU64::new(0);
        let result = futures::stream::iter(1..=parts)
            .map(|number| {
                let upload_id = upload_id.clone();
                let stored = stored.get(&(number as i32)).cloned();
                let (pacer, stored_count, sealer) = (&pacer, &stored_count, sealer.as_ref());
                async move {
                    let offset = (number - 1) * part_size;
                    let length = part_size.min(size - offset);
                    let resumed = |etag: String| {
                        sent.fetch_add(length, Ordering::Relaxed);
                        stored_count.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, ClientError>((CompletedPart::builder().part_number(number as i32).e_tag(etag).build(), true))
                    };
                    if let (Some((_, etag)), Some(_)) = (&stored, sealer) {
                        // Checked against the file before any part was sent.
                        return resumed(etag.clone());
                    }
                    let bytes = read_source(path, sealer, offset, length).await?;
                    if let Some((stored_size, etag)) = stored {
                        use md5::{Digest, Md5};
                        if stored_size == length && etag.trim_matches('"') == hex_of(&Md5::digest(&bytes)) {
                            return resumed(etag);
                        }
                    }
                    pacer.wait_to_send(length).await;
                    let answer = self
                        .s3
                        .upload_part()
                        .bucket(&self.bucket)
                        .key(key)
                        .upload_id(&upload_id)
                        .part_number(number as i32)
                        .content_length(length as i64)
                        .body(ByteStream::from(bytes))
                        .send()
                        .await
                        .map_err(sdk_error)?;
                    sent.fetch_add(length, Ordering::Relaxed);
                    stored_count.fetch_add(1, Ordering::Relaxed);
                    Ok((CompletedPart::builder().part_number(number as i32).set_e_tag(answer.e_tag).build(), false))
                }
            })
            .buffered(plan.parallel.max(1))
            .try_collect::<Vec<_>>()
            .await;
        let completed = match result {
            Ok(completed) => completed,
            Err(error) if record.is_some() => {
                // The parts stored so far wait on the server for the same upload to be run again.
                let stored = stored_count.load(Ordering::Relaxed);
                return Err(ClientError::Interrupted { stored, parts, reason: Box::new(error) });
            }
            Err(error) => {
                // Nothing half-written stays behind: the parts sent so far are dropped with the upload.
                let _ = self.s3.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
                return Err(error);
            }
        };
        let resumed_parts = completed.iter().filter(|(_, resumed)| *resumed).count() as u64;
        let completed: Vec<CompletedPart> = completed.into_iter().map(|(part, _)| part).collect();
        let answer = self
            .s3
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
            .send()
            .await;
        if let Some(record) = &record {
            Unfinished::forget(record).await;
        }
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let _ = self.s3.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
                return Err(sdk_error(error));
            }
        };
        let etag = answer.e_tag.unwrap_or_default();
        Ok(Uploaded { bucket: self.bucket.clone(), key: key.to_owned(), etag, size, parts, resumed_parts })
    }

    /// The message the file is sent as, under `key_id`: the one an interrupted upload of the same,
    /// unchanged file to `key` began (its data key unwrapped by KMS again), else a new one. With what
    /// continues it, for the upload's record.
    async fn sealer_for(&self, record: Option<&Path>, key: &str, key_id: &str, source: &std::fs::Metadata) -> Result<(Arc<Sealer>, SealedUpload)> {
        let stamp = SourceStamp::of(source);
        if let Some(earlier) = record.and_then(Unfinished::read).filter(|earlier| earlier.key == key) {
            // Only while the server still holds the upload: its stored parts are what shows a file changed
            // behind an unchanged time of change, before anything is sent under the same header.
            if let Some(sealed) = earlier.sealed.filter(|sealed| sealed.source == stamp)
                && self.stored_parts(key, &earlier.upload_id).await?.is_some()
            {
                // A header KMS no longer opens (a key disabled since) starts the upload afresh.
                if let Ok(sealer) = self.keys.resume(&sealed.header, source.len()).await {
                    return Ok((Arc::new(sealer), sealed));
                }
            }
        }
        let context = BTreeMap::from([("s3cognito-object".to_owned(), format!("{}/{key}", self.bucket))]);
        let sealer = self.keys.seal(key_id, context, source.len()).await?;
        let header = base64::engine::general_purpose::STANDARD.encode(sealer.header().as_bytes());
        Ok((Arc::new(sealer), SealedUpload { header, source: stamp }))
    }

    /// The multipart upload to send `key`'s parts to, with the parts the server already holds (number →
    /// size and ETag): the one `record` remembers when it is for this file's size, part size and message
    /// (for a file encrypted here) and the server still has it, else a new one (remembered in `record`
    /// before a part is sent).
    async fn unfinished_or_new(
        &self,
        record: Option<&Path>,
        key: &str,
        content_type: &str,
        size: u64,
        part_size: u64,
        sealed: Option<SealedUpload>,
    ) -> Result<(String, BTreeMap<i32, (u64, String)>)> {
        if let Some(earlier) = record.and_then(Unfinished::read) {
            if earlier.key == key && earlier.size == size && earlier.part_size == part_size && earlier.sealed == sealed {
                if let Some(stored) = self.stored_parts(key, &earlier.upload_id).await? {
                    return Ok((earlier.upload_id, stored));
                }
            } else {
                // Planned differently (the file's size changed, its part size, or its encryption): start again.
                let _ = self.s3.abort_multipart_upload().bucket(&self.bucket).key(&earlier.key).upload_id(&earlier.upload_id).send().await;
            }
        }
        let mark = encryption_mark(sealed.is_some());
        let created = self
            .s3
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_metadata(mark)
            .send()
            .await
            .map_err(sdk_error)?;
        let upload_id = created.upload_id.ok_or_else(|| ClientError::Protocol("no UploadId".to_owned()))?;
        if let Some(record) = record {
            let unfinished = Unfinished { key: key.to_owned(), upload_id: upload_id.clone(), size, part_size, sealed };
            unfinished.write(record)?;
        }
        Ok((upload_id, BTreeMap::new()))
    }

    /// The parts of an upload the server holds, every page of them; `None` when the upload is gone.
    async fn stored_parts(&self, key: &str, upload_id: &str) -> Result<Option<BTreeMap<i32, (u64, String)>>> {
        let mut parts = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            let answer = self
                .s3
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_part_number_marker(marker.take())
                .send()
                .await;
            let answer = match answer {
                Ok(answer) => answer,
                Err(error)
                    if error.as_service_error().and_then(aws_sdk_s3::error::ProvideErrorMetadata::code) == Some("NoSuchUpload") =>
                {
                    return Ok(None);
                }
                Err(error) => return Err(sdk_error(error)),
            };
            for part in answer.parts() {
                if let (Some(number), Some(etag)) = (part.part_number(), part.e_tag()) {
                    parts.insert(number, (part.size().unwrap_or(0).max(0) as u64, etag.to_owned()));
                }
            }
            match answer.next_part_number_marker {
                Some(next) if answer.is_truncated == Some(true) => marker = Some(next),
                _ => return Ok(Some(parts)),
            }
        }
    }

    /// Writes the object at `key` to `dest`, into a file beside it named for the object's ETag and renamed
    /// when whole, and checks the bytes against the ETag: the MD5 of a simple object's bytes, or of a
    /// multipart object's parts' MD5s. A multipart object whose parts are of one size (its part size read
    /// with HEAD `partNumber=1`) is fetched a part to a ranged GET, `plan.parallel` at once, each written
    /// at its place in the file and hashed as it arrives, so the check needs no second pass; any other
    /// object is one stream. `progress` counts the bytes written so far, of the object's size.
    ///
    /// A download interrupted part-way leaves that file; the same download run again continues it, if the
    /// object is the same (`If-Match` its ETag): a stream from where it stopped, parts with the ones not
    /// finished (the finished ones hashed again from the file), and checks it whole.
    pub async fn download(&self, key: &str, dest: &Path, plan: DownloadPlan, progress: Arc<Progress>) -> Result<Downloaded> {
        let head = self.s3.head_object().bucket(&self.bucket).key(key).send().await.map_err(|error| not_found(error, key))?;
        let etag = head.e_tag.clone().unwrap_or_default();
        let size = head.content_length.unwrap_or(0).max(0) as u64;
        progress.total.store(size, Ordering::Relaxed);
        let marked = head.metadata.as_ref().and_then(|metadata| metadata.get(MARK)).is_some_and(|format| format == FORMAT);
        let decrypted = match plan.decrypt {
            Decrypt::Marked => marked,
            Decrypt::Always => true,
            Decrypt::Never => false,
        };
        let partial = Partial { durable: !decrypted, ..Partial::beside(dest, &etag) };
        if decrypted {
            match self.fetch_decrypting(key, &etag, size, &partial, plan, &progress).await {
                Ok(Some((kept, plaintext))) => {
                    tokio::fs::rename(&partial.plain, dest).await.map_err(|error| ClientError::Config(format!("{}: {error}", dest.display())))?;
                    partial.remove().await;
                    return Ok(Downloaded { size: plaintext, resumed_from: kept, decrypted });
                }
                // A signed message: fetched whole, then read in order below.
                Ok(None) => {}
                Err(error @ (ClientError::Transport(_) | ClientError::Config(_))) => {
                    let written = progress.done.load(Ordering::Relaxed);
                    return Err(ClientError::DownloadInterrupted { written, size, reason: Box::new(error) });
                }
                Err(ClientError::Protocol(reason)) => {
                    partial.remove().await;
                    return Err(does_not_decrypt(key, &reason));
                }
                Err(error) => return Err(error),
            }
        }
        let fetched = match self.part_size_of(key, &etag, size).await? {
            Some(part_size) => self.fetch_parts(key, &etag, size, part_size, &partial, plan, &progress).await,
            None => self.fetch_stream(key, &etag, size, &partial, plan, &progress).await,
        };
        let (kept, computed) = match fetched {
            Ok(fetched) => fetched,
            Err(error @ (ClientError::Transport(_) | ClientError::Config(_))) => {
                // Kept for the same download run again.
                let written = progress.done.load(Ordering::Relaxed);
                return Err(ClientError::DownloadInterrupted { written, size, reason: Box::new(error) });
            }
            Err(error) => {
                partial.remove().await;
                return Err(error);
            }
        };
        if computed.is_some_and(|computed| computed != etag.trim_matches('"')) {
            partial.remove().await;
            return Err(ClientError::Protocol(format!("the bytes of {key} did not match their ETag; nothing was written")));
        }
        let mut written = size;
        let whole = if decrypted {
            let _ = tokio::fs::remove_file(&partial.plain).await;
            match self.keys.open_file(&partial.file, &partial.plain).await {
                Ok(plaintext) => written = plaintext,
                // A message that does not open is not kept; a refusal from KMS keeps the fetched
                // ciphertext, for the same download run again once KMS allows it.
                Err(ClientError::Protocol(reason)) => {
                    partial.remove().await;
                    return Err(does_not_decrypt(key, &reason));
                }
                Err(error) => return Err(error),
            }
            &partial.plain
        } else {
            &partial.file
        };
        tokio::fs::rename(whole, dest).await.map_err(|error| ClientError::Config(format!("{}: {error}", dest.display())))?;
        partial.remove().await;
        Ok(Downloaded { size: written, resumed_from: kept, decrypted })
    }

    /// Fetches an encrypted object and decrypts it as it arrives, into `partial.plain` (mode 0600): its
    /// header first (its data key unwrapped by KMS), then ranges of whole frames ([`RANGE_PLAINTEXT`]),
    /// `plan.parallel` at once, each opened on its own and written at its plaintext's place; every frame is
    /// authenticated, and the final one says the message is whole. The ranges an interrupted run finished
    /// (listed beside) are not fetched again. The ciphertext bytes kept from before and the plaintext's
    /// length; `None` for a signed message, whose signature needs it read in order.
    async fn fetch_decrypting(
        &self,
        key: &str,
        etag: &str,
        size: u64,
        partial: &Partial,
        plan: DownloadPlan,
        progress: &Progress,
    ) -> Result<Option<(u64, u64)>> {
        let refused = |error: MessageError| ClientError::Protocol(error.to_string());
        let pacer = Pacer::new(plan.max_bytes_per_second);
        let unpaced = Pacer::new(None);
        let ignored = Progress::default();
        let mut start = self.fetch_bytes(key, etag, 0, size.min(64 << 10), &unpaced, &ignored).await?;
        if Header::parse(&start).map_err(refused)?.is_none() && size > start.len() as u64 {
            start = self.fetch_bytes(key, etag, 0, size.min(MAX_HEADER as u64), &unpaced, &ignored).await?;
        }
        let header = Header::parse(&start).map_err(refused)?.ok_or_else(|| refused(MessageError::Truncated))?;
        if header.suite != Suite::Committing {
            return Ok(None);
        }
        let frames = Frames::of(&header, size).map_err(refused)?;
        let data_key = self.keys.data_key(&header).await?;
        Opener::from_frame(&header, &data_key, 0).map_err(refused)?;
        let failed = |error: std::io::Error| ClientError::Config(format!("{}: {error}", partial.plain.display()));
        let per_range = (RANGE_PLAINTEXT / u64::from(header.frame_length)).max(1);
        let count = frames.count().div_ceil(per_range);
        let plaintext_len = frames.plaintext_len();
        let span = |range: u64| {
            let first = range * per_range;
            (first, (first + per_range).min(frames.count()))
        };
        // Where a range's plaintext lies in the file.
        let plain_span = |range: u64| {
            let (first, end) = span(range);
            let to = if end == frames.count() { plaintext_len } else { frames.plaintext_start(end) };
            (frames.plaintext_start(first), to - frames.plaintext_start(first))
        };
        let listed = match tokio::fs::symlink_metadata(&partial.plain).await {
            Ok(metadata) if metadata.file_type().is_file() && metadata.len() == plaintext_len => listed_ranges(&partial.ranges, count).await,
            _ => None,
        };
        let finished: std::collections::BTreeSet<u64> = match listed {
            // A range counts as finished when the file still holds the plaintext its line's CRC32 names:
            // the list may outlive bytes a crash kept from the disk.
            Some(listed) => {
                let file = Arc::new(std::fs::File::open(&partial.plain).map_err(failed)?);
                futures::stream::iter(listed)
                    .map(|(range, digest)| {
                        let (offset, length) = plain_span(range);
                        let file = file.clone();
                        async move { Ok::<_, std::io::Error>((range, format!("{:08x}", crc_of_range(file, offset, length).await?) == digest)) }
                    })
                    .buffer_unordered(plan.parallel.max(1))
                    .try_collect::<Vec<_>>()
                    .await
                    .map_err(failed)?
                    .into_iter()
                    .filter_map(|(range, same)| same.then_some(range))
                    .collect()
            }
            None => {
                partial.remove().await;
                use std::os::unix::fs::OpenOptionsExt;
                let file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&partial.plain).map_err(failed)?;
                file.set_len(plaintext_len).map_err(failed)?;
                std::fs::OpenOptions::new().write(true).create_new(true).open(&partial.ranges).map_err(failed)?;
                Default::default()
            }
        };
        let kept: u64 = finished.iter().map(|range| {
            let (first, end) = span(*range);
            frames.start(end) - frames.start(first)
        }).sum::<u64>();
        progress.done.fetch_add(kept + frames.start(0), Ordering::Relaxed);
        // One write at a time: decrypting leaves the ranges little else to do, and writers of one file
        // queued on its inode lock spin in the kernel (a profile showed most of the download's time there).
        let file = Arc::new(std::sync::Mutex::new(std::fs::OpenOptions::new().write(true).open(&partial.plain).map_err(failed)?));
        let list = Arc::new(std::fs::OpenOptions::new().append(true).open(&partial.ranges).map_err(failed)?);
        let (header, data_key) = (Arc::new(header), Arc::new(data_key));
        futures::stream::iter((0..count).filter(|range| !finished.contains(range)))
            .map(|range| {
                let (first, end) = span(range);
                let (file, list, header, data_key, pacer) = (file.clone(), list.clone(), header.clone(), data_key.clone(), &pacer);
                async move {
                    let opener = Opener::from_frame(&header, &data_key, first).map_err(refused)?;
                    let (from, length) = (frames.start(first), frames.start(end) - frames.start(first));
                    let crc = self.fetch_opening(key, etag, from, length, opener, end == frames.count(), file, frames.plaintext_start(first), pacer, progress).await?;
                    blocking(move || {
                        use std::io::Write;
                        (&*list).write_all(format!("{range} {crc:08x}\n").as_bytes())
                    })
                    .await
                    .map_err(|error| ClientError::Config(error.to_string()))
                }
            })
            .buffer_unordered(plan.parallel.max(1))
            .try_collect::<Vec<()>>()
            .await?;
        blocking(move || file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).sync_all()).await.map_err(failed)?;
        Ok(Some((kept, plaintext_len)))
    }

    /// Fetches `length` bytes of an encrypted object from `offset` (whole frames) and opens them as they
    /// arrive, a buffer at a time off the async threads, with `opener` (at the first of those frames),
    /// writing the plaintext into `file` from `plain_at`; `last` says they end the message. The
    /// plaintext's CRC32. A frame that does not open, or bytes that stop inside one, fail it.
    #[allow(clippy::too_many_arguments)]
    async fn fetch_opening(
        &self,
        key: &str,
        etag: &str,
        offset: u64,
        length: u64,
        opener: Opener,
        last: bool,
        file: Arc<std::sync::Mutex<std::fs::File>>,
        plain_at: u64,
        pacer: &Pacer,
        progress: &Progress,
    ) -> Result<u32> {
        let refused = |error: MessageError| ClientError::Protocol(error.to_string());
        /// What opening one buffer carries to the next: the opener, the CRC so far, the plaintext buffer
        /// (reused) and where the plaintext goes next.
        struct Opening {
            opener: Opener,
            crc: crc32fast::Hasher,
            plain: Vec<u8>,
            at: u64,
        }
        let open = move |state: &mut Opening, sealed: &[u8]| {
            use std::os::unix::fs::FileExt;
            state.opener.update(sealed, &mut state.plain).map_err(refused)?;
            state.crc.update(&state.plain);
            let file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            file.write_all_at(&state.plain, state.at).map_err(|error| ClientError::Config(error.to_string()))?;
            drop(file);
            state.at += state.plain.len() as u64;
            state.plain.clear();
            Ok(())
        };
        let opening = Opening { opener, crc: crc32fast::Hasher::new(), plain: Vec::with_capacity(WRITE_BUFFER), at: plain_at };
        let state = self.receive_range(key, etag, offset, length, pacer, progress, opening, open).await?;
        if last {
            state.opener.finish().map_err(refused)?;
        } else if !state.opener.between_frames() {
            return Err(refused(MessageError::Truncated));
        }
        Ok(state.crc.finalize())
    }

    /// Receives `length` bytes of the object from `offset` and hands them to `work` off the async threads,
    /// a buffer at a time, in order, with `state` carried from each buffer to the next: the state after the
    /// last. An answer longer or shorter than asked fails it.
    #[allow(clippy::too_many_arguments)]
    async fn receive_range<S: Send + 'static>(
        &self,
        key: &str,
        etag: &str,
        offset: u64,
        length: u64,
        pacer: &Pacer,
        progress: &Progress,
        state: S,
        work: impl Fn(&mut S, &[u8]) -> Result<()> + Clone + Send + 'static,
    ) -> Result<S> {
        let range = format!("bytes={offset}-{}", offset + length - 1);
        let mut body = self.s3.get_object().bucket(&self.bucket).key(key).if_match(etag).range(range).send().await.map_err(|error| not_found(error, key))?.body;
        let (mut state, mut buffer) = (state, Vec::with_capacity(WRITE_BUFFER));
        let mut received = 0u64;
        while let Some(chunk) = body.try_next().await.map_err(|error| ClientError::Transport(error.to_string()))? {
            pacer.wait_to_send(chunk.len() as u64).await;
            received += chunk.len() as u64;
            if received > length {
                return Err(ClientError::Protocol(format!("{key} answered more than the {length} bytes asked from {offset}")));
            }
            buffer.extend_from_slice(&chunk);
            if buffer.len() >= WRITE_BUFFER {
                let handed = buffer.len() as u64;
                (state, buffer) = hand_off(state, buffer, work.clone()).await?;
                progress.done.fetch_add(handed, Ordering::Relaxed);
            }
        }
        if received != length {
            return Err(ClientError::Transport(format!("{key}: the answer ended after {received} of the {length} bytes asked from {offset}")));
        }
        let handed = buffer.len() as u64;
        (state, _) = hand_off(state, buffer, work).await?;
        progress.done.fetch_add(handed, Ordering::Relaxed);
        Ok(state)
    }

    /// `length` bytes of the object from `offset`, held in memory.
    async fn fetch_bytes(&self, key: &str, etag: &str, offset: u64, length: u64, pacer: &Pacer, progress: &Progress) -> Result<Vec<u8>> {
        if length == 0 {
            return Ok(Vec::new());
        }
        let range = format!("bytes={offset}-{}", offset + length - 1);
        let mut body = self.s3.get_object().bucket(&self.bucket).key(key).if_match(etag).range(range).send().await.map_err(|error| not_found(error, key))?.body;
        let mut bytes = Vec::with_capacity(length as usize);
        while let Some(chunk) = body.try_next().await.map_err(|error| ClientError::Transport(error.to_string()))? {
            pacer.wait_to_send(chunk.len() as u64).await;
            if (bytes.len() + chunk.len()) as u64 > length {
                return Err(ClientError::Protocol(format!("{key} answered more than the {length} bytes asked from {offset}")));
            }
            bytes.extend_from_slice(&chunk);
            progress.done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        if bytes.len() as u64 != length {
            return Err(ClientError::Transport(format!("{key}: the answer ended after {} of the {length} bytes asked from {offset}", bytes.len())));
        }
        Ok(bytes)
    }

    /// Fetches the object in one stream into `partial`, appended to what an interrupted run left there;
    /// the bytes kept from before and the ETag the bytes give, when the object's is an MD5 (a simple
    /// object's).
    async fn fetch_stream(&self, key: &str, etag: &str, size: u64, partial: &Partial, plan: DownloadPlan, progress: &Progress) -> Result<(u64, Option<String>)> {
        use md5::Digest;
        use tokio::io::AsyncWriteExt;
        let failed = partial.failed();
        // What a download in parts left is not a prefix of the object: it is started again.
        let kept = match partial.kept_length().await? {
            Some(length) if length <= size && partial.finished_parts(u64::MAX).await.is_none() => Some(length),
            Some(_) => {
                partial.remove().await;
                None
            }
            None => None,
        };
        let mut hasher = md5::Md5::new();
        let mut file = match kept {
            Some(_) => {
                let mut earlier = tokio::fs::File::open(&partial.file).await.map_err(&failed)?;
                let mut buffer = vec![0; WRITE_BUFFER];
                loop {
                    let read = earlier.read(&mut buffer).await.map_err(&failed)?;
                    if read == 0 {
                        break;
                    }
                    hasher.update(&buffer[..read]);
                }
                tokio::fs::OpenOptions::new().append(true).open(&partial.file).await.map_err(&failed)?
            }
            None => tokio::fs::OpenOptions::new().write(true).create_new(true).open(&partial.file).await.map_err(&failed)?,
        };
        let kept = kept.unwrap_or(0);
        progress.done.fetch_add(kept, Ordering::Relaxed);
        let mut written = kept;
        if kept < size {
            let mut request = self.s3.get_object().bucket(&self.bucket).key(key).if_match(etag);
            if kept > 0 {
                request = request.range(format!("bytes={kept}-"));
            }
            let mut body = request.send().await.map_err(|error| not_found(error, key))?.body;
            let pacer = Pacer::new(plan.max_bytes_per_second);
            while let Some(chunk) = body.try_next().await.map_err(|error| ClientError::Transport(error.to_string()))? {
                pacer.wait_to_send(chunk.len() as u64).await;
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(&failed)?;
                written += chunk.len() as u64;
                progress.done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
        if partial.durable {
            file.sync_all().await.map_err(&failed)?;
        }
        if written != size {
            return Err(ClientError::Protocol(format!("{key} ended after {written} of its {size} bytes")));
        }
        let simple = !etag.contains('-');
        Ok((kept, simple.then(|| hex_of(&hasher.finalize()))))
    }

    /// Fetches a multipart object of parts of `part_size` into `partial`, a part to a ranged GET, as many
    /// at once as the plan says, each written at its place; the parts an interrupted run finished are not
    /// fetched again but hashed from the file. The bytes kept from before and the ETag the bytes give (the
    /// MD5 of the parts' MD5s, and their count).
    #[allow(clippy::too_many_arguments)]
    async fn fetch_parts(
        &self,
        key: &str,
        etag: &str,
        size: u64,
        part_size: u64,
        partial: &Partial,
        plan: DownloadPlan,
        progress: &Progress,
    ) -> Result<(u64, Option<String>)> {
        let failed = partial.failed();
        let count = size.div_ceil(part_size);
        let span = |part: u64| (part * part_size, part_size.min(size - part * part_size));
        // What an interrupted download in parts left: the file at the object's length and its list of
        // finished parts. Anything else is started again.
        let finished = match partial.kept_length().await? {
            Some(length) if length == size => partial.finished_parts(count).await,
            _ => None,
        };
        let finished = match finished {
            Some(finished) => finished,
            None => {
                partial.remove().await;
                let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&partial.file).await.map_err(&failed)?;
                file.set_len(size).await.map_err(&failed)?;
                tokio::fs::OpenOptions::new().write(true).create_new(true).open(&partial.parts).await.map_err(&failed)?;
                Default::default()
            }
        };
        let file = Arc::new(std::fs::OpenOptions::new().read(true).write(true).open(&partial.file).map_err(&failed)?);
        let list = Arc::new(std::fs::OpenOptions::new().append(true).open(&partial.parts).map_err(&failed)?);
        let parallel = plan.parallel.max(1);
        let mut digests = vec![[0u8; 16]; count as usize];
        let kept_digests: Vec<(u64, [u8; 16])> = futures::stream::iter(finished.iter().copied())
            .map(|part| {
                let (offset, length) = span(part);
                let file = file.clone();
                async move { Ok::<_, std::io::Error>((part, digest_of_range(file, offset, length).await?)) }
            })
            .buffer_unordered(parallel)
            .try_collect()
            .await
            .map_err(&failed)?;
        let kept: u64 = finished.iter().map(|part| span(*part).1).sum();
        progress.done.fetch_add(kept, Ordering::Relaxed);
        let pacer = Pacer::new(plan.max_bytes_per_second);
        let fetched: Vec<(u64, [u8; 16])> = futures::stream::iter((0..count).filter(|part| !finished.contains(part)))
            .map(|part| {
                let (offset, length) = span(part);
                let (file, list, pacer) = (file.clone(), list.clone(), &pacer);
                async move {
                    let digest = self.fetch_range(key, etag, file, offset, length, pacer, progress).await?;
                    blocking(move || {
                        use std::io::Write;
                        (&*list).write_all(format!("{part}\n").as_bytes())
                    })
                    .await
                    .map_err(partial.failed())?;
                    Ok::<_, ClientError>((part, digest))
                }
            })
            .buffer_unordered(parallel)
            .try_collect()
            .await?;
        for (part, digest) in kept_digests.into_iter().chain(fetched) {
            digests[part as usize] = digest;
        }
        if partial.durable {
            blocking(move || file.sync_all()).await.map_err(&failed)?;
        }
        use md5::Digest;
        Ok((kept, Some(format!("{}-{count}", hex_of(&md5::Md5::digest(digests.concat()))))))
    }

    /// Fetches `length` bytes of the object from `offset` into `file` at the same place, written a buffer
    /// at a time off the async threads; their MD5.
    #[allow(clippy::too_many_arguments)]
    async fn fetch_range(
        &self,
        key: &str,
        etag: &str,
        file: Arc<std::fs::File>,
        offset: u64,
        length: u64,
        pacer: &Pacer,
        progress: &Progress,
    ) -> Result<[u8; 16]> {
        use md5::Digest;
        let write = move |(hasher, at): &mut (md5::Md5, u64), bytes: &[u8]| {
            use std::os::unix::fs::FileExt;
            hasher.update(bytes);
            file.write_all_at(bytes, *at).map_err(|error| ClientError::Config(error.to_string()))?;
            *at += bytes.len() as u64;
            Ok(())
        };
        let (hasher, _) = self.receive_range(key, etag, offset, length, pacer, progress, (md5::Md5::new(), offset), write).await?;
        Ok(hasher.finalize().into())
    }

    /// The part size of a multipart object, when its parts are all of one size but the last (as every
    /// client here and the SDKs upload them); `None` for a simple object or parts of other sizes.
    async fn part_size_of(&self, key: &str, etag: &str, size: u64) -> Result<Option<u64>> {
        if !etag.contains('-') {
            return Ok(None);
        }
        let first = self.s3.head_object().bucket(&self.bucket).key(key).part_number(1).if_match(etag).send().await.map_err(|error| not_found(error, key))?;
        let (Some(part_size), Some(count)) = (first.content_length.filter(|length| *length > 0), first.parts_count) else {
            return Ok(None);
        };
        let (part_size, count) = (part_size as u64, count.max(1) as u64);
        Ok(((count - 1) * part_size < size && size <= count * part_size).then_some(part_size))
    }

    /// The objects under `prefix` (a key prefix), every page of them: key, size, last modified (epoch
    /// seconds).
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64, i64)>> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = self
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(sdk_error)?;
            for object in answer.contents() {
                let modified = object.last_modified().map_or(0, |time| time.secs());
                objects.push((object.key().unwrap_or_default().to_owned(), object.size().unwrap_or(0).max(0) as u64, modified));
            }
            match answer.next_continuation_token {
                Some(next) if answer.is_truncated == Some(true) => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }

    /// Deletes the object at `key`.
    pub async fn remove(&self, key: &str) -> Result<()> {
        // S3 answers success for a key that is not there; say so instead.
        self.s3.head_object().bucket(&self.bucket).key(key).send().await.map_err(|error| not_found(error, key))?;
        self.s3.delete_object().bucket(&self.bucket).key(key).send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// A URL anyone can GET `key` with until `expires` passes (signed with the identity's temporary
    /// credentials, so it also ends when they do).
    pub async fn presign_get(&self, key: &str, expires: std::time::Duration) -> Result<String> {
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires)
            .map_err(|error| ClientError::Config(error.to_string()))?;
        let request = self.s3.get_object().bucket(&self.bucket).key(key).presigned(config).await.map_err(sdk_error)?;
        Ok(request.uri().to_owned())
    }

    /// The user's upload jobs from the GraphQL API, oldest first, every page.
    pub async fn jobs(&self, signed_in: &SignedIn) -> Result<Vec<serde_json::Value>> {
        let Some(endpoint) = self.exports.other.get("aws_appsync_graphqlEndpoint").and_then(serde_json::Value::as_str) else {
            return Err(ClientError::Config("aws-exports.json names no GraphQL endpoint (aws_appsync_graphqlEndpoint)".to_owned()));
        };
        let mut jobs = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let body = serde_json::json!({
                "query": LIST_UPLOAD_JOBS,
                "variables": {"nextToken": token},
            });
            let answer = crate::http::post_json(endpoint, &signed_in.access_token, &body).await?;
            graphql_errors(&answer)?;
            let page = answer.pointer("/data/listUploadJobs").cloned().unwrap_or_default();
            jobs.extend(page.get("items").and_then(serde_json::Value::as_array).cloned().unwrap_or_default());
            match page.get("nextToken").and_then(serde_json::Value::as_str) {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(jobs),
            }
        }
    }

    /// Records the upload on the GraphQL API (`createUploadJob`), as an app does after an upload: the
    /// original file name, the owner, `Done`. `None` when the configuration names no GraphQL endpoint.
    pub async fn record_job(&self, signed_in: &SignedIn, username: &str, uploaded: &Uploaded, file_name: &str, uploaded_on: &str) -> Result<Option<serde_json::Value>> {
        let Some(endpoint) = self.exports.other.get("aws_appsync_graphqlEndpoint").and_then(serde_json::Value::as_str) else {
            return Ok(None);
        };
        let prefix = format!("private/{}/", self.identity_id);
        let file_key = uploaded.key.strip_prefix(&prefix).unwrap_or(&uploaded.key);
        let body = serde_json::json!({
            "query": CREATE_UPLOAD_JOB,
            "variables": {"input": {
                "user": username,
                "objKey": uploaded.key,
                "fileKey": file_key,
                "fileName": file_name,
                "status": "Done",
                "uploadedOn": uploaded_on,
            }},
        });
        let answer = crate::http::post_json(endpoint, &signed_in.access_token, &body).await?;
        graphql_errors(&answer)?;
        Ok(answer.pointer("/data/createUploadJob").cloned())
    }
}

/// A GraphQL answer's first error, as the client's error.
fn graphql_errors(answer: &serde_json::Value) -> Result<()> {
    if let Some(errors) = answer.get("errors").and_then(serde_json::Value::as_array).filter(|errors| !errors.is_empty()) {
        let message = errors[0].get("message").and_then(serde_json::Value::as_str).unwrap_or("unknown error");
        let code = errors[0].get("errorType").and_then(serde_json::Value::as_str).unwrap_or("GraphQL");
        return Err(ClientError::Service { code: code.to_owned(), message: message.to_owned() });
    }
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

const LIST_UPLOAD_JOBS: &str = "query ListUploadJobs($nextToken: String) {
  listUploadJobs(limit: 1000, nextToken: $nextToken) {
    items { id user objKey fileKey fileName status uploadedOn size }
    nextToken
  }
}
";

const CREATE_UPLOAD_JOB: &str = "mutation CreateUploadJob($input: CreateUploadJob!) {
  createUploadJob(input: $input) {
    user
    objKey
    fileKey
    fileName
    status
    uploadedOn
  }
}
";

/// `length` bytes of the file at `path` from `offset`, read off the async threads straight into the buffer
/// returned (neither zeroed first nor copied through another).
async fn read_range(path: &Path, offset: u64, length: u64) -> Result<Vec<u8>> {
    let failed = |error: std::io::Error| ClientError::Config(format!("{}: {error}", path.display()));
    let owned = path.to_owned();
    blocking(move || {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(owned)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut bytes = Vec::with_capacity(usize::try_from(length).map_err(std::io::Error::other)?);
        file.take(length).read_to_end(&mut bytes)?;
        if (bytes.len() as u64) < length {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file is shorter than it was"));
        }
        Ok(bytes)
    })
    .await
    .map_err(failed)
}

/// The object metadata that marks a file encrypted here, for an upload that is.
fn encryption_mark(encrypted: bool) -> Option<std::collections::HashMap<String, String>> {
    encrypted.then(|| std::collections::HashMap::from([(MARK.to_owned(), FORMAT.to_owned())]))
}

/// A message that did not open, said of the object.
fn does_not_decrypt(key: &str, reason: &str) -> ClientError {
    ClientError::Protocol(format!("{key} does not decrypt: {reason}; nothing was written"))
}

/// `length` bytes of what is sent for the file at `path` from `offset`: its own bytes, or, encrypted
/// here, the message's, sealed (off the async threads) from the plaintext they cover.
async fn read_source(path: &Path, sealer: Option<&Arc<Sealer>>, offset: u64, length: u64) -> Result<Vec<u8>> {
    let Some(sealer) = sealer else { return read_range(path, offset, length).await };
    let range = offset..offset + length;
    let needed = sealer.plaintext_for(range.clone());
    let plaintext = read_range(path, needed.start, needed.end - needed.start).await?;
    let sealer = sealer.clone();
    tokio::task::spawn_blocking(move || sealer.seal(range, &plaintext))
        .await
        .map_err(|error| ClientError::Config(error.to_string()))?
        .map_err(|error| ClientError::Protocol(error.to_string()))
}

/// Whether every part the server holds of an encrypted upload is what the file gives now (its size and
/// MD5), checked before any part is sent.
async fn stored_parts_unchanged(
    path: &Path,
    sealer: &Arc<Sealer>,
    stored: &BTreeMap<i32, (u64, String)>,
    part_size: u64,
    size: u64,
    parallel: usize,
) -> Result<bool> {
    use md5::{Digest, Md5};
    let checks: Vec<bool> = futures::stream::iter(stored.iter())
        .map(|(number, (stored_size, etag))| async move {
            let offset = (*number as u64).saturating_sub(1) * part_size;
            if *number < 1 || offset >= size {
                return Ok(false);
            }
            let length = part_size.min(size - offset);
            let bytes = read_source(path, Some(sealer), offset, length).await?;
            Ok::<_, ClientError>(*stored_size == length && etag.trim_matches('"') == hex_of(&Md5::digest(&bytes)))
        })
        .buffer_unordered(parallel.max(1))
        .try_collect()
        .await?;
    Ok(checks.into_iter().all(|same| same))
}
