//! The identity half: identity pools (cognito-identity), STS, a minimal IAM of roles and inline
//! policies, and the authorization of every request made with temporary credentials.
//!
//! Temporary credentials live in the metadata database (secret sealed, token digested), so they stay
//! valid across restarts and across replicas sharing the database.

mod iam;
mod oidc;
mod open_id;
mod pools;
pub(crate) mod stored;

pub(crate) use oidc::token_kid;
mod sts;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

use s3cognito_meta::{AttachedTo, Store};
use s3cognito_types::policy::{self, Decision, PolicyDocument, RequestContext};

pub use iam::{OidcProviderView, RoleSettings, RoleView};
pub use open_id::OPEN_ID_ISSUER;
pub use pools::{
    AmbiguousRoleResolution, CognitoProvider, IdentityPoolConfig, IdentityPoolView, IdentityView, MappingRule,
    MappingType, MatchType, RoleMapping, RulesConfiguration,
};
pub use sts::{AssumedRole, IssuedCredentials, WebIdentityAssumed};
pub use users::{AccessKeyView, Attachment, NewAccessKey, PolicySettings, PolicyVersionView, PolicyView, UserView as IamUserView};

use crate::access::{Access, Principal, PrincipalKind};
use crate::clock::Clock;
use crate::error::{Result, ServiceError};
use crate::user_pool::UserPools;

/// Deployment-wide settings of the identity half.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub account_id: String,
    pub region: String,
    /// How long credentials from GetCredentialsForIdentity last.
    pub credential_seconds: i64,
}

/// What temporary credentials were issued for, kept with them and evaluated on every request.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionContext {
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
    /// `<roleId>:<session>`, the `aws:userid` of the session.
    pub user_id: String,
    /// Condition keys the issuing call established (`cognito-identity.amazonaws.com:sub`, `…:aud`,
    /// `…:amr`), lowercased, each with its values.
    pub keys: BTreeMap<String, Vec<String>>,
    /// A session policy given to AssumeRole*, which narrows the role's own policies.
    pub session_policy: Option<String>,
}

/// The identity use cases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    store: Store,
    clock: Arc<dyn Clock>,
    access: Access,
    user_pools: UserPools,
    settings: Arc<IdentitySettings>,
    open_id_key: Arc<open_id::OpenIdKey>,
    provider_keys: Arc<oidc::ProviderKeys>,
}

/// The role name at the end of a role ARN (`arn:aws:iam::1:role/path/name` → `name`).
pub fn role_name_of(role_arn: &str) -> Option<&str> {
    let (_, resource) = role_arn.strip_prefix("arn:aws:iam::")?.split_once(':')?;
    resource.strip_prefix("role/")?.rsplit('/').next().filter(|name| !name.is_empty())
}

