//! Password storage: Argon2id hashes in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
//! which carry their own parameters so that stronger settings later do not break old hashes.
//!
//! Argon2 is memory-hard by design: one run fills 19 MiB. [`PasswordWork`] owns that working memory
//! and reuses it for every hash it computes, so a bounded set of workers holds a bounded amount of
//! memory however many requests arrive; the free functions allocate afresh and suit one-off use.

use std::sync::LazyLock;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::CryptoError;
use crate::random::random_bytes;

/// Hashes `password` with Argon2id (the argon2 crate's default cost: 19 MiB, 2 passes, 1 lane)
/// and a fresh 128-bit salt.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    PasswordWork::new().hash(password)
}

/// Whether `password` matches `phc`. A malformed or unsupported stored hash is simply a
/// mismatch: the caller's answer to the user is the same either way.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordWork::new().verify(password, phc)
}

/// Spends as long as `verify_password` would on a real hash, and always fails.
///
/// Sign-in calls it when the user does not exist, so an attacker cannot tell "no such user" from
/// "wrong password" by the response time.
pub fn dummy_verify(password: &str) {
    PasswordWork::new().dummy_verify(password);
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

/// Working memory for Argon2, kept between runs. Hashing with stored parameters larger than today's
/// grows it to their size once; it never shrinks, so one worker's memory is the largest cost it met.
#[derive(Debug)]
pub struct PasswordWork {
    memory: Vec<Block>,
}

impl Default for PasswordWork {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordWork {
    /// Memory for today's default parameters, allocated now rather than on the first request.
    pub fn new() -> Self {
        PasswordWork { memory: vec![Block::default(); Params::default().block_count()] }
    }

    /// The bytes this worker holds.
    pub fn memory_bytes(&self) -> usize {
        self.memory.len() * Block::SIZE
    }

    /// Hashes `password` with today's parameters and a fresh 128-bit salt, as [`hash_password`].
    pub fn hash(&mut self, password: &str) -> Result<String, CryptoError> {
        let failed = |error: &dyn std::fmt::Display| CryptoError::PasswordHash(error.to_string());
        let params = Params::default();
        let salt_bytes = random_bytes(16);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|error| failed(&error))?;
        let mut out = vec![0u8; Params::DEFAULT_OUTPUT_LEN];
        self.run(&params, password.as_bytes(), &salt_bytes, &mut out).map_err(|error| failed(&error))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|error| failed(&error))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|error| failed(&error))?),
        };
        Ok(hash.to_string())
    }

    /// Whether `password` matches `phc`, as [`verify_password`]; the comparison is constant-time.
    pub fn verify(&mut self, password: &str, phc: &str) -> bool {
        self.try_verify(password, phc).unwrap_or(false)
    }

    /// Spends what [`PasswordWork::verify`] spends on a real hash, and always fails.
    pub fn dummy_verify(&mut self, password: &str) {
        std::hint::black_box(self.verify(password, &DUMMY_HASH));
    }

    fn try_verify(&mut self, password: &str, phc: &str) -> Option<bool> {
        let hash = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
        let version = Version::try_from(hash.version.unwrap_or(0x13)).ok()?;
        let expected = hash.hash?;
        let params = Params::try_from(&hash).ok()?;
        let mut salt = [0u8; 64];
        let salt = hash.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        let argon2 = Argon2::new(algorithm, version, params);
        let blocks = argon2.params().block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut self.memory[..blocks]).ok()?;
        Some(crate::compare::constant_time_eq(&out, expected.as_bytes()))
    }

    fn run(&mut self, params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let blocks = params.block_count();
        if self.memory.len() < blocks {
            self.memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut self.memory[..blocks])
    }
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

    /// Our hashes are standard PHC strings: the argon2 crate's own verifier accepts them, and ours
    /// accepts the crate's, so hashes stored before and after reusing memory stay interchangeable.
    #[test]
    fn hashes_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut work = PasswordWork::new();
        let ours = work.hash("a password").expect("hashing works");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(Argon2::default().verify_password(b"a password", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"another", &parsed).is_err());
        let salt = SaltString::encode_b64(&random_bytes(16)).unwrap();
        let theirs = Argon2::default().hash_password(b"a password", &salt).unwrap().to_string();
        assert!(work.verify("a password", &theirs));
        assert!(!work.verify("another", &theirs));
    }

    /// One worker's memory is allocated once and reused: verifying many times does not grow it.
    #[test]
    fn working_memory_is_reused() {
        let mut work = PasswordWork::new();
        let before = work.memory_bytes();
        let hash = work.hash("pw").unwrap();
        for _ in 0..3 {
            assert!(work.verify("pw", &hash));
            work.dummy_verify("pw");
        }
        assert_eq!(work.memory_bytes(), before);
        assert_eq!(before, 19 * 1024 * 1024);
    }
}
