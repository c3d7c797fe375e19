//! Signing keys, and the ID, access and refresh tokens minted with them and checked against them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use s3cognito_crypto::jwt::{self, Expectations, Jwks, SigningKey, TokenUse};
use s3cognito_crypto::{digest, random};
use s3cognito_meta::{RefreshTokenRecord, SigningKeyRecord};
use s3cognito_types::{ClientId, UserPoolId};
use serde_json::{Map, Value, json};

use super::{Attributes, User, UserPools};
use crate::error::{Result, ServiceError};

/// Parsed private keys by `kid`. Keys never change once written, so a cached parse stays right;
/// a std lock, not a Tokio one, because nothing awaits while it is held.
#[derive(Debug, Clone, Default)]
pub struct KeyCache(Arc<RwLock<HashMap<String, Arc<SigningKey>>>>);

/// The tokens of one successful authentication.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub id_token: String,
    /// Present on sign-in; refreshing does not mint a new one.
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// The user behind a valid, unrevoked access token.
#[derive(Debug, Clone)]
pub struct AccessTokenUser {
    pub user: User,
}

pub(super) fn refresh_token_hash(token: &str) -> String {
    digest::sha256_hex(token.as_bytes())
}

impl UserPools {
    /// Generates a new RSA key for the pool; the newest key signs, older ones still verify.
    pub async fn rotate_signing_key(&self, pool_id: &UserPoolId) -> Result<String> {
        let key = tokio::task::spawn_blocking(SigningKey::generate)
            .await
            .map_err(|error| ServiceError::Internal(error.to_string()))??;
        let newest_created_at =
            self.store.signing_keys(pool_id.as_str()).await?.first().map_or(i64::MIN + 1, |key| key.created_at);
        let record = SigningKeyRecord {
            kid: key.kid().to_owned(),
            pool_id: pool_id.to_string(),
            private_key: base64::engine::general_purpose::STANDARD.encode(key.to_pkcs8_der()?),
            // Strictly newer than the current key, so the new key signs even within the same second.
            created_at: self.now().max(newest_created_at + 1),
        };
        self.store.insert_signing_key(&record).await?;
        tracing::info!(pool = %pool_id, kid = %record.kid, "signing key created");
        Ok(record.kid)
    }

