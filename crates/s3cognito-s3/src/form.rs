//! Browser forms (POST Object): s3s keeps a form's fields to itself, so the access check would see only
//! the bucket. `post_form_fields` reads the form's head (the fields, which come before the file) and
//! states the session token and the object key in headers the check reads; the body then flows on, in
//! pieces of at most `FILE_CHUNK` bytes.

use axum::body::{Body as AxumBody, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Where `post_form_fields` states a form's object key (percent-encoded) for the access check.
pub(crate) const POST_KEY_HEADER: &str = "x-s3cognito-post-object-key";

/// How much of a form is read looking for its fields; they are small and precede the file.
const FORM_FIELDS_LIMIT: usize = 1 << 20;
const FILE_PART: &[u8] = b"name=\"file\"";
const HEADER_END: &[u8] = b"\r\n\r\n";

/// The largest piece of a form's body s3s is handed at once. Where a piece ends in what may be the start
/// of the closing boundary (a `\r`, 1 in 256 for binary data), s3s joins the next piece to it in a buffer
/// it refuses past 64 KiB, failing the upload with "failed to read file stream"; pieces of this size keep
/// that join far below its limit, whatever sizes the connection reads.
const FILE_CHUNK: usize = 16 << 10;

/// `chunk` as pieces of at most `FILE_CHUNK` bytes (views into it, nothing copied).
fn pieces(chunk: Bytes) -> impl Iterator<Item = Bytes> {
    (0..chunk.len()).step_by(FILE_CHUNK).map(move |start| chunk.slice(start..chunk.len().min(start + FILE_CHUNK)))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// The start of a multipart body, as received and lowercased (field names compare without case).
#[derive(Default)]
struct FormHead {
    raw: Vec<u8>,
    lower: Vec<u8>,
    /// Where the file part's `name="file"` is, once seen.
    file_part: Option<usize>,
}

impl FormHead {
    /// Adds a chunk; true once the file part's header block is complete, so no field is left to read.
    /// Only the new bytes (and a needle's length before them) are searched.
    fn push(&mut self, chunk: &[u8]) -> bool {
        let searched = self.lower.len().saturating_sub(FILE_PART.len().max(HEADER_END.len()));
        self.raw.extend_from_slice(chunk);
        self.lower.extend(chunk.iter().map(u8::to_ascii_lowercase));
        if self.file_part.is_none() {
            self.file_part = find(&self.lower[searched..], FILE_PART).map(|at| at + searched);
        }
        self.file_part.is_some_and(|at| find(&self.lower[at.max(searched)..], HEADER_END).is_some())
    }

    /// Where the value of a field lies in `raw`, by case-insensitive name.
    fn field_range(&self, boundary: &str, name: &str) -> Option<std::ops::Range<usize>> {
        let at = find(&self.lower, format!("name=\"{name}\"").as_bytes())?;
        let value_start = at + find(&self.raw[at..], HEADER_END)? + HEADER_END.len();
        let value_len = find(&self.raw[value_start..], format!("\r\n--{boundary}").as_bytes())?;
        Some(value_start..value_start + value_len)
    }

    /// The value of a field, by case-insensitive name.
    fn field(&self, boundary: &str, name: &str) -> Option<String> {
        String::from_utf8(self.raw[self.field_range(boundary, name)?].to_vec()).ok()
    }

    /// The file part's `filename`, which S3 puts where a key says `${filename}`.
    fn file_name(&self) -> Option<String> {
        let at = self.file_part?;
        let line_start = self.lower[..at].iter().rposition(|byte| *byte == b'\n').map_or(0, |position| position + 1);
        let line_end = at + find(&self.lower[at..], b"\r\n")?;
        let marker = b"filename=\"";
        let start = line_start + find(&self.lower[line_start..line_end], marker)? + marker.len();
        let length = self.raw[start..line_end].iter().position(|byte| *byte == b'"')?;
        String::from_utf8(self.raw[start..start + length].to_vec()).ok()
    }
}

/// States a POST form's `x-amz-security-token` field in the header of that name (unless the request
/// has one), and its object key, `${filename}` filled in as S3 does, in `POST_KEY_HEADER`, so that
/// the access check authorizes the object, not the bucket.
pub(crate) async fn post_form_fields(mut request: Request, next: Next) -> Response {
    // The form's key is ours to state; a client never gets to say it.
    request.headers_mut().remove(POST_KEY_HEADER);
    let boundary = request
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("multipart/form-data"))
        .and_then(|rest| rest.split(';').find_map(|parameter| parameter.trim().strip_prefix("boundary=")))
        .map(|boundary| boundary.trim_matches('"').to_owned());
    let Some(boundary) = boundary.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head = FormHead::default();
    let mut chunks = Vec::new();
    while head.raw.len() < FORM_FIELDS_LIMIT {
        match futures::StreamExt::next(&mut stream).await {
            Some(Ok(chunk)) => {
                let complete = head.push(&chunk);
                chunks.push(chunk);
                if complete {
                    break;
                }
            }
            Some(Err(_)) => return (StatusCode::BAD_REQUEST, "the request body could not be read").into_response(),
            None => break,
        }
    }
    if !parts.headers.contains_key("x-amz-security-token")
        && let Some(value) = head.field(&boundary, "x-amz-security-token").and_then(|token| HeaderValue::from_str(&token).ok())
    {
        parts.headers.insert("x-amz-security-token", value);
    }
    if let Some(refusal) = refused_policy(&head, &boundary) {
        return refusal;
    }
    // The bucket is the one the form is posted to; a `bucket` field naming another fails the policy's
    // conditions, as S3 judges it.
    let posted_to = parts.uri.path().trim_start_matches('/').split('/').next().unwrap_or_default();
    if let Some(named) = head.field(&boundary, "bucket")
        && named != posted_to
    {
        return crate::xml_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            &format!("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$bucket\", \"{posted_to}\"]"),
        );
    }
    if let Some(key) = head.field(&boundary, "key") {
        let key = match head.file_name() {
            Some(name) if key.contains("${filename}") => {
                // The form's conditions hold for the key as stored, the file's name filled in, so the
                // form goes on with that key.
                let filled = key.replace("${filename}", &name);
                if let Some(range) = head.field_range(&boundary, "key") {
                    let mut raw = std::mem::take(&mut head.raw);
                    raw.splice(range, filled.bytes());
                    chunks = vec![Bytes::from(raw)];
                }
                filled
            }
            _ => key,
        };
        let encoded = percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC).to_string();
        if let Ok(value) = HeaderValue::from_str(&encoded) {
            parts.headers.insert(POST_KEY_HEADER, value);
        }
    }
    let replay = futures::stream::iter(chunks.into_iter().map(Ok::<_, axum::Error>));
    let rest = futures::StreamExt::flat_map(futures::StreamExt::chain(replay, stream), |chunk| {
        let pieces: Box<dyn Iterator<Item = Result<Bytes, axum::Error>> + Send> = match chunk {
            Ok(chunk) => Box::new(pieces(chunk).map(Ok)),
            Err(error) => Box::new(std::iter::once(Err(error))),
        };
        futures::stream::iter(pieces)
    });
    let body = AxumBody::from_stream(rest);
    next.run(Request::from_parts(parts, body)).await
}

