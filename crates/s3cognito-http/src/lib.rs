//! The only crate that knows HTTP, JSON wire shapes and X-Amz-* headers.
//!
//! One endpoint serves every AWS service, told apart as AWS does: `X-Amz-Target` for the JSON
//! protocols, S3 path-style for everything else; our own routes (health, OIDC) live under paths no
//! bucket name can take.

mod aws_json;
mod cognito_identity;
mod cognito_idp;
mod error;
#[cfg(test)]
mod error_tables;
mod iam;
mod input;
mod kms;
mod oidc;
mod ops;
mod query;
pub mod tls;

/// Entry points for the fuzz targets (`fuzz/`), built only with `--cfg fuzzing`.
#[cfg(fuzzing)]
pub mod fuzzing {
    /// A JSON-protocol body, parsed and read member by member as handlers read theirs.
    pub fn json_body(data: &[u8]) {
        let Ok(input) = crate::input::Input::parse(data) else { return };
        let _ = input.opt_string("Username");
        let _ = input.string("ClientId");
        let _ = input.opt_bool("Permanent");
        let _ = input.opt_i64("MaxResults");
        let _ = input.opt_strings("AttributesToGet");
        let _ = input.string_map("AuthParameters");
        let _ = input.attributes("UserAttributes");
        if let Ok(Some(nested)) = input.object("Policies") {
            let _ = nested.opt_string("PasswordPolicy");
        }
        let _ = input.structure::<serde_json::Value>();
    }

    /// A POST form's head, fed to the field reader in the chunk sizes the first bytes name.
    pub fn post_form(data: &[u8]) {
        s3cognito_s3::fuzzing::post_form(data);
    }
}

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method};
use axum::routing::{get, post};
use s3cognito_service::App;
use s3cognito_types::operation::Own;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// A client-chosen name (an `X-Amz-Target`, an `Action`) as it may appear in a log line: short names of
/// the shape operations have, and a placeholder for anything else, so no caller can write into the log.
pub(crate) fn loggable(name: &str) -> &str {
    let shaped = name.len() <= 80 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"._-".contains(&byte));
    if shaped { name } else { "(unrecognized)" }
}

pub use s3cognito_monitor::{MetricsExposure, MonitorState, metrics_router};
pub use s3cognito_web::Page;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct HttpState {
    pub app: Arc<App>,
    /// The base URL clients reach us at: `--public-url`, or the listen address. Documents that name
    /// our URLs (OpenID discovery) are built from it, never from a request's Host header, which the
    /// caller chooses.
    pub public_url: String,
    /// The upload page, with this deployment's settings.
    pub page: Page,
    /// Readiness, metrics, the audit log and the dashboard's figures, and the recorder of every request.
    pub monitor: s3cognito_monitor::MonitorState,
}

/// The whole HTTP surface, ready for `axum::serve` or a test's `oneshot`.
///
/// A user pool's OpenID documents live at `/<poolId>/.well-known/…`, where Cognito serves them; a bucket
/// can hold keys of the same shape. Bucket names cannot contain `_` and pool ids always do, so those
/// paths reach the OpenID routes only when the first segment is a pool id, and S3 otherwise.
pub fn router(state: HttpState) -> Router {
    let monitor = state.monitor.clone();
    let s3 = s3cognito_s3::router(state.app.clone());
    let openid = Router::new()
        .route("/{pool_id}/.well-known/jwks.json", get(oidc::jwks))
        .route("/{pool_id}/.well-known/openid-configuration", get(oidc::discovery))
        .with_state(state.clone())
        .layer(cors());
    let state_app = state.app.clone();
    let page = state.page.clone();
    let gateway = s3cognito_gateway::GatewayState { app: state.app.clone(), public_url: state.public_url.clone() };
    let main = Router::new()
        // POST / is a JSON-protocol call; other methods on / are sent to S3 before this router.
        .route("/", post(aws_json::dispatch))
        .route("/_s3cognito/health", get(ops::health))
        .route("/_s3cognito/identity/.well-known/jwks.json", get(oidc::identity_jwks))
        .with_state(state)
        .nest("/_s3cognito/presign", s3cognito_gateway::presign_routes(gateway.clone()))
        .nest("/_s3cognito/upload", s3cognito_gateway::edge_routes(gateway))
        .nest("/_s3cognito/graphql", s3cognito_graphql::routes(s3cognito_graphql::GraphQlState::new(state_app)))
        .merge(s3cognito_web::routes(page.clone()).layer(axum::middleware::from_fn(page_request)))
        .merge(s3cognito_monitor::routes(monitor.clone()))
        // Our own routes and the JSON protocols allow any origin; S3 follows each bucket's rules.
        .layer(cors())
        .fallback_service(s3.clone());
    Router::new().fallback_service(tower::service_fn(move |request: axum::extract::Request| {
        let path = request.uri().path();
        // `/` is the JSON protocols' only for POST (and the browser's preflight of it); S3's own answers
        // there (ListBuckets) must not pass through their route and pick up its `allow` and CORS headers.
        let s3_on_root = path == "/" && !matches!(*request.method(), Method::POST | Method::OPTIONS);
        if s3_on_root && s3cognito_web::wants_page(&request) {
            // A person's browser at the server's address: the upload page. S3 answers only signed calls here.
            s3cognito_service::activity::note_operation(Own::GetPage);
            return futures::future::Either::Left(std::future::ready(Ok(page.index())));
        }
        let target = if oidc::is_pool_document(path) {
            openid.clone()
        } else if s3_on_root {
            s3.clone()
        } else {
            main.clone()
        };
        futures::future::Either::Right(tower::ServiceExt::oneshot(target, request))
    }))
    // Outermost: every request, whichever service answers it, is recorded.
    .layer(axum::middleware::from_fn_with_state(monitor, s3cognito_monitor::observe))
}

