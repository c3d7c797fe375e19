//! IAM users and their long-term access keys and inline policies, and customer managed policies (with
//! versions) attached to roles and users: what a backend uses instead of the account's own keys. A user
//! signs with its own key and may do what its policies allow, decided by the same path as every caller
//! (`Identity::identity_decision`, policies read at each request).

use s3cognito_crypto::random;
use s3cognito_meta::{AccessKeyRecord, AttachedTo, Capped, IamDeletion, IamUserRecord, ManagedPolicyRecord, MetaError, PolicyVersionRecord};
use s3cognito_types::arn;

use super::iam::{check_iam_name, check_path, parse_policy};
use super::Identity;
use crate::access::{self, ACTIVE};
use crate::error::{InvalidMember, Result, ServiceError};

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// IAM's quotas: access keys per user, versions per managed policy, managed policies per role or user.
const ACCESS_KEYS_PER_USER: i64 = 2;
const VERSIONS_PER_POLICY: i64 = 5;
const ATTACHED_POLICIES: i64 = 10;
const INACTIVE: &str = "Inactive";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub name: String,
    pub user_id: String,
    pub path: String,
    pub arn: String,
    pub created_at: i64,
}

impl From<IamUserRecord> for UserView {
    fn from(record: IamUserRecord) -> UserView {
        let IamUserRecord { name, user_id, path, arn, created_at } = record;
        UserView { name, user_id, path, arn, created_at }
    }
}

/// An access key as ListAccessKeys shows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyView {
    pub user_name: String,
    pub access_key_id: String,
    pub status: String,
    pub created_at: i64,
}

