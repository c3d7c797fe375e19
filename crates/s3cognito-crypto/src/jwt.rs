//! Cognito-shaped JSON Web Tokens: RS256 JWS compact serialization, the JWKS that publishes the
//! public keys, and the claim checks a Cognito resource server makes (`exp`, `iss`,
//! `token_use`, `aud`/`client_id`).
//!
//! RS256 is the only algorithm: a verifier that trusted the header's `alg` could be handed
//! `none` or an HMAC keyed with the public modulus, so anything else is refused up front.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::CryptoError;
use crate::random::random_token;

/// A token's payload: claim name to value.
pub type Claims = serde_json::Map<String, Value>;

const ALGORITHM: &str = "RS256";

/// Why a token was refused. Each variant is a distinct cause so that callers can log it and
/// tests can assert it; clients are told no more than "not authorized".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("unsupported signing algorithm (only RS256 is accepted)")]
    UnsupportedAlgorithm,
    #[error("no published key has the token's kid")]
    UnknownKey,
    #[error("signature verification failed")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet (iat or nbf in the future)")]
    NotYetValid,
    #[error("token was issued by another issuer")]
    WrongIssuer,
    #[error("token was issued to another client")]
    WrongAudience,
    #[error("token has the wrong token_use")]
    WrongTokenUse,
    #[error("claim {0} is missing or has the wrong type")]
    InvalidClaim(&'static str),
}

/// An RSA-2048 private key that signs tokens, with the `kid` that names it in the JWKS.
pub struct SigningKey {
    kid: String,
    key_pair: KeyPair,
}

impl fmt::Debug for SigningKey {
    // The private key stays out of logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh RSA-2048 key with a random, URL-safe `kid` of 256 bits, so kids never collide
    /// across pools, rotations or installations.
    pub fn generate() -> Result<SigningKey, CryptoError> {
        let key_pair =
            KeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::KeyGeneration)?;
        Ok(SigningKey {
            kid: random_token(),
            key_pair,
        })
    }

    /// Loads a key persisted with [`SigningKey::to_pkcs8_der`].
    pub fn from_pkcs8_der(kid: impl Into<String>, der: &[u8]) -> Result<SigningKey, CryptoError> {
        let kid = kid.into();
        if kid.is_empty() {
            return Err(CryptoError::InvalidSigningKey("empty kid".into()));
        }
        let key_pair = KeyPair::from_pkcs8(der)
            .map_err(|error| CryptoError::InvalidSigningKey(error.to_string()))?;
        // Verifiers (ours and every JWT library) refuse RS256 keys below 2048 bits.
        if key_pair.public_modulus_len() < 256 {
            return Err(CryptoError::InvalidSigningKey(
                "RSA modulus shorter than 2048 bits".into(),
            ));
        }
        Ok(SigningKey { kid, key_pair })
    }

    /// The private key as PKCS#8 v1 DER, for storage; treat the bytes as a secret.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError> {
        let der = self
            .key_pair
            .as_der()
            .map_err(|_| CryptoError::InvalidSigningKey("cannot serialize as PKCS#8".into()))?;
        Ok(der.as_ref().to_vec())
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half, as published in `/.well-known/jwks.json`.
    pub fn public_jwk(&self) -> Jwk {
        // aws-lc-rs hands out n and e big-endian without leading zeros, as RFC 7518 requires.
        let components = PublicKeyComponents::<Vec<u8>>::from(self.key_pair.public_key());
        Jwk {
            alg: ALGORITHM.to_owned(),
            e: URL_SAFE_NO_PAD.encode(&components.e),
            kid: self.kid.clone(),
            kty: "RSA".to_owned(),
            n: URL_SAFE_NO_PAD.encode(&components.n),
            key_use: "sig".to_owned(),
        }
    }
}

/// One RSA public key in JWK form. Fields are in the order Cognito's JWKS lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub alg: String,
    /// Public exponent, base64url without padding.
    pub e: String,
    pub kid: String,
    pub kty: String,
    /// Modulus, base64url without padding, big-endian without leading zero bytes.
    pub n: String,
    #[serde(rename = "use")]
    pub key_use: String,
}

