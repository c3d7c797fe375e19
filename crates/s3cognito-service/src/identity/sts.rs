//! STS: temporary credentials for a role, traded for a web identity token (ours or a trusted issuer's)
//! or for the caller's own credentials, and GetCallerIdentity.

use s3cognito_types::arn;
use std::collections::BTreeMap;

use s3cognito_crypto::jwt::{self, TokenUse};
use s3cognito_crypto::{digest, random};
use s3cognito_meta::{RoleRecord, SessionCredentialRecord};
use s3cognito_types::UserPoolId;
use s3cognito_types::policy::{self, Decision, Principal as PolicyPrincipal, RequestContext};
use serde_json::Value;

use super::{Identity, SessionContext, role_name_of};
use crate::access::{self, Principal, PrincipalKind};
use crate::error::{InvalidMember, Result, ServiceError};

/// Temporary credentials as handed to the caller, the only time the secret and token leave us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: i64,
}

/// What AssumeRole answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    pub credentials: IssuedCredentials,
    pub assumed_role_arn: String,
    pub assumed_role_id: String,
}

/// What AssumeRoleWithWebIdentity answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentityAssumed {
    pub assumed: AssumedRole,
    pub subject: String,
    pub audience: String,
    pub provider: String,
}

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

/// `[\w+=,.@-]*`, 2 to 64 characters.
fn check_session_name(name: &str) -> Result<()> {
    let valid = (2..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error(
            "roleSessionName",
            Some(name.to_owned()),
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ))
    }
}

/// What every AssumeRole* call asks for, beside its proof of identity.
struct RoleRequest<'a> {
    role_arn: &'a str,
    session_name: &'a str,
    duration_seconds: Option<i64>,
    session_policy: Option<String>,
}

/// A verified web identity: who it is, the trust-policy principals it may match, the condition keys
/// it sets, and the user-pool user its credentials end with.
struct WebIdentity {
    subject: String,
    audience: String,
    provider: String,
    principals: Vec<PolicyPrincipal>,
    keys: BTreeMap<String, Vec<String>>,
    source: Option<String>,
}

impl Identity {
    /// Mints credentials for `role` and stores them (secret sealed, token digested).
    pub(super) async fn issue_credentials(
        &self,
        role: &RoleRecord,
        session_name: &str,
        duration_seconds: i64,
        keys: BTreeMap<String, Vec<String>>,
        session_policy: Option<String>,
        source: Option<String>,
    ) -> Result<AssumedRole> {
        let now = self.now();
        let access_key_id = access::new_access_key_id("ASIA");
        let secret_access_key = access::new_secret_access_key();
        // Two tokens' worth of randomness: long like AWS's, URL-safe for presigned URLs.
        let session_token = format!("{}{}", random::random_token(), random::random_token());
        let assumed_role_arn = arn::assumed_role(&self.settings.account_id, &role.name, session_name);
        let assumed_role_id = format!("{}:{session_name}", role.role_id);
        let context = SessionContext {
            assumed_role_arn: assumed_role_arn.clone(),
            user_id: assumed_role_id.clone(),
            keys: keys.into_iter().map(|(key, values)| (key.to_lowercase(), values)).collect(),
            session_policy,
        };
        let expiration = now + duration_seconds;
        let record = SessionCredentialRecord {
            sealed_secret: self.access.seal_secret(&access_key_id, &secret_access_key),
            access_key_id: access_key_id.clone(),
            session_token_hash: digest::sha256_hex(session_token.as_bytes()),
            role_arn: role.arn.clone(),
            session_name: session_name.to_owned(),
            context: super::stored::write_session_context(&context)?,
            source,
            revoked: false,
            expires_at: expiration,
            created_at: now,
        };
        self.store.insert_session_credentials(&record).await?;
        let credentials = IssuedCredentials { access_key_id, secret_access_key, session_token, expiration };
        Ok(AssumedRole { credentials, assumed_role_arn, assumed_role_id })
    }

    async fn role_by_arn(&self, role_arn: &str) -> Result<RoleRecord> {
        if role_name_of(role_arn).is_none() {
            return Err(validation(format!("{role_arn} is invalid")));
        }
        self.role_at(role_arn)
            .await?
            .ok_or_else(|| ServiceError::AccessDenied(format!("Not authorized to perform sts:AssumeRole* on {role_arn}")))
    }

