//! Identity pools as cognito-identity has them: pools linked to user pools, one identity per user,
//! and the trade of an ID token for temporary credentials of the role the pool's mappings choose.

use std::collections::BTreeMap;

use s3cognito_crypto::jwt::TokenUse;
use s3cognito_meta::{IdentityPoolRecord, IdentityRecord, MetaError, RoleRecord};
use s3cognito_types::UserPoolId;
use s3cognito_types::policy::Principal as PolicyPrincipal;
use serde_json::{Map, Value};

use super::stored;
use super::sts::IssuedCredentials;
use super::{Identity, role_name_of};
use crate::error::{Result, ServiceError};

/// A user pool app client whose ID tokens the identity pool accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoProvider {
    /// `cognito-idp.<region>.amazonaws.com/<userPoolId>`: the tokens' issuer without its scheme.
    pub provider_name: String,
    pub client_id: Option<String>,
    /// Whether a token whose sign-in was revoked since it was issued is refused.
    pub server_side_token_check: bool,
}

/// How a mapping rule compares a claim's values with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Equals,
    Contains,
    StartsWith,
    NotEqual,
}

impl MatchType {
    /// The name cognito-identity gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Equals => "Equals",
            MatchType::Contains => "Contains",
            MatchType::StartsWith => "StartsWith",
            MatchType::NotEqual => "NotEqual",
        }
    }
}

impl std::str::FromStr for MatchType {
    type Err = ServiceError;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "Equals" => Ok(MatchType::Equals),
            "Contains" => Ok(MatchType::Contains),
            "StartsWith" => Ok(MatchType::StartsWith),
            "NotEqual" => Ok(MatchType::NotEqual),
            other => Err(invalid(format!("Invalid MatchType: {other}"))),
        }
    }
}

/// One rule of a Rules mapping: the role for users whose claim matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRule {
    pub claim: String,
    pub match_type: MatchType,
    pub value: String,
    pub role_arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesConfiguration {
    /// Tried in order; the first that matches gives the role.
    pub rules: Vec<MappingRule>,
}

/// Where a role mapping finds a user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingType {
    /// The token's `cognito:preferred_role`, or the `CustomRoleArn` asked for if the token's
    /// `cognito:roles` hold it.
    Token,
    /// The first of the mapping's rules that matches the token's claims.
    Rules,
}

impl MappingType {
    /// The name cognito-identity gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            MappingType::Token => "Token",
            MappingType::Rules => "Rules",
        }
    }
}

impl std::str::FromStr for MappingType {
    type Err = ServiceError;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "Token" => Ok(MappingType::Token),
            "Rules" => Ok(MappingType::Rules),
            other => Err(invalid(format!("Invalid role mapping type: {other}"))),
        }
    }
}

/// What a role mapping does when it finds no role for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmbiguousRoleResolution {
    /// The pool's authenticated role.
    AuthenticatedRole,
    /// A refusal.
    Deny,
}

impl AmbiguousRoleResolution {
    /// The name cognito-identity gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            AmbiguousRoleResolution::AuthenticatedRole => "AuthenticatedRole",
            AmbiguousRoleResolution::Deny => "Deny",
        }
    }
}

impl std::str::FromStr for AmbiguousRoleResolution {
    type Err = ServiceError;

    fn from_str(name: &str) -> Result<Self> {
        match name {
            "AuthenticatedRole" => Ok(AmbiguousRoleResolution::AuthenticatedRole),
            "Deny" => Ok(AmbiguousRoleResolution::Deny),
            other => Err(invalid(format!("Invalid AmbiguousRoleResolution: {other}"))),
        }
    }
}

/// How a provider's users are given a role: from the token's `cognito:preferred_role` (Token) or by
/// rules on its claims (Rules), falling back to the authenticated role or a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    pub mapping_type: MappingType,
    /// Absent means a refusal, as Deny does; it is kept apart from Deny because it is answered as given.
    pub ambiguous_role_resolution: Option<AmbiguousRoleResolution>,
    /// Read only by Rules mappings; a Token mapping keeps what it was given, to answer it back.
    pub rules_configuration: Option<RulesConfiguration>,
}

