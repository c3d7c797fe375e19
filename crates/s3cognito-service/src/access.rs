//! Who is calling: long-term access keys and temporary credentials, and AWS Signature V4 on the JSON
//! and query protocols.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use s3cognito_crypto::aead::SealingKey;
use s3cognito_crypto::{compare, digest, random, sigv4};
use s3cognito_meta::{AccessKeyRecord, SessionCredentialRecord, Store};

use crate::clock::Clock;
use crate::error::AuthenticationError;
use crate::identity::SessionContext;

/// Characters AWS uses in access key ids.
const KEY_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A fresh access key id: `AKIA…` for long-term keys, `ASIA…` for temporary ones, as on AWS.
pub fn new_access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random::random_from_alphabet(16, KEY_ID_ALPHABET))
}

/// A fresh 40-character secret access key.
pub fn new_secret_access_key() -> String {
    random::random_from_alphabet(40, SECRET_ALPHABET)
}

/// Whether an access key id names temporary credentials.
pub fn is_temporary(access_key_id: &str) -> bool {
    access_key_id.starts_with("ASIA")
}

/// The caller behind a verified signature.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub access_key_id: String,
    /// `root` for the account's own keys; the user's ARN for an IAM user's key; the assumed-role ARN for
    /// temporary credentials.
    pub name: String,
    pub kind: PrincipalKind,
}

/// Whose key signed: the account's own, an IAM user's, or temporary credentials'.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalKind {
    Root,
    User(Arc<IamUser>),
    /// What the temporary credentials were issued for.
    Session(Arc<Session>),
}

/// An IAM user as the policy engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    /// `AIDA…`, the user's `aws:userid`.
    pub user_id: String,
}

impl Principal {
    /// The account's own keys, which every policy of the account's allows.
    pub fn is_root(&self) -> bool {
        self.kind == PrincipalKind::Root
    }

    /// The session of temporary credentials.
    pub fn session(&self) -> Option<&Session> {
        match &self.kind {
            PrincipalKind::Session(session) => Some(session),
            PrincipalKind::Root | PrincipalKind::User(_) => None,
        }
    }
}

/// Temporary credentials as the policy engine sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub role_arn: String,
    pub session_name: String,
    pub expires_at: i64,
    pub context: SessionContext,
    /// `<userPoolId>|<sub>` of the user the credentials were issued for.
    pub source: Option<String>,
}

/// A request as received, reduced to what a signature covers.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// Lowercase names with their values, in the order received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

#[derive(Debug, Clone)]
pub struct Access {
    store: Store,
    clock: Arc<dyn Clock>,
    sealing_key: Arc<SealingKey>,
    region: String,
}

/// What an access key id names in the store.
enum StoredKey {
    /// The account's own key.
    LongTerm(AccessKeyRecord),
    /// An IAM user's key, with the user.
    User(AccessKeyRecord, Arc<IamUser>),
    Temporary(SessionCredentialRecord),
}

/// The status of an access key that signs.
pub const ACTIVE: &str = "Active";

/// Why a session token was refused, in S3's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionTokenError {
    /// Temporary credentials used without their token.
    Missing,
    /// A token that is not this key's (tampered, foreign, or given with a long-term key).
    Invalid,
    Expired,
}

impl Access {
    pub fn new(store: Store, clock: Arc<dyn Clock>, sealing_key: Arc<SealingKey>, region: String) -> Self {
        Access { store, clock, sealing_key, region }
    }

    /// Seals a temporary secret for storage; the access key id is bound in, so a sealed secret
    /// cannot be moved to another row.
    pub(crate) fn seal_secret(&self, access_key_id: &str, secret: &str) -> String {
        STANDARD.encode(self.seal(secret.as_bytes(), access_key_id.as_bytes()))
    }

    /// Seals a secret of ours (a signing key) with the server's key.
    pub(crate) fn seal(&self, plaintext: &[u8], binding: &[u8]) -> Vec<u8> {
        self.sealing_key.seal(plaintext, binding)
    }

