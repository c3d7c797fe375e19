//! KMS: symmetric keys with versioned material, aliases, key policies, tags and rotation, and the
//! cryptographic operations on them (Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateRandom).
//!
//! Key material is 32 random bytes per version, sealed with the server's master key (bound to the key and
//! version, so a sealed version moved to another row does not open) and opened only to seal or open a
//! ciphertext blob; plaintext material never leaves this module. Blobs name their key and version
//! (`s3cognito_crypto::kms`), so Decrypt needs no key id and every version decrypts after a rotation.
//!
//! Whether a caller may use a key is decided by `Authorizer::authorize_key`, from the key policy and the
//! caller's IAM policies together; this module gives it the key's policy and condition keys ([`KeyAccess`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use s3cognito_crypto::kms::{self as blob, KeyMaterial};
use s3cognito_meta::{KmsAliasRecord, KmsKeyRecord, KmsKeyVersionRecord, Store};
use s3cognito_types::arn;
use s3cognito_types::policy::PolicyDocument;

use crate::access::Access;
use crate::clock::Clock;
use crate::error::{InvalidMember, Result, ServiceError};

/// The key every deployment has from its first start, for its identity-pool users.
pub const DEFAULT_ALIAS: &str = "alias/s3cognito-default";
/// What a key's only policy is called.
pub const POLICY_NAME: &str = "default";
/// The largest plaintext Encrypt takes.
pub const MAX_PLAINTEXT: usize = 4096;
/// The largest data key or random string one call makes.
pub const MAX_GENERATED: usize = 1024;
/// Automatic rotation every this many days unless another period is asked.
pub const DEFAULT_ROTATION_DAYS: i64 = 365;
/// On-demand rotations a key may have in its life.
pub const MAX_ON_DEMAND_ROTATIONS: usize = 10;
const MAX_TAGS: usize = 50;
const MAX_POLICY_BYTES: usize = 32 * 1024;
const DAY: i64 = 86_400;

/// Refusals only KMS has, each with the code KMS gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KmsRefusal {
    /// The key is disabled: `DisabledException`.
    #[error("{0} is disabled.")]
    Disabled(String),
    /// The key's state does not allow the operation (it is pending deletion): `KMSInvalidStateException`.
    #[error("{0}")]
    InvalidState(String),
    /// A ciphertext that is not ours, is damaged, or was made with another encryption context.
    #[error("The ciphertext is invalid, or was encrypted with another encryption context.")]
    InvalidCiphertext,
    /// The KeyId names another key than the one the ciphertext was made with.
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    /// An operation the key's usage or spec does not support.
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("{0}")]
    InvalidAliasName(String),
    /// A tag key or value out of bounds, or too many tags.
    #[error("{0}")]
    Tag(String),
}

/// A key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
}

impl KeyState {
    pub const ALL: [KeyState; 3] = [KeyState::Enabled, KeyState::Disabled, KeyState::PendingDeletion];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Enabled => "Enabled",
            KeyState::Disabled => "Disabled",
            KeyState::PendingDeletion => "PendingDeletion",
        }
    }

    fn of(record: &KmsKeyRecord) -> KeyState {
        match record.state.as_str() {
            "Enabled" => KeyState::Enabled,
            "PendingDeletion" => KeyState::PendingDeletion,
            _ => KeyState::Disabled,
        }
    }
}

/// A key as DescribeKey shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyView {
    pub key_id: String,
    pub arn: String,
    pub account_id: String,
    pub description: String,
    pub state: KeyState,
    pub key_usage: String,
    pub key_spec: String,
    pub origin: String,
    pub created_at: i64,
    pub deletion_at: Option<i64>,
}

/// A key a request names, found: by id, key ARN, alias name or alias ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedKey {
    record: KmsKeyRecord,
    /// The alias the request named the key by (`kms:RequestAlias`).
    alias: Option<String>,
}

impl NamedKey {
    pub fn key_id(&self) -> &str {
        &self.record.key_id
    }

    pub fn state(&self) -> KeyState {
        KeyState::of(&self.record)
    }

    pub fn arn(&self) -> &str {
        &self.record.arn
    }
}

