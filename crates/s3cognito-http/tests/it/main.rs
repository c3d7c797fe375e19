//! The whole HTTP surface driven in process (`router(..).oneshot(request)`), answers pinned as snapshots:
//! what a client of each protocol sees for routing, unknown operations, missing or wrong signatures and
//! each error code, so that a change to the wire layer that a client would notice shows up as a diff.
//!
//! Every harness is a fresh deployment on SQLite in a temporary directory, bootstrapped as `serve` does,
//! with a clock the tests move and a mailer that keeps what it was asked to send.

mod authentication;
mod gateway;
mod graphql;
mod json_errors;
mod kms;
mod query_errors;
mod routing;
mod s3_errors;
mod unknown;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningInstructions, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use axum::http::{Method, Request};
use s3cognito_service::App;
use s3cognito_service::bootstrap::Bootstrap;
use s3cognito_service::clock::{Clock, ManualClock};
use s3cognito_service::limits::RateLimits;
use s3cognito_service::mail::{Mail, Mailer};
use s3cognito_service::user_pool::{AuthOutcome, AuthRequest, UserPoolSettings};
use s3cognito_types::{UserPoolId, Username};
use serde::Serialize;
use serde_json::{Value, json};

/// Where the harness's clock starts: a fixed instant, so that every date in an answer is the same on
/// every run.
pub const START: i64 = 1_800_000_000;
pub const PASSWORD: &str = "Correct-Horse-9";
pub const ACCOUNT_ID: &str = "123456789012";
pub const POOL_ID: &str = "us-east-1_TestPool1";
pub const CLIENT_ID: &str = "testclient0000000000000001";
pub const IDENTITY_POOL_ID: &str = "us-east-1:test-identity-pool";
pub const BUCKET: &str = "s3cognito-testbucket";
pub const ROOT_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const REGION: &str = "us-east-1";

/// A mailer that keeps every message, or refuses them all once told to.
#[derive(Debug, Default)]
pub struct Outbox {
    mails: Mutex<Vec<Mail>>,
    failing: AtomicBool,
}

#[async_trait::async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: Mail) -> s3cognito_service::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(s3cognito_service::ServiceError::Internal("the test's mailer refuses mail".to_owned()));
        }
        self.mails.lock().unwrap().push(mail);
        Ok(())
    }
}

impl Outbox {
    /// The 6-digit code in the newest message to `to`.
    pub fn code_for(&self, to: &str) -> String {
        let mails = self.mails.lock().unwrap();
        let mail = mails.iter().rev().find(|mail| mail.to == to).expect("a message to that address");
        mail.body.split(|c: char| !c.is_ascii_digit()).find(|word| word.len() == 6).expect("a 6-digit code").to_owned()
    }

    /// From now on every message fails to send.
    pub fn fail(&self) {
        self.failing.store(true, Ordering::SeqCst);
    }
}

/// What SigV4 leaves unencoded in a query value: RFC 3986's unreserved characters.
const URI_ENCODE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A key pair that signs requests, with its session token for temporary credentials.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

/// How one request is signed: with which key, for which service and region, at which time.
#[derive(Debug, Clone)]
pub struct Signing {
    pub key: Key,
    pub service: String,
    pub region: String,
    pub time: SystemTime,
}