/// An identity pool's settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityPoolConfig {
    pub allow_unauthenticated_identities: bool,
    pub allow_classic_flow: bool,
    pub cognito_identity_providers: Vec<CognitoProvider>,
    pub supported_login_providers: BTreeMap<String, String>,
    pub developer_provider_name: Option<String>,
    pub open_id_connect_provider_arns: Vec<String>,
    pub saml_provider_arns: Vec<String>,
    pub identity_pool_tags: BTreeMap<String, String>,
    /// `authenticated` and `unauthenticated` role ARNs.
    pub roles: BTreeMap<String, String>,
    /// By provider name (`<provider>` or `<provider>:<appClientId>`).
    pub role_mappings: BTreeMap<String, RoleMapping>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolView {
    pub id: String,
    pub name: String,
    pub config: IdentityPoolConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityView {
    pub identity_id: String,
    pub logins: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<IdentityRecord> for IdentityView {
    fn from(record: IdentityRecord) -> Self {
        IdentityView {
            identity_id: record.identity_id,
            logins: serde_json::from_str(&record.logins).unwrap_or_default(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A login token that checked out.
pub(super) struct VerifiedLogin {
    provider: String,
    subject: String,
    claims: Map<String, Value>,
    /// The user pool and user the token speaks for.
    user_pool_id: String,
}

fn not_authorized(message: impl Into<String>) -> ServiceError {
    ServiceError::NotAuthorized(message.into())
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

fn no_such_pool(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("IdentityPool '{id}' not found."))
}

fn bad_configuration() -> ServiceError {
    ServiceError::NoUsableRole(
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.".to_owned(),
    )
}

fn check_pool_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.chars().count() <= 128
        && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == '-');
    if valid { Ok(()) } else { Err(invalid(format!("Invalid IdentityPoolName: {name}"))) }
}

fn check_role_arn(arn: &str) -> Result<()> {
    if role_name_of(arn).is_some() && arn.len() <= 2048 {
        Ok(())
    } else {
        Err(invalid(format!("Invalid role ARN: {arn}")))
    }
}

/// The checks the types leave: names and ARNs, and how many rules a Rules mapping has. The closed sets
/// (mapping types, match types, resolutions) were parsed where the settings came in.
fn check_config(config: &IdentityPoolConfig) -> Result<()> {
    for provider in &config.cognito_identity_providers {
        if provider.provider_name.is_empty() || provider.provider_name.len() > 128 || !provider.provider_name.contains('/') {
            return Err(invalid(format!("Invalid ProviderName: {}", provider.provider_name)));
        }
    }
    for (key, arn) in &config.roles {
        if key != "authenticated" && key != "unauthenticated" {
            return Err(invalid(format!("Invalid role key: {key}; expected authenticated or unauthenticated")));
        }
        check_role_arn(arn)?;
    }
    for (provider, mapping) in &config.role_mappings {
        match mapping.mapping_type {
            MappingType::Token => {}
            MappingType::Rules => {
                let rules = mapping.rules_configuration.as_ref().map(|rules| rules.rules.as_slice()).unwrap_or_default();
                if rules.is_empty() || rules.len() > 25 {
                    return Err(invalid(format!("Role mapping for {provider} needs between 1 and 25 rules")));
                }
                for rule in rules {
                    check_role_arn(&rule.role_arn)?;
                }
            }
        }
    }
    Ok(())
}

/// A claim's values: a string, or each string of an array.
fn claim_values(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(value)) => vec![value.clone()],
        Some(Value::Array(values)) => values.iter().filter_map(|value| value.as_str().map(str::to_owned)).collect(),
        Some(Value::Bool(value)) => vec![value.to_string()],
        Some(Value::Number(value)) => vec![value.to_string()],
        _ => Vec::new(),
    }
}

fn rule_matches(rule: &MappingRule, claims: &Map<String, Value>) -> bool {
    let values = claim_values(claims, &rule.claim);
    match rule.match_type {
        MatchType::Equals => values.contains(&rule.value),
        MatchType::Contains => values.iter().any(|value| value.contains(&rule.value)),
        MatchType::StartsWith => values.iter().any(|value| value.starts_with(&rule.value)),
        MatchType::NotEqual => !values.is_empty() && values.iter().all(|value| *value != rule.value),
    }
}

impl Identity {
    fn identity_pool_view(record: IdentityPoolRecord) -> Result<IdentityPoolView> {
        Ok(IdentityPoolView { config: stored::read(&record.config)?, id: record.id, name: record.name })
    }

    async fn pool_record(&self, id: &str) -> Result<(IdentityPoolRecord, IdentityPoolConfig)> {
        let record = self.store.identity_pool(id).await?.ok_or_else(|| no_such_pool(id))?;
        let config = stored::read(&record.config)?;
        Ok((record, config))
    }

    /// The provider name of one of our user pools: its issuer without the scheme.
    pub fn provider_name(&self, user_pool_id: &UserPoolId) -> String {
        let issuer = self.user_pools.issuer(user_pool_id.as_str());
        issuer.split_once("://").map_or(issuer.clone(), |(_, rest)| rest.to_owned())
    }

    pub async fn create_identity_pool(&self, name: &str, config: IdentityPoolConfig) -> Result<IdentityPoolView> {
        let id = format!("{}:{}", self.settings.region, uuid::Uuid::new_v4());
        self.create_identity_pool_with_id(&id, name, config).await
    }

    /// Creates a pool under a chosen id: the bootstrap pool's id is reserved before the pool exists.
    pub async fn create_identity_pool_with_id(
        &self,
        id: &str,
        name: &str,
        config: IdentityPoolConfig,
    ) -> Result<IdentityPoolView> {
        check_pool_name(name)?;
        check_config(&config)?;
        let now = self.now();
        let record = IdentityPoolRecord {
            id: id.to_owned(),
            name: name.to_owned(),
            config: stored::write(&config)?,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_identity_pool(&record).await {
            Ok(()) => Identity::identity_pool_view(record),
            Err(MetaError::Conflict) => Err(ServiceError::AlreadyExists(format!("IdentityPool '{id}' already exists."))),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn describe_identity_pool(&self, id: &str) -> Result<IdentityPoolView> {
        Identity::identity_pool_view(self.store.identity_pool(id).await?.ok_or_else(|| no_such_pool(id))?)
    }

    pub async fn list_identity_pools(&self, after: Option<&str>, max_results: i64) -> Result<(Vec<IdentityPoolView>, Option<String>)> {
        if !(1..=60).contains(&max_results) {
            return Err(invalid("MaxResults must be between 1 and 60"));
        }
        let mut records = self.store.identity_pools(after, max_results + 1).await?;
        let next = if records.len() as i64 > max_results {
            records.truncate(max_results as usize);
            records.last().map(|record| record.id.clone())
        } else {
            None
        };
        Ok((records.into_iter().map(Identity::identity_pool_view).collect::<Result<_>>()?, next))
    }

    /// Replaces a pool's settings, keeping its roles and role mappings (which SetIdentityPoolRoles owns).
    pub async fn update_identity_pool(&self, id: &str, name: &str, config: IdentityPoolConfig) -> Result<IdentityPoolView> {
        check_pool_name(name)?;
        let (mut record, current) = self.pool_record(id).await?;
        let config = IdentityPoolConfig { roles: current.roles, role_mappings: current.role_mappings, ..config };
        check_config(&config)?;
        name.clone_into(&mut record.name);
        record.config = stored::write(&config)?;
        record.updated_at = self.now();
        if !self.store.update_identity_pool(&record).await? {
            return Err(no_such_pool(id));
        }
        Identity::identity_pool_view(record)
    }

    pub async fn delete_identity_pool(&self, id: &str) -> Result<()> {
        if self.store.delete_identity_pool(id).await? { Ok(()) } else { Err(no_such_pool(id)) }
    }

    pub async fn set_identity_pool_roles(
        &self,
        id: &str,
        roles: BTreeMap<String, String>,
        role_mappings: BTreeMap<String, RoleMapping>,
    ) -> Result<()> {
        let (mut record, config) = self.pool_record(id).await?;
        let config = IdentityPoolConfig { roles, role_mappings, ..config };
        check_config(&config)?;
        record.config = stored::write(&config)?;
        record.updated_at = self.now();
        self.store.update_identity_pool(&record).await?;
        Ok(())
    }

    pub async fn list_identities(
        &self,
        pool_id: &str,
        after: Option<&str>,
        max_results: i64,
    ) -> Result<(Vec<IdentityView>, Option<String>)> {
        if !(1..=60).contains(&max_results) {
            return Err(invalid("MaxResults must be between 1 and 60"));
        }
        self.pool_record(pool_id).await?;
        let mut records = self.store.identities(pool_id, after, max_results + 1).await?;
        let next = if records.len() as i64 > max_results {
            records.truncate(max_results as usize);
            records.last().map(|record| record.identity_id.clone())
        } else {
            None
        };
        Ok((records.into_iter().map(IdentityView::from).collect(), next))
    }

    pub async fn describe_identity(&self, identity_id: &str) -> Result<IdentityView> {
        Ok(self.identity_record(identity_id).await?.into())
    }

    async fn identity_record(&self, identity_id: &str) -> Result<IdentityRecord> {
        self.store
            .identity(identity_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("Identity '{identity_id}' not found.")))
    }

    /// Checks one `Logins` entry: the provider must be one of the pool's, and the token an unexpired ID
    /// token of that user pool, for the configured app client, of a user who still exists and is enabled.
    async fn verify_login(&self, config: &IdentityPoolConfig, provider: &str, token: &str) -> Result<VerifiedLogin> {
        let Some(configured) = config.cognito_identity_providers.iter().find(|configured| configured.provider_name == provider)
        else {
            return Err(not_authorized("Invalid login token. Token is not from a supported provider of this identity pool."));
        };
        let user_pool_id = provider
            .rsplit('/')
            .next()
            .and_then(|id| UserPoolId::parse(id).ok())
            .filter(|id| self.provider_name(id) == provider)
            .ok_or_else(|| not_authorized("Invalid login token. Issuer doesn't match providerName"))?;
        let claims = self
            .user_pools
            .verify_token(&user_pool_id, token, Some(TokenUse::Id), configured.client_id.clone().map(|id| vec![id]))
            .await
            .map_err(|error| match error {
                ServiceError::NotAuthorized(message) if message.contains("expired") => {
                    not_authorized("Invalid login token. Token expired.")
                }
                ServiceError::NotAuthorized(_) => not_authorized("Invalid login token."),
                other => other,
            })?;
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(|| not_authorized("Invalid login token. Missing a required claim: sub"))?;
        let username = claims.get("cognito:username").and_then(Value::as_str).unwrap_or_default();
        let user = self.store.user(user_pool_id.as_str(), username).await?;
        match user {
            Some(user) if user.sub == subject && user.enabled => {}
            Some(user) if user.sub == subject => return Err(not_authorized("Invalid login token. User is disabled.")),
            _ => return Err(not_authorized("Invalid login token. User does not exist.")),
        }
        if configured.server_side_token_check {
            let origin = claims.get("origin_jti").and_then(Value::as_str).unwrap_or_default();
            if self.store.refresh_token_by_origin(origin).await?.is_none_or(|record| record.revoked) {
                return Err(not_authorized("Invalid login token. Token has been revoked."));
            }
        }
        Ok(VerifiedLogin {
            provider: provider.to_owned(),
            subject: subject.to_owned(),
            user_pool_id: user_pool_id.as_str().to_owned(),
            claims,
        })
    }

    /// Verifies every entry of `Logins`; they must all speak for the same user (identities here are
    /// linked to one login, so logins of different users cannot share one).
    async fn verify_logins(&self, config: &IdentityPoolConfig, logins: &BTreeMap<String, String>) -> Result<Option<VerifiedLogin>> {
        if logins.len() > 10 {
            return Err(invalid("Logins may hold at most 10 entries"));
        }
        let mut verified: Option<VerifiedLogin> = None;
        for (provider, token) in logins {
            let login = self.verify_login(config, provider, token).await?;
            if let Some(username) = login.claims.get("cognito:username").and_then(Value::as_str) {
                crate::activity::note_pool_username(&login.user_pool_id, username, crate::activity::Via::Token);
            }
            match &verified {
                None => verified = Some(login),
                Some(first) if first.user_pool_id == login.user_pool_id && first.subject == login.subject => {}
                Some(_) => return Err(not_authorized("Logins don't match. The logins given belong to different users.")),
            }
        }
        Ok(verified)
    }

    /// GetId: the identity of the user behind `logins` (created on first use, the same ever after),
    /// or a new unauthenticated identity when the pool allows them and no login is given.
    pub async fn get_id(&self, pool_id: &str, logins: &BTreeMap<String, String>) -> Result<String> {
        let (_, config) = self.pool_record(pool_id).await?;
        let now = self.now();
        let Some(login) = self.verify_logins(&config, logins).await? else {
            if !config.allow_unauthenticated_identities {
                return Err(not_authorized("Unauthenticated access is not supported for this identity pool."));
            }
            let record = IdentityRecord {
                identity_id: format!("{}:{}", self.settings.region, uuid::Uuid::new_v4()),
                pool_id: pool_id.to_owned(),
                login_key: None,
                logins: "[]".to_owned(),
                created_at: now,
                updated_at: now,
            };
            self.store.insert_identity(&record).await?;
            return Ok(record.identity_id);
        };
        let identity_id = self.identity_of_login(pool_id, &login.provider, &login.subject).await?;
        crate::activity::note(|details| details.identity = Some(identity_id.clone()));
        Ok(identity_id)
    }

    /// The identity of a user of a pool's login provider (created on first use, the same ever after):
    /// what GetId answers for that user. The caller has verified the login.
    pub async fn identity_of_login(&self, pool_id: &str, provider: &str, subject: &str) -> Result<String> {
        let now = self.now();
        let login_key = format!("{provider}|{subject}");
        if let Some(existing) = self.store.identity_by_login(pool_id, &login_key).await? {
            return Ok(existing.identity_id);
        }
        let record = IdentityRecord {
            identity_id: format!("{}:{}", self.settings.region, uuid::Uuid::new_v4()),
            pool_id: pool_id.to_owned(),
            login_key: Some(login_key.clone()),
            logins: serde_json::to_string(&[provider])?,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_identity(&record).await {
            Ok(()) => Ok(record.identity_id),
            // A concurrent GetId for the same user created it first; theirs is the one.
            Err(MetaError::Conflict) => self
                .store
                .identity_by_login(pool_id, &login_key)
                .await?
                .map(|existing| existing.identity_id)
                .ok_or_else(|| ServiceError::Internal("identity vanished after a conflict".to_owned())),
            Err(other) => Err(other.into()),
        }
    }

    /// The identity, its pool's settings and the verified login (if authenticated), after checking that
    /// `logins` prove the caller owns the identity.
    pub(super) async fn prove_identity(
        &self,
        identity_id: &str,
        logins: &BTreeMap<String, String>,
    ) -> Result<(IdentityRecord, IdentityPoolConfig, Option<VerifiedLogin>)> {
        let identity = self.identity_record(identity_id).await?;
        let (_, config) = self.pool_record(&identity.pool_id).await?;
        let login = self.verify_logins(&config, logins).await?;
        match (&identity.login_key, &login) {
            (Some(key), Some(login)) if *key == format!("{}|{}", login.provider, login.subject) => {}
            (None, None) if config.allow_unauthenticated_identities => {}
            (None, None) => return Err(not_authorized("Unauthenticated access is not supported for this identity pool.")),
            (None, Some(_)) => {
                return Err(not_authorized("Logins don't match. Please include at least one valid login for this identity or identity pool."));
            }
            (Some(_), _) => {
                return Err(not_authorized("Logins don't match. Please include at least one valid login for this identity or identity pool."));
            }
        }
        Ok((identity, config, login))
    }

    /// The role a login gets: the provider's role mapping if there is one, else the pool's role.
    fn choose_role(
        &self,
        config: &IdentityPoolConfig,
        login: Option<&VerifiedLogin>,
        custom_role_arn: Option<&str>,
    ) -> Result<String> {
        let Some(login) = login else {
            return config.roles.get("unauthenticated").cloned().ok_or_else(bad_configuration);
        };
        let default_role = || config.roles.get("authenticated").cloned().ok_or_else(bad_configuration);
        // AWS keys a Cognito provider's mapping by `<provider>:<appClientId>`; the bare provider name
        // is accepted too.
        let audience = login.claims.get("aud").and_then(Value::as_str).unwrap_or_default();
        let Some(mapping) = config
            .role_mappings
            .get(&format!("{}:{audience}", login.provider))
            .or_else(|| config.role_mappings.get(&login.provider))
        else {
            return default_role();
        };
        let mapped = match mapping.mapping_type {
            MappingType::Token => {
                let roles = claim_values(&login.claims, "cognito:roles");
                match custom_role_arn {
                    Some(custom) if roles.iter().any(|role| role == custom) => Some(custom.to_owned()),
                    Some(_) => {
                        return Err(not_authorized("The ambiguous role mapping rules for this identity pool do not allow the custom role."));
                    }
                    None => claim_values(&login.claims, "cognito:preferred_role").into_iter().next(),
                }
            }
            MappingType::Rules => mapping
                .rules_configuration
                .as_ref()
                .and_then(|rules| rules.rules.iter().find(|rule| rule_matches(rule, &login.claims)))
                .map(|rule| rule.role_arn.clone()),
        };
        match mapped {
            Some(role) => Ok(role),
            None if mapping.ambiguous_role_resolution == Some(AmbiguousRoleResolution::AuthenticatedRole) => default_role(),
            None => Err(not_authorized(format!(
                "The ambiguous role mapping rules for: {} denied this request.",
                login.provider
            ))),
        }
    }

    /// The `amr` of an identity's web identity: how it signed in.
    pub(super) fn amr(login: Option<&VerifiedLogin>) -> Vec<String> {
        match login {
            None => vec!["unauthenticated".to_owned()],
            Some(login) => vec![
                "authenticated".to_owned(),
                login.provider.clone(),
                format!("{}:CognitoSignIn:{}", login.provider, login.subject),
            ],
        }
    }

    /// The role behind `role_arn`, if its trust policy lets identities of `pool_id` assume it.
    async fn trusted_role(&self, role_arn: &str, keys: &BTreeMap<String, Vec<String>>) -> Result<RoleRecord> {
        let role = self.role_at(role_arn).await?.ok_or_else(bad_configuration)?;
        let principal = PolicyPrincipal::Federated("cognito-identity.amazonaws.com".to_owned());
        if !Identity::trusts(&role, "sts:AssumeRoleWithWebIdentity", &[principal], keys) {
            return Err(bad_configuration());
        }
        Ok(role)
    }

    /// GetCredentialsForIdentity (the enhanced flow): temporary credentials of the role the pool
    /// chooses for the identity, scoped by `cognito-identity.amazonaws.com:sub` = the identity id.
    pub async fn get_credentials_for_identity(
        &self,
        identity_id: &str,
        logins: &BTreeMap<String, String>,
        custom_role_arn: Option<&str>,
    ) -> Result<IssuedCredentials> {
        crate::activity::note(|details| details.identity = Some(identity_id.to_owned()));
        let (identity, config, login) = self.prove_identity(identity_id, logins).await?;
        let role_arn = self.choose_role(&config, login.as_ref(), custom_role_arn)?;
        let keys = identity_keys(identity_id, &identity.pool_id, Identity::amr(login.as_ref()));
        let role = self.trusted_role(&role_arn, &keys).await?;
        if let Some(login) = &login {
            self.store.touch_identity(identity_id, &serde_json::to_string(&[&login.provider])?, self.now()).await?;
        }
        let source = login.as_ref().map(|login| format!("{}|{}", login.user_pool_id, login.subject));
        let assumed = self
            .issue_credentials(&role, "CognitoIdentityCredentials", self.settings.credential_seconds, keys, None, source)
            .await?;
        metrics::counter!("s3cognito_credentials_issued_total", "kind" => "identity_pool").increment(1);
        Ok(assumed.credentials)
    }
}

/// The condition keys of credentials for an identity (trust policies and role policies read them):
/// its id as `sub`, its pool as `aud`, how it signed in as `amr`.
pub(super) fn identity_keys(identity_id: &str, pool_id: &str, amr: Vec<String>) -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        ("cognito-identity.amazonaws.com:sub".to_owned(), vec![identity_id.to_owned()]),
        ("cognito-identity.amazonaws.com:aud".to_owned(), vec![pool_id.to_owned()]),
        ("cognito-identity.amazonaws.com:amr".to_owned(), amr),
        ("aws:FederatedProvider".to_owned(), vec!["cognito-identity.amazonaws.com".to_owned()]),
    ])
}