/// The page's files are one operation of ours, for the metrics and the access log.
async fn page_request(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    s3cognito_service::activity::note_operation(Own::GetPage);
    next.run(request).await
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

/// What one connection may hold, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A request's head must arrive within this long, and a kept-alive connection waiting for its next
    /// request is closed after this long: a silent connection cannot hold a descriptor for ever.
    pub header_read_timeout: std::time::Duration,
    /// Connections open at once; past it new ones are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Connections open at once from one source address, so that one peer cannot take them all.
    pub max_connections_per_address: usize,
}

impl ConnectionLimits {
    /// Limits that fit `descriptors` open files: a reserve for the database, blobs and mail, the rest for
    /// connections, at most half of them for one address.
    pub fn for_descriptors(descriptors: u64, header_read_timeout: std::time::Duration) -> ConnectionLimits {
        let available = usize::try_from(descriptors.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
        let max_connections = available.clamp(16, 65_536);
        ConnectionLimits { header_read_timeout, max_connections, max_connections_per_address: (max_connections / 2).max(8) }
    }
}

/// Descriptors kept for everything but client connections (the database pool, blob reads, mail, logs).
const RESERVED_DESCRIPTORS: u64 = 96;

/// Serves `router` on `listener` until `shutdown` completes, then lets requests in flight finish.
///
/// Our own accept loop on hyper rather than `axum::serve`, which has no header-read or idle timeout and
/// no bound on connections: a peer opening silent connections could take every descriptor. Here each
/// connection gets hyper's header-read timeout (which also closes kept-alive connections idle that long),
/// and connections past the limits are closed at once, before anything is read from them.
///
/// Connections are `TCP_NODELAY`: a response whose body is not ready with its head (every GET: the bytes
/// come from the disk) goes out in two writes, and with Nagle's algorithm the second waits for the
/// client's delayed ACK of the first, up to 40 ms a request.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    limits: ConnectionLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let app = router(state);
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(limits.header_read_timeout));
    let connections = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let per_address = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<std::net::IpAddr, usize>::new()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a moment
                    // rather than spin, and keep serving.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::debug!("connection limit reached; a new connection is closed");
            continue;
        };
        let Some(address_slot) = AddressSlot::take(&per_address, peer.ip(), limits.max_connections_per_address) else {
            tracing::debug!("per-address connection limit reached; a new connection is closed");
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set");
        }
        let service = tower::ServiceExt::map_request(app.clone(), move |mut request: axum::http::Request<_>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request.map(axum::body::Body::new)
        });
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
        tokio::spawn(async move {
            let service = hyper_util::service::TowerToHyperService::new(service);
            let timeout = limits.header_read_timeout;
            let served = match tls {
                // The handshake is bounded like a request head: a silent peer is dropped.
                Some(acceptor) => match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                        watcher.watch(connection).await
                    }
                    Ok(Err(error)) => {
                        tracing::debug!(%error, "TLS handshake failed");
                        Ok(())
                    }
                    Err(_) => Ok(()),
                },
                None => {
                    // Telling HTTP/1 from HTTP/2 reads the first bytes before hyper's own timeout runs:
                    // a connection that sends nothing at all is closed here.
                    let mut first = [0u8; 1];
                    if matches!(tokio::time::timeout(timeout, stream.peek(&mut first)).await, Ok(Ok(1..))) {
                        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                        watcher.watch(connection).await
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop((permit, address_slot));
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// One connection's place in its source address's count, given back when the connection ends.
struct AddressSlot {
    counts: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    address: std::net::IpAddr,
}

impl AddressSlot {
    fn take(
        counts: &Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
        address: std::net::IpAddr,
        limit: usize,
    ) -> Option<AddressSlot> {
        let mut map = counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = map.entry(address).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot { counts: counts.clone(), address })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = map.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.address);
            }
        }
    }
}
