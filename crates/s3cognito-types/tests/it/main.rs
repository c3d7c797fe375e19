//! Tests of s3cognito-types through its public API, one module per area; one binary so the crate links once.

mod names;
mod policy;
