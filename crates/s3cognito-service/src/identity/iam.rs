//! A minimal IAM: roles with a trust policy and inline permission policies, and OpenID Connect
//! providers whose tokens AssumeRoleWithWebIdentity accepts.

use s3cognito_types::arn;
use s3cognito_crypto::random;
use s3cognito_meta::{MetaError, OidcProviderRecord, RoleRecord};
use s3cognito_types::policy::PolicyDocument;

use super::Identity;
use crate::error::{InvalidMember, Result, ServiceError};

/// What CreateRole takes besides the name.
#[derive(Debug, Clone, Default)]
pub struct RoleSettings {
    pub path: Option<String>,
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderView {
    pub arn: String,
    pub url: String,
    pub client_ids: Vec<String>,
    /// Kept as given: keys are trusted through the JWKS fetched over TLS, not by certificate thumbprint.
    pub thumbprints: Vec<String>,
    pub created_at: i64,
}

const ROLE_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const MAX_POLICY_BYTES: usize = 10_240;

fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

/// IAM's name pattern `[\w+=,.@-]+`, with its length limit.
pub(super) fn check_iam_name(kind: &'static str, name: &str, max: usize) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(InvalidMember::error(
            kind,
            Some(name.to_owned()),
            format!("Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length less than or equal to {max}"),
        ))
    }
}

pub(super) fn check_path(path: &str) -> Result<()> {
    let valid = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if valid { Ok(()) } else { Err(validation(format!("The specified value for path is invalid: {path}"))) }
}

/// Parses a policy for a place that wants (`trust`) or forbids a `Principal`.
pub(super) fn parse_policy(document: &str, trust: bool) -> Result<PolicyDocument> {
    if document.len() > MAX_POLICY_BYTES {
        return Err(ServiceError::QuotaExceeded("Cannot exceed quota for PolicySize: 10240".to_owned()));
    }
    let parsed = PolicyDocument::parse(document).map_err(|error| ServiceError::MalformedPolicy(error.to_string()))?;
    if trust && !parsed.has_principal() {
        return Err(ServiceError::MalformedPolicy("Missing required field Principal".to_owned()));
    }
    if !trust && parsed.has_principal() {
        return Err(ServiceError::MalformedPolicy("Policy document should not specify a principal.".to_owned()));
    }
    Ok(parsed)
}

/// An IAM role as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    pub name: String,
    pub role_id: String,
    pub path: String,
    pub arn: String,
    /// The trust policy (who may assume the role), as the JSON text it was given as.
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub created_at: i64,
}

impl From<RoleRecord> for RoleView {
    fn from(record: RoleRecord) -> RoleView {
        let RoleRecord { name, role_id, path, arn, trust_policy, description, max_session_duration, created_at } = record;
        RoleView { name, role_id, path, arn, trust_policy, description, max_session_duration, created_at }
    }
}

fn no_such_role(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("The role with name {name} cannot be found."))
}

