//! Uppy's S3 routes (`@uppy/aws-s3` with `endpoint`): a browser uploads in parts straight to the bucket
//! with URLs signed here, one per part. Every call carries the user's token and names a key, which
//! must be in the caller's namespace; an upload id is accepted only with the key it was started for.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use s3cognito_crypto::jwt::TokenUse;
use s3cognito_service::objects::ObjectAttributes;
use s3cognito_service::objects::MAX_PART_NUMBER;
use s3cognito_service::uploads::{Completed, PoolUser, Route, Uploads};
use s3cognito_types::ObjectKey;
use s3cognito_types::operation::Own;
use serde::Deserialize;
use serde_json::json;

use crate::{Answer, GatewayState, Refusal, json_body, query_pairs, query_value, sign};

const TOKEN_USES: &[TokenUse] = &[TokenUse::Access, TokenUse::Id];

/// The `key` query parameter, checked to be in the caller's namespace for `operation`.
async fn caller_and_key(
    state: &GatewayState,
    headers: &HeaderMap,
    query: Option<&str>,
    operation: Own,
) -> Result<(PoolUser, ObjectKey), Refusal> {
    let user = state.caller(headers, TOKEN_USES, operation, None).await?;
    let pairs = query_pairs(query);
    let key = query_value(&pairs, "key").ok_or_else(|| Refusal::bad_request("key is required."))?;
    state.app.authorizer.authorize(
        s3cognito_service::authorization::Caller::PoolUser(&user),
        operation.into(),
        &s3cognito_service::authorization::Resource::UserFile(key),
    )
    .await?;
    let key = ObjectKey::parse(key.to_owned()).map_err(|_| Refusal::bad_request("key is not a valid object key."))?;
    Ok((user, key))
}

#[derive(Debug, Default, Deserialize)]
struct CreateInput {
    filename: Option<String>,
    #[serde(rename = "type")]
    content_type: Option<String>,
}

/// `POST s3/multipart {filename, type, metadata}` → `{key, uploadId}`.
pub(crate) async fn create(State(state): State<GatewayState>, headers: HeaderMap, body: Body) -> Answer {
    let user = state.caller(&headers, TOKEN_USES, Own::CreateFileMultipartUpload, None).await?;
    let input: CreateInput = json_body(body, "{filename, type, metadata}").await?;
    let name = input.filename.as_deref().ok_or_else(|| Refusal::bad_request("filename is required."))?;
    let key = state.app.uploads.key_of(&user, &Uploads::file_name(name)?)?;
    let namespace = state.app.uploads.namespace().await?;
    let attributes = ObjectAttributes {
        content_type: input.content_type.filter(|kind| !kind.is_empty()),
        encryption: state.app.objects.default_encryption(&namespace.bucket).await?,
        ..ObjectAttributes::default()
    };
    let upload = state.app.objects.create_upload(&namespace.bucket, &key, &user.identity_id, attributes).await?;
    Ok(Json(json!({ "key": key.as_str(), "uploadId": upload.upload_id })).into_response())
}

/// `GET s3/multipart/{uploadId}/{partNumber}?key=` → `{url, expires}`: a presigned UploadPart.
pub(crate) async fn sign_part(
    State(state): State<GatewayState>,
    Path((upload_id, part_number)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, key) = caller_and_key(&state, &headers, query.as_deref(), Own::SignFileUploadPart).await?;
    let number = part_number
        .parse::<i32>()
        .ok()
        .filter(|number| (1..=MAX_PART_NUMBER).contains(number))
        .ok_or_else(|| Refusal::bad_request(format!("partNumber must be a whole number from 1 to {MAX_PART_NUMBER}.")))?;
    let namespace = state.app.uploads.namespace().await?;
    state.app.objects.upload(&namespace.bucket, &key, &upload_id).await?;
    let expires = state.expiry(None)?;
    let number = number.to_string();
    let query = [("partNumber", number.as_str()), ("uploadId", upload_id.as_str())];
    let url = state.presign("PUT", &key, &query, &[], Duration::from_secs(expires as u64)).await?;
    Ok(Json(json!({ "url": url, "expires": expires })).into_response())
}

