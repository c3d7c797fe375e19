//! Operational routes: health.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::HttpState;

/// How long the health check waits for the database.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Alive: the process answers and its metadata database does, within a bound (readiness, beside it, checks
/// the blob store and the keys too).
pub(crate) async fn health(State(state): State<HttpState>) -> (axum::http::StatusCode, Json<Value>) {
    s3cognito_service::activity::note_operation(s3cognito_types::operation::Own::Health);
    match tokio::time::timeout(HEALTH_TIMEOUT, state.app.store.ping()).await {
        Ok(Ok(())) => (axum::http::StatusCode::OK, Json(json!({"status": "ok"}))),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database unreachable");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer in time");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}
