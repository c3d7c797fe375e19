//! Every operation s3cognito answers, one enum per service: the wire layer decides which one a request
//! is, once, and everything after (authorization, dispatch, logs, metrics) reads it off this type.
//!
//! An operation's wire name is written here and nowhere else (`stringify!` of its variant), so labels
//! and audit events built from these types are bounded by construction.

use std::fmt;

/// The AWS service an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    CognitoIdp,
    CognitoIdentity,
    Sts,
    Iam,
    S3,
    Kms,
    /// Our own routes: health and the published signing keys.
    Own,
}

impl Service {
    /// The service's name as AWS writes it in signing scopes and IAM actions.
    pub fn name(self) -> &'static str {
        match self {
            Service::CognitoIdp => "cognito-idp",
            Service::CognitoIdentity => "cognito-identity",
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::S3 => "s3",
            Service::Kms => "kms",
            Service::Own => "s3cognito",
        }
    }
}

/// What a caller must bring for an operation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authorization {
    /// Nothing: the request carries its own proof (a password, a code, a token) or needs none.
    Public,
    /// A SigV4 signature, and the caller's policies must allow the operation's IAM action.
    Signed,
    /// A SigV4 signature; every caller may, or the use case decides (AssumeRole reads the role's trust
    /// policy and checks `sts:AssumeRole` itself).
    SignedByAnyone,
    /// A token of the deployment's user pool (`Authorization: <token>`), as an API behind a Cognito
    /// authorizer takes it; the caller acts on its own files.
    UserPoolToken,
}

