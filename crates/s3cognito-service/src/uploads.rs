//! Users' files and the record of their uploads, whichever way the bytes come.
//!
//! Every route that takes a user pool token (the presign API, the upload edge, GraphQL) starts here:
//! `authenticate` verifies the token as a resource server would (signature, issuer, use, app client,
//! expiry) and honours revocation, then names the caller's namespace, `private/<identityId>/` of the
//! deployment's identity pool — the prefix Amplify and identity-pool credentials use, so every route sees
//! the same files. Every completed upload into a namespace records one job; a presigned PUT records a
//! pending one when it is issued.

use std::sync::Arc;

use s3cognito_crypto::calendar;
use s3cognito_crypto::jwt::{self, TokenUse};
use s3cognito_meta::{JobCursor, MetaError, Store, UploadJobRecord};
use s3cognito_types::{BucketName, FileName, ObjectKey, UserPoolId};
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::error::ServiceError;
use crate::identity::Identity;
use crate::limits::Limiter;
use crate::objects::{ObjectError, ObjectInfo};
use crate::user_pool::{User, UserPools};

/// Why an upload route refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// No token, or one that is forged, expired, revoked, of another pool or of the wrong use. The
    /// reason is for the log; callers are told only that they are unauthorized.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// The caller is known but may not touch this (another user's file or upload).
    #[error("{0}")]
    Forbidden(String),
    /// A name or field the route cannot take.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Object(#[from] ObjectError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<MetaError> for UploadError {
    fn from(error: MetaError) -> Self {
        UploadError::Service(error.into())
    }
}

pub type Result<T, E = UploadError> = std::result::Result<T, E>;

/// Settings of the upload routes.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// How long a presigned URL lasts when the caller does not ask.
    pub presign_seconds: i64,
    /// The longest a caller may ask for.
    pub max_presign_seconds: i64,
    /// Members of this group of the deployment's user pool see every user's jobs.
    pub admin_group: String,
    /// Another user pool (a real Cognito pool, say) whose access tokens the upload routes also take.
    pub trusted_issuer: Option<TrustedIssuer>,
}

impl Default for UploadSettings {
    fn default() -> Self {
        UploadSettings {
            presign_seconds: 300,
            max_presign_seconds: 3600,
            admin_group: "administrators".to_owned(),
            trusted_issuer: None,
        }
    }
}

/// A user pool trusted by configuration: tokens whose `iss` is `issuer` are checked against the keys at
/// `jwks_url`, as a resource server with aws-jwt-verify checks them (signature, issuer, `token_use`,
/// `client_id` among `client_ids` when given, expiry). Revocation is that pool's to check, not ours.
#[derive(Debug, Clone)]
pub struct TrustedIssuer {
    pub issuer: String,
    pub jwks_url: String,
    pub client_ids: Option<Vec<String>>,
}

/// The deployment's pools and bucket, which every user's namespace lives in.
#[derive(Debug, Clone)]
pub struct Namespace {
    pub user_pool_id: UserPoolId,
    pub identity_pool_id: String,
    pub bucket: BucketName,
}

/// A verified caller of the upload routes.
#[derive(Debug, Clone)]
pub struct PoolUser {
    pub username: String,
    pub sub: String,
    /// The identity pool's identity of this user: its files are under `private/<identity_id>/`.
    pub identity_id: String,
    /// In the administrators group: sees every user's jobs.
    pub admin: bool,
    pub token_use: TokenUse,
}

impl PoolUser {
    /// `private/<identityId>/`.
    pub fn prefix(&self) -> String {
        format!("private/{}/", self.identity_id)
    }

    /// Whether `key` is in this user's namespace.
    pub fn owns(&self, key: &str) -> bool {
        key.strip_prefix(&self.prefix()).is_some_and(|rest| !rest.is_empty())
    }
}

/// How an upload's bytes came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// S3's PutObject signed with credentials.
    S3,
    /// A presigned PUT.
    Presigned,
    /// A completed multipart upload.
    Multipart,
    /// A browser's POST form.
    Form,
    /// The upload edge.
    Edge,
    /// Recorded by a client through GraphQL.
    Client,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::S3 => "s3",
            Route::Presigned => "presigned",
            Route::Multipart => "multipart",
            Route::Form => "form",
            Route::Edge => "edge",
            Route::Client => "client",
        }
    }
}