    fn duration(&self, role: &RoleRecord, requested: Option<i64>) -> Result<i64> {
        let duration = requested.unwrap_or(3600);
        if duration < 900 || duration > role.max_session_duration {
            return Err(validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role \
                 (allowed: 900 to {} seconds).",
                role.max_session_duration
            )));
        }
        Ok(duration)
    }

    fn check_session_policy(policy_document: Option<&str>) -> Result<()> {
        if let Some(document) = policy_document {
            if document.len() > 2048 {
                return Err(ServiceError::QuotaExceeded("Session policy too large; at most 2048 characters".to_owned()));
            }
            super::iam::parse_policy(document, false)?;
        }
        Ok(())
    }

    /// Whether the role's trust policy lets one of `principals` do `action`, with `keys`. An explicit
    /// Deny for any of them wins.
    pub(super) fn trusts(
        role: &RoleRecord,
        action: &str,
        principals: &[PolicyPrincipal],
        keys: &BTreeMap<String, Vec<String>>,
    ) -> bool {
        let Ok(trust) = super::iam::parse_policy(&role.trust_policy, true) else {
            return false;
        };
        let mut allowed = false;
        for principal in principals {
            let mut request = RequestContext::new(action, role.arn.clone()).with_principal(principal.clone());
            for (key, values) in keys {
                request = request.with_key_values(key, values.clone());
            }
            match policy::evaluate([&trust], &request) {
                Decision::ExplicitDeny => return false,
                Decision::Allow => allowed = true,
                Decision::ImplicitDeny => {}
            }
        }
        allowed
    }

    /// AssumeRoleWithWebIdentity: an ID token of one of our user pools, an OpenID token of our
    /// cognito-identity, or a token of a registered OpenID Connect provider, traded for credentials of
    /// a role whose trust policy names its issuer.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        token: &str,
        duration_seconds: Option<i64>,
        session_policy: Option<String>,
    ) -> Result<WebIdentityAssumed> {
        check_session_name(session_name)?;
        Identity::check_session_policy(session_policy.as_deref())?;
        let request = RoleRequest { role_arn, session_name, duration_seconds, session_policy };
        let invalid = || ServiceError::InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)".to_owned());
        let unverified = jwt::decode_unverified(token).map_err(|_| invalid())?;
        let issuer = unverified.get("iss").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let identity = if issuer == super::OPEN_ID_ISSUER {
            self.open_id_identity(token).await?
        } else {
            let provider = issuer.split_once("://").map_or(issuer.as_str(), |(_, rest)| rest);
            let user_pool_id = provider
                .rsplit('/')
                .next()
                .and_then(|id| UserPoolId::parse(id).ok())
                .filter(|id| self.provider_name(id) == provider);
            match user_pool_id {
                Some(id) if self.store.user_pool(id.as_str()).await?.is_some() => self.user_pool_identity(&id, token).await?,
                _ => self.external_identity(&issuer, token).await?,
            }
        };
        let role = self.role_by_arn(request.role_arn).await?;
        let duration = self.duration(&role, request.duration_seconds)?;
        if !Identity::trusts(&role, "sts:AssumeRoleWithWebIdentity", &identity.principals, &identity.keys) {
            return Err(ServiceError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".to_owned()));
        }
        let assumed = self
            .issue_credentials(&role, request.session_name, duration, identity.keys, request.session_policy, identity.source)
            .await?;
        metrics::counter!("s3cognito_credentials_issued_total", "kind" => "web_identity").increment(1);
        Ok(WebIdentityAssumed { assumed, subject: identity.subject, audience: identity.audience, provider: identity.provider })
    }

    /// An ID token of one of our user pools, of a user who still exists and is enabled.
    async fn user_pool_identity(&self, user_pool_id: &UserPoolId, token: &str) -> Result<WebIdentity> {
        let invalid = || ServiceError::InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)".to_owned());
        let claims = self.user_pools.verify_token(user_pool_id, token, Some(TokenUse::Id), None).await.map_err(|error| {
            match error {
                ServiceError::NotAuthorized(message) if message.contains("expired") => {
                    ServiceError::ExpiredToken("Token expired: current date/time is past the token's exp".to_owned())
                }
                ServiceError::NotAuthorized(_) => invalid(),
                other => other,
            }
        })?;
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let audience = claims.get("aud").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let username = claims.get("cognito:username").and_then(Value::as_str).unwrap_or_default();
        match self.store.user(user_pool_id.as_str(), username).await? {
            Some(user) if user.sub == subject && user.enabled => {}
            _ => return Err(ServiceError::InvalidIdentityToken("The user behind the token is disabled or gone.".to_owned())),
        }
        let provider = self.provider_name(user_pool_id);
        Ok(WebIdentity {
            principals: vec![
                PolicyPrincipal::Federated(provider.clone()),
                PolicyPrincipal::Federated(arn::oidc_provider(&self.settings.account_id, &provider)),
            ],
            keys: BTreeMap::from([
                (format!("{provider}:aud"), vec![audience.clone()]),
                (format!("{provider}:sub"), vec![subject.clone()]),
                ("aws:FederatedProvider".to_owned(), vec![provider.clone()]),
            ]),
            source: Some(format!("{}|{subject}", user_pool_id.as_str())),
            subject,
            audience,
            provider,
        })
    }

    /// A token of a registered OpenID Connect provider; trust policies name the provider's ARN.
    async fn external_identity(&self, issuer: &str, token: &str) -> Result<WebIdentity> {
        let (provider, claims) = self.verify_external_token(issuer, token).await?;
        let invalid = || ServiceError::InvalidIdentityToken("The web identity token has no subject.".to_owned());
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let audience = match claims.get("aud") {
            Some(Value::String(audience)) => audience.clone(),
            Some(Value::Array(audiences)) => audiences.first().and_then(Value::as_str).unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        let name = provider.url.split_once("://").map_or(provider.url.as_str(), |(_, rest)| rest).to_owned();
        Ok(WebIdentity {
            principals: vec![PolicyPrincipal::Federated(provider.arn.clone()), PolicyPrincipal::Federated(name.clone())],
            keys: BTreeMap::from([
                (format!("{name}:aud"), vec![audience.clone()]),
                (format!("{name}:sub"), vec![subject.clone()]),
                ("aws:FederatedProvider".to_owned(), vec![provider.arn.clone()]),
            ]),
            source: None,
            subject,
            audience,
            provider: provider.arn,
        })
    }

    /// The basic flow: an OpenID token from GetOpenIdToken, for a role that trusts
    /// `cognito-identity.amazonaws.com`, with the same keys the enhanced flow sets.
    async fn open_id_identity(&self, token: &str) -> Result<WebIdentity> {
        let claims = self.verify_open_id_token(token).await?;
        let invalid = || ServiceError::InvalidIdentityToken("The OpenID token is invalid.".to_owned());
        let identity_id = claims.get("sub").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let pool_id = claims.get("aud").and_then(Value::as_str).ok_or_else(invalid)?.to_owned();
        let amr: Vec<String> = claims
            .get("amr")
            .and_then(Value::as_array)
            .map(|values| values.iter().filter_map(|value| value.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        // The user behind an authenticated identity, so that their credentials end with them.
        let source = match self.store.identity(&identity_id).await? {
            Some(identity) => identity.login_key.and_then(|key| {
                let (provider, subject) = key.split_once('|')?;
                Some(format!("{}|{subject}", provider.rsplit('/').next()?))
            }),
            None => return Err(invalid()),
        };
        let provider = "cognito-identity.amazonaws.com".to_owned();
        Ok(WebIdentity {
            principals: vec![PolicyPrincipal::Federated(provider.clone())],
            keys: super::pools::identity_keys(&identity_id, &pool_id, amr),
            source,
            subject: identity_id,
            audience: pool_id,
            provider,
        })
    }

    /// AssumeRole: the caller's credentials traded for a role's, if the role trusts the caller and
    /// the caller's own policies allow `sts:AssumeRole` on it.
    pub async fn assume_role(
        &self,
        caller: &Principal,
        role_arn: &str,
        session_name: &str,
        duration_seconds: Option<i64>,
        session_policy: Option<String>,
        external_id: Option<String>,
    ) -> Result<AssumedRole> {
        check_session_name(session_name)?;
        Identity::check_session_policy(session_policy.as_deref())?;
        self.authorize(caller, "sts:AssumeRole", role_arn, &[]).await?;
        let role = self.role_by_arn(role_arn).await?;
        let mut duration = self.duration(&role, duration_seconds)?;
        let caller_arn = self.caller_arn(caller);
        let mut principals = vec![PolicyPrincipal::Aws(caller_arn.clone())];
        if let Some(session) = caller.session() {
            // A trust policy may name the role the caller's session belongs to.
            principals.push(PolicyPrincipal::Aws(session.role_arn.clone()));
            // Role chaining is limited to an hour, as on AWS.
            if duration > 3600 {
                if duration_seconds.is_some() {
                    return Err(validation("Role chaining limits DurationSeconds to 3600 seconds."));
                }
                duration = 3600;
            }
        }
        let mut keys = BTreeMap::new();
        if let Some(external_id) = external_id {
            keys.insert("sts:ExternalId".to_owned(), vec![external_id]);
        }
        if !Identity::trusts(&role, "sts:AssumeRole", &principals, &keys) {
            return Err(ServiceError::AccessDenied(format!(
                "User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
            )));
        }
        let source = caller.session().and_then(|session| session.source.clone());
        let assumed = self.issue_credentials(&role, session_name, duration, BTreeMap::new(), session_policy, source).await?;
        metrics::counter!("s3cognito_credentials_issued_total", "kind" => "assume_role").increment(1);
        Ok(assumed)
    }

    /// GetCallerIdentity: (UserId, Account, Arn).
    pub fn caller_identity(&self, caller: &Principal) -> (String, String, String) {
        let account = self.settings.account_id.clone();
        match &caller.kind {
            PrincipalKind::Root => (account.clone(), account, self.caller_arn(caller)),
            PrincipalKind::User(user) => (user.user_id.clone(), account, user.arn.clone()),
            PrincipalKind::Session(session) => (session.context.user_id.clone(), account, session.context.assumed_role_arn.clone()),
        }
    }
}
