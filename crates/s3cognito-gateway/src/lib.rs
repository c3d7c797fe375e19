//! The upload gateway: routes that take a user pool token instead of AWS credentials and put files
//! in the caller's own namespace (`private/<identityId>/`).
//!
//! - The presign API (`/_s3cognito/presign`): `GET ?name=&method=PUT|GET&contentType=&size=` (or POST with
//!   the same fields as JSON) answers `{url, method, key, expiresAt, headers}`, a presigned S3 URL for one
//!   request; under it, Uppy's S3 routes (`s3/multipart…`, `s3/params`) sign a browser's multipart upload.
//! - The upload edge (`/_s3cognito/upload/<name>`): `PUT` streams a body into the caller's file, `GET`
//!   serves it, with an access token checked as a resource server checks it, before any byte is stored.
//!
//! Refusals are API Gateway's `{"message": …}`; a token that is not accepted is `401 Unauthorized`.

mod error;
mod sign;
mod uppy;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::{StreamExt, TryStreamExt};
use s3cognito_crypto::calendar;
use s3cognito_crypto::jwt::TokenUse;
use s3cognito_service::App;
use s3cognito_service::activity;
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_service::objects::{BodyError, ChecksumSlot, Conditions, MAX_SINGLE_UPLOAD, ObjectAttributes, Upload};
use s3cognito_service::uploads::{Completed, PoolUser, Route};
use s3cognito_types::ObjectKey;
use s3cognito_types::operation::Own;
use serde::Deserialize;
use serde_json::{Value, json};

pub use error::Refusal;
use sign::{Signer, ToSign};

/// What the gateway's handlers share.
#[derive(Debug, Clone)]
pub struct GatewayState {
    pub app: Arc<App>,
    /// The base URL clients reach us at; presigned URLs point there.
    pub public_url: String,
}

type Answer = Result<Response, Refusal>;

/// The presign API and Uppy's routes, to be nested at the presign base path.
pub fn presign_routes(state: GatewayState) -> Router {
    Router::new()
        .route("/", get(presign_get).post(presign_post))
        .route("/s3/params", get(uppy::params))
        .route("/s3/multipart", post(uppy::create))
        .route("/s3/multipart/{upload_id}", get(uppy::list_parts).delete(uppy::abort))
        .route("/s3/multipart/{upload_id}/complete", post(uppy::complete))
        .route("/s3/multipart/{upload_id}/{part_number}", get(uppy::sign_part))
        .with_state(state)
}

/// The upload edge, to be nested at its base path.
pub fn edge_routes(state: GatewayState) -> Router {
    Router::new().route("/{*name}", get(edge_get).put(edge_put)).with_state(state)
}

impl GatewayState {
    /// The caller behind the request's `Authorization` header, allowed `operation` on `key`.
    async fn caller(&self, headers: &HeaderMap, accepted: &[TokenUse], operation: Own, key: Option<&str>) -> Result<PoolUser, Refusal> {
        activity::note_operation(operation);
        if let Some(key) = key {
            activity::note_resource(key);
        }
        let token = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or("");
        let user = self.app.uploads.authenticate(token, accepted).await?;
        let resource = key.map_or(Resource::Any, Resource::UserFile);
        self.app.authorizer.authorize(Caller::PoolUser(&user), operation.into(), &resource).await?;
        Ok(user)
    }

    /// A presigned URL for one request on `key`, lasting `expires`.
    async fn presign(
        &self,
        method: &str,
        key: &str,
        query: &[(&str, &str)],
        headers: &[(&str, String)],
        expires: Duration,
    ) -> Result<String, Refusal> {
        let (access_key_id, secret_access_key) = self.app.uploads.signing_key().await?;
        let signer = Signer { access_key_id, secret_access_key, region: self.app.region.clone() };
        let namespace = self.app.uploads.namespace().await?;
        let now = u64::try_from(self.app.clock.now()).unwrap_or(0);
        activity::note_resource(format!("{}/{key}", namespace.bucket));
        metrics::counter!("s3cognito_presigned_urls_issued_total", "method" => if method == "GET" { "GET" } else { "PUT" }).increment(1);
        signer
            .presign(&ToSign {
                method,
                base_url: &self.public_url,
                bucket: &namespace.bucket,
                key,
                query,
                headers,
                time: UNIX_EPOCH + Duration::from_secs(now),
                expires,
            })
            .map_err(Refusal::bad_request)
    }

    /// How long a URL lasts: the caller's ask within the configured bound, else the default.
    fn expiry(&self, asked: Option<i64>) -> Result<i64, Refusal> {
        let settings = self.app.uploads.settings();
        match asked {
            None => Ok(settings.presign_seconds),
            Some(seconds) if (1..=settings.max_presign_seconds).contains(&seconds) => Ok(seconds),
            Some(_) => Err(Refusal::bad_request(format!("expires must be between 1 and {} seconds.", settings.max_presign_seconds))),
        }
    }

