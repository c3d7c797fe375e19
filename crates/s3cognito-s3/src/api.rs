//! The S3 operations: each reads its typed input, calls the objects service, and fills the output.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};
use futures::{StreamExt, TryStreamExt};
use s3cognito_service::ServiceError;
use s3cognito_service::authorization::{Caller, Resource, S3Resource};
use s3cognito_service::objects::cors::CorsRule;
use s3cognito_service::uploads::{Completed, Route};
use s3cognito_types::{BucketName, ObjectKey};
use s3cognito_types::ChecksumAlgorithm as Algorithm;
use s3cognito_types::operation::S3 as S3Operation;
use s3cognito_service::objects::{
    AtRest, BodyError, BucketEncryption, ByteStream, Checksum, ChecksumSlot, Conditions, Encryption, ObjectAttributes, ObjectError, ObjectInfo, Objects, Removal,
    Upload, WriteCondition, parse_version_id, stated,
};
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

/// s3s's whole-object checksum structure (our `Checksum` is the stored one).
type Checksum_ = s3s::dto::Checksum;

use super::errors::{body_error, to_s3};
use super::settings::{grants_beyond_owner, header_tags};
use crate::S3State;

pub(crate) struct S3Api {
    pub state: S3State,
}

type Out<T> = S3Result<S3Response<T>>;

/// The region whose buckets have no LocationConstraint.
const US_EAST_1: &str = "us-east-1";

/// The location a CreateBucket's LocationConstraint gives a bucket on this server, which serves `region`, as
/// S3 checks it on a regional endpoint: no constraint in us-east-1 and this region's name elsewhere are
/// accepted; `us-east-1` is never a constraint; another region's name does not belong here.
fn location_for<'a>(region: &str, constraint: Option<&'a str>) -> S3Result<Option<&'a str>> {
    let illegal = |message: String| {
        let mut error = S3Error::with_message(S3ErrorCode::Custom("IllegalLocationConstraintException".into()), message);
        error.set_status_code(axum::http::StatusCode::BAD_REQUEST);
        error
    };
    let invalid = || s3_error!(InvalidLocationConstraint, "The specified location-constraint is not valid");
    let looks_like_region = |name: &str| {
        let parts: Vec<&str> = name.split('-').collect();
        parts.len() >= 3 && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()))
    };
    match constraint {
        None if region == US_EAST_1 => Ok(None),
        None => Err(illegal("The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.".to_owned())),
        Some(US_EAST_1) => Err(invalid()),
        Some(given) if given == region => Ok(Some(given)),
        Some(given) if looks_like_region(given) => {
            Err(illegal(format!("The {given} location constraint is incompatible for the region specific endpoint this request was sent to.")))
        }
        Some(_) => Err(invalid()),
    }
}

/// A bucket name s3s has let through: it checks names with `types::BucketName` (`policy::BucketNames`),
/// so this fails only if the two ever disagree, and then as S3 would answer.
fn bucket_name(name: &str) -> S3Result<BucketName> {
    BucketName::parse(name).map_err(|_| s3_error!(InvalidBucketName, "The specified bucket is not valid."))
}

/// An object key s3s has let through (non-empty, at most 1,024 bytes), or S3's answer to one it would not.
fn object_key(key: &str) -> S3Result<ObjectKey> {
    ObjectKey::parse(key).map_err(|error| match error.violation() {
        s3cognito_types::Violation::TooLong => s3_error!(KeyTooLongError, "Your key is too long"),
        _ => s3_error!(InvalidArgument, "An object key must not be empty"),
    })
}

fn timestamp(epoch: i64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_secs(epoch.max(0) as u64))
}

/// How the object's bytes are encrypted at rest, as S3 says it: `aws:kms` and the key's ARN, or `AES256`,
/// or nothing for an object stored in plaintext by an earlier release.
fn encryption(info: &ObjectInfo) -> Option<ServerSideEncryption> {
    match info.at_rest() {
        AtRest::Plaintext => None,
        AtRest::ServerManaged => Some(ServerSideEncryption::from_static(ServerSideEncryption::AES256)),
        AtRest::Kms { .. } => Some(ServerSideEncryption::from_static(ServerSideEncryption::AWS_KMS)),
    }
}

/// The KMS key an object is encrypted under, as `x-amz-server-side-encryption-aws-kms-key-id` says it.
fn kms_key_id(info: &ObjectInfo) -> Option<String> {
    match info.at_rest() {
        AtRest::Kms { key_arn } => Some(key_arn),
        _ => None,
    }
}

/// The encryption a request's SSE headers ask for, as the objects service takes it.
fn asked_encryption(encryption: &Encryption) -> (Option<ServerSideEncryption>, Option<String>) {
    match encryption {
        Encryption::ServerManaged => (Some(ServerSideEncryption::from_static(ServerSideEncryption::AES256)), None),
        Encryption::Kms { key, .. } => (Some(ServerSideEncryption::from_static(ServerSideEncryption::AWS_KMS)), Some(key.arn().to_owned())),
    }
}

/// A KMS refusal met while writing or reading an object, as S3 reports it (`KMS.<code>`).
pub(crate) fn kms_refused(error: ServiceError) -> S3Error {
    use s3cognito_service::kms::KmsRefusal;
    let code = match &error {
        ServiceError::AccessDenied(message) => return s3_error!(AccessDenied, "{message}"),
        ServiceError::Kms(KmsRefusal::Disabled(_)) => "KMS.DisabledException",
        ServiceError::Kms(KmsRefusal::InvalidState(_)) => "KMS.KMSInvalidStateException",
        ServiceError::NotFound(_) => "KMS.NotFoundException",
        ServiceError::Kms(KmsRefusal::InvalidCiphertext) => "KMS.InvalidCiphertextException",
        ServiceError::Invalid(_) | ServiceError::InvalidMember(_) => return s3_error!(InvalidArgument, "{error}"),
        _ => {
            tracing::error!(%error, "KMS failed for an object");
            return s3_error!(InternalError, "We encountered an internal error. Please try again.");
        }
    };
    let mut refused = S3Error::with_message(code.parse().unwrap_or(S3ErrorCode::InvalidRequest), error.to_string());
    refused.set_status_code(axum::http::StatusCode::BAD_REQUEST);
    refused
}

/// The version id a read answers: the object's, or `null` when the request named the null version.
fn answered_version(info: &ObjectInfo, asked: Option<&str>) -> Option<String> {
    info.version_id.clone().or_else(|| asked.map(|_| stated(None)))
}

fn etag(quoted: &str) -> ETag {
    ETag::Strong(quoted.trim_matches('"').to_owned())
}

/// Who acts: the access key that signed the request.
fn principal<T>(request: &S3Request<T>) -> String {
    request.credentials.as_ref().map(|credentials| credentials.access_key.clone()).unwrap_or_default()
}

fn body(blob: Option<StreamingBlob>) -> ByteStream<BodyError> {
    match blob {
        Some(blob) => blob.map_err(|error| body_error(&*error)).boxed(),
        None => futures::stream::empty().boxed(),
    }
}

/// The body to store, its declared length and digests, and the slot its verified checksum lands in.
fn upload(
    blob: Option<StreamingBlob>,
    length: Option<i64>,
    content_md5: Option<String>,
    headers: &HeaderMap,
    algorithm: Option<&ChecksumAlgorithm>,
    trailers: Option<s3s::TrailingHeaders>,
) -> S3Result<Upload<BodyError>> {
    let slot = ChecksumSlot::default();
    let body = super::checksum::verify(body(blob), super::checksum::requested(headers, algorithm), trailers, slot.clone());
    Ok(Upload { body, declared_length: declared_length(length)?, content_md5, checksum: slot, condition: Default::default() })
}

/// Sets the output field for a checksum, whichever algorithm it is.
macro_rules! set_checksum {
    ($output:expr, $checksum:expr) => {
        if let Some(Checksum { algorithm, value }) = $checksum.as_ref() {
            match algorithm {
                Algorithm::Crc32 => $output.checksum_crc32 = Some(value.clone()),
                Algorithm::Crc32c => $output.checksum_crc32c = Some(value.clone()),
                Algorithm::Crc64Nvme => $output.checksum_crc64nvme = Some(value.clone()),
                Algorithm::Sha1 => $output.checksum_sha1 = Some(value.clone()),
                Algorithm::Sha256 => $output.checksum_sha256 = Some(value.clone()),
            }
        }
    };
}

/// A conditional write's headers: `If-None-Match: *` (only `*`, as in S3) and `If-Match: <ETag>`.
fn write_condition(headers: &HeaderMap) -> S3Result<WriteCondition> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let if_none_match = match text("if-none-match") {
        None => false,
        Some("*") => true,
        Some(_) => {
            return Err(s3_error!(NotImplemented, "A header you provided implies functionality that is not implemented: If-None-Match takes only *"));
        }
    };
    Ok(WriteCondition { if_match: text("if-match").map(|etag| etag.trim_matches('"').to_owned()), if_none_match })
}

