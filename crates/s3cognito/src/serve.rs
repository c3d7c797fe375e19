//! `s3cognito serve`: wires the store, the services and the HTTP surface, then serves until a signal.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use s3cognito_http::{HttpState, MetricsExposure, MonitorState};
use s3cognito_meta::Store;
use s3cognito_service::clock::{Clock, SystemClock};
use s3cognito_service::mail::{Mailer, OutboxMailer, SmtpMailer};
use s3cognito_service::user_pool::UserPoolSettings;
use s3cognito_service::{App, bootstrap};

use crate::config::{LogFormat, ServeArgs};
use crate::files;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.resolve()?;
    init_logging(&settings.log, settings.log_format);
    let metrics = if settings.metrics { Some(install_metrics_recorder()?) } else { None };
    create_private_dir(&settings.data)?;

    let store = Store::connect(&settings.database_url).await.context("opening the metadata database")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mailer: Arc<dyn Mailer> = match &settings.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, settings.mail_from.clone())?),
        None => Arc::new(OutboxMailer::new(settings.data.join("outbox"), settings.mail_from.clone())),
    };
    let account_id = bootstrap::account_id(&store).await?;
    let master_key = files::load_or_create_master_key(&settings.master_key_file)?;
    let user_pool_settings = UserPoolSettings {
        issuer_base: settings
            .issuer_base_url
            .clone()
            .unwrap_or_else(|| UserPoolSettings::aws_issuer_base(&settings.region)),
        account_id,
        lockout_threshold: settings.lockout_threshold,
        lockout_base_seconds: settings.lockout_base_seconds,
        lockout_max_seconds: settings.lockout_max_seconds,
        confirmation_code_seconds: 24 * 3600,
        reset_code_seconds: 3600,
        sealing_key: Arc::new(s3cognito_crypto::aead::SealingKey::from_bytes(&master_key)),
        work: settings.work,
    };
    let blobs = match settings.blob_store.as_deref() {
        Some(url) if url.starts_with("s3://") => s3cognito_blob::BlobStore::s3(url),
        Some(directory) => s3cognito_blob::BlobStore::local(std::path::Path::new(directory)),
        None => s3cognito_blob::BlobStore::local(&settings.data.join("blobs")),
    }
    .context("opening the blob store")?;
    blobs.mark().await.context("marking the blob store as this deployment's")?;
    let app = Arc::new(
        App::new(store.clone(), clock, mailer, blobs, settings.region.clone(), user_pool_settings, settings.rate_limits)
            .with_credential_seconds(settings.credential_seconds)
            .with_upload_settings(settings.uploads.clone())
            .with_audit_settings(settings.audit),
    );
    let bootstrap = bootstrap::ensure(&app).await.context("bootstrapping the data dir")?;
    let readiness = app.monitoring.readiness().await;
    anyhow::ensure!(
        readiness.keys.is_ok(),
        "the master key ({}) does not open what this deployment sealed with its own: replicas must share one key",
        settings.master_key_file.display()
    );

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let address = listener.local_addr()?;
    let tls = match &settings.tls {
        Some(files) => Some(s3cognito_http::tls::acceptor(files.clone()).context("loading the TLS certificate")?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = settings.public_url.clone().unwrap_or_else(|| format!("{scheme}://{address}"));
    files::write_credentials(&settings.data, &bootstrap).context("writing the credentials file")?;
    let exports = files::aws_exports(&bootstrap, &settings.region, &base_url);
    files::write_aws_exports(&settings.data, &exports).context("writing aws-exports.json")?;
    tracing::info!(
        user_pool = %bootstrap.user_pool_id,
        client = %bootstrap.client_id,
        identity_pool = %bootstrap.identity_pool_id,
        bucket = %bootstrap.bucket,
        data = %settings.data.display(),
        "bootstrap ready"
    );

    let housekeeping = tokio::spawn(housekeeping(app.clone()));
    let page = s3cognito_web::Page::new(&exports, &base_url);
    let exposure = match (&metrics, settings.metrics_listen) {
        (None, _) => MetricsExposure::Off,
        (Some(handle), None) => MetricsExposure::Here(handle.clone()),
        (Some(_), Some(_)) => MetricsExposure::Elsewhere,
    };
    let monitor = MonitorState::new(app.clone(), exposure, settings.metrics_token.clone());
    let mut side_tasks = vec![housekeeping];
    if let Some(handle) = &metrics {
        side_tasks.push(tokio::spawn(metrics_upkeep(handle.clone())));
        if let Some(address) = settings.metrics_listen {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("listening for metrics on {address}"))?;
            tracing::info!(address = %listener.local_addr()?, "metrics served on their own address");
            let router = s3cognito_http::metrics_router(monitor.clone(), handle.clone());
            side_tasks.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the metrics listener stopped");
                }
            }));
        }
    }
    let state = HttpState { app: app.clone(), public_url: base_url.clone(), page, monitor };
    // Handlers are in place before the line is printed: whoever waits for it may signal at once.
    let shutdown = shutdown_signal()?;
    println!("s3cognito listening on {scheme}://{address}");
    std::io::stdout().flush()?;
    s3cognito_http::serve(listener, state, settings.connections, tls, shutdown).await?;
    for task in side_tasks {
        task.abort();
    }
    app.audit.flush().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Log lines to stderr (stdout carries the one `listening on` line that scripts wait for), as text or one