pub const STATUS_PENDING: &str = "Pending";
pub const STATUS_DONE: &str = "Done";
pub const STATUS_EXPIRED: &str = "Expired";

/// One upload as users see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJob {
    pub id: String,
    pub user: String,
    pub obj_key: String,
    pub file_key: String,
    pub file_name: Option<String>,
    /// `Pending`, `Done`, `Expired` (a pending job whose URL ended), or what a client recorded.
    pub status: String,
    pub uploaded_on: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub route: String,
    pub identity_id: String,
}

impl UploadJob {
    fn from_record(record: UploadJobRecord, now: i64) -> UploadJob {
        let expired = record.status == STATUS_PENDING && record.expires_at.is_some_and(|at| at <= now);
        UploadJob {
            id: record.id,
            user: record.username,
            obj_key: record.obj_key,
            file_key: record.file_key,
            file_name: record.file_name,
            status: if expired { STATUS_EXPIRED.to_owned() } else { record.status },
            uploaded_on: record.uploaded_on,
            size: record.size,
            etag: record.etag,
            content_type: record.content_type,
            route: record.route,
            identity_id: record.owner,
        }
    }
}

/// What a client records of an upload (GraphQL's `CreateUploadJob` input).
#[derive(Debug, Clone, Default)]
pub struct ClientJob {
    pub user: String,
    pub obj_key: String,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub status: Option<String>,
    pub uploaded_on: Option<String>,
}

/// What a completed upload was, beside its object.
#[derive(Debug, Clone, Copy)]
pub struct Completed<'a> {
    pub route: Route,
    /// The name the file had on the user's side, where the route knows it.
    pub file_name: Option<&'a str>,
    /// Who uploaded it, where the route verified it; else the namespace's identity says.
    pub user: Option<&'a PoolUser>,
}

/// The longest text a client may record in one field of a job.
pub const MAX_CLIENT_FIELD_BYTES: usize = 1024;

/// The longest page of jobs.
pub const MAX_JOBS_PAGE: i64 = 1000;

#[derive(Debug, Clone)]
pub struct Uploads {
    store: Store,
    clock: Arc<dyn Clock>,
    user_pools: UserPools,
    identity: Identity,
    settings: UploadSettings,
    limiter: Limiter,
    namespace: Arc<OnceCell<Namespace>>,
}

