//! HTTPS: rustls on aws-lc-rs, HTTP/2 offered by ALPN, and the certificate reloaded when its files
//! change, so a renewed certificate (certbot, cert-manager) takes effect without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// How often the files are looked at for a change.
const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("the key does not fit the certificate, or is of a kind not supported: {0}")]
    Key(rustls::Error),
    #[error("TLS configuration: {0}")]
    Config(rustls::Error),
}

/// The PEM files of a certificate chain (leaf first) and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate in use, swapped for a new one when its files change.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn load(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|error| TlsError::Read { path: path.to_owned(), reason: error.to_string() })
    };
    let cert_pem = read(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::Read { path: files.cert.clone(), reason: error.to_string() })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: files.cert.clone() });
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|error| TlsError::Read { path: files.key.clone(), reason: error.to_string() })?;
    CertifiedKey::from_der(chain, key, provider).map_err(TlsError::Key)
}

fn modified(files: &TlsFiles) -> Option<(SystemTime, SystemTime)> {
    let time = |path: &Path| std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok();
    Some((time(&files.cert)?, time(&files.key)?))
}

/// A TLS acceptor for `files`, checked now (a bad certificate stops the start), and a task that
/// reloads the files whenever they change; a change that does not load keeps the certificate in use.
pub fn acceptor(files: TlsFiles) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let provider = provider();
    let resolver = Arc::new(Reloading { current: RwLock::new(Arc::new(load(&files, &provider)?)) });
    let mut config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let mut seen = modified(&files);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(RELOAD_CHECK);
        loop {
            interval.tick().await;
            let now = modified(&files);
            if now.is_none() || now == seen {
                continue;
            }
            match load(&files, &provider) {
                Ok(key) => {
                    *resolver.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(key);
                    seen = now;
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                // Often a renewal caught half-written: try again at the next look.
                Err(error) => tracing::warn!(%error, "the changed TLS certificate does not load yet; keeping the old one"),
            }
        }
    });
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
