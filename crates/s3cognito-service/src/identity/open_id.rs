//! GetOpenIdToken: cognito-identity's own OpenID token for an identity (the "basic" flow), signed by
//! a deployment-wide key and accepted by AssumeRoleWithWebIdentity.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use s3cognito_crypto::jwt::{self, Jwks, SigningKey};
use serde_json::{Value, json};

use super::Identity;
use crate::error::{Result, ServiceError};

/// `iss` of OpenID tokens, as AWS's cognito-identity issues them.
pub const OPEN_ID_ISSUER: &str = "https://cognito-identity.amazonaws.com";
/// How long an OpenID token lasts: ten minutes, as on AWS.
const OPEN_ID_TOKEN_SECONDS: i64 = 600;
const KEY_SETTING: &str = "identity_signing_key";
/// Binds the sealed key to its purpose.
const KEY_BINDING: &[u8] = b"identity-signing-key";

/// The signing key, loaded once per process.
#[derive(Debug, Default)]
pub(super) struct OpenIdKey(tokio::sync::OnceCell<Arc<SigningKey>>);

impl Identity {
    async fn open_id_key(&self) -> Result<Arc<SigningKey>> {
        let key = self
            .open_id_key
            .0
            .get_or_try_init(|| async {
                let candidate = SigningKey::generate()?;
                let sealed = self.access.seal(&candidate.to_pkcs8_der()?, KEY_BINDING);
                let stored = format!("{}.{}", candidate.kid(), STANDARD.encode(sealed));
                // Replicas race to store a key; every one then uses the stored one.
                let stored = self.store.setting_or_insert(KEY_SETTING, &stored).await?;
                let (kid, sealed) =
                    stored.split_once('.').ok_or_else(|| ServiceError::Internal("stored identity key is malformed".to_owned()))?;
                let sealed = STANDARD.decode(sealed).map_err(|error| ServiceError::Internal(error.to_string()))?;
                let der = self.access.open(&sealed, KEY_BINDING).ok_or_else(|| {
                    ServiceError::Internal("the identity signing key does not open with this master key".to_owned())
                })?;
                Ok::<_, ServiceError>(Arc::new(SigningKey::from_pkcs8_der(kid, &der)?))
            })
            .await?;
        Ok(key.clone())
    }

    /// The public keys OpenID tokens are verified with.
    pub async fn open_id_jwks(&self) -> Result<Jwks> {
        Ok(Jwks { keys: vec![self.open_id_key().await?.public_jwk()] })
    }

    /// GetOpenIdToken: a token for the identity, after `logins` prove the caller owns it.
    pub async fn get_open_id_token(&self, identity_id: &str, logins: &BTreeMap<String, String>) -> Result<String> {
        let (identity, _, login) = self.prove_identity(identity_id, logins).await?;
        let now = self.now();
        let claims = json!({
            "sub": identity_id,
            "aud": identity.pool_id,
            "amr": Identity::amr(login.as_ref()),
            "iss": OPEN_ID_ISSUER,
            "exp": now + OPEN_ID_TOKEN_SECONDS,
            "iat": now,
        });
        let key = self.open_id_key().await?;
        Ok(jwt::sign(&key, &claims)?)
    }

    /// The claims of an OpenID token we issued, if its signature and expiry hold.
    pub(super) async fn verify_open_id_token(&self, token: &str) -> Result<serde_json::Map<String, Value>> {
        let invalid = || ServiceError::InvalidIdentityToken("The OpenID token is invalid.".to_owned());
        let claims = jwt::verify_signature(token, &self.open_id_jwks().await?.keys).map_err(|_| invalid())?;
        let expires_at = claims.get("exp").and_then(Value::as_i64).ok_or_else(invalid)?;
        if expires_at <= self.now() {
            return Err(ServiceError::ExpiredToken("Token expired: current date/time is past the token's exp".to_owned()));
        }
        if claims.get("iss").and_then(Value::as_str) != Some(OPEN_ID_ISSUER) {
            return Err(invalid());
        }
        Ok(claims)
    }
}
