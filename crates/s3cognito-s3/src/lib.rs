//! S3 on the s3s crate: the only crate that knows S3's wire format. s3s parses requests and checks
//! signatures; `api` turns each operation into one call of the objects service; `policy` adds the checks
//! s3s leaves to us and hands the authorization decision to the service layer.

mod api;
mod checksum;
mod errors;
mod form;
mod policy;
mod settings;

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use s3cognito_service::App;
use s3cognito_service::activity::{self, Via};
use s3s::service::{S3Service, S3ServiceBuilder};

pub(crate) use form::POST_KEY_HEADER;
use form::post_form_fields;

/// Entry points for the fuzz targets (`fuzz/`), built only with `--cfg fuzzing`.
#[cfg(fuzzing)]
pub mod fuzzing {
    /// A POST form's head, fed to the field reader in the chunk sizes the first bytes name.
    pub fn post_form(data: &[u8]) {
        crate::form::fuzz(data);
    }
}

/// What the S3 handlers share.
#[derive(Debug, Clone)]
pub(crate) struct S3State {
    pub app: Arc<App>,
}

/// The S3 surface: every request the router hands over is an S3 request (path-style, `/<bucket>/<key>`),
/// with S3's request ids, CORS from each bucket's rules, and its body limits.
pub fn router(app: Arc<App>) -> axum::Router {
    let state = S3State { app };
    axum::Router::new()
        .fallback(fallback)
        .with_state(service(&state))
        .layer(axum::middleware::from_fn(post_form_fields))
        .layer(axum::middleware::from_fn(unquoted_attributes_etag))
        .layer(axum::middleware::from_fn(xml_body_limit))
        .layer(axum::middleware::from_fn(presigned_expiry))
        .layer(axum::middleware::from_fn(request_id))
        .layer(axum::middleware::from_fn_with_state(state, cors))
}

/// The largest browser form (POST Object) upload.
pub(crate) const MAX_POST_OBJECT_BYTES: u64 = 64 << 20;

/// The largest XML request body (DeleteObjects, CompleteMultipartUpload, bucket configurations).
pub(crate) const MAX_XML_BODY_BYTES: usize = 20 << 20;

/// Requests whose body is an XML document s3s reads into memory: everything with a body but object
/// uploads (PutObject, UploadPart, a browser form on the bucket).
fn has_xml_body(request: &Request) -> bool {
    let path = request.uri().path().trim_start_matches('/');
    let object = path.split_once('/').is_some_and(|(_, key)| !key.is_empty());
    let query = request.uri().query().unwrap_or("");
    let upload = match *request.method() {
        axum::http::Method::PUT => object && !query.split('&').any(|pair| pair == "tagging" || pair.starts_with("tagging=") || pair == "acl" || pair.starts_with("acl=")),
        axum::http::Method::POST => !object && query.is_empty(),
        _ => false,
    };
    !upload
}

/// s3s answers an XML body over its limit with a 500 (its limit error is not the one it looks for),
/// and reads a body without a length to the limit before refusing it. The limits are checked here first,
/// with S3's answers: `MaxMessageLengthExceeded` past the size, `MissingContentLength` without one.
async fn xml_body_limit(request: Request, next: Next) -> Response {
    let has_body = request.headers().contains_key("transfer-encoding")
        || request.headers().get("content-length").is_some_and(|length| length.as_bytes() != b"0");
    if !has_body || !has_xml_body(&request) {
        return next.run(request).await;
    }
    let length = request.headers().get("content-length").and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let refusal = match length {
        Some(length) if length > MAX_XML_BODY_BYTES as u64 => Some((
            StatusCode::BAD_REQUEST,
            "MaxMessageLengthExceeded",
            format!("Your request was too big: the limit is {MAX_XML_BODY_BYTES} bytes."),
        )),
        Some(_) => None,
        None => Some((StatusCode::LENGTH_REQUIRED, "MissingContentLength", "You must provide the Content-Length HTTP header.".to_owned())),
    };
    let Some((status, code, message)) = refusal else {
        return next.run(request).await;
    };
    xml_error(status, code, &message)
}

/// A presigned URL whose `X-Amz-Expires` S3 refuses gets S3's answer, not s3s's.
async fn presigned_expiry(request: Request, next: Next) -> Response {
    match request.uri().query().and_then(policy::x_amz_expires_refusal) {
        Some(message) => xml_error(StatusCode::BAD_REQUEST, "AuthorizationQueryParametersError", message),
        None => next.run(request).await,
    }
}

/// An S3 error answered before s3s sees the request. `message` is XML-escaped here.
pub(crate) fn xml_error(status: StatusCode, code: &str, message: &str) -> Response {
    let message = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/xml"));
    response
}

/// The largest GetObjectAttributes answer read back to rewrite its ETag (a thousand parts fit many times).
const MAX_ATTRIBUTES_BODY_BYTES: usize = 1 << 20;

