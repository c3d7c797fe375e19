//! The identity pool settings as the `identity_pools.config` column holds them: a JSON document with
//! cognito-identity's member names, which rows written by every earlier release still use.
//!
//! This shape is the database's, not the domain's: it changes only with a migration of the rows, so the
//! domain types can change without one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pools::{CognitoProvider, IdentityPoolConfig, MappingRule, RoleMapping, RulesConfiguration};
use crate::error::{Result, ServiceError};

/// Reads a pool's stored settings. Members missing from older rows take their defaults.
pub(super) fn read(document: &str) -> Result<IdentityPoolConfig> {
    serde_json::from_str::<StoredPoolConfig>(document)?.into_domain()
}

/// The document to store for a pool's settings.
pub(super) fn write(config: &IdentityPoolConfig) -> Result<String> {
    Ok(serde_json::to_string(&StoredPoolConfig::from(config))?)
}

/// A value the service checked before storing it no longer parses: the row was changed by hand, or by
/// a release that knew values this one does not.
fn corrupt(error: ServiceError) -> ServiceError {
    ServiceError::Internal(format!("stored identity pool configuration is malformed: {error}"))
}

// The members are written in this order, options as nulls, exactly as rows have always been written,
// so that a row read and written back is the same text.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct StoredPoolConfig {
    allow_unauthenticated_identities: bool,
    allow_classic_flow: bool,
    cognito_identity_providers: Vec<StoredProvider>,
    supported_login_providers: BTreeMap<String, String>,
    developer_provider_name: Option<String>,
    #[serde(rename = "OpenIdConnectProviderARNs")]
    open_id_connect_provider_arns: Vec<String>,
    #[serde(rename = "SamlProviderARNs")]
    saml_provider_arns: Vec<String>,
    identity_pool_tags: BTreeMap<String, String>,
    roles: BTreeMap<String, String>,
    role_mappings: BTreeMap<String, StoredRoleMapping>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredProvider {
    provider_name: String,
    client_id: Option<String>,
    #[serde(default)]
    server_side_token_check: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredRoleMapping {
    #[serde(rename = "Type")]
    mapping_type: String,
    ambiguous_role_resolution: Option<String>,
    rules_configuration: Option<StoredRules>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredRules {
    rules: Vec<StoredRule>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredRule {
    claim: String,
    match_type: String,
    value: String,
    #[serde(rename = "RoleARN")]
    role_arn: String,
}

impl StoredPoolConfig {
    fn into_domain(self) -> Result<IdentityPoolConfig> {
        let role_mappings = self
            .role_mappings
            .into_iter()
            .map(|(provider, mapping)| Ok((provider.clone(), mapping.into_domain(&provider)?)))
            .collect::<Result<_>>()?;
        Ok(IdentityPoolConfig {
            allow_unauthenticated_identities: self.allow_unauthenticated_identities,
            allow_classic_flow: self.allow_classic_flow,
            cognito_identity_providers: self
                .cognito_identity_providers
                .into_iter()
                .map(|provider| CognitoProvider {
                    provider_name: provider.provider_name,
                    client_id: provider.client_id,
                    server_side_token_check: provider.server_side_token_check,
                })
                .collect(),
            supported_login_providers: self.supported_login_providers,
            developer_provider_name: self.developer_provider_name,
            open_id_connect_provider_arns: self.open_id_connect_provider_arns,
            saml_provider_arns: self.saml_provider_arns,
            identity_pool_tags: self.identity_pool_tags,
            roles: self.roles,
            role_mappings,
        })
    }
}

impl StoredRoleMapping {
    fn into_domain(self, provider: &str) -> Result<RoleMapping> {
        let mapping_type = self.mapping_type.parse().map_err(corrupt)?;
        let ambiguous_role_resolution =
            self.ambiguous_role_resolution.map(|resolution| resolution.parse()).transpose().map_err(corrupt)?;
        let rules_configuration = match self.rules_configuration.map(StoredRules::into_domain).transpose() {
            Ok(rules) => rules,
            // Earlier releases checked match types only in Rules mappings, so a Token mapping may hold
            // rules this one refuses. A Token mapping never reads its rules: they are dropped rather
            // than making the whole pool unusable.
            Err(error) if mapping_type == super::pools::MappingType::Token => {
                tracing::warn!(%provider, %error, "dropping the unreadable rules of a stored Token role mapping");
                None
            }
            Err(error) => return Err(corrupt(error)),
        };
        Ok(RoleMapping { mapping_type, ambiguous_role_resolution, rules_configuration })
    }
}

impl StoredRules {
    fn into_domain(self) -> Result<RulesConfiguration> {
        let rules = self
            .rules
            .into_iter()
            .map(|rule| {
                Ok(MappingRule {
                    claim: rule.claim,
                    match_type: rule.match_type.parse()?,
                    value: rule.value,
                    role_arn: rule.role_arn,
                })
            })
            .collect::<Result<_>>()?;
        Ok(RulesConfiguration { rules })
    }
}

impl From<&IdentityPoolConfig> for StoredPoolConfig {
    fn from(config: &IdentityPoolConfig) -> Self {
        StoredPoolConfig {
            allow_unauthenticated_identities: config.allow_unauthenticated_identities,
            allow_classic_flow: config.allow_classic_flow,
            cognito_identity_providers: config
                .cognito_identity_providers
                .iter()
                .map(|provider| StoredProvider {
                    provider_name: provider.provider_name.clone(),
                    client_id: provider.client_id.clone(),
                    server_side_token_check: provider.server_side_token_check,
                })
                .collect(),
            supported_login_providers: config.supported_login_providers.clone(),
            developer_provider_name: config.developer_provider_name.clone(),
            open_id_connect_provider_arns: config.open_id_connect_provider_arns.clone(),
            saml_provider_arns: config.saml_provider_arns.clone(),
            identity_pool_tags: config.identity_pool_tags.clone(),
            roles: config.roles.clone(),
            role_mappings: config
                .role_mappings
                .iter()
                .map(|(provider, mapping)| (provider.clone(), StoredRoleMapping::from(mapping)))
                .collect(),
        }
    }
}

impl From<&RoleMapping> for StoredRoleMapping {
    fn from(mapping: &RoleMapping) -> Self {
        StoredRoleMapping {
            mapping_type: mapping.mapping_type.as_str().to_owned(),
            ambiguous_role_resolution: mapping.ambiguous_role_resolution.map(|resolution| resolution.as_str().to_owned()),
            rules_configuration: mapping.rules_configuration.as_ref().map(|rules| StoredRules {
                rules: rules
                    .rules
                    .iter()
                    .map(|rule| StoredRule {
                        claim: rule.claim.clone(),
                        match_type: rule.match_type.as_str().to_owned(),
                        value: rule.value.clone(),
                        role_arn: rule.role_arn.clone(),
                    })
                    .collect(),
            }),
        }
    }
}

/// What temporary credentials were issued for, as the `session_credentials.context` column holds it.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSessionContext {
    assumed_role_arn: String,
    user_id: String,
    keys: BTreeMap<String, Vec<String>>,
    session_policy: Option<String>,
}

/// Reads temporary credentials' stored context.
pub(crate) fn read_session_context(text: &str) -> Result<super::SessionContext> {
    let stored: StoredSessionContext = serde_json::from_str(text)?;
    Ok(super::SessionContext {
        assumed_role_arn: stored.assumed_role_arn,
        user_id: stored.user_id,
        keys: stored.keys,
        session_policy: stored.session_policy,
    })
}

/// The text to store for temporary credentials' context.
pub(crate) fn write_session_context(context: &super::SessionContext) -> Result<String> {
    Ok(serde_json::to_string(&StoredSessionContext {
        assumed_role_arn: context.assumed_role_arn.clone(),
        user_id: context.user_id.clone(),
        keys: context.keys.clone(),
        session_policy: context.session_policy.clone(),
    })?)
}

#[cfg(test)]
mod session_context_tests {
    use super::*;

    #[test]
    fn session_contexts_read_and_write_the_stored_text() {
        let text = r#"{"assumed_role_arn":"arn:aws:sts::123456789012:assumed-role/r/s","user_id":"AROAEXAMPLE:s","keys":{"cognito-identity.amazonaws.com:sub":["us-east-1:x"]},"session_policy":null}"#;
        let context = read_session_context(text).unwrap();
        assert_eq!(context.user_id, "AROAEXAMPLE:s");
        assert_eq!(context.keys["cognito-identity.amazonaws.com:sub"], ["us-east-1:x"]);
        assert_eq!(write_session_context(&context).unwrap(), text);
    }
}