/// S3's refusals of a form's policy that s3s lets through: a policy without a signature field (400, not
/// the 403 of a wrong signature), and an `expiration` not in ISO 8601's UTC form (`2026-01-01T12:00:00.000Z`).
fn refused_policy(head: &FormHead, boundary: &str) -> Option<Response> {
    use base64::Engine as _;
    let policy = head.field(boundary, "policy")?;
    if head.field(boundary, "signature").is_none() && head.field(boundary, "x-amz-signature").is_none() {
        return Some(crate::xml_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields.",
        ));
    }
    let document: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(policy.trim()).ok()?).ok()?;
    let expiration = document.get("expiration")?.as_str()?;
    (!iso8601_utc(expiration)).then(|| {
        crate::xml_error(StatusCode::BAD_REQUEST, "InvalidPolicyDocument", &format!("Invalid Policy: Invalid 'expiration' value: '{expiration}'"))
    })
}

/// `YYYY-MM-DDTHH:MM:SS` with optional fractional seconds and a `Z`: the only form S3 takes for a policy's
/// expiration.
fn iso8601_utc(text: &str) -> bool {
    let Some(rest) = text.strip_suffix('Z') else { return false };
    let (whole, fraction) = rest.split_once('.').unwrap_or((rest, "0"));
    let shape = whole.len() == 19
        && whole.bytes().enumerate().all(|(index, byte)| match index {
            4 | 7 => byte == b'-',
            10 => byte == b'T',
            13 | 16 => byte == b':',
            _ => byte.is_ascii_digit(),
        });
    shape && !fraction.is_empty() && fraction.bytes().all(|byte| byte.is_ascii_digit())
}