/// Declares one service's operations: the variant is the wire name; each has its authorization and
/// its IAM action (`<service>:<Name>` unless given).
macro_rules! operations {
    (
        $(#[$doc:meta])*
        $name:ident, $service:expr, $prefix:literal,
        { $($(#[$variant_doc:meta])* $variant:ident: $authorization:ident $(= $action:literal)?),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$variant_doc])* $variant),*
        }

        impl $name {
            /// Every operation of the service, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name the operation has on the wire (`X-Amz-Target`'s suffix, `Action=`, s3s's name).
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => stringify!($variant)),*
                }
            }

            /// The operation named `name` on the wire, if this service has it.
            pub fn parse(name: &str) -> Option<$name> {
                match name {
                    $(stringify!($variant) => Some($name::$variant),)*
                    _ => None,
                }
            }

            pub fn authorization(self) -> Authorization {
                match self {
                    $($name::$variant => Authorization::$authorization),*
                }
            }

            /// The IAM action a caller's policies must allow.
            pub fn action(self) -> &'static str {
                match self {
                    $($name::$variant => operations!(@action $prefix, $variant $(, $action)?)),*
                }
            }

            pub fn service(self) -> Service {
                $service
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl From<$name> for Operation {
            fn from(operation: $name) -> Operation {
                Operation::$name(operation)
            }
        }
    };
    (@action $prefix:literal, $variant:ident, $action:literal) => { $action };
    (@action $prefix:literal, $variant:ident) => { concat!($prefix, ":", stringify!($variant)) };
}

operations! {
    /// The user pool API (AWS JSON 1.1, `AWSCognitoIdentityProviderService.<Name>`).
    CognitoIdp, Service::CognitoIdp, "cognito-idp", {
        SignUp: Public,
        ConfirmSignUp: Public,
        ResendConfirmationCode: Public,
        InitiateAuth: Public,
        RespondToAuthChallenge: Public,
        GetTokensFromRefreshToken: Public,
        GetUser: Public,
        UpdateUserAttributes: Public,
        VerifyUserAttribute: Public,
        ChangePassword: Public,
        ForgotPassword: Public,
        ConfirmForgotPassword: Public,
        GlobalSignOut: Public,
        RevokeToken: Public,
        CreateUserPool: Signed,
        DescribeUserPool: Signed,
        ListUserPools: Signed,
        DeleteUserPool: Signed,
        CreateUserPoolClient: Signed,
        DescribeUserPoolClient: Signed,
        UpdateUserPoolClient: Signed,
        DeleteUserPoolClient: Signed,
        ListUserPoolClients: Signed,
        AdminCreateUser: Signed,
        AdminGetUser: Signed,
        ListUsers: Signed,
        AdminDeleteUser: Signed,
        AdminConfirmSignUp: Signed,
        AdminSetUserPassword: Signed,
        AdminResetUserPassword: Signed,
        AdminDisableUser: Signed,
        AdminEnableUser: Signed,
        AdminUpdateUserAttributes: Signed,
        AdminDeleteUserAttributes: Signed,
        AdminInitiateAuth: Signed,
        AdminRespondToAuthChallenge: Signed,
        AdminUserGlobalSignOut: Signed,
        CreateGroup: Signed,
        GetGroup: Signed,
        UpdateGroup: Signed,
        DeleteGroup: Signed,
        ListGroups: Signed,
        AdminAddUserToGroup: Signed,
        AdminRemoveUserFromGroup: Signed,
        AdminListGroupsForUser: Signed,
        ListUsersInGroup: Signed,
        SetUserPoolMfaConfig: Signed,
        GetUserPoolMfaConfig: Signed,
        AssociateSoftwareToken: Public,
        VerifySoftwareToken: Public,
        SetUserMFAPreference: Public,
        AdminSetUserMFAPreference: Signed,
    }
}

operations! {
    /// The identity pool API (AWS JSON 1.1, `AWSCognitoIdentityService.<Name>`).
    CognitoIdentity, Service::CognitoIdentity, "cognito-identity", {
        GetId: Public,
        GetCredentialsForIdentity: Public,
        GetOpenIdToken: Public,
        CreateIdentityPool: Signed,
        DescribeIdentityPool: Signed,
        ListIdentityPools: Signed,
        UpdateIdentityPool: Signed,
        DeleteIdentityPool: Signed,
        SetIdentityPoolRoles: Signed,
        GetIdentityPoolRoles: Signed,
        ListIdentities: Signed,
        DescribeIdentity: Signed,
    }
}

operations! {
    /// STS (the query protocol, `Action=<Name>`, signed for `sts`).
    Sts, Service::Sts, "sts", {
        AssumeRoleWithWebIdentity: Public,
        AssumeRole: SignedByAnyone,
        GetCallerIdentity: SignedByAnyone,
    }
}

operations! {
    /// IAM (the query protocol, `Action=<Name>`, signed for `iam`).
    Iam, Service::Iam, "iam", {
        CreateRole: Signed,
        GetRole: Signed,
        ListRoles: Signed,
        DeleteRole: Signed,
        UpdateAssumeRolePolicy: Signed,
        PutRolePolicy: Signed,
        GetRolePolicy: Signed,
        ListRolePolicies: Signed,
        DeleteRolePolicy: Signed,
        CreateOpenIDConnectProvider: Signed,
        GetOpenIDConnectProvider: Signed,
        ListOpenIDConnectProviders: Signed,
        DeleteOpenIDConnectProvider: Signed,
        CreateUser: Signed,
        GetUser: Signed,
        ListUsers: Signed,
        DeleteUser: Signed,
        CreateAccessKey: Signed,
        ListAccessKeys: Signed,
        UpdateAccessKey: Signed,
        DeleteAccessKey: Signed,
        PutUserPolicy: Signed,
        GetUserPolicy: Signed,
        ListUserPolicies: Signed,
        DeleteUserPolicy: Signed,
        CreatePolicy: Signed,
        GetPolicy: Signed,
        ListPolicies: Signed,
        DeletePolicy: Signed,
        CreatePolicyVersion: Signed,
        GetPolicyVersion: Signed,
        ListPolicyVersions: Signed,
        SetDefaultPolicyVersion: Signed,
        DeletePolicyVersion: Signed,
        AttachRolePolicy: Signed,
        DetachRolePolicy: Signed,
        ListAttachedRolePolicies: Signed,
        AttachUserPolicy: Signed,
        DetachUserPolicy: Signed,
        ListAttachedUserPolicies: Signed,
    }
}

operations! {
    /// The S3 operations this server implements, by the names s3s gives them; the IAM action of each is
    /// the one AWS documents for it (several operations share one).
    S3, Service::S3, "s3", {
        ListBuckets: Signed = "s3:ListAllMyBuckets",
        CreateBucket: Signed,
        HeadBucket: Signed = "s3:ListBucket",
        GetBucketLocation: Signed,
        DeleteBucket: Signed,
        GetBucketCors: Signed = "s3:GetBucketCORS",
        PutBucketCors: Signed = "s3:PutBucketCORS",
        DeleteBucketCors: Signed = "s3:PutBucketCORS",
        GetBucketEncryption: Signed = "s3:GetEncryptionConfiguration",
        PutBucketEncryption: Signed = "s3:PutEncryptionConfiguration",
        DeleteBucketEncryption: Signed = "s3:PutEncryptionConfiguration",
        ListObjects: Signed = "s3:ListBucket",
        ListObjectsV2: Signed = "s3:ListBucket",
        ListObjectVersions: Signed = "s3:ListBucketVersions",
        ListMultipartUploads: Signed = "s3:ListBucketMultipartUploads",
        PutObject: Signed,
        PostObject: Signed = "s3:PutObject",
        CopyObject: Signed = "s3:PutObject",
        GetObject: Signed,
        HeadObject: Signed = "s3:GetObject",
        GetObjectAttributes: Signed,
        DeleteObject: Signed,
        DeleteObjects: Signed = "s3:DeleteObject",
        CreateMultipartUpload: Signed = "s3:PutObject",
        UploadPart: Signed = "s3:PutObject",
        UploadPartCopy: Signed = "s3:PutObject",
        CompleteMultipartUpload: Signed = "s3:PutObject",
        AbortMultipartUpload: Signed,
        ListParts: Signed = "s3:ListMultipartUploadParts",
        GetBucketTagging: Signed,
        PutBucketTagging: Signed,
        DeleteBucketTagging: Signed = "s3:PutBucketTagging",
        GetObjectTagging: Signed,
        PutObjectTagging: Signed,
        DeleteObjectTagging: Signed,
        GetBucketPolicy: Signed,
        PutBucketPolicy: Signed,
        DeleteBucketPolicy: Signed,
        GetBucketPolicyStatus: Signed,
        GetBucketAcl: Signed,
        PutBucketAcl: Signed,
        GetObjectAcl: Signed,
        PutObjectAcl: Signed,
        GetBucketOwnershipControls: Signed,
        PutBucketOwnershipControls: Signed,
        DeleteBucketOwnershipControls: Signed = "s3:PutBucketOwnershipControls",
        GetPublicAccessBlock: Signed = "s3:GetBucketPublicAccessBlock",
        PutPublicAccessBlock: Signed = "s3:PutBucketPublicAccessBlock",
        DeletePublicAccessBlock: Signed = "s3:PutBucketPublicAccessBlock",
        GetBucketVersioning: Signed,
        PutBucketVersioning: Signed,
        GetBucketLifecycleConfiguration: Signed = "s3:GetLifecycleConfiguration",
        PutBucketLifecycleConfiguration: Signed = "s3:PutLifecycleConfiguration",
        DeleteBucketLifecycle: Signed = "s3:PutLifecycleConfiguration",
    }
}

operations! {
    /// KMS (AWS JSON 1.1, `TrentService.<Name>`): keys, aliases, their policies, tags and rotation, and
    /// the cryptographic operations.
    Kms, Service::Kms, "kms", {
        CreateKey: Signed,
        DescribeKey: Signed,
        ListKeys: Signed,
        UpdateKeyDescription: Signed,
        EnableKey: Signed,
        DisableKey: Signed,
        ScheduleKeyDeletion: Signed,
        CancelKeyDeletion: Signed,
        CreateAlias: Signed,
        UpdateAlias: Signed,
        DeleteAlias: Signed,
        ListAliases: Signed,
        Encrypt: Signed,
        Decrypt: Signed,
        ReEncrypt: Signed = "kms:ReEncryptFrom",
        GenerateDataKey: Signed,
        GenerateDataKeyWithoutPlaintext: Signed,
        GenerateRandom: Signed,
        EnableKeyRotation: Signed,
        DisableKeyRotation: Signed,
        GetKeyRotationStatus: Signed,
        RotateKeyOnDemand: Signed,
        ListKeyRotations: Signed,
        GetKeyPolicy: Signed,
        PutKeyPolicy: Signed,
        ListKeyPolicies: Signed,
        TagResource: Signed,
        UntagResource: Signed,
        ListResourceTags: Signed,
    }
}

operations! {
    /// Our own routes: health, the published signing keys, and the upload routes that take a user
    /// pool token instead of a signature (the presign API with Uppy's multipart signing, the upload
    /// edge, GraphQL).
    Own, Service::Own, "s3cognito", {
        Health: Public,
        Ready: Public,
        /// Open, or behind the bearer token `--metrics-token` sets: not an AWS credential.
        GetMetrics: Public,
        /// The upload page and the dashboard's files.
        GetPage: Public,
        /// A browser's CORS preflight of one of our routes or a JSON protocol.
        Preflight: Public,
        ListAuditEvents: Signed,
        /// The dashboard's figures, for members of the administrators group.
        GetMonitoringOverview: UserPoolToken,
        GetUserPoolKeys: Public,
        GetUserPoolDiscovery: Public,
        GetIdentityKeys: Public,
        PresignFile: UserPoolToken,
        CreateFileMultipartUpload: UserPoolToken,
        SignFileUploadPart: UserPoolToken,
        ListFileUploadParts: UserPoolToken,
        CompleteFileMultipartUpload: UserPoolToken,
        AbortFileMultipartUpload: UserPoolToken,
        PutFile: UserPoolToken,
        GetFile: UserPoolToken,
        GraphQl: UserPoolToken,
    }
}

/// Any operation of any service: what a request is, decided once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    CognitoIdp(CognitoIdp),
    CognitoIdentity(CognitoIdentity),
    Sts(Sts),
    Iam(Iam),
    S3(S3),
    Kms(Kms),
    Own(Own),
}