/// A JSON Web Key Set: the body of `/<poolId>/.well-known/jwks.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// Signs `claims` (a JSON object) as a compact JWS with header `{"kid":…,"alg":"RS256"}`,
/// Cognito's exact header: no `typ`.
pub fn sign(key: &SigningKey, claims: &Value) -> Result<String, CryptoError> {
    if !claims.is_object() {
        return Err(CryptoError::ClaimsNotAnObject);
    }
    // Written by hand because serde_json's map would sort `alg` before `kid`.
    let kid = Value::String(key.kid.clone());
    let header = format!(r#"{{"kid":{kid},"alg":"{ALGORITHM}"}}"#);
    let mut token = URL_SAFE_NO_PAD.encode(header);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));

    let mut signature = vec![0u8; key.key_pair.public_modulus_len()];
    key.key_pair
        .sign(
            &RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            token.as_bytes(),
            &mut signature,
        )
        .map_err(|_| CryptoError::Signing)?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

/// Checks the token's RS256 signature against the key its `kid` names in `keys`, and returns
/// its claims. Says nothing about expiry, issuer or audience: see [`verify_cognito_token`].
pub fn verify_signature(token: &str, keys: &[Jwk]) -> Result<Claims, JwtError> {
    let [header_part, payload, signature] = split_compact(token)?;
    let header = decode_object(header_part, HEADER_ERRORS)?;
    if header.get("alg").and_then(Value::as_str) != Some(ALGORITHM) {
        return Err(JwtError::UnsupportedAlgorithm);
    }
    // RFC 7515: a header listing extensions the recipient does not understand must be rejected.
    if header.contains_key("crit") {
        return Err(JwtError::Malformed(
            "unsupported critical header parameters",
        ));
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => kid,
        Some(_) => return Err(JwtError::Malformed("kid is not a string")),
        None => return Err(JwtError::UnknownKey),
    };
    let jwk = keys
        .iter()
        .find(|jwk| jwk.kid == *kid)
        .ok_or(JwtError::UnknownKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed("signature is not base64url"))?;
    // The signing input is the token up to its second dot: `header.payload`.
    let signing_input = &token[..header_part.len() + 1 + payload.len()];
    verify_rs256(jwk, signing_input.as_bytes(), &signature)?;
    // Only now, with the signature known good, is the payload worth parsing.
    decode_object(payload, PAYLOAD_ERRORS)
}

fn verify_rs256(jwk: &Jwk, signing_input: &[u8], signature: &[u8]) -> Result<(), JwtError> {
    // A key that is not an RS256 signing key cannot have signed this token; treating it as
    // absent keeps a stray key in the set from widening what verifies.
    if jwk.kty != "RSA" || jwk.alg != ALGORITHM || jwk.key_use != "sig" {
        return Err(JwtError::UnknownKey);
    }
    let n = URL_SAFE_NO_PAD
        .decode(&jwk.n)
        .map_err(|_| JwtError::UnknownKey)?;
    let e = URL_SAFE_NO_PAD
        .decode(&jwk.e)
        .map_err(|_| JwtError::UnknownKey)?;
    PublicKeyComponents { n, e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signing_input, signature)
        .map_err(|_| JwtError::BadSignature)
}

/// The claims of a token without checking anything: for diagnostics and tests only, never to
/// decide who someone is.
pub fn decode_unverified(token: &str) -> Result<Claims, JwtError> {
    let [_, payload, _] = split_compact(token)?;
    decode_object(payload, PAYLOAD_ERRORS)
}

fn split_compact(token: &str) -> Result<[&str; 3], JwtError> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok([header, payload, signature]),
        _ => Err(JwtError::Malformed(
            "a JWS has exactly three dot-separated parts",
        )),
    }
}

/// What to say when a part is not base64url, and when it is not a JSON object.
const HEADER_ERRORS: [&str; 2] = ["header is not base64url", "header is not a JSON object"];
const PAYLOAD_ERRORS: [&str; 2] = ["payload is not base64url", "payload is not a JSON object"];

