//! The bucket's settings and the object's tags and ACLs as S3 answers them: tagging, the bucket policy and
//! its status, Object Ownership, Block Public Access, ACLs (disabled, as on every new S3 bucket: the
//! owner's FULL_CONTROL is all there is), versioning's state, and where a bucket lives.

use s3cognito_service::objects::{Ownership, PublicAccessBlock, Tags, Versioning, lifecycle, parse_version_id};
use s3cognito_types::{BucketName, ObjectKey};
use s3s::dto::*;
use s3s::dto::TimestampFormat;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};

use crate::api::S3Api;
use crate::errors::to_s3;

type Out<T> = S3Result<S3Response<T>>;

fn bucket_name(name: &str) -> S3Result<BucketName> {
    BucketName::parse(name).map_err(|_| s3_error!(InvalidBucketName, "The specified bucket is not valid."))
}

fn object_key(key: &str) -> S3Result<ObjectKey> {
    ObjectKey::parse(key.to_owned()).map_err(|_| s3_error!(KeyTooLongError, "Your key is too long"))
}

/// An error S3 names by a code s3s has no constant for.
fn coded(code: &str, status: axum::http::StatusCode, message: &str) -> S3Error {
    let mut error = S3Error::with_message(S3ErrorCode::Custom(code.to_owned().into()), message.to_owned());
    error.set_status_code(status);
    error
}

/// What S3 says to an ACL write on a bucket whose ACLs are disabled.
fn acls_not_supported() -> S3Error {
    coded("AccessControlListNotSupported", axum::http::StatusCode::BAD_REQUEST, "The bucket does not allow ACLs")
}

/// The pairs of an S3 TagSet; a Tag without a key or value is malformed.
fn pairs(tag_set: TagSet) -> S3Result<Vec<(String, String)>> {
    tag_set
        .into_iter()
        .map(|tag| match (tag.key, tag.value) {
            (Some(key), Some(value)) => Ok((key, value)),
            _ => Err(s3_error!(MalformedXML, "Every Tag needs a Key and a Value")),
        })
        .collect()
}

fn tag_set(tags: &Tags) -> TagSet {
    tags.pairs().iter().map(|(key, value)| Tag { key: Some(key.clone()), value: Some(value.clone()) }).collect()
}