/// `GET s3/multipart/{uploadId}?key=` → `[{PartNumber, Size, ETag}]`: what a resumed upload can skip.
pub(crate) async fn list_parts(
    State(state): State<GatewayState>,
    Path(upload_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, key) = caller_and_key(&state, &headers, query.as_deref(), Own::ListFileUploadParts).await?;
    let namespace = state.app.uploads.namespace().await?;
    let (_, parts) = state.app.objects.list_parts(&namespace.bucket, &key, &upload_id).await?;
    let parts: Vec<_> =
        parts.iter().map(|part| json!({ "PartNumber": part.part_number, "Size": part.size, "ETag": part.etag })).collect();
    Ok(Json(parts).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct CompleteInput {
    #[serde(default)]
    parts: Vec<CompletedPart>,
}

#[derive(Debug, Deserialize)]
struct CompletedPart {
    #[serde(rename = "PartNumber")]
    part_number: i32,
    #[serde(rename = "ETag")]
    etag: String,
}

/// `POST s3/multipart/{uploadId}/complete?key= {parts}` → `{location, key, bucket}`.
pub(crate) async fn complete(
    State(state): State<GatewayState>,
    Path(upload_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Answer {
    let (user, key) = caller_and_key(&state, &headers, query.as_deref(), Own::CompleteFileMultipartUpload).await?;
    let input: CompleteInput = json_body(body, "{parts: [{PartNumber, ETag}]}").await?;
    let requested: Vec<(i32, String)> = input.parts.into_iter().map(|part| (part.part_number, part.etag)).collect();
    let namespace = state.app.uploads.namespace().await?;
    let info = state.app.objects.complete_upload(&namespace.bucket, &key, &upload_id, &requested, None, &Default::default()).await?;
    if let Err(error) = state.app.uploads.completed(&info, Completed { route: Route::Multipart, file_name: None, user: Some(&user) }).await {
        tracing::warn!(%error, "recording an upload job failed");
    }
    let location = format!("{}/{}/{}", state.public_url.trim_end_matches('/'), info.bucket, sign::encode_key(&info.key));
    Ok(Json(json!({ "location": location, "key": info.key, "bucket": info.bucket, "etag": info.etag })).into_response())
}

/// `DELETE s3/multipart/{uploadId}?key=` → `{}`.
pub(crate) async fn abort(
    State(state): State<GatewayState>,
    Path(upload_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let (_, key) = caller_and_key(&state, &headers, query.as_deref(), Own::AbortFileMultipartUpload).await?;
    let namespace = state.app.uploads.namespace().await?;
    state.app.objects.abort_upload(&namespace.bucket, &key, &upload_id).await?;
    Ok(Json(json!({})).into_response())
}

/// `GET s3/params?filename=&type=` → `{method: "PUT", url, headers}`: one presigned PUT, for files Uppy
/// sends whole.
pub(crate) async fn params(State(state): State<GatewayState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Answer {
    let user = state.caller(&headers, TOKEN_USES, Own::PresignFile, None).await?;
    let pairs = query_pairs(query.as_deref());
    let name = query_value(&pairs, "filename").ok_or_else(|| Refusal::bad_request("filename is required."))?;
    let file_name = Uploads::file_name(name)?;
    let key = state.app.uploads.key_of(&user, &file_name)?;
    let content_type = query_value(&pairs, "type").filter(|kind| !kind.is_empty());
    let expires = state.expiry(None)?;
    let (url, _, to_send) = state.presigned_put(&user, &key, file_name.base_name(), content_type, None, expires).await?;
    Ok(Json(json!({ "method": "PUT", "url": url, "headers": to_send })).into_response())
}
