//! The one authorization decision every entry point makes: may this caller run this operation on what
//! the request names? The wire layer decides the operation and reads the resources off the request;
//! the table from operations to IAM actions and ARNs, and the rule for telling a caller that a key is
//! missing, live here.
//!
//! The account's own keys pass through the same call and are allowed without evaluating a policy;
//! temporary credentials get what their role's policies allow (`Identity::authorize`). A request naming a
//! bucket with a policy is decided as S3 decides it within one account: an explicit Deny in the bucket
//! policy or the caller's own policies refuses (the account's own keys included, except to read, change or
//! delete that policy, so a bucket can always be recovered); otherwise an Allow in either allows.

use std::borrow::Cow;

use s3cognito_types::arn;
use s3cognito_types::operation::{self, Authorization, Operation};

use crate::access::{Principal, PrincipalKind};
use crate::error::{AuthenticationError, Result, ServiceError};
use crate::identity::Identity;
use crate::kms::KeyAccess;
use crate::objects::{ObjectError, Objects};
use crate::uploads::PoolUser;

/// Who calls: nobody in particular (no signature), a verified principal, or a user of the deployment's
/// pool with a verified token.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    Anonymous,
    Signed(&'a Principal),
    PoolUser(&'a PoolUser),
}

/// What a request names beside its operation.
#[derive(Debug, Clone, Default)]
pub enum Resource<'a> {
    /// No particular resource (ListUserPools, CreateRole without a name yet known): `*`.
    #[default]
    Any,
    UserPool(&'a str),
    IdentityPool(&'a str),
    /// An IAM role by name.
    Role(&'a str),
    /// An IAM user by name.
    IamUser(&'a str),
    /// A managed policy by ARN.
    IamPolicy(&'a str),
    /// An OpenID Connect provider by ARN.
    OidcProvider(&'a str),
    S3(S3Resource<'a>),
    /// An object a pool user names through the upload routes, by its key.
    UserFile(&'a str),
    /// A KMS alias by ARN (the key it points at is authorized with `Authorizer::authorize_key`).
    KmsAlias(&'a str),
    /// The deployment's monitoring (its audit log, the dashboard's figures): for the account's own keys,
    /// credentials whose policies allow the operation, and members of the pool's administrators group.
    Monitoring,
}

/// What an S3 request names: its bucket and key, the condition keys a listing sets, and a copy's source.
#[derive(Debug, Clone, Default)]
pub struct S3Resource<'a> {
    pub bucket: Option<&'a str>,
    /// The object's key; for a browser form (PostObject), the key its `key` field names.
    pub key: Option<&'a str>,
    /// `s3:prefix`, `s3:delimiter`, `s3:max-keys` of a listing, with the values the request gave.
    pub listing: Vec<(&'static str, String)>,
    /// The bucket and key `x-amz-copy-source` names, when it could be read.
    pub copy_source: Option<(&'a str, &'a str)>,
    /// The tags a write asks the object to carry (`x-amz-tagging`), for `s3:RequestObjectTag/<key>` and
    /// `s3:RequestObjectTagKeys`.
    pub request_tags: Vec<(String, String)>,
    /// The encryption a write asks for, as `s3:x-amz-server-side-encryption` and
    /// `s3:x-amz-server-side-encryption-aws-kms-key-id` state it (empty when it names none).
    pub encryption_keys: Vec<(&'static str, String)>,
    /// The object's current tags when the caller already read them (`None`: read them if a decision needs
    /// them).
    pub existing_tags: Option<Vec<(String, String)>>,
    /// The request names a version (`versionId`, or a copy source's): reading, deleting or tagging it needs
    /// the version actions (`s3:GetObjectVersion`…), as in S3.
    pub names_version: bool,
}

/// The action an object operation needs when it names a version.
fn version_action(operation: operation::S3) -> Option<&'static str> {
    use operation::S3 as Op;
    match operation {
        Op::GetObject | Op::HeadObject => Some("s3:GetObjectVersion"),
        Op::GetObjectAttributes => Some("s3:GetObjectVersionAttributes"),
        Op::DeleteObject => Some("s3:DeleteObjectVersion"),
        Op::GetObjectTagging => Some("s3:GetObjectVersionTagging"),
        Op::PutObjectTagging => Some("s3:PutObjectVersionTagging"),
        Op::DeleteObjectTagging => Some("s3:DeleteObjectVersionTagging"),
        Op::GetObjectAcl => Some("s3:GetObjectVersionAcl"),
        Op::PutObjectAcl => Some("s3:PutObjectVersionAcl"),
        _ => None,
    }
}

/// The operations that write an object's bytes, whose policies may test the encryption asked for.
fn writes_object(operation: operation::S3) -> bool {
    use operation::S3 as Op;
    matches!(operation, Op::PutObject | Op::PostObject | Op::CopyObject | Op::CreateMultipartUpload)
}

/// The operations whose policies may test the object's current tags (`s3:ExistingObjectTag/<key>`).
fn reads_existing_tags(operation: operation::S3) -> bool {
    use operation::S3 as Op;
    matches!(
        operation,
        Op::GetObject | Op::HeadObject | Op::GetObjectTagging | Op::PutObjectTagging | Op::DeleteObjectTagging | Op::GetObjectAcl | Op::PutObjectAcl
    )
}

/// One permission a request needs: an IAM action on a resource, with the condition keys it sets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Check {
    action: &'static str,
    resource: String,
    keys: Vec<(Cow<'static, str>, Vec<String>)>,
}

impl Check {
    fn new(action: &'static str, resource: String) -> Check {
        Check { action, resource, keys: Vec::new() }
    }

    /// The condition keys as the policy evaluation takes them.
    fn key_refs(&self) -> Vec<(&str, Vec<String>)> {
        self.keys.iter().map(|(key, values)| (key.as_ref(), values.clone())).collect()
    }
}

/// Makes every authorization decision. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Authorizer {
    identity: Identity,
    /// Where bucket policies are read.
    objects: Objects,
}

impl Authorizer {
    pub fn new(identity: Identity, objects: Objects) -> Authorizer {
        Authorizer { identity, objects }
    }

    /// Whether `caller` may run `operation` on `resource`. Public operations are open to anyone;
    /// signed ones need a principal, and a principal with temporary credentials needs every permission
    /// the operation's table row names allowed by its policies.
    pub async fn authorize(&self, caller: Caller<'_>, operation: Operation, resource: &Resource<'_>) -> Result<()> {
        let principal = match (operation.authorization(), caller) {
            (Authorization::Public, _) => return Ok(()),
            (_, Caller::Anonymous) => {
                return Err(ServiceError::Authentication(AuthenticationError::MissingAuthenticationToken));
            }
            (Authorization::UserPoolToken, Caller::PoolUser(user)) => return user_file_check(user, resource),
            (Authorization::UserPoolToken, Caller::Signed(_)) | (Authorization::Signed | Authorization::SignedByAnyone, Caller::PoolUser(_)) => {
                return Err(ServiceError::NotAuthorized("This operation takes another kind of credentials.".to_owned()));
            }
            (Authorization::SignedByAnyone, Caller::Signed(_)) => return Ok(()),
            (Authorization::Signed, Caller::Signed(principal)) => principal,
        };
        if let (Resource::S3(target), Operation::S3(s3_operation)) = (resource, operation)
            && let Some(bucket) = target.bucket
        {
            let internal = |error: ObjectError| match error {
                ObjectError::Internal(cause) => ServiceError::Internal(cause),
                other => ServiceError::Internal(other.to_string()),
            };
            let policy = self.objects.bucket_policy(bucket).await.map_err(internal)?;
            // A policy may test the object's tags: they are read for the callers policies decide for.
            let existing = match &target.existing_tags {
                Some(tags) => tags.clone(),
                None if reads_existing_tags(s3_operation) && (!principal.is_root() || policy.is_some()) => {
                    self.existing_tags(bucket, target.key).await.map_err(internal)?
                }
                None => Vec::new(),
            };
            let mut checks = with_tag_keys(s3_checks(s3_operation, target), &existing, &target.request_tags);
            if writes_object(s3_operation) {
                for check in &mut checks {
                    check.keys.extend(target.encryption_keys.iter().map(|(key, value)| (Cow::Borrowed(*key), vec![value.clone()])));
                }
            }
            if let Some(policy) = policy {
                return self.authorize_with_bucket_policy(principal, s3_operation, checks, &policy).await;
            }
            if principal.is_root() {
                return Ok(());
            }
            for check in checks {
                self.identity.authorize(principal, check.action, &check.resource, &check.key_refs()).await?;
            }
            return Ok(());
        }
        if principal.is_root() {
            return Ok(());
        }
        for check in self.checks(operation, resource) {
            self.identity.authorize(principal, check.action, &check.resource, &check.key_refs()).await?;
        }
        Ok(())
    }

    /// Whether `principal` may run `operation` on a bucket with `policy`, as S3 decides within one account.
    async fn authorize_with_bucket_policy(
        &self,
        principal: &Principal,
        operation: operation::S3,
        checks: Vec<Check>,
        policy: &s3cognito_types::policy::PolicyDocument,
    ) -> Result<()> {
        use operation::S3 as Op;
        use s3cognito_types::policy::{Decision, Principal as PolicyPrincipal, ResourceDecision, evaluate_resource};
        let recovers = principal.is_root() && matches!(operation, Op::GetBucketPolicy | Op::PutBucketPolicy | Op::DeleteBucketPolicy);
        if recovers {
            return Ok(());
        }
        for check in checks {
            let request = self.identity.request_context(principal, check.action, &check.resource, &check.key_refs());
            let own = if principal.is_root() { Decision::Allow } else { self.identity.identity_decision(principal, &request).await? };
            let mut by_bucket = ResourceDecision::ImplicitDeny;
            for arn in self.principal_arns(principal) {
                let decision = evaluate_resource(policy, &request.clone().with_principal(PolicyPrincipal::Aws(arn)));
                by_bucket = strongest(by_bucket, decision);
            }
            let allowed = match (by_bucket, own) {
                (ResourceDecision::ExplicitDeny, _) | (_, Decision::ExplicitDeny) => false,
                (ResourceDecision::AllowCaller, _) | (_, Decision::Allow) => true,
                _ => false,
            };
            if !allowed {
                return Err(self.identity.denied(principal, check.action, &check.resource));
            }
        }
        Ok(())
    }

    /// The tags of the object at `key`, if there is one (a missing object has none, and the request is
    /// answered as missing later).
    async fn existing_tags(&self, bucket: &str, key: Option<&str>) -> std::result::Result<Vec<(String, String)>, ObjectError> {
        let (Ok(bucket), Some(Ok(key))) = (s3cognito_types::BucketName::parse(bucket), key.map(|key| s3cognito_types::ObjectKey::parse(key.to_owned()))) else {
            return Ok(Vec::new());
        };
        match self.objects.object_tags(&bucket, &key).await {
            Ok(tags) => Ok(tags.pairs().to_vec()),
            Err(ObjectError::NoSuchKey | ObjectError::NoSuchBucket) => Ok(Vec::new()),
            Err(other) => Err(other),
        }
    }

    /// Whether `principal` may do `action` with a KMS key, decided as KMS decides: an explicit Deny in the
    /// key policy or in the caller's own policies refuses; otherwise a key policy statement naming the
    /// caller allows, and one naming only its account (the default policy's "Enable IAM User
    /// Permissions") allows when the caller's own policies allow too. The account's own keys are held to
    /// the key policy like anyone.
    pub async fn authorize_key(&self, principal: &Principal, action: &'static str, key: &KeyAccess) -> Result<()> {
        use s3cognito_types::policy::{Decision, PolicyDocument, Principal as PolicyPrincipal, ResourceDecision, evaluate_resource};
        let keys: Vec<(&str, Vec<String>)> = key.keys.iter().map(|(name, values)| (name.as_str(), values.clone())).collect();
        let request = self.identity.request_context(principal, action, &key.arn, &keys);
        let own = self.identity.identity_decision(principal, &request).await?;
        let policy = PolicyDocument::parse(&key.policy).map_err(|error| {
            tracing::error!(key = %key.arn, %error, "stored key policy does not parse");
            self.identity.denied(principal, action, &key.arn)
        })?;
        let mut by_key = ResourceDecision::ImplicitDeny;
        for arn in self.principal_arns(principal) {
            let decision = evaluate_resource(&policy, &request.clone().with_principal(PolicyPrincipal::Aws(arn)));
            by_key = strongest(by_key, decision);
        }
        let allowed = match (by_key, own) {
            (ResourceDecision::ExplicitDeny, _) | (_, Decision::ExplicitDeny) => false,
            (ResourceDecision::AllowCaller, _) => true,
            (ResourceDecision::AllowAccount, own) => own == Decision::Allow,
            (ResourceDecision::ImplicitDeny, _) => false,
        };
        if allowed { Ok(()) } else { Err(self.identity.denied(principal, action, &key.arn)) }
    }

    /// The ARNs a resource policy may name the caller by: the account's root for its own keys; an IAM
    /// user's ARN; for temporary credentials, the assumed-role session and its role.
    pub fn principal_arns(&self, principal: &Principal) -> Vec<String> {
        match &principal.kind {
            PrincipalKind::Root => vec![arn::account_root(&self.identity.settings().account_id)],
            PrincipalKind::User(user) => vec![user.arn.clone()],
            PrincipalKind::Session(session) => vec![session.context.assumed_role_arn.clone(), session.role_arn.clone()],
        }
    }

    /// Whether a caller told that `key` is missing from `bucket` learns nothing it could not list: S3
    /// says NoSuchKey only to callers allowed to list that key's prefix, and AccessDenied to others.
    pub async fn may_learn_key_is_missing(&self, principal: &Principal, bucket: &str, key: &str) -> Result<bool> {
        let listing = S3Resource { bucket: Some(bucket), listing: vec![("s3:prefix", key.to_owned())], ..S3Resource::default() };
        match self.authorize(Caller::Signed(principal), operation::S3::ListObjectsV2.into(), &Resource::S3(listing)).await {
            Ok(()) => Ok(true),
            Err(ServiceError::AccessDenied(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The permissions `operation` on `resource` needs, as AWS documents them per operation.
    fn checks(&self, operation: Operation, resource: &Resource<'_>) -> Vec<Check> {
        let settings = self.identity.settings();
        let (region, account) = (settings.region.as_str(), settings.account_id.as_str());
        let named = match resource {
            Resource::Any | Resource::Monitoring => "*".to_owned(),
            Resource::UserPool(pool) => arn::user_pool(region, account, pool),
            Resource::IdentityPool(pool) => arn::identity_pool(region, account, pool),
            Resource::Role(name) => arn::role(account, "/", name),
            Resource::IamUser(name) => arn::user(account, "/", name),
            Resource::IamPolicy(policy) => (*policy).to_owned(),
            Resource::OidcProvider(provider) | Resource::KmsAlias(provider) => (*provider).to_owned(),
            Resource::UserFile(key) => arn::object("*", key),
            Resource::S3(target) => return match operation {
                Operation::S3(operation) => s3_checks(operation, target),
                _ => vec![Check::new(operation.action(), "*".to_owned())],
            },
        };
        vec![Check::new(operation.action(), named)]
    }
}

/// `checks` with the tag condition keys: `s3:ExistingObjectTag/<key>` from the object's tags, and
/// `s3:RequestObjectTag/<key>` and `s3:RequestObjectTagKeys` from the tags a write asks for.
fn with_tag_keys(mut checks: Vec<Check>, existing: &[(String, String)], requested: &[(String, String)]) -> Vec<Check> {
    if existing.is_empty() && requested.is_empty() {
        return checks;
    }
    for check in &mut checks {
        for (key, value) in existing {
            check.keys.push((Cow::Owned(format!("s3:ExistingObjectTag/{key}")), vec![value.clone()]));
        }
        for (key, value) in requested {
            check.keys.push((Cow::Owned(format!("s3:RequestObjectTag/{key}")), vec![value.clone()]));
        }
        if !requested.is_empty() {
            check.keys.push((Cow::Borrowed("s3:RequestObjectTagKeys"), requested.iter().map(|(key, _)| key.clone()).collect()));
        }
    }
    checks
}

/// What a resource policy says of a caller named by several ARNs (a session and its role): a Deny naming any
/// of them, else the widest Allow.
fn strongest(
    one: s3cognito_types::policy::ResourceDecision,
    other: s3cognito_types::policy::ResourceDecision,
) -> s3cognito_types::policy::ResourceDecision {
    use s3cognito_types::policy::ResourceDecision;
    match (one, other) {
        (ResourceDecision::ExplicitDeny, _) | (_, ResourceDecision::ExplicitDeny) => ResourceDecision::ExplicitDeny,
        (ResourceDecision::AllowCaller, _) | (_, ResourceDecision::AllowCaller) => ResourceDecision::AllowCaller,
        (ResourceDecision::AllowAccount, _) | (_, ResourceDecision::AllowAccount) => ResourceDecision::AllowAccount,
        _ => ResourceDecision::ImplicitDeny,
    }
}

/// A pool user acts only in its own namespace; what it names beside a file (its jobs, an upload's
/// parts) is filtered by owner where it is read.
fn user_file_check(user: &PoolUser, resource: &Resource<'_>) -> Result<()> {
    match resource {
        Resource::UserFile(key) if !user.owns(key) => {
            Err(ServiceError::AccessDenied("The file is not in the caller's own namespace.".to_owned()))
        }
        Resource::UserFile(_) | Resource::Any => Ok(()),
        Resource::Monitoring if user.admin => Ok(()),
        Resource::Monitoring => Err(ServiceError::AccessDenied("Only members of the administrators group may see this.".to_owned())),
        _ => Err(ServiceError::AccessDenied("A pool user may name only its own files.".to_owned())),
    }
}

/// S3's table: each operation's actions, on its bucket or its object, with its condition keys.
/// DeleteObjects needs nothing as a whole: each key it names is authorized as a DeleteObject.
fn s3_checks(operation: operation::S3, target: &S3Resource<'_>) -> Vec<Check> {
    use operation::S3 as Op;
    let bucket = target.bucket.map_or_else(|| arn::bucket("*"), arn::bucket);
    let object = || arn::object(target.bucket.unwrap_or("*"), target.key.unwrap_or(""));
    let action = version_action(operation).filter(|_| target.names_version).unwrap_or(operation.action());
    match operation {
        Op::ListBuckets => vec![Check::new(action, arn::bucket("*"))],
        Op::ListObjects | Op::ListObjectsV2 | Op::ListObjectVersions | Op::ListMultipartUploads => {
            let keys = target.listing.iter().map(|(key, value)| (Cow::Borrowed(*key), vec![value.clone()])).collect();
            vec![Check { action, resource: bucket, keys }]
        }
        Op::CreateBucket
        | Op::HeadBucket
        | Op::GetBucketLocation
        | Op::DeleteBucket
        | Op::GetBucketCors
        | Op::PutBucketCors
        | Op::DeleteBucketCors
        | Op::GetBucketEncryption
        | Op::PutBucketEncryption
        | Op::DeleteBucketEncryption
        | Op::GetBucketTagging
        | Op::PutBucketTagging
        | Op::DeleteBucketTagging
        | Op::GetBucketPolicy
        | Op::PutBucketPolicy
        | Op::DeleteBucketPolicy
        | Op::GetBucketPolicyStatus
        | Op::GetBucketAcl
        | Op::PutBucketAcl
        | Op::GetBucketOwnershipControls
        | Op::PutBucketOwnershipControls
        | Op::DeleteBucketOwnershipControls
        | Op::GetPublicAccessBlock
        | Op::PutPublicAccessBlock
        | Op::DeletePublicAccessBlock
        | Op::GetBucketVersioning
        | Op::PutBucketVersioning
        | Op::GetBucketLifecycleConfiguration
        | Op::PutBucketLifecycleConfiguration
        | Op::DeleteBucketLifecycle => vec![Check::new(action, bucket)],
        Op::DeleteObjects => Vec::new(),
        Op::GetObjectAttributes => {
            let read = if target.names_version { "s3:GetObjectVersion" } else { "s3:GetObject" };
            vec![Check::new(read, object()), Check::new(action, object())]
        }
        Op::CopyObject | Op::UploadPartCopy => {
            // A copy whose source header cannot be read is refused by s3s anyway; deny rather than guess.
            let source = target.copy_source.map_or_else(|| arn::bucket(""), |(bucket, key)| arn::object(bucket, key));
            let read = if target.names_version { "s3:GetObjectVersion" } else { "s3:GetObject" };
            vec![Check::new(action, object()), Check::new(read, source)]
        }
        Op::GetObject
        | Op::HeadObject
        | Op::PutObject
        | Op::PostObject
        | Op::DeleteObject
        | Op::CreateMultipartUpload
        | Op::UploadPart
        | Op::CompleteMultipartUpload
        | Op::AbortMultipartUpload
        | Op::ListParts
        | Op::GetObjectTagging
        | Op::PutObjectTagging
        | Op::DeleteObjectTagging
        | Op::GetObjectAcl
        | Op::PutObjectAcl => vec![Check::new(action, object())],
    }
}