/// A deployment with its router, bootstrapped with fixed ids.
pub struct Harness {
    pub router: axum::Router,
    pub app: Arc<App>,
    pub clock: ManualClock,
    pub outbox: Arc<Outbox>,
    pub bootstrap: Bootstrap,
    _data: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        Harness::with_limits(RateLimits::default()).await
    }

    pub async fn with_limits(limits: RateLimits) -> Harness {
        let data = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", data.path().join("meta.db").display());
        let store = s3cognito_meta::Store::connect(&url).await.unwrap();
        // Bootstrap records every id it mints in `settings` and reads it back; recording them first
        // makes it take ours, so that answers naming them are the same on every run.
        for (name, value) in [
            ("account_id", ACCOUNT_ID),
            ("default_user_pool_id", POOL_ID),
            ("default_client_id", CLIENT_ID),
            ("default_identity_pool_id", IDENTITY_POOL_ID),
            ("default_bucket", BUCKET),
            ("root_access_key_id", ROOT_KEY_ID),
        ] {
            store.setting_or_insert(name, value).await.unwrap();
        }
        let clock = ManualClock::starting_at(START);
        let outbox = Arc::new(Outbox::default());
        let blobs = s3cognito_blob::BlobStore::local(&data.path().join("blobs")).unwrap();
        let settings = UserPoolSettings {
            issuer_base: UserPoolSettings::aws_issuer_base(REGION),
            account_id: s3cognito_service::bootstrap::account_id(&store).await.unwrap(),
            lockout_threshold: 5,
            lockout_base_seconds: 5,
            lockout_max_seconds: 900,
            confirmation_code_seconds: 24 * 3600,
            reset_code_seconds: 3600,
            sealing_key: Arc::new(s3cognito_crypto::aead::SealingKey::generate()),
            work: s3cognito_service::work::WorkLimits::default(),
        };
        let app = Arc::new(App::new(store, Arc::new(clock.clone()), outbox.clone(), blobs, REGION.to_owned(), settings, limits));
        let bootstrap = s3cognito_service::bootstrap::ensure(&app).await.unwrap();
        assert_eq!(bootstrap.root_access_key_id, ROOT_KEY_ID);
        let public_url = "https://auth.example.com";
        let page = s3cognito_web::Page::new(&serde_json::json!({"aws_user_pools_id": bootstrap.user_pool_id}), public_url);
        let monitor = s3cognito_http::MonitorState::new(app.clone(), s3cognito_http::MetricsExposure::Off, None);
        let state = s3cognito_http::HttpState { app: app.clone(), public_url: public_url.to_owned(), page, monitor };
        Harness { router: s3cognito_http::router(state), app, clock, outbox, bootstrap, _data: data }
    }

    /// The account's own key, as the bootstrap wrote it to the credentials file.
    pub fn root(&self) -> Key {
        Key { id: self.bootstrap.root_access_key_id.clone(), secret: self.bootstrap.root_secret_access_key.clone(), token: None }
    }

    /// Signing as the AWS SDKs do for `service` with the root key, in the deployment's region. The JSON
    /// and query protocols check the date against the deployment's clock; s3s checks it against the
    /// system's, so S3 requests are signed at the real time (the signature is never part of an answer).
    pub fn signing(&self, service: &str) -> Signing {
        let time = if service == "s3" { SystemTime::now() } else { self.now() };
        Signing { key: self.root(), service: service.to_owned(), region: REGION.to_owned(), time }
    }

    /// The deployment's clock as a `SystemTime`.
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.clock.now() as u64)
    }

    /// `call` signed with the root key for `service`.
    pub fn signed(&self, call: Call, service: &str) -> Call {
        call.sign(&self.signing(service))
    }

    /// Sends one request through the router and records what the client gets back.
    pub async fn send(&self, call: Call) -> Exchange {
        let asked = call.asked();
        let mut request = Request::builder().method(call.method.clone()).uri(&call.path);
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(source) = call.source {
            request = request.extension(axum::extract::ConnectInfo(source));
        }
        let body = if call.pieces.is_empty() {
            axum::body::Body::from(call.body)
        } else {
            let mut rest = bytes::Bytes::from(call.body);
            let mut pieces = Vec::new();
            for size in call.pieces {
                pieces.push(rest.split_to(size.min(rest.len())));
            }
            pieces.push(rest);
            axum::body::Body::from_stream(futures::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>)))
        };
        let request = request.body(body).unwrap();
        let response = tower::ServiceExt::oneshot(self.router.clone(), request).await.unwrap();
        let status = response.status().as_u16();
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers.entry(name.as_str().to_owned()).and_modify(|joined| *joined = format!("{joined}, {value}")).or_insert(value);
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let json_type = headers.get("content-type").is_some_and(|value| value.contains("json"));
        Exchange { request: asked, status, headers, body: body_of(&bytes, json_type) }
    }

    /// Signs up and confirms `username` (email `<username>@example.com`) through the service, not the wire.
    pub async fn confirmed_user(&self, username: &str) -> Username {
        let name = self.unconfirmed_user(username).await;
        let code = self.outbox.code_for(&format!("{username}@example.com"));
        self.app.user_pools.confirm_sign_up(&self.client(), None, &name, &code).await.unwrap();
        name
    }

    /// Signs up `username` with PASSWORD and leaves them unconfirmed.
    pub async fn unconfirmed_user(&self, username: &str) -> Username {
        let name = Username::parse(username).unwrap();
        let email = format!("{username}@example.com");
        self.app.user_pools.sign_up(&self.client(), None, name.clone(), PASSWORD, vec![("email".to_owned(), email)]).await.unwrap();
        name
    }

    pub fn pool(&self) -> UserPoolId {
        self.bootstrap.user_pool_id.clone()
    }

    pub fn client(&self) -> s3cognito_types::ClientId {
        self.bootstrap.client_id.clone()
    }

    /// The ID token of a confirmed user's password sign-in.
    pub async fn id_token(&self, username: &str) -> String {
        self.tokens(username).await.id_token
    }

    /// The tokens of a confirmed user's password sign-in.
    pub async fn tokens(&self, username: &str) -> s3cognito_service::user_pool::Tokens {
        let request = AuthRequest {
            client_id: self.client(),
            flow: "USER_PASSWORD_AUTH".to_owned(),
            parameters: [("USERNAME", username), ("PASSWORD", PASSWORD)].map(|(k, v)| (k.to_owned(), v.to_owned())).into(),
            admin_pool: None,
        };
        match self.app.user_pools.initiate_auth(request).await.unwrap() {
            AuthOutcome::Tokens(tokens) => tokens,
            other => panic!("expected tokens, got {other:?}"),
        }
    }

    /// The bootstrap identity pool's logins map for a signed-in user.
    pub async fn logins(&self, username: &str) -> BTreeMap<String, String> {
        [(self.app.identity.provider_name(&self.pool()), self.id_token(username).await)].into_iter().collect()
    }

    /// An OpenID token of the bootstrap identity pool (GetOpenIdToken) for a signed-in user.
    pub async fn open_id_token(&self, username: &str) -> String {
        let logins = self.logins(username).await;
        let identity_id = self.app.identity.get_id(IDENTITY_POOL_ID, &logins).await.unwrap();
        self.app.identity.get_open_id_token(&identity_id, &logins).await.unwrap()
    }

    /// Temporary credentials of the bootstrap identity pool for a signed-in user, as Amplify gets them.
    pub async fn temporary_key(&self, username: &str) -> Key {
        let logins = self.logins(username).await;
        let identity_id = self.app.identity.get_id(IDENTITY_POOL_ID, &logins).await.unwrap();
        let credentials = self.app.identity.get_credentials_for_identity(&identity_id, &logins, None).await.unwrap();
        Key { id: credentials.access_key_id, secret: credentials.secret_access_key, token: Some(credentials.session_token) }
    }
}