/// Calls `$method` on the service's own operation inside `$operation`.
macro_rules! each_service {
    ($operation:expr, $method:ident) => {
        match $operation {
            Operation::CognitoIdp(operation) => operation.$method(),
            Operation::CognitoIdentity(operation) => operation.$method(),
            Operation::Sts(operation) => operation.$method(),
            Operation::Iam(operation) => operation.$method(),
            Operation::S3(operation) => operation.$method(),
            Operation::Kms(operation) => operation.$method(),
            Operation::Own(operation) => operation.$method(),
        }
    };
}

impl Operation {
    pub fn name(self) -> &'static str {
        each_service!(self, name)
    }

    pub fn service(self) -> Service {
        each_service!(self, service)
    }

    pub fn authorization(self) -> Authorization {
        each_service!(self, authorization)
    }

    pub fn action(self) -> &'static str {
        each_service!(self, action)
    }
}

/// What the audit log keeps of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audited {
    /// Every call, allowed or not: sign-ins, changes, credentials issued, object bytes written, read or deleted.
    Always,
    /// Only a call whose caller was refused: reads of settings and listings.
    WhenDenied,
}

impl Operation {
    /// What the audit log keeps of this operation.
    pub fn audited(self) -> Audited {
        use Audited::{Always, WhenDenied};
        match self {
            Operation::CognitoIdp(operation) => match operation {
                CognitoIdp::DescribeUserPool
                | CognitoIdp::ListUserPools
                | CognitoIdp::DescribeUserPoolClient
                | CognitoIdp::ListUserPoolClients
                | CognitoIdp::AdminGetUser
                | CognitoIdp::ListUsers
                | CognitoIdp::GetGroup
                | CognitoIdp::ListGroups
                | CognitoIdp::AdminListGroupsForUser
                | CognitoIdp::ListUsersInGroup
                | CognitoIdp::GetUserPoolMfaConfig
                | CognitoIdp::GetUser => WhenDenied,
                CognitoIdp::SignUp
                | CognitoIdp::ConfirmSignUp
                | CognitoIdp::ResendConfirmationCode
                | CognitoIdp::InitiateAuth
                | CognitoIdp::RespondToAuthChallenge
                | CognitoIdp::GetTokensFromRefreshToken
                | CognitoIdp::UpdateUserAttributes
                | CognitoIdp::VerifyUserAttribute
                | CognitoIdp::ChangePassword
                | CognitoIdp::ForgotPassword
                | CognitoIdp::ConfirmForgotPassword
                | CognitoIdp::GlobalSignOut
                | CognitoIdp::RevokeToken
                | CognitoIdp::CreateUserPool
                | CognitoIdp::DeleteUserPool
                | CognitoIdp::CreateUserPoolClient
                | CognitoIdp::UpdateUserPoolClient
                | CognitoIdp::DeleteUserPoolClient
                | CognitoIdp::AdminCreateUser
                | CognitoIdp::AdminDeleteUser
                | CognitoIdp::AdminConfirmSignUp
                | CognitoIdp::AdminSetUserPassword
                | CognitoIdp::AdminResetUserPassword
                | CognitoIdp::AdminDisableUser
                | CognitoIdp::AdminEnableUser
                | CognitoIdp::AdminUpdateUserAttributes
                | CognitoIdp::AdminDeleteUserAttributes
                | CognitoIdp::AdminInitiateAuth
                | CognitoIdp::AdminRespondToAuthChallenge
                | CognitoIdp::AdminUserGlobalSignOut
                | CognitoIdp::CreateGroup
                | CognitoIdp::UpdateGroup
                | CognitoIdp::DeleteGroup
                | CognitoIdp::AdminAddUserToGroup
                | CognitoIdp::AdminRemoveUserFromGroup
                | CognitoIdp::SetUserPoolMfaConfig
                | CognitoIdp::AssociateSoftwareToken
                | CognitoIdp::VerifySoftwareToken
                | CognitoIdp::SetUserMFAPreference
                | CognitoIdp::AdminSetUserMFAPreference => Always,
            },
            Operation::CognitoIdentity(operation) => match operation {
                CognitoIdentity::DescribeIdentityPool
                | CognitoIdentity::ListIdentityPools
                | CognitoIdentity::GetIdentityPoolRoles
                | CognitoIdentity::ListIdentities
                | CognitoIdentity::DescribeIdentity => WhenDenied,
                CognitoIdentity::GetId
                | CognitoIdentity::GetCredentialsForIdentity
                | CognitoIdentity::GetOpenIdToken
                | CognitoIdentity::CreateIdentityPool
                | CognitoIdentity::UpdateIdentityPool
                | CognitoIdentity::DeleteIdentityPool
                | CognitoIdentity::SetIdentityPoolRoles => Always,
            },
            Operation::Sts(operation) => match operation {
                Sts::GetCallerIdentity => WhenDenied,
                Sts::AssumeRoleWithWebIdentity | Sts::AssumeRole => Always,
            },
            Operation::Iam(operation) => match operation {
                Iam::GetRole
                | Iam::ListRoles
                | Iam::GetRolePolicy
                | Iam::ListRolePolicies
                | Iam::GetOpenIDConnectProvider
                | Iam::ListOpenIDConnectProviders
                | Iam::GetUser
                | Iam::ListUsers
                | Iam::ListAccessKeys
                | Iam::GetUserPolicy
                | Iam::ListUserPolicies
                | Iam::GetPolicy
                | Iam::ListPolicies
                | Iam::GetPolicyVersion
                | Iam::ListPolicyVersions
                | Iam::ListAttachedRolePolicies
                | Iam::ListAttachedUserPolicies => WhenDenied,
                Iam::CreateRole
                | Iam::DeleteRole
                | Iam::UpdateAssumeRolePolicy
                | Iam::PutRolePolicy
                | Iam::DeleteRolePolicy
                | Iam::CreateOpenIDConnectProvider
                | Iam::DeleteOpenIDConnectProvider
                | Iam::CreateUser
                | Iam::DeleteUser
                | Iam::CreateAccessKey
                | Iam::UpdateAccessKey
                | Iam::DeleteAccessKey
                | Iam::PutUserPolicy
                | Iam::DeleteUserPolicy
                | Iam::CreatePolicy
                | Iam::DeletePolicy
                | Iam::CreatePolicyVersion
                | Iam::SetDefaultPolicyVersion
                | Iam::DeletePolicyVersion
                | Iam::AttachRolePolicy
                | Iam::DetachRolePolicy
                | Iam::AttachUserPolicy
                | Iam::DetachUserPolicy => Always,
            },
            Operation::S3(operation) => match operation {
                S3::ListBuckets
                | S3::HeadBucket
                | S3::GetBucketLocation
                | S3::GetBucketCors
                | S3::GetBucketEncryption
                | S3::ListObjects
                | S3::ListObjectsV2
                | S3::ListObjectVersions
                | S3::ListMultipartUploads
                | S3::HeadObject
                | S3::GetObjectAttributes
                | S3::ListParts
                | S3::GetBucketTagging
                | S3::GetObjectTagging
                | S3::GetBucketPolicy
                | S3::GetBucketPolicyStatus
                | S3::GetBucketAcl
                | S3::GetObjectAcl
                | S3::GetBucketOwnershipControls
                | S3::GetPublicAccessBlock
                | S3::GetBucketVersioning
                | S3::GetBucketLifecycleConfiguration => WhenDenied,
                S3::CreateBucket
                | S3::DeleteBucket
                | S3::PutBucketCors
                | S3::DeleteBucketCors
                | S3::PutBucketEncryption
                | S3::DeleteBucketEncryption
                | S3::PutObject
                | S3::PostObject
                | S3::CopyObject
                | S3::GetObject
                | S3::DeleteObject
                | S3::DeleteObjects
                | S3::CreateMultipartUpload
                | S3::UploadPart
                | S3::UploadPartCopy
                | S3::CompleteMultipartUpload
                | S3::AbortMultipartUpload
                | S3::PutBucketTagging
                | S3::DeleteBucketTagging
                | S3::PutObjectTagging
                | S3::DeleteObjectTagging
                | S3::PutBucketPolicy
                | S3::DeleteBucketPolicy
                | S3::PutBucketAcl
                | S3::PutObjectAcl
                | S3::PutBucketOwnershipControls
                | S3::DeleteBucketOwnershipControls
                | S3::PutPublicAccessBlock
                | S3::PutBucketVersioning
                | S3::DeletePublicAccessBlock
                | S3::PutBucketLifecycleConfiguration
                | S3::DeleteBucketLifecycle => Always,
            },
            Operation::Kms(operation) => match operation {
                Kms::DescribeKey
                | Kms::ListKeys
                | Kms::ListAliases
                | Kms::GenerateRandom
                | Kms::GetKeyRotationStatus
                | Kms::ListKeyRotations
                | Kms::GetKeyPolicy
                | Kms::ListKeyPolicies
                | Kms::ListResourceTags => WhenDenied,
                Kms::CreateKey
                | Kms::UpdateKeyDescription
                | Kms::EnableKey
                | Kms::DisableKey
                | Kms::ScheduleKeyDeletion
                | Kms::CancelKeyDeletion
                | Kms::CreateAlias
                | Kms::UpdateAlias
                | Kms::DeleteAlias
                | Kms::Encrypt
                | Kms::Decrypt
                | Kms::ReEncrypt
                | Kms::GenerateDataKey
                | Kms::GenerateDataKeyWithoutPlaintext
                | Kms::EnableKeyRotation
                | Kms::DisableKeyRotation
                | Kms::RotateKeyOnDemand
                | Kms::PutKeyPolicy
                | Kms::TagResource
                | Kms::UntagResource => Always,
            },
            Operation::Own(operation) => match operation {
                Own::Health
                | Own::Ready
                | Own::GetMetrics
                | Own::GetUserPoolKeys
                | Own::GetUserPoolDiscovery
                | Own::GetIdentityKeys
                | Own::GetPage
                | Own::Preflight
                | Own::SignFileUploadPart
                | Own::ListFileUploadParts
                | Own::GraphQl
                | Own::ListAuditEvents
                | Own::GetMonitoringOverview => WhenDenied,
                Own::PresignFile
                | Own::CreateFileMultipartUpload
                | Own::CompleteFileMultipartUpload
                | Own::AbortFileMultipartUpload
                | Own::PutFile
                | Own::GetFile => Always,
            },
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.service().name(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_name_parses_back_to_its_operation() {
        for operation in CognitoIdp::ALL {
            assert_eq!(CognitoIdp::parse(operation.name()), Some(*operation));
        }
        for operation in S3::ALL {
            assert_eq!(S3::parse(operation.name()), Some(*operation));
        }
        assert_eq!(CognitoIdp::parse("signUp"), None, "names are case-sensitive, as on AWS");
        assert_eq!(Iam::parse(""), None);
    }

    #[test]
    fn the_audit_log_keeps_changes_sign_ins_and_object_bytes_and_refused_reads() {
        for operation in [
            Operation::from(CognitoIdp::InitiateAuth),
            CognitoIdp::AdminCreateUser.into(),
            CognitoIdentity::GetCredentialsForIdentity.into(),
            Sts::AssumeRole.into(),
            Iam::PutRolePolicy.into(),
            S3::GetObject.into(),
            S3::DeleteObjects.into(),
            Kms::Decrypt.into(),
            Own::PutFile.into(),
        ] {
            assert_eq!(operation.audited(), Audited::Always, "{operation}");
        }
        for operation in [Operation::from(S3::HeadObject), S3::ListObjectsV2.into(), CognitoIdp::ListUsers.into(), Own::Health.into()] {
            assert_eq!(operation.audited(), Audited::WhenDenied, "{operation}");
        }
    }

    #[test]
    fn actions_are_the_service_prefix_and_name_unless_aws_documents_another() {
        assert_eq!(CognitoIdp::AdminGetUser.action(), "cognito-idp:AdminGetUser");
        assert_eq!(Iam::CreateOpenIDConnectProvider.action(), "iam:CreateOpenIDConnectProvider");
        assert_eq!(S3::ListObjectsV2.action(), "s3:ListBucket");
        assert_eq!(S3::HeadObject.action(), "s3:GetObject");
        assert_eq!(S3::DeleteBucketCors.action(), "s3:PutBucketCORS");
        assert_eq!(Kms::GenerateDataKey.action(), "kms:GenerateDataKey");
        assert_eq!(Kms::ReEncrypt.action(), "kms:ReEncryptFrom", "the source key's half; the destination's is ReEncryptTo");
        assert_eq!(Operation::from(S3::PutObject).to_string(), "s3.PutObject");
    }
}
