//! Pool and app-client settings as the `user_pools.config` and `user_pool_clients.config` columns hold
//! them: JSON documents with snake_case member names, which rows written by every earlier release use.
//!
//! This shape is the database's, not the domain's: it changes only with a migration of the rows, so the
//! domain types in `config` can change without one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::{ClientConfig, MfaConfiguration, PasswordPolicy, PoolConfig, TimeUnit, Validity};
use crate::error::Result;

/// Reads a pool's stored settings. Members missing from older rows take their defaults.
pub(super) fn read_pool(document: &str) -> Result<PoolConfig> {
    Ok(serde_json::from_str::<StoredPoolConfig>(document)?.into())
}

/// The document to store for a pool's settings.
pub(super) fn write_pool(config: &PoolConfig) -> Result<String> {
    Ok(serde_json::to_string(&StoredPoolConfig::from(config))?)
}

/// Reads an app client's stored settings. Every release has written every member, so none is optional.
pub(super) fn read_client(document: &str) -> Result<ClientConfig> {
    Ok(serde_json::from_str::<StoredClientConfig>(document)?.into())
}

/// The document to store for an app client's settings.
pub(super) fn write_client(config: &ClientConfig) -> Result<String> {
    Ok(serde_json::to_string(&StoredClientConfig::from(config))?)
}

// The members are written in this order, options as nulls, exactly as rows have always been written,
// so that a row read and written back is the same text. A missing member takes the domain's default;
// a member other than the options present as null is refused, as it always was.
#[derive(Debug, Serialize, Deserialize)]
#[serde(default)]
struct StoredPoolConfig {
    password_policy: StoredPasswordPolicy,
    auto_verified_attributes: Vec<String>,
    username_attributes: Vec<String>,
    alias_attributes: Vec<String>,
    mfa_configuration: StoredMfaConfiguration,
    // Written only when on, so rows of pools that never had it read and write back as they always did.
    #[serde(skip_serializing_if = "is_false")]
    software_token_mfa: bool,
    allow_admin_create_user_only: bool,
    deletion_protection: String,
    email_subject: Option<String>,
    email_message: Option<String>,
    invite_subject: Option<String>,
    invite_message: Option<String>,
    tags: BTreeMap<String, String>,
}