    /// A presigned PUT of `name` for `user`, recorded as a pending job: the URL, the key, when it
    /// ends, and the headers the client must send.
    async fn presigned_put(
        &self,
        user: &PoolUser,
        key: &ObjectKey,
        file_name: &str,
        content_type: Option<&str>,
        size: Option<u64>,
        expires: i64,
    ) -> Result<(String, i64, Value), Refusal> {
        if size.is_some_and(|size| size > MAX_SINGLE_UPLOAD) {
            return Err(Refusal::bad_request(format!(
                "size is larger than {MAX_SINGLE_UPLOAD} bytes, the most one PUT can store; upload it in parts."
            )));
        }
        let mut signed = Vec::new();
        let mut to_send = serde_json::Map::new();
        if let Some(content_type) = content_type {
            signed.push(("content-type", content_type.to_owned()));
            to_send.insert("Content-Type".to_owned(), json!(content_type));
        }
        // The length is bound by the signature; clients send it themselves (browsers may not set it).
        if let Some(size) = size {
            signed.push(("content-length", size.to_string()));
        }
        let url = self.presign("PUT", key, &[], &signed, Duration::from_secs(expires as u64)).await?;
        let expires_at = self.app.clock.now() + expires;
        self.app.uploads.presigned_put(user, key, file_name, content_type, expires_at).await?;
        Ok((url, expires_at, Value::Object(to_send)))
    }
}

/// The presign API's fields, from the query or a JSON body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PresignInput {
    name: Option<String>,
    method: Option<String>,
    content_type: Option<String>,
    size: Option<u64>,
    /// Seconds the URL lasts.
    expires: Option<i64>,
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(percent_decode_pairs).unwrap_or_default()
}

fn percent_decode_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text: &str| {
                let spaced = text.replace('+', " ");
                percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
            };
            (decode(name), decode(value))
        })
        .collect()
}

fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(candidate, _)| candidate == name).map(|(_, value)| value.as_str())
}

/// The longest JSON body the presign API and the multipart calls read.
const MAX_JSON_BODY: usize = 1 << 20;

/// A call's JSON body (an empty one is the default), read only once its token has been accepted, so an
/// unauthenticated caller cannot make the server hold a body.
pub(crate) async fn json_body<T: for<'de> Deserialize<'de> + Default>(body: Body, shape: &str) -> Result<T, Refusal> {
    let body = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, format!("The body must be a JSON object of at most {MAX_JSON_BODY} bytes.")))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&body).map_err(|_| Refusal::bad_request(format!("The body must be a JSON object: {shape}.")))
}

/// The caller of the presign API: ID and access tokens are both taken, as a Cognito authorizer does.
async fn presign_caller(state: &GatewayState, headers: &HeaderMap) -> Result<PoolUser, Refusal> {
    state.caller(headers, &[TokenUse::Access, TokenUse::Id], Own::PresignFile, None).await
}

