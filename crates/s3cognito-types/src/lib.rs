//! Names and ids of s3cognito, each parsed once at the boundary and trusted everywhere after.
//!
//! No IO happens here: the types only know their own shape.

pub mod arn;
mod checksum;
mod ids;
pub mod operation;
pub mod policy;

pub use checksum::ChecksumAlgorithm;
pub use ids::{BucketName, ClientId, FileName, GroupName, InvalidName, ObjectKey, UserPoolId, Username, Violation};

/// The AWS region every id and issuer of this deployment is minted in.
pub const DEFAULT_REGION: &str = "us-east-1";