fn body_of(bytes: &[u8], json_type: bool) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if json_type && let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        return value;
    }
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

/// One request, built as a client would send it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    /// The path and query, as on the request line.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The peer address the server's accept loop would record, for the per-address rate limits.
    pub source: Option<std::net::SocketAddr>,
    /// The sizes of the pieces the body arrives in, as a connection reads them (one piece if empty).
    pub pieces: Vec<usize>,
}

impl Call {
    pub fn new(method: Method, path: &str) -> Call {
        Call { method, path: path.to_owned(), headers: vec![("host".to_owned(), "localhost".to_owned())], body: Vec::new(), source: None, pieces: Vec::new() }
    }

    pub fn get(path: &str) -> Call {
        Call::new(Method::GET, path)
    }

    pub fn put(path: &str, body: impl Into<Vec<u8>>) -> Call {
        Call::new(Method::PUT, path).body(body)
    }

    pub fn delete(path: &str) -> Call {
        Call::new(Method::DELETE, path)
    }

    /// A JSON-protocol call: `POST /` with `X-Amz-Target: <target>`.
    pub fn json(target: &str, body: Value) -> Call {
        Call::new(Method::POST, "/")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(body.to_string())
    }

    /// A cognito-idp call, `AWSCognitoIdentityProviderService.<operation>`.
    pub fn idp(operation: &str, body: Value) -> Call {
        Call::json(&format!("AWSCognitoIdentityProviderService.{operation}"), body)
    }

    /// A cognito-identity call, `AWSCognitoIdentityService.<operation>`.
    pub fn identity(operation: &str, body: Value) -> Call {
        Call::json(&format!("AWSCognitoIdentityService.{operation}"), body)
    }

    /// A query-protocol call: `POST /` with a form body.
    pub fn form(body: &str) -> Call {
        Call::new(Method::POST, "/")
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(body.to_owned())
    }