impl Uploads {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        user_pools: UserPools,
        identity: Identity,
        settings: UploadSettings,
        limiter: Limiter,
    ) -> Uploads {
        Uploads { store, clock, user_pools, identity, settings, limiter, namespace: Arc::new(OnceCell::new()) }
    }

    pub fn settings(&self) -> &UploadSettings {
        &self.settings
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The deployment's pools and bucket, as bootstrap recorded them (read once).
    pub async fn namespace(&self) -> Result<&Namespace> {
        self.namespace
            .get_or_try_init(|| async {
                let read = |name: &'static str| async move {
                    self.store
                        .setting(name)
                        .await?
                        .ok_or_else(|| ServiceError::Internal(format!("the deployment has no {name} yet")))
                };
                Ok::<_, UploadError>(Namespace {
                    user_pool_id: UserPoolId::parse(read("default_user_pool_id").await?).map_err(ServiceError::from)?,
                    identity_pool_id: read("default_identity_pool_id").await?,
                    bucket: BucketName::parse(read("default_bucket").await?).map_err(ServiceError::from)?,
                })
            })
            .await
    }

    /// The key pair presigned URLs are signed with: the account's root key, which the bucket accepts
    /// without a policy. A URL grants only the one request it was signed for.
    pub async fn signing_key(&self) -> Result<(String, String)> {
        let missing = || ServiceError::Internal("the deployment has no root key yet".to_owned());
        let id = self.store.setting("root_access_key_id").await?.ok_or_else(missing)?;
        let key = self.store.access_key(&id).await?.ok_or_else(missing)?;
        Ok((key.access_key_id, key.secret_access_key))
    }

    /// The caller behind `token` (raw, or after `Bearer `), if it is a live token of one of the
    /// deployment pool's app clients, of one of the `accepted` uses, whose user exists, is enabled and
    /// has not signed out everywhere since.
    pub async fn authenticate(&self, token: &str, accepted: &[TokenUse]) -> Result<PoolUser> {
        let token = token.strip_prefix("Bearer ").or_else(|| token.strip_prefix("bearer ")).unwrap_or(token).trim();
        if token.is_empty() {
            return Err(UploadError::Unauthorized("no token"));
        }
        let namespace = self.namespace().await?;
        let pool_id = &namespace.user_pool_id;
        let unverified = jwt::decode_unverified(token).map_err(|_| UploadError::Unauthorized("not a JWT"))?;
        let issuer = unverified.get("iss").and_then(Value::as_str);
        if let Some(trusted) = &self.settings.trusted_issuer
            && issuer == Some(trusted.issuer.as_str())
        {
            return self.authenticate_trusted(trusted, token, accepted).await;
        }
        if issuer != Some(self.user_pools.issuer(pool_id.as_str()).as_str()) {
            return Err(UploadError::Unauthorized("another issuer"));
        }
        // The signature first: a forged token costs one verification and no database read.
        let claims = match self.user_pools.verify_token(pool_id, token, None, None).await {
            Ok(claims) => claims,
            Err(ServiceError::NotAuthorized(_)) => return Err(UploadError::Unauthorized("signature or expiry")),
            Err(other) => return Err(other.into()),
        };
        let token_use = match claims.get("token_use").and_then(Value::as_str) {
            Some("access") => TokenUse::Access,
            Some("id") => TokenUse::Id,
            _ => return Err(UploadError::Unauthorized("no token use")),
        };
        // The app client (`client_id` of an access token, `aud` of an ID token) must be one of this pool's.
        let client_claim = if token_use == TokenUse::Access { "client_id" } else { "aud" };
        let client_id = claims.get(client_claim).and_then(Value::as_str).ok_or(UploadError::Unauthorized("no client"))?;
        if self.store.client(client_id).await?.is_none_or(|client| client.pool_id != pool_id.as_str()) {
            return Err(UploadError::Unauthorized("not a client of the pool"));
        }
        if !accepted.contains(&token_use) {
            return Err(UploadError::Unauthorized("a token of another use"));
        }
        let username_claim = match token_use {
            TokenUse::Access => "username",
            TokenUse::Id => "cognito:username",
        };
        let username = claims.get(username_claim).and_then(Value::as_str).ok_or(UploadError::Unauthorized("no username"))?;
        let sub = claims.get("sub").and_then(Value::as_str).ok_or(UploadError::Unauthorized("no sub"))?;
        let Some(record) = self.store.user(pool_id.as_str(), username).await? else {
            return Err(UploadError::Unauthorized("no such user"));
        };
        let user = User::decode(record)?;
        // A user deleted and created again under the same name is someone else.
        if user.sub != sub {
            return Err(UploadError::Unauthorized("another user of that name"));
        }
        if !user.enabled {
            return Err(UploadError::Unauthorized("user disabled"));
        }
        let origin = claims.get("origin_jti").and_then(Value::as_str).unwrap_or_default();
        if self.store.refresh_token_by_origin(origin).await?.is_none_or(|record| record.revoked) {
            return Err(UploadError::Unauthorized("revoked"));
        }
        let groups = self.store.groups_of_user(pool_id.as_str(), &user.username).await?;
        let admin = groups.iter().any(|group| group.name == self.settings.admin_group);
        let provider = self.identity.provider_name(pool_id);
        let identity_id = self.identity.identity_of_login(&namespace.identity_pool_id, &provider, &user.sub).await?;
        let user = PoolUser { username: user.username, sub: user.sub, identity_id, admin, token_use };
        crate::activity::note_pool_user(pool_id.as_str(), &user);
        Ok(user)
    }

    /// A user of the trusted pool: its token verified against that pool's published keys. Its namespace
    /// is the identity of its login with that pool, in the deployment's identity pool.
    async fn authenticate_trusted(&self, trusted: &TrustedIssuer, token: &str, accepted: &[TokenUse]) -> Result<PoolUser> {
        let kid = crate::identity::token_kid(token);
        let keys = match self.identity.issuer_keys(&trusted.issuer, &trusted.jwks_url, kid.as_deref()).await {
            Ok(keys) => keys,
            Err(_) => return Err(UploadError::Unauthorized("the trusted issuer's keys could not be fetched")),
        };
        let expectations = jwt::Expectations {
            issuer: trusted.issuer.clone(),
            client_ids: trusted.client_ids.clone(),
            token_use: None,
            now: self.now().max(0) as u64,
            leeway_seconds: 0,
        };
        let claims = jwt::verify_cognito_token(token, &keys, &expectations)
            .map_err(|_| UploadError::Unauthorized("not a valid token of the trusted issuer"))?;
        let token_use = match claims.get("token_use").and_then(Value::as_str) {
            Some("access") => TokenUse::Access,
            Some("id") => TokenUse::Id,
            _ => return Err(UploadError::Unauthorized("no token use")),
        };
        // Another pool's access tokens only, as a resource server in front of a bucket takes them.
        if token_use != TokenUse::Access || !accepted.contains(&token_use) {
            return Err(UploadError::Unauthorized("a token of another use"));
        }
        let username_claim = "username";
        let sub = claims.get("sub").and_then(Value::as_str).ok_or(UploadError::Unauthorized("no sub"))?;
        let username = claims.get(username_claim).and_then(Value::as_str).unwrap_or(sub);
        // The administrators group is the deployment pool's; a group of that name in another pool is not it.
        let admin = false;
        let provider = trusted.issuer.split_once("://").map_or(trusted.issuer.as_str(), |(_, rest)| rest);
        let namespace = self.namespace().await?;
        let identity_id = self.identity.identity_of_login(&namespace.identity_pool_id, provider, sub).await?;
        let user = PoolUser { username: username.to_owned(), sub: sub.to_owned(), identity_id, admin, token_use };
        crate::activity::note_pool_user(provider, &user);
        Ok(user)
    }

    /// Where `name` lives for `user`: `private/<identityId>/<name>`.
    pub fn key_of(&self, user: &PoolUser, name: &FileName) -> Result<ObjectKey> {
        ObjectKey::parse(format!("{}{}", user.prefix(), name.as_str()))
            .map_err(|_| UploadError::Invalid("The file name is too long.".to_owned()))
    }

    /// A user file's name from what a client sent.
    pub fn file_name(value: &str) -> Result<FileName> {
        FileName::parse(value).map_err(|error| UploadError::Invalid(format!("The file name {}.", error.reason)))
    }

    /// Records that `user` was handed a presigned PUT of `key` lasting until `expires_at`: one pending job
    /// per object, renewed by each new URL.
    pub async fn presigned_put(
        &self,
        user: &PoolUser,
        key: &ObjectKey,
        file_name: &str,
        content_type: Option<&str>,
        expires_at: i64,
    ) -> Result<UploadJob> {
        self.limiter.job_recorded(&user.identity_id).await?;
        let namespace = self.namespace().await?;
        let now = self.now();
        let latest = self.store.latest_upload_job(&namespace.bucket, key).await?;
        let record = match latest {
            Some(job) if job.status == STATUS_PENDING => {
                let renewed = UploadJobRecord {
                    file_name: Some(file_name.to_owned()),
                    content_type: content_type.map(str::to_owned),
                    expires_at: Some(expires_at),
                    uploaded_on: calendar::iso8601(now),
                    updated_at: now,
                    ..job
                };
                self.store.update_upload_job(&renewed).await?;
                renewed
            }
            _ => {
                let record = UploadJobRecord {
                    file_name: Some(file_name.to_owned()),
                    content_type: content_type.map(str::to_owned),
                    expires_at: Some(expires_at),
                    ..new_job(&user.identity_id, &user.username, &namespace.bucket, key, &key[user.prefix().len()..], Route::Presigned, now)
                };
                self.store.insert_upload_job(&record).await?;
                record
            }
        };
        Ok(UploadJob::from_record(record, now))
    }

    /// Records a completed upload, if its object is in a user's namespace: the object's pending job
    /// becomes done, or a new job is recorded. Objects elsewhere record nothing (`None`).
    pub async fn completed(&self, object: &ObjectInfo, completed: Completed<'_>) -> Result<Option<UploadJob>> {
        let namespace = self.namespace().await?;
        if object.bucket != namespace.bucket.as_str() {
            return Ok(None);
        }
        let Some((identity_id, file_key)) = object.key.strip_prefix("private/").and_then(|rest| rest.split_once('/')) else {
            return Ok(None);
        };
        if file_key.is_empty() {
            return Ok(None);
        }
        let latest = self.store.latest_upload_job(&object.bucket, &object.key).await?;
        // Who uploaded: the route's verified caller, else the pool user behind the namespace's identity,
        // else whoever was handed the pending job's URL (a user of a trusted pool).
        let known = completed.user.filter(|user| user.identity_id == identity_id).map(|user| user.username.clone());
        let pending_owner = latest
            .as_ref()
            .filter(|job| job.status == STATUS_PENDING && job.owner == identity_id)
            .map(|job| job.username.clone());
        let username = match known {
            Some(username) => username,
            None => match self.username_of_identity(identity_id).await? {
                Some(username) => username,
                None => match pending_owner {
                    Some(username) => username,
                    None => return Ok(None),
                },
            },
        };
        let now = self.now();
        let done = |record: UploadJobRecord| UploadJobRecord {
            status: STATUS_DONE.to_owned(),
            size: i64::try_from(object.size).ok(),
            etag: Some(object.etag.clone()),
            content_type: object.attributes.content_type.clone(),
            expires_at: None,
            uploaded_on: calendar::iso8601(now),
            updated_at: now,
            ..record
        };
        let record = match latest {
            Some(pending) if pending.status == STATUS_PENDING => {
                let record = done(UploadJobRecord {
                    file_name: completed.file_name.map(str::to_owned).or(pending.file_name.clone()),
                    route: if completed.route == Route::S3 { pending.route.clone() } else { completed.route.as_str().to_owned() },
                    ..pending
                });
                self.store.update_upload_job(&record).await?;
                record
            }
            _ => {
                let file_name = completed.file_name.unwrap_or_else(|| file_key.rsplit('/').next().unwrap_or(file_key));
                let record = done(UploadJobRecord {
                    file_name: Some(file_name.to_owned()),
                    ..new_job(identity_id, &username, &object.bucket, &object.key, file_key, completed.route, now)
                });
                self.store.insert_upload_job(&record).await?;
                record
            }
        };
        Ok(Some(UploadJob::from_record(record, now)))
    }

    /// The username of a user-pool user behind an identity of the deployment's identity pool.
    async fn username_of_identity(&self, identity_id: &str) -> Result<Option<String>> {
        let namespace = self.namespace().await?;
        let Some(identity) = self.store.identity(identity_id).await? else { return Ok(None) };
        if identity.pool_id != namespace.identity_pool_id {
            return Ok(None);
        }
        let provider = self.identity.provider_name(&namespace.user_pool_id);
        let Some(sub) = identity.login_key.as_deref().and_then(|key| key.strip_prefix(&format!("{provider}|"))) else {
            return Ok(None);
        };
        Ok(self.store.user_by_sub(namespace.user_pool_id.as_str(), sub).await?.map(|user| user.username))
    }

    /// What a client records of an upload: it must be the caller's own (its username and an object in
    /// its namespace). A job the server already recorded for the object takes the client's fields; else
    /// a job is recorded as the client says.
    pub async fn record_client_job(&self, user: &PoolUser, input: ClientJob) -> Result<UploadJob> {
        if input.user != user.username {
            return Err(UploadError::Forbidden("A job can be recorded only for its caller's own user.".to_owned()));
        }
        if !user.owns(&input.obj_key) {
            return Err(UploadError::Forbidden(format!("objKey must be under the caller's own {}.", user.prefix())));
        }
        ObjectKey::parse(input.obj_key.clone()).map_err(|_| UploadError::Invalid("objKey is too long.".to_owned()))?;
        for (member, value) in [
            ("fileKey", &input.file_key),
            ("fileName", &input.file_name),
            ("status", &input.status),
            ("uploadedOn", &input.uploaded_on),
        ] {
            if let Some(value) = value
                && (value.len() > MAX_CLIENT_FIELD_BYTES || value.chars().any(char::is_control))
            {
                return Err(UploadError::Invalid(format!(
                    "{member} must be at most {MAX_CLIENT_FIELD_BYTES} bytes, without control characters."
                )));
            }
        }
        self.limiter.job_recorded(&user.identity_id).await?;
        let namespace = self.namespace().await?;
        let now = self.now();
        let latest = self.store.latest_upload_job(&namespace.bucket, &input.obj_key).await?;
        let own_file_key = input.obj_key[user.prefix().len()..].to_owned();
        let record = match latest {
            Some(job) => {
                let record = UploadJobRecord {
                    file_key: input.file_key.unwrap_or(job.file_key.clone()),
                    file_name: input.file_name.or(job.file_name.clone()),
                    status: input.status.unwrap_or(job.status.clone()),
                    uploaded_on: input.uploaded_on.unwrap_or(job.uploaded_on.clone()),
                    updated_at: now,
                    ..job
                };
                self.store.update_upload_job(&record).await?;
                record
            }
            None => {
                let record = UploadJobRecord {
                    file_key: input.file_key.unwrap_or(own_file_key),
                    file_name: input.file_name,
                    status: input.status.unwrap_or_else(|| STATUS_DONE.to_owned()),
                    uploaded_on: input.uploaded_on.unwrap_or_else(|| calendar::iso8601(now)),
                    ..new_job(&user.identity_id, &user.username, &namespace.bucket, &input.obj_key, "", Route::Client, now)
                };
                self.store.insert_upload_job(&record).await?;
                record
            }
        };
        Ok(UploadJob::from_record(record, now))
    }

    /// A job the caller may see: its own, or any for an administrator.
    pub async fn job(&self, user: &PoolUser, id: &str) -> Result<Option<UploadJob>> {
        let Some(record) = self.store.upload_job(id).await? else { return Ok(None) };
        if record.owner != user.identity_id && !user.admin {
            return Ok(None);
        }
        Ok(Some(UploadJob::from_record(record, self.now())))
    }

    /// A page of the jobs the caller may see, oldest first, and where the next page starts.
    pub async fn jobs(&self, user: &PoolUser, next_token: Option<&str>, limit: Option<i64>) -> Result<(Vec<UploadJob>, Option<String>)> {
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_JOBS_PAGE).contains(&limit) {
            return Err(UploadError::Invalid(format!("limit must be between 1 and {MAX_JOBS_PAGE}.")));
        }
        let after = next_token.map(decode_cursor).transpose()?;
        let owner = (!user.admin).then_some(user.identity_id.as_str());
        let mut records = self.store.upload_jobs(owner, after.as_ref(), limit + 1).await?;
        let next = if records.len() as i64 > limit {
            records.truncate(limit as usize);
            records.last().map(|last| encode_cursor(&JobCursor { created_at: last.created_at, id: last.id.clone() }))
        } else {
            None
        };
        let now = self.now();
        Ok((records.into_iter().map(|record| UploadJob::from_record(record, now)).collect(), next))
    }
}