/// GetObjectAttributes answers the ETag without quotes, unlike every other S3 answer; s3s writes every ETag
/// quoted, so the quotes are taken off its answer here.
async fn unquoted_attributes_etag(request: Request, next: Next) -> Response {
    let attributes = request.method() == axum::http::Method::GET
        && request.uri().query().is_some_and(|query| query.split('&').any(|pair| pair == "attributes" || pair.starts_with("attributes=")));
    let response = next.run(request).await;
    if !attributes || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ATTRIBUTES_BODY_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the answer could not be read").into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let unquoted = text.replacen("<ETag>&quot;", "<ETag>", 1).replacen("&quot;</ETag>", "</ETag>", 1).replacen("<ETag>\"", "<ETag>", 1).replacen("\"</ETag>", "</ETag>", 1);
    parts.headers.remove("content-length");
    Response::from_parts(parts, AxumBody::from(unquoted))
}

/// The S3 service over our objects use cases.
fn service(state: &S3State) -> S3Service {
    let mut builder = S3ServiceBuilder::new(api::S3Api { state: state.clone() });
    builder.set_auth(policy::Auth { state: state.clone() });
    builder.set_access(policy::Policy { state: state.clone() });
    builder.set_validation(policy::BucketNames);
    let mut config = s3s::config::S3Config::default();
    config.xml_max_body_size = MAX_XML_BODY_BYTES;
    // s3s holds a POST (browser form) upload in memory before our code sees it, so its size is bounded
    // far below S3's 5 GiB; larger files go through PUT or multipart, which stream.
    config.post_object_max_file_size = MAX_POST_OBJECT_BYTES;
    builder.set_config(std::sync::Arc::new(s3s::config::StaticConfigProvider::new(std::sync::Arc::new(config))));
    builder.build()
}

