//! Groups of users, with the IAM role and precedence that end up in ID tokens.

use s3cognito_meta::{GroupRecord, MetaError};
use s3cognito_types::{GroupName, UserPoolId, Username};

use super::users::UserView;
use super::{User, UserPools, decode_page_token, encode_page_token};
use crate::error::{Result, ServiceError};

#[derive(Debug, Clone)]
pub struct GroupView {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<GroupRecord> for GroupView {
    fn from(record: GroupRecord) -> Self {
        GroupView {
            pool_id: record.pool_id,
            name: record.name,
            description: record.description,
            role_arn: record.role_arn,
            precedence: record.precedence,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

fn check_group_fields(role_arn: Option<&str>, precedence: Option<i64>) -> Result<()> {
    if role_arn.is_some_and(|arn| !arn.starts_with("arn:") || arn.len() > 2048) {
        return Err(ServiceError::Invalid("RoleArn must be an IAM role ARN".to_owned()));
    }
    if precedence.is_some_and(|value| value < 0) {
        return Err(ServiceError::Invalid("Precedence must be at least 0".to_owned()));
    }
    Ok(())
}

fn page_limit(limit: Option<i64>) -> Result<i64> {
    let limit = limit.unwrap_or(60);
    if !(1..=60).contains(&limit) {
        return Err(ServiceError::Invalid("Limit must be between 1 and 60".to_owned()));
    }
    Ok(limit)
}

impl UserPools {
    async fn group_record(&self, pool_id: &UserPoolId, name: &GroupName) -> Result<GroupRecord> {
        self.store
            .group(pool_id.as_str(), name.as_str())
            .await?
            .ok_or_else(|| ServiceError::NotFound("Group not found.".to_owned()))
    }

    pub async fn create_group(
        &self,
        pool_id: &UserPoolId,
        name: GroupName,
        description: Option<String>,
        role_arn: Option<String>,
        precedence: Option<i64>,
    ) -> Result<GroupView> {
        self.pool(pool_id).await?;
        check_group_fields(role_arn.as_deref(), precedence)?;
        let now = self.now();
        let record = GroupRecord {
            pool_id: pool_id.to_string(),
            name: name.to_string(),
            description,
            role_arn,
            precedence,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_group(&record).await.map_err(|error| match error {
            MetaError::Conflict => ServiceError::GroupExists(format!("A group with the name {name} already exists.")),
            other => other.into(),
        })?;
        Ok(record.into())
    }

    pub async fn get_group(&self, pool_id: &UserPoolId, name: &GroupName) -> Result<GroupView> {
        self.pool(pool_id).await?;
        Ok(self.group_record(pool_id, name).await?.into())
    }

    pub async fn update_group(
        &self,
        pool_id: &UserPoolId,
        name: &GroupName,
        description: Option<String>,
        role_arn: Option<String>,
        precedence: Option<i64>,
    ) -> Result<GroupView> {
        self.pool(pool_id).await?;
        check_group_fields(role_arn.as_deref(), precedence)?;
        let mut record = self.group_record(pool_id, name).await?;
        record.description = description.or(record.description);
        record.role_arn = role_arn.or(record.role_arn);
        record.precedence = precedence.or(record.precedence);
        record.updated_at = self.now();
        self.store.update_group(&record).await?;
        Ok(record.into())
    }

    pub async fn delete_group(&self, pool_id: &UserPoolId, name: &GroupName) -> Result<()> {
        self.pool(pool_id).await?;
        if self.store.delete_group(pool_id.as_str(), name.as_str()).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("Group not found.".to_owned()))
        }
    }

    pub async fn list_groups(
        &self,
        pool_id: &UserPoolId,
        limit: Option<i64>,
        next: Option<&str>,
    ) -> Result<(Vec<GroupView>, Option<String>)> {
        self.pool(pool_id).await?;
        let limit = page_limit(limit)?;
        let after = next.map(decode_page_token).transpose()?;
        let records = self.store.list_groups(pool_id.as_str(), after.as_deref(), limit).await?;
        let next = (records.len() as i64 == limit).then(|| records.last().map(|r| encode_page_token(&r.name))).flatten();
        Ok((records.into_iter().map(GroupView::from).collect(), next))
    }

    pub async fn admin_add_user_to_group(&self, pool_id: &UserPoolId, username: &Username, group: &GroupName) -> Result<()> {
        self.pool(pool_id).await?;
        self.user(pool_id, username.as_str()).await?;
        self.group_record(pool_id, group).await?;
        self.store.add_group_member(pool_id.as_str(), group.as_str(), username.as_str()).await?;
        Ok(())
    }

    pub async fn admin_remove_user_from_group(
        &self,
        pool_id: &UserPoolId,
        username: &Username,
        group: &GroupName,
    ) -> Result<()> {
        self.pool(pool_id).await?;
        self.user(pool_id, username.as_str()).await?;
        self.group_record(pool_id, group).await?;
        self.store.remove_group_member(pool_id.as_str(), group.as_str(), username.as_str()).await?;
        Ok(())
    }

    /// A user's groups, by precedence. Cognito pages this too; a user's groups fit in one page here.
    pub async fn admin_list_groups_for_user(&self, pool_id: &UserPoolId, username: &Username) -> Result<Vec<GroupView>> {
        self.pool(pool_id).await?;
        self.user(pool_id, username.as_str()).await?;
        let records = self.store.groups_of_user(pool_id.as_str(), username.as_str()).await?;
        Ok(records.into_iter().map(GroupView::from).collect())
    }

    pub async fn list_users_in_group(
        &self,
        pool_id: &UserPoolId,
        group: &GroupName,
        limit: Option<i64>,
        next: Option<&str>,
    ) -> Result<(Vec<UserView>, Option<String>)> {
        self.pool(pool_id).await?;
        self.group_record(pool_id, group).await?;
        let limit = page_limit(limit)?;
        let after = next.map(decode_page_token).transpose()?;
        let records = self.store.users_in_group(pool_id.as_str(), group.as_str(), after.as_deref(), limit).await?;
        let next =
            (records.len() as i64 == limit).then(|| records.last().map(|r| encode_page_token(&r.username))).flatten();
        let users = records.into_iter().map(|record| User::decode(record).map(|user| UserView::from(&user)));
        Ok((users.collect::<Result<_>>()?, next))
    }
}
