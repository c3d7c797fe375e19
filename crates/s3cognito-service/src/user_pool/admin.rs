//! Admin calls on pools and app clients.

use s3cognito_crypto::random;
use s3cognito_meta::{ClientRecord, MetaError, UserPoolRecord};
use s3cognito_types::{ClientId, UserPoolId};

use super::config::{ClientConfig, KNOWN_AUTH_FLOWS, PoolConfig};
use super::{UserPools, decode_page_token, encode_page_token, stored};
use crate::error::{InvalidMember, Result, ServiceError};

/// What CreateUserPool asks for.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub name: String,
    pub config: PoolConfig,
}

#[derive(Debug, Clone)]
pub struct PoolView {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub config: PoolConfig,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What CreateUserPoolClient asks for.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub name: String,
    pub generate_secret: bool,
    pub config: ClientConfig,
}

#[derive(Debug, Clone)]
pub struct ClientView {
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    pub secret: Option<String>,
    pub config: ClientConfig,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<ClientRecord> for ClientView {
    type Error = ServiceError;

    fn try_from(record: ClientRecord) -> Result<Self> {
        Ok(ClientView {
            config: stored::read_client(&record.config)?,
            client_id: record.client_id,
            pool_id: record.pool_id,
            name: record.name,
            secret: record.secret,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }
}

fn check_name(kind: &'static str, name: &str) -> Result<()> {
    let length = name.chars().count();
    if length == 0 || length > 128 || name.chars().any(char::is_control) {
        return Err(InvalidMember::error(kind, None, "Member must have length between 1 and 128"));
    }
    Ok(())
}

/// `stored_flows`: the flows the client has now, when it is being updated. A list mixing legacy and
/// `ALLOW_` values is refused, as Cognito refuses it, unless it is exactly what an earlier release stored.
fn check_client_config(config: &ClientConfig, stored_flows: Option<&[String]>) -> Result<()> {
    for flow in &config.explicit_auth_flows {
        if !KNOWN_AUTH_FLOWS.contains(&flow.as_str()) {
            return Err(InvalidMember::error(
                "explicitAuthFlows",
                Some(format!("[{flow}]")),
                format!("Member must satisfy constraint: [Member must satisfy enum value set: [{}]]", KNOWN_AUTH_FLOWS.join(", ")),
            ));
        }
    }
    if config.mixes_legacy_and_allow_flows() && stored_flows != Some(config.explicit_auth_flows.as_slice()) {
        return Err(ServiceError::Invalid(
            "Values with ALLOW_ prefix must be used only along with values with ALLOW_ prefix: ExplicitAuthFlows can't mix \
             ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY or USER_PASSWORD_AUTH with ALLOW_ values."
                .to_owned(),
        ));
    }
    config.access_token_validity.check("AccessTokenValidity", 300, 86_400)?;
    config.id_token_validity.check("IdTokenValidity", 300, 86_400)?;
    config.refresh_token_validity.check("RefreshTokenValidity", 3600, 315_360_000)?;
    if !["ENABLED", "LEGACY"].contains(&config.prevent_user_existence_errors.as_str()) {
        return Err(ServiceError::Invalid("PreventUserExistenceErrors must be ENABLED or LEGACY".to_owned()));
    }
    if !(3..=15).contains(&config.auth_session_validity_minutes) {
        return Err(ServiceError::Invalid("AuthSessionValidity must be between 3 and 15 minutes".to_owned()));
    }
    Ok(())
}

impl UserPools {
    fn pool_view(&self, record: UserPoolRecord) -> Result<PoolView> {
        Ok(PoolView {
            arn: s3cognito_types::arn::user_pool(
                record.id.split('_').next().unwrap_or_default(),
                &self.settings.account_id,
                &record.id,
            ),
            config: stored::read_pool(&record.config)?,
            id: record.id,
            name: record.name,
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    /// Creates a pool with a fresh id and its first signing key.
    pub async fn create_user_pool(&self, region: &str, settings: PoolSettings) -> Result<PoolView> {
        let id = UserPoolId::parse(format!("{region}_{}", random::random_from_alphabet(9, super::POOL_ID_ALPHABET)))?;
        self.create_user_pool_with_id(&id, settings).await
    }

    /// Creates a pool under a chosen id (the bootstrap pool's id is chosen before it exists).
    pub async fn create_user_pool_with_id(&self, id: &UserPoolId, settings: PoolSettings) -> Result<PoolView> {
        check_name("poolName", &settings.name)?;
        if settings.config.password_policy.minimum_length < 6 || settings.config.password_policy.minimum_length > 99 {
            return Err(ServiceError::Invalid("MinimumLength must be between 6 and 99".to_owned()));
        }
        let now = self.now();
        let record = UserPoolRecord {
            id: id.to_string(),
            name: settings.name,
            config: stored::write_pool(&settings.config)?,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_user_pool(&record).await.map_err(|error| match error {
            MetaError::Conflict => ServiceError::Invalid(format!("User pool {id} already exists.")),
            other => other.into(),
        })?;
        self.rotate_signing_key(id).await?;
        self.pool_view(record)
    }

    pub async fn describe_user_pool(&self, id: &UserPoolId) -> Result<PoolView> {
        let (record, _) = self.pool(id).await?;
        self.pool_view(record)
    }

    pub async fn list_user_pools(&self, max_results: i64, next: Option<&str>) -> Result<(Vec<PoolView>, Option<String>)> {
        if !(1..=60).contains(&max_results) {
            return Err(ServiceError::Invalid("MaxResults must be between 1 and 60".to_owned()));
        }
        let after = next.map(decode_page_token).transpose()?;
        let records = self.store.list_user_pools(after.as_deref(), max_results).await?;
        let next = (records.len() as i64 == max_results).then(|| records.last().map(|r| encode_page_token(&r.id))).flatten();
        Ok((records.into_iter().map(|record| self.pool_view(record)).collect::<Result<_>>()?, next))
    }

    pub async fn delete_user_pool(&self, id: &UserPoolId) -> Result<()> {
        let (_, config) = self.pool(id).await?;
        if config.deletion_protection == "ACTIVE" {
            return Err(ServiceError::Invalid(
                "The user pool cannot be deleted because deletion protection is activated.".to_owned(),
            ));
        }
        self.store.delete_user_pool(id.as_str()).await?;
        Ok(())
    }

    pub async fn create_user_pool_client(&self, pool_id: &UserPoolId, settings: ClientSettings) -> Result<ClientView> {
        let client_id = ClientId::parse(random::random_alphanumeric(26))?;
        self.create_user_pool_client_with_id(pool_id, &client_id, settings).await
    }

    pub async fn create_user_pool_client_with_id(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        settings: ClientSettings,
    ) -> Result<ClientView> {
        self.pool(pool_id).await?;
        check_name("clientName", &settings.name)?;
        check_client_config(&settings.config, None)?;
        let now = self.now();
        let record = ClientRecord {
            client_id: client_id.to_string(),
            pool_id: pool_id.to_string(),
            name: settings.name,
            secret: settings.generate_secret.then(|| random::random_alphanumeric(51)),
            config: stored::write_client(&settings.config)?,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_client(&record).await.map_err(|error| match error {
            MetaError::Conflict => ServiceError::Invalid(format!("Client {client_id} already exists.")),
            other => other.into(),
        })?;
        ClientView::try_from(record)
    }

    async fn client_of_pool(&self, pool_id: &UserPoolId, client_id: &ClientId) -> Result<ClientRecord> {
        self.pool(pool_id).await?;
        match self.store.client(client_id.as_str()).await? {
            Some(record) if record.pool_id == pool_id.as_str() => Ok(record),
            _ => Err(ServiceError::NotFound(format!("User pool client {client_id} does not exist."))),
        }
    }

    pub async fn describe_user_pool_client(&self, pool_id: &UserPoolId, client_id: &ClientId) -> Result<ClientView> {
        ClientView::try_from(self.client_of_pool(pool_id, client_id).await?)
    }

    pub async fn update_user_pool_client(
        &self,
        pool_id: &UserPoolId,
        client_id: &ClientId,
        name: Option<String>,
        config: ClientConfig,
    ) -> Result<ClientView> {
        let mut record = self.client_of_pool(pool_id, client_id).await?;
        if let Some(name) = name {
            check_name("clientName", &name)?;
            record.name = name;
        }
        let stored = stored::read_client(&record.config)?;
        check_client_config(&config, Some(&stored.explicit_auth_flows))?;
        record.config = stored::write_client(&config)?;
        record.updated_at = self.now();
        self.store.update_client(&record).await?;
        ClientView::try_from(record)
    }

    pub async fn delete_user_pool_client(&self, pool_id: &UserPoolId, client_id: &ClientId) -> Result<()> {
        self.client_of_pool(pool_id, client_id).await?;
        self.store.delete_client(client_id.as_str()).await?;
        Ok(())
    }

    pub async fn list_user_pool_clients(
        &self,
        pool_id: &UserPoolId,
        max_results: Option<i64>,
        next: Option<&str>,
    ) -> Result<(Vec<ClientView>, Option<String>)> {
        self.pool(pool_id).await?;
        let limit = max_results.unwrap_or(60);
        if !(1..=60).contains(&limit) {
            return Err(ServiceError::Invalid("MaxResults must be between 1 and 60".to_owned()));
        }
        let after = next.map(decode_page_token).transpose()?;
        let records = self.store.list_clients(pool_id.as_str(), after.as_deref(), limit).await?;
        let next = (records.len() as i64 == limit).then(|| records.last().map(|r| encode_page_token(&r.client_id))).flatten();
        Ok((records.into_iter().map(ClientView::try_from).collect::<Result<_>>()?, next))
    }
}
