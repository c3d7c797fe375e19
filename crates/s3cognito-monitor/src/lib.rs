//! Monitoring, as operators reach it: every request recorded (its id returned and on every log line, one
//! access-log line, its metrics, its audit event), and the routes that show what was recorded:
//!
//! - `/_s3cognito/ready`: whether the database, the blob store and the key material are usable (503 if not);
//! - `/_s3cognito/metrics`: Prometheus's text format, open or behind a bearer token, here or on a listen
//!   address of its own;
//! - `/_s3cognito/audit`: the audit log, for callers signed with AWS credentials allowed
//!   `s3cognito:ListAuditEvents` (the account's own keys are);
//! - `/_s3cognito/admin/overview`: the dashboard's figures, for members of the pool's administrators group.

mod audit_api;
pub mod catalogue;
mod overview;
mod record;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use s3cognito_service::App;
use s3cognito_service::activity;
use s3cognito_service::monitoring::Check;
use s3cognito_types::operation::Own;
use serde_json::json;

pub use audit_api::event_json;
pub use record::observe;

/// Where the metrics are served.
#[derive(Debug, Clone)]
pub enum MetricsExposure {
    /// Not at all (no recorder installed).
    Off,
    /// At `/_s3cognito/metrics` on the main listen address.
    Here(PrometheusHandle),
    /// On a listen address of their own (`metrics_router`); the main one answers 404.
    Elsewhere,
}

/// What the monitoring routes and the request recorder share.
#[derive(Clone)]
pub struct MonitorState {
    pub app: Arc<App>,
    pub metrics: MetricsExposure,
    /// `Authorization: Bearer <token>` the metrics route asks for, when set.
    pub metrics_token: Option<Arc<str>>,
    /// Whether the last readiness check passed, so that only changes are logged.
    last_ready: Arc<std::sync::atomic::AtomicU8>,
}

impl std::fmt::Debug for MonitorState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("MonitorState").field("metrics", &self.metrics).finish_non_exhaustive()
    }
}

impl MonitorState {
    pub fn new(app: Arc<App>, metrics: MetricsExposure, metrics_token: Option<String>) -> MonitorState {
        MonitorState {
            app,
            metrics,
            metrics_token: metrics_token.map(Arc::from),
            last_ready: Arc::new(std::sync::atomic::AtomicU8::new(UNKNOWN)),
        }
    }
}

const UNKNOWN: u8 = 0;
const READY: u8 = 1;
const NOT_READY: u8 = 2;

/// The monitoring routes, to be merged into the main router.
pub fn routes(state: MonitorState) -> Router {
    Router::new()
        .route("/_s3cognito/ready", get(ready))
        .route("/_s3cognito/metrics", get(metrics))
        .route("/_s3cognito/audit", get(audit_api::list))
        .route("/_s3cognito/admin/overview", get(overview::overview))
        .with_state(state)
}

/// The metrics alone (and readiness beside them), for a listen address of their own.
pub fn metrics_router(state: MonitorState, handle: PrometheusHandle) -> Router {
    let state = MonitorState { metrics: MetricsExposure::Here(handle), ..state };
    Router::new()
        .route("/_s3cognito/metrics", get(metrics))
        .route("/_s3cognito/ready", get(ready))
        .with_state(state)
}

/// Whether this server can serve: 200 `{"status":"ready"}` when the database, the blob store and the key
/// material all answer within their bound, 503 with the checks that failed otherwise. Reasons go to the
/// log (once per change), not to the answer, which anyone may read.
async fn ready(State(state): State<MonitorState>) -> Response {
    activity::note_operation(Own::Ready);
    let readiness = state.app.monitoring.readiness().await;
    let word = |check: &Check| if check.is_ok() { "ok" } else { "unavailable" };
    let ready = readiness.is_ready();
    let now = if ready { READY } else { NOT_READY };
    if state.last_ready.swap(now, std::sync::atomic::Ordering::Relaxed) != now {
        if ready {
            tracing::info!("ready: the database, the blob store and the key material are usable");
        } else {
            for (component, check) in [("database", &readiness.database), ("blob store", &readiness.blob_store), ("keys", &readiness.keys)] {
                if let Check::Failed(reason) = check {
                    tracing::warn!(component, reason = %reason, "not ready");
                }
            }
        }
    }
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": {
            "database": word(&readiness.database),
            "blobStore": word(&readiness.blob_store),
            "keys": word(&readiness.keys),
        },
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Prometheus's text exposition format, after counting what is stored (at most every few seconds).
async fn metrics(State(state): State<MonitorState>, headers: HeaderMap) -> Response {
    activity::note_operation(Own::GetMetrics);
    let MetricsExposure::Here(handle) = &state.metrics else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .unwrap_or("");
        if !s3cognito_crypto::compare::constant_time_eq(given.trim().as_bytes(), token.as_bytes()) {
            activity::note_error_code("Unauthorized");
            let mut response = (StatusCode::UNAUTHORIZED, "the metrics need their bearer token\n").into_response();
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"s3cognito metrics\""));
            return response;
        }
    }
    if let Err(error) = state.app.monitoring.count_stored().await {
        tracing::warn!(%error, "counting what is stored failed; its gauges keep their last values");
    }
    let mut response = handle.render().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Errors of our own signed and token routes, in the AWS JSON protocols' shape.
fn refusal(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    activity::note_error_code(code);
    let mut response = (status, axum::Json(json!({"__type": code, "message": message.into()}))).into_response();
    response.headers_mut().insert("x-amzn-errortype", HeaderValue::from_static(code));
    response
}
