//! Tests of s3cognito-crypto through its public API, one module per area; one binary so the
//! crate and its dependencies link once.

mod aead;
mod compare;
mod digest;
mod jwt;
mod password;
mod random;
mod sigv4;
mod sigv4_oracle;
mod sigv4_suite;
mod srp;