/// A checksum of part checksums ends in `-<parts>`: S3 calls it COMPOSITE, and clients skip verifying it.
fn checksum_type(checksum: Option<&Checksum>) -> Option<ChecksumType> {
    checksum.map(|checksum| {
        ChecksumType::from_static(if checksum.value.contains('-') { ChecksumType::COMPOSITE } else { ChecksumType::FULL_OBJECT })
    })
}

fn declared_length(length: Option<i64>) -> S3Result<Option<u64>> {
    match length {
        None => Ok(None),
        Some(length) if length >= 0 => Ok(Some(length as u64)),
        Some(_) => Err(s3_error!(InvalidArgument, "Content-Length must not be negative")),
    }
}

/// The standard headers S3 keeps with an object, read as the client sent them.
fn attributes(headers: &HeaderMap, content_type: Option<String>, metadata: Option<Metadata>) -> ObjectAttributes {
    let mut kept = BTreeMap::new();
    for name in ["cache-control", "content-disposition", "content-language", "expires"] {
        if let Some(value) = headers.get(name).and_then(|value| value.to_str().ok()) {
            kept.insert(name.to_owned(), value.to_owned());
        }
    }
    // aws-chunked is how the body travelled, not how it is encoded at rest.
    if let Some(encoding) = headers.get("content-encoding").and_then(|value| value.to_str().ok()) {
        let rest: Vec<&str> =
            encoding.split(',').map(str::trim).filter(|part| !part.is_empty() && *part != "aws-chunked").collect();
        if !rest.is_empty() {
            kept.insert("content-encoding".to_owned(), rest.join(", "));
        }
    }
    ObjectAttributes {
        content_type,
        headers: kept,
        user_metadata: metadata.unwrap_or_default().into_iter().map(|(name, value)| (name.to_lowercase(), value)).collect(),
        encryption: Encryption::ServerManaged,
        tags: Default::default(),
    }
}

/// The kept headers go back on GET and HEAD as they came.
fn response_headers(info: &ObjectInfo) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in &info.attributes.headers {
        if let (Ok(name), Ok(value)) = (axum::http::HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    headers
}

fn metadata(info: &ObjectInfo) -> Option<Metadata> {
    let map: HashMap<String, String> = info.attributes.user_metadata.clone().into_iter().collect();
    (!map.is_empty()).then_some(map)
}

/// An `If-Match`-style header as a list of unquoted ETags (s3s reads a list as one value).
fn etag_list(headers: &HeaderMap, name: &str) -> Option<Vec<String>> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| item.trim().trim_start_matches("W/").trim_matches('"').to_owned())
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Epoch seconds as an HTTP date (`Last-Modified`, `x-amz-expiration`); times before 1970 as 1970.
pub(crate) fn format_http_date(seconds: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64))
}

fn http_date(headers: &HeaderMap, name: &str) -> Option<i64> {
    let value = headers.get(name)?.to_str().ok()?;
    let time = httpdate::parse_http_date(value).ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
}

fn conditions(headers: &HeaderMap) -> Conditions {
    Conditions {
        if_match: etag_list(headers, "if-match"),
        if_none_match: etag_list(headers, "if-none-match"),
        if_modified_since: http_date(headers, "if-modified-since"),
        if_unmodified_since: http_date(headers, "if-unmodified-since"),
    }
}

/// 304 carries the ETag and Last-Modified of what the client already has.
fn object_error(error: ObjectError) -> S3Error {
    let ObjectError::NotModified { etag, modified_at } = &error else {
        return to_s3(error);
    };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert("etag", value);
    }
    let modified = format_http_date(*modified_at);
    if let Ok(value) = HeaderValue::from_str(&modified) {
        headers.insert("last-modified", value);
    }
    let mut not_modified = to_s3(error);
    not_modified.set_headers(headers);
    not_modified
}

/// Percent-encodes as S3 does for `encoding-type=url` (boto3 always asks for it and decodes).
fn url_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn encoder(encoding_type: &Option<EncodingType>) -> fn(&str) -> String {
    if encoding_type.as_ref().is_some_and(|encoding| encoding.as_str() == "url") { url_encode } else { str::to_owned }
}

/// The bytes of part `number` of an object (a simple object is its one part), as S3's `partNumber`.
fn part_range(info: &ObjectInfo, number: i32) -> S3Result<std::ops::Range<u64>> {
    if number < 1 || number as usize > info.segments.len() {
        let mut error = S3Error::with_message(
            "InvalidPartNumber".parse().unwrap_or(s3s::S3ErrorCode::InvalidArgument),
            "The requested partnumber is not satisfiable",
        );
        error.set_status_code(axum::http::StatusCode::RANGE_NOT_SATISFIABLE);
        return Err(error);
    }
    let start: u64 = info.segments[..number as usize - 1].iter().map(|segment| segment.size).sum();
    Ok(start..start + info.segments[number as usize - 1].size)
}

/// The checksum a read answers when the client asks (`x-amz-checksum-mode: ENABLED`): a part's own, for a
/// read of one part, the object's for a read of all of it, none for a range (no checksum describes it).
fn answered_checksum<'a>(info: &'a ObjectInfo, part_number: Option<i32>, ranged: bool, mode: &Option<ChecksumMode>) -> Option<&'a Checksum> {
    if !checksum_enabled(mode) {
        return None;
    }
    match part_number {
        // An object written whole is its own part 1.
        Some(1) if !info.etag.contains('-') => info.checksum.as_ref(),
        Some(number) => info.segments.get(usize::try_from(number).ok()?.checked_sub(1)?)?.checksum.as_ref(),
        None if ranged => None,
        None => info.checksum.as_ref(),
    }
}

fn checksum_enabled(mode: &Option<ChecksumMode>) -> bool {
    mode.as_ref().is_some_and(|mode| mode.as_str().eq_ignore_ascii_case("ENABLED"))
}

fn max_keys(value: Option<i32>) -> S3Result<usize> {
    match value {
        None => Ok(1000),
        Some(keys) if keys >= 0 => Ok((keys as usize).min(1000)),
        Some(_) => Err(s3_error!(InvalidArgument, "max-keys must not be negative")),
    }
}

fn listed(info: &ObjectInfo, encode: fn(&str) -> String, owner: Option<&Owner>) -> Object {
    Object {
        owner: owner.cloned(),
        key: Some(encode(&info.key)),
        size: Some(info.size as i64),
        e_tag: Some(etag(&info.etag)),
        last_modified: Some(timestamp(info.modified_at)),
        storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
        ..Default::default()
    }
}

fn continuation_token(last: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

fn decode_continuation_token(token: &str) -> S3Result<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| s3_error!(InvalidArgument, "The continuation token provided is incorrect"))
}

impl S3Api {
    /// The encryption a request's SSE headers ask for: `aws:kms` with a key (the deployment's default
    /// key unless one is named) and an encryption context (base64 JSON), which the caller must be allowed
    /// `kms:GenerateDataKey` with; `AES256` or nothing, server-managed keys.
    async fn requested_encryption(
        &self,
        extensions: &axum::http::Extensions,
        bucket: &str,
        key: &str,
        sse: Option<&ServerSideEncryption>,
        key_id: Option<&str>,
        context: Option<&str>,
    ) -> S3Result<Encryption> {
        // Without SSE headers, the bucket's default encryption decides.
        let default;
        let (sse, key_id): (Option<&str>, Option<&str>) = match sse.map(ServerSideEncryption::as_str) {
            None if key_id.is_none() && context.is_none() => {
                default = self.objects().bucket_encryption(&bucket_name(bucket)?).await.map_err(to_s3)?;
                (Some(default.algorithm.as_str()), default.kms_key_id.as_deref())
            }
            other => (other, key_id),
        };
        match sse {
            None | Some(ServerSideEncryption::AES256) => {
                if key_id.is_some() || context.is_some() {
                    return Err(s3_error!(InvalidArgument, "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"));
                }
                return Ok(Encryption::ServerManaged);
            }
            Some(ServerSideEncryption::AWS_KMS) => {}
            Some(other) => return Err(s3_error!(InvalidArgument, "The encryption method specified is not supported: {other}")),
        }
        let context: BTreeMap<String, String> = match context {
            None => BTreeMap::new(),
            Some(text) => s3cognito_service::objects::encryption_context(text)
                .ok_or_else(|| s3_error!(InvalidArgument, "The header x-amz-server-side-encryption-context must be base64-encoded JSON of string pairs"))?,
        };
        let kms = &self.state.app.kms;
        let named = kms.resolve(key_id.unwrap_or(s3cognito_service::kms::DEFAULT_ALIAS)).await.map_err(kms_refused)?;
        let mut bound = context.clone();
        bound.insert("aws:s3:arn".to_owned(), s3cognito_types::arn::object(bucket, key));
        self.allow_kms(extensions, "kms:GenerateDataKey", &named, &bound).await?;
        Ok(Encryption::Kms { key: Box::new(named), context })
    }