    /// The same request as if it came from `source`.
    pub fn from_address(mut self, source: &str) -> Call {
        self.source = Some(source.parse().unwrap());
        self
    }

    /// The same request sent to another path.
    pub fn path_of(mut self, path: &str) -> Call {
        self.path = path.to_owned();
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without_header(mut self, name: &str) -> Call {
        self.headers.retain(|(present, _)| present != name);
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Call {
        self.body = body.into();
        let length = self.body.len().to_string();
        self.headers.retain(|(name, _)| name != "content-length");
        if !self.body.is_empty() {
            self.headers.push(("content-length".to_owned(), length));
        }
        self
    }

    /// The body sent in pieces of these sizes, the rest as a last piece.
    pub fn in_pieces(mut self, sizes: &[usize]) -> Call {
        self.pieces = sizes.to_vec();
        self
    }

    /// Signed as the AWS SDKs sign: SigV4 in the Authorization header, with `x-amz-content-sha256` for S3.
    pub fn sign(mut self, signing: &Signing) -> Call {
        let mut settings = SigningSettings::default();
        if signing.service == "s3" {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        let instructions = self.instructions(signing, settings, SignableBody::Bytes(&self.body));
        let added: Vec<(String, String)> =
            instructions.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
        self.headers.extend(added);
        self
    }

    /// A presigned URL for the request, valid for `expires`, as the SDKs' presigners make them.
    pub fn presigned(mut self, signing: &Signing, expires: Duration) -> Call {
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let instructions = self.instructions(signing, settings, SignableBody::UnsignedPayload);
        for (name, value) in instructions.params() {
            let separator = if self.path.contains('?') { '&' } else { '?' };
            let value = percent_encoding::utf8_percent_encode(value, URI_ENCODE);
            self.path = format!("{}{separator}{name}={value}", self.path);
        }
        self
    }

    /// What aws-sigv4 adds to this request (headers or query parameters) to sign it with `settings`.
    fn instructions(&self, signing: &Signing, settings: SigningSettings, body: SignableBody<'_>) -> SigningInstructions {
        let credentials = Credentials::new(&signing.key.id, &signing.key.secret, signing.key.token.clone(), None, "test");
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&signing.region)
            .name(&signing.service)
            .time(signing.time)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let url = format!("http://localhost{}", self.path);
        let signable = SignableRequest::new(
            self.method.as_str(),
            &url,
            self.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())),
            body,
        )
        .unwrap();
        sign(signable, &params).unwrap().into_parts().0
    }

    /// The same request with the last character of its signature changed.
    pub fn tampered(mut self) -> Call {
        for (name, value) in &mut self.headers {
            if name == "authorization" {
                let last = if value.ends_with('0') { '1' } else { '0' };
                value.pop();
                value.push(last);
            }
        }
        self
    }

    /// What the snapshot shows of the request: enough to tell what was asked, nothing that changes
    /// from run to run (dates, signatures, session tokens).
    fn asked(&self) -> Asked {
        let mut headers = BTreeMap::new();
        let mut signed = None;
        for (name, value) in &self.headers {
            match name.as_str() {
                "host" | "content-length" | "x-amz-date" | "x-amz-content-sha256" | "x-amz-security-token" => {}
                "authorization" => signed = Some(describe_authorization(value)),
                _ => {
                    headers.insert(name.clone(), value.clone());
                }
            }
        }
        let body = if self.body.len() > 2048 {
            Value::String(format!("({} bytes)", self.body.len()))
        } else {
            body_of(&self.body, headers.get("content-type").is_some_and(|value| value.contains("json")))
        };
        Asked { method: self.method.to_string(), path: self.path.clone(), headers, signed, body }
    }
}

