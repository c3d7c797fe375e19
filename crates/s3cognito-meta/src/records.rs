//! Plain rows as the store reads and writes them; the service layer gives them meaning.

/// A long-term or temporary access key pair and whom it acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    /// The account's own key's secret, as the first release stored it; empty for an IAM user's key.
    pub secret_access_key: String,
    /// `root`, or `user/<name>` for an IAM user's key.
    pub principal: String,
    pub created_at: i64,
    /// The IAM user's name, lowercased, for a user's key.
    pub user_name_key: Option<String>,
    /// An IAM user's key's secret, sealed with the master key (bound to the key id).
    pub sealed_secret: Option<String>,
    /// `Active` or `Inactive`: an inactive key signs nothing.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolRecord {
    pub id: String,
    pub name: String,
    /// The pool's settings as a JSON document.
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub client_id: String,
    pub pool_id: String,
    pub name: String,
    pub secret: Option<String>,
    /// The client's settings (token validity, auth flows…) as a JSON document.
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A pool's RSA signing key, PKCS#8 DER in base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub pool_id: String,
    pub private_key: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub pool_id: String,
    pub username: String,
    pub sub: String,
    /// Cognito's `UserStatus`: UNCONFIRMED, CONFIRMED, FORCE_CHANGE_PASSWORD, RESET_REQUIRED.
    pub status: String,
    pub enabled: bool,
    /// The user's attributes as a JSON object of strings.
    pub attributes: String,
    /// The `email` attribute, lowercased, kept beside the attributes for lookups by email.
    pub email: Option<String>,
    /// An Argon2id PHC string; absent only for users that never had a password.
    pub password_hash: Option<String>,
    /// The SRP salt (hex) and the verifier sealed with the server's key (base64), set with the password.
    pub srp_salt: Option<String>,
    pub srp_verifier: Option<String>,
    pub password_set_at: i64,
    pub failed_sign_ins: i64,
    pub locked_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A one-time code (confirmation, password reset), stored as a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub pool_id: String,
    pub username: String,
    pub purpose: String,
    pub code_hash: String,
    pub failed_attempts: i64,
    pub expires_at: i64,
}

/// The state behind an auth challenge's `Session`, stored under the session's hash, used once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSessionRecord {
    pub session_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    pub challenge: String,
    pub data: String,
    pub expires_at: i64,
}

/// An opaque refresh token, stored under its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: String,
    pub pool_id: String,
    pub client_id: String,
    pub username: String,
    /// Every ID and access token minted from this refresh token carries this as `origin_jti`.
    pub origin_jti: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub pool_id: String,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketRecord {
    pub name: String,
    pub owner: String,
    /// The bucket's CORS rules as a JSON document, if set.
    pub cors: Option<String>,
    /// The bucket's default encryption as a JSON document, if set.
    pub encryption: Option<String>,
    /// The region CreateBucket's LocationConstraint named, if it named one.
    pub location: Option<String>,
    pub created_at: i64,
    /// `Enabled` or `Suspended`; `None` for a bucket whose versioning was never set.
    pub versioning: Option<String>,
}

/// A visible object: its metadata and the blobs holding its bytes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRecord {
    pub bucket: String,
    pub key: String,
    pub size: i64,
    /// The ETag as S3 shows it, quotes included.
    pub etag: String,
    pub content_type: Option<String>,
    /// Standard headers kept with the object (Content-Encoding, Cache-Control…) as a JSON object.
    pub headers: String,
    /// `x-amz-meta-*` as a JSON object.
    pub user_metadata: String,
    /// The whole-object checksum as a JSON document (algorithm, value, type), if any.
    pub checksum: Option<String>,
    /// The blobs, in order, as a JSON array of segments.
    pub segments: String,
    pub owner: String,
    pub modified_at: i64,
    /// The object's tags as a JSON array of `[key, value]` pairs, if it has any.
    pub tags: Option<String>,
    /// The version's id; `None` for the "null" version (written while the bucket was not versioning).
    pub version_id: Option<String>,
}

/// One version of a key: an object (current or not) or a delete marker (whose object fields are empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub object: ObjectRecord,
    pub delete_marker: bool,
    /// Whether it is the key's current version (a current delete marker means the key reads as missing).
    pub is_latest: bool,
    /// Its place among all versions: a listing resumes after it.
    pub position: i64,
    /// When it stopped being current (a delete marker: when it was made); `None` for a current version.
    pub noncurrent_since: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub content_type: Option<String>,
    pub headers: String,
    pub user_metadata: String,
    pub checksum_algorithm: Option<String>,
    pub owner: String,
    pub initiated_at: i64,
    /// How the parts are encrypted when not with server-managed keys (a JSON document the objects service
    /// owns: the KMS key and encryption context); `None` for server-managed keys.
    pub encryption: Option<String>,
    /// The tags the object gets when the upload completes, as [`ObjectRecord::tags`].
    pub tags: Option<String>,
}

/// A multipart upload completed lately: which object it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedUploadRecord {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub completed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRecord {
    pub upload_id: String,
    pub part_number: i64,
    pub blob_id: String,
    /// The blob's data key, sealed, as the objects service stores it; `None` for a part written in
    /// plaintext by an earlier release.
    pub blob_key: Option<String>,
    pub size: i64,
    pub etag: String,
    pub checksum: Option<String>,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolRecord {
    pub id: String,
    pub name: String,
    /// The pool's settings (providers, roles, role mappings…) as a JSON document.
    pub config: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub identity_id: String,
    pub pool_id: String,
    /// `<provider>|<subject>` of the login that created the identity; `None` for unauthenticated ones.
    pub login_key: Option<String>,
    /// The provider names linked to the identity, as a JSON array.
    pub logins: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    pub name: String,
    pub role_id: String,
    pub path: String,
    pub arn: String,
    /// The trust policy (who may assume the role) as JSON text.
    pub trust_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderRecord {
    pub arn: String,
    /// The issuer URL, as tokens carry it in `iss`.
    pub url: String,
    /// The accepted audiences, as a JSON array.
    pub client_ids: String,
    /// Certificate thumbprints as registered, as a JSON array.
    pub thumbprints: String,
    /// Where the issuer's keys are, when not found through its discovery document.
    pub jwks_url: Option<String>,
    pub created_at: i64,
}

/// Temporary credentials: the secret sealed, the session token as a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCredentialRecord {
    pub access_key_id: String,
    pub sealed_secret: String,
    pub session_token_hash: String,
    pub role_arn: String,
    pub session_name: String,
    /// What policies are evaluated with (principal, identity, audience, amr…), as a JSON document.
    pub context: String,
    /// `<userPoolId>|<sub>` of the user the credentials were issued for, if any.
    pub source: Option<String>,
    /// Ended before their time (their user was disabled or deleted).
    pub revoked: bool,
    pub expires_at: i64,
    pub created_at: i64,
}

/// One upload a user made, or was handed a presigned URL for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJobRecord {
    pub id: String,
    /// The identity id whose `private/<owner>/` namespace holds the object.
    pub owner: String,
    pub username: String,
    pub bucket: String,
    pub obj_key: String,
    /// The key within the owner's namespace.
    pub file_key: String,
    /// The name the file had on the user's side, where the route knows it.
    pub file_name: Option<String>,
    /// `Pending` or `Done`, or what a client recorded.
    pub status: String,
    /// How the bytes came (`s3`, `presigned`, `multipart`, `form`, `edge`, `client`).
    pub route: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    /// A pending job's presigned URL ends then.
    pub expires_at: Option<i64>,
    /// ISO 8601.
    pub uploaded_on: String,
    pub created_at: i64,
    pub updated_at: i64,
}