    /// Whether the caller may do `action` with the KMS key `key` through S3 (`kms:ViaService`), for data
    /// keys bound to `context`.
    async fn allow_kms(
        &self,
        extensions: &axum::http::Extensions,
        action: &'static str,
        key: &s3cognito_service::kms::NamedKey,
        context: &BTreeMap<String, String>,
    ) -> S3Result<()> {
        let Some(caller) = extensions.get::<s3cognito_service::access::Principal>() else {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        };
        let app = &self.state.app;
        let mut access = app.kms.access(key, Some(context)).await.map_err(kms_refused)?;
        access.keys.push(("kms:ViaService".to_owned(), vec![format!("s3.{}.amazonaws.com", app.region)]));
        app.authorizer.authorize_key(caller, action, &access).await.map_err(kms_refused)
    }

    /// How the upload's parts are encrypted; with a KMS key, the caller must be allowed to make data keys
    /// with it.
    async fn allow_part(&self, extensions: &axum::http::Extensions, bucket: &str, key: &str, upload_id: &str) -> S3Result<Encryption> {
        let encryption = self.objects().upload_encryption(&bucket_name(bucket)?, &object_key(key)?, upload_id).await.map_err(to_s3)?;
        if let Encryption::Kms { key: named, context } = &encryption {
            let mut bound = context.clone();
            bound.insert("aws:s3:arn".to_owned(), s3cognito_types::arn::object(bucket, key));
            self.allow_kms(extensions, "kms:GenerateDataKey", named, &bound).await?;
        }
        Ok(encryption)
    }

    /// Whether the caller may decrypt the data keys of `info` (an object encrypted under KMS keys), and
    /// the keys can: refused before the answer starts, not part-way through its body.
    async fn allow_reading(&self, extensions: &axum::http::Extensions, info: &ObjectInfo) -> S3Result<()> {
        for used in self.objects().kms_uses(info).await.map_err(to_s3)? {
            self.allow_kms(extensions, "kms:Decrypt", &used.key, &used.context).await?;
            self.state.app.kms.usable(&used.key).map_err(kms_refused)?;
        }
        Ok(())
    }

    /// A missing key is NoSuchKey only to a caller who could list it; to others S3 says AccessDenied,
    /// so that reading cannot probe what listing would not show.
    async fn missing_or_denied(&self, error: ObjectError, extensions: &axum::http::Extensions, bucket: &str, key: &str) -> S3Error {
        let (ObjectError::NoSuchKey | ObjectError::DeleteMarker { named: false, .. }, Some(caller)) =
            (&error, extensions.get::<s3cognito_service::access::Principal>())
        else {
            return object_error(error);
        };
        match self.state.app.authorizer.may_learn_key_is_missing(caller, bucket, key).await {
            Ok(true) => object_error(error),
            Ok(false) | Err(_) => s3_error!(AccessDenied, "Access Denied"),
        }
    }

    /// The object's checksum from the parts a Complete names, when every one of them was uploaded with
    /// a checksum of one algorithm: the CRC of the whole object (FULL_OBJECT, CRC algorithms only) or
    /// the checksum of the parts' checksums (COMPOSITE). A checksum the client repeats for a part must
    /// be the stored one.
    async fn object_checksum(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        upload_id: &str,
        requested: &[(i32, String)],
        claimed: &[Option<(Algorithm, String)>],
        full_object: bool,
    ) -> S3Result<Option<Checksum>> {
        let parts = match self.objects().list_parts(bucket, key, upload_id).await {
            Ok((_, parts)) => parts,
            // The upload has ended: completing it again is answered (or refused) by `complete_upload`.
            Err(ObjectError::NoSuchUpload) => return Ok(None),
            Err(error) => return Err(to_s3(error)),
        };
        let mut values = Vec::with_capacity(requested.len());
        for ((number, _), claimed) in requested.iter().zip(claimed) {
            let stored = parts.iter().find(|part| part.part_number == *number).and_then(|part| part.checksum.as_ref());
            if let Some((algorithm, value)) = claimed
                && stored.is_none_or(|stored| stored.algorithm != *algorithm || stored.value != *value)
            {
                return Err(s3_error!(
                    InvalidPart,
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag or checksum may not match the part's."
                ));
            }
            values.push(stored.map(|stored| (stored, parts.iter().find(|part| part.part_number == *number).map_or(0, |part| part.size))));
        }
        let Some(Some((first, _))) = values.first() else {
            return Ok(None);
        };
        let algorithm = first.algorithm;
        if !values.iter().all(|value| value.is_some_and(|(value, _)| value.algorithm == algorithm)) {
            return Ok(None);
        }
        let sized: Vec<(&str, u64)> = values.iter().flatten().map(|(value, size)| (value.value.as_str(), *size)).collect();
        if full_object && let Some(value) = super::checksum::combine_crc(algorithm, &sized) {
            return Ok(Some(Checksum { algorithm, value }));
        }
        let raw: Vec<&str> = sized.iter().map(|(value, _)| *value).collect();
        Ok(super::checksum::composite(algorithm, &raw).map(|value| Checksum { algorithm, value }))
    }

    /// The object a copy reads, after `x-amz-copy-source-if-*`: its bucket, key and info.
    async fn copy_source(&self, copy_source: &CopySource, headers: &HeaderMap) -> S3Result<(String, String, ObjectInfo)> {
        // Access points and Outposts are AWS infrastructure this server has no equivalent of, so a copy
        // source naming one is refused as S3 refuses features a bucket does not have.
        let CopySource::Bucket { bucket, key, version_id } = copy_source else {
            return Err(s3_error!(NotImplemented, "Copy sources must be buckets; access points and outposts do not exist here"));
        };
        let conditions = Conditions {
            if_match: etag_list(headers, "x-amz-copy-source-if-match"),
            if_none_match: etag_list(headers, "x-amz-copy-source-if-none-match"),
            if_modified_since: http_date(headers, "x-amz-copy-source-if-modified-since"),
            if_unmodified_since: http_date(headers, "x-amz-copy-source-if-unmodified-since"),
        };
        let source_bucket = BucketName::parse(bucket.to_string()).map_err(|_| to_s3(ObjectError::NoSuchBucket))?;
        let source_key = ObjectKey::parse(key.to_string()).map_err(|_| to_s3(ObjectError::NoSuchKey))?;
        let source = match version_id {
            None => self.objects().object(&source_bucket, &source_key, &conditions).await,
            Some(version_id) => {
                let version_id = parse_version_id(version_id).map_err(to_s3)?;
                // A delete marker cannot be copied: S3 answers 400 InvalidRequest.
                self.objects().object_version(&source_bucket, &source_key, version_id.as_deref(), &conditions).await.map_err(|error| match error {
                    ObjectError::DeleteMarker { .. } => ObjectError::InvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.".to_owned()),
                    other => other,
                })
            }
        };
        let source = source.map_err(|error| match error {
            // A copy source that did not change is a failed precondition, not a 304.
            ObjectError::NotModified { .. } => to_s3(ObjectError::PreconditionFailed),
            other => to_s3(other),
        })?;
        Ok((bucket.to_string(), key.to_string(), source))
    }
    /// The object a GET or HEAD reads: the one read while authorizing the request, if it was, else read now.
    async fn read_object(
        &self,
        extensions: &mut axum::http::Extensions,
        bucket: &BucketName,
        key: &ObjectKey,
        version_id: Option<&str>,
        conditions: &Conditions,
    ) -> Result<ObjectInfo, ObjectError> {
        if let Some(version_id) = version_id {
            let version_id = parse_version_id(version_id)?;
            return self.objects().object_version(bucket, key, version_id.as_deref(), conditions).await;
        }
        match extensions.remove::<crate::policy::Prefetched>() {
            Some(crate::policy::Prefetched(Some(info))) => conditions.check(&info).map(|()| info),
            // Read again for why it is missing (a delete marker or nothing): misses only.
            Some(crate::policy::Prefetched(None)) | None => self.objects().object(bucket, key, conditions).await,
        }
    }

    /// Deletes the key's current version (made by `owner`), or the version a request names.
    async fn remove(&self, bucket: &BucketName, key: &ObjectKey, version_id: Option<&str>, owner: &str) -> S3Result<Removal> {
        let removed = match version_id {
            None => self.objects().delete_object(bucket, key, owner).await,
            Some(version_id) => {
                let version_id = parse_version_id(version_id).map_err(to_s3)?;
                self.objects().delete_version(bucket, key, version_id.as_deref()).await
            }
        };
        removed.map_err(to_s3)
    }

    pub(crate) fn objects(&self) -> &Objects {
        &self.state.app.objects
    }

