//! What each request did, noted while it is served: the HTTP layer opens a `RequestRecord` for every
//! request and runs the request inside it; the wire crates and the use cases note on it what they decide
//! (the operation, who called and how they proved it, what the request named, the error it ended with).
//! When the answer has been sent, the record becomes the access-log line, the request's metrics and, for
//! what the audit log keeps, an audit event.
//!
//! The record travels with the request's task (a task-local), so a use case deep in a call notes what only
//! it knows (the user a sign-in named, a lockout) without every signature on the way carrying it.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use s3cognito_types::operation::{Operation, Service};

use crate::access::{Principal, PrincipalKind};
use crate::uploads::PoolUser;

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// Nothing: a public call, or a refusal before anything was proved.
    #[default]
    None,
    /// A SigV4 signature in the `Authorization` header (or a browser form's policy signature).
    Signature,
    /// A presigned URL's query signature.
    PresignedUrl,
    /// A user pool token.
    Token,
    /// A password (or its SRP proof), or a code mailed to the user.
    Password,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::None => "none",
            Via::Signature => "signature",
            Via::PresignedUrl => "presigned-url",
            Via::Token => "token",
            Via::Password => "password",
        }
    }
}

/// Something a use case saw that is an event of its own, beside the request's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notable {
    /// Failed sign-ins in a row locked the user out for a while.
    UserLockedOut,
}

impl Notable {
    pub fn name(self) -> &'static str {
        match self {
            Notable::UserLockedOut => "UserLockedOut",
        }
    }
}

/// What the request is known to have been, so far.
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub operation: Option<Operation>,
    /// The service a request went to, when no operation could be decided (a signature S3 refused before
    /// the operation was known).
    pub service: Option<Service>,
    /// Who acted: an ARN, `<poolId>/<username>` for a user of a pool.
    pub principal: Option<String>,
    /// The identity-pool identity the caller acts for.
    pub identity: Option<String>,
    /// What the request named: `<bucket>/<key>`, a pool, a key's ARN.
    pub resource: Option<String>,
    /// The error code the answer carries, in its protocol's words.
    pub error_code: Option<String>,
    pub via: Via,
    pub notable: Vec<Notable>,
}

/// One request's record. Cheap to share: the HTTP layer keeps one `Arc` for the answer's body and runs the
/// request inside another.
#[derive(Debug)]
pub struct RequestRecord {
    id: String,
    source: Option<IpAddr>,
    /// Latency is measured on the monotonic clock; the wall clock (`Clock`) stamps events.
    started: Instant,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    details: Mutex<Details>,
}

impl RequestRecord {
    /// A record for a request that has just arrived, with a new request id.
    pub fn new(source: Option<IpAddr>) -> RequestRecord {
        RequestRecord {
            id: new_request_id(),
            source,
            started: Instant::now(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            details: Mutex::new(Details::default()),
        }
    }

    /// The id every log line of the request carries and every answer returns.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn source(&self) -> Option<IpAddr> {
        self.source
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    pub fn add_bytes_in(&self, bytes: u64) {
        self.bytes_in.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn add_bytes_out(&self, bytes: u64) {
        self.bytes_out.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::Relaxed)
    }

    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }

    /// A copy of what has been noted so far.
    pub fn details(&self) -> Details {
        self.lock().clone()
    }

    pub fn update(&self, change: impl FnOnce(&mut Details)) {
        change(&mut self.lock());
    }

    // A std Mutex, not a Tokio one: nothing awaits while it is held.
    fn lock(&self) -> std::sync::MutexGuard<'_, Details> {
        self.details.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// 16 upper-case hex digits, as S3 writes its request ids; unique enough to find one request's lines.
fn new_request_id() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    hex::encode_upper(&bytes[..8])
}

tokio::task_local! {
    static CURRENT: Arc<RequestRecord>;
}

/// Runs `future` (the serving of one request) with `record` as its current record.
pub async fn scope<F: std::future::Future>(record: Arc<RequestRecord>, future: F) -> F::Output {
    CURRENT.scope(record, future).await
}

/// The record of the request being served, when there is one (not in tests that call a use case alone).
pub fn current() -> Option<Arc<RequestRecord>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Notes something on the current request's record; nothing when no request is being served.
pub fn note(change: impl FnOnce(&mut Details)) {
    let _ = CURRENT.try_with(|record| record.update(change));
}

/// The request's operation, decided by its wire crate.
pub fn note_operation(operation: impl Into<Operation>) {
    let operation = operation.into();
    note(|details| details.operation = Some(operation));
}

