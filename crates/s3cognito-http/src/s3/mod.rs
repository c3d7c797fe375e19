//! S3 on the s3s crate: s3s parses the wire format and checks signatures; `api` turns each
//! operation into one call of the objects service; `policy` adds the checks s3s leaves to us.

mod api;
mod checksum;
mod errors;
mod policy;

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use s3s::service::{S3Service, S3ServiceBuilder};

use crate::HttpState;

/// The largest browser form (POST Object) upload.
pub(crate) const MAX_POST_OBJECT_BYTES: u64 = 64 << 20;

/// The S3 service over our objects use cases.
pub(crate) fn service(state: &HttpState) -> S3Service {
    let mut builder = S3ServiceBuilder::new(api::S3Api { state: state.clone() });
    builder.set_auth(policy::Auth { state: state.clone() });
    builder.set_access(policy::Policy { state: state.clone() });
    builder.set_validation(policy::BucketNames);
    let mut config = s3s::config::S3Config::default();
    // s3s holds a POST (browser form) upload in memory before our code sees it, so its size is bounded
    // far below S3's 5 GiB; larger files go through PUT or multipart, which stream.
    config.post_object_max_file_size = MAX_POST_OBJECT_BYTES;
    builder.set_config(std::sync::Arc::new(s3s::config::StaticConfigProvider::new(std::sync::Arc::new(config))));
    builder.build()
}

/// CORS for S3 requests, from the bucket's own rules: a preflight is answered here (s3s does not
/// know OPTIONS), and an allowed cross-origin request gets its Access-Control headers.
pub(crate) async fn cors(State(state): State<HttpState>, request: Request, next: Next) -> Response {
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
    let rules = match state.app.objects.bucket_cors(&bucket).await {
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
pub(crate) async fn fallback(State(service): State<S3Service>, request: Request) -> Response {
    let request = request.map(s3s::Body::http_body_unsync);
    match service.call(request).await {
        Ok(response) => response.map(AxumBody::new),
        Err(error) => {
            tracing::error!(?error, "s3 request failed outside the protocol");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// How far into a form the session token field is looked for: fields come before the file, and are small.
const FORM_FIELDS_LIMIT: usize = 1 << 20;

/// Moves a POST form's `x-amz-security-token` field into the request's header of that name, where
/// the access check reads session tokens; s3s keeps form fields to itself. Only the form's head (the
/// fields before the file) is read here; the body then flows on untouched.
pub(crate) async fn post_form_token(mut request: Request, next: Next) -> Response {
    // The form's key is ours to state; a client never gets to say it.
    request.headers_mut().remove(POST_KEY_HEADER);
    let content_type =
        request.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split(';').find_map(|parameter| parameter.trim().strip_prefix("boundary=")))
        .map(|boundary| boundary.trim_matches('"').to_owned());
    let Some(boundary) = boundary.filter(|_| request.method() == axum::http::Method::POST) else {
        return next.run(request).await;
    };
    if request.headers().contains_key("x-amz-security-token") {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    let mut chunks = Vec::new();
    while head.len() < FORM_FIELDS_LIMIT {
        match futures::StreamExt::next(&mut stream).await {
            Some(Ok(chunk)) => {
                head.extend_from_slice(&chunk);
                chunks.push(chunk);
                if file_part_header_complete(&head) {
                    break;
                }
            }
            Some(Err(_)) => return (StatusCode::BAD_REQUEST, "the request body could not be read").into_response(),
            None => break,
        }
    }
    if let Some(token) = form_field(&head, &boundary, "x-amz-security-token") {
        if let Ok(value) = HeaderValue::from_str(&token) {
            parts.headers.insert("x-amz-security-token", value);
        }
    }
    // The key the upload will be stored under, `${filename}` filled in as S3 does, so that the access
    // check authorizes the object, not the bucket.
    if let Some(key) = form_field(&head, &boundary, "key") {
        let key = match file_name(&head) {
            Some(name) => key.replace("${filename}", &name),
            None => key,
        };
        if let Ok(value) = HeaderValue::from_str(&percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC).to_string()) {
            parts.headers.insert(POST_KEY_HEADER, value);
        }
    }
    let replay = futures::stream::iter(chunks.into_iter().map(Ok::<_, axum::Error>));
    let body = AxumBody::from_stream(futures::StreamExt::chain(replay, stream));
    next.run(Request::from_parts(parts, body)).await
}

/// Where `post_form_token` states a form's object key (percent-encoded) for the access check.
pub(crate) const POST_KEY_HEADER: &str = "x-s3cognito-post-object-key";

/// Whether the head of a form holds the whole header block of its file part.
fn file_part_header_complete(head: &[u8]) -> bool {
    let lower = head.to_ascii_lowercase();
    lower
        .windows(11)
        .position(|window| window == b"name=\"file\"")
        .is_some_and(|at| lower[at..].windows(4).any(|window| window == b"\r\n\r\n"))
}

/// The `filename` of the form's file part, which S3 puts where a key says `${filename}`.
fn file_name(head: &[u8]) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    let at = lower.windows(11).position(|window| window == b"name=\"file\"")?;
    let line_start = lower[..at].iter().rposition(|byte| *byte == b'\n').map_or(0, |position| position + 1);
    let line_end = at + lower[at..].windows(2).position(|window| window == b"\r\n")?;
    let line = &head[line_start..line_end];
    let marker = b"filename=\"";
    let start = line.windows(marker.len()).position(|window| window.eq_ignore_ascii_case(marker))? + marker.len();
    let length = line[start..].iter().position(|byte| *byte == b'"')?;
    String::from_utf8(line[start..start + length].to_vec()).ok()
}

/// The value of a form field, by case-insensitive name, from the start of a multipart body.
fn form_field(head: &[u8], boundary: &str, name: &str) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    let needle = format!("name=\"{name}\"");
    let at = lower.windows(needle.len()).position(|window| window == needle.as_bytes())?;
    let value_start = at + head[at..].windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    let end_marker = format!("\r\n--{boundary}");
    let value_len = head[value_start..].windows(end_marker.len()).position(|window| window == end_marker.as_bytes())?;
    String::from_utf8(head[value_start..value_start + value_len].to_vec()).ok()
}

/// Gives every S3 response an `x-amz-request-id`, and every S3 error body the same `<RequestId>`,
/// which s3s does not do itself.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase()[..16].to_owned();
    let has_body = request.headers().get("content-length").is_some_and(|length| length.as_bytes() != b"0")
        || request.headers().contains_key("transfer-encoding");
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    if let Ok(value) = HeaderValue::from_str(&id) {
        parts.headers.insert("x-amz-request-id", value);
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
    if !text.contains("<RequestId>") {
        if let Some(position) = text.rfind("</Error>") {
            text.insert_str(position, &format!("<RequestId>{id}</RequestId>"));
        }
    }
    parts.headers.remove("content-length");
    Response::from_parts(parts, AxumBody::from(text))
}