impl Default for StoredPoolConfig {
    fn default() -> Self {
        StoredPoolConfig::from(&PoolConfig::default())
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(default)]
struct StoredPasswordPolicy {
    minimum_length: u32,
    require_uppercase: bool,
    require_lowercase: bool,
    require_numbers: bool,
    require_symbols: bool,
    temporary_password_validity_days: u32,
}

impl Default for StoredPasswordPolicy {
    fn default() -> Self {
        StoredPasswordPolicy::from(&PasswordPolicy::default())
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum StoredMfaConfiguration {
    #[serde(rename = "OFF")]
    Off,
    #[serde(rename = "ON")]
    On,
    #[serde(rename = "OPTIONAL")]
    Optional,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredClientConfig {
    explicit_auth_flows: Vec<String>,
    access_token_validity: StoredValidity,
    id_token_validity: StoredValidity,
    refresh_token_validity: StoredValidity,
    prevent_user_existence_errors: String,
    enable_token_revocation: bool,
    auth_session_validity_minutes: i64,
    read_attributes: Vec<String>,
    write_attributes: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct StoredValidity {
    amount: i64,
    unit: StoredTimeUnit,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StoredTimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl From<StoredPoolConfig> for PoolConfig {
    fn from(stored: StoredPoolConfig) -> Self {
        PoolConfig {
            password_policy: stored.password_policy.into(),
            auto_verified_attributes: stored.auto_verified_attributes,
            username_attributes: stored.username_attributes,
            alias_attributes: stored.alias_attributes,
            mfa_configuration: match stored.mfa_configuration {
                StoredMfaConfiguration::Off => MfaConfiguration::Off,
                StoredMfaConfiguration::On => MfaConfiguration::On,
                StoredMfaConfiguration::Optional => MfaConfiguration::Optional,
            },
            software_token_mfa: stored.software_token_mfa,
            allow_admin_create_user_only: stored.allow_admin_create_user_only,
            deletion_protection: stored.deletion_protection,
            email_subject: stored.email_subject,
            email_message: stored.email_message,
            invite_subject: stored.invite_subject,
            invite_message: stored.invite_message,
            tags: stored.tags,
        }
    }
}

impl From<&PoolConfig> for StoredPoolConfig {
    fn from(config: &PoolConfig) -> Self {
        StoredPoolConfig {
            password_policy: StoredPasswordPolicy::from(&config.password_policy),
            auto_verified_attributes: config.auto_verified_attributes.clone(),
            username_attributes: config.username_attributes.clone(),
            alias_attributes: config.alias_attributes.clone(),
            mfa_configuration: match config.mfa_configuration {
                MfaConfiguration::Off => StoredMfaConfiguration::Off,
                MfaConfiguration::On => StoredMfaConfiguration::On,
                MfaConfiguration::Optional => StoredMfaConfiguration::Optional,
            },
            software_token_mfa: config.software_token_mfa,
            allow_admin_create_user_only: config.allow_admin_create_user_only,
            deletion_protection: config.deletion_protection.clone(),
            email_subject: config.email_subject.clone(),
            email_message: config.email_message.clone(),
            invite_subject: config.invite_subject.clone(),
            invite_message: config.invite_message.clone(),
            tags: config.tags.clone(),
        }
    }
}

impl From<StoredPasswordPolicy> for PasswordPolicy {
    fn from(stored: StoredPasswordPolicy) -> Self {
        PasswordPolicy {
            minimum_length: stored.minimum_length,
            require_uppercase: stored.require_uppercase,
            require_lowercase: stored.require_lowercase,
            require_numbers: stored.require_numbers,
            require_symbols: stored.require_symbols,
            temporary_password_validity_days: stored.temporary_password_validity_days,
        }
    }
}

impl From<&PasswordPolicy> for StoredPasswordPolicy {
    fn from(policy: &PasswordPolicy) -> Self {
        StoredPasswordPolicy {
            minimum_length: policy.minimum_length,
            require_uppercase: policy.require_uppercase,
            require_lowercase: policy.require_lowercase,
            require_numbers: policy.require_numbers,
            require_symbols: policy.require_symbols,
            temporary_password_validity_days: policy.temporary_password_validity_days,
        }
    }
}

impl From<StoredClientConfig> for ClientConfig {
    fn from(stored: StoredClientConfig) -> Self {
        ClientConfig {
            explicit_auth_flows: stored.explicit_auth_flows,
            access_token_validity: stored.access_token_validity.into(),
            id_token_validity: stored.id_token_validity.into(),
            refresh_token_validity: stored.refresh_token_validity.into(),
            prevent_user_existence_errors: stored.prevent_user_existence_errors,
            enable_token_revocation: stored.enable_token_revocation,
            auth_session_validity_minutes: stored.auth_session_validity_minutes,
            read_attributes: stored.read_attributes,
            write_attributes: stored.write_attributes,
        }
    }
}

impl From<&ClientConfig> for StoredClientConfig {
    fn from(config: &ClientConfig) -> Self {
        StoredClientConfig {
            explicit_auth_flows: config.explicit_auth_flows.clone(),
            access_token_validity: config.access_token_validity.into(),
            id_token_validity: config.id_token_validity.into(),
            refresh_token_validity: config.refresh_token_validity.into(),
            prevent_user_existence_errors: config.prevent_user_existence_errors.clone(),
            enable_token_revocation: config.enable_token_revocation,
            auth_session_validity_minutes: config.auth_session_validity_minutes,
            read_attributes: config.read_attributes.clone(),
            write_attributes: config.write_attributes.clone(),
        }
    }
}

impl From<StoredValidity> for Validity {
    fn from(stored: StoredValidity) -> Self {
        let unit = match stored.unit {
            StoredTimeUnit::Seconds => TimeUnit::Seconds,
            StoredTimeUnit::Minutes => TimeUnit::Minutes,
            StoredTimeUnit::Hours => TimeUnit::Hours,
            StoredTimeUnit::Days => TimeUnit::Days,
        };
        Validity { amount: stored.amount, unit }
    }
}

impl From<Validity> for StoredValidity {
    fn from(validity: Validity) -> Self {
        let unit = match validity.unit {
            TimeUnit::Seconds => StoredTimeUnit::Seconds,
            TimeUnit::Minutes => StoredTimeUnit::Minutes,
            TimeUnit::Hours => StoredTimeUnit::Hours,
            TimeUnit::Days => StoredTimeUnit::Days,
        };
        StoredValidity { amount: validity.amount, unit }
    }
}
