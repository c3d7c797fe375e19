//! Authentication, the request checks s3s leaves to its user, and authorization of requests made
//! with temporary credentials.

use percent_encoding::percent_decode_str;
use s3cognito_service::ServiceError;
use s3cognito_service::access::SessionTokenError;
use s3cognito_service::activity::{self, Via};
use s3cognito_service::authorization::{Caller, Resource, S3Resource};
use s3cognito_service::objects::{Conditions, ObjectError, ObjectInfo};
use s3cognito_types::{BucketName, ObjectKey};
use s3cognito_types::operation::S3 as S3Operation;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::{S3Result, s3_error};

use crate::S3State;

/// Presigned URLs live at most a week, as on AWS.
const MAX_PRESIGNED_SECONDS: u64 = 604_800;

/// Looks access keys up in the metadata store.
pub(crate) struct Auth {
    pub state: S3State,
}

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        // Whoever the signature turns out to be, the key it names is on record until it is proved.
        activity::note_unverified_key(access_key);
        match self.state.app.access.secret_of(access_key).await {
            Ok(Some(secret)) => Ok(SecretKey::from(secret)),
            Ok(None) => Err(s3_error!(InvalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")),
            Err(error) => {
                tracing::error!(%error, "access key lookup failed");
                Err(s3_error!(InternalError))
            }
        }
    }
}

fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// The first `x-amz-*` header of a SigV4-presigned request that its `X-Amz-SignedHeaders` does not name
/// (`x-amz-content-sha256` aside: it only states the payload's hash, which s3s checks).
fn unsigned_amz_header(headers: &axum::http::HeaderMap, query: &str) -> Option<String> {
    let (_, signed) = query_pairs(query).find(|(name, _)| *name == "X-Amz-SignedHeaders")?;
    let signed = percent_decode_str(signed).decode_utf8_lossy().to_ascii_lowercase();
    let signed: Vec<&str> = signed.split(';').collect();
    headers
        .keys()
        .map(|name| name.as_str())
        .find(|name| name.starts_with("x-amz-") && *name != "x-amz-content-sha256" && !signed.contains(name))
        .map(str::to_owned)
}

/// Signed requests only, with the limits AWS applies that s3s does not, and every request made with
/// temporary credentials authorized by its role's policies.
pub(crate) struct Policy {
    pub state: S3State,
}

