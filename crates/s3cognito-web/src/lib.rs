//! The browser upload page, served by the binary itself: sign-in and account screens, uploads and the
//! user's own files. Its sources are in `web/` at the repository root (React, built with Vite); the
//! built files in `web/dist` are embedded at compile time, so nothing is loaded from elsewhere at run
//! time and `cargo build` needs no npm.
//!
//! - `/_s3cognito/app/` is the page, `/_s3cognito/app/assets/…` its scripts and styles (named by their
//!   content's hash, so cached for good), `/_s3cognito/app/config.json` the deployment's settings (the
//!   same document as aws-exports.json: pool, client, identity pool, bucket and endpoints), so the page
//!   works on any deployment and behind `--public-url`.
//! - A browser's unsigned GET of `/` asking for HTML gets the page too ([`wants_page`]); S3's answers to
//!   signed requests there are unchanged.
//! - `/_s3cognito/admin/` is the monitoring dashboard, a second entry of the same build (`admin.html`),
//!   for members of the pool's administrators group.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// What the page's routes share.
#[derive(Debug, Clone)]
pub struct Page {
    config: Bytes,
    policy: HeaderValue,
}

impl Page {
    /// The page for a deployment whose client settings are `config` (aws-exports.json's document) and
    /// whose public base URL is `public_url`.
    pub fn new(config: &serde_json::Value, public_url: &str) -> Page {
        let mut text = serde_json::to_vec_pretty(config).expect("a JSON value serializes");
        text.push(b'\n');
        Page { config: Bytes::from(text), policy: content_security_policy(public_url) }
    }

    /// The page itself, as `/_s3cognito/app/` and a browser's `/` answer it.
    pub fn index(&self) -> Response {
        let index = asset("index.html").expect("the build checked that web/dist has index.html");
        let mut response = self.file(index);
        // Always revalidated: a new build names new assets, and the page must find them.
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }

    fn file(&self, asset: &Asset) -> Response {
        let mut response = Response::new(Body::from(asset.bytes));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        self.protect(headers);
        response
    }

    fn protect(&self, headers: &mut HeaderMap) {
        headers.insert(header::CONTENT_SECURITY_POLICY, self.policy.clone());
        headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // Presigned URLs are never sent on as a Referer.
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
}

/// Scripts and styles from this server only; the page talks to this server's public URL (the same
/// origin, or another when the page is reached by another name); images may be the page's own blobs
/// (previews of files being uploaded). Styles allow inline `style` attributes, which the upload widget
/// sets for its progress bars.
fn content_security_policy(public_url: &str) -> HeaderValue {
    let origin = origin_of(public_url);
    let connect = match &origin {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src {connect}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// `scheme://host[:port]` of a URL, if it has that shape and nothing a header could not carry.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let clean = !authority.is_empty()
        && authority.bytes().all(|byte| byte.is_ascii_alphanumeric() || b".-:[]".contains(&byte));
    clean.then(|| format!("{scheme}://{authority}"))
}

/// The page's routes under `/_s3cognito/app`, and the dashboard's page at `/_s3cognito/admin/` (its figures
/// come from the monitoring routes beside it), to be merged into the server's router.
pub fn routes(page: Page) -> Router {
    Router::new()
        .route("/_s3cognito/admin", get(redirect_to_dashboard))
        .route("/_s3cognito/admin/", get(dashboard))
        .route("/_s3cognito/app", get(redirect_to_page))
        .route("/_s3cognito/app/", get(index))
        .route("/_s3cognito/app/config.json", get(config))
        .route("/_s3cognito/app/assets/{name}", get(asset_file))
        .route("/_s3cognito/app/{*rest}", get(not_found))
        .with_state(page)
}

/// `/_s3cognito/app` without its slash goes to the page's own address.
async fn redirect_to_page() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "/_s3cognito/app/")]).into_response()
}

async fn index(State(page): State<Page>) -> Response {
    page.index()
}

async fn redirect_to_dashboard() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, "/_s3cognito/admin/")]).into_response()
}

/// The monitoring dashboard: the same build as the upload page, its own entry (`admin.html`).
async fn dashboard(State(page): State<Page>) -> Response {
    let Some(dashboard) = asset("admin.html") else {
        return not_found().await;
    };
    let mut response = page.file(dashboard);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn config(State(page): State<Page>) -> Response {
    let mut response = Response::new(Body::from(page.config.clone()));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page.protect(headers);
    response
}

async fn asset_file(State(page): State<Page>, Path(name): Path<String>) -> Response {
    match asset(&format!("assets/{name}")) {
        Some(asset) => {
            let mut response = page.file(asset);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            response
        }
        None => not_found().await,
    }
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "Not found\n").into_response()
}