async fn presign_get(State(state): State<GatewayState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Answer {
    // The token is checked before anything the request says is looked at.
    let user = presign_caller(&state, &headers).await?;
    let pairs = query_pairs(query.as_deref());
    let number = |name: &str| -> Result<Option<u64>, Refusal> {
        query_value(&pairs, name)
            .map(|value| value.parse::<u64>().map_err(|_| Refusal::bad_request(format!("{name} must be a whole number."))))
            .transpose()
    };
    let input = PresignInput {
        name: query_value(&pairs, "name").map(str::to_owned),
        method: query_value(&pairs, "method").map(str::to_owned),
        content_type: query_value(&pairs, "contentType").map(str::to_owned),
        size: number("size")?,
        expires: number("expires")?.map(|seconds| i64::try_from(seconds).unwrap_or(i64::MAX)),
    };
    presign(&state, &user, input).await
}

async fn presign_post(State(state): State<GatewayState>, headers: HeaderMap, body: Body) -> Answer {
    let user = presign_caller(&state, &headers).await?;
    let input: PresignInput = json_body(body, "{name, method, contentType, size}").await?;
    presign(&state, &user, input).await
}

async fn presign(state: &GatewayState, user: &PoolUser, input: PresignInput) -> Answer {
    let name = input.name.as_deref().ok_or_else(|| Refusal::bad_request("name is required."))?;
    let file_name = s3cognito_service::uploads::Uploads::file_name(name)?;
    let key = state.app.uploads.key_of(user, &file_name)?;
    state.app.authorizer.authorize(Caller::PoolUser(user), Own::PresignFile.into(), &Resource::UserFile(&key)).await?;
    let expires = state.expiry(input.expires)?;
    let method = input.method.as_deref().unwrap_or("PUT").to_ascii_uppercase();
    let (url, expires_at, to_send) = match method.as_str() {
        "PUT" => {
            state.presigned_put(user, &key, file_name.base_name(), input.content_type.as_deref(), input.size, expires).await?
        }
        "GET" => {
            let namespace = state.app.uploads.namespace().await?;
            state.app.objects.object(&namespace.bucket, &key, &Conditions::default()).await?;
            let url = state.presign("GET", &key, &[], &[], Duration::from_secs(expires as u64)).await?;
            (url, state.app.clock.now() + expires, json!({}))
        }
        _ => return Err(Refusal::bad_request("method must be PUT or GET.")),
    };
    let answer = json!({
        "url": url,
        "method": method,
        "key": key.as_str(),
        "expiresAt": calendar::iso8601(expires_at),
        "headers": to_send,
    });
    Ok(Json(answer).into_response())
}

/// A user's file from the edge's path.
fn edge_key(state: &GatewayState, user: &PoolUser, name: &str) -> Result<(ObjectKey, String), Refusal> {
    let file_name = s3cognito_service::uploads::Uploads::file_name(name)?;
    let key = state.app.uploads.key_of(user, &file_name)?;
    Ok((key, file_name.base_name().to_owned()))
}

/// The size of the parts the edge stores a body in: one part up to the most one PUT may carry.
const EDGE_PART_SIZE: u64 = MAX_SINGLE_UPLOAD;

async fn edge_put(State(state): State<GatewayState>, Path(name): Path<String>, headers: HeaderMap, body: Body) -> Answer {
    // Nothing is read from the body before the token and the name are accepted.
    let user = state.caller(&headers, &[TokenUse::Access], Own::PutFile, None).await?;
    let (key, base_name) = edge_key(&state, &user, &name)?;
    activity::note_resource(key.as_str());
    state.app.authorizer.authorize(Caller::PoolUser(&user), Own::PutFile.into(), &Resource::UserFile(&key)).await?;
    let header_text = |name: header::HeaderName| headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let declared_length = match header_text(header::CONTENT_LENGTH) {
        Some(text) => Some(text.parse::<u64>().map_err(|_| Refusal::bad_request("Content-Length is not a number."))?),
        None => None,
    };
    let namespace = state.app.uploads.namespace().await?;
    let attributes = ObjectAttributes {
        content_type: header_text(header::CONTENT_TYPE),
        encryption: state.app.objects.default_encryption(&namespace.bucket).await?,
        ..ObjectAttributes::default()
    };
    let upload = Upload {
        body: body.into_data_stream().map_err(|error| BodyError::Incomplete(error.to_string())).boxed(),
        declared_length,
        content_md5: header_text(header::HeaderName::from_static("content-md5")),
        checksum: ChecksumSlot::default(),
        condition: Default::default(),
    };
    // Any size up to S3's largest object: past one PUT's limit the edge stores the body in parts itself.
    let info = state.app.objects.put_object_in_parts(&namespace.bucket, &key, &user.identity_id, attributes, upload, EDGE_PART_SIZE).await?;
    if let Err(error) = state.app.uploads.completed(&info, Completed { route: Route::Edge, file_name: Some(&base_name), user: Some(&user) }).await {
        tracing::warn!(%error, "recording an upload job failed");
    }
    let answer = json!({ "bucket": info.bucket, "key": info.key, "etag": info.etag, "size": info.size });
    Ok(([(header::ETAG, info.etag.clone())], Json(answer)).into_response())
}

async fn edge_get(State(state): State<GatewayState>, Path(name): Path<String>, headers: HeaderMap) -> Answer {
    let user = state.caller(&headers, &[TokenUse::Access], Own::GetFile, None).await?;
    let (key, _) = edge_key(&state, &user, &name)?;
    activity::note_resource(key.as_str());
    state.app.authorizer.authorize(Caller::PoolUser(&user), Own::GetFile.into(), &Resource::UserFile(&key)).await?;
    let namespace = state.app.uploads.namespace().await?;
    let info = state.app.objects.object(&namespace.bucket, &key, &Conditions::default()).await?;
    // An object under a KMS key that is disabled or pending deletion is refused before the answer starts,
    // not cut off part-way through its body.
    for used in state.app.objects.kms_uses(&info).await? {
        state.app.kms.usable(&used.key)?;
    }
    let body = Body::from_stream(state.app.objects.read(&info, 0..info.size).map_err(|error| std::io::Error::other(error.to_string())));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    let content_type = info.attributes.content_type.as_deref().unwrap_or("binary/octet-stream");
    for (name, value) in [
        (header::CONTENT_TYPE, content_type.to_owned()),
        (header::CONTENT_LENGTH, info.size.to_string()),
        (header::ETAG, info.etag.clone()),
        (header::LAST_MODIFIED, httpdate(info.modified_at)),
    ] {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    *response.status_mut() = StatusCode::OK;
    Ok(response)
}

fn httpdate(epoch_seconds: i64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(u64::try_from(epoch_seconds).unwrap_or(0)))
}