/// The session token of a request: the header, or its query form in a presigned URL. A POST form's
/// field is moved into the header by `form::post_form_fields` before s3s sees the request.
fn session_token(context: &S3AccessContext<'_>) -> Option<String> {
    if let Some(value) = context.headers().get("x-amz-security-token") {
        return Some(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    let query = context.uri().query().unwrap_or("");
    query_pairs(query)
        .find(|(name, _)| *name == "X-Amz-Security-Token")
        .map(|(_, value)| percent_decode_str(value).decode_utf8_lossy().into_owned())
}

/// The bucket and key of `x-amz-copy-source` (`/bucket/key?versionId=…`, URL-encoded).
fn copy_source(context: &S3AccessContext<'_>) -> Option<(String, String)> {
    let raw = context.headers().get("x-amz-copy-source")?.to_str().ok()?;
    let raw = raw.split_once("?versionId=").map_or(raw, |(path, _)| path);
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let (bucket, key) = decoded.trim_start_matches('/').split_once('/')?;
    Some((bucket.to_owned(), key.to_owned()))
}

/// The condition keys a listing sets (`s3:prefix`, `s3:delimiter`, `s3:max-keys`), from its query.
fn listing_keys(query: &str) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    for (parameter, condition_key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
        if let Some((_, value)) = query_pairs(query).find(|(name, _)| *name == parameter) {
            keys.push((condition_key, percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned()));
        }
    }
    keys
}

/// The key a browser form names in its `key` field, which `form::post_form_fields` states in a header of ours.
fn form_key(context: &S3AccessContext<'_>) -> Option<String> {
    let value = context.headers().get(super::POST_KEY_HEADER)?.to_str().ok()?;
    Some(percent_decode_str(value).decode_utf8().ok()?.into_owned())
}

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, context: &mut S3AccessContext<'_>) -> S3Result<()> {
        let query = context.uri().query().unwrap_or("");
        // s3s knows operations this server does not implement; they are refused once the caller is known.
        let operation = S3Operation::parse(context.s3_op().name());
        if let Some(operation) = operation {
            activity::note_operation(operation);
        }
        if let S3Path::Object { bucket, key } = context.s3_path() {
            activity::note_resource(format!("{bucket}/{key}"));
        } else if let S3Path::Bucket { bucket } = context.s3_path() {
            activity::note_resource(bucket.to_string());
        }
        let authorization = context.headers().get("authorization").map(|value| value.as_bytes()).unwrap_or(b"");
        // s3s checks no date on SigV2 header signatures, so one could be replayed forever. SigV2
        // presigned URLs (boto3's default in us-east-1) carry an expiry s3s does check.
        if authorization.starts_with(b"AWS ") {
            return Err(s3_error!(AccessDenied, "Signature Version 2 headers are not accepted; sign with Signature Version 4"));
        }
        let presigned = query_pairs(query).any(|(name, _)| matches!(name, "X-Amz-Algorithm" | "X-Amz-Signature" | "Signature"));
        if presigned && !authorization.is_empty() {
            return Err(s3_error!(
                InvalidArgument,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
                 parameter or the Authorization header should be specified"
            ));
        }
        // s3s checks a presigned URL's signature over the headers it names and ignores the rest, so an
        // `x-amz-copy-source` added to a URL presigned for a PUT would turn it into a copy of any object the
        // signer may read. S3 refuses unsigned `x-amz-*` headers on presigned requests; so do we.
        if let Some(header) = unsigned_amz_header(context.headers(), query) {
            return Err(s3_error!(AccessDenied, "There were headers present in the request which were not signed: {header}"));
        }
        check_signing_region(&self.state.app.region, authorization, query)?;
        if let Some((_, expires)) = query_pairs(query).find(|(name, _)| *name == "Expires") {
            let now = u64::try_from(self.state.app.clock.now()).unwrap_or(0);
            if expires.parse::<u64>().is_ok_and(|at| at > now + MAX_PRESIGNED_SECONDS) {
                return Err(s3_error!(AccessDenied, "Presigned URLs may live at most a week"));
            }
        }
        let Some(credentials) = context.credentials() else {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        };
        let access_key = credentials.access_key.clone();
        let token = session_token(context);
        let principal = match self.state.app.access.principal(&access_key, token.as_deref()).await {
            Ok(Ok(principal)) => principal,
            Ok(Err(SessionTokenError::Missing)) => {
                return Err(s3_error!(AccessDenied, "Temporary credentials must be used with their session token"));
            }
            Ok(Err(SessionTokenError::Invalid)) => {
                return Err(s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid."));
            }
            Ok(Err(SessionTokenError::Expired)) => {
                return Err(s3_error!(ExpiredToken, "The provided token has expired."));
            }
            Err(error) => {
                tracing::error!(%error, "credential lookup failed");
                return Err(s3_error!(InternalError));
            }
        };
        let via = if presigned { Via::PresignedUrl } else { Via::Signature };
        activity::note_signed(&principal, &self.state.app.identity.settings().account_id, via);
        let Some(operation) = operation else {
            let name = context.s3_op().name();
            return Err(s3_error!(NotImplemented, "{name} is not implemented yet"));
        };
        let (bucket, key) = match context.s3_path() {
            S3Path::Root => (None, None),
            S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
            S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
        };
        let key = if operation == S3Operation::PostObject { Some(form_key(context).unwrap_or_default()) } else { key };
        if operation == S3Operation::PostObject && let (Some(bucket), Some(key)) = (&bucket, &key) {
            activity::note_resource(format!("{bucket}/{key}"));
        }
        let copy_source = copy_source(context);
        // A header that does not parse is refused by the operation itself; it sets no condition keys.
        let tagging = context.headers().get("x-amz-tagging").and_then(|value| value.to_str().ok());
        let request_tags = crate::settings::header_tags(tagging).map(|tags| tags.pairs().to_vec()).unwrap_or_default();
        // A policy may test a read object's tags: the object is read here, once, and handed to the operation.
        // A request naming a version (`versionId`, or a copy source's) needs the version actions.
        let names_version = query_pairs(query).any(|(name, _)| name == "versionId")
            || context.headers().get("x-amz-copy-source").and_then(|value| value.to_str().ok()).is_some_and(|value| value.contains("?versionId="));
        let prefetched = match (operation, &bucket, &key) {
            (S3Operation::GetObject | S3Operation::HeadObject, Some(bucket), Some(key)) if !principal.is_root() && !names_version => {
                self.prefetch(bucket, key).await?
            }
            _ => None,
        };
        refuse_unsupported_encryption(context.headers(), operation)?;
        let encryption_keys = ["x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"]
            .into_iter()
            .filter_map(|name| {
                let value = context.headers().get(name)?.to_str().ok()?;
                let key = if name == "x-amz-server-side-encryption" { "s3:x-amz-server-side-encryption" } else { "s3:x-amz-server-side-encryption-aws-kms-key-id" };
                Some((key, value.to_owned()))
            })
            .collect();
        let resource = S3Resource {
            names_version,
            encryption_keys,
            bucket: bucket.as_deref(),
            key: key.as_deref(),
            listing: listing_keys(query),
            copy_source: copy_source.as_ref().map(|(bucket, key)| (bucket.as_str(), key.as_str())),
            request_tags,
            existing_tags: prefetched.as_ref().map(|found| found.0.as_ref().map(|info| info.attributes.tags.pairs().to_vec()).unwrap_or_default()),
        };
        let decided = self.state.app.authorizer.authorize(Caller::Signed(&principal), operation.into(), &Resource::S3(resource)).await;
        if let Err(error) = decided {
            return Err(denied_or_internal(error));
        }
        // Handlers that check more than one resource (DeleteObjects) read the caller from here.
        context.extensions_mut().insert(principal);
        if let Some(prefetched) = prefetched {
            context.extensions_mut().insert(prefetched);
        }
        Ok(())
    }
}

