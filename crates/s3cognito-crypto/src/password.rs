//! Password storage: Argon2id hashes in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! which carry their own parameters so that stronger settings later do not break old hashes.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};

use crate::CryptoError;
use crate::random::random_bytes;

/// Hashes `password` with Argon2id (the argon2 crate's default cost: 19 MiB, 2 passes, 1 lane)
/// and a fresh 128-bit salt.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::encode_b64(&random_bytes(16))
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| CryptoError::PasswordHash(error.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `phc`. A malformed or unsupported stored hash is simply a
/// mismatch: the caller's answer to the user is the same either way.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// A hash with today's default parameters whose output (all zero bytes) no password produces.
/// Built from the constants rather than written out, so it follows the parameters if they change.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        Params::DEFAULT_M_COST,
        Params::DEFAULT_T_COST,
        Params::DEFAULT_P_COST,
        "A".repeat(22),
        "A".repeat(43),
    )
});

/// Spends as long as `verify_password` would on a real hash, and always fails.
///
/// Sign-in calls it when the user does not exist, so an attacker cannot tell "no such user" from
/// "wrong password" by the response time.
pub fn dummy_verify(password: &str) {
    std::hint::black_box(verify_password(password, &DUMMY_HASH));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dummy costs what a real check costs because it runs Argon2 with the very parameters a
    /// fresh hash carries, and it is well-formed, so the check is not skipped as malformed.
    #[test]
    fn the_dummy_hash_has_the_parameters_of_a_real_one() {
        let real = hash_password("a password").expect("hashing works");
        let parameters = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(parameters(&DUMMY_HASH), parameters(&real));
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
        assert!(!verify_password("a password", &DUMMY_HASH));
    }
}