    pub(crate) fn open(&self, sealed: &[u8], binding: &[u8]) -> Option<Vec<u8>> {
        self.sealing_key.open(sealed, binding).ok()
    }

    /// The stored key behind an access key id: the account's own or an IAM user's (while active), or
    /// temporary credentials. A key made inactive is as unknown as one never made, from the next request.
    async fn stored_key(&self, access_key_id: &str) -> Result<Option<StoredKey>, s3cognito_meta::MetaError> {
        Ok(if is_temporary(access_key_id) {
            self.store.session_credentials(access_key_id).await?.map(StoredKey::Temporary)
        } else {
            let key = self.store.access_key(access_key_id).await?.filter(|key| key.status == ACTIVE);
            match key {
                Some(key) => match &key.user_name_key {
                    Some(user) => match self.store.iam_user(user).await? {
                        Some(record) => {
                            let user = IamUser { name: record.name, arn: record.arn, user_id: record.user_id };
                            Some(StoredKey::User(key, Arc::new(user)))
                        }
                        None => None,
                    },
                    None => Some(StoredKey::LongTerm(key)),
                },
                None => None,
            }
        })
    }

    fn secret(&self, key: &StoredKey) -> Option<String> {
        match key {
            StoredKey::LongTerm(key) => Some(key.secret_access_key.clone()),
            StoredKey::User(key, _) => {
                let sealed = STANDARD.decode(key.sealed_secret.as_deref()?).ok()?;
                String::from_utf8(self.open(&sealed, key.access_key_id.as_bytes())?).ok()
            }
            StoredKey::Temporary(record) => {
                let sealed = STANDARD.decode(&record.sealed_secret).ok()?;
                String::from_utf8(self.open(&sealed, record.access_key_id.as_bytes())?).ok()
            }
        }
    }

    /// The secret of an access key, long-term or temporary, for protocols whose signatures are
    /// checked elsewhere (S3). Expired credentials still have one: their expiry is reported after the
    /// signature is checked, as AWS does.
    pub async fn secret_of(&self, access_key_id: &str) -> Result<Option<String>, s3cognito_meta::MetaError> {
        Ok(self.stored_key(access_key_id).await?.and_then(|key| self.secret(&key)))
    }

