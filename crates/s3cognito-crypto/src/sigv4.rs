//! Verification of AWS Signature Version 4 in the `Authorization` header, for the JSON and query
//! protocols (Cognito admin calls, STS, IAM, KMS). S3's variants (presigned URLs, chunked
//! payloads, unnormalized paths) are verified by the S3 layer, not here.
//!
//! The canonical request is rebuilt from the request as received, following
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html> and, where the
//! text is vague, what the official SDK signers do (tested against `aws-sigv4` and the AWS
//! SigV4 test suite).

use std::borrow::Cow;
use std::time::UNIX_EPOCH;

use crate::compare::constant_time_eq;
use crate::digest::{hmac_sha256, sha256_hex};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's time may be from ours, either way; AWS allows 15 minutes.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 15 * 60;

/// Why a request's signature was refused. The first four are AWS error codes as they are;
/// `ScopeDateMismatch` and `PayloadHashMismatch` are `SignatureDoesNotMatch` on the wire, kept
/// apart here so the log says which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    #[error("the request has no Authorization header")]
    MissingAuthenticationToken,
    #[error("incomplete or malformed signature: {0}")]
    IncompleteSignature(&'static str),
    #[error("request time {request_time} is more than 15 minutes from server time {server_time}")]
    RequestTimeTooSkewed { request_time: u64, server_time: u64 },
    #[error("the credential scope's date is not the day of the request time")]
    ScopeDateMismatch,
    #[error("x-amz-content-sha256 is not the SHA-256 of the body")]
    PayloadHashMismatch,
    #[error("the request signature does not match")]
    SignatureDoesNotMatch,
}

/// The parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// The credential scope's date, `YYYYMMDD`.
    pub date: String,
    pub region: String,
    /// The credential scope's service name (`sts`, `kms`, `cognito-idp`, …), which routes the
    /// query protocol between STS and IAM.
    pub service: String,
    /// Lowercase header names, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// 64 lowercase hex digits.
    pub signature: String,
}

impl Authorization {
    /// `date/region/service/aws4_request`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Parses an `Authorization` header value. Spaces after the commas are optional, as SDKs differ;
/// everything else is strict.
pub fn parse_authorization(value: &str) -> Result<Authorization, SigV4Error> {
    let components = value
        .strip_prefix(ALGORITHM)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(SigV4Error::IncompleteSignature(
            "Authorization must start with AWS4-HMAC-SHA256",
        ))?;

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in components.split(',') {
        let (name, value) = component
            .trim_matches(' ')
            .split_once('=')
            .ok_or(SigV4Error::IncompleteSignature("component without '='"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(SigV4Error::IncompleteSignature("unknown component")),
        };
        if slot.replace(value).is_some() {
            return Err(SigV4Error::IncompleteSignature("repeated component"));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::IncompleteSignature(
            "Credential, SignedHeaders and Signature are all required",
        ));
    };

    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = scope[..] else {
        return Err(SigV4Error::IncompleteSignature(
            "Credential must be key/date/region/service/aws4_request",
        ));
    };
    if terminator != "aws4_request" {
        return Err(SigV4Error::IncompleteSignature(
            "credential scope must end with aws4_request",
        ));
    }
    if [access_key_id, region, service]
        .iter()
        .any(|part| part.is_empty())
    {
        return Err(SigV4Error::IncompleteSignature(
            "empty credential component",
        ));
    }
    if date.len() != 8 || !date.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(SigV4Error::IncompleteSignature(
            "credential date must be YYYYMMDD",
        ));
    }

    let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
    if !signed_headers.iter().all(|name| is_lowercase_token(name)) {
        return Err(SigV4Error::IncompleteSignature(
            "SignedHeaders must be lowercase header names separated by ';'",
        ));
    }
    if signature.len() != 64
        || !signature
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        return Err(SigV4Error::IncompleteSignature(
            "Signature must be 64 lowercase hex digits",
        ));
    }

