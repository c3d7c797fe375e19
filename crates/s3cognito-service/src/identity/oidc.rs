//! Web identity tokens from OpenID Connect providers an admin registered with IAM: their keys are
//! fetched from the provider (its discovery document, or a JWKS URL given at registration) and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use s3cognito_crypto::jwt::{self, Jwk, Jwks};
use s3cognito_meta::OidcProviderRecord;
use serde_json::{Map, Value};

use super::Identity;
use crate::error::{Result, ServiceError};

/// How long fetched keys are trusted before they are fetched again.
const KEYS_TTL_SECONDS: i64 = 600;
/// A token naming an unknown key triggers a refetch, at most this often per provider.
const REFETCH_SECONDS: i64 = 30;
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// A provider's keys and when they were fetched.
type FetchedKeys = (i64, Arc<Vec<Jwk>>);

/// Fetched keys by provider URL.
#[derive(Debug, Default)]
pub(super) struct ProviderKeys {
    cache: Mutex<HashMap<String, FetchedKeys>>,
    client: std::sync::OnceLock<Option<HttpsClient>>,
}

impl ProviderKeys {
    fn client(&self) -> Option<&HttpsClient> {
        self.client
            .get_or_init(|| {
                let connector = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_native_roots()
                    .map_err(|error| tracing::warn!(%error, "no native root certificates; https providers unreachable"))
                    .ok()?
                    .https_or_http()
                    .enable_http1()
                    .build();
                Some(Client::builder(TokioExecutor::new()).build(connector))
            })
            .as_ref()
    }

    async fn get_json(&self, url: &str) -> Result<Value> {
        let unreachable = |detail: String| {
            tracing::warn!(url, %detail, "fetching an OpenID Connect document failed");
            ServiceError::InvalidIdentityToken(format!("Couldn't retrieve verification key from your identity provider: {url}"))
        };
        let client = self.client().ok_or_else(|| unreachable("no TLS roots".to_owned()))?;
        let uri = url.parse().map_err(|_| unreachable("not a URL".to_owned()))?;
        let response = tokio::time::timeout(FETCH_TIMEOUT, client.get(uri))
            .await
            .map_err(|_| unreachable("timed out".to_owned()))?
            .map_err(|error| unreachable(error.to_string()))?;
        if !response.status().is_success() {
            return Err(unreachable(format!("HTTP {}", response.status())));
        }
        let body = tokio::time::timeout(FETCH_TIMEOUT, Limited::new(response.into_body(), MAX_DOCUMENT_BYTES).collect())
            .await
            .map_err(|_| unreachable("timed out".to_owned()))?
            .map_err(|error| unreachable(error.to_string()))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|error| unreachable(error.to_string()))
    }

    /// The provider's keys: cached, or fetched when stale or when `kid` is unknown.
    async fn keys(&self, provider: &OidcProviderRecord, kid: Option<&str>, now: i64) -> Result<Arc<Vec<Jwk>>> {
        // Keyed by where the keys come from too: a provider registered with IAM under a trusted issuer's URL
        // but another key URL must not fill the trusted issuer's entry.
        let cache_key = format!("{} {}", provider.url, provider.jwks_url.as_deref().unwrap_or(""));
        let cached = self.cache.lock().ok().and_then(|cache| cache.get(&cache_key).cloned());
        if let Some((fetched_at, keys)) = &cached {
            let fresh = now - fetched_at < KEYS_TTL_SECONDS;
            let knows_kid = kid.is_none_or(|kid| keys.iter().any(|key| key.kid == kid));
            if fresh && (knows_kid || now - fetched_at < REFETCH_SECONDS) {
                return Ok(keys.clone());
            }
        }
        let jwks_url = match &provider.jwks_url {
            Some(url) => url.clone(),
            None => {
                let discovery = self.get_json(&format!("{}/.well-known/openid-configuration", provider.url)).await?;
                discovery.get("jwks_uri").and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
                    ServiceError::InvalidIdentityToken("The provider's discovery document names no jwks_uri".to_owned())
                })?
            }
        };
        let document = self.get_json(&jwks_url).await?;
        let jwks: Jwks = serde_json::from_value(document).map_err(|_| {
            ServiceError::InvalidIdentityToken("The provider's key set is not a JWKS of RSA keys".to_owned())
        })?;
        let keys = Arc::new(jwks.keys);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(cache_key, (now, keys.clone()));
        }
        Ok(keys)
    }
}

/// The `kid` a JWT's header names, if it can be read; which key to fetch, not yet a verified fact.
pub(crate) fn token_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    header.get("kid").and_then(Value::as_str).map(str::to_owned)
}

impl Identity {
    /// The keys published at `jwks_url` for the issuer `issuer`: cached, or fetched when stale or when
    /// `kid` is unknown (for issuers trusted by configuration rather than registered with IAM).
    pub async fn issuer_keys(&self, issuer: &str, jwks_url: &str, kid: Option<&str>) -> Result<Arc<Vec<Jwk>>> {
        let provider = OidcProviderRecord {
            arn: String::new(),
            url: issuer.to_owned(),
            client_ids: "[]".to_owned(),
            thumbprints: "[]".to_owned(),
            jwks_url: Some(jwks_url.to_owned()),
            created_at: 0,
        };
        self.provider_keys.keys(&provider, kid, self.now()).await
    }

    /// Verifies a token of a registered OpenID Connect provider: signature with the provider's keys,
    /// expiry, and an audience among the provider's client ids. Returns the provider record and claims.
    pub(super) async fn verify_external_token(
        &self,
        issuer: &str,
        token: &str,
    ) -> Result<(OidcProviderRecord, Map<String, Value>)> {
        let provider = self.store.oidc_provider_by_url(issuer.trim_end_matches('/')).await?.ok_or_else(|| {
            ServiceError::InvalidIdentityToken(format!("No OpenIDConnect provider found in your account for {issuer}"))
        })?;
        let invalid = || ServiceError::InvalidIdentityToken("The web identity token is not valid for this provider.".to_owned());
        token.split('.').next().ok_or_else(invalid)?;
        let kid = token_kid(token);
        let now = self.now();
        let keys = self.provider_keys.keys(&provider, kid.as_deref(), now).await?;
        let claims = jwt::verify_signature(token, &keys).map_err(|_| invalid())?;
        let expires_at = claims.get("exp").and_then(Value::as_f64).ok_or_else(invalid)?;
        if expires_at <= now as f64 {
            return Err(ServiceError::ExpiredToken("Token expired: current date/time is past the token's exp".to_owned()));
        }
        if claims.get("nbf").and_then(Value::as_f64).is_some_and(|not_before| not_before > now as f64 + 60.0) {
            return Err(invalid());
        }
        let client_ids: Vec<String> = serde_json::from_str(&provider.client_ids)?;
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(audience)) => vec![audience.as_str()],
            Some(Value::Array(audiences)) => audiences.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.iter().any(|audience| client_ids.iter().any(|id| id == audience)) {
            return Err(ServiceError::InvalidIdentityToken("Incorrect token audience.".to_owned()));
        }
        Ok((provider, claims))
    }
}