/// What authorizing a use of a key needs: its ARN, its key policy, and the condition keys of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAccess {
    pub arn: String,
    pub policy: String,
    pub keys: Vec<(String, Vec<String>)>,
}

/// A key's rotation settings and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStatus {
    pub enabled: bool,
    pub period_days: Option<i64>,
    pub next_rotation_at: Option<i64>,
}

/// One rotation of a key's material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub rotated_at: i64,
    /// `AUTOMATIC` or `ON_DEMAND`.
    pub rotation_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasView {
    pub name: String,
    pub arn: String,
    pub key_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What CreateKey is asked for.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    pub description: Option<String>,
    pub policy: Option<String>,
    pub key_usage: Option<String>,
    pub key_spec: Option<String>,
    pub origin: Option<String>,
    pub tags: Vec<(String, String)>,
    pub multi_region: bool,
}

/// A data key: its plaintext (for the caller to use and forget) and the same encrypted under the KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The KMS use cases. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Kms {
    store: Store,
    clock: Arc<dyn Clock>,
    access: Access,
    region: String,
    account_id: String,
}

/// The default key policy: the account's root, and through it the account's IAM policies, may do anything.
pub fn default_key_policy(account_id: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": arn::account_root(account_id)},
            "Action": "kms:*",
            "Resource": "*",
        }],
    })
    .to_string()
}

fn material_binding(key_id: &str, version: i64) -> Vec<u8> {
    format!("kms-key-material/{key_id}/{version}").into_bytes()
}

fn not_found(what: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("{what} is not found."))
}

/// Checks an alias name as KMS does: `alias/` and then letters, digits, `/`, `_` and `-`; `alias/aws/` is
/// AWS's own.
pub fn check_alias_name(name: &str) -> Result<()> {
    let Some(rest) = name.strip_prefix("alias/") else {
        return Err(KmsRefusal::InvalidAliasName("Alias must start with the prefix \"alias/\".".to_owned()).into());
    };
    if rest.is_empty() || name.len() > 256 || !rest.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"/_-".contains(&byte)) {
        return Err(KmsRefusal::InvalidAliasName(format!("Alias {name} is not a valid alias name.")).into());
    }
    if rest.starts_with("aws/") {
        return Err(ServiceError::NotAuthorized(format!("Alias {name} begins with reserved prefix alias/aws/.")));
    }
    Ok(())
}

fn check_tags(tags: &[(String, String)]) -> Result<()> {
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            return Err(KmsRefusal::Tag("A tag key is 1 to 128 characters and its value at most 256.".to_owned()).into());
        }
        if key.starts_with("aws:") {
            return Err(KmsRefusal::Tag("Tag keys beginning with aws: are reserved.".to_owned()).into());
        }
    }
    Ok(())
}

/// Checks a key policy: a policy document whose every statement names its principals, of at most 32 KiB.
fn check_policy(policy: &str) -> Result<PolicyDocument> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(ServiceError::MalformedPolicy("The key policy is larger than 32768 bytes.".to_owned()));
    }
    let document = PolicyDocument::parse(policy).map_err(|error| ServiceError::MalformedPolicy(error.to_string()))?;
    if !document.statements().iter().all(|statement| statement.has_principal()) {
        return Err(ServiceError::MalformedPolicy("Every statement of a key policy must name a Principal.".to_owned()));
    }
    Ok(document)
}

