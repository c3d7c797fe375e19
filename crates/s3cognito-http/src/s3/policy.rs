//! Authentication and the request checks s3s leaves to its user.

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
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

/// Signed requests only, with the limits AWS applies that s3s does not.
pub(crate) struct Policy;

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
        if let Some((_, expires)) = query_pairs(query).find(|(name, _)| *name == "X-Amz-Expires") {
            if !expires.parse::<u64>().is_ok_and(|seconds| seconds <= MAX_PRESIGNED_SECONDS) {
                return Err(s3_error!(
                    AuthorizationQueryParametersError,
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800"
                ));
            }
        }
        if let Some((_, expires)) = query_pairs(query).find(|(name, _)| *name == "Expires") {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
            if expires.parse::<u64>().is_ok_and(|at| at > now + MAX_PRESIGNED_SECONDS) {
                return Err(s3_error!(AccessDenied, "Presigned URLs may live at most a week"));
            }
        }
        // Temporary credentials come with the identity pool; until then no session token is valid.
        if context.headers().contains_key("x-amz-security-token")
            || query_pairs(query).any(|(name, _)| name == "X-Amz-Security-Token")
        {
            return Err(s3_error!(InvalidToken, "The provided token is malformed or otherwise invalid."));
        }
        match context.credentials() {
            Some(_) => Ok(()),
            None => Err(s3_error!(AccessDenied, "Access Denied")),
        }
    }
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