/// A job recorded now for `obj_key` in `owner`'s namespace, pending, with nothing known of its bytes yet.
fn new_job(owner: &str, username: &str, bucket: &str, obj_key: &str, file_key: &str, route: Route, now: i64) -> UploadJobRecord {
    UploadJobRecord {
        id: job_id(now),
        owner: owner.to_owned(),
        username: username.to_owned(),
        bucket: bucket.to_owned(),
        obj_key: obj_key.to_owned(),
        file_key: file_key.to_owned(),
        file_name: None,
        status: STATUS_PENDING.to_owned(),
        route: route.as_str().to_owned(),
        size: None,
        etag: None,
        content_type: None,
        expires_at: None,
        uploaded_on: calendar::iso8601(now),
        created_at: now,
        updated_at: now,
    }
}

/// A new job's id: a version 7 UUID of the clock's time, whose counter bits order ids made within the
/// same second, so jobs recorded together still list in the order they were recorded.
fn job_id(now: i64) -> String {
    static CONTEXT: std::sync::LazyLock<std::sync::Mutex<uuid::ContextV7>> =
        std::sync::LazyLock::new(|| std::sync::Mutex::new(uuid::ContextV7::new()));
    let seconds = u64::try_from(now).unwrap_or(0);
    let context = CONTEXT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(&*context, seconds, 0)).to_string()
}

fn encode_cursor(cursor: &JobCursor) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at, cursor.id))
}

fn decode_cursor(token: &str) -> Result<JobCursor> {
    use base64::Engine;
    let invalid = || UploadError::Invalid("nextToken is not one this API gave.".to_owned());
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let (created_at, id) = text.split_once(':').ok_or_else(invalid)?;
    Ok(JobCursor { created_at: created_at.parse().map_err(|_| invalid())?, id: id.to_owned() })
}
