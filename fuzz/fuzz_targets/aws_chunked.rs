//! aws-chunked uploads (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, as the AWS SDKs send PutObject with a
//! checksum trailer) through the whole S3 surface: a signed PutObject whose body is the input, decoded
//! by the S3 wire layer and checked by our checksum layer. However malformed the framing, the answer is
//! an S3 error or a stored object, never a 500 and never a panic.
#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use libfuzzer_sys::fuzz_target;
use s3cognito_service::App;

struct Target {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    bucket: String,
    credentials: Credentials,
    _data: tempfile::TempDir,
}

static TARGET: LazyLock<Target> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let data = tempfile::tempdir().expect("a temporary data dir");
    let (router, bootstrap) = runtime.block_on(async {
        let url = format!("sqlite:{}?mode=rwc", data.path().join("meta.db").display());
        let store = s3cognito_meta::Store::connect(&url).await.expect("the store");
        let clock: Arc<dyn s3cognito_service::clock::Clock> = Arc::new(s3cognito_service::clock::SystemClock);
        let mailer = Arc::new(s3cognito_service::mail::OutboxMailer::new(data.path().join("outbox"), "fuzz <f@localhost>".into()));
        let blobs = s3cognito_blob::BlobStore::local(&data.path().join("blobs")).expect("the blob store");
        let settings = s3cognito_service::user_pool::UserPoolSettings {
            issuer_base: s3cognito_service::user_pool::UserPoolSettings::aws_issuer_base("us-east-1"),
            account_id: s3cognito_service::bootstrap::account_id(&store).await.expect("an account"),
            lockout_threshold: 5,
            lockout_base_seconds: 5,
            lockout_max_seconds: 900,
            confirmation_code_seconds: 3600,
            reset_code_seconds: 3600,
            sealing_key: Arc::new(s3cognito_crypto::aead::SealingKey::generate()),
            work: s3cognito_service::work::WorkLimits::default(),
        };
        let limits = s3cognito_service::limits::RateLimits::default();
        let app = Arc::new(App::new(store, clock, mailer, blobs, "us-east-1".into(), settings, limits));
        let bootstrap = s3cognito_service::bootstrap::ensure(&app).await.expect("bootstrap");
        let public_url = "http://127.0.0.1";
        let page = s3cognito_http::Page::new(&serde_json::json!({}), public_url);
        let monitor = s3cognito_http::MonitorState::new(app.clone(), s3cognito_http::MetricsExposure::Off, None);
        let state = s3cognito_http::HttpState { app, public_url: public_url.into(), page, monitor };
        (s3cognito_http::router(state), bootstrap)
    });
    let credentials =
        Credentials::new(bootstrap.root_access_key_id, bootstrap.root_secret_access_key, None, None, "fuzz");
    Target { runtime, router, bucket: bootstrap.bucket, credentials, _data: data }
});

fuzz_target!(|data: &[u8]| {
    let target = &*TARGET;
    let Some((&flags, rest)) = data.split_first() else { return };
    let (length, body) = match rest {
        [high, low, body @ ..] => (u16::from_be_bytes([*high, *low]), body),
        _ => return,
    };
    let url = format!("http://127.0.0.1/{}/fuzz-object", target.bucket);
    let decoded = length.to_string();
    let mut headers = vec![("content-encoding", "aws-chunked"), ("x-amz-decoded-content-length", decoded.as_str())];
    if flags & 1 == 1 {
        headers.push(("x-amz-trailer", "x-amz-checksum-crc32"));
    }
    if flags & 2 == 2 {
        headers.push(("x-amz-sdk-checksum-algorithm", "CRC32"));
    }
    let identity = target.credentials.clone().into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into();
    let signable = SignableRequest::new(
        "PUT",
        url.as_str(),
        headers.iter().copied().chain([("host", "127.0.0.1")]),
        SignableBody::Precomputed("STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_owned()),
    )
    .expect("a signable request");
    let (instructions, _) = sign(signable, &params).expect("a signature").into_parts();
    let mut request = axum::http::Request::builder().method("PUT").uri(&url).header("host", "127.0.0.1");
    for (name, value) in headers.iter().copied().chain(instructions.headers()) {
        request = request.header(name, value);
    }
    let request = request
        .header("content-length", body.len())
        .body(axum::body::Body::from(body.to_vec()))
        .expect("a request");
    let status = target.runtime.block_on(async {
        let response = tower::ServiceExt::oneshot(target.router.clone(), request).await.expect("an answer");
        let status = response.status();
        let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        status
    });
    assert!(!status.is_server_error(), "a malformed aws-chunked body was answered with {status}");
});