/// The object a GET or HEAD names, read while authorizing it (`None` when the key holds nothing); the
/// operation answers from it instead of reading it again.
#[derive(Debug, Clone)]
pub(crate) struct Prefetched(pub Option<ObjectInfo>);

impl Policy {
    /// Reads the object at `bucket`/`key` for a GET or HEAD; a name that is not valid, or a bucket that does not
    /// exist, is left for the operation to answer.
    async fn prefetch(&self, bucket: &str, key: &str) -> S3Result<Option<Prefetched>> {
        let (Ok(bucket), Ok(key)) = (BucketName::parse(bucket), ObjectKey::parse(key.to_owned())) else { return Ok(None) };
        match self.state.app.objects.object(&bucket, &key, &Conditions::default()).await {
            Ok(info) => Ok(Some(Prefetched(Some(info)))),
            Err(ObjectError::NoSuchKey) => Ok(Some(Prefetched(None))),
            Err(ObjectError::NoSuchBucket) => Ok(None),
            Err(error) => Err(crate::errors::to_s3(error)),
        }
    }
}

/// Refuses what a request asks of encryption that would otherwise be silently ignored: keys the client
/// provides (SSE-C), which are not supported, so nothing is stored as if it were under the client's key; and
/// SSE headers on a read, which S3 refuses too (a read answers how the object is encrypted).
fn refuse_unsupported_encryption(headers: &axum::http::HeaderMap, operation: S3Operation) -> S3Result<()> {
    let customer_key = headers.keys().any(|name| {
        let name = name.as_str();
        name.starts_with("x-amz-server-side-encryption-customer-") || name.starts_with("x-amz-copy-source-server-side-encryption-customer-")
    });
    if customer_key {
        return Err(s3_error!(
            NotImplemented,
            "Server-side encryption with customer-provided keys (SSE-C) is not supported; every object is encrypted at rest with server-managed or KMS keys"
        ));
    }
    let read = matches!(operation, S3Operation::GetObject | S3Operation::HeadObject);
    if read && headers.contains_key("x-amz-server-side-encryption") {
        return Err(s3_error!(InvalidArgument, "x-amz-server-side-encryption header is not supported for this operation."));
    }
    Ok(())
}

/// An authorization failure in S3's terms: AccessDenied, or an internal error that is logged.
pub(crate) fn denied_or_internal(error: ServiceError) -> s3s::S3Error {
    match error {
        ServiceError::AccessDenied(_) => s3_error!(AccessDenied, "Access Denied"),
        other => {
            tracing::error!(error = %other, "authorization failed");
            s3_error!(InternalError)
        }
    }
}

/// A SigV4 credential scope (header or presigned URL) must name this deployment's region, as S3
/// insists; s3s verifies the signature over whatever region the client chose.
fn check_signing_region(region: &str, authorization: &[u8], query: &str) -> S3Result<()> {
    let scope_region = |credential: &str| credential.split('/').nth(2).map(str::to_owned);
    if authorization.starts_with(b"AWS4-HMAC-SHA256") {
        let header = String::from_utf8_lossy(authorization);
        let credential = header.split("Credential=").nth(1).and_then(|rest| rest.split([',', ' ']).next()).unwrap_or("");
        if let Some(given) = scope_region(credential)
            && given != region
        {
            return Err(s3_error!(
                AuthorizationHeaderMalformed,
                "The authorization header is malformed; the region '{given}' is wrong; expecting '{region}'"
            ));
        }
    } else if let Some((_, credential)) = query_pairs(query).find(|(name, _)| *name == "X-Amz-Credential") {
        let credential = percent_decode_str(credential).decode_utf8_lossy();
        if let Some(given) = scope_region(&credential)
            && given != region
        {
            return Err(s3_error!(
                AuthorizationQueryParametersError,
                "Error parsing the X-Amz-Credential parameter; the region '{given}' is wrong; expecting '{region}'"
            ));
        }
    }
    Ok(())
}

/// S3's refusal of a presigned URL's `X-Amz-Expires`: not a number, negative, or beyond a week. Checked
/// before s3s reads the URL (it answers a negative one with a bare `InvalidRequest`).
pub(crate) fn x_amz_expires_refusal(query: &str) -> Option<&'static str> {
    let (_, expires) = query_pairs(query).find(|(name, _)| *name == "X-Amz-Expires")?;
    match expires.parse::<i64>() {
        Err(_) => Some("X-Amz-Expires should be a number"),
        Ok(seconds) if seconds < 0 => Some("X-Amz-Expires must be non-negative"),
        Ok(seconds) if seconds as u64 > MAX_PRESIGNED_SECONDS => Some("X-Amz-Expires must be less than a week (in seconds) that is 604800"),
        Ok(_) => None,
    }
}

/// AWS's bucket naming rules, reserved prefixes and suffixes included (`types::BucketName`).
pub(crate) struct BucketNames;

impl s3s::validation::NameValidation for BucketNames {
    fn validate_bucket_name(&self, name: &str) -> bool {
        s3cognito_types::BucketName::parse(name).is_ok()
    }
}