/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …` as
/// `<region>/<service> by <whose key>`.
fn describe_authorization(value: &str) -> String {
    let credential = value.split("Credential=").nth(1).and_then(|rest| rest.split([',', ' ']).next()).unwrap_or("");
    let parts: Vec<&str> = credential.split('/').collect();
    match parts.as_slice() {
        [key, _date, region, service, _] => {
            let whose = if *key == ROOT_KEY_ID {
                "the root key"
            } else if key.starts_with("ASIA") {
                "temporary credentials"
            } else {
                "an unknown key"
            };
            format!("{region}/{service} by {whose}")
        }
        _ => format!("malformed: {value}"),
    }
}

/// What was asked, as the snapshot shows it.
#[derive(Debug, Serialize)]
pub struct Asked {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed: Option<String>,
    body: Value,
}

/// One request and what a client got back for it.
#[derive(Debug, Serialize)]
pub struct Exchange {
    pub request: Asked,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

impl Exchange {
    /// The same exchange without the header `name`, for an answer whose header is known to be wrong.
    pub fn without_header(mut self, name: &str) -> Exchange {
        self.headers.remove(name);
        self
    }

    /// The same exchange without its body, for an answer whose body never reaches the client.
    pub fn without_body(mut self) -> Exchange {
        self.body = Value::Null;
        self
    }

    /// A member of a JSON answer, for tests that go on with it.
    pub fn member(&self, name: &str) -> &Value {
        &self.body[name]
    }

    /// The text of the first `<name>` element of an XML answer.
    pub fn element(&self, name: &str) -> String {
        let text = self.body.as_str().unwrap_or_default();
        let open = format!("<{name}>");
        let start = text.find(&open).map(|at| at + open.len()).expect("the element");
        let end = text[start..].find('<').map(|at| start + at).expect("the element's end");
        text[start..end].to_owned()
    }
}

/// Pins `exchange` as the snapshot `name`, with what changes from run to run (ids minted per request,
/// tokens, keys, signatures) replaced by placeholders.
pub fn check(name: &str, exchange: &Exchange) {
    check_redacted(name, exchange, &[]);
}

/// `check`, with more members of this exchange replaced by placeholders.
pub fn check_redacted(name: &str, exchange: &Exchange, redactions: &[(&str, &str)]) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (selector, placeholder) in [
        (".headers[\"x-amzn-requestid\"]", "[request-id]"),
        (".headers[\"x-amz-request-id\"]", "[request-id]"),
        (".body.**.AccessToken", "[token]"),
        (".body.**.IdToken", "[token]"),
        (".body.**.RefreshToken", "[token]"),
        (".body.**.Session", "[session]"),
        (".body.**.Token", "[token]"),
        (".body.**.SecretKey", "[secret]"),
        (".body.**.SessionToken", "[token]"),
        (".body.**.AccessKeyId", "[access-key-id]"),
        (".body.**.ClientSecret", "[client-secret]"),
        (".body.keys[].n", "[modulus]"),
        (".body.keys[].kid", "[key-id]"),
    ] {
        settings.add_redaction(selector, placeholder);
    }
    for (selector, placeholder) in redactions {
        settings.add_redaction(selector, *placeholder);
    }
    for (pattern, placeholder) in [
        (r"<RequestId>[^<]*</RequestId>", "<RequestId>[request-id]</RequestId>"),
        (r"<AccessKeyId>[^<]*</AccessKeyId>", "<AccessKeyId>[access-key-id]</AccessKeyId>"),
        (r"<SecretAccessKey>[^<]*</SecretAccessKey>", "<SecretAccessKey>[secret]</SecretAccessKey>"),
        (r"<SessionToken>[^<]*</SessionToken>", "<SessionToken>[token]</SessionToken>"),
        (r"<RoleId>AROA[A-Z2-7]+</RoleId>", "<RoleId>[role-id]</RoleId>"),
        (r"AROA[A-Z2-7]{16,}", "[role-id]"),
        (r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*", "[jwt]"),
        (r"<UploadId>[^<]*</UploadId>", "<UploadId>[upload-id]</UploadId>"),
        (r#"uploadId=[^&"]+"#, "uploadId=[upload-id]"),
        (r"X-Amz-Date=[0-9TZ]+", "X-Amz-Date=[date]"),
        (r#"X-Amz-Credential=[^&"]+"#, "X-Amz-Credential=[credential]"),
        (r"X-Amz-Signature=[0-9a-f]+", "X-Amz-Signature=[signature]"),
        (r#"X-Amz-Security-Token=[^&"]+"#, "X-Amz-Security-Token=[token]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
    ] {
        settings.add_filter(pattern, placeholder);
    }
    let shown = serde_json::to_value(exchange).unwrap();
    settings.bind(|| insta::assert_json_snapshot!(name, shown));
}

/// The members most cognito-idp calls on the bootstrap pool name.
pub fn pool_and(username: &str) -> Value {
    json!({"UserPoolId": POOL_ID, "Username": username})
}
