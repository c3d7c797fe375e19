//! Authentication, the request checks s3s leaves to its user, and authorization of requests made
//! with temporary credentials.

use percent_encoding::percent_decode_str;
use s3cognito_service::ServiceError;
use s3cognito_service::access::SessionTokenError;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::{S3Result, s3_error};

use crate::HttpState;

/// Presigned URLs live at most a week, as on AWS.
const MAX_PRESIGNED_SECONDS: u64 = 604_800;

/// Looks access keys up in the metadata store.
pub(crate) struct Auth {
    pub state: HttpState,
}

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
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

/// Signed requests only, with the limits AWS applies that s3s does not, and every request made with
/// temporary credentials authorized by its role's policies.
pub(crate) struct Policy {
    pub state: HttpState,
}

/// The session token of a request: the header, or its query form in a presigned URL. A POST form's
/// field is moved into the header by `s3::post_form_fields` before s3s sees the request.
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

/// What one S3 operation needs allowed: (IAM action, resource ARN, condition keys).
type Authorization = (String, String, Vec<(&'static str, Vec<String>)>);

/// The IAM actions an S3 operation is checked against, as AWS documents them per operation.
/// DeleteObjects is checked key by key where it runs.
fn authorizations(context: &S3AccessContext<'_>) -> Vec<Authorization> {
    let (bucket, key) = match context.s3_path() {
        S3Path::Root => (None, None),
        S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
        S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
    };
    let bucket_arn = format!("arn:aws:s3:::{}", bucket.as_deref().unwrap_or("*"));
    let object_arn = format!("{bucket_arn}/{}", key.as_deref().unwrap_or(""));
    let query = context.uri().query().unwrap_or("");
    let listing_keys = || {
        let mut keys = Vec::new();
        for (parameter, condition_key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
            if let Some((_, value)) = query_pairs(query).find(|(name, _)| *name == parameter) {
                keys.push((condition_key, vec![percent_decode_str(&value.replace('+', " ")).decode_utf8_lossy().into_owned()]));
            }
        }
        keys
    };
    let on_bucket = |action: &str| vec![(action.to_owned(), bucket_arn.clone(), Vec::new())];
    let on_object = |action: &str| vec![(action.to_owned(), object_arn.clone(), Vec::new())];
    let with_copy_source = |mut checks: Vec<Authorization>| {
        if let Some((source_bucket, source_key)) = copy_source(context) {
            checks.push(("s3:GetObject".to_owned(), format!("arn:aws:s3:::{source_bucket}/{source_key}"), Vec::new()));
        } else {
            // A copy without a readable source header is refused by s3s anyway; deny rather than guess.
            checks.push(("s3:GetObject".to_owned(), "arn:aws:s3:::".to_owned(), Vec::new()));
        }
        checks
    };
    match context.s3_op().name() {
        "ListBuckets" => vec![("s3:ListAllMyBuckets".to_owned(), "arn:aws:s3:::*".to_owned(), Vec::new())],
        "ListObjects" | "ListObjectsV2" => vec![("s3:ListBucket".to_owned(), bucket_arn.clone(), listing_keys())],
        "ListObjectVersions" => vec![("s3:ListBucketVersions".to_owned(), bucket_arn.clone(), listing_keys())],
        "ListMultipartUploads" => vec![("s3:ListBucketMultipartUploads".to_owned(), bucket_arn.clone(), listing_keys())],
        "HeadBucket" => on_bucket("s3:ListBucket"),
        "GetBucketLocation" => on_bucket("s3:GetBucketLocation"),
        "CreateBucket" => on_bucket("s3:CreateBucket"),
        "DeleteBucket" => on_bucket("s3:DeleteBucket"),
        "GetBucketCors" => on_bucket("s3:GetBucketCORS"),
        "PutBucketCors" | "DeleteBucketCors" => on_bucket("s3:PutBucketCORS"),
        "DeleteObjects" => Vec::new(),
        "GetObject" | "HeadObject" => on_object("s3:GetObject"),
        "GetObjectAttributes" => {
            let mut checks = on_object("s3:GetObject");
            checks.extend(on_object("s3:GetObjectAttributes"));
            checks
        }
        // A form names its key in a field; `s3::post_form_fields` states it in a header of ours.
        "PostObject" => {
            let key = context
                .headers()
                .get(super::POST_KEY_HEADER)
                .and_then(|value| percent_decode_str(value.to_str().ok()?).decode_utf8().ok().map(|key| key.into_owned()))
                .unwrap_or_default();
            vec![("s3:PutObject".to_owned(), format!("{bucket_arn}/{key}"), Vec::new())]
        }
        "PutObject" | "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => on_object("s3:PutObject"),
        "CopyObject" | "UploadPartCopy" => with_copy_source(on_object("s3:PutObject")),
        "AbortMultipartUpload" => on_object("s3:AbortMultipartUpload"),
        "ListParts" => on_object("s3:ListMultipartUploadParts"),
        "DeleteObject" => on_object("s3:DeleteObject"),
        other => {
            let resource = if key.is_some() { object_arn.clone() } else { bucket_arn.clone() };
            vec![(format!("s3:{other}"), resource, Vec::new())]
        }
    }
}

#[async_trait::async_trait]
impl S3Access for Policy {
    async fn check(&self, context: &mut S3AccessContext<'_>) -> S3Result<()> {
        let query = context.uri().query().unwrap_or("");
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
        check_signing_region(&self.state.app.region, authorization, query)?;
        if let Some((_, expires)) = query_pairs(query).find(|(name, _)| *name == "X-Amz-Expires")
            && !expires.parse::<u64>().is_ok_and(|seconds| seconds <= MAX_PRESIGNED_SECONDS)
        {
            return Err(s3_error!(
                AuthorizationQueryParametersError,
                "X-Amz-Expires must be less than a week (in seconds) that is 604800"
            ));
        }
        if let Some((_, expires)) = query_pairs(query).find(|(name, _)| *name == "Expires") {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
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
        if !principal.is_root() {
            for (action, resource, keys) in authorizations(context) {
                if let Err(error) = self.state.app.identity.authorize(&principal, &action, &resource, &keys).await {
                    return Err(match error {
                        ServiceError::AccessDenied(_) => s3_error!(AccessDenied, "Access Denied"),
                        other => {
                            tracing::error!(error = %other, "authorization failed");
                            s3_error!(InternalError)
                        }
                    });
                }
            }
        }
        // Handlers that check more than one resource (DeleteObjects) read the caller from here.
        context.extensions_mut().insert(principal);
        Ok(())
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

/// AWS's bucket naming rules, reserved prefixes and suffixes included.
pub(crate) struct BucketNames;

impl s3s::validation::NameValidation for BucketNames {
    fn validate_bucket_name(&self, name: &str) -> bool {
        const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
        const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", "--x-s3", "--table-s3"];
        s3s::validation::AwsNameValidation::default().validate_bucket_name(name)
            && !RESERVED_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            && !RESERVED_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
    }
}
