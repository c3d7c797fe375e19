//! Presigned S3 URLs for users' files, made by the official AWS signer as an SDK's presigner makes them,
//! so the bucket verifies them like any client's.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What S3 leaves unencoded in a query value: the unreserved characters.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
/// In a path, `/` separates segments and stays.
const PATH: &AsciiSet = &QUERY_VALUE.remove(b'/');

/// The key pair and region URLs are signed with.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

/// One request to presign.
#[derive(Debug)]
pub struct ToSign<'a> {
    pub method: &'a str,
    /// `<scheme>://<host>`.
    pub base_url: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    /// Query parameters of the request itself (`partNumber`, `uploadId`), unencoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers the client must send as they are signed (`content-type`, `content-length`).
    pub headers: &'a [(&'a str, String)],
    pub time: SystemTime,
    pub expires: Duration,
}

impl Signer {
    /// The presigned URL, or why the signer refused (a header value it cannot sign).
    pub fn presign(&self, request: &ToSign<'_>) -> Result<String, String> {
        let mut url = format!(
            "{}/{}/{}",
            request.base_url.trim_end_matches('/'),
            request.bucket,
            utf8_percent_encode(request.key, PATH)
        );
        for (index, (name, value)) in request.query.iter().enumerate() {
            let separator = if index == 0 { '?' } else { '&' };
            url.push_str(&format!("{separator}{name}={}", utf8_percent_encode(value, QUERY_VALUE)));
        }
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(request.expires);
        // S3 signs the path as sent: encoded once, never normalised.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let identity = Credentials::new(&self.access_key_id, &self.secret_access_key, None, None, "s3cognito").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(request.time)
            .settings(settings)
            .build()
            .map_err(|error| error.to_string())?
            .into();
        let signable = SignableRequest::new(
            request.method,
            &url,
            request.headers.iter().map(|(name, value)| (*name, value.as_str())),
            SignableBody::UnsignedPayload,
        )
        .map_err(|error| error.to_string())?;
        let (instructions, _) = sign(signable, &params).map_err(|error| error.to_string())?.into_parts();
        for (name, value) in instructions.params() {
            let separator = if url.contains('?') { '&' } else { '?' };
            url.push_str(&format!("{separator}{name}={}", utf8_percent_encode(value, QUERY_VALUE)));
        }
        Ok(url)
    }
}

/// A key as it appears in a URL path.
pub fn encode_key(key: &str) -> String {
    utf8_percent_encode(key, PATH).to_string()
}