    /// Records the upload's job when its object is in a user's namespace. The object is committed
    /// whatever happens here, so a failure is logged rather than failing the request.
    async fn record_upload(&self, info: &ObjectInfo, route: Route) {
        if let Err(error) = self.state.app.uploads.completed(info, Completed { route, file_name: None, user: None }).await {
            tracing::warn!(%error, bucket = %info.bucket, route = route.as_str(), "recording an upload job failed");
        }
    }

    /// `x-amz-expiration` for the current version of an object the bucket's lifecycle rules will expire:
    /// `expiry-date="<HTTP date>", rule-id="<id>"`. Not for a version the request named (noncurrent ones
    /// follow other rules). Failing to read the rules leaves the header out rather than failing the request.
    async fn expiration(&self, info: &ObjectInfo, named_version: Option<&str>) -> Option<String> {
        if named_version.is_some() {
            return None;
        }
        match self.objects().expiry(info).await {
            Ok(expiry) => expiry.map(|(at, rule)| {
                format!("expiry-date=\"{}\", rule-id=\"{rule}\"", format_http_date(at))
            }),
            Err(error) => {
                tracing::warn!(%error, bucket = %info.bucket, "reading the lifecycle rules for an object's expiry failed");
                None
            }
        }
    }
}

#[async_trait::async_trait]
impl S3 for S3Api {
    async fn list_buckets(&self, request: S3Request<ListBucketsInput>) -> Out<ListBucketsOutput> {
        let input = request.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = input.continuation_token.as_deref().map(decode_continuation_token).transpose()?;
        let max = match input.max_buckets {
            None => usize::MAX,
            Some(count) if (1..=10_000).contains(&count) => count as usize,
            Some(_) => return Err(s3_error!(InvalidArgument, "max-buckets must be between 1 and 10000")),
        };
        let buckets = self.objects().list_buckets().await.map_err(to_s3)?;
        let mut chosen: Vec<_> = buckets
            .iter()
            .filter(|bucket| bucket.name.starts_with(&prefix) && after.as_ref().is_none_or(|after| bucket.name.as_str() > after.as_str()))
            .take(max.saturating_add(1))
            .collect();
        let truncated = chosen.len() > max;
        chosen.truncate(max);
        let region = &self.state.app.region;
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(
                chosen
                    .iter()
                    .map(|bucket| Bucket {
                        name: Some(bucket.name.clone()),
                        creation_date: Some(timestamp(bucket.created_at)),
                        bucket_region: Some(bucket.location.clone().unwrap_or_else(|| region.clone())),
                    })
                    .collect(),
            ),
            owner: Some(self.owner()),
            continuation_token: truncated.then(|| chosen.last().map(|bucket| continuation_token(&bucket.name))).flatten(),
            prefix: input.prefix,
        }))
    }

    async fn create_bucket(&self, request: S3Request<CreateBucketInput>) -> Out<CreateBucketOutput> {
        let owner = principal(&request);
        let input = request.input;
        let name = input.bucket;
        let region = self.state.app.region.as_str();
        let constraint = input
            .create_bucket_configuration
            .as_ref()
            .and_then(|configuration| configuration.location_constraint.as_ref())
            .map(|constraint| constraint.as_str().to_owned())
            .filter(|constraint| !constraint.is_empty());
        let location = location_for(region, constraint.as_deref())?;
        let ownership = match &input.object_ownership {
            Some(ownership) => Some(
                s3cognito_service::objects::Ownership::parse(ownership.as_str())
                    .ok_or_else(|| s3_error!(InvalidArgument, "Invalid x-amz-object-ownership header: {}", ownership.as_str()))?,
            ),
            None => None,
        };
        let enforced = ownership.is_none_or(|ownership| ownership == s3cognito_service::objects::Ownership::BucketOwnerEnforced);
        let beyond_owner = grants_beyond_owner(
            input.acl.as_ref().map(BucketCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write.as_ref(), input.grant_write_acp.as_ref()],
        );
        if beyond_owner && enforced {
            let mut error = S3Error::with_message(
                S3ErrorCode::Custom("InvalidBucketAclWithObjectOwnership".into()),
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            );
            error.set_status_code(axum::http::StatusCode::BAD_REQUEST);
            return Err(error);
        }
        if beyond_owner {
            return Err(s3_error!(AccessDenied, "ACL grants beyond the bucket owner are blocked by the bucket's public access settings"));
        }
        let bucket = bucket_name(&name)?;
        match self.objects().create_bucket(&bucket, &owner, location, ownership).await {
            Ok(()) => {}
            // us-east-1 answers a repeated creation of one's own bucket with success; other regions refuse it.
            Err(ObjectError::BucketAlreadyOwnedByYou) if region == US_EAST_1 && location.is_none() => {}
            Err(error) => return Err(to_s3(error)),
        }
        Ok(S3Response::new(CreateBucketOutput { location: Some(format!("/{name}")) }))
    }

    async fn head_bucket(&self, request: S3Request<HeadBucketInput>) -> Out<HeadBucketOutput> {
        self.objects().bucket(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(HeadBucketOutput { bucket_region: Some(self.state.app.region.clone()), ..Default::default() }))
    }

    async fn get_bucket_location(&self, request: S3Request<GetBucketLocationInput>) -> Out<GetBucketLocationOutput> {
        let bucket = self.objects().bucket(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        // No constraint means us-east-1, which S3 reports as an empty LocationConstraint.
        let location = bucket.location.or_else(|| (self.state.app.region != US_EAST_1).then(|| self.state.app.region.clone()));
        Ok(S3Response::new(GetBucketLocationOutput { location_constraint: location.map(BucketLocationConstraint::from) }))
    }

    async fn delete_bucket(&self, request: S3Request<DeleteBucketInput>) -> Out<DeleteBucketOutput> {
        self.objects().delete_bucket(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(DeleteBucketOutput::default()))
    }

    async fn put_object(&self, request: S3Request<PutObjectInput>) -> Out<PutObjectOutput> {
        let owner = principal(&request);
        let S3Request { input, headers, trailing_headers, method, uri, extensions, .. } = request;
        // A browser form (POST Object, which s3s hands over as a PUT) may say `${filename}` in its key;
        // `form::post_form_fields` stated the key with the file's name filled in, as S3 stores it.
        let key = match headers.get(super::POST_KEY_HEADER) {
            Some(stated) if method == axum::http::Method::POST => percent_encoding::percent_decode(stated.as_bytes())
                .decode_utf8()
                .map(|key| key.into_owned())
                .map_err(|_| s3_error!(InvalidArgument, "The key is not valid UTF-8"))?,
            _ => input.key.to_string(),
        };
        let mut attributes = attributes(&headers, input.content_type, input.metadata);
        attributes.tags = header_tags(input.tagging.as_deref())?;
        let beyond_owner = grants_beyond_owner(
            input.acl.as_ref().map(ObjectCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write_acp.as_ref()],
        );
        self.check_acl_write(&bucket_name(&input.bucket)?, beyond_owner).await?;
        attributes.encryption = self
            .requested_encryption(
                &extensions,
                &input.bucket,
                &key,
                input.server_side_encryption.as_ref(),
                input.ssekms_key_id.as_deref(),
                input.ssekms_encryption_context.as_deref(),
            )
            .await?;
        let mut upload = upload(input.body, input.content_length, input.content_md5, &headers, input.checksum_algorithm.as_ref(), trailing_headers)?;
        upload.condition = write_condition(&headers)?;
        let info = self.objects().put_object(&bucket_name(&input.bucket)?, &object_key(&key)?, &owner, attributes, upload).await.map_err(to_s3)?;
        let presigned = uri.query().is_some_and(|query| {
            query.split('&').any(|pair| pair.starts_with("X-Amz-Signature=") || pair.starts_with("Signature="))
        });
        let route = match (method == axum::http::Method::POST, presigned) {
            (true, _) => Route::Form,
            (false, true) => Route::Presigned,
            (false, false) => Route::S3,
        };
        self.record_upload(&info, route).await;
        let mut output = PutObjectOutput {
            e_tag: Some(etag(&info.etag)),
            version_id: info.version_id.clone(),
            server_side_encryption: encryption(&info),
            ssekms_key_id: kms_key_id(&info),
            expiration: self.expiration(&info, None).await,
            ..Default::default()
        };
        set_checksum!(output, info.checksum);
        Ok(S3Response::new(output))
    }

    async fn get_object(&self, request: S3Request<GetObjectInput>) -> Out<GetObjectOutput> {
        let S3Request { input, headers, mut extensions, .. } = request;
        let (bucket, key) = (bucket_name(&input.bucket)?, object_key(&input.key)?);
        let info = match self.read_object(&mut extensions, &bucket, &key, input.version_id.as_deref(), &conditions(&headers)).await {
            Ok(info) => info,
            Err(error) => return Err(self.missing_or_denied(error, &extensions, &input.bucket, &key).await),
        };
        let range = match (&input.range, input.part_number) {
            (Some(_), Some(_)) => return Err(s3_error!(InvalidRequest, "Cannot specify both Range header and partNumber query parameter")),
            (Some(range), None) => Some(range.check(info.size)?),
            (None, Some(number)) => Some(part_range(&info, number)?),
            (None, None) => None,
        };
        self.allow_reading(&extensions, &info).await?;
        let bytes = range.clone().unwrap_or(0..info.size);
        let stream = self.objects().read(&info, bytes.clone());
        let checksum = answered_checksum(&info, input.part_number, range.is_some(), &input.checksum_mode);
        let mut output = GetObjectOutput {
            body: Some(StreamingBlob::wrap(sync_wrapper::SyncStream::new(stream))),
            content_length: Some((bytes.end - bytes.start) as i64),
            content_range: range.map(|range| format!("bytes {}-{}/{}", range.start, range.end.saturating_sub(1), info.size)),
            accept_ranges: Some("bytes".to_owned()),
            e_tag: Some(etag(&info.etag)),
            last_modified: Some(timestamp(info.modified_at)),
            content_type: info.attributes.content_type.clone(),
            metadata: metadata(&info),
            parts_count: input.part_number.map(|_| info.segments.len() as i32),
            server_side_encryption: encryption(&info),
            ssekms_key_id: kms_key_id(&info),
            tag_count: (!info.attributes.tags.is_empty()).then(|| info.attributes.tags.len() as i32),
            version_id: answered_version(&info, input.version_id.as_deref()),
            expiration: self.expiration(&info, input.version_id.as_deref()).await,
            ..Default::default()
        };
        set_checksum!(output, checksum);
        output.checksum_type = checksum.and(checksum_type(info.checksum.as_ref()));
        Ok(S3Response::with_headers(output, response_headers(&info)))
    }

    async fn head_object(&self, request: S3Request<HeadObjectInput>) -> Out<HeadObjectOutput> {
        let S3Request { input, headers, mut extensions, .. } = request;
        let (bucket, key) = (bucket_name(&input.bucket)?, object_key(&input.key)?);
        let info = match self.read_object(&mut extensions, &bucket, &key, input.version_id.as_deref(), &conditions(&headers)).await {
            Ok(info) => info,
            Err(error) => return Err(self.missing_or_denied(error, &extensions, &input.bucket, &key).await),
        };
        let checksum = answered_checksum(&info, input.part_number, false, &input.checksum_mode);
        let part = input.part_number.map(|number| part_range(&info, number)).transpose()?;
        let mut headers = response_headers(&info);
        if !info.attributes.tags.is_empty() {
            headers.insert("x-amz-tagging-count", HeaderValue::from(info.attributes.tags.len()));
        }
        let mut output = HeadObjectOutput {
            content_length: Some(part.as_ref().map_or(info.size, |range| range.end - range.start) as i64),
            content_range: part.as_ref().map(|range| format!("bytes {}-{}/{}", range.start, range.end.saturating_sub(1), info.size)),
            parts_count: input.part_number.map(|_| info.segments.len() as i32),
            accept_ranges: Some("bytes".to_owned()),
            e_tag: Some(etag(&info.etag)),
            last_modified: Some(timestamp(info.modified_at)),
            content_type: info.attributes.content_type.clone(),
            metadata: metadata(&info),
            server_side_encryption: encryption(&info),
            ssekms_key_id: kms_key_id(&info),
            version_id: answered_version(&info, input.version_id.as_deref()),
            expiration: self.expiration(&info, input.version_id.as_deref()).await,
            ..Default::default()
        };
        set_checksum!(output, checksum);
        output.checksum_type = checksum.and(checksum_type(info.checksum.as_ref()));
        Ok(S3Response::with_headers(output, headers))
    }

    async fn delete_object(&self, request: S3Request<DeleteObjectInput>) -> Out<DeleteObjectOutput> {
        let owner = principal(&request);
        let input = request.input;
        let removal = self.remove(&bucket_name(&input.bucket)?, &object_key(&input.key)?, input.version_id.as_deref(), &owner).await?;
        Ok(S3Response::new(DeleteObjectOutput {
            delete_marker: removal.delete_marker.then_some(true),
            version_id: removal.version_id,
            ..Default::default()
        }))
    }

    async fn delete_objects(&self, request: S3Request<DeleteObjectsInput>) -> Out<DeleteObjectsOutput> {
        let owner = principal(&request);
        let S3Request { input, extensions, .. } = request;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"));
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        let caller = extensions.get::<s3cognito_service::access::Principal>().cloned();
        for object in input.delete.objects {
            // Each key is authorized on its own, as S3 does: refused keys are errors in the answer.
            if let Some(caller) = &caller {
                let resource = S3Resource {
                    bucket: Some(&input.bucket),
                    key: Some(&object.key),
                    names_version: object.version_id.is_some(),
                    ..S3Resource::default()
                };
                let decided = self.state.app.authorizer.authorize(Caller::Signed(caller), S3Operation::DeleteObject.into(), &Resource::S3(resource)).await;
                if let Err(error) = decided {
                    let (code, message) = match error {
                        ServiceError::AccessDenied(_) => ("AccessDenied", "Access Denied"),
                        other => {
                            tracing::error!(error = %other, "authorization failed");
                            ("InternalError", "We encountered an internal error. Please try again.")
                        }
                    };
                    errors.push(Error {
                        key: Some(object.key),
                        code: Some(code.to_owned()),
                        message: Some(message.to_owned()),
                        ..Default::default()
                    });
                    continue;
                }
            }
            // No object can have a key that is not one (empty, or past 1,024 bytes): deleting it finds
            // nothing, which S3 reports as deleted.
            let Ok(key) = ObjectKey::parse(object.key.clone()) else {
                deleted.push(DeletedObject { key: Some(object.key), version_id: object.version_id, ..Default::default() });
                continue;
            };
            match self.remove(&bucket_name(&input.bucket)?, &key, object.version_id.as_deref(), &owner).await {
                // A delete marker made or deleted is named as one; a version deleted is named as asked.
                Ok(removal) => deleted.push(DeletedObject {
                    key: Some(object.key),
                    delete_marker: removal.delete_marker.then_some(true),
                    delete_marker_version_id: if removal.delete_marker { removal.version_id.clone() } else { None },
                    version_id: object.version_id,
                    ..Default::default()
                }),
                Err(error) => {
                    errors.push(Error {
                        key: Some(object.key),
                        code: Some(error.code().as_str().to_owned()),
                        message: error.message().map(str::to_owned),
                        ..Default::default()
                    })
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: (!errors.is_empty()).then_some(errors),
            ..Default::default()
        }))
    }

    async fn copy_object(&self, request: S3Request<CopyObjectInput>) -> Out<CopyObjectOutput> {
        let owner = principal(&request);
        let S3Request { input, headers, extensions, .. } = request;
        let (source_bucket, source_key, source) = self.copy_source(&input.copy_source, &headers).await?;
        self.allow_reading(&extensions, &source).await?;
        let destination = self
            .requested_encryption(
                &extensions,
                &input.bucket,
                &input.key,
                input.server_side_encryption.as_ref(),
                input.ssekms_key_id.as_deref(),
                input.ssekms_encryption_context.as_deref(),
            )
            .await?;
        let replace = input.metadata_directive.as_ref().is_some_and(|directive| directive.as_str() == "REPLACE");
        if !replace && source_bucket == *input.bucket && source_key == *input.key {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        let beyond_owner = grants_beyond_owner(
            input.acl.as_ref().map(ObjectCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write_acp.as_ref()],
        );
        self.check_acl_write(&bucket_name(&input.bucket)?, beyond_owner).await?;
        // Metadata and tags are copied or replaced each by its own directive.
        let mut new_attributes = if replace {
            attributes(&headers, input.content_type.clone(), input.metadata.clone())
        } else {
            ObjectAttributes { tags: Default::default(), ..source.attributes.clone() }
        };
        new_attributes.tags = match input.tagging_directive.as_ref().map(TaggingDirective::as_str) {
            Some("REPLACE") => header_tags(input.tagging.as_deref())?,
            None | Some("COPY") => source.attributes.tags.clone(),
            Some(other) => return Err(s3_error!(InvalidArgument, "Unknown tagging directive: {other}")),
        };
        let new_attributes = Some(new_attributes);
        let info = self
            .objects()
            .copy_object(&source, &bucket_name(&input.bucket)?, &object_key(&input.key)?, &owner, new_attributes, &destination)
            .await
            .map_err(to_s3)?;
        let source_version = match &input.copy_source {
            CopySource::Bucket { version_id: Some(asked), .. } => Some(asked.to_string()),
            _ => source.version_id.clone(),
        };
        Ok(S3Response::new(CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(etag(&info.etag)),
                last_modified: Some(timestamp(info.modified_at)),
                ..Default::default()
            }),
            server_side_encryption: encryption(&info),
            ssekms_key_id: kms_key_id(&info),
            copy_source_version_id: source_version,
            version_id: info.version_id.clone(),
            expiration: self.expiration(&info, None).await,
            ..Default::default()
        }))
    }

    async fn list_objects_v2(&self, request: S3Request<ListObjectsV2Input>) -> Out<ListObjectsV2Output> {
        let input = request.input;
        let encode = encoder(&input.encoding_type);
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = match &input.continuation_token {
            Some(token) => Some(decode_continuation_token(token)?),
            None => input.start_after.clone(),
        };
        let max = max_keys(input.max_keys)?;
        let page = self
            .objects()
            .list(&bucket_name(&input.bucket)?, &prefix, input.delimiter.as_deref(), after.as_deref(), max)
            .await
            .map_err(to_s3)?;
        let key_count = (page.objects.len() + page.common_prefixes.len()) as i32;
        let owner = input.fetch_owner.unwrap_or(false).then(|| self.owner());
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().filter(|delimiter| !delimiter.is_empty()).map(encode),
            max_keys: Some(max as i32),
            key_count: Some(key_count),
            is_truncated: Some(page.truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: page.truncated.then(|| page.last.as_deref().map(continuation_token)).flatten(),
            start_after: input.start_after.as_deref().map(encode),
            encoding_type: input.encoding_type,
            contents: Some(page.objects.iter().map(|info| listed(info, encode, owner.as_ref())).collect()),
            common_prefixes: Some(
                page.common_prefixes.iter().map(|prefix| CommonPrefix { prefix: Some(encode(prefix)) }).collect(),
            ),
            ..Default::default()
        }))
    }

    async fn list_objects(&self, request: S3Request<ListObjectsInput>) -> Out<ListObjectsOutput> {
        let input = request.input;
        let encode = encoder(&input.encoding_type);
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys)?;
        let page = self
            .objects()
            .list(&bucket_name(&input.bucket)?, &prefix, input.delimiter.as_deref(), input.marker.as_deref().filter(|m| !m.is_empty()), max)
            .await
            .map_err(to_s3)?;
        // A version 1 listing always names each object's owner.
        let owner = self.owner();
        Ok(S3Response::new(ListObjectsOutput {
            name: Some(input.bucket),
            // Version 1 answers its Prefix as given, even with encoding-type=url (clients do not decode it).
            prefix: Some(prefix.clone()),
            marker: Some(input.marker.as_deref().map(encode).unwrap_or_default()),
            next_marker: page.truncated.then(|| page.last.as_deref().map(encode)).flatten(),
            delimiter: input.delimiter.as_deref().filter(|delimiter| !delimiter.is_empty()).map(encode),
            max_keys: Some(max as i32),
            is_truncated: Some(page.truncated),
            encoding_type: input.encoding_type,
            contents: Some(page.objects.iter().map(|info| listed(info, encode, Some(&owner))).collect()),
            common_prefixes: Some(
                page.common_prefixes.iter().map(|prefix| CommonPrefix { prefix: Some(encode(prefix)) }).collect(),
            ),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(&self, request: S3Request<CreateMultipartUploadInput>) -> Out<CreateMultipartUploadOutput> {
        let owner = principal(&request);
        let S3Request { input, headers, extensions, .. } = request;
        let mut attributes = attributes(&headers, input.content_type, input.metadata);
        attributes.tags = header_tags(input.tagging.as_deref())?;
        let beyond_owner = grants_beyond_owner(
            input.acl.as_ref().map(ObjectCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write_acp.as_ref()],
        );
        self.check_acl_write(&bucket_name(&input.bucket)?, beyond_owner).await?;
        attributes.encryption = self
            .requested_encryption(
                &extensions,
                &input.bucket,
                &input.key,
                input.server_side_encryption.as_ref(),
                input.ssekms_key_id.as_deref(),
                input.ssekms_encryption_context.as_deref(),
            )
            .await?;
        let (server_side_encryption, ssekms_key_id) = asked_encryption(&attributes.encryption);
        // The parts' checksums are verified as each arrives; the answer says what the client will send.
        let (checksum_algorithm, checksum_type) = (input.checksum_algorithm.clone(), input.checksum_type.clone());
        let upload = self.objects().create_upload(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &owner, attributes).await.map_err(to_s3)?;
        Ok(S3Response::new(CreateMultipartUploadOutput {
            bucket: Some(upload.bucket),
            key: Some(upload.key),
            upload_id: Some(upload.upload_id),
            server_side_encryption,
            ssekms_key_id,
            checksum_algorithm,
            checksum_type,
            ..Default::default()
        }))
    }

    async fn upload_part_copy(&self, request: S3Request<UploadPartCopyInput>) -> Out<UploadPartCopyOutput> {
        let S3Request { input, headers, extensions, .. } = request;
        let (_, _, source) = self.copy_source(&input.copy_source, &headers).await?;
        self.allow_reading(&extensions, &source).await?;
        let encryption = self.allow_part(&extensions, &input.bucket, &input.key, &input.upload_id).await?;
        let (server_side_encryption, ssekms_key_id) = asked_encryption(&encryption);
        let range = match input.copy_source_range.as_deref() {
            None => 0..source.size,
            Some(text) => {
                let malformed = || {
                    s3_error!(
                        InvalidArgument,
                        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"
                    )
                };
                let (first, last) = text.strip_prefix("bytes=").and_then(|range| range.split_once('-')).ok_or_else(malformed)?;
                let (first, last): (u64, u64) = (first.parse().map_err(|_| malformed())?, last.parse().map_err(|_| malformed())?);
                if first > last || last >= source.size {
                    return Err(s3_error!(
                        InvalidArgument,
                        "Range specified is not valid for source object of size: {}",
                        source.size
                    ));
                }
                first..last + 1
            }
        };
        let part = self
            .objects()
            .upload_part_copy(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id, input.part_number, &source, range)
            .await
            .map_err(to_s3)?;
        Ok(S3Response::new(UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(etag(&part.etag)),
                last_modified: Some(timestamp(part.uploaded_at)),
                ..Default::default()
            }),
            server_side_encryption,
            ssekms_key_id,
            copy_source_version_id: source.version_id.clone(),
            ..Default::default()
        }))
    }

    async fn upload_part(&self, request: S3Request<UploadPartInput>) -> Out<UploadPartOutput> {
        let S3Request { input, headers, trailing_headers, extensions, .. } = request;
        let encryption = self.allow_part(&extensions, &input.bucket, &input.key, &input.upload_id).await?;
        let (server_side_encryption, ssekms_key_id) = asked_encryption(&encryption);
        let upload = upload(input.body, input.content_length, input.content_md5, &headers, input.checksum_algorithm.as_ref(), trailing_headers)?;
        let part = self
            .objects()
            .upload_part(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id, input.part_number, upload)
            .await
            .map_err(to_s3)?;
        let mut output = UploadPartOutput { e_tag: Some(etag(&part.etag)), server_side_encryption, ssekms_key_id, ..Default::default() };
        set_checksum!(output, part.checksum);
        Ok(S3Response::new(output))
    }

    async fn complete_multipart_upload(&self, request: S3Request<CompleteMultipartUploadInput>) -> Out<CompleteMultipartUploadOutput> {
        let condition = write_condition(&request.headers)?;
        let input = request.input;
        let mut requested = Vec::new();
        let mut claimed_checksums = Vec::new();
        for part in input.multipart_upload.and_then(|upload| upload.parts).unwrap_or_default() {
            let number = part.part_number.ok_or_else(|| s3_error!(MalformedXML, "Every part needs a PartNumber"))?;
            let claimed = [
                (Algorithm::Crc32, part.checksum_crc32),
                (Algorithm::Crc32c, part.checksum_crc32c),
                (Algorithm::Crc64Nvme, part.checksum_crc64nvme),
                (Algorithm::Sha1, part.checksum_sha1),
                (Algorithm::Sha256, part.checksum_sha256),
            ]
            .into_iter()
            .find_map(|(algorithm, value)| value.map(|value| (algorithm, value)));
            let tag = part.e_tag.map(|tag| tag.value().to_owned()).ok_or_else(|| s3_error!(MalformedXML, "Every part needs an ETag"))?;
            requested.push((number, tag));
            claimed_checksums.push(claimed);
        }
        // The whole-object checksum the client computed, if it sent one (FULL_OBJECT uploads do).
        let whole = [
            (Algorithm::Crc32, input.checksum_crc32.clone()),
            (Algorithm::Crc32c, input.checksum_crc32c.clone()),
            (Algorithm::Crc64Nvme, input.checksum_crc64nvme.clone()),
            (Algorithm::Sha1, input.checksum_sha1.clone()),
            (Algorithm::Sha256, input.checksum_sha256.clone()),
        ]
        .into_iter()
        .find_map(|(algorithm, value)| value.map(|value| (algorithm, value)));
        let full_object = input.checksum_type.as_ref().is_some_and(|kind| kind.as_str() == ChecksumType::FULL_OBJECT)
            || whole.as_ref().is_some_and(|(_, value)| !value.contains('-'));
        let checksum = self
            .object_checksum(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id, &requested, &claimed_checksums, full_object)
            .await?;
        if let Some((algorithm, value)) = &whole
            && checksum.as_ref().is_some_and(|computed| computed.algorithm == *algorithm && computed.value != *value)
        {
            return Err(s3_error!(
                BadDigest,
                "The {} you specified did not match the calculated checksum.",
                algorithm.header()
            ));
        }
        let info = self
            .objects()
            .complete_upload(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id, &requested, checksum, &condition)
            .await
            .map_err(to_s3)?;
        self.record_upload(&info, Route::Multipart).await;
        let mut output = CompleteMultipartUploadOutput {
            bucket: Some(info.bucket.clone()),
            key: Some(info.key.clone()),
            e_tag: Some(etag(&info.etag)),
            location: Some(format!("/{}/{}", info.bucket, info.key)),
            server_side_encryption: encryption(&info),
            ssekms_key_id: kms_key_id(&info),
            version_id: info.version_id.clone(),
            expiration: self.expiration(&info, None).await,
            ..Default::default()
        };
        set_checksum!(output, info.checksum);
        output.checksum_type = checksum_type(info.checksum.as_ref());
        Ok(S3Response::new(output))
    }

    async fn abort_multipart_upload(&self, request: S3Request<AbortMultipartUploadInput>) -> Out<AbortMultipartUploadOutput> {
        let input = request.input;
        self.objects().abort_upload(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id).await.map_err(to_s3)?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }

    async fn list_parts(&self, request: S3Request<ListPartsInput>) -> Out<ListPartsOutput> {
        let input = request.input;
        let (upload, parts) = self.objects().list_parts(&bucket_name(&input.bucket)?, &object_key(&input.key)?, &input.upload_id).await.map_err(to_s3)?;
        let marker = input.part_number_marker.unwrap_or(0);
        let max = input.max_parts.unwrap_or(1000).clamp(0, 1000) as usize;
        let after: Vec<_> = parts.into_iter().filter(|part| part.part_number > marker).collect();
        let truncated = after.len() > max;
        let page: Vec<_> = after.into_iter().take(max).collect();
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(upload.bucket),
            key: Some(upload.key),
            upload_id: Some(upload.upload_id),
            max_parts: Some(max as i32),
            is_truncated: Some(truncated),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: truncated.then(|| page.last().map(|part| part.part_number)).flatten(),
            parts: Some(
                page.iter()
                    .map(|part| Part {
                        part_number: Some(part.part_number),
                        e_tag: Some(etag(&part.etag)),
                        size: Some(part.size as i64),
                        last_modified: Some(timestamp(part.uploaded_at)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    async fn get_object_attributes(&self, request: S3Request<GetObjectAttributesInput>) -> Out<GetObjectAttributesOutput> {
        let S3Request { input, headers, .. } = request;
        let (bucket, key) = (bucket_name(&input.bucket)?, object_key(&input.key)?);
        let info = match input.version_id.as_deref() {
            None => self.objects().object(&bucket, &key, &conditions(&headers)).await,
            Some(version_id) => {
                let version_id = parse_version_id(version_id).map_err(to_s3)?;
                self.objects().object_version(&bucket, &key, version_id.as_deref(), &conditions(&headers)).await
            }
        }
        .map_err(object_error)?;
        // s3s passes the comma-separated header as one value.
        let wanted: Vec<String> = input
            .object_attributes
            .iter()
            .flat_map(|attributes| attributes.as_str().split(','))
            .map(|attribute| attribute.trim().to_owned())
            .collect();
        let asked = |name: &str| wanted.iter().any(|attribute| attribute.eq_ignore_ascii_case(name));
        let mut checksum = Checksum_::default();
        set_checksum!(checksum, info.checksum);
        checksum.checksum_type = checksum_type(info.checksum.as_ref());
        Ok(S3Response::new(GetObjectAttributesOutput {
            e_tag: asked("ETag").then(|| etag(&info.etag)),
            object_size: asked("ObjectSize").then_some(info.size as i64),
            storage_class: asked("StorageClass").then(|| StorageClass::from_static(StorageClass::STANDARD)),
            checksum: (asked("Checksum") && info.checksum.is_some()).then_some(checksum),
            object_parts: (asked("ObjectParts") && info.etag.contains('-')).then(|| {
                // A page of the parts by number, each with its size, after `part-number-marker`.
                let max = input.max_parts.filter(|max| *max >= 0).unwrap_or(1000).min(1000) as usize;
                let after = input.part_number_marker.and_then(|marker| usize::try_from(marker).ok()).unwrap_or(0);
                let page: Vec<ObjectPart> = info
                    .segments
                    .iter()
                    .enumerate()
                    .skip(after)
                    .take(max)
                    .map(|(index, segment)| {
                        let mut part = ObjectPart { part_number: Some(index as i32 + 1), size: Some(segment.size as i64), ..Default::default() };
                        set_checksum!(part, segment.checksum);
                        part
                    })
                    .collect();
                let last = after + page.len();
                let truncated = last < info.segments.len();
                GetObjectAttributesParts {
                    total_parts_count: Some(info.segments.len() as i32),
                    max_parts: Some(max as i32),
                    part_number_marker: Some(after as i32),
                    next_part_number_marker: truncated.then_some(last as i32),
                    is_truncated: Some(truncated),
                    parts: Some(page),
                }
            }),
            last_modified: Some(timestamp(info.modified_at)),
            version_id: answered_version(&info, input.version_id.as_deref()),
            ..Default::default()
        }))
    }

    async fn list_object_versions(&self, request: S3Request<ListObjectVersionsInput>) -> Out<ListObjectVersionsOutput> {
        let input = request.input;
        let encode = encoder(&input.encoding_type);
        let prefix = input.prefix.clone().unwrap_or_default();
        let max = max_keys(input.max_keys)?;
        let page = self
            .objects()
            .list_versions(
                &bucket_name(&input.bucket)?,
                &prefix,
                input.delimiter.as_deref(),
                input.key_marker.as_deref(),
                input.version_id_marker.as_deref(),
                max,
            )
            .await
            .map_err(to_s3)?;
        let owner = self.owner();
        let mut versions = Vec::new();
        let mut delete_markers = Vec::new();
        for version in &page.versions {
            let info = &version.object;
            let version_id = Some(stated(info.version_id.as_deref()));
            if version.delete_marker {
                delete_markers.push(DeleteMarkerEntry {
                    key: Some(encode(&info.key)),
                    version_id,
                    is_latest: Some(version.is_latest),
                    last_modified: Some(timestamp(info.modified_at)),
                    owner: Some(owner.clone()),
                });
            } else {
                versions.push(ObjectVersion {
                    key: Some(encode(&info.key)),
                    version_id,
                    is_latest: Some(version.is_latest),
                    e_tag: Some(etag(&info.etag)),
                    size: Some(info.size as i64),
                    last_modified: Some(timestamp(info.modified_at)),
                    owner: Some(owner.clone()),
                    storage_class: Some(ObjectVersionStorageClass::from_static(ObjectVersionStorageClass::STANDARD)),
                    checksum_algorithm: info.checksum.as_ref().map(|checksum| vec![ChecksumAlgorithm::from(checksum.algorithm.name().to_owned())]),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().filter(|delimiter| !delimiter.is_empty()).map(encode),
            key_marker: Some(input.key_marker.as_deref().map(encode).unwrap_or_default()),
            version_id_marker: Some(input.version_id_marker.clone().unwrap_or_default()),
            max_keys: Some(max as i32),
            is_truncated: Some(page.truncated),
            next_key_marker: page.truncated.then(|| page.next_key_marker.as_deref().map(encode)).flatten(),
            next_version_id_marker: page.truncated.then(|| page.next_version_id_marker.clone()).flatten(),
            encoding_type: input.encoding_type,
            versions: (!versions.is_empty()).then_some(versions),
            delete_markers: (!delete_markers.is_empty()).then_some(delete_markers),
            common_prefixes: Some(page.common_prefixes.iter().map(|prefix| CommonPrefix { prefix: Some(encode(prefix)) }).collect()),
            ..Default::default()
        }))
    }

    async fn put_bucket_cors(&self, request: S3Request<PutBucketCorsInput>) -> Out<PutBucketCorsOutput> {
        let input = request.input;
        let rules = input
            .cors_configuration
            .cors_rules
            .into_iter()
            .map(|rule| CorsRule {
                id: rule.id,
                allowed_origins: rule.allowed_origins,
                allowed_methods: rule.allowed_methods,
                allowed_headers: rule.allowed_headers.unwrap_or_default(),
                expose_headers: rule.expose_headers.unwrap_or_default(),
                max_age_seconds: rule.max_age_seconds,
            })
            .collect();
        self.objects().put_bucket_cors(&bucket_name(&input.bucket)?, rules).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    async fn get_bucket_cors(&self, request: S3Request<GetBucketCorsInput>) -> Out<GetBucketCorsOutput> {
        let rules = self.objects().bucket_cors(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        let rules = rules.ok_or_else(|| s3_error!(NoSuchCORSConfiguration, "The CORS configuration does not exist"))?;
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(
                rules
                    .into_iter()
                    .map(|rule| CORSRule {
                        id: rule.id,
                        allowed_origins: rule.allowed_origins,
                        allowed_methods: rule.allowed_methods,
                        allowed_headers: (!rule.allowed_headers.is_empty()).then_some(rule.allowed_headers),
                        expose_headers: (!rule.expose_headers.is_empty()).then_some(rule.expose_headers),
                        max_age_seconds: rule.max_age_seconds,
                    })
                    .collect(),
            ),
        }))
    }

    async fn delete_bucket_cors(&self, request: S3Request<DeleteBucketCorsInput>) -> Out<DeleteBucketCorsOutput> {
        self.objects().delete_bucket_cors(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(DeleteBucketCorsOutput::default()))
    }

    async fn put_bucket_encryption(&self, request: S3Request<PutBucketEncryptionInput>) -> Out<PutBucketEncryptionOutput> {
        let input = request.input;
        let rules = input.server_side_encryption_configuration.rules;
        let [rule] = rules.as_slice() else {
            return Err(s3_error!(MalformedXML, "A server-side encryption configuration has exactly one rule"));
        };
        let default = rule
            .apply_server_side_encryption_by_default
            .as_ref()
            .ok_or_else(|| s3_error!(MalformedXML, "The rule must say ApplyServerSideEncryptionByDefault"))?;
        if let Some(key_id) = &default.kms_master_key_id {
            // A key that does not exist here is refused now rather than at the first upload.
            self.state.app.kms.resolve(key_id).await.map_err(kms_refused)?;
        }
        let encryption = BucketEncryption {
            algorithm: default.sse_algorithm.as_str().to_owned(),
            kms_key_id: default.kms_master_key_id.clone(),
            bucket_key_enabled: rule.bucket_key_enabled.unwrap_or(false),
        };
        self.objects().put_bucket_encryption(&bucket_name(&input.bucket)?, encryption).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }

    async fn get_bucket_encryption(&self, request: S3Request<GetBucketEncryptionInput>) -> Out<GetBucketEncryptionOutput> {
        let encryption = self.objects().bucket_encryption(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        let rule = ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                sse_algorithm: ServerSideEncryption::from(encryption.algorithm),
                kms_master_key_id: encryption.kms_key_id,
            }),
            bucket_key_enabled: Some(encryption.bucket_key_enabled),
        };
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(ServerSideEncryptionConfiguration { rules: vec![rule] }),
        }))
    }

    async fn delete_bucket_encryption(&self, request: S3Request<DeleteBucketEncryptionInput>) -> Out<DeleteBucketEncryptionOutput> {
        self.objects().delete_bucket_encryption(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }

    async fn get_bucket_tagging(&self, request: S3Request<GetBucketTaggingInput>) -> Out<GetBucketTaggingOutput> {
        self.get_bucket_tagging_(request).await
    }

    async fn put_bucket_tagging(&self, request: S3Request<PutBucketTaggingInput>) -> Out<PutBucketTaggingOutput> {
        self.put_bucket_tagging_(request).await
    }

    async fn delete_bucket_tagging(&self, request: S3Request<DeleteBucketTaggingInput>) -> Out<DeleteBucketTaggingOutput> {
        self.delete_bucket_tagging_(request).await
    }

    async fn get_object_tagging(&self, request: S3Request<GetObjectTaggingInput>) -> Out<GetObjectTaggingOutput> {
        self.get_object_tagging_(request).await
    }

    async fn put_object_tagging(&self, request: S3Request<PutObjectTaggingInput>) -> Out<PutObjectTaggingOutput> {
        self.put_object_tagging_(request).await
    }

    async fn delete_object_tagging(&self, request: S3Request<DeleteObjectTaggingInput>) -> Out<DeleteObjectTaggingOutput> {
        self.delete_object_tagging_(request).await
    }

    async fn get_bucket_policy(&self, request: S3Request<GetBucketPolicyInput>) -> Out<GetBucketPolicyOutput> {
        self.get_bucket_policy_(request).await
    }

    async fn put_bucket_policy(&self, request: S3Request<PutBucketPolicyInput>) -> Out<PutBucketPolicyOutput> {
        self.put_bucket_policy_(request).await
    }

    async fn delete_bucket_policy(&self, request: S3Request<DeleteBucketPolicyInput>) -> Out<DeleteBucketPolicyOutput> {
        self.delete_bucket_policy_(request).await
    }

    async fn get_bucket_policy_status(&self, request: S3Request<GetBucketPolicyStatusInput>) -> Out<GetBucketPolicyStatusOutput> {
        self.get_bucket_policy_status_(request).await
    }

    async fn get_bucket_acl(&self, request: S3Request<GetBucketAclInput>) -> Out<GetBucketAclOutput> {
        self.get_bucket_acl_(request).await
    }

    async fn put_bucket_acl(&self, request: S3Request<PutBucketAclInput>) -> Out<PutBucketAclOutput> {
        self.put_bucket_acl_(request).await
    }

    async fn get_object_acl(&self, request: S3Request<GetObjectAclInput>) -> Out<GetObjectAclOutput> {
        self.get_object_acl_(request).await
    }

    async fn put_object_acl(&self, request: S3Request<PutObjectAclInput>) -> Out<PutObjectAclOutput> {
        self.put_object_acl_(request).await
    }

    async fn get_bucket_ownership_controls(&self, request: S3Request<GetBucketOwnershipControlsInput>) -> Out<GetBucketOwnershipControlsOutput> {
        self.get_bucket_ownership_controls_(request).await
    }

    async fn put_bucket_ownership_controls(&self, request: S3Request<PutBucketOwnershipControlsInput>) -> Out<PutBucketOwnershipControlsOutput> {
        self.put_bucket_ownership_controls_(request).await
    }

    async fn delete_bucket_ownership_controls(
        &self,
        request: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> Out<DeleteBucketOwnershipControlsOutput> {
        self.delete_bucket_ownership_controls_(request).await
    }

    async fn get_public_access_block(&self, request: S3Request<GetPublicAccessBlockInput>) -> Out<GetPublicAccessBlockOutput> {
        self.get_public_access_block_(request).await
    }

    async fn put_public_access_block(&self, request: S3Request<PutPublicAccessBlockInput>) -> Out<PutPublicAccessBlockOutput> {
        self.put_public_access_block_(request).await
    }

    async fn delete_public_access_block(&self, request: S3Request<DeletePublicAccessBlockInput>) -> Out<DeletePublicAccessBlockOutput> {
        self.delete_public_access_block_(request).await
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        request: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> Out<GetBucketLifecycleConfigurationOutput> {
        self.get_bucket_lifecycle_configuration_(request).await
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        request: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> Out<PutBucketLifecycleConfigurationOutput> {
        self.put_bucket_lifecycle_configuration_(request).await
    }

    async fn delete_bucket_lifecycle(&self, request: S3Request<DeleteBucketLifecycleInput>) -> Out<DeleteBucketLifecycleOutput> {
        self.delete_bucket_lifecycle_(request).await
    }

    async fn get_bucket_versioning(&self, request: S3Request<GetBucketVersioningInput>) -> Out<GetBucketVersioningOutput> {
        self.get_bucket_versioning_(request).await
    }

    async fn put_bucket_versioning(&self, request: S3Request<PutBucketVersioningInput>) -> Out<PutBucketVersioningOutput> {
        self.put_bucket_versioning_(request).await
    }

    async fn list_multipart_uploads(&self, request: S3Request<ListMultipartUploadsInput>) -> Out<ListMultipartUploadsOutput> {
        let input = request.input;
        let max = input.max_uploads.unwrap_or(1000).clamp(0, 1000) as usize;
        let (uploads, truncated) = self
            .objects()
            .list_uploads(
                &bucket_name(&input.bucket)?,
                input.prefix.as_deref().unwrap_or(""),
                input.key_marker.as_deref().unwrap_or(""),
                input.upload_id_marker.as_deref().unwrap_or(""),
                max,
            )
            .await
            .map_err(to_s3)?;
        let last = uploads.last().cloned();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker: truncated.then(|| last.as_ref().map(|upload| upload.key.clone())).flatten(),
            next_upload_id_marker: truncated.then(|| last.as_ref().map(|upload| upload.upload_id.clone())).flatten(),
            uploads: Some(
                uploads
                    .iter()
                    .map(|upload| MultipartUpload {
                        key: Some(upload.key.clone()),
                        upload_id: Some(upload.upload_id.clone()),
                        initiated: Some(timestamp(upload.initiated_at)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }))
    }
}
