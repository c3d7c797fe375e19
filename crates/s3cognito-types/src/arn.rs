//! Amazon Resource Names, built here and nowhere else: what policies name and what responses show.

/// `arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>`.
pub fn user_pool(region: &str, account: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}")
}

/// `arn:aws:cognito-identity:<region>:<account>:identitypool/<poolId>`.
pub fn identity_pool(region: &str, account: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-identity:{region}:{account}:identitypool/{pool_id}")
}

/// `arn:aws:iam::<account>:role<path><name>`; `path` starts and ends with `/`.
pub fn role(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

/// An IAM user, `arn:aws:iam::<account>:user<path><name>`.
pub fn user(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

/// A customer managed policy, `arn:aws:iam::<account>:policy<path><name>`.
pub fn policy(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
pub fn assumed_role(account: &str, role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
}

/// `arn:aws:iam::<account>:oidc-provider/<host and path>`.
pub fn oidc_provider(account: &str, host_and_path: &str) -> String {
    format!("arn:aws:iam::{account}:oidc-provider/{host_and_path}")
}

/// `arn:aws:iam::<account>:root`, the account itself.
pub fn account_root(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// `arn:aws:s3:::<bucket>`.
pub fn bucket(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

/// `arn:aws:s3:::<bucket>/<key>`.
pub fn object(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// `arn:aws:kms:<region>:<account>:key/<keyId>`.
pub fn kms_key(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// `arn:aws:kms:<region>:<account>:<alias>`, where `alias` is `alias/<name>`.
pub fn kms_alias(region: &str, account: &str, alias: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias}")
}
