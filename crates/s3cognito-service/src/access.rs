//! Who is calling: access keys, and AWS Signature V4 on the JSON and query protocols.

use std::sync::Arc;

use s3cognito_crypto::sigv4;
use s3cognito_meta::Store;

use crate::clock::Clock;
use crate::error::AuthenticationError;

/// The caller behind a verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub access_key_id: String,
    pub name: String,
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
}

impl Access {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Access { store, clock }
    }

    /// The secret of an access key, for protocols whose signatures are checked elsewhere (S3).
    pub async fn secret_of(&self, access_key_id: &str) -> Result<Option<String>, s3cognito_meta::MetaError> {
        Ok(self.store.access_key(access_key_id).await?.map(|key| key.secret_access_key))
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
        if authorization.service != service {
            return Err(AuthenticationError::IncompleteSignature(format!(
                "Credential should be scoped to correct service: '{service}'."
            )));
        }
        let key = self
            .store
            .access_key(&authorization.access_key_id)
            .await
            .map_err(|error| {
                tracing::error!(%error, "access key lookup failed");
                AuthenticationError::UnrecognizedClient
            })?
            .ok_or(AuthenticationError::UnrecognizedClient)?;
        let to_verify = sigv4::RequestToVerify {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: request.body,
        };
        let now = self.clock.now().max(0) as u64;
        sigv4::verify(&to_verify, &authorization, &key.secret_access_key, now).map_err(|error| match error {
            sigv4::SigV4Error::RequestTimeTooSkewed { .. } => AuthenticationError::RequestExpired,
            sigv4::SigV4Error::SignatureDoesNotMatch
            | sigv4::SigV4Error::ScopeDateMismatch
            | sigv4::SigV4Error::PayloadHashMismatch => AuthenticationError::SignatureDoesNotMatch,
            sigv4::SigV4Error::MissingAuthenticationToken => AuthenticationError::MissingAuthenticationToken,
            sigv4::SigV4Error::IncompleteSignature(reason) => AuthenticationError::IncompleteSignature(reason.to_owned()),
        })?;
        Ok(Principal { access_key_id: key.access_key_id, name: key.principal })
    }
}
