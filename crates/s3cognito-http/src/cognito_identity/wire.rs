//! Identity pool settings as cognito-identity's JSON has them: the members CreateIdentityPool,
//! UpdateIdentityPool and SetIdentityPoolRoles read, and the pool and role answers built from them.
//!
//! The structs are named as the API's shapes are, because serde names them in the
//! SerializationException a member of the wrong shape is answered with.

use std::collections::BTreeMap;

use s3cognito_service::ServiceError;
use s3cognito_service::identity as domain;
use serde::{Deserialize, Serialize};

/// A pool's settings as requests carry them and pool answers give them back.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct IdentityPoolConfig {
    allow_unauthenticated_identities: bool,
    allow_classic_flow: bool,
    cognito_identity_providers: Vec<CognitoProvider>,
    supported_login_providers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    developer_provider_name: Option<String>,
    #[serde(rename = "OpenIdConnectProviderARNs")]
    open_id_connect_provider_arns: Vec<String>,
    #[serde(rename = "SamlProviderARNs")]
    saml_provider_arns: Vec<String>,
    identity_pool_tags: BTreeMap<String, String>,
    // A pool's roles are answered by GetIdentityPoolRoles only, never with the pool.
    #[serde(skip_serializing)]
    roles: BTreeMap<String, String>,
    #[serde(skip_serializing)]
    role_mappings: BTreeMap<String, RoleMapping>,
}

// Pool answers give `ClientId` back as null when a provider has none (only the pool's own members
// are left out when null), so it has no `skip_serializing_if`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CognitoProvider {
    provider_name: String,
    client_id: Option<String>,
    #[serde(default)]
    server_side_token_check: bool,
}

/// A role mapping as SetIdentityPoolRoles takes it and GetIdentityPoolRoles gives it back.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RoleMapping {
    // A string, not an enum: an unknown type is refused with the service's own wording, not serde's.
    #[serde(rename = "Type")]
    mapping_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ambiguous_role_resolution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules_configuration: Option<RulesConfiguration>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RulesConfiguration {
    rules: Vec<MappingRule>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MappingRule {
    claim: String,
    match_type: String,
    value: String,
    #[serde(rename = "RoleARN")]
    role_arn: String,
}

/// The answer of CreateIdentityPool, DescribeIdentityPool and UpdateIdentityPool.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PoolAnswer {
    #[serde(flatten)]
    config: IdentityPoolConfig,
    identity_pool_id: String,
    identity_pool_name: String,
}

/// The answer of GetIdentityPoolRoles.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PoolRoles {
    identity_pool_id: String,
    roles: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    role_mappings: BTreeMap<String, RoleMapping>,
}

impl IdentityPoolConfig {
    /// The settings, with the closed sets parsed; an unknown value is refused as the service words it.
    pub(super) fn into_domain(self) -> Result<domain::IdentityPoolConfig, ServiceError> {
        Ok(domain::IdentityPoolConfig {
            allow_unauthenticated_identities: self.allow_unauthenticated_identities,
            allow_classic_flow: self.allow_classic_flow,
            cognito_identity_providers: self
                .cognito_identity_providers
                .into_iter()
                .map(|provider| domain::CognitoProvider {
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
            role_mappings: role_mappings_into_domain(self.role_mappings)?,
        })
    }

    /// Forgets the roles and role mappings a request carried. UpdateIdentityPool keeps the pool's own
    /// (SetIdentityPoolRoles owns them), so what it was sent is neither parsed nor checked.
    pub(super) fn without_roles(self) -> Self {
        IdentityPoolConfig { roles: BTreeMap::new(), role_mappings: BTreeMap::new(), ..self }
    }
}

/// Role mappings by provider, with their closed sets parsed.
pub(super) fn role_mappings_into_domain(
    mappings: BTreeMap<String, RoleMapping>,
) -> Result<BTreeMap<String, domain::RoleMapping>, ServiceError> {
    mappings.into_iter().map(|(provider, mapping)| Ok((provider, mapping.into_domain()?))).collect()
}

impl RoleMapping {
    fn into_domain(self) -> Result<domain::RoleMapping, ServiceError> {
        Ok(domain::RoleMapping {
            mapping_type: self.mapping_type.parse()?,
            rules_configuration: self
                .rules_configuration
                .map(|rules| {
                    let rules = rules
                        .rules
                        .into_iter()
                        .map(|rule| {
                            Ok(domain::MappingRule {
                                claim: rule.claim,
                                match_type: rule.match_type.parse()?,
                                value: rule.value,
                                role_arn: rule.role_arn,
                            })
                        })
                        .collect::<Result<_, ServiceError>>()?;
                    Ok::<_, ServiceError>(domain::RulesConfiguration { rules })
                })
                .transpose()?,
            ambiguous_role_resolution: self.ambiguous_role_resolution.map(|resolution| resolution.parse()).transpose()?,
        })
    }
}

impl From<&domain::IdentityPoolConfig> for IdentityPoolConfig {
    fn from(config: &domain::IdentityPoolConfig) -> Self {
        IdentityPoolConfig {
            allow_unauthenticated_identities: config.allow_unauthenticated_identities,
            allow_classic_flow: config.allow_classic_flow,
            cognito_identity_providers: config
                .cognito_identity_providers
                .iter()
                .map(|provider| CognitoProvider {
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
            // Never serialized with the pool; see `PoolRoles`.
            roles: BTreeMap::new(),
            role_mappings: BTreeMap::new(),
        }
    }
}

impl From<&domain::RoleMapping> for RoleMapping {
    fn from(mapping: &domain::RoleMapping) -> Self {
        RoleMapping {
            mapping_type: mapping.mapping_type.as_str().to_owned(),
            ambiguous_role_resolution: mapping.ambiguous_role_resolution.map(|resolution| resolution.as_str().to_owned()),
            rules_configuration: mapping.rules_configuration.as_ref().map(|rules| RulesConfiguration {
                rules: rules
                    .rules
                    .iter()
                    .map(|rule| MappingRule {
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

impl From<&domain::IdentityPoolView> for PoolAnswer {
    fn from(pool: &domain::IdentityPoolView) -> Self {
        PoolAnswer {
            config: IdentityPoolConfig::from(&pool.config),
            identity_pool_id: pool.id.clone(),
            identity_pool_name: pool.name.clone(),
        }
    }
}

impl From<&domain::IdentityPoolView> for PoolRoles {
    fn from(pool: &domain::IdentityPoolView) -> Self {
        PoolRoles {
            identity_pool_id: pool.id.clone(),
            roles: pool.config.roles.clone(),
            role_mappings: pool
                .config
                .role_mappings
                .iter()
                .map(|(provider, mapping)| (provider.clone(), RoleMapping::from(mapping)))
                .collect(),
        }
    }
}