fn decode_object(
    part: &str,
    [not_base64, not_object]: [&'static str; 2],
) -> Result<Claims, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed(not_base64))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(JwtError::Malformed(not_object)),
    }
}

/// The two kinds of token a Cognito user pool issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    /// The `token_use` claim's value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Id => "id",
            TokenUse::Access => "access",
        }
    }

    fn from_claim(value: &str) -> Option<TokenUse> {
        match value {
            "id" => Some(TokenUse::Id),
            "access" => Some(TokenUse::Access),
            _ => None,
        }
    }
}

/// What a resource server requires of a Cognito token, beside a good signature.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// Compared byte for byte with `iss`.
    pub issuer: String,
    /// App clients the token may have been issued to: `aud` of an id token, `client_id` of an
    /// access token. `None` accepts any client.
    pub client_ids: Option<Vec<String>>,
    /// `None` accepts both kinds.
    pub token_use: Option<TokenUse>,
    /// The current time, in seconds since the Unix epoch.
    pub now: u64,
    /// Tolerated clock difference between issuer and verifier.
    pub leeway_seconds: u64,
}

/// Verifies the signature, then the claims a Cognito token must satisfy: `exp` (required) not
/// passed, `iat`/`nbf` not in the future, `iss`, `token_use`, and the app client.
pub fn verify_cognito_token(
    token: &str,
    keys: &[Jwk],
    expected: &Expectations,
) -> Result<Claims, JwtError> {
    let claims = verify_signature(token, keys)?;
    let now = expected.now;
    let leeway = expected.leeway_seconds;

    let expires_at = numeric_date(&claims, "exp")?.ok_or(JwtError::InvalidClaim("exp"))?;
    // RFC 7519: the token must not be accepted on or after `exp`.
    if now >= expires_at.saturating_add(leeway) {
        return Err(JwtError::Expired);
    }
    for name in ["iat", "nbf"] {
        if let Some(time) = numeric_date(&claims, name)?
            && time > now.saturating_add(leeway)
        {
            return Err(JwtError::NotYetValid);
        }
    }

    if claims.get("iss").and_then(Value::as_str) != Some(expected.issuer.as_str()) {
        return Err(JwtError::WrongIssuer);
    }

    let token_use = claims
        .get("token_use")
        .and_then(Value::as_str)
        .and_then(TokenUse::from_claim);
    if let Some(required) = expected.token_use
        && token_use != Some(required)
    {
        return Err(JwtError::WrongTokenUse);
    }

    if let Some(client_ids) = &expected.client_ids {
        let accepted = |client: &str| client_ids.iter().any(|id| id == client);
        let issued_to_accepted_client = match token_use {
            Some(TokenUse::Id) => match claims.get("aud") {
                Some(Value::String(audience)) => accepted(audience),
                // Cognito sends a string; other issuers may send a list (RFC 7519).
                Some(Value::Array(audiences)) => {
                    audiences.iter().filter_map(Value::as_str).any(accepted)
                }
                _ => false,
            },
            Some(TokenUse::Access) => claims
                .get("client_id")
                .and_then(Value::as_str)
                .is_some_and(accepted),
            // Without token_use we cannot know which claim names the client.
            None => return Err(JwtError::WrongTokenUse),
        };
        if !issued_to_accepted_client {
            return Err(JwtError::WrongAudience);
        }
    }
    Ok(claims)
}

/// A NumericDate claim (RFC 7519: seconds, possibly fractional) as whole seconds, rounded up:
/// compared with a whole-second `now`, the rounded value decides exactly as the exact one.
fn numeric_date(claims: &Claims, name: &'static str) -> Result<Option<u64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(seconds) = number.as_u64() {
                Ok(Some(seconds))
            } else {
                match number.as_f64() {
                    // `as` saturates, so an absurdly large date stays absurdly large.
                    Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                        Ok(Some(seconds.ceil() as u64))
                    }
                    _ => Err(JwtError::InvalidClaim(name)),
                }
            }
        }
        Some(_) => Err(JwtError::InvalidClaim(name)),
    }
}