/// JSON object a line; every line of a request names its id (the `request` span).
fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    };
}

/// The Prometheus recorder every `metrics::` call in the process records into. Latencies get buckets
/// from a millisecond to a minute, so they render as histograms rather than summaries.
fn install_metrics_recorder() -> anyhow::Result<PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    const SECONDS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    s3cognito_monitor::catalogue::describe();
    metrics::gauge!("s3cognito_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(handle)
}

/// The recorder keeps histogram samples until this folds them into their buckets.
async fn metrics_upkeep(handle: PrometheusHandle) {
    let mut interval = tokio::time::interval(Duration::from_secs(5));
    loop {
        interval.tick().await;
        handle.run_upkeep();
    }
}

fn create_private_dir(path: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !path.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .with_context(|| format!("creating data dir {}", path.display()))?;
    }
    Ok(())
}

/// Multipart uploads untouched this long are abandoned, as a bucket lifecycle rule would say.
const STALE_UPLOAD_SECONDS: i64 = 7 * 86_400;

/// Periodic clean-up that no request waits for.
async fn housekeeping(app: Arc<App>) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    // Who this replica is when it takes the lease for work one replica does for all.
    let replica = s3cognito_crypto::random::random_alphanumeric(16);
    loop {
        interval.tick().await;
        match app.objects.run_lifecycle(&replica).await {
            Ok(Some(run)) if run.expired + run.aborted > 0 => {
                tracing::info!(expired = run.expired, aborted = run.aborted, "bucket lifecycle rules applied");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "applying bucket lifecycle rules failed"),
        }
        match app.store.delete_expired_auth_sessions(app.clock.now()).await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "expired auth sessions removed"),
            Err(error) => tracing::warn!(%error, "housekeeping failed"),
        }
        match app.objects.abort_stale_uploads(app.clock.now() - STALE_UPLOAD_SECONDS).await {
            Ok(0) => {}
            Ok(aborted) => tracing::info!(aborted, "abandoned multipart uploads aborted"),
            Err(error) => tracing::warn!(%error, "aborting abandoned uploads failed"),
        }
        match app.identity.sweep_expired_credentials().await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "expired temporary credentials removed"),
            Err(error) => tracing::warn!(%error, "removing expired credentials failed"),
        }
        match app.kms.sweep_deleted_keys().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "KMS keys deleted as scheduled"),
            Err(error) => tracing::warn!(%error, "deleting KMS keys past their deletion date failed"),
        }
        match app.limiter.sweep().await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "old rate-limit counters removed"),
            Err(error) => tracing::warn!(%error, "removing old rate-limit counters failed"),
        }
        match app.audit.sweep().await {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(removed, "audit events past their retention removed"),
            Err(error) => tracing::warn!(%error, "removing old audit events failed"),
        }
        match app.objects.reclaim_garbage().await {
            Ok(0) => {}
            Ok(reclaimed) => tracing::debug!(reclaimed, "blobs reclaimed"),
            Err(error) => tracing::warn!(%error, "reclaiming blobs failed"),
        }
    }
}

/// Registers SIGINT and SIGTERM now and returns a future that completes on the first of them.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down");
    })
}