/// CORS for S3 requests, from the bucket's own rules: a preflight is answered here (s3s does not
/// know OPTIONS), and an allowed cross-origin request gets its Access-Control headers.
async fn cors(State(state): State<S3State>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get("origin").and_then(|value| value.to_str().ok()).map(str::to_owned) else {
        return next.run(request).await;
    };
    let bucket = request.uri().path().trim_start_matches('/').split('/').next().unwrap_or_default().to_owned();
    let preflight = request.method() == axum::http::Method::OPTIONS;
    let method = if preflight {
        request.headers().get("access-control-request-method").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
    } else {
        request.method().as_str().to_owned()
    };
    let requested_headers: Vec<String> = if preflight {
        request
            .headers()
            .get("access-control-request-headers")
            .and_then(|value| value.to_str().ok())
            .map(|list| list.split(',').map(|header| header.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let rules = match s3cognito_types::BucketName::parse(bucket) {
        Ok(bucket) => state.app.objects.bucket_cors(&bucket).await,
        Err(_) => Ok(None),
    };
    let rules = match rules {
        Ok(rules) => rules.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let grant = s3cognito_service::objects::cors::grant(&rules, &origin, &method, &requested_headers);
    if preflight {
        let Some(grant) = grant else {
            return (StatusCode::FORBIDDEN, "CORSResponse: This CORS request is not allowed.").into_response();
        };
        let mut response = StatusCode::OK.into_response();
        insert_grant(response.headers_mut(), &grant, true);
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(grant) = grant {
        insert_grant(response.headers_mut(), &grant, false);
    }
    response
}

fn insert_grant(headers: &mut axum::http::HeaderMap, grant: &s3cognito_service::objects::cors::CorsGrant, preflight: bool) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("access-control-allow-origin", grant.allow_origin.clone());
    if grant.allow_origin != "*" {
        set("vary", "Origin".to_owned());
    }
    if preflight {
        set("access-control-allow-methods", grant.allow_methods.join(", "));
        if !grant.allow_headers.is_empty() {
            set("access-control-allow-headers", grant.allow_headers.join(", "));
        }
        if let Some(max_age) = grant.max_age_seconds {
            set("access-control-max-age", max_age.to_string());
        }
    } else if !grant.expose_headers.is_empty() {
        set("access-control-expose-headers", grant.expose_headers.join(", "));
    }
}

/// Every request no route of ours took is an S3 request (path-style: `/<bucket>/<key>`).
async fn fallback(State(service): State<S3Service>, request: Request) -> Response {
    let request = request.map(s3s::Body::http_body_unsync);
    match service.call(request).await {
        Ok(response) => response.map(AxumBody::new),
        Err(error) => {
            tracing::error!(?error, "s3 request failed outside the protocol");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Whether a request is signed by its query (a presigned URL, SigV4 or SigV2).
fn is_presigned(query: &str) -> bool {
    query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        matches!(name, "X-Amz-Signature" | "Signature")
    })
}

/// Whether a request's answer is an XML document naming keys (the listings, ListParts), as opposed to an
/// object's own bytes, which are never touched.
fn lists_keys(request: &Request) -> bool {
    if request.method() != axum::http::Method::GET {
        return false;
    }
    let path = request.uri().path().trim_start_matches('/');
    let on_bucket = !path.is_empty() && path.split_once('/').is_none_or(|(_, key)| key.is_empty());
    let query = request.uri().query().unwrap_or("");
    on_bucket || query.split('&').any(|pair| pair.starts_with("uploadId="))
}

/// Keys may hold characters XML text cannot carry as they are: a parser turns a raw CR or CR LF into LF,
/// and refuses other control characters outright. As S3 does, they are written as character references
/// (`&#13;`, `&#10;`, …) in listings; clients that must read every key back exactly ask for
/// `encoding-type=url`, as boto3 does by default.
async fn escape_control_characters(body: AxumBody) -> AxumBody {
    // A listing is at most a thousand keys of at most 1 KiB each, plus their metadata.
    let Ok(bytes) = axum::body::to_bytes(body, 16 << 20).await else {
        return AxumBody::empty();
    };
    if !bytes.iter().any(|byte| *byte < 0x20) {
        return AxumBody::from(bytes);
    }
    let mut escaped = Vec::with_capacity(bytes.len() + 64);
    for byte in bytes.iter().copied() {
        if byte < 0x20 {
            escaped.extend_from_slice(format!("&#{byte};").as_bytes());
        } else {
            escaped.push(byte);
        }
    }
    AxumBody::from(escaped)
}

/// Gives every S3 response an `x-amz-request-id`, and every S3 error body the same `<RequestId>`,
/// which s3s does not do itself.
async fn request_id(request: Request, next: Next) -> Response {
    let id = activity::current()
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string().to_uppercase()[..16].to_owned(), |record| record.id().to_owned());
    let presigned = is_presigned(request.uri().query().unwrap_or(""));
    activity::note(|details| {
        details.service = Some(s3cognito_types::operation::Service::S3);
        if presigned {
            details.via = Via::PresignedUrl;
        }
    });
    let has_body = request.headers().get("content-length").is_some_and(|length| length.as_bytes() != b"0")
        || request.headers().contains_key("transfer-encoding");
    let body_bytes = request
        .headers()
        .get("content-length")
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    let lists_keys = lists_keys(&request);
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id) {
        parts.headers.insert("x-amz-request-id", value);
    }
    if lists_keys && parts.status.is_success() {
        parts.headers.remove("content-length");
        return Response::from_parts(parts, escape_control_characters(body).await);
    }
    // A request refused before its body was read (an upload denied, a client waiting on
    // `Expect: 100-continue`) leaves that body on the connection; the connection cannot carry another
    // request, and saying so lets the client open a new one instead of failing on a dead one.
    if has_body && parts.status.as_u16() >= 400 {
        parts.headers.insert("connection", HeaderValue::from_static("close"));
    }
    let xml_error = parts.status.as_u16() >= 400
        && parts.headers.get("content-type").is_some_and(|value| value.as_bytes().starts_with(b"application/xml"));
    if !xml_error {
        if presigned {
            let outcome = if parts.status.is_success() || parts.status.is_redirection() { "accepted" } else { "failed" };
            metrics::counter!("s3cognito_presigned_requests_total", "outcome" => outcome).increment(1);
        }
        return Response::from_parts(parts, body);
    }
    // Error bodies are small documents built in memory, so reading one back is cheap.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, AxumBody::empty());
    };
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // A form whose fields break its policy is refused by S3 with 403 AccessDenied; s3s says 400.
    if text.contains("<Code>InvalidPolicyDocument</Code>") && text.contains("Policy condition") {
        text = text
            .replace("<Code>InvalidPolicyDocument</Code>", "<Code>AccessDenied</Code>")
            .replace("<Message>Policy condition", "<Message>Invalid according to Policy: Policy condition");
        parts.status = StatusCode::FORBIDDEN;
    }
    // One short line per refusal: the code and the body's size, never the body or a header's value.
    let code = text.split_once("<Code>").and_then(|(_, rest)| rest.split_once("</Code>")).map_or("", |(code, _)| code);
    tracing::info!(code, status = parts.status.as_u16(), body_bytes, request_id = %id, "s3 request refused");
    activity::note_error_code(code);
    if presigned {
        let outcome = match code {
            "SignatureDoesNotMatch" => "bad_signature",
            "AccessDenied" if text.contains("Request has expired") => "expired",
            "AccessDenied" | "InvalidAccessKeyId" | "InvalidToken" | "ExpiredToken" => "denied",
            _ => "failed",
        };
        metrics::counter!("s3cognito_presigned_requests_total", "outcome" => outcome).increment(1);
    }
    if !text.contains("<RequestId>") && let Some(position) = text.rfind("</Error>") {
        text.insert_str(position, &format!("<RequestId>{id}</RequestId>"));
    }
    parts.headers.remove("content-length");
    Response::from_parts(parts, AxumBody::from(text))
}