impl Identity {
    pub async fn create_role(&self, name: &str, settings: RoleSettings) -> Result<RoleView> {
        check_iam_name("roleName", name, 64)?;
        let path = settings.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        parse_policy(&settings.trust_policy, true)?;
        let max_session_duration = settings.max_session_duration.unwrap_or(3600);
        if !(3600..=43_200).contains(&max_session_duration) {
            return Err(InvalidMember::error(
                "maxSessionDuration",
                Some(max_session_duration.to_string()),
                "Member must have value between 3600 and 43200",
            ));
        }
        if settings.description.as_ref().is_some_and(|description| description.chars().count() > 1000) {
            return Err(validation("The description may hold at most 1000 characters."));
        }
        let record = RoleRecord {
            name: name.to_owned(),
            role_id: format!("AROA{}", random::random_from_alphabet(17, ROLE_ID_ALPHABET)),
            arn: arn::role(&self.settings.account_id, &path, name),
            path,
            trust_policy: settings.trust_policy,
            description: settings.description,
            max_session_duration,
            created_at: self.now(),
        };
        match self.store.insert_role(&record).await {
            Ok(()) => Ok(record.into()),
            Err(MetaError::Conflict) => {
                Err(ServiceError::AlreadyExists(format!("Role with name {name} already exists.")))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get_role(&self, name: &str) -> Result<RoleView> {
        self.store.role(name).await?.map(RoleView::from).ok_or_else(|| no_such_role(name))
    }

    /// Roles in name order, after `marker`, with a marker for the next page when there is one.
    pub async fn list_roles(
        &self,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<(Vec<RoleView>, Option<String>)> {
        let limit = max_items.unwrap_or(100).clamp(1, 1000);
        let mut roles = Vec::new();
        let mut after = marker.map(str::to_owned);
        // A path prefix filters after the fact; keep reading until the page is full or the table ends.
        loop {
            let batch = self.store.roles(after.as_deref(), limit + 1).await?;
            let exhausted = batch.len() as i64 <= limit;
            for role in batch {
                after = Some(role.name.clone());
                if path_prefix.is_none_or(|prefix| role.path.starts_with(prefix)) {
                    roles.push(RoleView::from(role));
                }
                if roles.len() as i64 > limit {
                    break;
                }
            }
            if exhausted || roles.len() as i64 > limit {
                break;
            }
        }
        if roles.len() as i64 > limit {
            roles.truncate(limit as usize);
            let next = roles.last().map(|role| role.name.clone());
            return Ok((roles, next));
        }
        Ok((roles, None))
    }

    pub async fn update_assume_role_policy(&self, name: &str, trust_policy: &str) -> Result<()> {
        parse_policy(trust_policy, true)?;
        let mut role = self.store.role(name).await?.ok_or_else(|| no_such_role(name))?;
        trust_policy.clone_into(&mut role.trust_policy);
        self.store.update_role(&role).await?;
        Ok(())
    }

    pub async fn delete_role(&self, name: &str) -> Result<()> {
        match self.store.delete_role(name).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(no_such_role(name)),
            Err(MetaError::Conflict) => {
                Err(ServiceError::DeleteConflict("Cannot delete entity, must delete policies first.".to_owned()))
            }
            Err(other) => Err(other.into()),
        }
    }

    pub async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> Result<()> {
        check_iam_name("policyName", policy_name, 128)?;
        parse_policy(document, false)?;
        self.store.role(role_name).await?.ok_or_else(|| no_such_role(role_name))?;
        self.store.put_role_policy(role_name, policy_name, document).await?;
        Ok(())
    }

    /// The role's stored name and the policy document.
    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> Result<(String, String)> {
        let role = self.store.role(role_name).await?.ok_or_else(|| no_such_role(role_name))?;
        self.store
            .role_policies(role_name)
            .await?
            .into_iter()
            .find(|(name, _)| name == policy_name)
            .map(|(_, document)| (role.name, document))
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "The role policy with name {policy_name} cannot be found."
                ))
            })
    }

    pub async fn list_role_policies(&self, role_name: &str) -> Result<Vec<String>> {
        self.store.role(role_name).await?.ok_or_else(|| no_such_role(role_name))?;
        Ok(self.store.role_policies(role_name).await?.into_iter().map(|(name, _)| name).collect())
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> Result<()> {
        self.store.role(role_name).await?.ok_or_else(|| no_such_role(role_name))?;
        if self.store.delete_role_policy(role_name, policy_name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("The role policy with name {policy_name} cannot be found.")))
        }
    }

    // ---- OpenID Connect providers ----

    /// Registers an issuer whose tokens AssumeRoleWithWebIdentity accepts, for `client_ids` as
    /// audiences. Its keys are found through its discovery document, or at `jwks_url` when given.
    pub async fn create_oidc_provider(
        &self,
        url: &str,
        client_ids: Vec<String>,
        thumbprints: Vec<String>,
        jwks_url: Option<String>,
    ) -> Result<OidcProviderView> {
        let Some(host_and_path) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
            return Err(validation("The URL of an OpenID Connect provider must start with https://"));
        };
        let host_and_path = host_and_path.trim_end_matches('/');
        if host_and_path.is_empty() || url.len() > 255 || url.contains(['?', '#']) {
            return Err(validation(format!("Invalid URL: {url}")));
        }
        if client_ids.iter().any(|id| id.is_empty() || id.len() > 255) || client_ids.len() > 100 {
            return Err(validation("Each client id must have between 1 and 255 characters."));
        }
        if thumbprints.len() > 5 || thumbprints.iter().any(|print| print.len() != 40) {
            return Err(validation("Each thumbprint must be 40 hexadecimal characters; at most 5."));
        }
        let record = OidcProviderRecord {
            arn: arn::oidc_provider(&self.settings.account_id, host_and_path),
            url: url.trim_end_matches('/').to_owned(),
            client_ids: serde_json::to_string(&client_ids)?,
            thumbprints: serde_json::to_string(&thumbprints)?,
            jwks_url,
            created_at: self.now(),
        };
        match self.store.insert_oidc_provider(&record).await {
            Ok(()) => Ok(OidcProviderView {
                arn: record.arn,
                url: record.url,
                client_ids,
                thumbprints,
                created_at: record.created_at,
            }),
            Err(MetaError::Conflict) => Err(ServiceError::AlreadyExists(format!(
                "Provider with url {url} already exists."
            ))),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get_oidc_provider(&self, arn: &str) -> Result<OidcProviderView> {
        let record = self
            .store
            .oidc_provider(arn)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}")))?;
        Ok(OidcProviderView {
            client_ids: serde_json::from_str(&record.client_ids)?,
            thumbprints: serde_json::from_str(&record.thumbprints)?,
            arn: record.arn,
            url: record.url,
            created_at: record.created_at,
        })
    }

    pub async fn list_oidc_providers(&self) -> Result<Vec<String>> {
        Ok(self.store.oidc_providers().await?.into_iter().map(|record| record.arn).collect())
    }

    pub async fn delete_oidc_provider(&self, arn: &str) -> Result<()> {
        if self.store.delete_oidc_provider(arn).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("OpenIDConnect Provider not found for arn {arn}")))
        }
    }
}
