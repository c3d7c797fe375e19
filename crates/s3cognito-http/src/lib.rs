//! The only crate that knows HTTP, JSON wire shapes and X-Amz-* headers.
//!
//! One endpoint serves every AWS service, told apart as AWS does: `X-Amz-Target` for the JSON
//! protocols, S3 path-style for everything else; our own routes (health, OIDC) live under paths no
//! bucket name can take.

mod aws_json;
mod cognito_identity;
mod cognito_idp;
mod error;
mod input;
mod oidc;
mod ops;
mod query;
mod s3;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method};
use axum::routing::{get, post};
use s3cognito_service::App;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct HttpState {
    pub app: Arc<App>,
    /// The base URL clients reach us at, when it differs from what the Host header says.
    pub public_url: Option<String>,
}

/// The whole HTTP surface, ready for `axum::serve` or a test's `oneshot`.
pub fn router(state: HttpState) -> Router {
    let s3 = Router::new()
        .fallback(s3::fallback)
        .with_state(s3::service(&state))
        .layer(axum::middleware::from_fn(s3::post_form_fields))
        .layer(axum::middleware::from_fn(s3::request_id))
        .layer(axum::middleware::from_fn_with_state(state.clone(), s3::cors));
    Router::new()
        // POST / is a JSON-protocol call; any other method on / is S3's (ListBuckets).
        .route("/", post(aws_json::dispatch).fallback_service(s3.clone()))
        .route("/_s3cognito/health", get(ops::health))
        .route("/_s3cognito/identity/.well-known/jwks.json", get(oidc::identity_jwks))
        .route("/{pool_id}/.well-known/jwks.json", get(oidc::jwks))
        .route("/{pool_id}/.well-known/openid-configuration", get(oidc::discovery))
        .with_state(state)
        // Our own routes and the JSON protocols allow any origin; S3 follows each bucket's rules.
        .layer(cors())
        .fallback_service(s3)
}

/// Browsers call the Cognito API from any origin, as they do AWS's; a preflight must pass for the
/// SDKs' own headers (`amz-sdk-*`, `x-amz-*`, `pragma`), which are mirrored back.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::PUT, Method::POST, Method::DELETE, Method::HEAD])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("x-amzn-errortype"),
            HeaderName::from_static("x-amzn-requestid"),
            HeaderName::from_static("x-amz-request-id"),
            HeaderName::from_static("etag"),
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// Connections are `TCP_NODELAY`: a response whose body is not ready with its head (every GET: the bytes
/// come from the disk) goes out in two writes, and with Nagle's algorithm the second waits for the
/// client's delayed ACK of the first, up to 40 ms a request.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|connection| {
        if let Err(error) = connection.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set");
        }
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
