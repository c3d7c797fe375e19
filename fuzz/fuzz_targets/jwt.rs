//! JWTs as clients present them: decoding without a key, checking a signature against a key set, and
//! Cognito's claim checks. A token nobody signed with our key must never verify.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use s3cognito_crypto::jwt;

static KEY: LazyLock<jwt::SigningKey> = LazyLock::new(|| jwt::SigningKey::generate().expect("a key"));

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    let _ = jwt::decode_unverified(&token);
    assert!(jwt::verify_signature(&token, &[KEY.public_jwk()]).is_err(), "a forged token verified");
});