impl Kms {
    pub fn new(store: Store, clock: Arc<dyn Clock>, access: Access, region: String, account_id: String) -> Kms {
        Kms { store, clock, access, region, account_id }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn key_arn(&self, key_id: &str) -> String {
        arn::kms_key(&self.region, &self.account_id, key_id)
    }

    pub fn alias_arn(&self, alias: &str) -> String {
        arn::kms_alias(&self.region, &self.account_id, alias)
    }

    fn view(&self, record: &KmsKeyRecord) -> KeyView {
        KeyView {
            key_id: record.key_id.clone(),
            arn: record.arn.clone(),
            account_id: self.account_id.clone(),
            description: record.description.clone(),
            state: KeyState::of(record),
            key_usage: record.key_usage.clone(),
            key_spec: record.key_spec.clone(),
            origin: record.origin.clone(),
            created_at: record.created_at,
            deletion_at: record.deletion_at,
        }
    }

    /// A key by id, or `None` when there is none, or it was pending deletion and its time has come (then
    /// it is deleted now).
    async fn live_key(&self, key_id: &str) -> Result<Option<KmsKeyRecord>> {
        let Some(record) = self.store.kms_key(key_id).await? else { return Ok(None) };
        if record.deletion_at.is_some_and(|at| at <= self.now()) {
            self.store.delete_kms_key(key_id).await?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// The key `key_id` names: a key id, a key ARN, an alias name or an alias ARN, of this account and region.
    pub async fn resolve(&self, key_id: &str) -> Result<NamedKey> {
        let own_prefix = format!("arn:aws:kms:{}:{}:", self.region, self.account_id);
        let (alias, id) = if let Some(alias) = key_id.strip_prefix(&own_prefix).filter(|rest| rest.starts_with("alias/")) {
            (Some(alias.to_owned()), None)
        } else if let Some(id) = key_id.strip_prefix(&own_prefix).and_then(|rest| rest.strip_prefix("key/")) {
            (None, Some(id.to_owned()))
        } else if key_id.starts_with("arn:") {
            return Err(ServiceError::NotFound(format!("Invalid arn {key_id}")));
        } else if key_id.starts_with("alias/") {
            (Some(key_id.to_owned()), None)
        } else {
            (None, Some(key_id.to_owned()))
        };
        match (alias, id) {
            (Some(alias), _) => {
                let Some(record) = self.store.kms_alias(&alias).await? else {
                    return Err(not_found(format_args!("Alias {}", self.alias_arn(&alias))));
                };
                let key = self.live_key(&record.key_id).await?.ok_or_else(|| not_found(format_args!("Alias {}", self.alias_arn(&alias))))?;
                Ok(NamedKey { record: key, alias: Some(alias) })
            }
            (None, Some(id)) => {
                if uuid::Uuid::try_parse(&id).is_err() {
                    return Err(ServiceError::NotFound(format!("Invalid keyId '{key_id}'")));
                }
                let key = self.live_key(&id).await?.ok_or_else(|| not_found(format_args!("Key '{}'", self.key_arn(&id))))?;
                Ok(NamedKey { record: key, alias: None })
            }
            (None, None) => Err(ServiceError::NotFound(format!("Invalid keyId '{key_id}'"))),
        }
    }

    /// The key a ciphertext blob was made with, as its header names it.
    pub async fn key_of_ciphertext(&self, ciphertext: &[u8]) -> Result<NamedKey> {
        let header = blob::blob_header(ciphertext).map_err(|_| KmsRefusal::InvalidCiphertext)?;
        let prefix = format!("arn:aws:kms:{}:{}:key/", self.region, self.account_id);
        let Some(key_id) = header.key_arn.strip_prefix(&prefix) else {
            return Err(KmsRefusal::InvalidCiphertext.into());
        };
        let key = self.live_key(key_id).await?.ok_or_else(|| not_found(format_args!("Key '{}'", header.key_arn)))?;
        Ok(NamedKey { record: key, alias: None })
    }

    /// What deciding a use of `key` needs, with the condition keys KMS sets: the caller's account, the
    /// alias the request named, the key's aliases, its spec, and the encryption context, pair by pair.
    pub async fn access(&self, key: &NamedKey, context: Option<&BTreeMap<String, String>>) -> Result<KeyAccess> {
        let aliases: Vec<String> =
            self.store.list_kms_aliases(Some(&key.record.key_id), None, 1000).await?.into_iter().map(|alias| alias.name).collect();
        let mut keys = vec![
            ("kms:CallerAccount".to_owned(), vec![self.account_id.clone()]),
            ("kms:ResourceAliases".to_owned(), aliases),
            ("kms:KeySpec".to_owned(), vec![key.record.key_spec.clone()]),
            ("kms:KeyUsage".to_owned(), vec![key.record.key_usage.clone()]),
            ("kms:KeyOrigin".to_owned(), vec![key.record.origin.clone()]),
        ];
        if let Some(alias) = &key.alias {
            keys.push(("kms:RequestAlias".to_owned(), vec![alias.clone()]));
        }
        if let Some(context) = context {
            keys.push(("kms:EncryptionContextKeys".to_owned(), context.keys().cloned().collect()));
            for (name, value) in context {
                keys.push((format!("kms:EncryptionContext:{name}"), vec![value.clone()]));
            }
        }
        Ok(KeyAccess { arn: key.record.arn.clone(), policy: key.record.policy.clone(), keys })
    }

    // ---- keys ----

    /// Creates a key with fresh material. `creator` is the caller's ARN, which the key policy must let
    /// change the policy later unless `bypass_lockout_check`.
    pub async fn create_key(&self, new: NewKey, creator: &[String], bypass_lockout_check: bool) -> Result<KeyView> {
        let key_usage = new.key_usage.unwrap_or_else(|| "ENCRYPT_DECRYPT".to_owned());
        if key_usage != "ENCRYPT_DECRYPT" {
            return Err(KmsRefusal::InvalidKeyUsage(format!("KeyUsage {key_usage} is not supported: keys here are symmetric, for ENCRYPT_DECRYPT.")).into());
        }
        let key_spec = new.key_spec.unwrap_or_else(|| "SYMMETRIC_DEFAULT".to_owned());
        if key_spec != "SYMMETRIC_DEFAULT" {
            return Err(InvalidMember::error("keySpec", Some(key_spec), "Member must be SYMMETRIC_DEFAULT: keys here are symmetric"));
        }
        let origin = new.origin.unwrap_or_else(|| "AWS_KMS".to_owned());
        if origin != "AWS_KMS" {
            return Err(ServiceError::Invalid(format!("Origin {origin} is not supported: key material is made here (AWS_KMS).")));
        }
        if new.multi_region {
            return Err(ServiceError::Invalid("Multi-Region keys are not supported.".to_owned()));
        }
        let description = new.description.unwrap_or_default();
        if description.chars().count() > 8192 {
            return Err(InvalidMember::error("description", None, "Member must have length less than or equal to 8192"));
        }
        check_tags(&new.tags)?;
        if new.tags.len() > MAX_TAGS {
            return Err(KmsRefusal::Tag(format!("A key has at most {MAX_TAGS} tags.")).into());
        }
        let policy = new.policy.unwrap_or_else(|| default_key_policy(&self.account_id));
        let document = check_policy(&policy)?;
        let key_id = uuid::Uuid::new_v4().to_string();
        let arn = self.key_arn(&key_id);
        if !bypass_lockout_check {
            self.check_lockout(&document, &arn, creator)?;
        }
        let now = self.now();
        let record = KmsKeyRecord {
            key_id: key_id.clone(),
            arn,
            description,
            key_usage,
            key_spec,
            origin,
            state: KeyState::Enabled.as_str().to_owned(),
            policy,
            current_version: 1,
            rotation_period_days: None,
            next_rotation_at: None,
            deletion_at: None,
            created_at: now,
            updated_at: now,
        };
        let material = self.new_version(&key_id, 1, None);
        self.store.insert_kms_key(&record, &material, &new.tags).await?;
        tracing::info!(key = %key_id, "KMS key created");
        Ok(self.view(&record))
    }

    /// A policy that would not let its setter change it again is refused, as KMS does unless told to bypass.
    fn check_lockout(&self, document: &PolicyDocument, key_arn: &str, caller: &[String]) -> Result<()> {
        use s3cognito_types::policy::{Principal, RequestContext, ResourceDecision, evaluate_resource};
        let allows = caller.iter().any(|arn| {
            let request = RequestContext::new("kms:PutKeyPolicy", key_arn).with_principal(Principal::Aws(arn.clone()));
            matches!(evaluate_resource(document, &request), ResourceDecision::AllowCaller | ResourceDecision::AllowAccount)
        });
        if allows {
            Ok(())
        } else {
            Err(ServiceError::MalformedPolicy(
                "The new key policy will not allow you to update the key policy in the future.".to_owned(),
            ))
        }
    }

    fn new_version(&self, key_id: &str, version: i64, rotation_type: Option<&str>) -> KmsKeyVersionRecord {
        let material = KeyMaterial::generate();
        let sealed = self.access.seal(material.as_bytes(), &material_binding(key_id, version));
        KmsKeyVersionRecord {
            key_id: key_id.to_owned(),
            version,
            sealed_material: STANDARD.encode(sealed),
            rotation_type: rotation_type.map(str::to_owned),
            created_at: self.now(),
        }
    }

    async fn material(&self, key_id: &str, version: i64) -> Result<Option<KeyMaterial>> {
        let Some(record) = self.store.kms_key_version(key_id, version).await? else { return Ok(None) };
        let sealed = STANDARD.decode(&record.sealed_material).map_err(|_| ServiceError::Internal(format!("sealed material of {key_id} is not base64")))?;
        let opened = self
            .access
            .open(&sealed, &material_binding(key_id, version))
            .ok_or_else(|| ServiceError::Internal(format!("material of key {key_id} version {version} does not open with the master key")))?;
        KeyMaterial::from_slice(&opened).map(Some).ok_or_else(|| ServiceError::Internal(format!("material of key {key_id} has the wrong length")))
    }

    pub fn describe(&self, key: &NamedKey) -> KeyView {
        self.view(&key.record)
    }

    /// Key ids and ARNs in id order, a page at a time: the page and the marker of the next one.
    pub async fn list_keys(&self, marker: Option<&str>, limit: i64) -> Result<(Vec<KeyView>, Option<String>)> {
        let limit = limit.clamp(1, 1000);
        let mut records = self.store.list_kms_keys(marker, limit + 1).await?;
        let next = (records.len() as i64 > limit).then(|| {
            records.truncate(limit as usize);
            records.last().map(|record| record.key_id.clone()).unwrap_or_default()
        });
        Ok((records.iter().map(|record| self.view(record)).collect(), next))
    }

    pub async fn update_description(&self, key: &NamedKey, description: &str) -> Result<()> {
        self.refuse_pending_deletion(key)?;
        if description.chars().count() > 8192 {
            return Err(InvalidMember::error("description", None, "Member must have length less than or equal to 8192"));
        }
        self.store.set_kms_key_description(&key.record.key_id, description, self.now()).await?;
        Ok(())
    }

    fn refuse_pending_deletion(&self, key: &NamedKey) -> Result<()> {
        if KeyState::of(&key.record) == KeyState::PendingDeletion {
            return Err(KmsRefusal::InvalidState(format!("{} is pending deletion.", key.record.arn)).into());
        }
        Ok(())
    }

    /// A key must be enabled for any cryptographic operation: `DisabledException`, or
    /// `KMSInvalidStateException` for a key pending deletion.
    pub fn usable(&self, key: &NamedKey) -> Result<()> {
        match KeyState::of(&key.record) {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(KmsRefusal::Disabled(key.record.arn.clone()).into()),
            KeyState::PendingDeletion => Err(KmsRefusal::InvalidState(format!("{} is pending deletion.", key.record.arn)).into()),
        }
    }

    pub async fn enable_key(&self, key: &NamedKey) -> Result<()> {
        self.refuse_pending_deletion(key)?;
        self.store.set_kms_key_state(&key.record.key_id, KeyState::Enabled.as_str(), None, self.now()).await?;
        Ok(())
    }

    pub async fn disable_key(&self, key: &NamedKey) -> Result<()> {
        self.refuse_pending_deletion(key)?;
        self.store.set_kms_key_state(&key.record.key_id, KeyState::Disabled.as_str(), None, self.now()).await?;
        Ok(())
    }

    /// Schedules the key's deletion in `days` (7 to 30, 30 unless given); it refuses to work until then,
    /// unless the deletion is cancelled. The deletion's time.
    pub async fn schedule_deletion(&self, key: &NamedKey, days: Option<i64>) -> Result<i64> {
        let days = days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(InvalidMember::error(
                "pendingWindowInDays",
                Some(days.to_string()),
                "Member must have value greater than or equal to 7 and less than or equal to 30",
            ));
        }
        self.refuse_pending_deletion(key)?;
        let at = self.now() + days * DAY;
        self.store.set_kms_key_state(&key.record.key_id, KeyState::PendingDeletion.as_str(), Some(at), self.now()).await?;
        tracing::info!(key = %key.record.key_id, deletion_at = at, "KMS key scheduled for deletion");
        Ok(at)
    }

    /// Cancels a scheduled deletion; the key is left disabled, as KMS leaves it.
    pub async fn cancel_deletion(&self, key: &NamedKey) -> Result<()> {
        if KeyState::of(&key.record) != KeyState::PendingDeletion {
            return Err(KmsRefusal::InvalidState(format!("{} is not pending deletion.", key.record.arn)).into());
        }
        self.store.set_kms_key_state(&key.record.key_id, KeyState::Disabled.as_str(), None, self.now()).await?;
        Ok(())
    }

    /// Deletes the keys whose scheduled deletion has come; run now and then. How many went.
    pub async fn sweep_deleted_keys(&self) -> Result<u64> {
        let mut deleted = 0;
        for key_id in self.store.kms_keys_due_for_deletion(self.now()).await? {
            if self.store.delete_kms_key(&key_id).await? {
                tracing::info!(key = %key_id, "KMS key deleted as scheduled");
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    // ---- aliases ----

    pub async fn create_alias(&self, name: &str, target: &NamedKey) -> Result<()> {
        check_alias_name(name)?;
        self.refuse_pending_deletion(target)?;
        let now = self.now();
        let record = KmsAliasRecord { name: name.to_owned(), key_id: target.record.key_id.clone(), created_at: now, updated_at: now };
        self.store.insert_kms_alias(&record).await.map_err(|error| match error {
            s3cognito_meta::MetaError::Conflict => ServiceError::AlreadyExists(format!("An alias with the name {} already exists", self.alias_arn(name))),
            other => other.into(),
        })
    }

    /// The key an alias points at now.
    pub async fn alias_target(&self, name: &str) -> Result<NamedKey> {
        check_alias_name(name)?;
        self.resolve(name).await
    }

    pub async fn update_alias(&self, name: &str, target: &NamedKey) -> Result<()> {
        self.refuse_pending_deletion(target)?;
        if !self.store.update_kms_alias(name, &target.record.key_id, self.now()).await? {
            return Err(not_found(format_args!("Alias {}", self.alias_arn(name))));
        }
        Ok(())
    }

    pub async fn delete_alias(&self, name: &str) -> Result<()> {
        if !self.store.delete_kms_alias(name).await? {
            return Err(not_found(format_args!("Alias {}", self.alias_arn(name))));
        }
        Ok(())
    }

    /// Aliases in name order, of one key or all, a page at a time: the page and the next page's marker.
    pub async fn list_aliases(&self, key: Option<&NamedKey>, marker: Option<&str>, limit: i64) -> Result<(Vec<AliasView>, Option<String>)> {
        let limit = limit.clamp(1, 100);
        let mut records = self.store.list_kms_aliases(key.map(NamedKey::key_id), marker, limit + 1).await?;
        let next = (records.len() as i64 > limit).then(|| {
            records.truncate(limit as usize);
            records.last().map(|record| record.name.clone()).unwrap_or_default()
        });
        let views = records
            .into_iter()
            .map(|record| AliasView {
                arn: self.alias_arn(&record.name),
                name: record.name,
                key_id: record.key_id,
                created_at: record.created_at,
                updated_at: record.updated_at,
            })
            .collect();
        Ok((views, next))
    }

    // ---- cryptography ----

    /// The key's current material and its version, rotating first if an automatic rotation is due.
    async fn current_material(&self, key: &NamedKey) -> Result<(KeyMaterial, i64)> {
        let mut version = key.record.current_version;
        if key.record.next_rotation_at.is_some_and(|at| at <= self.now()) {
            version = self.rotate(&key.record, "AUTOMATIC").await?;
        }
        let material = self
            .material(&key.record.key_id, version)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("key {} has no material of version {version}", key.record.key_id)))?;
        Ok((material, version))
    }

    fn seal(&self, key: &NamedKey, material: &KeyMaterial, version: i64, context: &BTreeMap<String, String>, plaintext: &[u8]) -> Vec<u8> {
        let version = u32::try_from(version).unwrap_or(u32::MAX);
        blob::seal(material, &key.record.arn, version, context, plaintext)
    }

    /// Encrypts up to 4 KiB under the key, bound to `context`.
    pub async fn encrypt(&self, key: &NamedKey, plaintext: &[u8], context: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        metrics::counter!("s3cognito_kms_cryptographic_operations_total", "operation" => "encrypt").increment(1);
        self.usable(key)?;
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(InvalidMember::error("plaintext", None, "Member must have length less than or equal to 4096 and greater than or equal to 1"));
        }
        let (material, version) = self.current_material(key).await?;
        Ok(self.seal(key, &material, version, context, plaintext))
    }

    /// Decrypts a blob made by the key (`key`, found with [`Kms::key_of_ciphertext`]) with `context`.
    pub async fn decrypt(&self, key: &NamedKey, ciphertext: &[u8], context: &BTreeMap<String, String>) -> Result<Vec<u8>> {
        metrics::counter!("s3cognito_kms_cryptographic_operations_total", "operation" => "decrypt").increment(1);
        self.usable(key)?;
        let header = blob::blob_header(ciphertext).map_err(|_| KmsRefusal::InvalidCiphertext)?;
        if header.key_arn != key.record.arn {
            return Err(KmsRefusal::IncorrectKey.into());
        }
        let material = self.material(&key.record.key_id, i64::from(header.version)).await?.ok_or(KmsRefusal::InvalidCiphertext)?;
        blob::open(&material, ciphertext, context).map_err(|_| KmsRefusal::InvalidCiphertext.into())
    }

    /// A fresh data key of `bytes` bytes, in plaintext and encrypted under the key.
    pub async fn generate_data_key(&self, key: &NamedKey, bytes: usize, context: &BTreeMap<String, String>) -> Result<DataKey> {
        metrics::counter!("s3cognito_kms_cryptographic_operations_total", "operation" => "generate_data_key").increment(1);
        self.usable(key)?;
        if !(1..=MAX_GENERATED).contains(&bytes) {
            return Err(InvalidMember::error("numberOfBytes", Some(bytes.to_string()), "Member must have value less than or equal to 1024 and greater than or equal to 1"));
        }
        let (material, version) = self.current_material(key).await?;
        let plaintext = s3cognito_crypto::random::random_bytes(bytes);
        let ciphertext = self.seal(key, &material, version, context, &plaintext);
        Ok(DataKey { plaintext, ciphertext })
    }

    pub fn generate_random(&self, bytes: usize) -> Result<Vec<u8>> {
        if !(1..=MAX_GENERATED).contains(&bytes) {
            return Err(InvalidMember::error("numberOfBytes", Some(bytes.to_string()), "Member must have value less than or equal to 1024 and greater than or equal to 1"));
        }
        Ok(s3cognito_crypto::random::random_bytes(bytes))
    }

    // ---- rotation ----

    /// Makes a new version of the key's material current; the version now current (another rotation's,
    /// if one came at the same moment).
    async fn rotate(&self, record: &KmsKeyRecord, rotation_type: &str) -> Result<i64> {
        let version = record.current_version + 1;
        let material = self.new_version(&record.key_id, version, Some(rotation_type));
        let next = record.rotation_period_days.map(|days| self.now() + days * DAY);
        if !self.store.rotate_kms_key(&material, record.current_version, next).await? {
            let current = self.store.kms_key(&record.key_id).await?.ok_or_else(|| not_found(format_args!("Key '{}'", record.arn)))?;
            return Ok(current.current_version);
        }
        tracing::info!(key = %record.key_id, version, rotation_type, "KMS key material rotated");
        Ok(version)
    }

    pub async fn enable_rotation(&self, key: &NamedKey, period_days: Option<i64>) -> Result<()> {
        self.usable(key)?;
        let days = period_days.unwrap_or(DEFAULT_ROTATION_DAYS);
        if !(90..=2560).contains(&days) {
            return Err(InvalidMember::error(
                "rotationPeriodInDays",
                Some(days.to_string()),
                "Member must have value greater than or equal to 90 and less than or equal to 2560",
            ));
        }
        let next = self.now() + days * DAY;
        self.store.set_kms_key_rotation(&key.record.key_id, Some(days), Some(next), self.now()).await?;
        Ok(())
    }

    pub async fn disable_rotation(&self, key: &NamedKey) -> Result<()> {
        self.usable(key)?;
        self.store.set_kms_key_rotation(&key.record.key_id, None, None, self.now()).await?;
        Ok(())
    }

    pub fn rotation_status(&self, key: &NamedKey) -> Result<RotationStatus> {
        self.refuse_pending_deletion(key)?;
        Ok(RotationStatus {
            enabled: key.record.rotation_period_days.is_some(),
            period_days: key.record.rotation_period_days,
            next_rotation_at: key.record.next_rotation_at,
        })
    }

    /// Rotates the key's material now, at most [`MAX_ON_DEMAND_ROTATIONS`] times in its life.
    pub async fn rotate_on_demand(&self, key: &NamedKey) -> Result<()> {
        self.usable(key)?;
        let on_demand = self.rotations(key).await?.iter().filter(|rotation| rotation.rotation_type == "ON_DEMAND").count();
        if on_demand >= MAX_ON_DEMAND_ROTATIONS {
            return Err(ServiceError::QuotaExceeded(format!("{} has had its {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.", key.record.arn)));
        }
        self.rotate(&key.record, "ON_DEMAND").await?;
        Ok(())
    }

    /// Every rotation of the key's material, oldest first.
    pub async fn rotations(&self, key: &NamedKey) -> Result<Vec<Rotation>> {
        let versions = self.store.kms_key_versions(&key.record.key_id).await?;
        Ok(versions
            .into_iter()
            .filter_map(|version| Some(Rotation { rotated_at: version.created_at, rotation_type: version.rotation_type? }))
            .collect())
    }

    // ---- policy and tags ----

    pub fn policy(&self, key: &NamedKey, name: &str) -> Result<String> {
        if name != POLICY_NAME {
            return Err(ServiceError::NotFound(format!("No such policy exists: {name}")));
        }
        Ok(key.record.policy.clone())
    }

    /// Replaces the key policy; `caller` is the setter's ARNs, which the new policy must still let change
    /// it unless `bypass_lockout_check`.
    pub async fn put_policy(&self, key: &NamedKey, name: &str, policy: &str, caller: &[String], bypass_lockout_check: bool) -> Result<()> {
        if name != POLICY_NAME {
            return Err(ServiceError::NotFound(format!("No such policy exists: {name}")));
        }
        self.refuse_pending_deletion(key)?;
        let document = check_policy(policy)?;
        if !bypass_lockout_check {
            self.check_lockout(&document, &key.record.arn, caller)?;
        }
        self.store.set_kms_key_policy(&key.record.key_id, policy, self.now()).await?;
        Ok(())
    }

    pub async fn tag(&self, key: &NamedKey, tags: &[(String, String)]) -> Result<()> {
        self.refuse_pending_deletion(key)?;
        check_tags(tags)?;
        let existing = self.store.kms_tags(&key.record.key_id).await?;
        let total = existing.iter().filter(|(name, _)| !tags.iter().any(|(new, _)| new == name)).count() + tags.len();
        if total > MAX_TAGS {
            return Err(KmsRefusal::Tag(format!("A key has at most {MAX_TAGS} tags.")).into());
        }
        self.store.put_kms_tags(&key.record.key_id, tags).await?;
        Ok(())
    }

    pub async fn untag(&self, key: &NamedKey, tag_keys: &[String]) -> Result<()> {
        self.refuse_pending_deletion(key)?;
        self.store.delete_kms_tags(&key.record.key_id, tag_keys).await?;
        Ok(())
    }

    pub async fn tags(&self, key: &NamedKey) -> Result<Vec<(String, String)>> {
        Ok(self.store.kms_tags(&key.record.key_id).await?)
    }
}