/// Whether a request for `/` comes from a person's browser: a GET asking for HTML, carrying no AWS
/// signature (no `Authorization`, no presigned query). Such a request gets the page; any other is S3's.
pub fn wants_page<B>(request: &Request<B>) -> bool {
    if request.method() != Method::GET || request.headers().contains_key(header::AUTHORIZATION) {
        return false;
    }
    let signed_query = request.uri().query().is_some_and(|query| {
        query.split('&').any(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            matches!(name, "X-Amz-Signature" | "X-Amz-Credential" | "X-Amz-Algorithm" | "Signature" | "AWSAccessKeyId")
        })
    });
    !signed_query && asks_for_html(request.headers())
}

fn asks_for_html(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).any(|accept| {
        accept.split(',').any(|range| {
            let (media, params) = range.split_once(';').unwrap_or((range, ""));
            let refused = params.split(';').any(|param| {
                let param = param.trim();
                param == "q=0" || param.strip_prefix("q=").is_some_and(|q| q.trim_end_matches('0') == "0.")
            });
            media.trim().eq_ignore_ascii_case("text/html") && !refused
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    fn request(accept: Option<&str>, authorization: Option<&str>, uri: &str) -> Request<()> {
        let mut builder = Request::get(uri);
        if let Some(accept) = accept {
            builder = builder.header(header::ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            builder = builder.header(header::AUTHORIZATION, authorization);
        }
        builder.body(()).unwrap()
    }

    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

    #[test]
    fn a_browser_asking_for_html_without_a_signature_wants_the_page() {
        assert!(wants_page(&request(Some(BROWSER), None, "/")));
        assert!(wants_page(&request(Some("text/html"), None, "/?utm=1")));
    }

    #[test]
    fn signed_or_non_html_requests_are_left_to_s3() {
        assert!(!wants_page(&request(Some(BROWSER), Some("AWS4-HMAC-SHA256 Credential=AKIA/…"), "/")));
        assert!(!wants_page(&request(Some(BROWSER), None, "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab")));
        assert!(!wants_page(&request(Some(BROWSER), None, "/?AWSAccessKeyId=AKIA&Signature=ab&Expires=1")));
        assert!(!wants_page(&request(None, None, "/")));
        assert!(!wants_page(&request(Some("*/*"), None, "/")));
        assert!(!wants_page(&request(Some("application/xml"), None, "/")));
        assert!(!wants_page(&request(Some("text/html;q=0, */*"), None, "/")));
        let head = Request::head("/").header(header::ACCEPT, BROWSER).body(()).unwrap();
        assert!(!wants_page(&head));
    }

    #[test]
    fn the_policy_names_the_public_origin_and_nothing_a_header_cannot_carry() {
        let policy = content_security_policy("https://files.example.com/");
        assert!(policy.to_str().unwrap().contains("connect-src 'self' https://files.example.com;"));
        let policy = content_security_policy("http://127.0.0.1:9000");
        assert!(policy.to_str().unwrap().contains("connect-src 'self' http://127.0.0.1:9000;"));
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://a b;script-src *"), None);
    }

    async fn get(path: &str) -> Response {
        let page = Page::new(&serde_json::json!({"aws_user_pools_id": "us-east-1_abc"}), "http://127.0.0.1:9000");
        let uri = format!("/_s3cognito/app{path}");
        routes(page).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn the_page_its_assets_and_its_settings_are_served_with_their_types() {
        let index = get("/").await;
        assert_eq!(index.status(), StatusCode::OK);
        assert_eq!(index.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(index.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(index.headers().contains_key(header::CONTENT_SECURITY_POLICY));

        let script = ASSETS.iter().find(|asset| asset.path.ends_with(".js")).expect("the page has a script");
        let name = script.path.strip_prefix("assets/").expect("scripts are under assets/");
        let answer = get(&format!("/assets/{name}")).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(answer.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));

        let config = get("/config.json").await;
        assert_eq!(config.status(), StatusCode::OK);
        assert_eq!(config.headers()[header::CACHE_CONTROL], "no-store");
        let body = axum::body::to_bytes(config.into_body(), 1 << 20).await.unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["aws_user_pools_id"], "us-east-1_abc");

        assert_eq!(get("/assets/missing.js").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/../Cargo.toml").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get("/elsewhere").await.status(), StatusCode::NOT_FOUND);
        let bare = get("").await;
        assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(bare.headers()[header::LOCATION], "/_s3cognito/app/");
    }

    #[test]
    fn the_page_loads_only_its_own_embedded_files() {
        let index = std::str::from_utf8(asset("index.html").unwrap().bytes).unwrap();
        for reference in index.split(['"', '\'']).filter(|part| part.starts_with("/_s3cognito/app/assets/")) {
            let path = reference.trim_start_matches("/_s3cognito/app/");
            assert!(asset(path).is_some(), "index.html refers to {reference}, which is not embedded");
        }
        assert!(!index.contains("http://") && !index.contains("https://"), "nothing is loaded from elsewhere");
    }
}