/// The fuzz target's way in: the form's boundary and head as `post_form_fields` would see them, the
/// head pushed in chunks whose sizes the first bytes choose.
#[cfg(fuzzing)]
pub(crate) fn fuzz(data: &[u8]) {
    let Some((&sizes, rest)) = data.split_first() else { return };
    let (boundary, body) = match rest.iter().position(|byte| *byte == b'\n') {
        Some(at) => (String::from_utf8_lossy(&rest[..at]).into_owned(), &rest[at + 1..]),
        None => ("B".to_owned(), rest),
    };
    let mut head = FormHead::default();
    let step = usize::from(sizes % 64) + 1;
    for chunk in body.chunks(step) {
        if head.push(chunk) {
            break;
        }
    }
    let _ = head.field(&boundary, "key");
    let _ = head.field(&boundary, "x-amz-security-token");
    let _ = head.file_name();
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &[u8] = b"--B\r\nContent-Disposition: form-data; name=\"Key\"\r\n\r\nup/${filename}\r\n--B\r\n\
Content-Disposition: form-data; name=\"X-Amz-Security-Token\"\r\n\r\ntok\r\n--B\r\n\
Content-Disposition: form-data; name=\"file\"; filename=\"Photo.JPG\"\r\nContent-Type: image/jpeg\r\n\r\nbytes\r\n--B--\r\n";

    #[test]
    fn a_body_is_handed_on_in_small_pieces_with_nothing_lost() {
        let chunk = Bytes::from((0..100_000u32).map(|i| i as u8).collect::<Vec<_>>());
        let pieces: Vec<_> = pieces(chunk.clone()).collect();
        assert!(pieces.iter().all(|piece| !piece.is_empty() && piece.len() <= FILE_CHUNK));
        assert_eq!(pieces.concat(), chunk.to_vec());
        assert_eq!(super::pieces(Bytes::new()).count(), 0);
    }

    #[test]
    fn a_policy_expires_only_in_iso_8601_utc() {
        assert!(iso8601_utc("2026-12-07T23:46:00Z"));
        assert!(iso8601_utc("2026-12-07T23:46:00.000Z"));
        assert!(!iso8601_utc("2026-12-07 23:46:00.123456+00:00"));
        assert!(!iso8601_utc("2026-12-07T23:46:00"));
        assert!(!iso8601_utc("2026-12-07T23:46:00.Z"));
        assert!(!iso8601_utc("2026-12-7T23:46:00Z"));
    }

    #[test]
    fn fields_are_found_whatever_the_chunking() {
        for size in [1, 2, 7, 64, FORM.len()] {
            let mut head = FormHead::default();
            let complete = FORM.chunks(size).map(|chunk| head.push(chunk)).position(|done| done);
            let end_of_file_header = find(FORM, b"image/jpeg\r\n\r\n").unwrap() + 14;
            assert_eq!(complete.map(|index| (index + 1) * size >= end_of_file_header), Some(true), "{size}");
            assert_eq!(head.field("B", "key").as_deref(), Some("up/${filename}"), "{size}");
            assert_eq!(head.field("B", "x-amz-security-token").as_deref(), Some("tok"), "{size}");
            assert_eq!(head.file_name().as_deref(), Some("Photo.JPG"), "{size}");
        }
    }
}