/// A key just made: its secret is shown this once and kept only sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessKey {
    pub key: AccessKeyView,
    pub secret_access_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyView {
    pub arn: String,
    pub name: String,
    pub policy_id: String,
    pub path: String,
    pub description: Option<String>,
    pub default_version: String,
    pub attachment_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionView {
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub created_at: i64,
}

/// What CreatePolicy takes besides the name and document.
#[derive(Debug, Clone, Default)]
pub struct PolicySettings {
    pub path: Option<String>,
    pub description: Option<String>,
}

/// What a managed policy is attached to, by name.
#[derive(Debug, Clone, Copy)]
pub enum Attachment<'a> {
    Role(&'a str),
    User(&'a str),
}

fn no_such_user(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("The user with name {name} cannot be found."))
}

fn no_such_policy(arn: &str) -> ServiceError {
    ServiceError::NotFound(format!("Policy {arn} does not exist or is not attachable."))
}

fn conflict(message: &str) -> ServiceError {
    ServiceError::DeleteConflict(message.to_owned())
}

fn check_status(status: &str) -> Result<()> {
    if status == ACTIVE || status == INACTIVE {
        return Ok(());
    }
    Err(InvalidMember::error("status", Some(status.to_owned()), "Member must satisfy enum value set: [Active, Inactive]"))
}

impl Identity {
    // ---- users ----

    pub async fn create_user(&self, name: &str, path: Option<String>) -> Result<UserView> {
        check_iam_name("userName", name, 64)?;
        let path = path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        let record = IamUserRecord {
            name: name.to_owned(),
            user_id: format!("AIDA{}", random::random_from_alphabet(17, ID_ALPHABET)),
            arn: arn::user(&self.settings.account_id, &path, name),
            path,
            created_at: self.now(),
        };
        match self.store.insert_iam_user(&record).await {
            Ok(()) => Ok(record.into()),
            Err(MetaError::Conflict) => Err(ServiceError::AlreadyExists(format!("User with name {name} already exists."))),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get_iam_user(&self, name: &str) -> Result<UserView> {
        self.store.iam_user(name).await?.map(UserView::from).ok_or_else(|| no_such_user(name))
    }

    /// Users in name order after `marker`, with a marker for the next page when there is one.
    pub async fn list_iam_users(&self, path_prefix: Option<&str>, marker: Option<&str>, max_items: Option<i64>) -> Result<(Vec<UserView>, Option<String>)> {
        let limit = max_items.unwrap_or(100).clamp(1, 1000);
        let mut users = Vec::new();
        let mut after = marker.map(str::to_owned);
        loop {
            let batch = self.store.iam_users(after.as_deref(), limit + 1).await?;
            let exhausted = batch.len() as i64 <= limit;
            for user in batch {
                after = Some(user.name.clone());
                if path_prefix.is_none_or(|prefix| user.path.starts_with(prefix)) {
                    users.push(UserView::from(user));
                }
            }
            if exhausted || users.len() as i64 > limit {
                break;
            }
        }
        if users.len() as i64 > limit {
            users.truncate(limit as usize);
            let next = users.last().map(|user| user.name.clone());
            return Ok((users, next));
        }
        Ok((users, None))
    }

    /// Deletes a user left with no access keys and no policies, as IAM insists.
    pub async fn delete_iam_user(&self, name: &str) -> Result<()> {
        match self.store.delete_iam_user(name).await? {
            IamDeletion::Deleted => Ok(()),
            IamDeletion::NotFound => Err(no_such_user(name)),
            IamDeletion::InUse => {
                let message = if !self.store.user_access_keys(name).await?.is_empty() {
                    "Cannot delete entity, must delete access keys first."
                } else if !self.store.user_policies(name).await?.is_empty() {
                    "Cannot delete entity, must delete policies first."
                } else {
                    "Cannot delete entity, must detach all policies first."
                };
                Err(conflict(message))
            }
        }
    }

    pub async fn put_user_policy(&self, user_name: &str, policy_name: &str, document: &str) -> Result<()> {
        check_iam_name("policyName", policy_name, 128)?;
        parse_policy(document, false)?;
        self.get_iam_user(user_name).await?;
        Ok(self.store.put_user_policy(user_name, policy_name, document).await?)
    }

    /// The user's stored name and the policy document.
    pub async fn get_user_policy(&self, user_name: &str, policy_name: &str) -> Result<(String, String)> {
        let user = self.get_iam_user(user_name).await?;
        self.store
            .user_policies(user_name)
            .await?
            .into_iter()
            .find(|(name, _)| name == policy_name)
            .map(|(_, document)| (user.name, document))
            .ok_or_else(|| ServiceError::NotFound(format!("The user policy with name {policy_name} cannot be found.")))
    }

    pub async fn list_user_policies(&self, user_name: &str) -> Result<Vec<String>> {
        self.get_iam_user(user_name).await?;
        Ok(self.store.user_policies(user_name).await?.into_iter().map(|(name, _)| name).collect())
    }

    pub async fn delete_user_policy(&self, user_name: &str, policy_name: &str) -> Result<()> {
        self.get_iam_user(user_name).await?;
        if self.store.delete_user_policy(user_name, policy_name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("The user policy with name {policy_name} cannot be found.")))
        }
    }

    // ---- access keys ----

    /// A new key for the user, at most two a user; the secret is returned this once.
    pub async fn create_access_key(&self, user_name: &str) -> Result<NewAccessKey> {
        let user = self.get_iam_user(user_name).await?;
        let access_key_id = access::new_access_key_id("AKIA");
        let secret_access_key = access::new_secret_access_key();
        let record = AccessKeyRecord {
            sealed_secret: Some(self.access.seal_secret(&access_key_id, &secret_access_key)),
            access_key_id,
            secret_access_key: String::new(),
            principal: format!("user/{}", user.name),
            created_at: self.now(),
            user_name_key: Some(user.name.to_lowercase()),
            status: ACTIVE.to_owned(),
        };
        match self.store.insert_user_access_key(&record, ACCESS_KEYS_PER_USER).await? {
            Capped::Added(()) => {}
            Capped::Full => {
                return Err(ServiceError::QuotaExceeded(format!("Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")));
            }
            Capped::Missing => return Err(no_such_user(user_name)),
        }
        let key = AccessKeyView { user_name: user.name, access_key_id: record.access_key_id, status: record.status, created_at: record.created_at };
        Ok(NewAccessKey { key, secret_access_key })
    }

    pub async fn list_access_keys(&self, user_name: &str) -> Result<Vec<AccessKeyView>> {
        let user = self.get_iam_user(user_name).await?;
        Ok(self
            .store
            .user_access_keys(user_name)
            .await?
            .into_iter()
            .map(|key| AccessKeyView { user_name: user.name.clone(), access_key_id: key.access_key_id, status: key.status, created_at: key.created_at })
            .collect())
    }

    /// Makes a key Active or Inactive; an inactive key signs nothing from the next request on.
    pub async fn update_access_key(&self, user_name: &str, access_key_id: &str, status: &str) -> Result<()> {
        check_status(status)?;
        self.get_iam_user(user_name).await?;
        if self.store.set_access_key_status(user_name, access_key_id, status).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("The Access Key with id {access_key_id} cannot be found.")))
        }
    }

    pub async fn delete_access_key(&self, user_name: &str, access_key_id: &str) -> Result<()> {
        self.get_iam_user(user_name).await?;
        if self.store.delete_user_access_key(user_name, access_key_id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("The Access Key with id {access_key_id} cannot be found.")))
        }
    }

    // ---- managed policies ----

    pub async fn create_policy(&self, name: &str, document: &str, settings: PolicySettings) -> Result<PolicyView> {
        check_iam_name("policyName", name, 128)?;
        let path = settings.path.unwrap_or_else(|| "/".to_owned());
        check_path(&path)?;
        parse_policy(document, false)?;
        if settings.description.as_ref().is_some_and(|description| description.chars().count() > 1000) {
            return Err(ServiceError::Invalid("The description may hold at most 1000 characters.".to_owned()));
        }
        let now = self.now();
        let record = ManagedPolicyRecord {
            arn: arn::policy(&self.settings.account_id, &path, name),
            name: name.to_owned(),
            policy_id: format!("ANPA{}", random::random_from_alphabet(17, ID_ALPHABET)),
            path,
            description: settings.description,
            default_version: "v1".to_owned(),
            next_version: 2,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_managed_policy(&record, document).await {
            Ok(()) => Ok(policy_view(record, 0)),
            Err(MetaError::Conflict) => Err(ServiceError::AlreadyExists(format!(
                "A policy called {name} already exists. Duplicate names are not allowed."
            ))),
            Err(other) => Err(other.into()),
        }
    }

    pub async fn get_policy(&self, arn: &str) -> Result<PolicyView> {
        let record = self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        let attachments = self.store.attachment_count(arn).await?;
        Ok(policy_view(record, attachments))
    }

    /// Policies by ARN after `marker`. There are no AWS managed policies here: scope `AWS` lists none.
    pub async fn list_policies(
        &self,
        scope: Option<&str>,
        only_attached: bool,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i64>,
    ) -> Result<(Vec<PolicyView>, Option<String>)> {
        if scope == Some("AWS") {
            return Ok((Vec::new(), None));
        }
        let limit = max_items.unwrap_or(100).clamp(1, 1000);
        let mut policies = Vec::new();
        let mut after = marker.map(str::to_owned);
        loop {
            let batch = self.store.managed_policies(after.as_deref(), limit + 1, only_attached).await?;
            let exhausted = batch.len() as i64 <= limit;
            for policy in batch {
                after = Some(policy.arn.clone());
                if path_prefix.is_none_or(|prefix| policy.path.starts_with(prefix)) {
                    let attachments = self.store.attachment_count(&policy.arn).await?;
                    policies.push(policy_view(policy, attachments));
                }
            }
            if exhausted || policies.len() as i64 > limit {
                break;
            }
        }
        if policies.len() as i64 > limit {
            policies.truncate(limit as usize);
            let next = policies.last().map(|policy| policy.arn.clone());
            return Ok((policies, next));
        }
        Ok((policies, None))
    }

    pub async fn delete_policy(&self, arn: &str) -> Result<()> {
        match self.store.delete_managed_policy(arn).await? {
            IamDeletion::Deleted => Ok(()),
            IamDeletion::NotFound => Err(no_such_policy(arn)),
            IamDeletion::InUse if self.store.attachment_count(arn).await? > 0 => Err(conflict("Cannot delete a policy attached to entities.")),
            IamDeletion::InUse => Err(conflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. \
                 The default version is deleted with the policy.",
            )),
        }
    }

    pub async fn create_policy_version(&self, arn: &str, document: &str, set_as_default: bool) -> Result<PolicyVersionView> {
        parse_policy(document, false)?;
        self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        let now = self.now();
        let version_id = match self.store.insert_policy_version(arn, document, set_as_default, VERSIONS_PER_POLICY, now).await? {
            Capped::Added(version_id) => version_id,
            Capped::Full => {
                return Err(ServiceError::QuotaExceeded(
                    "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
                        .to_owned(),
                ));
            }
            Capped::Missing => return Err(no_such_policy(arn)),
        };
        Ok(PolicyVersionView { version_id, document: document.to_owned(), is_default: set_as_default, created_at: now })
    }

    pub async fn get_policy_version(&self, arn: &str, version_id: &str) -> Result<PolicyVersionView> {
        let policy = self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        let version = self.store.policy_version(arn, version_id).await?.ok_or_else(|| no_such_version(arn, version_id))?;
        Ok(version_view(version, &policy.default_version))
    }

    pub async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionView>> {
        let policy = self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        let versions = self.store.policy_versions(arn).await?;
        Ok(versions.into_iter().rev().map(|version| version_view(version, &policy.default_version)).collect())
    }

    pub async fn set_default_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        if self.store.set_default_policy_version(arn, version_id, self.now()).await? {
            Ok(())
        } else {
            Err(no_such_version(arn, version_id))
        }
    }

    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        match self.store.delete_policy_version(arn, version_id).await? {
            IamDeletion::Deleted => Ok(()),
            IamDeletion::NotFound => Err(no_such_version(arn, version_id)),
            IamDeletion::InUse => Err(conflict("Cannot delete the default version of a policy.")),
        }
    }

    // ---- attachments ----

    /// Attaches a managed policy to a role or user (again is a no-op), at most ten to one of them.
    pub async fn attach_policy(&self, to: Attachment<'_>, arn: &str) -> Result<()> {
        let (kind, name) = self.attachment_target(to).await?;
        self.store.managed_policy(arn).await?.ok_or_else(|| no_such_policy(arn))?;
        let (quota, missing) = match kind {
            AttachedTo::Role => ("PoliciesPerRole", format!("The role with name {name} cannot be found.")),
            AttachedTo::User => ("PoliciesPerUser", format!("The user with name {name} cannot be found.")),
        };
        match self.store.attach_policy(arn, kind, &name, ATTACHED_POLICIES).await? {
            Capped::Added(()) => Ok(()),
            Capped::Full => Err(ServiceError::QuotaExceeded(format!("Cannot exceed quota for {quota}: {ATTACHED_POLICIES}"))),
            Capped::Missing => Err(ServiceError::NotFound(missing)),
        }
    }

    pub async fn detach_policy(&self, to: Attachment<'_>, arn: &str) -> Result<()> {
        let (kind, name) = self.attachment_target(to).await?;
        if self.store.detach_policy(arn, kind, &name).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound(format!("Policy {arn} was not found.")))
        }
    }

    /// The policies attached to a role or user: (name, ARN).
    pub async fn attached_policies(&self, to: Attachment<'_>) -> Result<Vec<(String, String)>> {
        let (kind, name) = self.attachment_target(to).await?;
        Ok(self.store.attached_policies(kind, &name).await?.into_iter().map(|policy| (policy.name, policy.arn)).collect())
    }

    /// The role or user an attachment names, which must exist.
    async fn attachment_target(&self, to: Attachment<'_>) -> Result<(AttachedTo, String)> {
        match to {
            Attachment::Role(name) => {
                let role = self.store.role(name).await?.ok_or_else(|| ServiceError::NotFound(format!("The role with name {name} cannot be found.")))?;
                Ok((AttachedTo::Role, role.name))
            }
            Attachment::User(name) => Ok((AttachedTo::User, self.get_iam_user(name).await?.name)),
        }
    }
}

fn no_such_version(arn: &str, version_id: &str) -> ServiceError {
    ServiceError::NotFound(format!("Policy {arn} version {version_id} does not exist or is not attachable."))
}

fn policy_view(record: ManagedPolicyRecord, attachment_count: i64) -> PolicyView {
    let ManagedPolicyRecord { arn, name, policy_id, path, description, default_version, created_at, updated_at, .. } = record;
    PolicyView { arn, name, policy_id, path, description, default_version, attachment_count, created_at, updated_at }
}

fn version_view(version: PolicyVersionRecord, default_version: &str) -> PolicyVersionView {
    PolicyVersionView {
        is_default: version.version_id == default_version,
        version_id: version.version_id,
        document: version.document,
        created_at: version.created_at,
    }
}
