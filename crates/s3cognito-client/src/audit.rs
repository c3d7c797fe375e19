//! The audit log read from a server with an administrator's AWS credentials: `GET /_s3cognito/audit`,
//! signed with SigV4 for the service `s3cognito` by the official signer, credentials found as the AWS CLI
//! finds them (environment, shared credentials file and profile).

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{ClientError, Result};

/// What a query value leaves unencoded: the unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Where the audit log is read from, and as whom.
#[derive(Debug, Clone)]
pub struct AuditSource {
    /// The server's base URL (`http://127.0.0.1:4580`).
    pub endpoint: String,
    pub region: String,
    /// A profile of the shared credentials and config files; the default chain when `None`.
    pub profile: Option<String>,
}

/// One page of the audit log as the server answers it: `{"events": [...], "nextToken": …}`.
pub async fn audit_page(source: &AuditSource, query: &[(&str, String)]) -> Result<serde_json::Value> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(aws_config::Region::new(source.region.clone()));
    if let Some(profile) = &source.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| ClientError::Config("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID".to_owned()))?;
    let credentials = aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider)
        .await
        .map_err(|error| ClientError::Config(format!("AWS credentials: {error}")))?;
    let mut url = format!("{}/_s3cognito/audit", source.endpoint.trim_end_matches('/'));
    for (index, (name, value)) in query.iter().enumerate() {
        let separator = if index == 0 { '?' } else { '&' };
        url.push_str(&format!("{separator}{name}={}", utf8_percent_encode(value, QUERY_VALUE)));
    }
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&source.region)
        .name("s3cognito")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|error| ClientError::Config(error.to_string()))?
        .into();
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|error| ClientError::Config(error.to_string()))?;
    let (instructions, _) = sign(signable, &params).map_err(|error| ClientError::Config(error.to_string()))?.into_parts();
    let headers: Vec<(String, String)> = instructions.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
    let (status, answer) = crate::http::get_json(&url, &headers).await?;
    if !status.is_success() {
        let code = answer.get("__type").and_then(serde_json::Value::as_str).unwrap_or("Error").to_owned();
        let message = answer.get("message").and_then(serde_json::Value::as_str).unwrap_or("refused").to_owned();
        return Err(ClientError::Service { code, message });
    }
    Ok(answer)
}