/// A caller who proved itself with AWS credentials: the account's own keys (`root`) by the account's ARN,
/// an IAM user by its ARN, temporary credentials by their session's ARN and, for an identity pool's, the
/// identity they act for.
pub fn note_signed(principal: &Principal, account_id: &str, via: Via) {
    let (name, identity) = match &principal.kind {
        PrincipalKind::Root => (s3cognito_types::arn::account_root(account_id), None),
        PrincipalKind::User(user) => (user.arn.clone(), None),
        PrincipalKind::Session(session) => {
            let identity = session.context.keys.get("cognito-identity.amazonaws.com:sub").and_then(|values| values.first()).cloned();
            (principal.name.clone(), identity)
        }
    };
    note(|details| {
        details.principal = Some(name);
        details.identity = identity;
        details.via = via;
    });
}

/// A user of the deployment's pool, proved by a token.
pub fn note_pool_user(pool_id: &str, user: &PoolUser) {
    let principal = pool_user_principal(pool_id, &user.username);
    let identity = user.identity_id.clone();
    note(|details| {
        details.principal = Some(principal);
        details.identity = Some(identity);
        details.via = Via::Token;
    });
}

/// A user of a pool named by a public call (a sign-in, a code, a token): who the call acts as.
pub fn note_pool_username(pool_id: &str, username: &str, via: Via) {
    let principal = pool_user_principal(pool_id, username);
    note(|details| {
        details.principal = Some(principal);
        details.via = via;
    });
}

/// How the audit log names a user of a pool.
pub fn pool_user_principal(pool_id: &str, username: &str) -> String {
    format!("{pool_id}/{username}")
}

/// A caller that named an access key the request did not prove it holds (an unknown key, a signature that
/// does not match): recorded by the key's id, which is not a secret.
pub fn note_unverified_key(access_key_id: &str) {
    let principal = format!("access-key/{access_key_id}");
    note(|details| {
        details.principal.get_or_insert(principal);
    });
}

pub fn note_resource(resource: impl Into<String>) {
    let resource = resource.into();
    note(|details| details.resource = Some(resource));
}

pub fn note_error_code(code: impl Into<String>) {
    let code = code.into();
    note(|details| details.error_code = Some(code));
}

pub fn note_notable(notable: Notable) {
    note(|details| details.notable.push(notable));
}

/// How a finished request ended, for the audit log: `success`, `denied` (its caller was not allowed, or
/// could not prove who it is) or `failure` (anything else refused or failed).
pub fn outcome(status: u16, error_code: Option<&str>, operation: Option<Operation>) -> &'static str {
    if status < 400 {
        return "success";
    }
    let denied_code = error_code.is_some_and(|code| DENIED_CODES.contains(&code));
    // A wrong password is NotAuthorizedException too; only a signed call's is a refusal of its caller.
    let signed_not_authorized = error_code == Some("NotAuthorizedException")
        && operation.is_some_and(|operation| operation.authorization() != s3cognito_types::operation::Authorization::Public);
    if status == 401 || status == 403 || denied_code || signed_not_authorized { "denied" } else { "failure" }
}

/// The codes AWS's protocols answer with when a caller is not allowed or not proved.
const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
    "UnauthorizedException",
    "Unauthorized",
];

#[cfg(test)]
mod tests {
    use super::*;
    use s3cognito_types::operation::{CognitoIdp, S3};

    #[test]
    fn outcomes_tell_a_refused_caller_from_a_failed_request() {
        assert_eq!(outcome(200, None, Some(S3::GetObject.into())), "success");
        assert_eq!(outcome(403, Some("AccessDenied"), Some(S3::GetObject.into())), "denied");
        assert_eq!(outcome(404, Some("NoSuchKey"), Some(S3::GetObject.into())), "failure");
        assert_eq!(outcome(400, Some("NotAuthorizedException"), Some(CognitoIdp::InitiateAuth.into())), "failure", "a wrong password");
        assert_eq!(outcome(400, Some("NotAuthorizedException"), Some(CognitoIdp::AdminGetUser.into())), "denied");
        assert_eq!(outcome(401, None, None), "denied");
    }

    #[tokio::test]
    async fn notes_reach_the_current_record_and_nothing_else() {
        note_error_code("Ignored");
        let record = Arc::new(RequestRecord::new(None));
        scope(record.clone(), async {
            note_operation(S3::PutObject);
            note_resource("bucket/key");
            assert_eq!(current().map(|current| current.id().to_owned()), Some(record.id().to_owned()));
        })
        .await;
        let details = record.details();
        assert_eq!(details.operation, Some(S3::PutObject.into()));
        assert_eq!(details.resource.as_deref(), Some("bucket/key"));
        assert_eq!(details.error_code, None);
        assert_eq!(record.id().len(), 16);
        assert!(current().is_none());
    }
}