    Ok(Authorization {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

/// Finds and parses the request's `Authorization` header; a request without one is
/// `MissingAuthenticationToken`, as AWS answers unsigned calls to signed operations.
pub fn authorization_from_headers(
    headers: &[(String, String)],
) -> Result<Authorization, SigV4Error> {
    match single_header(headers, "authorization")? {
        Some(value) => parse_authorization(value),
        None => Err(SigV4Error::MissingAuthenticationToken),
    }
}

/// An HTTP request as the server received it, before any decoding.
#[derive(Debug, Clone, Copy)]
pub struct RequestToVerify<'a> {
    pub method: &'a str,
    /// The path exactly as on the request line (still percent-encoded), without the query.
    pub path: &'a str,
    /// The raw query string without `?`; empty if there is none.
    pub query: &'a str,
    /// Every header as received, names lowercase, in order; a name may repeat. Over HTTP/2 the
    /// caller adds `host` from `:authority`, which clients sign under that name.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Checks that `authorization` is a valid signature of `request` by `secret_access_key`, made
/// within [`MAX_CLOCK_SKEW_SECONDS`] of `now` (seconds since the Unix epoch).
///
/// The caller has already looked up the secret by `authorization.access_key_id` and checks
/// the scope's region and service itself.
pub fn verify(
    request: &RequestToVerify<'_>,
    authorization: &Authorization,
    secret_access_key: &str,
    now: u64,
) -> Result<(), SigV4Error> {
    // Without `host` signed, a signature could be replayed against another endpoint.
    if !authorization
        .signed_headers
        .iter()
        .any(|name| name == "host")
    {
        return Err(SigV4Error::IncompleteSignature(
            "the host header must be signed",
        ));
    }
    let time = request_time(request.headers)?;
    if authorization.date != time.basic[..8] {
        return Err(SigV4Error::ScopeDateMismatch);
    }
    if now.abs_diff(time.epoch_seconds) > MAX_CLOCK_SKEW_SECONDS {
        return Err(SigV4Error::RequestTimeTooSkewed {
            request_time: time.epoch_seconds,
            server_time: now,
        });
    }
    // The signature covers the header's value, not the body: without this check a body
    // could be swapped under a signed hash. The whole body is in memory here, so an unsigned
    // or streaming payload would buy nothing and is refused the same way.
    if let Some(declared) = single_header(request.headers, "x-amz-content-sha256")?
        && !trim_all(declared).eq_ignore_ascii_case(&sha256_hex(request.body))
    {
        return Err(SigV4Error::PayloadHashMismatch);
    }

    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        time.basic,
        authorization.credential_scope(),
        sha256_hex(canonical_request(request, authorization).as_bytes()),
    );
    let signing_key = signing_key(
        secret_access_key,
        &authorization.date,
        &authorization.region,
        &authorization.service,
    );
    let expected = hex::encode(hmac_sha256(&signing_key, string_to_sign.as_bytes()));
    if constant_time_eq(expected.as_bytes(), authorization.signature.as_bytes()) {
        Ok(())
    } else {
        Err(SigV4Error::SignatureDoesNotMatch)
    }
}

/// The canonical request the client should have signed; worth logging (never sending) when a
/// signature does not match. A signed header missing from the request counts as empty, which
/// makes the signature fail rather than the request be refused as malformed.
pub fn canonical_request(request: &RequestToVerify<'_>, authorization: &Authorization) -> String {
    let mut canonical = String::new();
    canonical.push_str(request.method);
    canonical.push('\n');
    canonical.push_str(&canonical_uri(request.path));
    canonical.push('\n');
    canonical.push_str(&canonical_query(request.query));
    canonical.push('\n');
    for name in &authorization.signed_headers {
        let values: Vec<Cow<'_, str>> = request
            .headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| trim_all(value))
            .collect();
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&authorization.signed_headers.join(";"));
    canonical.push('\n');
    match request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amz-content-sha256"))
    {
        Some((_, declared)) => canonical.push_str(&trim_all(declared)),
        None => canonical.push_str(&sha256_hex(request.body)),
    }
    canonical
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let date_key = hmac_sha256(
        format!("AWS4{secret_access_key}").as_bytes(),
        date.as_bytes(),
    );
    let region_key = hmac_sha256(&date_key, region.as_bytes());
    let service_key = hmac_sha256(&region_key, service.as_bytes());
    hmac_sha256(&service_key, b"aws4_request")
}

/// Non-S3 services normalize the path (RFC 3986 dot segments, empty segments dropped) and
/// then percent-encode it again: the client signed the encoding of what it sent.
fn canonical_uri(path: &str) -> String {
    uri_encode(normalize_path(path).as_bytes(), true)
}

fn normalize_path(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') && !path.contains("//") && !path.contains('.') {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    let mut normalized = String::with_capacity(path.len() + 1);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    // A trailing slash survives (`/a/b/` and `/a/b/.` both name the directory), and the empty
    // path is `/`.
    let ends_as_directory = ["/", "/.", "/.."].iter().any(|end| path.ends_with(end));
    if normalized.is_empty() || (ends_as_directory && !normalized.ends_with('/')) {
        normalized.push('/');
    }
    Cow::Owned(normalized)
}

/// Pairs decoded as a form would be (`+` is a space) and re-encoded the AWS way, then sorted
/// by encoded name and value, so any equivalent spelling a client sent gives one string.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&form_decode(name), false),
                uri_encode(&form_decode(value), false),
            )
        })
        .collect();
    pairs.sort();
    let pairs: Vec<String> = pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    pairs.join("&")
}