    fn parse_key(&self, record: &SigningKeyRecord) -> Result<Arc<SigningKey>> {
        if let Some(key) = self.keys.0.read().ok().and_then(|keys| keys.get(&record.kid).cloned()) {
            return Ok(key);
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(&record.private_key)
            .map_err(|error| ServiceError::Internal(format!("stored key {} is not base64: {error}", record.kid)))?;
        let key = Arc::new(SigningKey::from_pkcs8_der(record.kid.clone(), &der)?);
        if let Ok(mut keys) = self.keys.0.write() {
            keys.insert(record.kid.clone(), key.clone());
        }
        Ok(key)
    }

    async fn current_signing_key(&self, pool_id: &str) -> Result<Arc<SigningKey>> {
        let records = self.store.signing_keys(pool_id).await?;
        let newest = records
            .first()
            .ok_or_else(|| ServiceError::Internal(format!("user pool {pool_id} has no signing key")))?;
        self.parse_key(newest)
    }

    /// The pool's public keys, as served at `/<poolId>/.well-known/jwks.json`.
    pub async fn jwks(&self, pool_id: &UserPoolId) -> Result<Jwks> {
        self.pool(pool_id).await?;
        let records = self.store.signing_keys(pool_id.as_str()).await?;
        let keys = records.iter().map(|record| self.parse_key(record).map(|key| key.public_jwk())).collect::<Result<_>>()?;
        Ok(Jwks { keys })
    }

    /// Mints ID and access tokens for `user`, and a refresh token unless `origin` continues an earlier one.
    pub(super) async fn mint_tokens(
        &self,
        client_id: &str,
        client_config: &super::config::ClientConfig,
        user: &User,
        origin: Option<&RefreshTokenRecord>,
    ) -> Result<Tokens> {
        let now = self.now();
        let pool_id = &user.pool_id;
        let (origin_jti, auth_time, refresh_token) = match origin {
            Some(origin) => (origin.origin_jti.clone(), origin.auth_time, None),
            None => {
                let token = random::random_token();
                let record = RefreshTokenRecord {
                    token_hash: refresh_token_hash(&token),
                    pool_id: pool_id.clone(),
                    client_id: client_id.to_owned(),
                    username: user.username.clone(),
                    origin_jti: uuid::Uuid::new_v4().to_string(),
                    auth_time: now,
                    created_at: now,
                    expires_at: now + client_config.refresh_token_validity.seconds(),
                    revoked: false,
                };
                self.store.insert_refresh_token(&record).await?;
                (record.origin_jti, now, Some(token))
            }
        };
        let groups = self.store.groups_of_user(pool_id, &user.username).await?;
        let group_names: Vec<&str> = groups.iter().map(|group| group.name.as_str()).collect();
        let roles: Vec<&str> = groups.iter().filter_map(|group| group.role_arn.as_deref()).collect();
        let event_id = uuid::Uuid::new_v4().to_string();
        let issuer = self.issuer(pool_id);
        let attributes: &Attributes = &user.attributes;

        let mut id_claims = Map::new();
        for (name, value) in attributes {
            let claim = match name.as_str() {
                "email_verified" | "phone_number_verified" => json!(value == "true"),
                _ => json!(value),
            };
            id_claims.insert(name.clone(), claim);
        }
        let access_seconds = client_config.access_token_validity.seconds();
        let id_seconds = client_config.id_token_validity.seconds();
        let common = json!({
            "sub": user.sub,
            "iss": issuer,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "auth_time": auth_time,
            "iat": now,
        });
        id_claims.extend(common.as_object().cloned().unwrap_or_default());
        id_claims.insert("cognito:username".to_owned(), json!(user.username));
        id_claims.insert("aud".to_owned(), json!(client_id));
        id_claims.insert("token_use".to_owned(), json!("id"));
        id_claims.insert("exp".to_owned(), json!(now + id_seconds));
        id_claims.insert("jti".to_owned(), json!(uuid::Uuid::new_v4().to_string()));
        if !group_names.is_empty() {
            id_claims.insert("cognito:groups".to_owned(), json!(group_names));
        }
        if !roles.is_empty() {
            id_claims.insert("cognito:roles".to_owned(), json!(roles));
            // Groups come ordered by precedence, so the first role is the preferred one.
            id_claims.insert("cognito:preferred_role".to_owned(), json!(roles[0]));
        }

        let mut access_claims = common.as_object().cloned().unwrap_or_default();
        access_claims.insert("client_id".to_owned(), json!(client_id));
        access_claims.insert("token_use".to_owned(), json!("access"));
        access_claims.insert("scope".to_owned(), json!("aws.cognito.signin.user.admin"));
        access_claims.insert("exp".to_owned(), json!(now + access_seconds));
        access_claims.insert("jti".to_owned(), json!(uuid::Uuid::new_v4().to_string()));
        access_claims.insert("username".to_owned(), json!(user.username));
        if !group_names.is_empty() {
            access_claims.insert("cognito:groups".to_owned(), json!(group_names));
        }

        let key = self.current_signing_key(pool_id).await?;
        Ok(Tokens {
            access_token: jwt::sign(&key, &Value::Object(access_claims))?,
            id_token: jwt::sign(&key, &Value::Object(id_claims))?,
            refresh_token,
            expires_in: access_seconds,
        })
    }

    /// Verifies a token of one of our pools: signature, issuer, expiry, use and (optionally) client.
    /// This is the verifier the upload edge and the presign API rely on.
    pub async fn verify_token(
        &self,
        pool_id: &UserPoolId,
        token: &str,
        token_use: Option<TokenUse>,
        client_ids: Option<Vec<String>>,
    ) -> Result<Map<String, Value>> {
        let records = self.store.signing_keys(pool_id.as_str()).await?;
        let keys: Vec<_> =
            records.iter().map(|record| self.parse_key(record).map(|key| key.public_jwk())).collect::<Result<_>>()?;
        let expectations = Expectations {
            issuer: self.issuer(pool_id.as_str()),
            client_ids,
            token_use,
            now: self.now().max(0) as u64,
            leeway_seconds: 0,
        };
        jwt::verify_cognito_token(token, &keys, &expectations).map_err(|error| match error {
            jwt::JwtError::Expired => {
                ServiceError::NotAuthorized("Token has expired".to_owned())
            }
            _ => ServiceError::NotAuthorized("Invalid token".to_owned()),
        })
    }

    /// The user behind an access token, refusing expired, forged, revoked and disabled ones.
    pub async fn authenticate_access_token(&self, token: &str) -> Result<AccessTokenUser> {
        let invalid = || ServiceError::NotAuthorized("Invalid Access Token".to_owned());
        let unverified = jwt::decode_unverified(token).map_err(|_| invalid())?;
        let issuer = unverified.get("iss").and_then(Value::as_str).ok_or_else(invalid)?;
        let prefix = format!("{}/", self.settings.issuer_base.trim_end_matches('/'));
        let pool_id = issuer.strip_prefix(&prefix).and_then(|id| UserPoolId::parse(id).ok()).ok_or_else(invalid)?;
        if self.store.user_pool(pool_id.as_str()).await?.is_none() {
            return Err(invalid());
        }
        let claims = self.verify_token(&pool_id, token, Some(TokenUse::Access), None).await.map_err(|error| {
            match error {
                ServiceError::NotAuthorized(message) if message == "Token has expired" => {
                    ServiceError::NotAuthorized("Access Token has expired".to_owned())
                }
                _ => invalid(),
            }
        })?;
        let origin = claims.get("origin_jti").and_then(Value::as_str).ok_or_else(invalid)?;
        let revoked = self.store.refresh_token_by_origin(origin).await?.is_none_or(|record| record.revoked);
        let username = claims.get("username").and_then(Value::as_str).ok_or_else(invalid)?;
        let user = User::decode(self.store.user(pool_id.as_str(), username).await?.ok_or(ServiceError::UserNotFound)?)?;
        if claims.get("sub").and_then(Value::as_str) != Some(user.sub.as_str()) {
            // A user deleted and created again under the same name is someone else.
            return Err(invalid());
        }
        crate::activity::note_pool_username(pool_id.as_str(), &user.username, crate::activity::Via::Token);
        if !user.enabled {
            return Err(ServiceError::NotAuthorized("User is disabled.".to_owned()));
        }
        if revoked {
            return Err(ServiceError::NotAuthorized("Access Token has been revoked".to_owned()));
        }
        Ok(AccessTokenUser { user })
    }

    /// The client a refresh token was issued to, checking it belongs to `client_id`.
    pub(super) async fn live_refresh_token(&self, token: &str, client_id: &ClientId) -> Result<RefreshTokenRecord> {
        let invalid = || ServiceError::NotAuthorized("Invalid Refresh Token".to_owned());
        let record = self.store.refresh_token(&refresh_token_hash(token)).await?.ok_or_else(invalid)?;
        if record.client_id != client_id.as_str() {
            return Err(invalid());
        }
        if record.revoked {
            return Err(ServiceError::NotAuthorized("Refresh Token has been revoked".to_owned()));
        }
        if record.expires_at < self.now() {
            return Err(ServiceError::NotAuthorized("Refresh Token has expired".to_owned()));
        }
        Ok(record)
    }
}
