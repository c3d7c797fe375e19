//! `GET /_s3cognito/admin/overview?window=SECONDS`: what the dashboard shows, for a member of the bootstrap
//! pool's administrators group (`Authorization: <ID or access token>`): health, uploads and bytes over
//! time, storage per user, sign-in failures and presigned-URL use over time, and the recent audit log.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use s3cognito_crypto::jwt::TokenUse;
use s3cognito_service::ServiceError;
use s3cognito_service::activity;
use s3cognito_service::authorization::{Caller, Resource};
use s3cognito_service::monitoring::{Check, Overview};
use s3cognito_service::uploads::UploadError;
use s3cognito_types::operation::Own;
use serde_json::{Value, json};

use crate::audit_api::event_json;
use crate::{MonitorState, refusal};

/// The window shown unless asked otherwise: a day.
const DEFAULT_WINDOW: i64 = 86_400;
/// At most a month.
const MAX_WINDOW: i64 = 31 * 86_400;
/// Intervals in each series.
const INTERVALS: i64 = 24;
/// Users in the storage table.
const TOP_USERS: i64 = 10;

pub(crate) async fn overview(State(state): State<MonitorState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    activity::note_operation(Own::GetMonitoringOverview);
    let app = &state.app;
    let token = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or("");
    let user = match app.uploads.authenticate(token, &[TokenUse::Id, TokenUse::Access]).await {
        Ok(user) => user,
        Err(UploadError::Unauthorized(reason)) => {
            tracing::info!(reason, "dashboard token refused");
            return refusal(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
        Err(error) => {
            tracing::error!(%error, "authenticating a dashboard request failed");
            return refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "The request could not be served.");
        }
    };
    match app.authorizer.authorize(Caller::PoolUser(&user), Own::GetMonitoringOverview.into(), &Resource::Monitoring).await {
        Ok(()) => {}
        Err(ServiceError::AccessDenied(message)) => return refusal(StatusCode::FORBIDDEN, "AccessDeniedException", message),
        Err(error) => {
            tracing::error!(%error, "authorizing a dashboard request failed");
            return refusal(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "The request could not be served.");
        }
    }
    let window = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("window="))
        .map_or(Ok(DEFAULT_WINDOW), |value| value.parse::<i64>().map_err(|_| ()))
        .ok()
        .filter(|window| (3600..=MAX_WINDOW).contains(window));
    let Some(window) = window else {
        return refusal(StatusCode::BAD_REQUEST, "ValidationException", format!("window must be between 3600 and {MAX_WINDOW} seconds"));
    };
    match app.monitoring.overview(window, INTERVALS, TOP_USERS).await {
        Ok(overview) => {
            let mut response = axum::Json(overview_json(&overview)).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "gathering the dashboard's figures failed");
            // What is away is still worth showing: the checks need no figures.
            let readiness = app.monitoring.readiness().await;
            activity::note_error_code("ServiceUnavailable");
            let body = json!({
                "__type": "ServiceUnavailable",
                "message": "The figures could not be gathered; see the server's health.",
                "health": {
                    "database": check(&readiness.database),
                    "blobStore": check(&readiness.blob_store),
                    "keys": check(&readiness.keys),
                },
            });
            let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
            response.headers_mut().insert("x-amzn-errortype", axum::http::HeaderValue::from_static("ServiceUnavailable"));
            response
        }
    }
}

fn check(check: &Check) -> &'static str {
    if check.is_ok() { "ok" } else { "unavailable" }
}

/// Every interval's start from `since` to `now`, so that the charts show quiet intervals as zeros.
fn interval_starts(overview: &Overview) -> Vec<i64> {
    let first = overview.since.div_euclid(overview.interval) * overview.interval;
    (0..).map(|index| first + index * overview.interval).take_while(|start| *start <= overview.now).collect()
}

fn overview_json(overview: &Overview) -> Value {
    let starts = interval_starts(overview);
    let uploads: Vec<Value> = starts
        .iter()
        .map(|start| {
            let found = overview.uploads.iter().find(|count| count.start == *start);
            json!({"start": start, "uploads": found.map_or(0, |count| count.uploads), "bytes": found.map_or(0, |count| count.bytes)})
        })
        .collect();
    let count_of = |start: i64, matches: &dyn Fn(&s3cognito_service::monitoring::EventCount) -> bool| -> i64 {
        overview.events.iter().filter(|count| count.start == start && matches(count)).map(|count| count.count).sum()
    };
    let sign_in = |count: &s3cognito_service::monitoring::EventCount| {
        matches!(count.event.as_str(), "InitiateAuth" | "RespondToAuthChallenge" | "AdminInitiateAuth" | "AdminRespondToAuthChallenge")
            && count.via == "password"
    };
    let sign_ins: Vec<Value> = starts
        .iter()
        .map(|start| {
            json!({
                "start": start,
                "failures": count_of(*start, &|count| sign_in(count) && count.outcome != "success"),
                "lockouts": count_of(*start, &|count| count.event == "UserLockedOut"),
            })
        })
        .collect();
    let presigned: Vec<Value> = starts
        .iter()
        .map(|start| {
            json!({
                "start": start,
                "issued": count_of(*start, &|count| count.event == "PresignFile" && count.outcome == "success"),
                "used": count_of(*start, &|count| count.via == "presigned-url" && count.outcome == "success"),
                "refused": count_of(*start, &|count| count.via == "presigned-url" && count.outcome != "success"),
            })
        })
        .collect();
    json!({
        "now": overview.now,
        "since": overview.since,
        "interval": overview.interval,
        "health": {
            "database": check(&overview.readiness.database),
            "blobStore": check(&overview.readiness.blob_store),
            "keys": check(&overview.readiness.keys),
            "userPool": {"id": overview.pool.id, "exists": overview.pool.exists, "users": overview.pool.users},
            "bucket": {
                "name": overview.bucket.name,
                "exists": overview.bucket.exists,
                "objects": overview.bucket.objects,
                "bytes": overview.bucket.bytes,
                "multipartUploads": overview.bucket.multipart_uploads,
            },
            "defaultKey": overview.default_key_state.map(|state| state.as_str()),
            "keyStates": overview.key_states.iter().map(|(state, count)| json!({"state": state, "keys": count})).collect::<Vec<_>>(),
        },
        "uploads": uploads,
        "signIns": sign_ins,
        "presignedUrls": presigned,
        "storage": overview.storage.iter().map(|usage| json!({
            "identityId": usage.identity_id,
            "username": usage.username,
            "objects": usage.objects,
            "bytes": usage.bytes,
        })).collect::<Vec<_>>(),
        "recentEvents": overview.recent.iter().map(event_json).collect::<Vec<_>>(),
    })
}