/// `application/x-www-form-urlencoded` decoding to bytes. A `%` not followed by two hex digits
/// stays literal, as browsers and the `form_urlencoded` crate (which `aws-sigv4` uses) treat it.
fn form_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => decoded.push(b' '),
            b'%' if let Some(byte) = bytes
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()) =>
            {
                decoded.push(byte);
                index += 2;
            }
            byte => decoded.push(byte),
        }
        index += 1;
    }
    decoded
}

/// Percent-encodes every byte except RFC 3986's unreserved characters (and `/` in paths),
/// with uppercase hex, as SigV4 specifies.
fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && byte == b'/')
        {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Trims spaces at both ends and collapses inner runs of spaces to one (SigV4's "Trimall").
/// Only spaces: the SDK signers leave tabs alone, so must we.
fn trim_all(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim_matches(' ');
    if !trimmed.contains("  ") {
        return Cow::Borrowed(trimmed);
    }
    let mut collapsed = String::with_capacity(trimmed.len());
    for character in trimmed.chars() {
        if !(character == ' ' && collapsed.ends_with(' ')) {
            collapsed.push(character);
        }
    }
    Cow::Owned(collapsed)
}

fn is_lowercase_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&byte)
        })
}

/// The value of a header that may appear at most once.
fn single_header<'a>(
    headers: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, SigV4Error> {
    let mut values = headers
        .iter()
        .filter(|(header, _)| header.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(SigV4Error::IncompleteSignature(
            "a header that must be unique is repeated",
        ));
    }
    Ok(first)
}

/// The request's signing time, both as epoch seconds and as the `YYYYMMDDTHHMMSSZ` that goes
/// into the string to sign.
struct RequestTime {
    epoch_seconds: u64,
    basic: String,
}

fn request_time(headers: &[(String, String)]) -> Result<RequestTime, SigV4Error> {
    if let Some(value) = single_header(headers, "x-amz-date")? {
        let value = value.trim_matches(' ');
        let epoch_seconds = parse_basic_time(value).ok_or(SigV4Error::IncompleteSignature(
            "X-Amz-Date must be YYYYMMDDTHHMMSSZ",
        ))?;
        return Ok(RequestTime {
            epoch_seconds,
            basic: value.to_owned(),
        });
    }
    if let Some(value) = single_header(headers, "date")? {
        let epoch_seconds = httpdate::parse_http_date(value.trim_matches(' '))
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .ok_or(SigV4Error::IncompleteSignature("Date is not an HTTP date"))?
            .as_secs();
        return Ok(RequestTime {
            epoch_seconds,
            basic: format_basic_time(epoch_seconds),
        });
    }
    Err(SigV4Error::IncompleteSignature(
        "the request needs an X-Amz-Date or a Date header",
    ))
}

/// `YYYYMMDDTHHMMSSZ` to epoch seconds, refusing impossible dates and times.
fn parse_basic_time(value: &str) -> Option<u64> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    // Byte ranges, not string slices: a value of 16 bytes may hold multi-byte characters anywhere.
    let number = |range: std::ops::Range<usize>| -> Option<u64> {
        let digits = &bytes[range];
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0u64, |number, digit| number * 10 + u64::from(digit - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
        || year < 1970
    {
        return None;
    }
    let days = crate::calendar::days_from_civil(year as i64, month as i64, day as i64) as u64;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

fn format_basic_time(epoch_seconds: u64) -> String {
    let (year, month, day) = crate::calendar::civil_from_days((epoch_seconds / 86_400) as i64);
    let seconds_of_day = epoch_seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        seconds_of_day / 3_600,
        seconds_of_day % 3_600 / 60,
        seconds_of_day % 60
    )
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

