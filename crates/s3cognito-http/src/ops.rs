//! Operational routes: health.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::HttpState;

/// Healthy when the metadata database answers.
pub(crate) async fn health(State(state): State<HttpState>) -> (axum::http::StatusCode, Json<Value>) {
    match state.app.store.setting("account_id").await {
        Ok(_) => (axum::http::StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}
