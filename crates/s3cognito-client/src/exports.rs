//! `aws-exports.json`, the Amplify-style configuration `s3cognito serve` writes for its clients.

use serde::{Deserialize, Serialize};

use crate::{ClientError, Result};

/// The keys of `aws-exports.json` the client uses; others are kept as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwsExports {
    pub aws_cognito_region: String,
    pub aws_user_pools_id: String,
    pub aws_user_pools_web_client_id: String,
    #[serde(default)]
    pub aws_cognito_identity_pool_id: Option<String>,
    #[serde(default)]
    pub aws_user_files_s3_bucket: Option<String>,
    /// The AWS-compatible API's base URL. Absent in a file made for AWS itself.
    #[serde(default)]
    pub s3cognito_endpoint: Option<String>,
    #[serde(default)]
    pub s3cognito_upload_endpoint: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl AwsExports {
    pub fn parse(text: &str) -> Result<AwsExports> {
        serde_json::from_str(text).map_err(|error| ClientError::Config(format!("aws-exports.json: {error}")))
    }

    /// The pool id's part after `_`: SRP's `x` is computed over it.
    pub fn pool_suffix(&self) -> &str {
        self.aws_user_pools_id.split_once('_').map(|(_, suffix)| suffix).unwrap_or_default()
    }
}