/// Tags as `x-amz-tagging` carries them: a URL query string, `key=value&…`, checked as an object's tags.
pub(crate) fn header_tags(header: Option<&str>) -> S3Result<Tags> {
    let Some(header) = header.filter(|header| !header.is_empty()) else { return Ok(Tags::default()) };
    let mut pairs = Vec::new();
    for pair in header.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| percent_encoding::percent_decode_str(&text.replace('+', " ")).decode_utf8().map(|text| text.into_owned());
        match (decode(key), decode(value)) {
            (Ok(key), Ok(value)) => pairs.push((key, value)),
            _ => return Err(s3_error!(InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")),
        }
    }
    Tags::new(pairs, s3cognito_service::objects::Tagged::Object).map_err(to_s3)
}

/// Whether the grant headers or canned ACL of a write give anything beyond the owner's FULL_CONTROL, which is
/// all a bucket with ACLs disabled keeps: `private` and `bucket-owner-full-control` do not.
pub(crate) fn grants_beyond_owner(canned: Option<&str>, grant_headers: &[Option<&String>]) -> bool {
    let canned_beyond = canned.is_some_and(|canned| !matches!(canned, "private" | "bucket-owner-full-control"));
    canned_beyond || grant_headers.iter().any(Option::is_some)
}

impl S3Api {
    /// The owner every listing and ACL names: the account, by a canonical id derived from it.
    pub(crate) fn owner(&self) -> Owner {
        let account = self.state.app.identity.settings().account_id.clone();
        Owner { id: Some(s3cognito_service::objects::canonical_user_id(&account)), display_name: Some(account) }
    }

    /// Refuses an ACL write that grants beyond the owner: `AccessControlListNotSupported` while the bucket's
    /// ACLs are disabled, and `AccessDenied` otherwise (public grants are blocked, and there is no one else in
    /// the account to grant to).
    pub(crate) async fn check_acl_write(&self, bucket: &BucketName, beyond_owner: bool) -> S3Result<()> {
        if !beyond_owner {
            return Ok(());
        }
        match self.objects().ownership(bucket).await.map_err(to_s3)? {
            Some(Ownership::BucketOwnerEnforced) => Err(acls_not_supported()),
            _ => Err(s3_error!(AccessDenied, "ACL grants beyond the bucket owner are blocked by the bucket's public access settings")),
        }
    }

    fn owner_full_control(&self) -> (Owner, Grants) {
        let owner = self.owner();
        let grantee = Grantee {
            display_name: owner.display_name.clone(),
            id: owner.id.clone(),
            type_: Type::from_static(Type::CANONICAL_USER),
            email_address: None,
            uri: None,
        };
        (owner, vec![Grant { grantee: Some(grantee), permission: Some(Permission::from_static(Permission::FULL_CONTROL)) }])
    }

    /// Whether an ACL document (PutBucketAcl's or PutObjectAcl's body) gives anything beyond the owner's
    /// FULL_CONTROL.
    fn policy_beyond_owner(&self, policy: Option<&AccessControlPolicy>) -> bool {
        let owner_id = self.owner().id;
        policy.and_then(|policy| policy.grants.as_ref()).is_some_and(|grants| {
            grants.iter().any(|grant| {
                let to_owner = grant.grantee.as_ref().is_some_and(|grantee| grantee.type_.as_str() == Type::CANONICAL_USER && grantee.id == owner_id);
                let full = grant.permission.as_ref().is_some_and(|permission| permission.as_str() == Permission::FULL_CONTROL);
                !(to_owner && full)
            })
        })
    }

    // ---- tagging ----

    pub(crate) async fn get_bucket_tagging_(&self, request: S3Request<GetBucketTaggingInput>) -> Out<GetBucketTaggingOutput> {
        let tags = self.objects().bucket_tags(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(GetBucketTaggingOutput { tag_set: tag_set(&tags) }))
    }

    pub(crate) async fn put_bucket_tagging_(&self, request: S3Request<PutBucketTaggingInput>) -> Out<PutBucketTaggingOutput> {
        let input = request.input;
        let pairs = pairs(input.tagging.tag_set)?;
        self.objects().put_bucket_tags(&bucket_name(&input.bucket)?, pairs).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketTaggingOutput::default()))
    }

    pub(crate) async fn delete_bucket_tagging_(&self, request: S3Request<DeleteBucketTaggingInput>) -> Out<DeleteBucketTaggingOutput> {
        self.objects().delete_bucket_tags(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::with_status(DeleteBucketTaggingOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    /// The tags of the object's current version, or of the version a request names.
    async fn tags_of(&self, bucket: &str, key: &str, version_id: Option<&str>) -> S3Result<Tags> {
        let (bucket, key) = (bucket_name(bucket)?, object_key(key)?);
        let tags = match version_id {
            None => self.objects().object_tags(&bucket, &key).await,
            Some(version_id) => {
                let version_id = parse_version_id(version_id).map_err(to_s3)?;
                self.objects().version_tags(&bucket, &key, version_id.as_deref()).await
            }
        };
        tags.map_err(to_s3)
    }

    /// Replaces the tags of the object's current version, or of the version a request names.
    async fn set_tags(&self, bucket: &str, key: &str, version_id: Option<&str>, pairs: Vec<(String, String)>) -> S3Result<()> {
        let (bucket, key) = (bucket_name(bucket)?, object_key(key)?);
        let done = match version_id {
            None => self.objects().put_object_tags(&bucket, &key, pairs).await,
            Some(version_id) => {
                let version_id = parse_version_id(version_id).map_err(to_s3)?;
                self.objects().put_version_tags(&bucket, &key, version_id.as_deref(), pairs).await
            }
        };
        done.map_err(to_s3)
    }

    pub(crate) async fn get_object_tagging_(&self, request: S3Request<GetObjectTaggingInput>) -> Out<GetObjectTaggingOutput> {
        let input = request.input;
        let tags = self.tags_of(&input.bucket, &input.key, input.version_id.as_deref()).await?;
        Ok(S3Response::new(GetObjectTaggingOutput { tag_set: tag_set(&tags), version_id: input.version_id }))
    }

    pub(crate) async fn put_object_tagging_(&self, request: S3Request<PutObjectTaggingInput>) -> Out<PutObjectTaggingOutput> {
        let input = request.input;
        let pairs = pairs(input.tagging.tag_set)?;
        self.set_tags(&input.bucket, &input.key, input.version_id.as_deref(), pairs).await?;
        Ok(S3Response::new(PutObjectTaggingOutput { version_id: input.version_id }))
    }

    pub(crate) async fn delete_object_tagging_(&self, request: S3Request<DeleteObjectTaggingInput>) -> Out<DeleteObjectTaggingOutput> {
        let input = request.input;
        self.set_tags(&input.bucket, &input.key, input.version_id.as_deref(), Vec::new()).await?;
        let output = DeleteObjectTaggingOutput { version_id: input.version_id };
        Ok(S3Response::with_status(output, axum::http::StatusCode::NO_CONTENT))
    }

    // ---- policy ----

    pub(crate) async fn get_bucket_policy_(&self, request: S3Request<GetBucketPolicyInput>) -> Out<GetBucketPolicyOutput> {
        let policy = self.objects().bucket_policy_text(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(GetBucketPolicyOutput { policy: Some(policy) }))
    }

    pub(crate) async fn put_bucket_policy_(&self, request: S3Request<PutBucketPolicyInput>) -> Out<PutBucketPolicyOutput> {
        let input = request.input;
        self.objects().put_bucket_policy(&bucket_name(&input.bucket)?, &input.policy).await.map_err(to_s3)?;
        Ok(S3Response::with_status(PutBucketPolicyOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    pub(crate) async fn delete_bucket_policy_(&self, request: S3Request<DeleteBucketPolicyInput>) -> Out<DeleteBucketPolicyOutput> {
        self.objects().delete_bucket_policy(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::with_status(DeleteBucketPolicyOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    pub(crate) async fn get_bucket_policy_status_(&self, request: S3Request<GetBucketPolicyStatusInput>) -> Out<GetBucketPolicyStatusOutput> {
        let public = self.objects().bucket_policy_is_public(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(GetBucketPolicyStatusOutput { policy_status: Some(PolicyStatus { is_public: Some(public) }) }))
    }

    // ---- ACLs ----

    pub(crate) async fn get_bucket_acl_(&self, request: S3Request<GetBucketAclInput>) -> Out<GetBucketAclOutput> {
        self.objects().bucket(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        let (owner, grants) = self.owner_full_control();
        Ok(S3Response::new(GetBucketAclOutput { owner: Some(owner), grants: Some(grants) }))
    }

    pub(crate) async fn put_bucket_acl_(&self, request: S3Request<PutBucketAclInput>) -> Out<PutBucketAclOutput> {
        let input = request.input;
        let bucket = bucket_name(&input.bucket)?;
        self.objects().bucket(&bucket).await.map_err(to_s3)?;
        let beyond = grants_beyond_owner(
            input.acl.as_ref().map(BucketCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write.as_ref(), input.grant_write_acp.as_ref()],
        ) || self.policy_beyond_owner(input.access_control_policy.as_ref());
        self.check_acl_write(&bucket, beyond).await?;
        Ok(S3Response::new(PutBucketAclOutput::default()))
    }

    pub(crate) async fn get_object_acl_(&self, request: S3Request<GetObjectAclInput>) -> Out<GetObjectAclOutput> {
        let input = request.input;
        self.tags_of(&input.bucket, &input.key, input.version_id.as_deref()).await?;
        let (owner, grants) = self.owner_full_control();
        Ok(S3Response::new(GetObjectAclOutput { owner: Some(owner), grants: Some(grants), ..Default::default() }))
    }

    pub(crate) async fn put_object_acl_(&self, request: S3Request<PutObjectAclInput>) -> Out<PutObjectAclOutput> {
        let input = request.input;
        self.tags_of(&input.bucket, &input.key, input.version_id.as_deref()).await?;
        let bucket = bucket_name(&input.bucket)?;
        let beyond = grants_beyond_owner(
            input.acl.as_ref().map(ObjectCannedACL::as_str),
            &[input.grant_full_control.as_ref(), input.grant_read.as_ref(), input.grant_read_acp.as_ref(), input.grant_write.as_ref(), input.grant_write_acp.as_ref()],
        ) || self.policy_beyond_owner(input.access_control_policy.as_ref());
        self.check_acl_write(&bucket, beyond).await?;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }

    // ---- Object Ownership ----

    pub(crate) async fn get_bucket_ownership_controls_(
        &self,
        request: S3Request<GetBucketOwnershipControlsInput>,
    ) -> Out<GetBucketOwnershipControlsOutput> {
        let Some(ownership) = self.objects().ownership(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)? else {
            return Err(coded(
                "OwnershipControlsNotFoundError",
                axum::http::StatusCode::NOT_FOUND,
                "The bucket ownership controls were not found",
            ));
        };
        let rule = OwnershipControlsRule { object_ownership: ObjectOwnership::from(ownership.as_str().to_owned()) };
        Ok(S3Response::new(GetBucketOwnershipControlsOutput { ownership_controls: Some(OwnershipControls { rules: vec![rule] }) }))
    }

    pub(crate) async fn put_bucket_ownership_controls_(
        &self,
        request: S3Request<PutBucketOwnershipControlsInput>,
    ) -> Out<PutBucketOwnershipControlsOutput> {
        let input = request.input;
        let [rule] = input.ownership_controls.rules.as_slice() else {
            return Err(s3_error!(MalformedXML, "OwnershipControls takes exactly one Rule"));
        };
        let ownership = Ownership::parse(rule.object_ownership.as_str())
            .ok_or_else(|| s3_error!(MalformedXML, "ObjectOwnership is BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter"))?;
        self.objects().put_ownership(&bucket_name(&input.bucket)?, ownership).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput::default()))
    }

    pub(crate) async fn delete_bucket_ownership_controls_(
        &self,
        request: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> Out<DeleteBucketOwnershipControlsOutput> {
        self.objects().delete_ownership(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::with_status(DeleteBucketOwnershipControlsOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    // ---- Block Public Access ----

    pub(crate) async fn get_public_access_block_(&self, request: S3Request<GetPublicAccessBlockInput>) -> Out<GetPublicAccessBlockOutput> {
        let Some(block) = self.objects().public_access_block(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)? else {
            return Err(coded(
                "NoSuchPublicAccessBlockConfiguration",
                axum::http::StatusCode::NOT_FOUND,
                "The public access block configuration was not found",
            ));
        };
        let configuration = PublicAccessBlockConfiguration {
            block_public_acls: Some(block.block_public_acls),
            ignore_public_acls: Some(block.ignore_public_acls),
            block_public_policy: Some(block.block_public_policy),
            restrict_public_buckets: Some(block.restrict_public_buckets),
        };
        Ok(S3Response::new(GetPublicAccessBlockOutput { public_access_block_configuration: Some(configuration) }))
    }

    pub(crate) async fn put_public_access_block_(&self, request: S3Request<PutPublicAccessBlockInput>) -> Out<PutPublicAccessBlockOutput> {
        let input = request.input;
        let given = input.public_access_block_configuration;
        // An element left out is false, as in S3.
        let block = PublicAccessBlock {
            block_public_acls: given.block_public_acls.unwrap_or(false),
            ignore_public_acls: given.ignore_public_acls.unwrap_or(false),
            block_public_policy: given.block_public_policy.unwrap_or(false),
            restrict_public_buckets: given.restrict_public_buckets.unwrap_or(false),
        };
        self.objects().put_public_access_block(&bucket_name(&input.bucket)?, block).await.map_err(to_s3)?;
        Ok(S3Response::new(PutPublicAccessBlockOutput::default()))
    }

    pub(crate) async fn delete_public_access_block_(&self, request: S3Request<DeletePublicAccessBlockInput>) -> Out<DeletePublicAccessBlockOutput> {
        self.objects().delete_public_access_block(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::with_status(DeletePublicAccessBlockOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    // ---- lifecycle ----

    pub(crate) async fn get_bucket_lifecycle_configuration_(
        &self,
        request: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> Out<GetBucketLifecycleConfigurationOutput> {
        let rules = self.objects().lifecycle(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(GetBucketLifecycleConfigurationOutput { rules: Some(rules.iter().map(wire_rule).collect()), ..Default::default() }))
    }

    pub(crate) async fn put_bucket_lifecycle_configuration_(
        &self,
        request: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> Out<PutBucketLifecycleConfigurationOutput> {
        let input = request.input;
        let configuration = input.lifecycle_configuration.ok_or_else(|| s3_error!(MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema"))?;
        let rules = configuration.rules.into_iter().map(stored_rule).collect::<S3Result<Vec<_>>>()?;
        self.objects().put_lifecycle(&bucket_name(&input.bucket)?, &rules).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketLifecycleConfigurationOutput::default()))
    }

    pub(crate) async fn delete_bucket_lifecycle_(&self, request: S3Request<DeleteBucketLifecycleInput>) -> Out<DeleteBucketLifecycleOutput> {
        self.objects().delete_lifecycle(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::with_status(DeleteBucketLifecycleOutput::default(), axum::http::StatusCode::NO_CONTENT))
    }

    // ---- versioning and location ----

    /// A bucket whose versioning was never set answers no Status, as S3 does.
    pub(crate) async fn get_bucket_versioning_(&self, request: S3Request<GetBucketVersioningInput>) -> Out<GetBucketVersioningOutput> {
        let versioning = self.objects().bucket_versioning(&bucket_name(&request.input.bucket)?).await.map_err(to_s3)?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: versioning.map(|state| BucketVersioningStatus::from(state.as_str().to_owned())),
            ..Default::default()
        }))
    }

    /// Enables or suspends versioning. MFA delete needs a device this server does not have, so asking for it
    /// is refused rather than ignored.
    pub(crate) async fn put_bucket_versioning_(&self, request: S3Request<PutBucketVersioningInput>) -> Out<PutBucketVersioningOutput> {
        let input = request.input;
        let configuration = input.versioning_configuration;
        if configuration.mfa_delete.as_ref().is_some_and(|mfa| mfa.as_str() == MFADelete::ENABLED) || input.mfa.is_some() {
            return Err(s3_error!(NotImplemented, "MFA delete is not supported"));
        }
        let state = match configuration.status.as_ref().map(BucketVersioningStatus::as_str) {
            Some("Enabled") => Versioning::Enabled,
            Some("Suspended") => Versioning::Suspended,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "The XML you provided was not well-formed or did not validate against our published schema"
                ));
            }
        };
        self.objects().put_bucket_versioning(&bucket_name(&input.bucket)?, state).await.map_err(to_s3)?;
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }
}

fn epoch_seconds(timestamp: &Timestamp) -> S3Result<i64> {
    let mut text = Vec::new();
    timestamp.format(TimestampFormat::EpochSeconds, &mut text).map_err(|_| s3_error!(InvalidArgument, "Invalid date"))?;
    let seconds: f64 = String::from_utf8_lossy(&text).parse().map_err(|_| s3_error!(InvalidArgument, "Invalid date"))?;
    Ok(seconds.floor() as i64)
}

/// A rule as the wire states it, in the objects service's terms; storage classes other than the one there is
/// are refused.
fn stored_rule(rule: LifecycleRule) -> S3Result<lifecycle::LifecycleRule> {
    if rule.transitions.as_ref().is_some_and(|list| !list.is_empty()) || rule.noncurrent_version_transitions.as_ref().is_some_and(|list| !list.is_empty()) {
        return Err(s3_error!(InvalidArgument, "Transitions are not supported: objects here have one storage class, STANDARD"));
    }
    let enabled = match rule.status.as_str() {
        ExpirationStatus::ENABLED => true,
        ExpirationStatus::DISABLED => false,
        _ => return Err(s3_error!(MalformedXML, "Status is Enabled or Disabled")),
    };
    let mut filter = lifecycle::RuleFilter::default();
    let prefix_only = rule.filter.is_none() && rule.prefix.is_some();
    match (rule.filter, rule.prefix) {
        (Some(_), Some(_)) => return Err(s3_error!(MalformedXML, "A rule has a Filter or a Prefix, not both")),
        (None, Some(prefix)) => filter.prefix = prefix,
        (None, None) => {}
        (Some(given), None) => {
            filter.prefix = given.prefix.unwrap_or_default();
            filter.size_greater_than = given.object_size_greater_than;
            filter.size_less_than = given.object_size_less_than;
            if let Some(tag) = given.tag {
                filter.tags = pairs(vec![tag])?;
            }
            if let Some(and) = given.and {
                filter.prefix = and.prefix.unwrap_or(filter.prefix);
                filter.size_greater_than = and.object_size_greater_than.or(filter.size_greater_than);
                filter.size_less_than = and.object_size_less_than.or(filter.size_less_than);
                filter.tags.extend(pairs(and.tags.unwrap_or_default())?);
            }
        }
    }
    let expired_object_delete_marker = rule.expiration.as_ref().and_then(|expiration| expiration.expired_object_delete_marker).unwrap_or(false);
    let expiration = match rule.expiration {
        None => None,
        Some(LifecycleExpiration { days: Some(_), date: Some(_), .. }) => {
            return Err(s3_error!(InvalidArgument, "Expiration takes Days or Date, not both"));
        }
        Some(LifecycleExpiration { days: Some(days), .. }) => Some(lifecycle::Expiration::Days(days)),
        Some(LifecycleExpiration { date: Some(date), .. }) => Some(lifecycle::Expiration::Date(epoch_seconds(&date)?)),
        // ExpiredObjectDeleteMarker alone: there are no delete markers to remove here.
        Some(LifecycleExpiration { expired_object_delete_marker: Some(_), .. }) => None,
        Some(_) => return Err(s3_error!(MalformedXML, "Expiration takes Days, Date or ExpiredObjectDeleteMarker")),
    };
    Ok(lifecycle::LifecycleRule {
        id: rule.id.filter(|id| !id.is_empty()),
        enabled,
        filter,
        prefix_only,
        expired_object_delete_marker,
        expiration,
        noncurrent_days: rule.noncurrent_version_expiration.and_then(|expiration| expiration.noncurrent_days),
        abort_incomplete_after_days: rule.abort_incomplete_multipart_upload.and_then(|abort| abort.days_after_initiation),
    })
}

/// A stored rule as GetBucketLifecycleConfiguration states it.
fn wire_rule(rule: &lifecycle::LifecycleRule) -> LifecycleRule {
    let filter = &rule.filter;
    let tags: TagSet = filter.tags.iter().map(|(key, value)| Tag { key: Some(key.clone()), value: Some(value.clone()) }).collect();
    let conditions = usize::from(!filter.prefix.is_empty())
        + tags.len()
        + usize::from(filter.size_greater_than.is_some())
        + usize::from(filter.size_less_than.is_some());
    let wire_filter = if conditions > 1 {
        LifecycleRuleFilter {
            and: Some(LifecycleRuleAndOperator {
                prefix: (!filter.prefix.is_empty()).then(|| filter.prefix.clone()),
                tags: (!tags.is_empty()).then_some(tags),
                object_size_greater_than: filter.size_greater_than,
                object_size_less_than: filter.size_less_than,
            }),
            ..Default::default()
        }
    } else {
        LifecycleRuleFilter {
            prefix: Some(filter.prefix.clone()),
            tag: tags.into_iter().next(),
            object_size_greater_than: filter.size_greater_than,
            object_size_less_than: filter.size_less_than,
            ..Default::default()
        }
    };
    let expiration = match rule.expiration {
        Some(lifecycle::Expiration::Days(days)) => Some(LifecycleExpiration { days: Some(days), ..Default::default() }),
        Some(lifecycle::Expiration::Date(date)) => Some(LifecycleExpiration {
            date: Some(Timestamp::from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(date).unwrap_or(0)))),
            ..Default::default()
        }),
        None if rule.expired_object_delete_marker => Some(LifecycleExpiration { expired_object_delete_marker: Some(true), ..Default::default() }),
        None => None,
    };
    LifecycleRule {
        id: rule.id.clone(),
        status: ExpirationStatus::from_static(if rule.enabled { ExpirationStatus::ENABLED } else { ExpirationStatus::DISABLED }),
        prefix: rule.prefix_only.then(|| filter.prefix.clone()),
        filter: (!rule.prefix_only).then_some(wire_filter),
        expiration,
        noncurrent_version_expiration: rule.noncurrent_days.map(|days| NoncurrentVersionExpiration { noncurrent_days: Some(days), newer_noncurrent_versions: None }),
        abort_incomplete_multipart_upload: rule.abort_incomplete_after_days.map(|days| AbortIncompleteMultipartUpload { days_after_initiation: Some(days) }),
        transitions: None,
        noncurrent_version_transitions: None,
    }
}