impl Identity {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        access: Access,
        user_pools: UserPools,
        settings: IdentitySettings,
    ) -> Self {
        Identity { store, clock, access, user_pools, settings: Arc::new(settings), open_id_key: Arc::default(), provider_keys: Arc::default() }
    }

    pub fn settings(&self) -> &IdentitySettings {
        &self.settings
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The account's root principal, as trust policies name it.
    fn root_arn(&self) -> String {
        s3cognito_types::arn::account_root(&self.settings.account_id)
    }

    /// The ARN a caller acts as: the account root, the IAM user, or the assumed role.
    pub fn caller_arn(&self, principal: &Principal) -> String {
        match &principal.kind {
            PrincipalKind::Root => self.root_arn(),
            PrincipalKind::User(user) => user.arn.clone(),
            PrincipalKind::Session(session) => session.context.assumed_role_arn.clone(),
        }
    }

    /// Decides whether `principal` may do `action` on `resource`. The account's own keys may do
    /// anything; temporary credentials what their role's inline policies (and a session policy, if
    /// one was given) allow, evaluated with the session's keys plus `keys` from the request.
    pub async fn authorize(
        &self,
        principal: &Principal,
        action: &str,
        resource: &str,
        keys: &[(&str, Vec<String>)],
    ) -> Result<()> {
        let request = self.request_context(principal, action, resource, keys);
        if self.identity_decision(principal, &request).await? != Decision::Allow {
            return Err(self.denied(principal, action, resource));
        }
        Ok(())
    }

    /// The refusal of `action` on `resource` to `principal`, in IAM's words.
    pub(crate) fn denied(&self, principal: &Principal, action: &str, resource: &str) -> ServiceError {
        ServiceError::AccessDenied(format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            self.caller_arn(principal)
        ))
    }

    /// The request as policies see it: the action, the resource, the caller's global condition keys
    /// (`aws:userid`, `aws:PrincipalArn`, the time, and those its credentials were issued with) and `keys`.
    pub(crate) fn request_context(&self, principal: &Principal, action: &str, resource: &str, keys: &[(&str, Vec<String>)]) -> RequestContext {
        let now = self.now();
        let mut request = RequestContext::new(action, resource)
            .with_key("aws:PrincipalAccount", self.settings.account_id.clone())
            .with_key("aws:CurrentTime", s3cognito_crypto::calendar::iso8601(now))
            .with_key("aws:EpochTime", now.to_string())
            .with_key("aws:SecureTransport", "false");
        match &principal.kind {
            PrincipalKind::Root => {
                request = request
                    .with_key("aws:userid", self.settings.account_id.clone())
                    .with_key("aws:PrincipalArn", self.root_arn())
                    .with_key("aws:PrincipalType", "Account");
            }
            PrincipalKind::User(user) => {
                request = request
                    .with_key("aws:userid", user.user_id.clone())
                    .with_key("aws:PrincipalArn", user.arn.clone())
                    .with_key("aws:username", user.name.clone())
                    .with_key("aws:PrincipalType", "User");
            }
            PrincipalKind::Session(session) => {
                request = request
                    .with_key("aws:userid", session.context.user_id.clone())
                    .with_key("aws:PrincipalArn", session.role_arn.clone())
                    .with_key("aws:PrincipalType", "AssumedRole");
                for (key, values) in &session.context.keys {
                    request = request.with_key_values(key, values.clone());
                }
            }
        }
        for (key, values) in keys {
            request = request.with_key_values(key, values.clone());
        }
        request
    }

    /// What the caller's own policies say of `request`: the account's keys are allowed everything; an
    /// IAM user gets its inline and attached policies; temporary credentials get their role's inline and
    /// attached policies, narrowed by a session policy if one was given. Policies are read at every
    /// request, so a policy changed or detached takes effect at once. A role deleted since the credentials
    /// were issued, or deleted and created again under the same name (a new role id), no longer backs them.
    pub(crate) async fn identity_decision(&self, principal: &Principal, request: &RequestContext) -> Result<Decision> {
        let session = match &principal.kind {
            PrincipalKind::Root => return Ok(Decision::Allow),
            PrincipalKind::User(user) => {
                let mut documents = self.store.user_policies(&user.name).await?;
                documents.extend(self.store.attached_policy_documents(AttachedTo::User, &user.name).await?);
                return Ok(policy::evaluate(parsed_policies(&documents).iter(), request));
            }
            PrincipalKind::Session(session) => session,
        };
        let role_id = session.context.user_id.split(':').next().unwrap_or_default();
        let role = match self.role_at(&session.role_arn).await? {
            Some(role) if role.role_id == role_id => role,
            _ => return Ok(Decision::ImplicitDeny),
        };
        let mut documents = self.store.role_policies(&role.name).await?;
        documents.extend(self.store.attached_policy_documents(AttachedTo::Role, &role.name).await?);
        let documents = parsed_policies(&documents);
        let decision = policy::evaluate(documents.iter(), request);
        if decision != Decision::Allow {
            return Ok(decision);
        }
        if let Some(session_policy) = &session.context.session_policy {
            let Ok(parsed) = PolicyDocument::parse(session_policy) else { return Ok(Decision::ImplicitDeny) };
            return Ok(policy::evaluate([&parsed], request));
        }
        Ok(Decision::Allow)
    }

    /// The role an ARN names, if one exists under exactly that ARN.
    pub(super) async fn role_at(&self, role_arn: &str) -> Result<Option<s3cognito_meta::RoleRecord>> {
        let Some(name) = role_name_of(role_arn) else {
            return Ok(None);
        };
        Ok(self.store.role(name).await?.filter(|role| role.arn == role_arn))
    }

    /// Forgets expired temporary credentials; run now and then.
    pub async fn sweep_expired_credentials(&self) -> Result<u64> {
        Ok(self.store.delete_expired_session_credentials(self.now()).await?)
    }
}

/// Stored policy documents, parsed; one that no longer parses is logged and counts as absent (it cannot
/// allow anything, and a Deny it held was refused when it was stored, as documents are parsed then).
fn parsed_policies(documents: &[(String, String)]) -> Vec<PolicyDocument> {
    documents
        .iter()
        .filter_map(|(name, document)| match PolicyDocument::parse(document) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                tracing::error!(policy = %name, %error, "a stored policy does not parse");
                None
            }
        })
        .collect()
}