    /// The caller behind an access key whose signature was checked, given the session token that came
    /// with the request (header `X-Amz-Security-Token` or its query form).
    pub async fn principal(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<Result<Principal, SessionTokenError>, s3cognito_meta::MetaError> {
        Ok(match self.stored_key(access_key_id).await? {
            Some(key) => self.principal_of(key, session_token),
            None if is_temporary(access_key_id) && session_token.is_none() => Err(SessionTokenError::Missing),
            None => Err(SessionTokenError::Invalid),
        })
    }

    fn principal_of(&self, key: StoredKey, session_token: Option<&str>) -> Result<Principal, SessionTokenError> {
        let record = match key {
            // A token beside a long-term key is refused by AWS as malformed.
            StoredKey::LongTerm(_) | StoredKey::User(..) if session_token.is_some() => return Err(SessionTokenError::Invalid),
            StoredKey::LongTerm(key) => {
                return Ok(Principal { access_key_id: key.access_key_id, name: key.principal, kind: PrincipalKind::Root });
            }
            StoredKey::User(key, user) => {
                return Ok(Principal { access_key_id: key.access_key_id, name: user.arn.clone(), kind: PrincipalKind::User(user) });
            }
            StoredKey::Temporary(record) => record,
        };
        let token = session_token.ok_or(SessionTokenError::Missing)?;
        if !compare::constant_time_eq(digest::sha256_hex(token.as_bytes()).as_bytes(), record.session_token_hash.as_bytes())
            || record.revoked
        {
            return Err(SessionTokenError::Invalid);
        }
        if record.expires_at <= self.clock.now() {
            return Err(SessionTokenError::Expired);
        }
        let Ok(context) = crate::identity::stored::read_session_context(&record.context) else {
            tracing::error!(access_key_id = %record.access_key_id, "stored session context is malformed");
            return Err(SessionTokenError::Invalid);
        };
        Ok(Principal {
            access_key_id: record.access_key_id,
            name: context.assumed_role_arn.clone(),
            kind: PrincipalKind::Session(Arc::new(Session {
                role_arn: record.role_arn,
                session_name: record.session_name,
                expires_at: record.expires_at,
                context,
                source: record.source,
            })),
        })
    }

    /// The regions a signature for `service` may be scoped to, the expected one first: IAM is global and
    /// signed for us-east-1, STS answers both its global and its regional scope, every other service
    /// only this deployment's region.
    pub fn signing_regions(&self, service: &str) -> Vec<&str> {
        match service {
            "iam" => vec!["us-east-1"],
            "sts" if self.region != "us-east-1" => vec![self.region.as_str(), "us-east-1"],
            _ => vec![self.region.as_str()],
        }
    }

    /// Verifies the request's SigV4 signature, scoped to `service`, and names the caller.
    pub async fn authenticate(
        &self,
        request: &SignedRequest<'_>,
        service: &str,
    ) -> Result<Principal, AuthenticationError> {
        let header = request
            .headers
            .iter()
            .find(|(name, _)| name == "authorization")
            .map(|(_, value)| value.as_str())
            .ok_or(AuthenticationError::MissingAuthenticationToken)?;
        let authorization = sigv4::parse_authorization(header)
            .map_err(|error| AuthenticationError::IncompleteSignature(error.to_string()))?;
        crate::activity::note_unverified_key(&authorization.access_key_id);
        if authorization.service != service {
            return Err(AuthenticationError::IncompleteSignature(format!(
                "Credential should be scoped to correct service: '{service}'."
            )));
        }
        if !self.signing_regions(service).contains(&authorization.region.as_str()) {
            return Err(AuthenticationError::WrongRegion {
                given: authorization.region.clone(),
                expected: self.signing_regions(service)[0].to_owned(),
            });
        }
        let lookup_failed = |error: s3cognito_meta::MetaError| {
            tracing::error!(%error, "access key lookup failed");
            AuthenticationError::UnrecognizedClient
        };
        let key = self
            .stored_key(&authorization.access_key_id)
            .await
            .map_err(lookup_failed)?
            .ok_or(AuthenticationError::UnrecognizedClient)?;
        let secret = self.secret(&key).ok_or(AuthenticationError::UnrecognizedClient)?;
        let to_verify = sigv4::RequestToVerify {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
        };
        let now = self.clock.now().max(0) as u64;
        sigv4::verify(&to_verify, &authorization, &secret, now).map_err(|error| match error {
            sigv4::SigV4Error::RequestTimeTooSkewed { .. } => AuthenticationError::RequestExpired,
            sigv4::SigV4Error::SignatureDoesNotMatch
            | sigv4::SigV4Error::ScopeDateMismatch
            | sigv4::SigV4Error::PayloadHashMismatch => AuthenticationError::SignatureDoesNotMatch,
            sigv4::SigV4Error::MissingAuthenticationToken => AuthenticationError::MissingAuthenticationToken,
            sigv4::SigV4Error::IncompleteSignature(reason) => AuthenticationError::IncompleteSignature(reason.to_owned()),
        })?;
        let token = request
            .headers
            .iter()
            .find(|(name, _)| name == "x-amz-security-token")
            .map(|(_, value)| value.as_str());
        match self.principal_of(key, token) {
            Ok(principal) => Ok(principal),
            Err(SessionTokenError::Expired) => Err(AuthenticationError::ExpiredToken),
            Err(SessionTokenError::Missing | SessionTokenError::Invalid) => Err(AuthenticationError::UnrecognizedClient),
        }
    }
}
